"""Forms of the staff content editor: one per kind, each validating every field on the server.

Lengths come from the columns in ``content.models``; dates, choices and lists are parsed here
with Chinese messages; the publication state is checked by ``content.schedule``. Each form
turns itself into the fields ``content.services.apply_fields`` sets (``fields()``) and is
filled from a stored object with ``load()``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Field, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import DateTimeLocalInput, TextInput

from content.markdown import editable_source, render
from content.media import MAX_ALT_CHARS
from content.models import (
    CatalogItem,
    Interpretation,
    InterpretationKind,
    Notice,
    Policy,
    PubStatus,
    ServiceGuide,
    Validity,
)
from content.schedule import check_publication, parse_time
from content.transfer_checks import AUDIENCES, CHANNELS, MODES, TIERS
from hall.db import utcnow
from hall.forms import (
    DayField,
    IdSelect,
    ParsedField,
    StaffForm,
    length,
    max_length,
    options,
    required,
    strip,
)
from hall.timefmt import local

#: Plain ``Text`` columns (summary, conditions, …) and Markdown bodies: generous caps.
MAX_TEXT = 20_000
MAX_BODY = 500_000
MAX_LINE = 500
MAX_INT = 2**31 - 1
#: Publication states as the form offers them.
STATUS_LABELS: dict[str, Any] = {
    PubStatus.DRAFT.value: _l("草稿"),
    PubStatus.SCHEDULED.value: _l("定时发布"),
    PubStatus.PUBLISHED.value: _l("已发布"),
    PubStatus.WITHDRAWN.value: _l("已撤回"),
}
#: Text inputs that name a policy by 文号 or title, with the page's list of suggestions.
POLICY_LOOKUP = {"list": "policy-list", "autocomplete": "off"}
_SPLIT = re.compile(r"\s*[|｜]\s*")
_COPIES = re.compile(r"^(\d{1,4})\s*份?$")


class LocalDateTimeField(ParsedField):
    """A ``datetime-local`` input in the hall's time (Asia/Shanghai); data is aware UTC."""

    widget = DateTimeLocalInput()

    def show(self, value: dt.datetime) -> str:
        return local(value).strftime("%Y-%m-%dT%H:%M")

    def parse(self, text: str) -> dt.datetime:
        value = parse_time(text)
        if value is None or not 1900 <= value.year <= 2100:
            raise ValueError(_("时间无效，请按“年-月-日 时:分”填写。"))
        return value


class NumberField(ParsedField):
    """A whole number from 1 up (a 序号)."""

    widget = TextInput()

    def parse(self, text: str) -> int:
        if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_INT:
            raise ValueError(_("请填写一个正整数。"))
        return int(text)


class Choice(SelectField):
    """A select whose value must be one of its choices (Chinese message otherwise)."""

    def pre_validate(self, form: Any) -> None:
        values = {str(choice.value) for choice in self.choices or []}
        if self.data is not None and str(self.data) not in values:
            raise ValidationError(_("请从列表中选择。"))


def _choices(values: tuple[str, ...]) -> list[SelectChoice]:
    return options((v, v) for v in values)


# -- lines ---------------------------------------------------------------------------------


def parse_materials(text: str) -> list[dict[str, Any]]:
    """``名称 | 份数 | 说明`` per line (份数 and 说明 optional) as the stored list.

    :raises ValidationError: naming the first bad line.
    """
    items: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        parts = _SPLIT.split(line)
        copies_text = parts[1] if len(parts) > 1 else ""
        match = _COPIES.match(copies_text) if copies_text else None
        if len(parts) > 3 or not parts[0] or (copies_text and match is None):
            raise ValidationError(_("第 %(n)d 行应为“名称 | 份数 | 说明”，份数是数字。",
                                    n=number))
        copies = int(match.group(1)) if match else 1
        if copies < 1:
            raise ValidationError(_("第 %(n)d 行：份数至少为 1。", n=number))
        if len(line) > MAX_LINE:
            raise ValidationError(_("第 %(n)d 行太长（最多 %(max)d 个字）。", n=number,
                                    max=MAX_LINE))
        items.append({"name": parts[0], "copies": copies,
                      "note": parts[2] if len(parts) > 2 else ""})
    return items


