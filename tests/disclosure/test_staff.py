"""The disclosure staff pages through the test client: guards, the list's filters and due
marks, entry by staff, every step's form, refusals as 422, the audited look at personal data
(and that no page carries a full ID number or phone), attachments, the dashboard panel."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from disclosure import staff, workflow
from disclosure.models import Application, Attachment, Event, Hold, Stage
from hall.calendar import load_calendar
from hall.extensions import db
from hall.models import AuditEntry, Role
from hall.timefmt import local_today
from tests.disclosure.support import GANZHOU_ID, PHONE, VALID_ID, file_one, to_processing
from tests.staff_support import csrf_token

LoginAs = Callable[..., Any]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _file_today(**fields: Any) -> Application:
    """A kiosk application received today (the pages act on the real today)."""
    return file_one(local_today(), now=dt.datetime.now(dt.UTC), **fields)


def _post(client: FlaskClient, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client), **(data or {})}, **kw)


def _full_values_absent(html: str) -> None:
    for secret in (VALID_ID, GANZHOU_ID, PHONE, "沙石镇吉埠村12号"):
        assert secret not in html, secret


# -- guards -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.CLERK, Role.EDITOR])
def test_clerks_and_editors_are_refused(client: FlaskClient, login_as: LoginAs,
                                        role: str) -> None:
    row = _file_today()
    login_as(role)
    for url in ("/staff/disclosure/", "/staff/disclosure/new", f"/staff/disclosure/{row.id}",
                f"/staff/disclosure/{row.id}/letter"):
        assert client.get(url).status_code == 403, url
    assert _post(client, f"/staff/disclosure/{row.id}/step/register").status_code == 403
    assert _post(client, f"/staff/disclosure/{row.id}/reveal",
                 {"field": "id_number"}).status_code == 403
    db.session.refresh(row)
    assert row.stage == Stage.RECEIVED
    assert "依申请公开" not in client.get("/staff/").get_data(as_text=True)


def test_officer_sees_menu_panel_and_list(client: FlaskClient, login_as: LoginAs) -> None:
    row = _file_today()
    login_as(Role.OFFICER)
    home = client.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/disclosure/"' in home and 'href="/staff/calendar/"' in home
    assert "当前待办" in home and "5 个工作日内到期" in home
    page = client.get("/staff/disclosure/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert row.number in html and "张*" in html
    assert "剩 20 个工作日" in html
    _full_values_absent(html)


# -- the list ---------------------------------------------------------------------------------

def test_due_soon_and_overdue_are_marked_and_filtered(client: FlaskClient,
                                                      login_as: LoginAs) -> None:
    today = local_today()
    cal = load_calendar()
    fresh = _file_today(info_title="新收的申请")
    late = _file_today(info_title="超期的申请")
    soon = _file_today(info_title="快到期的申请")
    late.due_on = today - dt.timedelta(days=10)
    soon.due_on = cal.add_workdays(today, 2)
    db.session.commit()
    overdue_by = cal.workdays_between(late.due_on, today)
    login_as(Role.OFFICER)
    html = client.get("/staff/disclosure/").get_data(as_text=True)
    assert f"已超期 {overdue_by} 个工作日" in html
    assert "剩 2 个工作日" in html
    assert 'class="dc-due dc-due-overdue"' in html and 'class="dc-due dc-due-soon"' in html
    # the most urgent first
    assert html.index(late.number) < html.index(soon.number) < html.index(fresh.number)
    overdue = client.get("/staff/disclosure/?due=overdue").get_data(as_text=True)
    assert late.number in overdue and soon.number not in overdue
    due_soon = client.get("/staff/disclosure/?due=soon").get_data(as_text=True)
    assert soon.number in due_soon and late.number not in due_soon
    assert fresh.number not in due_soon


def test_filters_and_search(client: FlaskClient, login_as: LoginAs) -> None:
    kiosk = _file_today(info_title="老旧小区改造项目清单")
    posted = workflow.file_application(
        workflow.ApplicationInput(name="李四", id_number=GANZHOU_ID, phone="13900001111",
                                  info_title="河道整治资金",
                                  info_description="河道整治资金安排", consent=True),
        channel="post", received_on=local_today(), actor="clerk")
    workflow.register(posted, "officer")
    login_as(Role.OFFICER)

    def numbers(query: str) -> set[str]:
        html = client.get(f"/staff/disclosure/?{query}").get_data(as_text=True)
        return set(re.findall(r"\d{4}-\d{6}", html)) & {kiosk.number, posted.number}

    assert numbers("") == {kiosk.number, posted.number}
    assert numbers("channel=post") == {posted.number}
    assert numbers("stage=registered") == {posted.number}
    assert numbers("q=河道") == {posted.number}
    assert numbers(f"q={kiosk.number}") == {kiosk.number}
    assert numbers("q=%25") == set()  # a wildcard typed is a character, not "everything"
    assert numbers(f"year={local_today().year}") == {kiosk.number, posted.number}
    assert numbers("hold=supplement") == set()
    for bad in ("stage=nope", "hold=x", "channel=pigeon", "due=later", "year=20x6"):
        assert client.get(f"/staff/disclosure/?{bad}").status_code == 400, bad


# -- entry by staff ---------------------------------------------------------------------------

def _entry(**fields: Any) -> dict[str, Any]:
    base = {"channel": "post", "received_on": local_today().isoformat(),
            "applicant_type": "person", "name": "王五", "id_type": "resident_id",
            "id_number": GANZHOU_ID, "phone": "13800001234",
            "address": "江西省赣州市章贡区水西镇某村3号", "email": "",
            "info_title": "2026年水西镇道路改造批复", "info_doc_number": "",
            "info_description": "道路改造的批复文件", "info_format": "paper", "delivery": "post",
            "consent": "y", "request_key": "entry-1"}
    base.update(fields)
    return base


def test_staff_enter_a_posted_application(client: FlaskClient, login_as: LoginAs) -> None:
    login_as(Role.OFFICER, username="gao")
    form = client.get("/staff/disclosure/new").get_data(as_text=True)
    assert "签收之日" in form and 'autocomplete="off"' in form
    received = local_today() - dt.timedelta(days=3)
    response = _post(client, "/staff/disclosure/new", _entry(received_on=received.isoformat()))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    row = db.session.scalars(select(Application).where(Application.name == "王五")).one()
    assert (row.channel, row.received_on, row.created_by, row.assisted) == (
        "post", received, "gao", False)
    assert row.due_on == load_calendar().add_workdays(received, 20)
    assert response.headers["Location"].endswith(f"/staff/disclosure/{row.id}")
    # the same form sent twice (a double click) files one application
    again = _post(client, "/staff/disclosure/new", _entry(received_on=received.isoformat()))
    assert again.status_code == 303
    assert db.session.scalar(select(db.func.count(Application.id))) == 1
    audit = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "disclosure_file")).one()
    assert audit.actor_name == "gao"


def test_walk_in_filled_in_by_staff(client: FlaskClient, login_as: LoginAs) -> None:
    login_as(Role.OFFICER)
    response = _post(client, "/staff/disclosure/new",
                     _entry(channel="counter", assisted="y", request_key="walk-in"))
    assert response.status_code == 303
    row = db.session.scalars(select(Application)).one()
    assert row.channel == "counter" and row.assisted


@pytest.mark.parametrize(("fields", "message"), [
    ({"id_number": "11010519491231002Y"}, "校验"),
    ({"id_number": "110105194902310020"}, "出生日期"),
    ({"info_title": "", "info_doc_number": "", "info_description": ""}, ""),
    ({"consent": ""}, ""),
    ({"delivery": "email", "email": ""}, ""),
    ({"name": "张" * 10_000}, ""),
    ({"received_on": "2026-02-30"}, "日期无效"),
    ({"channel": "kiosk"}, "请从列表中选择"),
    ({"info_format": "<script>"}, "请从列表中选择"),
])
def test_bad_entries_are_refused_with_a_reason(client: FlaskClient, login_as: LoginAs,
                                               fields: dict[str, str], message: str) -> None:
    login_as(Role.OFFICER)
    response = _post(client, "/staff/disclosure/new", _entry(**fields))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "error-box" in html and message in html, html[html.find("<main"):][:3000]
    assert db.session.scalar(select(db.func.count(Application.id))) == 0


def test_received_date_cannot_be_in_the_future(client: FlaskClient, login_as: LoginAs) -> None:
    login_as(Role.OFFICER)
    tomorrow = local_today() + dt.timedelta(days=1)
    response = _post(client, "/staff/disclosure/new", _entry(received_on=tomorrow.isoformat()))
    assert response.status_code == 422
    assert "收到日期不能晚于今天" in response.get_data(as_text=True)


def test_html_in_fields_is_shown_as_text(client: FlaskClient, login_as: LoginAs) -> None:
    login_as(Role.OFFICER)
    response = _post(client, "/staff/disclosure/new",
                     _entry(info_title="<script>alert(1)</script>", request_key="html"))
    assert response.status_code == 303
    row = db.session.scalars(select(Application)).one()
    html = client.get(f"/staff/disclosure/{row.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# -- personal data ----------------------------------------------------------------------------

def test_case_page_masks_and_reveal_is_audited(client: FlaskClient, login_as: LoginAs) -> None:
    row = _file_today()
    login_as(Role.OFFICER, username="officer.chen")
    url = f"/staff/disclosure/{row.id}"
    html = client.get(url).get_data(as_text=True)
    _full_values_absent(html)
    assert "110105********002X" in html and "138****5678" in html
    assert "张*" in html and "张三" not in html
    response = _post(client, f"{url}/reveal", {"field": "id_number"})
    shown = response.get_data(as_text=True)
    assert response.status_code == 200
    assert VALID_ID in shown and PHONE not in shown
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "disclosure_reveal")).one()
    assert entry.actor_name == "officer.chen" and entry.object_id == str(row.id)
    assert entry.new == {"field": "id_number", "readable": True}
    # shown once: the next page is masked again, and nothing went into a URL
    _full_values_absent(client.get(url).get_data(as_text=True))
    assert _post(client, f"{url}/reveal", {"field": "password"}).status_code == 400
    phone = _post(client, f"{url}/reveal", {"field": "phone"}).get_data(as_text=True)
    assert PHONE in phone and VALID_ID not in phone


def test_events_and_list_never_show_the_full_name(client: FlaskClient,
                                                  login_as: LoginAs) -> None:
    row = to_processing(_file_today(), today=local_today())
    login_as(Role.OFFICER)
    for url in ("/staff/disclosure/", f"/staff/disclosure/{row.id}",
                "/staff/disclosure/?stage=all"):
        html = client.get(url).get_data(as_text=True)
        assert "张三" not in html, url
        _full_values_absent(html)


# -- the steps --------------------------------------------------------------------------------

def _step(client: FlaskClient, row: Application, action: str, **data: Any) -> Any:
    return _post(client, f"/staff/disclosure/{row.id}/step/{action}", data)


def test_register_review_process_answer(client: FlaskClient, login_as: LoginAs) -> None:
    row = _file_today()
    login_as(Role.OFFICER, username="li")
    html = client.get(f"/staff/disclosure/{row.id}").get_data(as_text=True)
    assert 'id="step-register"' in html and 'id="step-answer"' not in html
    assert row.deadline_note in html
    assert _step(client, row, "register", reason="已登记编号").status_code == 303
    assert _step(client, row, "start_review").status_code == 303
    assert _step(client, row, "start_processing").status_code == 303
    html = client.get(f"/staff/disclosure/{row.id}").get_data(as_text=True)
    assert 'id="step-answer"' in html and 'id="step-register"' not in html
    response = _step(client, row, "answer", kind="disclose", deny_reason="",
                     reply_text="现将该清单提供给您。", on=local_today().isoformat())
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    db.session.refresh(row)
    assert (row.stage, row.result, row.replied_by) == (Stage.ANSWERED, "disclose", "li")
    html = client.get(f"/staff/disclosure/{row.id}").get_data(as_text=True)
    assert "已登记编号" in html and "现将该清单提供给您。" in html
    assert html.count("<td>li</td>") == 4  # the history names the officer for each step
    assert f'href="/staff/disclosure/{row.id}/letter"' in html
    actions = [e.action for e in db.session.scalars(
        select(Event).where(Event.application_id == row.id).order_by(Event.id))]
    assert actions == ["file", "register", "start_review", "start_processing", "answer"]


def test_answer_form_needs_what_its_kind_needs(client: FlaskClient, login_as: LoginAs) -> None:
    row = to_processing(_file_today(), today=local_today())
    login_as(Role.OFFICER)
    today = local_today().isoformat()
    deny = _step(client, row, "answer", kind="deny", deny_reason="", reply_text="x", on=today)
    assert deny.status_code == 422
    assert "请选择八类理由中的一项" in deny.get_data(as_text=True)
    elsewhere = _step(client, row, "answer", kind="not_ours", reply_text="x", on=today)
    assert elsewhere.status_code == 422 and "负责公开的机关" in elsewhere.get_data(as_text=True)
    public = _step(client, row, "answer", kind="already_public", reply_text="x", on=today)
    assert public.status_code == 422 and "在哪里获取" in public.get_data(as_text=True)
    no_text = _step(client, row, "answer", kind="disclose", reply_text="", on=today)
    assert no_text.status_code == 422 and "请填写答复正文" in no_text.get_data(as_text=True)
    bad_kind = _step(client, row, "answer", kind="maybe", reply_text="x", on=today)
    assert bad_kind.status_code == 422
    db.session.refresh(row)
    assert row.stage == Stage.PROCESSING
    ok = _step(client, row, "answer", kind="deny", deny_reason="deny_third_party",
               reply_text="涉及个人隐私。", on=today)
    assert ok.status_code == 303
    db.session.refresh(row)
    assert row.result == "deny_third_party" and row.reply_extra["kind"] == "deny"


def test_refusals_are_shown_with_422(client: FlaskClient, login_as: LoginAs) -> None:
    row = _file_today()
    login_as(Role.OFFICER)
    # a step the stage does not allow
    response = _step(client, row, "archive")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "操作没有执行" in html and "此操作只能在" in html
    # the extension: at most 20 working days, and only once
    too_long = _step(client, row, "extend", workdays="25", approved_by="赵主任", reason="复杂")
    assert too_long.status_code == 422 and "20 个工作日" in too_long.get_data(as_text=True)
    assert _step(client, row, "extend", workdays="10", approved_by="赵主任",
                 reason="需要调档").status_code == 303
    twice = _step(client, row, "extend", workdays="5", approved_by="赵主任", reason="再延")
    assert twice.status_code == 422 and "只能延长一次" in twice.get_data(as_text=True)
    # 补正 is told once (Art 30), even after the first one was answered
    due = load_calendar().add_workdays(local_today(), 15).isoformat()
    assert _step(client, row, "request_supplement", what="请写明文号。",
                 due_on=due).status_code == 303
    waiting = _step(client, row, "request_supplement", what="再补一次", due_on=due)
    assert waiting.status_code == 422 and "等待申请人补正" in waiting.get_data(as_text=True)
    assert _step(client, row, "receive_supplement",
                 on=local_today().isoformat()).status_code == 303
    again = _step(client, row, "request_supplement", what="再补一次", due_on=due)
    assert again.status_code == 422 and "一次性告知" in again.get_data(as_text=True)
    # nonsense
    assert _step(client, row, "extend", workdays="abc", approved_by="x",
                 reason="y").status_code == 422
    assert _post(client, f"/staff/disclosure/{row.id}/step/fly").status_code == 404
    assert _post(client, "/staff/disclosure/999999/step/register").status_code == 404


def test_supplement_and_consultation_forms(client: FlaskClient, login_as: LoginAs) -> None:
    today = local_today()
    row = _file_today()
    login_as(Role.OFFICER)
    html = client.get(f"/staff/disclosure/{row.id}").get_data(as_text=True)
    default_due = load_calendar().add_workdays(today, 15).isoformat()
    assert f'value="{default_due}"' in html  # DISCLOSURE_SUPPLEMENT_DAYS working days
    assert _step(client, row, "request_supplement", what="请提供文号。",
                 due_on=default_due).status_code == 303
    db.session.refresh(row)
    assert row.hold == Hold.SUPPLEMENT and row.supplement_due_on.isoformat() == default_due
    html = client.get(f"/staff/disclosure/{row.id}").get_data(as_text=True)
    assert "等待补正" in html and 'id="step-receive_supplement"' in html
    assert _step(client, row, "receive_supplement", on=today.isoformat()).status_code == 303
    db.session.refresh(row)
    assert row.hold == Hold.NONE and row.clock_start == today
    workflow.register(row, "officer")
    assert _step(client, row, "start_consultation", kind="third_party", reason="涉及企业",
                 on=today.isoformat()).status_code == 303
    db.session.refresh(row)
    assert row.hold == Hold.CONSULTATION
    html = client.get(f"/staff/disclosure/{row.id}").get_data(as_text=True)
    assert "期限暂停中" in html and "暂停中" in html
    assert _step(client, row, "end_consultation", on=today.isoformat()).status_code == 303
    db.session.refresh(row)
    assert row.hold == Hold.NONE


# -- attachments ------------------------------------------------------------------------------

def test_attachments_upload_download_delete(client: FlaskClient, login_as: LoginAs) -> None:
    row = to_processing(_file_today(), today=local_today())
    login_as(Role.OFFICER, username="wu")
    url = f"/staff/disclosure/{row.id}/attachments"

    def upload(name: str, data: bytes) -> Any:
        return _post(client, url, {"file": (io.BytesIO(data), name)},
                     content_type="multipart/form-data")

    assert upload("清单.pdf", PDF).status_code == 303
    for name, data, message in (("tool.exe", b"MZ\x90\x00", "不支持这种文件"),
                                ("fake.pdf", b"<html>hi</html>", "扩展名不符"),
                                ("empty.pdf", b"", "文件是空的")):
        response = upload(name, data)
        assert response.status_code == 422, name
        assert message in response.get_data(as_text=True), name
    item = db.session.scalars(select(Attachment)).one()
    assert (item.filename, item.mime, item.uploaded_by) == ("清单.pdf", "application/pdf", "wu")
    download = client.get(f"{url}/{item.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download.headers["Content-Disposition"]
    assert client.get(f"/staff/disclosure/999999/attachments/{item.id}").status_code == 404
    assert _post(client, f"{url}/{item.id}/delete").status_code == 303
    assert db.session.scalar(select(db.func.count(Attachment.id))) == 0
    actions = {e.action for e in db.session.scalars(select(AuditEntry))}
    assert {"disclosure_attach", "disclosure_detach"} <= actions
    # after the answer the released documents are fixed
    assert upload("清单.pdf", PDF).status_code == 303
    workflow.answer(row, "wu", "disclose", "", "见附件。", {}, on=local_today())
    late = upload("补充.pdf", PDF)
    assert late.status_code == 422 and "不能再添加附件" in late.get_data(as_text=True)
    kept = db.session.scalars(select(Attachment)).one()
    assert _post(client, f"{url}/{kept.id}/delete").status_code == 422
    assert db.session.scalar(select(db.func.count(Attachment.id))) == 1


def test_upload_larger_than_the_limit_is_refused(client: FlaskClient, login_as: LoginAs,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staff, "MAX_UPLOAD_BYTES", 2048)  # 20 MB in the real thing
    row = _file_today()
    login_as(Role.OFFICER)
    big = PDF + b"0" * 4096
    response = _post(client, f"/staff/disclosure/{row.id}/attachments",
                     {"file": (io.BytesIO(big), "big.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "文件太大了" in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(Attachment.id))) == 0


# -- the calendar moves open deadlines ----------------------------------------------------------

def test_calendar_override_moves_an_open_due_date(client: FlaskClient,
                                                  login_as: LoginAs) -> None:
    row = _file_today()
    before = row.due_on
    cal = load_calendar()
    day = cal.add_workdays(local_today(), 3)  # a working day inside the 20
    login_as(Role.OFFICER)
    response = _post(client, f"/staff/calendar/{day.year}/set",
                     {"day": day.isoformat(), "kind": "holiday", "note": "本地停电放假"})
    assert response.status_code == 303
    db.session.refresh(row)
    assert row.due_on == load_calendar().add_workdays(before, 1)
    assert row.due_on > before
    page = client.get(f"/staff/disclosure/{row.id}").get_data(as_text=True)
    assert row.due_on.isoformat() in page


def test_closed_and_archived_cases_render(client: FlaskClient, login_as: LoginAs) -> None:
    received = local_today() - dt.timedelta(days=40)
    row = file_one(received)
    workflow.request_supplement(row, "officer", "请写明文号。",
                                received + dt.timedelta(days=10), today=received)
    login_as(Role.OFFICER)
    html = client.get(f"/staff/disclosure/{row.id}").get_data(as_text=True)
    assert "补正期限已过，可终止办理" in html and 'id="step-close_no_supplement"' in html
    assert _step(client, row, "close_no_supplement").status_code == 303
    html = client.get(f"/staff/disclosure/{row.id}").get_data(as_text=True)
    assert "已终止" in html and 'id="step-archive"' in html
    assert _step(client, row, "archive", reason="卷宗已整理").status_code == 303
    html = client.get(f"/staff/disclosure/{row.id}").get_data(as_text=True)
    assert 'id="h-steps"' not in html and "卷宗已整理" in html
    assert row.number in client.get("/staff/disclosure/?stage=archived").get_data(as_text=True)
    assert row.number not in client.get("/staff/disclosure/").get_data(as_text=True)
