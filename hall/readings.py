"""Chinese readings (pinyin) for every package, from pypinyin's data, without pypinyin's
dictionaries in the server's memory.

Importing pypinyin loads its character and phrase tables as Python dicts and lists: ~54 MB
of the server's RSS for 42 000 characters and 47 000 phrases. Here the same data is written
once into compact files — marisa tries (chars, phrases, the phrase list for longest-match) and
a small JSON file (pypinyin's pattern for Chinese characters, its TONE3 and FIRST_LETTER forms
of every toned syllable) — and the server maps those files (a few MB, shared by workers).

The files are built by ``python -m hall.readings DIR`` in a child process (pypinyin is
imported there only) the first time they are needed, in the instance folder's ``cache/`` (or
``GONGKAI_CACHE_DIR``), under a name that carries pypinyin's version and this file's hash: a
new pypinyin or a change here builds them again; otherwise every process and test reuses them.

Readings are pypinyin's own: :meth:`Readings.char` and :meth:`Readings.phrase` give what
``PINYIN_DICT`` and ``PHRASES_DICT`` hold, and :meth:`Readings.lazy_pinyin` follows
``pypinyin.lazy_pinyin`` step by step (split into Chinese and other runs, forward maximum
matching over the phrase list as pypinyin's ``mmseg`` does, phrase or first character
reading) for the two styles the hall uses. tests/hall/test_readings.py compares them.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Literal

import marisa_trie

FORMAT = 1
Style = Literal["tone3", "first_letter"]


def cache_dir() -> Path:
    """``GONGKAI_CACHE_DIR``, else ``cache/`` in the instance folder Flask gives the hall."""
    configured = os.environ.get("GONGKAI_CACHE_DIR")
    if configured:
        return Path(configured)
    from flask.sansio.scaffold import find_package  # as Flask finds the instance folder

    prefix, package_path = find_package("hall")
    if prefix is None:
        return Path(package_path) / "instance" / "cache"
    return Path(prefix) / "var" / "hall-instance" / "cache"


def ready_dir(folder: Path) -> Path:
    """Make ``folder`` (the cache) if missing, readable by all: files built by an admin's
    command (``umask 077``) must still open in the service's own account."""
    folder.mkdir(parents=True, exist_ok=True)
    share(folder)
    return folder


def share(path: Path) -> None:
    """``path`` readable by every account (its owner alone may change it)."""
    try:
        path.chmod(0o755 if path.is_dir() else 0o644)
    except OSError:  # not ours: whoever made it made it readable
        pass


def table_name() -> str:
    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    return f"readings-{FORMAT}-pypinyin{version('pypinyin')}-{digest}"