def format_materials(items: list[Any]) -> str:
    lines = []
    for item in items or []:
        if isinstance(item, dict):
            parts = [str(item.get("name", "")), str(item.get("copies", 1))]
            if item.get("note"):
                parts.append(str(item["note"]))
            lines.append(" | ".join(parts))
        else:
            lines.append(str(item))
    return "\n".join(lines)


def parse_lines(text: str, allowed: tuple[str, ...] | None = None) -> list[str]:
    """Non-empty trimmed lines (duplicates once); with ``allowed``, each must be one of them."""
    found: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if len(line) > MAX_LINE:
            raise ValidationError(_("第 %(n)d 行太长（最多 %(max)d 个字）。", n=number,
                                    max=MAX_LINE))
        if allowed is not None and line not in allowed:
            raise ValidationError(_("第 %(n)d 行“%(value)s”不是标准的公开渠道。", n=number,
                                    value=line))
        if line not in found:
            found.append(line)
    return found


# -- forms ---------------------------------------------------------------------------------


class ContentForm(StaffForm):
    """Common ground: how the page groups fields (the error list comes from StaffForm)."""

    #: (legend, field names) in page order; "body" is the Markdown editor.
    sections: list[tuple[Any, list[str]]] = []
    hints: dict[str, Any] = {}

    def load(self, obj: Any) -> None:
        """Fill the fields from a stored object (for GET of the edit page)."""
        raise NotImplementedError

    def fields(self) -> dict[str, Any]:
        """The model attributes to set from the validated data."""
        raise NotImplementedError


class PublicationForm(ContentForm):
    """Status, publish and expiry time, checked together by ``check_publication``."""

    status = Choice(_l("发布状态"), choices=options(STATUS_LABELS.items()),
                    default=PubStatus.DRAFT.value)
    publish_at = LocalDateTimeField(_l("发布时间"))
    expire_at = LocalDateTimeField(_l("下线时间"))

    PUBLICATION = (_l("发布"), ["status", "publish_at", "expire_at"])

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.status.errors or self.publish_at.errors or self.expire_at.errors:
            return False
        problems = check_publication(self.status.data, self.publish_at.data,
                                     self.expire_at.data, utcnow())
        self.status.errors = list(self.status.errors) + problems
        return ok and not problems

    def load_publication(self, obj: Any) -> None:
        self.status.data = obj.status.value if obj.status else PubStatus.DRAFT.value
        self.publish_at.data = obj.publish_at
        self.expire_at.data = obj.expire_at

    def publication(self) -> dict[str, Any]:
        return {"status": PubStatus(self.status.data), "publish_at": self.publish_at.data,
                "expire_at": self.expire_at.data}


def _body_fields(body: str) -> dict[str, str]:
    return {"body_md": body, "body_html": render(body)}


