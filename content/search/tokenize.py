"""Pure text → token functions for the search index (no database here).

Chinese has no spaces, so CJK runs become overlapping bigrams (a two-character word is then
one token and a phrase is a chain of adjacent bigrams); the run's last character is also kept
as a unigram so a one-character query can still match with a prefix query. Latin and digit
runs become lowercased words; everything else separates runs. Both the FTS5 table and the
PostgreSQL tsvectors store these tokens, so both backends match the same way.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from dataclasses import dataclass

# CJK Unified Ideographs + Ext-A, compatibility ideographs, Ext-B..Ext-H, 〇 and 々.
_CJK = (
    "\u3005\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002fa1f\U00030000-\U0003134f"
)
RUN = re.compile(f"([{_CJK}]+)|([a-z0-9]+)")
CJK_RUN = re.compile(f"[{_CJK}]+")
HAS_CJK = re.compile(f"[{_CJK}]")
LETTERS = re.compile(r"[a-z]")


#: What NFKC does to full-width ASCII, the ideographic space and ``…``: mapping these first
#: leaves most Chinese text already normalised, and the quick check is far cheaper than NFKC.
_WIDE = {c: unicodedata.normalize("NFKC", chr(c)) for c in (*range(0xFF01, 0xFF5F), 0x3000, 0x2026)}


_HAS_WIDE = re.compile("[\uff01-\uff5e\u3000\u2026]")


def normalise(text: str) -> str:
    """Full-width letters and digits to ASCII, lower case (〔〕 and CJK are unchanged)."""
    # Each maps to what NFKC maps it to, so the result agrees; the search in C is far cheaper
    # than ``translate`` with a dict over a body that holds none of them.
    narrow = text.translate(_WIDE) if _HAS_WIDE.search(text) else text
    if unicodedata.is_normalized("NFKC", narrow):
        return narrow.lower()
    return unicodedata.normalize("NFKC", text).lower()


def runs(text: str) -> list[tuple[bool, str]]:
    """Split normalised text into (is_cjk, run) pairs; punctuation and spaces separate runs."""
    return [(bool(m.group(1)), m.group(0)) for m in RUN.finditer(text)]


def run_tokens(run: str) -> list[str]:
    """Overlapping bigrams of one run plus its last character (a lone character stays itself)."""
    if len(run) < 2:
        return [run] if run else []
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def index_tokens(text: str) -> list[str]:
    """All tokens of a text, in order, as the index stores them."""
    # findall + map in C: a Python loop per run was a large part of a rebuild's time.
    out: list[str] = []
    extend, append = out.extend, out.append
    for cjk, word in RUN.findall(normalise(text)):
        if cjk:
            extend(map(operator.add, cjk, cjk[1:]))
            append(cjk[-1])
        else:
            append(word)
    return out


def index_text(text: str) -> str:
    """Tokens joined by spaces: what goes into an FTS5 column."""
    return " ".join(index_tokens(text))


@dataclass(frozen=True)
class Term:
    """One token of a query phrase; ``prefix`` means "this token or any longer one"."""

    token: str
    prefix: bool = False


def phrase_terms(chunks: list[tuple[bool, str]]) -> list[Term]:
    """The exact phrase for a sequence of runs typed together (one whitespace-separated part).

    A run in the middle must end where the text's run ends, so it keeps its last-character
    unigram; the last run may continue in the text, so it does not. A lone last character or
    a last Latin/digit word is a prefix term (it may start a bigram or a longer word).
    """
    terms: list[Term] = []
    for i, (is_cjk, run) in enumerate(chunks):
        last = i == len(chunks) - 1
        if not is_cjk:
            terms.append(Term(run, prefix=last))  # ``关于做好2`` is still being typed
        elif len(run) == 1:
            terms.append(Term(run, prefix=last))
        else:
            tokens = run_tokens(run)
            terms.extend(Term(t) for t in (tokens[:-1] if last else tokens))
    return terms


def letter_chain_terms(letters: str) -> list[Term]:
    """The phrase for a string of initials (``zfxxgk`` → zf fx xx xg gk), stored like a CJK run."""
    return phrase_terms([(True, letters)])


def query_parts(query: str) -> list[str]:
    """Whitespace-separated parts of a query (normalised); each part is one phrase."""
    return [p for p in normalise(query).split() if RUN.search(p)]


#: Filters kept as tokens of the FTS5 ``facets`` column (SQLite), so a filter is one more AND
#: in the match instead of a lookup per match: filter → token prefix. A category filter matches
#: an entry's category or its 一级 root, so both are stored as ``c`` tokens. Migration 0009
#: builds the same tokens in SQL from ``search_entry``.
FACET_PREFIXES = {"kind": "k", "issuer_id": "i", "category_id": "c", "category_root_id": "c",
                  "year": "y", "validity": "v"}


def facet_tokens(entry: dict[str, object]) -> str:
    """``kpolicy i3 c12 c10 y2022 v有效``: one token per filter value an entry has."""
    tokens = [f"{prefix}{entry[key]}" for key, prefix in FACET_PREFIXES.items()
              if entry.get(key) is not None and entry[key] != ""]
    return " ".join(dict.fromkeys(tokens))
