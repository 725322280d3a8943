"""Pinyin candidates for the kiosk's on-screen keyboard, so a citizen can write Chinese with no
system input method: letters in, words and characters out, commonest first.

Offline and built from what the installed packages already ship: jieba's dictionary (about
349 000 words with a corpus frequency each) gives the words and how common they are;
pypinyin gives their readings (its phrase table, which settles heteronyms such as 银行 or
增长, else each character's first reading). A character's weight under one reading is its own
frequency (half to its first reading, half split as its words read it) plus the frequency of
every word that reads it that way, so 长 ranks high under both ``chang`` and ``zhang``.

The index is built once per installation, by ``python -m kiosk.ime FILE`` in a child process
(pypinyin's dictionaries and the build's ~300 000 words never enter the server's memory), into
an SQLite file in the instance folder's ``cache/`` (see :func:`hall.readings.cache_dir`) whose
name carries jieba's and pypinyin's versions and this file's hash. A server process opens that
file in a background thread started by the first page that shows the keyboard (:func:`warm`),
building it first if it is missing, so the build never holds up a request: a request that comes
before the index is ready waits briefly and is told to ask again. Lookups read the words from
the file (SQLite's own small page cache); the syllables and their characters stay in memory.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import heapq
import importlib.resources
import itertools
import logging
import re
import sqlite3
import subprocess
import sys
import threading
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from hall.readings import cache_dir, ready_dir, share

log = logging.getLogger(__name__)

MAX_LETTERS = 40
LETTERS = re.compile(r"^[a-z]+$")
#: words longer than this are rarely typed in one go and cost memory.
MAX_WORD_CHARS = 8
#: words seen fewer times than this in jieba's corpus are left out (unless pypinyin lists them).
MIN_WORD_FREQ = 4
#: words for the initials index (``zfxx`` → 政府信息) need at least this frequency.
INITIALS_MIN_FREQ = 20
INITIALS_PER_KEY = 30
#: words of the hall that jieba's dictionary lacks, given a middling frequency.
HALL_WORDS = ("政府信息公开", "政府信息", "信息公开", "依申请公开", "主动公开", "政务公开",
              "政务服务", "便民服务", "帮办代办", "代为填写", "不予公开", "部分公开",
              "申请编号", "办理进度", "行政复议", "行政诉讼", "补正材料")
HALL_WORD_FREQ = 2000
_LONGEST_SYLLABLE = 6
#: how many keys a completion (``zhengf`` → 政府) looks at, at most.
_COMPLETION_SCAN = 4000
_COMPLETIONS = 12
_FEW_COMPLETIONS = 3
_WORD_BOOST = 8
_VOWELS = frozenset("aeiouv")


@dataclass(frozen=True)
class Candidate:
    text: str
    consume: int  # how many of the typed letters this candidate stands for


@dataclass(frozen=True)
class Page:
    """One page of candidates; ``more`` says whether a next page exists."""

    candidates: list[Candidate]
    more: bool
    segments: list[str]


class _Words(Mapping[str, tuple[str, ...]]):
    """Joined syllables -> words, commonest first (read from the index file)."""

    def __init__(self, index: Index) -> None:
        self._index = index

    def __getitem__(self, key: str) -> tuple[str, ...]:
        found = self._index.entry(key)
        if found is None:
            raise KeyError(key)
        return found[0]

    def __iter__(self) -> Iterator[str]:
        return iter([row[0] for row in self._index.query("SELECT key FROM words ORDER BY key")])

    def __len__(self) -> int:
        return int(self._index.query("SELECT COUNT(*) FROM words")[0][0])


class Index:
    """The keyboard's index: syllables and their characters in memory, words in the file."""

    def __init__(self, path: Path, seconds: float) -> None:
        self.path = path
        self.seconds = seconds  # how long it took to have it ready (build and/or open)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True,
                                   check_same_thread=False)
        #: syllable -> its characters (one string), commonest first, and their weights.
        self.chars: dict[str, str] = {}
        self.char_weights: dict[str, tuple[int, ...]] = {}
        for key, chars, weights in self.query("SELECT key, chars, weights FROM chars"):
            self.chars[key] = chars
            self.char_weights[key] = tuple(int(w) for w in weights.split())
        self.syllables = frozenset(s for s in self.chars if _VOWELS & set(s))
        #: every beginning of a syllable (``z``, ``zh``, ``zha``…): an unfinished last syllable.
        self.beginnings = frozenset(s[:n] for s in self.syllables for n in range(1, len(s) + 1))
        self.word_count = int(self.query("SELECT value FROM meta WHERE name = 'words'")[0][0])
        self.words: Mapping[str, tuple[str, ...]] = _Words(self)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    @functools.lru_cache(maxsize=2048)  # noqa: B019  (one index per process, kept for good)
    def entry(self, key: str) -> tuple[tuple[str, ...], tuple[int, ...]] | None:
        """(words, their frequencies) read ``key``, commonest first; None if none."""
        rows = self.query("SELECT words, freqs FROM words WHERE key = ?", (key,))
        if not rows:
            return None
        return tuple(rows[0][0].split(" ")), tuple(int(f) for f in rows[0][1].split(" "))

    def initials(self, letters: str) -> tuple[str, ...]:
        rows = self.query("SELECT words FROM initials WHERE key = ?", (letters,))
        return tuple(rows[0][0].split(" ")) if rows else ()

    def completions(self, letters: str) -> list[str]:
        """The commonest words whose reading begins with ``letters`` (``zhengf`` → 政府),
        among the first ``_COMPLETION_SCAN`` keys in order (``letters`` itself left out)."""
        rows = self.query(
            "SELECT words FROM (SELECT key, words, top FROM words WHERE key >= ?1 AND key < ?2"
            " ORDER BY key LIMIT ?3) WHERE key != ?1 ORDER BY top DESC, key LIMIT ?4",
            (letters, letters + "{", _COMPLETION_SCAN, _COMPLETIONS))  # "{" sorts after "z"
        return [row[0].partition(" ")[0] for row in rows]


