"""Forms of the disclosure staff pages. Each is checked on the server with a Chinese message;
the rules of the case itself (Art 29's required items, Art 30's 7 working days, the single
extension …) are the workflow's, which refuses with its own message."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from disclosure.models import ApplicantType, Channel
from disclosure.personal import ID_TYPES
from disclosure.results import APPLICANT_COLUMNS, ART36_KINDS, RESULT_ROWS
from disclosure.workflow import CONSULTATION_KINDS, DELIVERIES, FORMATS
from hall.forms import Choice, DayField, StaffForm

#: Channels staff enter by hand (the kiosk files its own), with Art 31's day received.
STAFF_CHANNELS: list[tuple[str, Any]] = [
    (Channel.COUNTER.value, _l("当面提交 / 代为填写（收到日 = 当天）")),
    (Channel.POST.value, _l("邮寄（收到日 = 签收之日）")),
    (Channel.ONLINE.value, _l("网上申请（收到日 = 双方确认之日）")),
    (Channel.FAX.value, _l("传真（收到日 = 双方确认之日）")),
]
DENY_REASONS = [(r.code, r.label) for r in RESULT_ROWS if r.leaf and r.group == "deny"]
#: The personal fields a disclosure officer may reveal (each look is logged): the masked
#: column shown instead, and the label.
SEALED_FIELDS: dict[str, tuple[str, Any]] = {
    "id_number": ("id_masked", _l("证件号码")), "phone": ("phone_masked", _l("联系电话")),
    "address": ("address_masked", _l("通信地址")), "email": ("email_masked", _l("电子邮箱"))}


def options(pairs: Any) -> list[SelectChoice]:
    """Select options from ``(value, label)`` pairs."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _length(limit: int) -> Length:
    return Length(max=limit, message=_l("最多 %(max)d 个字（现在 %(length)d 个）。"))


_required = DataRequired(_l("此项必填。"))
#: For parsed fields: DataRequired would replace a parse error ("日期无效") with "必填".
_typed = InputRequired(_l("此项必填。"))
#: Personal fields are never remembered by the browser (a shared desk PC).
_PRIVATE = {"autocomplete": "off", "spellcheck": "false"}


class ApplicationForm(StaffForm):
    """An application received on paper, by post, online or fax, or filled in for a walk-in
    applicant (代为填写). The applicant's items are checked by ``workflow.validate``."""

    channel = Choice(_l("收到方式"), choices=options(STAFF_CHANNELS), default=Channel.COUNTER.value)
    received_on = DayField(_l("收到日期"), validators=[_typed])
    assisted = BooleanField(_l("申请人当面口头申请，由工作人员代为填写"))
    applicant_type = Choice(_l("申请人类型"), default=ApplicantType.PERSON.value,
                            choices=options([
                                (ApplicantType.PERSON.value, _l("自然人")),
                                *((code, _l("法人或其他组织：%(kind)s", kind=label))
                                  for code, label in APPLICANT_COLUMNS[1:])]))
    name = StringField(_l("姓名或名称"), filters=[_strip], render_kw=_PRIVATE)
    contact_person = StringField(_l("联系人（法人或其他组织）"), filters=[_strip],
                                 render_kw=_PRIVATE)
    id_type = Choice(_l("证件类型"), choices=options(ID_TYPES), default="resident_id")
    id_number = StringField(_l("证件号码"), filters=[_strip], render_kw=_PRIVATE)
    phone = StringField(_l("联系电话"), filters=[_strip], render_kw=_PRIVATE)
    address = StringField(_l("通信地址"), filters=[_strip], render_kw=_PRIVATE)
    email = StringField(_l("电子邮箱"), filters=[_strip], render_kw=_PRIVATE)
    info_title = StringField(_l("所需信息的名称"), filters=[_strip])
    info_doc_number = StringField(_l("文号"), filters=[_strip])
    info_description = TextAreaField(_l("所需信息的描述"), filters=[_strip])
    info_format = Choice(_l("信息形式"), choices=options(FORMATS), default="paper")
    delivery = Choice(_l("获取方式"), choices=options(DELIVERIES), default="pickup")
    consent = BooleanField(_l("申请人已知悉并同意为办理申请处理其个人信息"))

    #: Fields that hold personal data: never autocompleted by the browser.
    PERSONAL = ("name", "contact_person", "id_number", "phone", "address", "email")
    #: The ApplicationInput fields this form fills.
    INPUT = ("applicant_type", "name", "contact_person", "id_type", "id_number", "phone",
             "address", "email", "info_title", "info_doc_number", "info_description",
             "info_format", "delivery", "consent")

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: self[name].data or "" for name in self.INPUT}
        out["consent"] = bool(self.consent.data)
        return out


