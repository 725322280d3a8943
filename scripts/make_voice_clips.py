"""Make the shipped clips of the lobby call (``tickets/static/tickets/voice/*.wav``), once,
offline, with espeak-ng.

Run: ``.venv/bin/python scripts/make_voice_clips.py [--out DIR] [--speed 140]``
(needs ``espeak-ng`` on the PATH: ``apt-get install espeak-ng``).

Chinese words are given to the ``cmn-latn-pinyin`` voice as pinyin with tone numbers (espeak-ng's
plain ``cmn`` voice misreads Chinese characters); letters are read by the ``en-us`` voice by
their names; the chime is a two-tone "ding-dong" of sine waves drawn here. Every clip is trimmed
of leading and trailing silence, peak-normalised (so clips of both voices sound equally loud),
given 5 ms fades against clicks, and written as ``tickets.voice.RATE`` Hz 16-bit mono WAV:
the format ``tickets.voice.join_wav`` concatenates without conversion.
"""

from __future__ import annotations

import argparse
import io
import math
import shutil
import subprocess
import sys
import wave
from array import array
from pathlib import Path

from tickets.voice import CLIPS, LETTERS, RATE, VOICE_DIR, write_wav

PINYIN = {
    "qing": "qing3",
    "hao": "hao4",
    "dao": "dao4",
    "hao_chuangkou": "hao4 chuang1 kou3",
    "banli": "ban4 li3",
    "d0": "ling2", "d1": "yi1", "d2": "er4", "d3": "san1", "d4": "si4",
    "d5": "wu3", "d6": "liu4", "d7": "qi1", "d8": "ba1", "d9": "jiu3",
    "shi": "shi2",
    "bai": "bai3",
}
PEAK = 0.85  # of full scale
SILENCE = 300  # |sample| below this is silence (about -40 dBFS)
MARGIN_SECONDS = 0.01
FADE_SECONDS = 0.005


def espeak(voice: str, text: str, speed: int) -> array[int]:
    """espeak-ng's WAV (22050 Hz, 16-bit mono) of ``text`` as samples."""
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],
                         check=True, capture_output=True).stdout
    with wave.open(io.BytesIO(wav)) as reader:
        if (reader.getframerate(), reader.getsampwidth(), reader.getnchannels()) != (RATE, 2, 1):
            raise SystemExit(f"espeak-ng gave an unexpected format for {text!r}")
        samples = array("h")
        samples.frombytes(reader.readframes(reader.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def chime() -> array[int]:
    """Ding (E5) then dong (C5): sines with a bell-like overtone and an exponential decay."""
    out = array("h")
    for freq, seconds in ((659.25, 0.42), (523.25, 0.62)):
        count = int(RATE * seconds)
        for i in range(count):
            t = i / RATE
            attack = min(1.0, t / 0.008)
            decay = math.exp(-t * 4.5)
            value = (math.sin(2 * math.pi * freq * t)
                     + 0.3 * math.sin(2 * math.pi * 2 * freq * t)) / 1.3
            out.append(int(value * attack * decay * 32767))
    return out


def trim(samples: array[int]) -> array[int]:
    loud = [i for i, s in enumerate(samples) if abs(s) >= SILENCE]
    if not loud:
        raise SystemExit("a clip came out silent")
    margin = int(RATE * MARGIN_SECONDS)
    return samples[max(0, loud[0] - margin):loud[-1] + margin + 1]


def finish(samples: array[int]) -> array[int]:
    """Peak-normalise and fade both ends."""
    peak = max(abs(s) for s in samples) or 1
    gain = PEAK * 32767 / peak
    fade = int(RATE * FADE_SECONDS)
    count = len(samples)
    out = array("h", bytes(2 * count))
    for i, s in enumerate(samples):
        edge = min(1.0, i / fade, (count - 1 - i) / fade)
        out[i] = max(-32768, min(32767, int(s * gain * edge)))
    return out


def make(name: str, speed: int) -> array[int]:
    if name == "chime":
        return finish(chime())
    if name in LETTERS:
        return finish(trim(espeak("en-us", name, speed)))
    return finish(trim(espeak("cmn-latn-pinyin", PINYIN[name], speed)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=VOICE_DIR, help="where to write the clips")
    parser.add_argument("--speed", type=int, default=140, help="espeak-ng words per minute")
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed (apt-get install espeak-ng)")
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    for name in CLIPS:
        samples = make(name, args.speed)
        if sys.byteorder == "big":
            samples.byteswap()
        data = write_wav(samples.tobytes())
        (args.out / f"{name}.wav").write_bytes(data)
        total += len(data)
        print(f"{name:14} {len(samples) / RATE:5.2f} s {len(data):7} bytes")
    print(f"{len(CLIPS)} clips, {total / 1024:.0f} KiB in {args.out}")


if __name__ == "__main__":
    main()