@functools.cache
def toneless(reading: str) -> str:
    """``zhōng`` → ``zhong``, ``lǜ`` → ``lv`` (the keyboard's way to type ü)."""
    text = unicodedata.normalize("NFD", reading.strip().lower()).replace("u\u0308", "v")
    return "".join(c for c in text if not unicodedata.combining(c))


def _gb_level(char: str) -> int:
    """0 for GB2312's 3 755 level-1 (common) characters, 1 for level 2, 2 for the rest
    (traditional forms and rare characters: still offered, after the others)."""
    try:
        first = char.encode("gb2312")[0]
    except UnicodeEncodeError:
        return 2
    return 0 if 0xB0 <= first <= 0xD7 else 1


def _in_gb2312(word: str) -> bool:
    try:
        word.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _jieba_words() -> Iterator[tuple[str, int]]:
    """(word, frequency) from jieba's bundled dict.txt (``word freq tag`` per line), then the
    hall's own words."""
    path = importlib.resources.files("jieba").joinpath("dict.txt")
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            word, _sep, rest = line.partition(" ")
            freq = rest.partition(" ")[0]
            if freq.isdigit():
                yield word, int(freq)
    for word in HALL_WORDS:
        yield word, HALL_WORD_FREQ


def _readings() -> dict[str, list[str]]:
    """Each common-block character's toneless readings, pypinyin's first reading first."""
    from pypinyin.pinyin_dict import pinyin_dict  # the build's child process only

    out: dict[str, list[str]] = {}
    for code, raw in pinyin_dict.items():
        if not 0x4E00 <= code <= 0x9FFF:
            continue
        readings: list[str] = []
        for one in raw.split(","):
            reading = toneless(one)
            if reading not in readings and LETTERS.match(reading):
                readings.append(reading)
        if readings:
            out[chr(code)] = readings
    return out


def _word_reading(word: str, readings: dict[str, list[str]],
                  phrases_dict: dict[str, list[list[str]]]) -> list[str] | None:
    spelled = phrases_dict.get(word)
    if spelled and len(spelled) == len(word):
        return [toneless(r[0]) for r in spelled]
    out = []
    for char in word:
        if char not in readings:
            return None
        out.append(readings[char][0])
    return out


def _keep(word: str, freq: int, phrases_dict: dict[str, list[list[str]]]) -> bool:
    """Words worth their memory: simplified (GB2312), not too long, and either seen more than
    a few times in jieba's corpus or curated in pypinyin's phrase table."""
    return (2 <= len(word) <= MAX_WORD_CHARS and (freq >= MIN_WORD_FREQ or word in phrases_dict)
            and _in_gb2312(word))


