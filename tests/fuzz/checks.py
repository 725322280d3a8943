"""The fuzz properties: an answer is never a 5xx and a refusal says why in words; no text
stored anywhere holds control characters (but ``\\n`` and ``\\t``), NUL or lone surrogates;
stored HTML is already clean (nh3 leaves it as it is)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask
from sqlalchemy import JSON, String, select
from werkzeug.test import TestResponse

import feedback.consultations
from content.sanitize import clean_html
from hall.extensions import db

#: What no stored text may hold: C0 and C1 controls but TAB and LF, and lone surrogates.
UNCLEAN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
#: Words: two letters (Chinese characters are letters) in a row.
_WORDS = re.compile(r"[^\W\d_]{2,}")
_TAG = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<[^>]*>", re.S)

#: Rich-text columns and the cleaner their feature stores them through.
RICH: dict[tuple[str, str], Callable[[str], str]] = {
    ("policy", "body_html"): clean_html,
    ("interpretation", "body_html"): clean_html,
    ("notice", "body_html"): clean_html,
    ("feedback_consultation", "body_html"): feedback.consultations.clean_html,
}


def human_message(response: TestResponse) -> str:
    """The words a refusal gives people (a JSON ``message``/``error``, or the page's text)."""
    if response.is_json:
        body = response.get_json(silent=True)
        if isinstance(body, dict):
            for key in ("message", "error"):
                if isinstance(body.get(key), str) and _WORDS.search(body[key]):
                    return str(body[key])
        return ""
    text = _TAG.sub(" ", response.get_data().decode("utf-8", "replace"))
    return text if _WORDS.search(text) else ""


def check_response(response: TestResponse, what: str, example: Any = None) -> None:
    """Never a server error; a 4xx carries a message in words."""
    status = response.status_code
    if status >= 500 or (status >= 400 and not human_message(response)):
        body = response.get_data().decode("utf-8", "replace")
        sent = repr(example)
        sent = sent if len(sent) < 600 else sent[:600] + f"… ({len(sent)} characters)"
        problem = "server error" if status >= 500 else "no message in words"
        raise AssertionError(f"{what} with {sent}: {status}, {problem}\n{body[:2000]}")


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON-like value, dictionary keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(key)
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def unclean_values(app: Flask) -> list[str]:
    """Every stored text that breaks the rules, as ``table.column#id: value``."""
    found: list[str] = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | JSON)]
            if not columns:
                continue
            keys = list(table.primary_key.columns)
            for row in db.session.execute(select(*keys, *columns)):
                ident = ",".join(str(v) for v in row[:len(keys)])
                for column, value in zip(columns, row[len(keys):], strict=True):
                    for text in strings(value):
                        if UNCLEAN.search(text):
                            found.append(f"{table.name}.{column.name}#{ident}: {text[:200]!r}")
                    cleaner = RICH.get((table.name, column.name))
                    if cleaner is not None and value and cleaner(value) != value:
                        found.append(f"{table.name}.{column.name}#{ident} is not clean HTML: "
                                     f"{value[:200]!r}")
        db.session.remove()
    return found
