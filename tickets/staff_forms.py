"""Forms of the queue's staff pages: the counter's moves (open a window, transfer, call a
number) and the settings (services, windows, priority categories, appointments).

Every field is checked on the server with a Chinese message; the view adds what needs the
database (a prefix or number already taken). Settings forms fill themselves from a row with
``load()`` and give the attributes to set with ``fields()``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Field, SelectMultipleField, StringField
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from hall.forms import (
    ClockField,
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
from tickets.models import Appointment, PriorityCategory, Service, Window

WEEKDAY_LABELS = [_l("周一"), _l("周二"), _l("周三"), _l("周四"), _l("周五"), _l("周六"),
                  _l("周日")]
ALL_WEEKDAYS = 0b1111111
#: A service code is part of the JSON API (``{"service": "gk"}``): a plain slug.
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
PREFIX = re.compile(r"^[A-Z]$")
#: A ticket number as a clerk types it: a letter and digits (``a12`` is read as ``A012``).
NUMBER = re.compile(r"^([A-Za-z])\s*0*(\d{1,4})$")
#: What an appointment note must not hold: an ID number or a mobile phone number.
PERSONAL = re.compile(r"\d{17}[\dXx]|\d{15}|(?<!\d)1[3-9]\d{9}(?!\d)")
MAX_MINUTES = 240
MAX_LIMIT = 9999
MAX_WINDOW = 999


class WholeNumberField(ParsedField):
    """A whole number (empty: None); each form checks the range."""

    widget = TextInput()

    def parse(self, text: str) -> int:
        if not text.isascii() or not text.isdigit() or len(text) > 6:
            raise ValueError(_("请填写一个整数。"))
        return int(text)



class IdsField(SelectMultipleField):
    """Checkboxes of database ids (choices set by the view)."""

    def __init__(self, label: Any, **kwargs: Any) -> None:
        super().__init__(label, coerce=str, widget=ListWidget(prefix_label=False),
                         option_widget=CheckboxInput(), **kwargs)

    def pre_validate(self, form: Any) -> None:
        allowed = {str(c.value) for c in self.choices or []}
        if any(str(v) not in allowed for v in self.data or []):
            raise ValidationError(_("请从列表中选择。"))

    @property
    def ids(self) -> list[int]:
        return [int(v) for v in self.data or [] if str(v).isascii() and str(v).isdigit()]


class WeekdaysField(IdsField):
    """Seven checkboxes (Monday first) stored as a bitmask (Monday = bit 0)."""

    def __init__(self, label: Any, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.choices = options((str(i), name) for i, name in enumerate(WEEKDAY_LABELS))

    @property
    def mask(self) -> int:
        return sum(1 << i for i in self.ids if i < 7)

    def set_mask(self, mask: int) -> None:
        self.data = [str(i) for i in range(7) if mask & (1 << i)]


def _in_range(field: Field, low: int, high: int, *, optional: bool = False) -> None:
    """Stop on a parse error, a missing value (unless optional) or one out of range."""
    if field.process_errors:
        raise StopValidation()
    if field.data is None:
        if optional:
            return
        raise StopValidation(_("此项必填。"))
    if not low <= field.data <= high:
        raise ValidationError(_("请填写 %(low)d 到 %(high)d 之间的整数。", low=low, high=high))


# -- counter ----------------------------------------------------------------------------------


class OpenWindowForm(StaffForm):
    """A clerk takes a window: the services it serves today, and a takeover if held."""

    services = IdsField(_l("今天办理的业务"))
    take_over = BooleanField(_l("我要接管这个窗口（原来的工作人员会被请离）"))

    def validate_services(self, field: Field) -> None:
        if not self.services.ids:
            raise ValidationError(_("请至少选择一项业务。"))


class TransferForm(StaffForm):
    """Where the current ticket goes: another service, another window, or both."""

    service = IdSelect(_l("转到业务"))
    window = IdSelect(_l("转到窗口"))

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if ok and self.service.data is None and self.window.data is None:
            self.service.errors = [_("请选择转到哪项业务或哪个窗口。")]
            ok = False
        return ok


class CallNumberForm(StaffForm):
    """A ticket number typed in (``A012``, ``a12``)."""

    number = StringField(_l("号码"), filters=[strip], validators=[required(), length(10)])

    def validate_number(self, field: Field) -> None:
        if NUMBER.match(field.data or "") is None:
            raise ValidationError(_("号码由一个字母和数字组成，例如 A012。"))

    def letter_and_seq(self) -> tuple[str, int]:
        match = NUMBER.match(self.number.data or "")
        assert match is not None  # validated
        return match.group(1).upper(), int(match.group(2))


# -- settings ---------------------------------------------------------------------------------


class ServiceForm(StaffForm):
    code = StringField(_l("业务代码"), filters=[strip, lambda v: v.lower() if v else v],
                       validators=[required(), length(max_length(Service.code))])
    name = StringField(_l("业务名称"), filters=[strip],
                       validators=[required(), length(max_length(Service.name))])
    description = StringField(_l("说明"), filters=[strip],
                              validators=[length(max_length(Service.description))])
    prefix = StringField(_l("号码前缀"), filters=[strip, lambda v: v.upper() if v else v],
                         validators=[required(), length(1)])
    digits = WholeNumberField(_l("号码位数"), default=3)
    first_number = WholeNumberField(_l("每天起始号"), default=1)
    position = WholeNumberField(_l("排列顺序"), default=0)
    enabled = BooleanField(_l("启用"), default=True)
    paused = BooleanField(_l("暂停取号"), default=False)
    pause_note = StringField(_l("暂停说明"), filters=[strip],
                             validators=[length(max_length(Service.pause_note))])
    opens_at = ClockField(_l("每天开始取号"))
    closes_at = ClockField(_l("每天停止取号"))
    weekdays = WeekdaysField(_l("办理日"))
    workdays_only = BooleanField(_l("仅工作日（按法定节假日和调休）"), default=True)
    daily_limit = WholeNumberField(_l("每天限号"))
    minutes_each = WholeNumberField(_l("每人约需分钟"), default=10)

    hints = {
        "code": _l("小写英文字母、数字、连字符，例如 gk；取号接口用它。"),
        "prefix": _l("一个大写字母 A–Z，各业务不能相同，例如 A（号码 A001）。"),
        "digits": _l("3 或 4 位。"),
        "first_number": _l("每天从这个号开始，一般为 1。"),
        "pause_note": _l("暂停时在自助机上显示，例如“系统维护，预计 14:00 恢复”。"),
        "opens_at": _l("都不填则全天可取号；时间按北京时间。"),
        "daily_limit": _l("不填则不限。"),
        "minutes_each": _l("用于估算等候时间；当天办结 3 人以上后按实际用时估算。"),
    }

    def validate_code(self, field: Field) -> None:
        if not CODE.match(field.data or ""):
            raise ValidationError(
                _("只能用小写英文字母、数字、连字符和下划线，并以字母或数字开头。"))

    def validate_prefix(self, field: Field) -> None:
        if not PREFIX.match(field.data or ""):
            raise ValidationError(_("前缀必须是一个英文字母 A–Z。"))

    def validate_digits(self, field: Field) -> None:
        _in_range(field, 3, 4)

    def validate_first_number(self, field: Field) -> None:
        digits = self.digits.data if self.digits.data in (3, 4) else 3
        _in_range(field, 1, 10 ** digits - 1)

    def validate_position(self, field: Field) -> None:
        _in_range(field, 0, 9999)

    def validate_closes_at(self, field: Field) -> None:
        if field.data is not None and self.opens_at.data is not None \
                and field.data <= self.opens_at.data:
            raise ValidationError(_("停止取号的时间必须晚于开始取号的时间。"))

    def validate_weekdays(self, field: Field) -> None:
        if not self.weekdays.mask:
            raise ValidationError(_("请至少选择一天。"))

    def validate_daily_limit(self, field: Field) -> None:
        if field.process_errors:
            raise StopValidation()
        if field.data is not None and not 1 <= field.data <= MAX_LIMIT:
            raise ValidationError(_("每天限号至少为 1（不限请留空），最多 %(max)d。",
                                    max=MAX_LIMIT))

    def validate_minutes_each(self, field: Field) -> None:
        _in_range(field, 1, MAX_MINUTES)

    def defaults(self) -> None:
        self.weekdays.set_mask(0b0011111)

    def load(self, row: Service) -> None:
        for name in ("code", "name", "description", "prefix", "digits", "first_number",
                     "position", "enabled", "paused", "pause_note", "opens_at", "closes_at",
                     "workdays_only", "daily_limit", "minutes_each"):
            self[name].data = getattr(row, name)
        self.weekdays.set_mask(row.weekdays)

    def fields(self) -> dict[str, Any]:
        return {
            "code": self.code.data, "name": self.name.data,
            "description": self.description.data or "", "prefix": self.prefix.data,
            "digits": self.digits.data, "first_number": self.first_number.data,
            "position": self.position.data, "enabled": bool(self.enabled.data),
            "paused": bool(self.paused.data), "pause_note": self.pause_note.data or "",
            "opens_at": self.opens_at.data, "closes_at": self.closes_at.data,
            "weekdays": self.weekdays.mask, "workdays_only": bool(self.workdays_only.data),
            "daily_limit": self.daily_limit.data, "minutes_each": self.minutes_each.data,
        }


class WindowForm(StaffForm):
    number = WholeNumberField(_l("窗口号"))
    name = StringField(_l("窗口名称"), filters=[strip],
                       validators=[length(max_length(Window.name))])
    services = IdsField(_l("办理的业务"))
    enabled = BooleanField(_l("启用"), default=True)

    hints = {
        "number": _l("大厅里叫号时念的号，例如 3（“请到 3 号窗口”）。"),
        "services": _l("工作人员在窗口签到时还可以按当天情况调整。"),
    }

    def validate_number(self, field: Field) -> None:
        _in_range(field, 1, MAX_WINDOW)

    def load(self, row: Window) -> None:
        self.number.data, self.name.data, self.enabled.data = row.number, row.name, row.enabled
        self.services.data = [str(s.id) for s in row.services]

    def fields(self) -> dict[str, Any]:
        return {"number": self.number.data, "name": self.name.data or "",
                "enabled": bool(self.enabled.data)}


class PriorityForm(StaffForm):
    name = StringField(_l("类别名称"), filters=[strip],
                       validators=[required(), length(max_length(PriorityCategory.name))])
    position = WholeNumberField(_l("排列顺序"), default=0)
    enabled = BooleanField(_l("启用"), default=True)

    hints = {"name": _l("例如 老年人、残疾人、军人；自助机上取优先号时可选。")}

    def validate_position(self, field: Field) -> None:
        _in_range(field, 0, 9999)

    def load(self, row: PriorityCategory) -> None:
        self.name.data, self.position.data, self.enabled.data = (
            row.name, row.position, row.enabled)

    def fields(self) -> dict[str, Any]:
        return {"name": self.name.data, "position": self.position.data,
                "enabled": bool(self.enabled.data)}


class AppointmentForm(StaffForm):
    service = IdSelect(_l("业务"), optional=False)
    day = DayField(_l("预约日期"))
    slot_start = ClockField(_l("时段开始"))
    slot_end = ClockField(_l("时段结束"))
    note = StringField(_l("备注"), filters=[strip],
                       validators=[length(max_length(Appointment.note))])

    hints = {"note": _l("只写办理事项，不要写姓名、身份证号或电话号码。")}

    def __init__(self, *args: Any, today: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_day(self, field: Field) -> None:
        if field.process_errors:
            raise StopValidation()
        if field.data is None:
            raise StopValidation(_("此项必填。"))
        if self.today is not None and field.data < self.today:
            raise ValidationError(_("预约日期不能早于今天。"))

    def validate_slot_end(self, field: Field) -> None:
        if field.data is not None and self.slot_start.data is not None \
                and field.data <= self.slot_start.data:
            raise ValidationError(_("时段结束必须晚于时段开始。"))

    def validate_note(self, field: Field) -> None:
        if PERSONAL.search((field.data or "").replace(" ", "")):
            raise ValidationError(_("备注里不能有身份证号或电话号码。"))