class ReasonForm(StaffForm):
    """A step that needs only an optional note (登记, 审核, 办理, 归档 …)."""

    reason = TextAreaField(_l("说明（可不填）"), filters=[_strip], validators=[_length(500)])


class SupplementRequestForm(StaffForm):
    what = TextAreaField(_l("需要补正的内容（一次性告知）"), filters=[_strip],
                         validators=[DataRequired(_l("请写明需要补正的内容。")), _length(2000)])
    due_on = DayField(_l("补正期限"), validators=[_typed])


class DayForm(StaffForm):
    """A step that happens on a day: the supplement arrived, a consultation ended."""

    on = DayField(_l("日期"), validators=[_typed])
    reason = TextAreaField(_l("说明（可不填）"), filters=[_strip], validators=[_length(500)])


class ConsultationForm(StaffForm):
    kind = Choice(_l("征求意见对象"), choices=options(CONSULTATION_KINDS), default="third_party")
    reason = TextAreaField(_l("征求意见的事由"), filters=[_strip],
                           validators=[DataRequired(_l("请写明征求意见的事由。")),
                                       _length(1000)])
    on = DayField(_l("开始日期"), validators=[_typed])


class ExtendForm(StaffForm):
    workdays = IntegerField(_l("延长工作日数"), validators=[
        InputRequired(_l("请填写延长的工作日数。")),
        NumberRange(1, 20, _l("延长期限最长不超过 20 个工作日（第三十三条）。"))])
    approved_by = StringField(_l("批准人（政府信息公开工作机构负责人）"), filters=[_strip],
                              validators=[DataRequired(_l("请填写批准人。")), _length(100)])
    reason = TextAreaField(_l("延长理由（将告知申请人）"), filters=[_strip],
                           validators=[DataRequired(_l("请写明延长理由。")), _length(1000)])


class AnswerForm(StaffForm):
    kind = Choice(_l("答复类型（第三十六条）"),
                  choices=options((code, label) for code, label, _row in ART36_KINDS))
    deny_reason = Choice(_l("不予公开的理由"),
                         choices=options([("", _l("（请选择）")), *DENY_REASONS]))
    agency = StringField(_l("负责公开该信息的机关及联系方式"), filters=[_strip],
                         validators=[_length(300)])
    where = StringField(_l("获取途径（已主动公开的位置，如网站栏目、公报期号）"),
                        filters=[_strip], validators=[_length(300)])
    reply_text = TextAreaField(_l("答复正文"), filters=[_strip],
                               validators=[DataRequired(_l("请填写答复正文。")),
                                           _length(5000)])
    on = DayField(_l("答复日期"), validators=[_typed])

    def validate_deny_reason(self, field: Any) -> None:
        if self.kind.data == "deny" and not field.data:
            raise ValidationError(_("不予公开时，请选择八类理由中的一项。"))

    def validate_agency(self, field: Any) -> None:
        if self.kind.data == "not_ours" and not field.data:
            raise ValidationError(
                _("不属于本机关时，请写明负责公开的机关（不能确定的写“不能确定”）。"))

    def validate_where(self, field: Any) -> None:
        if self.kind.data in {"already_public", "publication"} and not field.data:
            raise ValidationError(_("请写明申请人可以在哪里获取该信息。"))

    def result(self) -> str:
        """The report row: fixed by the kind, or the chosen reason for a refusal."""
        if self.kind.data == "deny":
            return str(self.deny_reason.data)
        return next(row for code, _label, row in ART36_KINDS if code == self.kind.data)

    def extra(self) -> dict[str, str]:
        out = {"kind": str(self.kind.data)}
        if self.kind.data == "not_ours":
            out["agency"] = self.agency.data or ""
        if self.kind.data in {"already_public", "publication"}:
            out["where"] = self.where.data or ""
        if self.kind.data == "partial" and self.deny_reason.data:
            out["deny_reason"] = str(self.deny_reason.data)
        return out


class AttachmentForm(StaffForm):
    file = FileField(_l("文件（PDF、图片、Office 文档或 ZIP，最大 20 MB）"))


class RevealForm(StaffForm):
    field = Choice(_l("字段"),
                   choices=options((k, label) for k, (_col, label) in SEALED_FIELDS.items()))
