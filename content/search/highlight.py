"""Snippets and highlighted titles, computed in Python from the stored plain text.

Only the ~10 hits of a page are highlighted, so this costs little and stays the same on both
databases. Everything is escaped before ``<mark>`` is added.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from content.search.tokenize import runs

WINDOW = 80
_BEFORE = 20
_GAP = r"[\W_]{0,3}"  # punctuation typed or not between runs (cheap to compile, unlike ranges)


def pattern_for(parts: list[str]) -> re.Pattern[str] | None:
    """A regex finding any query part in text: its runs in order, punctuation allowed between."""
    alternatives = []
    for part in parts:
        chunks = [re.escape(run) for _, run in runs(part)]
        if chunks:
            alternatives.append(_GAP.join(chunks))
    if not alternatives:
        return None
    alternatives.sort(key=len, reverse=True)
    return re.compile("|".join(alternatives), re.IGNORECASE)


def spans(text: str, pattern: re.Pattern[str] | None) -> list[tuple[int, int]]:
    if pattern is None:
        return []
    return [(m.start(), m.end()) for m in pattern.finditer(text) if m.end() > m.start()]


def _merge(found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def marked(text: str, found: list[tuple[int, int]]) -> Markup:
    """``text`` escaped, with each span wrapped in ``<mark>``."""
    out: list[str] = []
    pos = 0
    for start, end in _merge(found):
        out.append(str(escape(text[pos:start])))
        out.append("<mark>" + str(escape(text[start:end])) + "</mark>")
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def snippet(body: str, pattern: re.Pattern[str] | None, width: int = WINDOW) -> Markup:
    """About ``width`` characters of the body around the first hit (or its start)."""
    body = " ".join(body.split())
    first = pattern.search(body) if pattern is not None else None
    start = max(0, first.start() - _BEFORE) if first else 0
    end = min(len(body), start + width)
    start = max(0, min(start, end - width))
    window: list[tuple[int, int]] = []
    if first and pattern is not None:
        # From the first hit to the window's end only: a body can hold hundreds of hits.
        for m in pattern.finditer(body, first.start()):
            if m.start() >= end:
                break
            if m.end() > m.start():
                window.append((max(m.start(), start) - start, min(m.end(), end) - start))
    html = marked(body[start:end], window)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(body) else ""
    return Markup(prefix) + html + Markup(suffix)
