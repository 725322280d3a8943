"""The Mandarin voice of the lobby call: which clips say a call, and the clips themselves.

A call is said as a sequence of short clips ("请 A 零 一 二 号 到 三 号窗口 办理" after a chime),
so it works offline on every screen without a speech engine: the screen plays the clips back to
back (Web Audio), or fetches one joined WAV. Ticket numbers are read digit by digit (零一二),
window numbers as numbers (十三, 一百零五).

Every clip is a WAV file in one format (``RATE`` Hz, 16-bit PCM, mono), so joining is plain
frame concatenation with a short silence between clips. The shipped clips are in
``static/tickets/voice`` (made by ``scripts/make_voice_clips.py``); staff may replace any of them
with a recording (``queue_voice_clip``), which is converted to the same format on the way in.
"""

from __future__ import annotations

import functools
import hashlib
import io
import sys
import wave
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import defer

from hall.extensions import db
from tickets.models import VoiceClip

VOICE_DIR = Path(__file__).parent / "static" / "tickets" / "voice"
RATE = 22050  # espeak-ng's own rate: the shipped clips need no resampling
SAMPLE_WIDTH = 2
CHANNELS = 1
#: The silence between two clips of a call (the screens' Web Audio player uses the same).
GAP_SECONDS = 0.08
#: Uploads: the largest file taken, the longest clip kept, the sample rates converted.
MAX_UPLOAD_BYTES = 1024 * 1024
MAX_CLIP_SECONDS = 5.0
UPLOAD_RATES = (8000, 48000)

LETTERS = tuple(chr(c) for c in range(ord("A"), ord("Z") + 1))
DIGIT_WORDS = ("零", "一", "二", "三", "四", "五", "六", "七", "八", "九")
#: Every clip by name, with what it says (for the staff page).
CLIP_WORDS: dict[str, Any] = {
    "chime": _l("提示音（叮咚）"),
    "qing": "请",
    "hao": "号",
    "dao": "到",
    "hao_chuangkou": "号窗口",
    "banli": "办理",
    **{f"d{i}": word for i, word in enumerate(DIGIT_WORDS)},
    "shi": "十",
    "bai": "百",
    **{letter: letter for letter in LETTERS},
}
CLIPS: tuple[str, ...] = tuple(CLIP_WORDS)


class VoiceError(ValueError):
    """An upload that cannot be a clip; ``message`` says why, for the staff member."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


# --------------------------------------------------------------------------- what is said


def window_clips(number: int) -> list[str]:
    """A window number read as a number: 3 → 三, 10 → 十, 13 → 十三, 20 → 二十,
    105 → 一百零五, 110 → 一百一十. Beyond 999 (or below 0) it is read digit by digit."""
    if not 0 <= number <= 999:
        return [f"d{c}" for c in str(abs(number))]
    hundreds, tens, ones = number // 100, number // 10 % 10, number % 10
    if hundreds == 0:
        if tens == 0:
            return [f"d{ones}"]
        head = ["shi"] if tens == 1 else [f"d{tens}", "shi"]
        return head + ([f"d{ones}"] if ones else [])
    out = [f"d{hundreds}", "bai"]
    if tens:
        out += [f"d{tens}", "shi"]
    elif ones:
        out.append("d0")
    if ones:
        out.append(f"d{ones}")
    return out


def number_clips(number: str) -> list[str]:
    """A ticket number read one sign at a time: A012 → A 零 一 二 (other signs are skipped)."""
    out = []
    for char in number.upper():
        if char.isdigit() and char.isascii():
            out.append(f"d{char}")
        elif char in LETTERS:
            out.append(char)
    return out


def clips_for_call(number: str, window_number: int) -> list[str]:
    """The clips that say "请 <number> 号 到 <window> 号窗口 办理", after the chime."""
    return ["chime", "qing", *number_clips(number), "hao", "dao",
            *window_clips(window_number), "hao_chuangkou", "banli"]


def call_text(number: str, window_number: int) -> str:
    """What the call says, as text (shown wherever it is spoken)."""
    return _("请 %(number)s 号 到 %(window)s 号窗口 办理", number=number, window=window_number)


# --------------------------------------------------------------------------- the clips


def shipped_path(name: str) -> Path:
    return VOICE_DIR / f"{name}.wav"


@functools.lru_cache(maxsize=1)
def _shipped_digest() -> str:
    """One digest of the shipped files (read once per process): a new release changes it."""
    digest = hashlib.sha1(usedforsecurity=False)
    for name in CLIPS:
        path = shipped_path(name)
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def voice_version() -> str:
    """A token that changes whenever any clip does (an upload, a revert, a new release), so
    screens know to fetch their clips again."""
    rows = db.session.execute(
        select(VoiceClip.name, VoiceClip.updated_at).order_by(VoiceClip.name)).all()
    digest = hashlib.sha1(_shipped_digest().encode(), usedforsecurity=False)
    for name, updated_at in rows:
        digest.update(f"{name}@{updated_at.isoformat()};".encode())
    return digest.hexdigest()[:12]


def overrides() -> dict[str, VoiceClip]:
    """The staff recordings, by clip name (without loading their audio)."""
    rows = db.session.scalars(
        select(VoiceClip).options(defer(VoiceClip.data))).all()
    return {row.name: row for row in rows}


def clip_bytes(name: str) -> bytes | None:
    """The WAV of clip ``name``: the staff recording if there is one, else the shipped file;
    None for a name that is not a clip."""
    if name not in CLIP_WORDS:
        return None
    data = db.session.scalar(select(VoiceClip.data).where(VoiceClip.name == name))
    if data is not None:
        return bytes(data)
    path = shipped_path(name)
    return path.read_bytes() if path.exists() else None


def _frames(data: bytes) -> bytes:
    with wave.open(io.BytesIO(data)) as wav:
        if (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) != (
                CHANNELS, SAMPLE_WIDTH, RATE):
            raise VoiceError(_l("声音片段格式不对。"))
        return wav.readframes(wav.getnframes())


def write_wav(frames: bytes) -> bytes:
    """Frames in the clips' format as a WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(CHANNELS)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(RATE)
        wav.writeframes(frames)
    return out.getvalue()


