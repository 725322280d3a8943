"""Read-aloud audio made on the server with espeak-ng, because the kiosk browser has no Chinese
voice (Debian's Chromium ships none; Android WebViews have no speech synthesis at all).

espeak-ng's plain ``cmn`` voice misreads Chinese characters, but its ``cmn-latn-pinyin`` voice
reads tone-numbered pinyin well; so the text is turned into a pinyin script first (pure
functions below, unit-tested), then spoken. The script goes to espeak-ng on stdin, never
through a shell.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shlex
import subprocess
import threading
import unicodedata
from collections import OrderedDict

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask_babel import gettext as _

from hall.extensions import limiter
from hall.readings import readings

log = logging.getLogger(__name__)

bp = Blueprint("kiosk_speech", __name__, url_prefix="/kiosk")

MAX_CHARS = 1000
VOICE = "cmn-latn-pinyin"
SPEED_WPM = 150  # a little slower than espeak's 175: the hall's visitors are often elderly
TIMEOUT_SECONDS = 8.0
CACHE_SIZE = 64

DIGITS = "零一二三四五六七八九"
# CJK ideographs incl. 〇 and the supplementary planes (where 𠮷 lives).
HAN = re.compile(
    "[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+"
)
# Full-width and other punctuation -> the ASCII marks espeak-ng pauses on.
PAUSES = {
    "。": ".", "．": ".", "！": "!", "？": "?", "；": ";", "：": ":", "，": ",", "、": ",",
    "…": ".", "—": ",", "–": ",", "·": " ", "•": " ", "\n": ".",
}
# Parentheses and 〔〕 get a short pause around them; quotes and title marks do not.
PAUSES.update(dict.fromkeys("()[]{}（）〔〕【】", ","))
BRACKETS = set("《》〈〉「」『』“”‘’\"'")
DOC_YEAR = re.compile(r"([〔\[])(\d{4})([〕\]])")  # 国办发〔2019〕15号
NUMBER = re.compile(r"(\d+)\.(\d+)|(\d+)(年)?")
PERCENT = re.compile(r"(\d+(?:\.\d+)?)%")
TOKEN = re.compile(r"[A-Za-z]+|[.!?;:,]")


class SpeechError(Exception):
    """espeak-ng is missing or failed; the message is for the citizen."""


def _below_10000(n: int, leading: bool) -> str:
    """Read 0 < n < 10000 in Chinese (一百零五, 十二); ``leading`` drops 一 before 十."""
    parts: list[str] = []
    zero = False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // unit_value % 10
        if digit == 0:
            zero = bool(parts)
            continue
        if zero:
            parts.append("零")
            zero = False
        if digit == 1 and unit == "十" and not parts and leading:
            parts.append("十")
        else:
            parts.append(DIGITS[digit] + unit)
    return "".join(parts)


def integer_words(n: int) -> str:
    """Read a non-negative integer under 10⁸ as a Chinese number: 29 -> 二十九."""
    if n == 0:
        return DIGITS[0]
    high, low = divmod(n, 10000)
    if not high:
        return _below_10000(low, True)
    words = _below_10000(high, True) + "万"
    if low:
        if low < 1000:
            words += "零"
        words += _below_10000(low, False)
    return words


def digit_words(digits: str) -> str:
    """Read digit by digit, as for years, phone and document numbers: 2019 -> 二零一九."""
    return "".join(DIGITS[int(d)] for d in digits)


def _number(match: re.Match[str]) -> str:
    if match.group(1) is not None:
        whole, fraction = match.group(1), match.group(2)
        return _integer_run(whole) + "点" + digit_words(fraction)
    digits, year = match.group(3), match.group(4)
    if year:
        return digit_words(digits) + year
    return _integer_run(digits)


def _integer_run(digits: str) -> str:
    """Amounts are read as numbers; long runs or leading zeros (phones, codes) digit by digit."""
    if len(digits) >= 7 or (len(digits) > 1 and digits.startswith("0")):
        return digit_words(digits)
    return integer_words(int(digits))


def numbers_to_chinese(text: str) -> str:
    """Write the digits of ``text`` as Chinese characters so that pinyin can carry them."""
    text = DOC_YEAR.sub(lambda m: m.group(1) + digit_words(m.group(2)) + m.group(3), text)
    text = PERCENT.sub(lambda m: "百分之" + NUMBER.sub(_number, m.group(1)), text)
    return NUMBER.sub(_number, text)


def _other_tokens(chunk: str) -> list[str]:
    """Tokens for a run without Chinese characters: pauses, Latin words; the rest is dropped."""
    mapped = "".join(
        PAUSES.get(ch, " " if ch in BRACKETS or ch.isspace() else ch) for ch in chunk
    )
    return [token.lower() for token in TOKEN.findall(mapped)]


def pinyin_script(text: str) -> str:
    """Turn Chinese text into the tone-numbered pinyin that espeak-ng's ``cmn-latn-pinyin``
    voice reads: ``政府信息公开。`` -> ``zheng4 fu3 xin4 xi1 gong1 kai1.``

    Phrases decide heteronyms (银行 hang2, 行长 zhang3); characters with no known reading (some
    rare ones) are skipped rather than spelled out; punctuation stays as pauses.
    """
    text = numbers_to_chinese(unicodedata.normalize("NFKC", text))
    tokens: list[str] = []
    position = 0
    for match in HAN.finditer(text):
        tokens += _other_tokens(text[position : match.start()])
        # pypinyin's lazy_pinyin(style=TONE3, neutral_tone_with_five=True, errors="ignore")
        tokens += readings().lazy_pinyin(match.group(), "tone3", errors="ignore")
        position = match.end()
    tokens += _other_tokens(text[position:])
    script = ""
    for token in tokens:
        if token in ".!?;:,":
            if script and script[-1] not in ".!?;:,":
                script += token
        else:
            script += (" " if script else "") + token
    script = script.rstrip(",;:")
    # Punctuation alone is nothing to read.
    return script if script.strip(" .!?") else ""


def fix_wav_header(data: bytes) -> bytes:
    """espeak-ng streams to stdout with placeholder sizes (0x7ffff000); write the real ones so
    every player (and Python's ``wave``) knows the true length."""
    if len(data) < 44 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return data
    fixed = bytearray(data)
    fixed[4:8] = (len(data) - 8).to_bytes(4, "little")
    offset = 12
    while offset + 8 <= len(fixed):
        chunk_id = bytes(fixed[offset : offset + 4])
        size = int.from_bytes(fixed[offset + 4 : offset + 8], "little")
        if chunk_id == b"data":
            fixed[offset + 4 : offset + 8] = (len(fixed) - offset - 8).to_bytes(4, "little")
            break
        offset += 8 + size + (size & 1)
    return bytes(fixed)


class WavCache:
    """A small thread-safe LRU of spoken paragraphs: the same article is read again and again."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            wav = self._items.get(key)
            if wav is not None:
                self._items.move_to_end(key)
            return wav

    def put(self, key: str, wav: bytes) -> None:
        with self._lock:
            self._items[key] = wav
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


cache = WavCache()


def synthesize(script: str, command: str) -> bytes:
    """Speak a pinyin script with espeak-ng and return the WAV bytes (cached by hash)."""
    argv = [*shlex.split(command), "-v", VOICE, "-s", str(SPEED_WPM), "--stdout"]
    key = hashlib.sha256("\0".join([*argv, script]).encode()).hexdigest()
    wav = cache.get(key)
    if wav is not None:
        return wav
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, text on stdin, no shell
            argv, input=script.encode(), capture_output=True, timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except (FileNotFoundError, PermissionError, IndexError) as error:
        log.warning("read-aloud unavailable: %s", error)
        raise SpeechError(_("本机暂不支持朗读")) from error
    except subprocess.TimeoutExpired as error:
        log.warning("espeak-ng timed out after %ss", TIMEOUT_SECONDS)
        raise SpeechError(_("朗读暂时出错，请稍后再试。")) from error
    if done.returncode != 0 or done.stdout[:4] != b"RIFF":
        log.warning("espeak-ng failed (%s): %s", done.returncode, done.stderr[:200])
        raise SpeechError(_("朗读暂时出错，请稍后再试。"))
    wav = fix_wav_header(done.stdout)
    cache.put(key, wav)
    return wav


def _error(message: str, status: int) -> tuple[Response, int]:
    return jsonify(error=message, status=status), status


@bp.post("/speech")
@limiter.limit(lambda: str(current_app.config["SPEECH_RATE_LIMIT"]))
def speech() -> Response | tuple[Response, int]:
    """``{"text": "…"}`` (at most 1,000 characters) -> ``audio/wav``."""
    payload = request.get_json(silent=True)
    text = payload.get("text") if isinstance(payload, dict) else None
    if not isinstance(text, str):
        return _error(_("请以 JSON 提交要朗读的文字，例如 {\"text\": \"…\"}。"), 400)
    text = text.strip()
    if not text:
        return _error(_("没有要朗读的文字。"), 400)
    if len(text) > MAX_CHARS:
        return _error(_("一次最多朗读 %(n)d 个字，请分段朗读。", n=MAX_CHARS), 400)
    script = pinyin_script(text)
    if not script:
        return _error(_("这段文字没有可以朗读的内容。"), 400)
    try:
        wav = synthesize(script, str(current_app.config.get("TTS_COMMAND") or "espeak-ng"))
    except SpeechError as error:
        return _error(str(error), 503)
    response = Response(wav, mimetype="audio/wav")
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
