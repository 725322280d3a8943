"""Pinyin candidates for the kiosk's on-screen keyboard, so a citizen can write Chinese with no
system input method: letters in, characters and words out.

Pure and offline: built once per process from pypinyin's own tables (characters with their
readings, ~47 000 words with theirs). A character's rank is how many of those words use it, a
rough but local measure of how common it is; words rank by their rarest character.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass

from pypinyin.phrases_dict import phrases_dict
from pypinyin.pinyin_dict import pinyin_dict

MAX_LETTERS = 40
LETTERS = re.compile(r"^[a-z]+$")
_CHARS_PER_SYLLABLE = 80
_LONGEST_SYLLABLE = 6


@dataclass(frozen=True)
class Candidate:
    text: str
    consume: int  # how many of the typed letters this candidate stands for


@functools.cache
def toneless(reading: str) -> str:
    """``zhōng`` → ``zhong``, ``lǜ`` → ``lv`` (the keyboard's way to type ü)."""
    text = unicodedata.normalize("NFD", reading.strip().lower()).replace("u\u0308", "v")
    return "".join(c for c in text if not unicodedata.combining(c))


@dataclass
class _Tables:
    syllables: frozenset[str]
    chars: dict[str, list[str]]  # syllable -> characters, commonest first
    words: dict[str, list[str]]  # joined syllables -> words, commonest first


def _level_one(char: str) -> bool:
    """One of GB2312's 3 755 level-1 characters, the standard's list of common ones."""
    try:
        first = char.encode("gb2312")[0]
    except UnicodeEncodeError:
        return False
    return 0xB0 <= first <= 0xD7


@functools.cache
def _tables() -> _Tables:
    freq: Counter[str] = Counter()
    for word in phrases_dict:
        freq.update(word)
    ranked: defaultdict[str, list[tuple[tuple[int, int, int], str]]] = defaultdict(list)
    for code, readings in pinyin_dict.items():
        if not 0x4E00 <= code <= 0x9FFF:
            continue
        char = chr(code)
        seen: set[str] = set()
        for index, raw in enumerate(readings.split(",")):
            reading = toneless(raw)
            if reading in seen or not LETTERS.match(reading):
                continue
            seen.add(reading)
            # The character's main reading first, common (GB2312 level 1) characters next.
            ranked[reading].append(((index > 0, not _level_one(char), -freq[char]), char))
    chars = {key: [c for _rank, c in sorted(found)[:_CHARS_PER_SYLLABLE]]
             for key, found in ranked.items()}
    words: defaultdict[str, list[tuple[int, str]]] = defaultdict(list)
    for word, spelled in phrases_dict.items():
        key = "".join(toneless(r[0]) for r in spelled if r)
        if LETTERS.match(key):
            words[key].append((-min(freq[c] for c in word), word))
    return _Tables(frozenset(chars), chars,
                   {k: [w for _score, w in sorted(v)] for k, v in words.items()})


def segment(letters: str) -> list[str]:
    """Greedy longest-first split into syllables; an unfinished tail stays as typed."""
    tables = _tables()
    out: list[str] = []
    i = 0
    while i < len(letters):
        for size in range(min(_LONGEST_SYLLABLE, len(letters) - i), 0, -1):
            if letters[i:i + size] in tables.syllables:
                out.append(letters[i:i + size])
                i += size
                break
        else:
            out.append(letters[i:])
            break
    return out


def candidates(letters: str, limit: int = 30) -> list[Candidate]:
    """Words for the whole input, then words for its leading syllables, then characters of
    the first syllable (or of every syllable it begins, for ``zh``)."""
    letters = letters.lower()
    if not letters or len(letters) > MAX_LETTERS or not LETTERS.match(letters):
        return []
    tables = _tables()
    seen: set[str] = set()
    out: list[Candidate] = []

    def add(text: str, consume: int) -> None:
        if text not in seen and len(out) < limit:
            seen.add(text)
            out.append(Candidate(text, consume))

    parts = segment(letters)
    for count in range(len(parts), 1, -1):
        key = "".join(parts[:count])
        for word in tables.words.get(key, [])[:limit]:
            add(word, len(key))
    first = parts[0]
    if first in tables.chars:
        for char in tables.chars[first]:
            add(char, len(first))
    else:
        for syllable in sorted(s for s in tables.syllables if s.startswith(first)):
            for char in tables.chars[syllable][:6]:
                add(char, len(first))
    return out


def warm() -> None:
    """Build the tables in the background (about two seconds), before the first key press."""
    if _tables.cache_info().currsize:
        return
    threading.Thread(target=_tables, name="pinyin-tables", daemon=True).start()
