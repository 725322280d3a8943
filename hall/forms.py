"""Form pieces every staff page shares (Flask-WTF): the error list, typed text fields, a
date field and a select that only takes its own choices."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Field, SelectField, ValidationError
from wtforms.widgets import DateInput


class StaffForm(FlaskForm):
    """A staff form that can list every error for the box at the top of the page."""

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
