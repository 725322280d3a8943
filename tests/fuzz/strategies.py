"""Hostile input for the fuzz tests: text of every category (controls, format characters,
rare CJK, full-width marks), markup, SQL and full-text syntax, numbers that are not, huge and
empty values; JSON values of every type, lone surrogates included (as ``\\udXXX`` escapes).

Form data travels UTF-8-encoded, so a lone surrogate cannot be sent in a form (werkzeug would
turn the bytes into U+FFFD anyway): the form strategies leave category Cs out, the JSON ones
put it in.
"""

from __future__ import annotations

import io
import json
from typing import Any

from hypothesis import strategies as st

#: Fixed hostile samples: each is a known way text has broken something somewhere.
SAMPLES: tuple[str, ...] = (
    "", " ", "\u3000", " \t\n ", "\n\n\n",
    # markup and template syntax
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "</textarea><b>x</b>",
    "\"><svg onload=alert(1)>", "javascript:alert(1)", "{{ 7*7 }}", "{% raw %}", "${7*7}",
    "&lt;script&gt;", "&#0;", "<p>段落</p><style>*{}</style>",
    # SQL and full-text syntax (SQLite FTS5 and PostgreSQL tsquery)
    "' OR 1=1 --", "'; DROP TABLE policy; --", "\" OR \"\"=\"", "\\", "%", "_", "%_%",
    "NEAR(", "NEAR(政府 公开, 2)", "\"", "\"\"\"", "*", "政府*", "AND OR NOT", "NOT", "^",
    "^政府", "title:政府", "-政府", "+政府", "(", ")", "()", "{}", "[", ":", "!", "&", "|",
    "<->", "a & | b", "!!", "'", "''", "政府\"信息", "zfxxgk*",
    # rare and full-width characters
    "𠮷野家〇号", "〇", "，。！？：；“”‘’（）【】《》〔〕……——",
    "０１２３４５６７８９", "ＡＢＣｘｙｚ", "ｚｆｘｘｇｋ", "㊣㍿", "🙂👨‍👩‍👧", "é", "e\u0301",
    # controls, format characters, odd line ends
    "\x00", "a\x00b", "\x01\x02\x03", "\x1b[31m红\x1b[0m", "\x7f", "\x85", "\x9f",
    "\r\n", "\r", "a\rb", "\u2028\u2029", "\u202e反转\u202c", "\u200b\u200d", "\ufeff",
    "\ufffe\uffff", "\U0010ffff", "\u0000\u0000\u0000",
    # numbers and ids that are not
    "-1", "0", "00", "1.5", "1e309", "NaN", "inf", "99999999999999999999999", "0x10",
    "²", "¹²", "١٢٣", "߀", "Ⅻ", "½", "２０２６", "2026-02-30", "2026-13-01", "9999-12-31",
    "0001-01-01", "0000-00-00", "25:61", "24:00", "-0",
    # paths, format strings, spreadsheet formulas
    "../../etc/passwd", "%00", "%s%n%x", "=cmd|' /C calc'!A0", "@SUM(1+1)", "+1", "-1+1",
)

#: Lone surrogates: only JSON can carry them (as ``\\udXXX`` escapes).
SURROGATES: tuple[str, ...] = ("\ud800", "a\udfffb", "\udbff", "政\udc00府", "\ud83d")

#: Characters of every category but Cs (form data is UTF-8).
_CHARS = st.characters(codec="utf-8")
_HUGE_UNITS = ("𠮷", "政", "a", "<", "\x00", " ", "'", "\n")


def _huge() -> st.SearchStrategy[str]:
    """About 100,000 characters (one repeated unit, or a unit and a tail)."""
    return st.builds(lambda unit, tail: unit * 100_000 + tail,
                     st.sampled_from(_HUGE_UNITS), st.sampled_from(("", "x", "\x01")))


def hostile_text(*, surrogates: bool = False) -> st.SearchStrategy[str]:
    """One hostile string; huge ones are rare (about one draw in sixteen)."""
    samples = st.sampled_from(SAMPLES + (SURROGATES if surrogates else ()))
    chars = st.one_of(_CHARS, st.characters(categories=["Cs"])) if surrogates else _CHARS
    random = st.text(chars, max_size=40)
    mixed = st.lists(st.one_of(samples, random), min_size=2, max_size=4).map("".join)
    return st.one_of(
        samples, samples, samples, samples, random, random, random, random,
        mixed, mixed, mixed, mixed, mixed, mixed, mixed, _huge(),
    )


