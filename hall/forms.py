"""Form pieces every staff page shares (Flask-WTF): the error list and typed text fields."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field


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