def gap_frames() -> int:
    return round(RATE * GAP_SECONDS)


def join_wav(names: Iterable[str], clips: dict[str, bytes] | None = None) -> bytes:
    """One WAV of the clips in order, with ``GAP_SECONDS`` of silence between two clips.

    :param clips: the clips' WAV bytes by name, if already read (default: :func:`clip_bytes`).
    :raises KeyError: a name that is not a clip.
    """
    silence = b"\0" * (gap_frames() * SAMPLE_WIDTH * CHANNELS)
    parts = []
    for name in names:
        data = clips[name] if clips is not None and name in clips else clip_bytes(name)
        if data is None:
            raise KeyError(name)
        parts.append(_frames(data))
    return write_wav(silence.join(parts))


# --------------------------------------------------------------------------- uploads


def _samples(frames: bytes) -> array[int]:
    samples = array("h")
    samples.frombytes(frames)
    if sys.byteorder == "big":  # WAV is little-endian
        samples.byteswap()
    return samples


def _mono(samples: array[int], channels: int) -> array[int]:
    if channels == 1:
        return samples
    out = array("h", bytes(2 * (len(samples) // channels)))
    for i in range(len(out)):
        chunk = samples[i * channels:(i + 1) * channels]
        out[i] = sum(chunk) // channels
    return out


def _resample(samples: array[int], rate: int) -> array[int]:
    """Linear interpolation to ``RATE`` (enough for a voice; no new dependency)."""
    if rate == RATE or not samples:
        return samples
    count = int(len(samples) * RATE / rate)
    step = rate / RATE
    last = len(samples) - 1
    out = array("h", bytes(2 * count))
    for i in range(count):
        pos = i * step
        j = int(pos)
        a = samples[min(j, last)]
        b = samples[min(j + 1, last)]
        out[i] = int(a + (b - a) * (pos - j))
    return out


def convert_upload(data: bytes) -> bytes:
    """A staff recording as a clip: a WAV file of 16-bit PCM (mono or stereo, 8–48 kHz),
    returned as ``RATE`` Hz mono WAV.

    :raises VoiceError: too large, not a WAV file, not 16-bit PCM, silent or too long.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise VoiceError(_l("文件太大：声音片段最大 1 MB。"))
    if not data:
        raise VoiceError(_l("请选择一个 WAV 录音文件。"))
    try:
        with wave.open(io.BytesIO(data)) as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as error:
        raise VoiceError(_l("这不是可用的 WAV 文件（需要未压缩的 PCM 格式）。")) from error
    if width != SAMPLE_WIDTH:
        raise VoiceError(_l("请用 16 位 PCM 格式的 WAV 文件（这个文件是 %(bits)s 位）。",
                            bits=width * 8))
    if channels not in (1, 2):
        raise VoiceError(_l("请用单声道或立体声的录音。"))
    if not UPLOAD_RATES[0] <= rate <= UPLOAD_RATES[1]:
        raise VoiceError(_l("采样率须在 8000 到 48000 Hz 之间（这个文件是 %(rate)s Hz）。",
                            rate=rate))
    usable = len(frames) - len(frames) % (width * channels)
    samples = _resample(_mono(_samples(frames[:usable]), channels), rate)
    if not samples or max(abs(s) for s in samples) < 300:
        raise VoiceError(_l("录音里没有声音。"))
    if len(samples) > RATE * MAX_CLIP_SECONDS:
        raise VoiceError(_l("录音太长：一个片段最长 %(seconds)s 秒。",
                            seconds=int(MAX_CLIP_SECONDS)))
    if sys.byteorder == "big":
        samples.byteswap()
    return write_wav(samples.tobytes())