def json_value() -> st.SearchStrategy[Any]:
    """A JSON value of any type, text included with lone surrogates."""
    scalars = st.one_of(
        hostile_text(surrogates=True), hostile_text(surrogates=True),
        st.integers(-(2**70), 2**70), st.sampled_from([-1, 0, 1, 2**31, 2**63, -(2**63)]),
        st.floats(allow_nan=True, allow_infinity=True), st.none(), st.booleans(),
    )
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
        max_leaves=6)


def json_body(obj: Any) -> str:
    """JSON text as a client would send it: surrogates escaped (``ensure_ascii``), NaN and
    Infinity as Python writes them (not valid JSON: the server must refuse them calmly)."""
    return json.dumps(obj, ensure_ascii=True)


@st.composite
def json_object(draw: st.DrawFn, fields: tuple[str, ...], baseline: dict[str, Any]
                ) -> Any:
    """A body for a JSON endpoint: the baseline object with some fields replaced by values of
    any type, dropped or joined by unknown ones; now and then not an object at all."""
    shape = draw(st.sampled_from(["object"] * 8 + ["other"]))
    if shape == "other":
        return draw(json_value())
    body = dict(baseline)
    for name in draw(st.lists(st.sampled_from(fields), min_size=1, unique=True)):
        action = draw(st.sampled_from(["value", "value", "value", "text", "missing"]))
        if action == "missing":
            body.pop(name, None)
        elif action == "text":
            body[name] = draw(hostile_text(surrogates=True))
        else:
            body[name] = draw(json_value())
    if draw(st.integers(0, 5)) == 0:
        body[draw(hostile_text(surrogates=True))] = draw(json_value())
    return body


@st.composite
def form_data(draw: st.DrawFn, fields: tuple[str, ...], baseline: dict[str, list[str]],
              files: tuple[str, ...] = ()) -> dict[str, Any]:
    """Form values: the page's own values with one field, or several, replaced by hostile
    text, sent twice or dropped, now and then with unknown fields; file fields get a hostile
    name and bytes. (Changing one field lets the rest pass, so a bad value can be stored.)"""
    values: dict[str, Any] = {k: list(v) for k, v in baseline.items()}
    if draw(st.booleans()):
        chosen = [draw(st.sampled_from(fields))]
    else:
        chosen = [name for name in fields if draw(st.booleans())] or list(fields[:1])
    for name in chosen:
        if name in files:
            values[name] = draw(upload())
            continue
        action = draw(st.sampled_from(["text"] * 6 + ["missing", "many"]))
        if action == "missing":
            values.pop(name, None)
        elif action == "many":
            values[name] = draw(st.lists(hostile_text(), min_size=2, max_size=3))
        else:
            values[name] = [draw(hostile_text())]
    if draw(st.integers(0, 5)) == 0:
        values[draw(hostile_text()) or "x"] = [draw(hostile_text())]
    return values


#: Values every field of every target gets in explicit examples (besides the drawn ones):
#: a digit ``int()`` refuses, blank, the usual suspects at once, huge, a huge number.
EVERY_FIELD: tuple[str, ...] = (
    "²",
    " ",
    "\x00<script>alert(1)</script>' OR 1=1 --\"NEAR(*^ AND 𠮷〇\r\n\x85\u202e\x1b",
    "a" * 99_999 + "𠮷",  # (CJK in every field at once would be ~1 MB per field to parse)
    "-99999999999999999999999",
)
#: And for query arguments (cheap to try): the first and last days a date can hold.
EVERY_QUERY_ARGUMENT: tuple[str, ...] = ("0001-01-01", "9999-12-31")
#: The same for JSON fields: a lone surrogate, wrong types, out-of-range numbers.
EVERY_JSON_FIELD: tuple[Any, ...] = (
    "\ud800<script>\x00", None, True, [["x"]], {"$ne": 1}, 2**64, -1, 1e308, "",
)


#: Bytes that look like something (or nothing) to an upload check.
_MAGIC = (b"", b"%PDF-1.4\n", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"PK\x03\x04", b"RIFF",
          b"GIF89a", b"{", b"[", b"\xef\xbb\xbf", b"<svg", b"\x00")
_NAMES = ("a.pdf", "a.png", "a.jpg", "a.docx", "a.zip", "a.wav", "a.json", "a.csv", "a.svg",
          "a.exe", ".pdf", "pdf", "")


@st.composite
def upload(draw: st.DrawFn) -> tuple[Any, str]:
    """A file part: a hostile name (often with a known suffix) and a few odd bytes."""
    name = draw(st.one_of(st.sampled_from(_NAMES),
                          st.builds(lambda t, n: t + n, hostile_text(), st.sampled_from(_NAMES))))
    name = name.replace("\r", "").replace("\n", "").replace('"', "")  # not sendable in a header
    data = draw(st.sampled_from(_MAGIC)) + draw(st.binary(max_size=64))
    return (io.BytesIO(data), name)
