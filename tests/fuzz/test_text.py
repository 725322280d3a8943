"""``hall.text``: what "sanitized" means, as properties of the one cleaner."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hall.text import clean, clean_json
from tests.fuzz.checks import UNCLEAN, strings
from tests.fuzz.seed import FUZZ

_ANY = st.text(st.characters())  # every category, lone surrogates (Cs) included


@pytest.mark.parametrize(("raw", "multiline", "cleaned"), [
    ("𠮷野家〇号，（全角）《书名》", True, "𠮷野家〇号，（全角）《书名》"),  # kept as typed
    ("e\u0301 ﬁ Ａ", True, "e\u0301 ﬁ Ａ"),  # never normalised (no NFC, no NFKC)
    ("<script>alert(1)</script>", True, "<script>alert(1)</script>"),  # text; escaped on output
    ("a\r\nb\rc\nd\te", True, "a\nb\nc\nd\te"),
    ("a\r\nb\tc", False, "a b c"),
    ("\x00N\x1bU\x7fL\x85L\x9f", True, "NULL"),
    ("政\ud800府\udfff", True, "政\ufffd府\ufffd"),
    ("  前后空格  ", False, "  前后空格  "),  # trimming is each field's business
])
def test_clean(raw: str, multiline: bool, cleaned: str) -> None:
    assert clean(raw, multiline=multiline) == cleaned


@settings(FUZZ, max_examples=300)
@given(_ANY, st.booleans())
def test_clean_leaves_nothing_unclean_and_is_idempotent(raw: str, multiline: bool) -> None:
    out = clean(raw, multiline=multiline)
    assert not UNCLEAN.search(out)
    assert "\r" not in out and (multiline or not ("\n" in out or "\t" in out))
    assert clean(out, multiline=multiline) == out
    out.encode("utf-8")  # storable: PostgreSQL takes it


@settings(FUZZ, max_examples=300)
@given(st.text(st.characters(exclude_categories=["Cc", "Cs"])))
def test_clean_keeps_every_other_character(raw: str) -> None:
    assert clean(raw) == raw


@settings(FUZZ, max_examples=100)
@given(st.recursive(st.one_of(_ANY, st.integers(), st.none(), st.booleans()),
                    lambda inner: st.one_of(st.lists(inner, max_size=3),
                                            st.dictionaries(_ANY, inner, max_size=3)),
                    max_leaves=8))
def test_clean_json_cleans_every_string(value: object) -> None:
    cleaned = clean_json(value)
    assert not [s for s in strings(cleaned) if UNCLEAN.search(s)]
    json.dumps(cleaned, ensure_ascii=False).encode("utf-8")
