"""Forms of the feedback staff pages. Every field is checked on the server with a Chinese
message; times are typed in the hall's time (Asia/Shanghai) and stored as aware UTC."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, Field, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import DateTimeLocalInput

from feedback.models import Consultation
from hall.forms import Choice, DayField, ParsedField, StaffForm
from hall.timefmt import HALL_TZ, local

MAX_TITLE = 300
MAX_BODY = 200_000


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _length(limit: int) -> Length:
    return Length(max=limit, message=_l("最多 %(max)d 个字（现在 %(length)d 个）。"))


class LocalDateTimeField(ParsedField):
    """A ``datetime-local`` input in the hall's time; data is aware UTC."""

    widget = DateTimeLocalInput()

    def show(self, value: dt.datetime) -> str:
        return local(value).strftime("%Y-%m-%dT%H:%M")

    def parse(self, text: str) -> dt.datetime:
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            value = None
        if value is None or not 2000 <= value.year <= 2100:
            raise ValueError(_("时间无效，请按“年-月-日 时:分”填写。"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=HALL_TZ)
        return value.astimezone(dt.UTC)


class AssignForm(StaffForm):
    assignee = Choice(_l("承办人"))


class DeadlineForm(StaffForm):
    due_on = DayField(_l("办理期限"), validators=[DataRequired(_l("此项必填。"))])


class ReplyForm(StaffForm):
    reply = TextAreaField(_l("答复内容"), filters=[_strip],
                          validators=[DataRequired(_l("请填写答复内容。")), _length(2000)])
    public = BooleanField(_l("公开答复（可在自助终端和大厅屏幕上发布，不含联系方式）"))


class ConsultationForm(StaffForm):
    title = StringField(_l("标题"), filters=[_strip],
                        validators=[DataRequired(_l("此项必填。")), _length(MAX_TITLE)])
    issuer = StringField(_l("征求意见单位"), filters=[_strip], validators=[_length(200)])
    body_html = TextAreaField(_l("征求意见稿正文（HTML）"), validators=[_length(MAX_BODY)])
    explanation = TextAreaField(_l("起草说明"), filters=[_strip], validators=[_length(20_000)])
    opens_at = LocalDateTimeField(_l("开始时间"))
    closes_at = LocalDateTimeField(_l("截止时间"))

    hints = {
        "body_html": _l("可用段落、标题、列表、表格和链接；脚本和样式会被去掉。"),
        "explanation": _l("纯文本：为什么起草、主要内容、需要重点听取意见的问题。"),
        "opens_at": _l("不填则在点击“开始征求意见”时开始。"),
        "closes_at": _l("截止后不再接收意见。"),
    }

    def validate_closes_at(self, field: Field) -> None:
        if field.data is not None and self.opens_at.data is not None \
                and field.data <= self.opens_at.data:
            raise ValidationError(_("截止时间必须晚于开始时间。"))

    def load(self, row: Consultation) -> None:
        for name in ("title", "issuer", "body_html", "explanation", "opens_at", "closes_at"):
            self[name].data = getattr(row, name)

    def fields(self) -> dict[str, Any]:
        return {"title": self.title.data, "issuer": self.issuer.data or "",
                "body_html": self.body_html.data or "",
                "explanation": self.explanation.data or "",
                "opens_at": self.opens_at.data, "closes_at": self.closes_at.data}


class SummaryForm(StaffForm):
    summary = TextAreaField(_l("意见汇总"), filters=[_strip], validators=[_length(20_000)])
    adoption = TextAreaField(_l("采纳情况"), filters=[_strip], validators=[_length(20_000)])


class DocumentForm(StaffForm):
    title = StringField(_l("文件标题"), filters=[_strip], validators=[_length(200)])
    file = FileField(_l("文件"))