class Readings:
    """pypinyin's readings from the files :func:`build` wrote in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self._chars = marisa_trie.BytesTrie()
        self._chars.mmap(str(folder / "chars.marisa"))
        self._phrases = marisa_trie.BytesTrie()
        self._phrases.mmap(str(folder / "phrases.marisa"))
        self._phrase_keys = marisa_trie.Trie()
        self._phrase_keys.mmap(str(folder / "phrase_keys.marisa"))
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        self._hans = re.compile(meta["re_hans"])
        self._styles: dict[str, dict[str, str]] = meta["styles"]

    def char(self, ch: str) -> str | None:
        """Every reading of one character, toned, comma-separated (``PINYIN_DICT``'s value)."""
        found = self._chars.get(ch)
        return found[0].decode() if found else None

    def phrase(self, text: str) -> list[list[str]] | None:
        """A phrase's readings, one list per character (``PHRASES_DICT``'s value), or None."""
        found = self._phrases.get(text)
        if not found:
            return None
        return [alts.split(",") for alts in found[0].decode().split(" ")]

    def char_readings(self) -> Iterator[str]:
        """Every character's readings (``PINYIN_DICT.values()``)."""
        for _key, value in self._chars.iteritems():
            yield value.decode()

    def _cut(self, text: str) -> Iterator[str]:
        """pypinyin's ``mmseg.seg.cut`` (forward maximum matching, strict) step by step."""
        keys = self._phrase_keys
        remain = text
        while remain:
            last_valid_word = ""
            last_valid_index = 0
            for index in range(len(remain)):
                word = remain[: index + 1]
                if next(keys.iterkeys(word), None) is not None:  # a prefix of a phrase
                    if word in keys:
                        last_valid_word = word
                        last_valid_index = index + 1
                else:
                    if last_valid_word:
                        yield last_valid_word
                        remain = remain[last_valid_index:]
                    else:
                        yield remain[0]
                        remain = remain[1:]
                    break
            else:
                if last_valid_word:
                    yield last_valid_word
                    remain = remain[last_valid_index:]
                else:
                    yield from remain
                    break

    def _runs(self, text: str) -> Iterator[tuple[bool, str]]:
        """pypinyin's ``simple_seg``: (Chinese?, run) for runs of Chinese and of the rest."""
        start = 0
        for i in range(1, len(text) + 1):
            if i == len(text) or (bool(self._hans.match(text[i]))
                                  != bool(self._hans.match(text[start]))):
                yield bool(self._hans.match(text[start])), text[start:i]
                start = i

    def lazy_pinyin(self, text: str, style: Style,
                    errors: Literal["default", "ignore"] = "default") -> list[str]:
        """``pypinyin.lazy_pinyin(text, style=…, errors=…)`` for ``tone3`` (with
        ``neutral_tone_with_five=True``) and ``first_letter``."""
        forms = self._styles[style]
        out: list[str] = []
        for chinese, run in self._runs(text):
            if not chinese:
                if errors == "default":
                    out.append(run)
                continue
            for word in self._cut(run):
                spelled = self.phrase(word)
                if spelled is not None:
                    out.extend(forms.get(alts[0], alts[0]) for alts in spelled)
                    continue
                for ch in word:
                    readings = self.char(ch)
                    if readings is not None:
                        first = readings.split(",")[0]
                        out.append(forms.get(first, first))
                    elif errors == "default":
                        out.append(ch)
        return [item for item in out if item]


def build(folder: Path) -> None:
    """Write the table into ``folder`` (imports pypinyin: run it in a child process)."""
    from pypinyin import Style as PypinyinStyle
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT, RE_HANS
    from pypinyin.converter import UltimateConverter

    work = Path(tempfile.mkdtemp(prefix=".readings-", dir=ready_dir(folder.parent)))
    try:
        marisa_trie.BytesTrie(
            (chr(code), readings.encode()) for code, readings in PINYIN_DICT.items()
        ).save(str(work / "chars.marisa"))
        marisa_trie.BytesTrie(
            (phrase, " ".join(",".join(alts) for alts in spelled).encode())
            for phrase, spelled in PHRASES_DICT.items()
        ).save(str(work / "phrases.marisa"))
        marisa_trie.Trie(PHRASES_DICT.keys()).save(str(work / "phrase_keys.marisa"))
        toned = {r for value in PINYIN_DICT.values() for r in value.split(",")}
        toned |= {r for spelled in PHRASES_DICT.values() for alts in spelled for r in alts}
        five = UltimateConverter(neutral_tone_with_five=True)
        plain = UltimateConverter()
        styles = {
            "tone3": {r: five.convert_style("", r, PypinyinStyle.TONE3, True) for r in toned},
            "first_letter": {r: plain.convert_style("", r, PypinyinStyle.FIRST_LETTER, True)
                             for r in toned},
        }
        meta = {"re_hans": RE_HANS.pattern, "styles": styles}
        (work / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        for path in (work, *work.iterdir()):
            share(path)
        try:
            work.rename(folder)
        except OSError:  # built meanwhile by another process
            if not (folder / "meta.json").exists():
                raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def ensure_built(folder: Path) -> Path:
    """``folder``, built first in a child process if it is not there yet (one build at a
    time across processes: a lock file beside it)."""
    if (folder / "meta.json").exists():
        return folder
    with open(ready_dir(folder.parent) / ".readings.lock", "a") as lock:
        share(Path(lock.name))
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "meta.json").exists():
            subprocess.run([sys.executable, "-m", "hall.readings", str(folder)], check=True,
                           cwd=Path(__file__).resolve().parent.parent)
            for old in folder.parent.glob("readings-*"):  # other versions' tables
                if old != folder:
                    shutil.rmtree(old, ignore_errors=True)
    return folder


@functools.cache
def readings() -> Readings:
    """The process's table (built on first use, then mapped from the cache)."""
    return Readings(ensure_built(cache_dir() / table_name()))


if __name__ == "__main__":
    build(Path(sys.argv[1]))
