"""Text as it comes in: every form value, query argument, uploaded file's name and JSON
string is cleaned once, at the edge, before any view, form or feature sees it.

"Sanitized", in this project, means:

- **plain text** (everything a person types: names, titles, suggestions, search words) keeps
  the person's own characters — rare CJK (𠮷, 〇), full-width punctuation, emoji, combining
  marks, markup characters (``<`` is text; templates escape it on the way out) — and is never
  NFC/NFKC-normalised. It holds no C0 or C1 control character except LF and TAB (CR LF and a
  lone CR become LF; NUL, ESC, DEL, U+0080–U+009F are dropped) and no lone surrogate (each
  becomes U+FFFD). PostgreSQL refuses NUL and lone surrogates outright, and neither means
  anything on a page, a lobby screen or a thermal printer.
- **single-line** text (a title, a name) also has no line break or tab: each is a space.
- **rich text** (staff-written HTML: article bodies, draft decisions) is plain text in that
  sense and, in addition, is stored as the feature's nh3 allow-list leaves it
  (``content.sanitize.clean_html``, ``feedback.consultations.clean_html``), so that cleaning it
  again changes nothing.

:func:`init_app` installs the edge: a request class whose form and query values (and the names
of uploaded files) are cleaned, and a JSON provider whose ``loads`` cleans every string (keys
too) and refuses nesting too deep to parse as a ``ValueError`` (so ``get_json(silent=True)``
gives ``None`` and a plain ``get_json()`` a 400). Forms add the single-line rule per field
(:func:`single_line`, used by ``hall.forms.StaffForm``). Addresses are input too: a path part
(``<token>``, ``<path:…>``) with a control character matches no route (404: no name, token or
file has one, and PostgreSQL would refuse a NUL in the query), and ``<int:…>`` takes at most
2³¹ − 1, the largest id an ``INTEGER`` column holds (a larger one overflowed the drivers: a 500).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, Request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import FileStorage, ImmutableMultiDict, iter_multi_items
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter, ValidationError

#: C0 controls but TAB and LF, DEL, the C1 controls; CR is handled before.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_BREAKS = re.compile("[\n\t]")


def clean(value: str, *, multiline: bool = True) -> str:
    """``value`` sanitized as plain text (see the module's docstring); with
    ``multiline=False`` line breaks and tabs become spaces too. Nothing is trimmed."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROLS.sub("", value)
    if not value.isascii():
        value = _SURROGATES.sub("\ufffd", value)
    if not multiline:
        value = _BREAKS.sub(" ", value)
    return value


def single_line(value: Any) -> Any:
    """A form filter: a string's line breaks and tabs become spaces (others pass as they are)."""
    return clean(value, multiline=False) if isinstance(value, str) else value


def clean_json(value: Any) -> Any:
    """Every string in a parsed JSON value cleaned, dictionary keys included."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    if isinstance(value, dict):
        return {clean(str(k)): clean_json(v) for k, v in value.items()}
    return value


def _clean_item(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, FileStorage) and value.filename:
        value.filename = clean(value.filename, multiline=False)
    return value


class CleanParameters(ImmutableMultiDict[str, Any]):
    """Form values and query arguments, cleaned as they are stored (names too)."""

    def __init__(self, mapping: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None
                 ) -> None:
        if mapping is None:
            super().__init__()
            return
        super().__init__([(clean(str(key)), _clean_item(value))
                          for key, value in iter_multi_items(mapping)])  # type: ignore[arg-type]


class CleanRequest(Request):
    """The app's request: ``args``, ``form``, ``values`` and file names arrive cleaned."""

    parameter_storage_class = CleanParameters


class CleanJSONProvider(DefaultJSONProvider):
    """JSON in: strings cleaned, nesting too deep refused as invalid JSON."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return clean_json(super().loads(s, **kwargs))
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


#: The largest id an ``INTEGER`` primary key holds (PostgreSQL's is 32 bits).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:…>``: no larger than :data:`MAX_ID` unless the rule says otherwise."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class _NoControls:
    """A path part with a control character is no address of this app."""

    def to_python(self, value: str) -> Any:
        if _CONTROLS.search(value) or "\r" in value:
            raise ValidationError()
        return super().to_python(value)  # type: ignore[misc]


class TextConverter(_NoControls, UnicodeConverter):
    """``<name>`` and ``<string:name>`` without control characters."""


class CleanPathConverter(_NoControls, PathConverter):
    """``<path:name>`` without control characters."""


def init_app(app: Flask) -> None:
    """Clean everything the app reads from requests. Call it first: it replaces ``app.json``
    and the URL converters, before any route is added."""
    app.request_class = CleanRequest
    app.json = CleanJSONProvider(app)
    app.url_map.converters.update(int=IdConverter, default=TextConverter,
                                  string=TextConverter, path=CleanPathConverter)
