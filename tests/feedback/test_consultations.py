"""Public consultation: staff create, open, close and summarise; citizens comment only while
it is open (the server refuses otherwise, with a clear message); documents pass a type
allow-list; the comments export is CSV with a BOM that parses back."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback import consultations
from feedback.errors import FeedbackError
from feedback.models import Comment, Consultation, ConsultationStatus
from hall.extensions import db
from hall.models import AuditEntry, Role
from tests.feedback.support import IMG, RARE_TEXT, SCRIPT, kiosk_token, make_consultation
from tests.staff_support import csrf_token

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _comment(client: FlaskClient, row: Consultation, text: str = RARE_TEXT,
             **extra: Any) -> Any:
    token = kiosk_token(client, f"/kiosk/consult/{row.id}")
    return client.post(f"/kiosk/consult/{row.id}/comment",
                       data={"csrf_token": token, "text": text, **extra})


def _count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Comment)) or 0)


def test_open_consultation_takes_a_comment(client: FlaskClient) -> None:
    row = make_consultation()
    page = client.get(f"/kiosk/consult/{row.id}").get_data(as_text=True)
    assert "comment-form" in page and "征求中" in page
    response = _comment(client, row)
    assert response.status_code == 303
    stored = db.session.scalars(select(Comment)).one()
    assert stored.text == RARE_TEXT and stored.consultation_id == row.id
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "您的意见已提交" in thanks


@pytest.mark.parametrize("how", ["status", "date"])
def test_closed_consultation_refuses_comments(client: FlaskClient, how: str) -> None:
    row = make_consultation()
    token = kiosk_token(client, f"/kiosk/consult/{row.id}")  # the page was open on screen
    if how == "status":
        consultations.close(row)
    else:
        row.closes_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        db.session.commit()
    response = client.post(f"/kiosk/consult/{row.id}/comment",
                           data={"csrf_token": token, "text": "还来得及吗？我还有意见。"})
    assert response.status_code == 409
    assert "已经结束，不再接收意见" in response.get_data(as_text=True)
    assert _count() == 0
    page = client.get(f"/kiosk/consult/{row.id}").get_data(as_text=True)
    assert "fb-closed" in page and 'name="text"' not in page


def test_not_yet_open_consultation_refuses_comments(client: FlaskClient) -> None:
    row = make_consultation(opens_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    response = _comment(client, row)
    assert response.status_code == 409
    assert _count() == 0


def test_drafts_are_not_shown_on_the_kiosk(client: FlaskClient) -> None:
    row = make_consultation(status=ConsultationStatus.DRAFT.value, title="内部草稿")
    assert client.get(f"/kiosk/consult/{row.id}").status_code == 404
    assert "内部草稿" not in client.get("/kiosk/consult").get_data(as_text=True)


def test_closed_shows_summary_and_adoption(client: FlaskClient) -> None:
    row = make_consultation()
    consultations.close(row)
    consultations.summarise(row, "共收到意见 12 条。" + SCRIPT, "采纳 5 条：" + IMG)
    page = client.get(f"/kiosk/consult/{row.id}").get_data(as_text=True)
    assert "意见汇总" in page and "采纳情况" in page and "共收到意见 12 条。" in page
    assert SCRIPT not in page and IMG not in page


def test_comment_rate_limit(app: Flask, client: FlaskClient) -> None:
    app.config["COMMENT_RATE_LIMIT"] = "1 per minute"
    row = make_consultation()
    assert _comment(client, row).status_code == 303
    again = _comment(client, row)
    assert again.status_code == 429 and "操作太频繁了" in again.get_data(as_text=True)
    assert _count() == 1


def test_staff_create_open_close_and_summarise(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.EDITOR)
    token = csrf_token(client)
    created = client.post("/staff/feedback/consultations/new", data={
        "csrf_token": token, "title": "关于〇〇的征求意见稿",
        "body_html": '<p onclick="x()">正文<script>alert(1)</script></p>',
        "explanation": "起草说明。", "closes_at": "2099-01-01T17:00"})
    assert created.status_code == 303, created.get_data(as_text=True)[:2000]
    row = db.session.scalars(select(Consultation)).one()
    assert row.status == ConsultationStatus.DRAFT
    assert "<script" not in row.body_html and "onclick" not in row.body_html
    base = f"/staff/feedback/consultations/{row.id}"
    client.post(base + "/open", data={"csrf_token": token})
    db.session.refresh(row)
    assert row.status == ConsultationStatus.OPEN and row.opens_at is not None
    client.post(base + "/close", data={"csrf_token": token})
    db.session.refresh(row)
    assert row.status == ConsultationStatus.CLOSED
    client.post(base + "/summary", data={"csrf_token": token, "summary": "汇总。",
                                         "adoption": "全部采纳。"})
    db.session.refresh(row)
    assert row.adoption == "全部采纳。"
    actions = set(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "feedback_consultation")))
    assert {"create", "open", "close", "update"} <= actions


def test_bad_dates_are_a_clear_422(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.OFFICER)
    response = client.post("/staff/feedback/consultations/new", data={
        "csrf_token": csrf_token(client), "title": "标题", "opens_at": "2030-01-02T00:00",
        "closes_at": "2030-01-01T00:00"})
    assert response.status_code == 422
    assert "截止时间必须晚于开始时间" in response.get_data(as_text=True)
    bad = client.post("/staff/feedback/consultations/new", data={
        "csrf_token": csrf_token(client), "title": "标题", "opens_at": "明天"})
    assert bad.status_code == 422 and "时间无效" in bad.get_data(as_text=True)


def test_documents_type_allow_list(client: FlaskClient, login_as: Any) -> None:
    row = make_consultation()
    login_as(Role.EDITOR)
    url = f"/staff/feedback/consultations/{row.id}/documents"
    fake = client.post(url, data={"csrf_token": csrf_token(client), "title": "草案",
                                  "file": (io.BytesIO(b"<html><script>"), "draft.pdf")},
                       content_type="multipart/form-data")
    assert fake.status_code == 422 and "文件内容与扩展名不符" in fake.get_data(as_text=True)
    html = client.post(url, data={"csrf_token": csrf_token(client), "title": "草案",
                                  "file": (io.BytesIO(b"<html>"), "draft.html")},
                       content_type="multipart/form-data")
    assert html.status_code == 422 and "不支持这种文件" in html.get_data(as_text=True)
    good = client.post(url, data={"csrf_token": csrf_token(client), "title": "征求意见稿全文",
                                  "file": (io.BytesIO(PDF), "征求意见稿.pdf")},
                       content_type="multipart/form-data")
    assert good.status_code == 303
    db.session.refresh(row)
    doc = row.documents[0]
    download = client.get(f"/kiosk/consult/{row.id}/documents/{doc.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download.headers["Content-Disposition"]


def test_csv_export_has_a_bom_and_parses(client: FlaskClient, login_as: Any) -> None:
    row = make_consultation()
    _comment(client, row, "=HYPERLINK(\"http://x\")，" + RARE_TEXT, consent="1", name="张三",
             phone="13800001111")
    _comment(client, row, SCRIPT + "\n第二行")
    login_as(Role.EDITOR)
    response = client.get(f"/staff/feedback/consultations/{row.id}/comments.csv")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["序号", "提交时间", "意见内容"]
    assert len(rows) == 3
    assert rows[1][2].startswith("'=HYPERLINK") and RARE_TEXT in rows[1][2]
    assert rows[1][3] == "张三" and rows[1][4] == "138****1111"
    assert rows[2][2] == SCRIPT + "\n第二行"
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "export"))


def test_staff_comments_page_escapes_and_hides(client: FlaskClient, login_as: Any) -> None:
    row = make_consultation()
    _comment(client, row, IMG + " 恶意内容")
    login_as(Role.EDITOR)
    page = client.get(f"/staff/feedback/consultations/{row.id}/comments").get_data(True)
    assert IMG not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    comment = db.session.scalars(select(Comment)).one()
    client.post(f"/staff/feedback/comments/{comment.id}/hide",
                data={"csrf_token": csrf_token(client), "on": "1"})
    db.session.refresh(comment)
    assert comment.hidden


def test_domain_refuses_a_comment_after_closing(app: Flask) -> None:
    row = make_consultation()
    consultations.close(row)
    with pytest.raises(FeedbackError) as refused:
        consultations.add_comment(row, "晚了一步的意见。")
    assert refused.value.code == "closed"