class PolicyForm(PublicationForm):
    title = StringField(_l("标题"), filters=[strip],
                        validators=[required(), length(max_length(Policy.title))])
    doc_number = StringField(_l("文号"), filters=[strip],
                             validators=[length(max_length(Policy.doc_number))])
    issuer = IdSelect(_l("发文机关"), optional=False)
    category = IdSelect(_l("目录分类"))
    issued_on = DayField(_l("成文日期"), validators=[required()])
    effective_on = DayField(_l("施行日期"))
    validity = Choice(_l("效力"), choices=_choices(tuple(v.value for v in Validity)),
                      default=Validity.VALID.value)
    replaced_by = StringField(_l("被替代为"), filters=[strip], render_kw=POLICY_LOOKUP,
                              validators=[length(max_length(Policy.title))])
    summary = TextAreaField(_l("摘要"), filters=[strip], validators=[length(MAX_TEXT)])
    body = TextAreaField(_l("正文"), validators=[length(MAX_BODY)])
    source_url = StringField(_l("原文链接"), filters=[strip],
                             validators=[length(max_length(Policy.source_url))])

    sections = [
        (_l("文件"), ["title", "doc_number", "issuer", "category", "issued_on", "effective_on"]),
        (_l("效力"), ["validity", "replaced_by"]),
        (_l("内容"), ["summary", "body", "source_url"]),
        PublicationForm.PUBLICATION,
    ]
    hints = {
        "replaced_by": _l("失效或废止的文件可填写替代它的文件：输入文号或完整标题。"),
        "source_url": _l("以 http:// 或 https:// 开头，可不填。"),
    }

    #: The id the ``replaced_by`` text names (set by the view after looking it up).
    replaced_by_id: int | None = None

    def validate_source_url(self, field: Field) -> None:
        if field.data and not re.match(r"^https?://[^\s]+$", field.data, re.IGNORECASE):
            raise ValidationError(_("链接应以 http:// 或 https:// 开头，且不含空格。"))

    def validate_replaced_by(self, field: Field) -> None:
        if field.data and self.validity.data == Validity.VALID.value:
            raise ValidationError(_("只有失效或废止的文件才能填写替代文件。"))

    def load(self, obj: Policy) -> None:
        self.title.data, self.doc_number.data = obj.title, obj.doc_number
        self.issuer.data, self.category.data = obj.issuer_id, obj.category_id
        self.issued_on.data, self.effective_on.data = obj.issued_on, obj.effective_on
        self.validity.data = obj.validity.value if obj.validity else Validity.VALID.value
        self.replaced_by.data = policy_label(obj.replaced_by)
        self.summary.data, self.source_url.data = obj.summary, obj.source_url
        self.body.data = editable_source(obj.body_md, obj.body_html)
        self.load_publication(obj)

    def fields(self) -> dict[str, Any]:
        return {
            "title": self.title.data, "doc_number": self.doc_number.data or "",
            "issuer_id": self.issuer.data, "category_id": self.category.data,
            "issued_on": self.issued_on.data, "effective_on": self.effective_on.data,
            "validity": Validity(self.validity.data), "replaced_by_id": self.replaced_by_id,
            "summary": self.summary.data or "", "source_url": self.source_url.data or "",
            **_body_fields(self.body.data or ""), **self.publication(),
        }


def policy_label(policy: Policy | None) -> str:
    """How the form names a linked policy: its 文号, or its title when it has none."""
    if policy is None:
        return ""
    return policy.doc_number or policy.title


class InterpretationForm(PublicationForm):
    title = StringField(_l("标题"), filters=[strip],
                        validators=[required(), length(max_length(Interpretation.title))])
    kind = Choice(_l("解读形式"), choices=_choices(tuple(k.value for k in InterpretationKind)),
                  default=InterpretationKind.TEXT.value)
    author = StringField(_l("解读机关或作者"), filters=[strip],
                         validators=[length(max_length(Interpretation.author))])
    policy = StringField(_l("所解读的政策"), filters=[strip], render_kw=POLICY_LOOKUP,
                         validators=[length(max_length(Policy.title))])
    published_on = DayField(_l("发布日期"), validators=[required()])
    body = TextAreaField(_l("正文"), validators=[length(MAX_BODY)])
    image = Choice(_l("图解图片"))
    image_alt = TextAreaField(_l("图片的替代文字"), filters=[strip],
                              validators=[length(MAX_ALT_CHARS)])
    video = Choice(_l("短视频"))

    sections = [
        (_l("解读"), ["title", "kind", "author", "policy", "published_on"]),
        (_l("内容"), ["body", "image", "image_alt", "video"]),
        PublicationForm.PUBLICATION,
    ]
    hints = {
        "policy": _l("输入所解读政策的文号或完整标题，可不填。"),
        "image": _l("从“图片视频”中已上传的图片里选择。"),
        "image_alt": _l("给看不见图片的人读的文字：说清图中的要点。选了图片就必须填写。"),
        "video": _l("从“图片视频”中已上传的视频里选择。"),
    }

    policy_id: int | None = None

    def validate_image_alt(self, field: Field) -> None:
        if self.image.data and not field.data:
            raise ValidationError(_("选了图片，就要填写替代文字。"))

    def load(self, obj: Interpretation) -> None:
        self.title.data, self.author.data = obj.title, obj.author
        self.kind.data = obj.kind.value if obj.kind else InterpretationKind.TEXT.value
        self.policy.data = policy_label(obj.policy)
        self.published_on.data = obj.published_on
        self.body.data = editable_source(obj.body_md, obj.body_html)
        self.image.data, self.image_alt.data, self.video.data = (
            obj.image, obj.image_alt, obj.video)
        self.load_publication(obj)

    def fields(self) -> dict[str, Any]:
        return {
            "title": self.title.data, "kind": InterpretationKind(self.kind.data),
            "author": self.author.data or "", "policy_id": self.policy_id,
            "published_on": self.published_on.data, "image": self.image.data or "",
            "image_alt": self.image_alt.data or "", "video": self.video.data or "",
            **_body_fields(self.body.data or ""), **self.publication(),
        }


