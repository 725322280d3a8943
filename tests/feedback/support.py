"""Helpers of the feedback tests: filing through the kiosk form with its CSRF token, and
ready-made consultations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.testing import FlaskClient

from feedback import consultations
from feedback.models import Consultation, ConsultationStatus, Suggestion
from hall.extensions import db
from tests.staff_support import token_in

#: Chinese with a character outside the BMP (𠮷), the ideographic zero and full-width marks.
RARE_TEXT = "建议𠮷祥路〇号窗口增加座椅：老人多，站着排队很辛苦！（谢谢）“盼复”"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def kiosk_token(client: FlaskClient, path: str = "/kiosk/suggest") -> str:
    return token_in(client.get(path).get_data(as_text=True))


def file_suggestion(client: FlaskClient, text: str = RARE_TEXT, *, category: str = "facility",
                    address: str = "127.0.0.1", **extra: Any) -> Any:
    data = {"csrf_token": kiosk_token(client), "category": category, "text": text, **extra}
    return client.post("/kiosk/suggest", data=data, environ_overrides={"REMOTE_ADDR": address})


def last_suggestion() -> Suggestion:
    row = db.session.query(Suggestion).order_by(Suggestion.id.desc()).first()
    assert row is not None
    return row


def make_consultation(*, status: str = ConsultationStatus.OPEN.value,
                      title: str = "关于调整老年人乘车优惠政策的征求意见稿",
                      **fields: Any) -> Consultation:
    now = dt.datetime.now(dt.UTC)
    fields.setdefault("body_html", "<p>第一条 为了……</p>")
    fields.setdefault("opens_at", now - dt.timedelta(days=1))
    fields.setdefault("closes_at", now + dt.timedelta(days=10))
    row = Consultation(title=title, status=status, issuer="区交通运输局", **fields)
    consultations.save(row, {})
    return row
