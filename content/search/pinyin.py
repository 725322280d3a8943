"""Pinyin for the index and for queries typed in letters (``zfxxgk``, ``zhengfuxinxi``, ``zf信息``).

pypinyin's character and phrase readings (through :mod:`hall.readings`' compact copy, not
pypinyin's dictionaries in memory) are looked up directly, with a forward longest-match over
its phrases: ``lazy_pinyin`` costs ~0.4 ms per title, too slow for a 50,000-document rebuild,
and the same function serves the index and the query, so both sides always agree on a reading.
"""

from __future__ import annotations

import functools
import unicodedata

from content.search.tokenize import CJK_RUN, LETTERS, Term, letter_chain_terms, run_tokens, runs
from hall.readings import readings as _table

_MAX_PHRASE = 6
_MAX_INITIALS = 20


@functools.lru_cache(maxsize=4096)
def plain(reading: str) -> str:
    """A toned syllable without its tone (``lǜ`` → ``lv``)."""
    decomposed = unicodedata.normalize("NFD", reading.lower()).replace("u\u0308", "v")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.lru_cache(maxsize=65536)
def _char(ch: str) -> str:
    readings = _table().char(ch)
    return plain(readings.split(",")[0]) if readings else ""


@functools.lru_cache(maxsize=16384)
def syllables(run: str) -> tuple[str, ...]:
    """One toneless syllable per character of a CJK run ("" where pypinyin has none).

    Cached: issuers and 文号 words repeat on every document, and so do title phrases.
    """
    out: list[str] = []
    i = 0
    while i < len(run):
        for size in range(min(_MAX_PHRASE, len(run) - i), 1, -1):
            phrase = _table().phrase(run[i : i + size])
            if phrase is not None:
                out.extend(plain(p[0]) for p in phrase)
                i += size
                break
        else:
            out.append(_char(run[i]))
            i += 1
    return tuple(out)


def index_columns(text: str) -> tuple[str, str]:
    """(full syllables, initials tokens) of the Chinese in a title, issuer or 文号."""
    full: list[str] = []
    initials: list[str] = []
    for chunk in CJK_RUN.findall(text):
        letters = ""
        for syl in syllables(chunk):
            if syl:
                full.append(syl)
                letters += syl[0]
            else:
                initials.extend(run_tokens(letters))
                letters = ""
        initials.extend(run_tokens(letters))
    return " ".join(full), " ".join(initials)


@functools.cache
def syllable_table() -> frozenset[str]:
    """Every toneless syllable pypinyin knows (about 410)."""
    found: set[str] = set()
    for readings in _table().char_readings():
        for reading in readings.split(","):
            syl = plain(reading)
            if syl.isascii() and syl.isalpha():
                found.add(syl)
    return frozenset(found)


@functools.cache
def _syllable_prefixes() -> frozenset[str]:
    return frozenset(s[:i] for s in syllable_table() for i in range(1, len(s) + 1))


def segment(letters: str) -> list[Term] | None:
    """Split letters into the fewest syllables (``xian`` stays one); the last may be cut short.

    ``None`` when the letters cannot be pinyin (``zfxxgk``).
    """
    table = syllable_table()
    n = len(letters)
    # pre[j]: fewest whole syllables spelling letters[:j], longest first syllables on ties.
    pre: list[list[str] | None] = [None] * (n + 1)
    pre[0] = []
    for j in range(1, n + 1):
        for i in range(max(0, j - 6), j):
            head = pre[i]
            if head is not None and letters[i:j] in table:
                current = pre[j]
                if current is None or len(head) + 1 < len(current):
                    pre[j] = [*head, letters[i:j]]
    whole = pre[n]
    if whole is not None:
        return [Term(s) for s in whole]
    # Typing in progress: whole syllables, then the start of one (``zhengfux``).
    for cut in range(n - 1, max(0, n - 6) - 1, -1):
        head = pre[cut]
        if head is not None and letters[cut:] in _syllable_prefixes():
            return [*(Term(s) for s in head), Term(letters[cut:], prefix=True)]
    return None


def query_alternatives(part: str) -> tuple[list[Term] | None, list[Term] | None]:
    """(initials phrase, full-pinyin phrase) for one query part that contains letters.

    Characters typed among the letters are converted (``zf信息`` → initials ``zfxx``).
    Either is ``None`` when the part cannot be read that way.
    """
    chunks = runs(part)
    if not any(not cjk and LETTERS.search(run) for cjk, run in chunks):
        return None, None
    if any(not cjk and not run.isalpha() for cjk, run in chunks):
        return None, None
    initials = ""
    full: list[Term] | None = []
    for i, (cjk, run) in enumerate(chunks):
        if cjk:
            syls = syllables(run)
            if not all(syls):
                return None, None
            initials += "".join(s[0] for s in syls)
            if full is not None:
                full.extend(Term(s) for s in syls)
        else:
            initials += run
            terms = segment(run)
            if terms is None or (terms[-1].prefix and i < len(chunks) - 1):
                full = None
            elif full is not None:
                full.extend(terms)
    usable = 2 <= len(initials) <= _MAX_INITIALS
    return (letter_chain_terms(initials) if usable else None), (full or None)


def title_marks(title: str, initials: list[Term] | None, full: list[Term] | None) -> list[
    tuple[int, int]
]:
    """Character spans of ``title`` that a pinyin query matched, for highlighting."""
    chars: list[tuple[int, str]] = []
    for match in CJK_RUN.finditer(title):
        for offset, syl in enumerate(syllables(match.group(0))):
            chars.append((match.start() + offset, syl))
    spans: list[tuple[int, int]] = []
    wanted = _initials_of(initials)
    if wanted:  # str.find over the title's initials ("\0" where a character has no reading)
        letters = "".join(s[:1] or "\0" for _, s in chars)
        start = letters.find(wanted)
        while start >= 0:
            spans.append((chars[start][0], chars[start + len(wanted) - 1][0] + 1))
            start = letters.find(wanted, start + 1)
    if full:
        for start in range(len(chars) - len(full) + 1):
            window = chars[start : start + len(full)]
            if all((s.startswith(t.token) if t.prefix else s == t.token)
                   for (_, s), t in zip(window, full, strict=True)):
                spans.append((window[0][0], window[-1][0] + 1))
    return spans


def _initials_of(terms: list[Term] | None) -> str:
    """Undo ``letter_chain_terms``: bigram chain back to the letters typed."""
    if not terms:
        return ""
    return terms[0].token + "".join(t.token[-1] for t in terms[1:])
