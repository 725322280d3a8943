"""The suggestion box: filing on the kiosk (code, key, consent, encryption, rare characters,
rate limit), looking the answer up, the staff workflow with its audit, publishing, and citizen
text shown escaped everywhere."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from feedback import suggestions
from feedback.crypto import decrypt_phone
from feedback.errors import FeedbackError
from feedback.models import Suggestion, SuggestionStatus
from hall.calendar import load_calendar
from hall.extensions import db
from hall.models import AuditEntry, Role
from tests.feedback.support import IMG, RARE_TEXT, SCRIPT, file_suggestion, last_suggestion
from tests.staff_support import csrf_token


def test_filing_gives_a_code_and_key_and_keeps_rare_characters(client: FlaskClient) -> None:
    response = file_suggestion(client)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/kiosk/suggest/done")
    row = last_suggestion()
    assert re.fullmatch(r"YJ-20\d\d-\d{6}", row.code)
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", row.lookup_key)
    assert row.text == RARE_TEXT  # 𠮷, 〇 and full-width punctuation round-trip
    assert row.status == SuggestionStatus.NEW
    assert row.due_on == load_calendar().add_workdays(
        dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date(), 15)
    done = client.get("/kiosk/suggest/done").get_data(as_text=True)
    assert row.code in done and row.lookup_key in done
    # The code and key never travel in an address of the kiosk.
    assert row.lookup_key not in response.headers["Location"]


def test_lookup_needs_the_key_and_never_shows_the_contact(client: FlaskClient) -> None:
    file_suggestion(client, consent="1", name="王阿姨", phone="138 0013 8000")
    row = last_suggestion()
    token = csrf_token(client, "/kiosk/suggest/lookup")
    wrong = client.post("/kiosk/suggest/lookup",
                        data={"csrf_token": token, "code": row.code, "key": "AAAAAA"})
    assert wrong.status_code == 404
    assert RARE_TEXT not in wrong.get_data(as_text=True)
    found = client.post("/kiosk/suggest/lookup", data={
        "csrf_token": token, "code": row.code.lower().replace("-", " "),
        "key": row.lookup_key.lower()})
    page = found.get_data(as_text=True)
    assert found.status_code == 200
    assert RARE_TEXT in page and "待分办" in page
    assert "王阿姨" not in page and "8000" not in page


def test_contact_needs_consent_and_the_phone_is_encrypted(client: FlaskClient) -> None:
    refused = file_suggestion(client, name="王阿姨", phone="13800138000")
    assert refused.status_code == 422
    assert "请先勾选同意" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Suggestion.id)) is None
    bad = file_suggestion(client, consent="1", phone="12345")
    assert bad.status_code == 422 and "电话号码格式不对" in bad.get_data(as_text=True)
    assert file_suggestion(client, consent="1", name="王阿姨",
                           phone="１３８００１３８０００").status_code == 303
    row = last_suggestion()
    stored = db.session.execute(text("SELECT contact_phone_enc FROM feedback_suggestion")
                                ).scalar()
    assert "13800138000" not in stored
    assert decrypt_phone(row.contact_phone_enc) == "13800138000"


@pytest.mark.parametrize("body,message", [("", "请填写内容"), ("太短", "太短"),
                                          ("字" * 2001, "太长")])
def test_text_is_checked_on_the_server(client: FlaskClient, body: str, message: str) -> None:
    response = file_suggestion(client, body)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_unknown_category_is_refused(client: FlaskClient) -> None:
    response = file_suggestion(client, category="nonsense")
    assert response.status_code == 422
    assert "请选择意见类别" in response.get_data(as_text=True)


class TestRateLimit:
    @pytest.fixture
    def app_config(self) -> dict[str, Any]:
        return {"SUGGESTION_RATE_LIMIT": "2 per minute"}

    def test_a_flood_from_one_terminal_gets_a_kind_429(self, client: FlaskClient) -> None:
        assert file_suggestion(client).status_code == 303
        assert file_suggestion(client).status_code == 303
        third = file_suggestion(client)
        assert third.status_code == 429
        assert "操作太频繁了" in third.get_data(as_text=True)
        assert db.session.query(Suggestion).count() == 2
        # Another terminal is not held up by this one.
        other = file_suggestion(client, address="10.0.0.9")
        assert other.status_code == 303


def _staff_post(client: FlaskClient, url: str, **data: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client), **data})


def test_staff_workflow_assign_reply_publish_close(app: Flask, client: FlaskClient,
                                                   login_as: Any) -> None:
    file_suggestion(client, RARE_TEXT + SCRIPT + IMG)
    row = last_suggestion()
    officer = login_as(Role.OFFICER)
    base = f"/staff/feedback/suggestions/{row.id}"
    page = client.get(base)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert SCRIPT not in html and IMG not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert _staff_post(client, base + "/assign", assignee=str(officer.id)).status_code == 303
    db.session.refresh(row)
    assert row.status == SuggestionStatus.ASSIGNED and row.assignee_id == officer.id
    # A private reply cannot be published.
    _staff_post(client, base + "/reply", reply="已转交相关科室。")
    refused = _staff_post(client, base + "/publish", on="1")
    db.session.refresh(row)
    assert refused.status_code == 303 and not row.published
    _staff_post(client, base + "/reply", reply="已在等候区增加座椅 20 张。", public="y")
    assert _staff_post(client, base + "/publish", on="1").status_code == 303
    db.session.refresh(row)
    assert row.status == SuggestionStatus.ANSWERED and row.published and row.reply_public
    answers = client.get("/kiosk/suggest/answers").get_data(as_text=True)
    assert "已在等候区增加座椅 20 张。" in answers
    assert SCRIPT not in answers and IMG not in answers and "&lt;img src=x" in answers
    _staff_post(client, base + "/close")
    db.session.refresh(row)
    assert row.status == SuggestionStatus.CLOSED
    actions = set(db.session.scalars(select(AuditEntry.action)
                                     .where(AuditEntry.object_type == "feedback_suggestion")))
    assert {"assign", "reply", "publish", "close"} <= actions


def test_overdue_suggestions_are_marked(client: FlaskClient, login_as: Any) -> None:
    file_suggestion(client)
    row = last_suggestion()
    row.due_on = dt.date(2020, 1, 2)
    db.session.commit()
    login_as(Role.EDITOR)
    page = client.get("/staff/feedback/?show=overdue").get_data(as_text=True)
    assert row.code in page and "overdue-row" in page
    assert "已超期 1 条" in page


def test_deadline_cannot_be_in_the_past(client: FlaskClient, login_as: Any) -> None:
    file_suggestion(client)
    row = last_suggestion()
    login_as(Role.EDITOR)
    _staff_post(client, f"/staff/feedback/suggestions/{row.id}/deadline", due_on="2020-01-01")
    kept = row.due_on
    db.session.refresh(row)
    assert row.due_on == kept
    _staff_post(client, f"/staff/feedback/suggestions/{row.id}/deadline", due_on="2099-12-31")
    db.session.refresh(row)
    assert row.due_on == dt.date(2099, 12, 31)


def test_phone_is_masked_and_revealing_it_is_audited(client: FlaskClient,
                                                     login_as: Any) -> None:
    file_suggestion(client, consent="1", name="李先生", phone="13912345678")
    row = last_suggestion()
    login_as(Role.OFFICER)
    page = client.get(f"/staff/feedback/suggestions/{row.id}").get_data(as_text=True)
    assert "139****5678" in page and "13912345678" not in page
    shown = _staff_post(client, f"/staff/feedback/suggestions/{row.id}/contact")
    assert "13912345678" in shown.get_data(as_text=True)
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "view_contact"))


def test_clerks_may_not_open_the_queue(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.CLERK)
    assert client.get("/staff/feedback/").status_code == 403


def test_domain_refuses_publishing_a_private_answer(app: Flask) -> None:
    row = suggestions.submit("other", "请延长周六的办公时间。")
    suggestions.answer(row, "谢谢，我们研究后答复。", public=False, by="t")
    with pytest.raises(FeedbackError) as refused:
        suggestions.publish(row, True)
    assert refused.value.code == "not_public"


def test_staff_stylesheet_is_served(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.EDITOR)
    page = client.get("/staff/feedback/").get_data(as_text=True)
    href = re.search(r'href="([^"]*feedback/staff\.css)"', page)
    assert href is not None
    response = client.get(href.group(1))
    assert response.status_code == 200
    response.close()