class GuideForm(PublicationForm):
    title = StringField(_l("事项名称"), filters=[strip],
                        validators=[required(), length(max_length(ServiceGuide.title))])
    agency = IdSelect(_l("办理机关"), optional=False)
    category = IdSelect(_l("目录分类"))
    conditions = TextAreaField(_l("受理条件"), filters=[strip], validators=[length(MAX_TEXT)])
    materials = TextAreaField(_l("申请材料"), validators=[length(MAX_TEXT)])
    steps = TextAreaField(_l("办理流程"), validators=[length(MAX_TEXT)])
    basis = TextAreaField(_l("设定依据"), filters=[strip], validators=[length(MAX_TEXT)])
    time_limit = StringField(_l("办理时限"), filters=[strip],
                             validators=[length(max_length(ServiceGuide.time_limit))])
    fee = StringField(_l("收费标准"), filters=[strip],
                      validators=[length(max_length(ServiceGuide.fee))])
    place = StringField(_l("办理地点"), filters=[strip],
                        validators=[length(max_length(ServiceGuide.place))])
    hours = StringField(_l("办理时间"), filters=[strip],
                        validators=[length(max_length(ServiceGuide.hours))])
    phone = StringField(_l("咨询电话"), filters=[strip],
                        validators=[length(max_length(ServiceGuide.phone))])

    sections = [
        (_l("事项"), ["title", "agency", "category"]),
        (_l("办理"), ["conditions", "materials", "steps", "basis"]),
        (_l("时间地点"), ["time_limit", "fee", "place", "hours", "phone"]),
        PublicationForm.PUBLICATION,
    ]
    hints = {
        "materials": _l("每行一项：名称 | 份数 | 说明（份数、说明可省略），"
                        "例如：身份证 | 1 | 原件"),
        "steps": _l("每行一步，按办理顺序。"),
    }

    parsed_materials: list[dict[str, Any]] = []
    parsed_steps: list[str] = []

    def validate_materials(self, field: Field) -> None:
        self.parsed_materials = parse_materials(field.data or "")

    def validate_steps(self, field: Field) -> None:
        self.parsed_steps = parse_lines(field.data or "")

    def load(self, obj: ServiceGuide) -> None:
        self.title.data, self.agency.data, self.category.data = (
            obj.title, obj.agency_id, obj.category_id)
        self.conditions.data, self.basis.data = obj.conditions, obj.basis
        self.materials.data = format_materials(obj.materials)
        self.steps.data = "\n".join(str(s) for s in obj.steps or [])
        for name in ("time_limit", "fee", "place", "hours", "phone"):
            getattr(self, name).data = getattr(obj, name)
        self.load_publication(obj)

    def fields(self) -> dict[str, Any]:
        return {
            "title": self.title.data, "agency_id": self.agency.data,
            "category_id": self.category.data, "conditions": self.conditions.data or "",
            "basis": self.basis.data or "", "materials": self.parsed_materials,
            "steps": self.parsed_steps,
            **{name: getattr(self, name).data or ""
               for name in ("time_limit", "fee", "place", "hours", "phone")},
            **self.publication(),
        }


