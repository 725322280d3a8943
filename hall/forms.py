"""Form pieces every staff page shares (Flask-WTF): the error list, typed text fields (date,
time of day), selects that only take their own choices (and of database ids), ``Required``
that keeps a parse error, lengths from model columns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import String
from wtforms import Field, PasswordField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, StopValidation
from wtforms.widgets import DateInput, TimeInput

from hall.text import single_line


class StaffForm(FlaskForm):
    """A staff form that can list every error for the box at the top of the page. Its
    one-line text inputs take no line breaks or tabs (``hall.text.single_line``); what a
    request carries is cleaned before that (``hall.text``)."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            kind = unbound_field.field_class
            if issubclass(kind, StringField) and not issubclass(kind, TextAreaField
                                                               | PasswordField):
                filters = [single_line, *unbound_field.kwargs.get("filters", ())]
                return unbound_field.bind(form=form, filters=filters, **options)
            return super().bind_field(form, unbound_field, options)

    def all_errors(self) -> list[str]:
        found: list[str] = []
        for f in self:
            found += [f"{f.label.text}：{e}" for e in f.errors]
        return found


class ParsedField(Field):
    """A text input parsed into a value; empty means None, and a value that does not parse
    is shown back as typed, with the message :meth:`parse` raised.

    Subclasses give :meth:`parse` (raise ``ValueError`` with the message) and :meth:`show`.
    """

    data: Any

    def parse(self, text: str) -> Any:
        raise NotImplementedError

    def show(self, value: Any) -> str:
        return str(value)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else self.show(self.data)

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        self.data = None
        if text:
            self.data = self.parse(text)


class DayField(ParsedField):
    """A ``YYYY-MM-DD`` date (the browser's date picker) between ``first_year`` and
    ``last_year``; subclasses narrow the years."""

    widget = DateInput()
    first_year = 1900
    last_year = 2100

    def show(self, value: dt.date) -> str:
        return value.isoformat()

    def parse(self, text: str) -> dt.date:
        try:
            value = dt.date.fromisoformat(text)
        except ValueError:
            value = None
        if value is None or not self.first_year <= value.year <= self.last_year:
            raise ValueError(_("日期无效，请按“年-月-日”填写，例如 2026-03-01。"))
        return value


class Choice(SelectField):
    """A select whose value must be one of its choices; nothing chosen counts as "" (so a
    field is optional only where "" is among its choices)."""

    def pre_validate(self, form: Any) -> None:
        values = {str(getattr(c, "value", None) if hasattr(c, "value") else c[0])
                  for c in self.choices or []}  # ``(value, label)`` or a SelectChoice
        if str(self.data if self.data is not None else "") not in values:
            raise ValidationError(_("请从列表中选择。"))


def strip(value: Any) -> Any:
    """Trim surrounding white space (filters run before validators)."""
    return value.strip() if isinstance(value, str) else value


def max_length(column: Any) -> int:
    """The ``String(n)`` length of a model column."""
    kind = column.property.columns[0].type
    assert isinstance(kind, String) and kind.length
    return int(kind.length)


def length(limit: int) -> Length:
    return Length(max=limit, message=_l("最多 %(max)d 个字（现在 %(length)d 个）。"))


class Required:
    """Like ``DataRequired``, but keeps a parse error (“日期无效”) instead of hiding it."""

    field_flags = {"required": True}

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: Any, field: Field) -> None:
        if field.process_errors:
            raise StopValidation()  # the parse error already says what is wrong
        if field.data is None or (isinstance(field.data, str) and not field.data.strip()):
            raise StopValidation(self.message)


def required() -> Required:
    return Required(_l("此项必填。"))


def _optional_id(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


class IdSelect(Choice):
    """A select of database ids (choices set by the view); empty means none."""

    def __init__(self, label: Any, *, optional: bool = True, **kwargs: Any) -> None:
        super().__init__(label, coerce=_optional_id, validate_choice=True, **kwargs)
        self.optional = optional

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        try:
            self.data = _optional_id(text)
        except ValueError:
            self.data = -1  # never an id: refused by pre_validate

    def pre_validate(self, form: Any) -> None:
        if self.data is None:
            if not self.optional:
                raise ValidationError(_("请从列表中选择。"))
            return
        super().pre_validate(form)


def options(pairs: Any) -> list[SelectChoice]:
    """Select options from ``(value, label)`` pairs."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


class ClockField(ParsedField):
    """A ``time`` input (``08:30``) in the hall's local time; empty means none."""

    widget = TimeInput()

    def show(self, value: dt.time) -> str:
        return value.strftime("%H:%M")

    def parse(self, text: str) -> dt.time:
        try:
            value = dt.time.fromisoformat(text)
        except ValueError:
            raise ValueError(_("时间无效，请按“时:分”填写，例如 08:30。")) from None
        return value.replace(second=0, microsecond=0, tzinfo=None)
