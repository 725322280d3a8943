"""Display width and line breaking for a printer's cell grid (pure functions).

A printer in Chinese mode prints a single-byte (ASCII) character in a 12-dot cell and every
other character in a 24-dot cell, so width is counted in columns: ASCII 1, the rest 2 (also
for Latin-1 letters and 'ambiguous' punctuation, which GB18030 prints full-width).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

#: No line starts with these (closing punctuation, marks that belong to the previous word).
NO_START = frozenset(
    "，。、；：？！）】》」』〕〉〗”’…—～·‰℃°%,.;:!?)]}>"
    "ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々〆"
)
#: No line ends with these (opening brackets and quotes, currency signs).
NO_END = frozenset("（【《「『〔〈〖“‘([{<￥$#")
_CONTROL = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))


def char_cols(ch: str) -> int:
    """Columns one character takes: 1 for printable ASCII, 2 for everything else."""
    return 1 if " " <= ch <= "~" else 2


def text_cols(text: str) -> int:
    """Columns a string takes on the printer."""
    if text.isascii():
        return len(text)
    return sum(1 if " " <= ch <= "~" else 2 for ch in text)


@lru_cache(maxsize=4096)
def _clean_char(ch: str) -> str:
    if ch == "\t":
        return " "
    if unicodedata.category(ch) in _CONTROL or unicodedata.combining(ch):
        return ""
    if unicodedata.category(ch) == "Zs":
        return " "
    return ch


def clean(text: str) -> str:
    """Text safe to print: control, format and private-use characters dropped (no ESC ever
    reaches the printer from a caller's string), tabs and odd spaces made plain spaces;
    line breaks are kept."""
    if text.isascii() and text.isprintable():
        return text
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join("".join(_clean_char(ch) for ch in line) for line in lines)


def _is_word(ch: str) -> bool:
    return "!" <= ch <= "~"


def can_break(text: str, i: int) -> bool:
    """Whether a line may break between ``text[i - 1]`` and ``text[i]``."""
    prev, nxt = text[i - 1], text[i]
    if nxt in NO_START or prev in NO_END:
        return False
    if prev == " " or nxt == " ":
        return True
    return not (_is_word(prev) and _is_word(nxt))


def wrap(text: str, width: int) -> list[str]:
    """Break ``text`` into lines of at most ``width`` columns.

    Breaks fall between Chinese characters or at spaces, never inside a run of ASCII
    letters, digits and signs (a number, ``A023``, a URL) unless the run alone is wider than
    a line, and never before closing punctuation or after an opening bracket (the previous
    break is taken instead). Spaces at a break disappear; ``\\n`` forces a break.
    """
    if width < 2:
        raise ValueError("width must be at least 2 columns")
    lines: list[str] = []
    for paragraph in clean(text).split("\n"):
        lines.extend(_wrap_paragraph(paragraph.rstrip(), width))
    return lines


def _wrap_paragraph(text: str, width: int) -> list[str]:
    if text_cols(text) <= width:
        return [text]
    lines: list[str] = []
    start, end = 0, len(text)
    while start < end:
        if lines:
            while start < end and text[start] == " ":
                start += 1
            if start == end:
                break
        cols, i = 0, start
        while i < end and cols + char_cols(text[i]) <= width:
            cols += char_cols(text[i])
            i += 1
        if i == end:
            lines.append(text[start:end].rstrip())
            break
        cut = i
        while cut > start and not can_break(text, cut):
            cut -= 1
        if cut == start:
            cut = max(i, start + 1)
        lines.append(text[start:cut].rstrip())
        start = cut
    return lines