class NoticeForm(PublicationForm):
    title = StringField(_l("标题"), filters=[strip],
                        validators=[required(), length(max_length(Notice.title))])
    agency = IdSelect(_l("发布机关"))
    published_on = DayField(_l("发布日期"), validators=[required()])
    expires_on = DayField(_l("有效期至"))
    body = TextAreaField(_l("正文"), validators=[length(MAX_BODY)])

    sections = [
        (_l("通知"), ["title", "agency", "published_on", "expires_on"]),
        (_l("内容"), ["body"]),
        PublicationForm.PUBLICATION,
    ]
    hints = {"expires_on": _l("过了这一天，通知不再列在通知公告里；可不填。")}

    def validate_expires_on(self, field: Field) -> None:
        if field.data and self.published_on.data and field.data < self.published_on.data:
            raise ValidationError(_("不能早于发布日期。"))

    def load(self, obj: Notice) -> None:
        self.title.data, self.agency.data = obj.title, obj.agency_id
        self.published_on.data, self.expires_on.data = obj.published_on, obj.expires_on
        self.body.data = editable_source(obj.body_md, obj.body_html)
        self.load_publication(obj)

    def fields(self) -> dict[str, Any]:
        return {
            "title": self.title.data, "agency_id": self.agency.data,
            "published_on": self.published_on.data, "expires_on": self.expires_on.data,
            **_body_fields(self.body.data or ""), **self.publication(),
        }


class CatalogForm(ContentForm):
    seq = NumberField(_l("序号"), validators=[required()])
    category = IdSelect(_l("事项分类"), optional=False)
    content = TextAreaField(_l("公开内容（要素）"), filters=[strip],
                            validators=[required(), length(MAX_TEXT)])
    basis = TextAreaField(_l("公开依据"), filters=[strip], validators=[length(MAX_TEXT)])
    time_limit = StringField(_l("公开时限"), filters=[strip],
                             validators=[length(max_length(CatalogItem.time_limit))])
    subject = StringField(_l("公开主体"), filters=[strip],
                          validators=[length(max_length(CatalogItem.subject))])
    channels = TextAreaField(_l("公开渠道和载体"), validators=[length(MAX_TEXT)])
    audience = Choice(_l("公开对象"), choices=_choices(AUDIENCES), default=AUDIENCES[0])
    mode = Choice(_l("公开方式"), choices=_choices(MODES), default=MODES[0])
    tier = Choice(_l("公开层级"), choices=_choices(TIERS), default=TIERS[0])

    sections = [
        (_l("目录事项"), ["seq", "category", "content", "basis", "time_limit", "subject"]),
        (_l("公开方式"), ["channels", "audience", "mode", "tier"]),
    ]
    hints = {"channels": _l("每行一个，可选：%(channels)s", channels="、".join(CHANNELS))}

    parsed_channels: list[str] = []

    def validate_channels(self, field: Field) -> None:
        self.parsed_channels = parse_lines(field.data or "", CHANNELS)

    def load(self, obj: CatalogItem) -> None:
        self.seq.data, self.category.data = obj.seq, obj.category_id
        self.content.data, self.basis.data = obj.content, obj.basis
        self.time_limit.data, self.subject.data = obj.time_limit, obj.subject
        self.channels.data = "\n".join(obj.channels or [])
        self.audience.data, self.mode.data, self.tier.data = obj.audience, obj.mode, obj.tier

    def fields(self) -> dict[str, Any]:
        return {
            "seq": self.seq.data, "category_id": self.category.data,
            "content": self.content.data, "basis": self.basis.data or "",
            "time_limit": self.time_limit.data or "", "subject": self.subject.data or "",
            "channels": self.parsed_channels, "audience": self.audience.data,
            "mode": self.mode.data, "tier": self.tier.data,
        }