def compute() -> dict[str, Any]:
    """The index's tables (seconds of work and tens of MB: done by :func:`write` in a child
    process)."""
    from pypinyin.phrases_dict import phrases_dict

    readings = _readings()
    single: dict[str, int] = {}
    used: defaultdict[tuple[str, str], int] = defaultdict(int)  # (char, reading) -> freq
    by_key: defaultdict[str, list[tuple[int, str]]] = defaultdict(list)
    for word, freq in _jieba_words():
        if len(word) == 1:
            if word in readings:
                single[word] = single.get(word, 0) + freq
            continue
        if not _keep(word, freq, phrases_dict):
            continue
        spelled = _word_reading(word, readings, phrases_dict)
        if spelled is None:
            continue
        for char, reading in zip(word, spelled, strict=True):
            used[char, reading] += freq
        # The word's initials ride along in the key's list: split off below.
        by_key["".join(spelled)].append((-freq, word))
        if freq >= INITIALS_MIN_FREQ:
            by_key["^" + "".join(s[0] for s in spelled)].append((-freq, word))
    ranked: defaultdict[str, list[tuple[tuple[int, int, int], str]]] = defaultdict(list)
    for char, options in readings.items():
        uses = [used.get((char, r), 0) for r in options]
        total = sum(uses) + len(options)
        for index, reading in enumerate(options):
            # The character's own frequency: half to pypinyin's first reading (its reading
            # alone, 的 de), half split as its words read it (长 chang and zhang).
            alone = single.get(char, 0)
            share = alone * (uses[index] + 1) // (2 * total) + (alone // 2 if index == 0 else 0)
            weight = share + uses[index]
            ranked[reading].append(((_gb_level(char) // 2, -weight, index), char))
    chars: dict[str, str] = {}
    char_weights: dict[str, tuple[int, ...]] = {}
    for key, found in ranked.items():
        found.sort()
        chars[key] = "".join(c for _rank, c in found)
        char_weights[key] = tuple(-rank[1] for rank, _c in found)
    words: dict[str, tuple[str, ...]] = {}
    word_freqs: dict[str, tuple[int, ...]] = {}
    initials: dict[str, tuple[str, ...]] = {}
    for key, listed in by_key.items():
        listed.sort()
        if key.startswith("^"):
            if len(key) > 2:
                initials[key[1:]] = tuple(w for _f, w in listed[:INITIALS_PER_KEY])
            continue
        words[key] = tuple(w for _f, w in listed)
        word_freqs[key] = tuple(-f for f, _w in listed)
    return {"chars": chars, "char_weights": char_weights, "words": words,
            "word_freqs": word_freqs, "initials": initials}


def write(path: Path) -> None:
    """Build the index into the SQLite file ``path`` (written beside it, then renamed)."""
    tables = compute()
    work = path.with_name(f".{path.name}.{time.monotonic_ns()}")
    db = sqlite3.connect(work)
    try:
        db.executescript("""
            CREATE TABLE words (key TEXT PRIMARY KEY, words TEXT NOT NULL, freqs TEXT NOT NULL,
                                top INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE initials (key TEXT PRIMARY KEY, words TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE chars (key TEXT PRIMARY KEY, chars TEXT NOT NULL, weights TEXT NOT NULL)
                WITHOUT ROWID;
            CREATE TABLE meta (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
        """)
        words, freqs = tables["words"], tables["word_freqs"]
        db.executemany("INSERT INTO words VALUES (?, ?, ?, ?)", (
            (key, " ".join(words[key]), " ".join(map(str, freqs[key])), freqs[key][0])
            for key in sorted(words)))
        db.executemany("INSERT INTO initials VALUES (?, ?)",
                       ((k, " ".join(v)) for k, v in sorted(tables["initials"].items())))
        weights = tables["char_weights"]
        db.executemany("INSERT INTO chars VALUES (?, ?, ?)", (
            (k, v, " ".join(map(str, weights[k]))) for k, v in sorted(tables["chars"].items())))
        db.execute("INSERT INTO meta VALUES ('words', ?)",
                   (sum(map(len, words.values())),))
        db.commit()
        db.execute("VACUUM")
        db.close()
        share(work)
        work.replace(path)
    finally:
        db.close()
        work.unlink(missing_ok=True)


#: The child's program: this file loaded alone (importing the ``kiosk`` package would cost
#: 1.6 s of Flask and feature imports), then :func:`write`.
_WRITE = """if True:
    import importlib.util, pathlib, sys
    spec = importlib.util.spec_from_file_location("kiosk_ime_build", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.write(pathlib.Path(sys.argv[2]))
"""


def index_path() -> Path:
    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    return cache_dir() / (f"ime-jieba{version('jieba')}-pypinyin{version('pypinyin')}-"
                          f"{digest}.sqlite3")


def build() -> Index:
    """The index: its file built first (in a child process, one at a time) if missing."""
    started = time.perf_counter()
    path = index_path()
    if not path.exists():
        with open(ready_dir(path.parent) / ".ime.lock", "a") as lock:
            share(Path(lock.name))
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not path.exists():
                subprocess.run([sys.executable, "-c", _WRITE, __file__, str(path)], check=True,
                               cwd=Path(__file__).resolve().parent.parent)
                for old in path.parent.glob("ime-*.sqlite3"):  # other versions' files
                    if old != path:
                        old.unlink(missing_ok=True)
    return Index(path, time.perf_counter() - started)


class _Builder:
    """Builds the index once per process in a daemon thread; readers wait on an event."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self.index: Index | None = None
        self.failed = False

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="pinyin-index",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        try:
            self.index = build()
        except Exception:  # the keyboard still types letters; the log says why
            log.exception("the pinyin index could not be built")
            self.failed = True
        else:
            log.info("pinyin index: %d words built in %.1f s", self.index.word_count,
                     self.index.seconds)
        finally:
            self._ready.set()

    def wait(self, seconds: float | None) -> Index | None:
        self.start()
        self._ready.wait(seconds)
        return self.index


_builder = _Builder()


def warm() -> None:
    """Start building the index in the background (once per process); returns at once."""
    _builder.start()


def ready_index(wait: float | None = None) -> Index | None:
    """The index, waiting up to ``wait`` seconds for the build (None: until it is done)."""
    return _builder.wait(wait)


def _parses(index: Index, rest: str, memo: dict[str, bool]) -> bool:
    """Whether ``rest`` splits into syllables, the last one possibly unfinished."""
    if not rest or rest in index.beginnings:
        return True
    if rest not in memo:
        memo[rest] = any(rest[:n] in index.syllables and _parses(index, rest[n:], memo)
                         for n in range(min(_LONGEST_SYLLABLE, len(rest)), 0, -1))
    return memo[rest]


def segment(index: Index, letters: str) -> list[str]:
    """The fewest syllables ``letters`` splits into (an unfinished tail stays as typed);
    letters that do not split at all come back whole."""
    best: dict[int, list[str]] = {len(letters): []}
    for start in range(len(letters) - 1, -1, -1):
        options = []
        for n in range(1, min(_LONGEST_SYLLABLE, len(letters) - start) + 1):
            piece = letters[start:start + n]
            end = start + n
            if piece in index.syllables and end in best:
                options.append([piece, *best[end]])
            elif end == len(letters) and piece in index.beginnings:
                options.append([piece])
        if options:
            best[start] = min(options, key=len)
    return best.get(0, [letters])


def _chars_of_beginning(index: Index, begun: str) -> list[str]:
    """Characters of every syllable that begins with ``begun`` (``zh``), commonest first."""
    found = [(-weight, char) for s in index.syllables if s.startswith(begun)
             for char, weight in zip(index.chars[s][:12], index.char_weights[s][:12],
                                     strict=True)]
    return [char for _w, char in sorted(found)]


def _same_length(index: Index, head: str) -> Iterator[str]:
    """Words and characters read exactly ``head``, merged by how common they are. A word's
    weight is its corpus frequency, a character's the sum over every word it is used in;
    words get a boost (x ``_WORD_BOOST``) so that 西安 stands among 先, 现, 县 for ``xian``."""
    streams = []
    found = index.entry(head)
    if found is not None:
        streams.append(zip((-f * _WORD_BOOST for f in found[1]), found[0], strict=True))
    if head in index.syllables:
        streams.append(zip((-w for w in index.char_weights[head]), index.chars[head],
                           strict=True))
    for _weight, text in heapq.merge(*streams):
        yield text


def _generate(index: Index, letters: str) -> Iterator[Candidate]:
    memo: dict[str, bool] = {}
    size = len(letters)
    parts = segment(index, letters)
    for text in _same_length(index, letters):
        yield Candidate(text, size)
    parsed = _parses(index, letters, memo)
    if len(parts) > 1 and parsed:
        # Fewer guesses when the last syllable is complete: its own characters come next.
        finished = parts[-1] in index.syllables
        for word in index.completions(letters)[:_FEW_COMPLETIONS if finished else None]:
            yield Candidate(word, size)
    if not parsed:
        for word in index.initials(letters):
            yield Candidate(word, size)
    for cut in range(size - 1, 0, -1):
        if _parses(index, letters[cut:], memo):
            for text in _same_length(index, letters[:cut]):
                yield Candidate(text, cut)
    # The first syllable is still being typed (``zh``): characters of all it may become.
    for cut in range(min(_LONGEST_SYLLABLE, size), 0, -1):
        head = letters[:cut]
        if head in index.beginnings and head not in index.syllables:
            for char in _chars_of_beginning(index, head):
                yield Candidate(char, cut)
            break


def _unique(found: Iterator[Candidate]) -> Iterator[Candidate]:
    seen: set[str] = set()
    for candidate in found:
        if candidate.text not in seen:
            seen.add(candidate.text)
            yield candidate


def lookup(index: Index, letters: str, *, offset: int = 0, limit: int = 40) -> Page:
    """Candidates ``offset`` to ``offset + limit`` for the typed ``letters``: words for the
    whole input, completions of an unfinished input, words by initials, words for its
    leading syllables, then characters of its first syllable."""
    letters = letters.lower()
    if not letters or len(letters) > MAX_LETTERS or not LETTERS.match(letters):
        return Page([], False, [])
    window = list(itertools.islice(_unique(_generate(index, letters)), offset,
                                   offset + limit + 1))
    return Page(window[:limit], len(window) > limit, segment(index, letters))

