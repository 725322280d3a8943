"""ESC/POS bytes → printed elements: the virtual printer's ears, and the tests' eyes.

Understands what this library sends and what common drivers send: ``ESC @``, ``ESC !``,
``ESC E``/``ESC G``, ``ESC a``, ``ESC 2``/``ESC 3``, ``ESC d``, ``ESC J``, ``GS !``,
``FS &``/``FS .``/``FS !``, ``GS v 0``, ``GS ( k`` (QR), ``GS V``, ``DLE EOT``, ``LF``; skips
other commands of known length. :class:`Decoder` is incremental (bytes may arrive in any
pieces), so a server can answer a status query in the middle of a job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from PIL import Image

from printer import raster
from printer.profile import CELL_HEIGHT

#: Line spacing after ``ESC @`` / ``ESC 2`` (about 1/6 inch at 203 dpi).
DEFAULT_PITCH = 30
_EC = {48: "L", 49: "M", 50: "Q", 51: "H"}
_ALIGN_NAMES = {0: "left", 1: "center", 2: "right"}


@dataclass(frozen=True)
class Run:
    """Characters printed with the same attributes; ``cell`` is 1 (12 dots) or 2 (24 dots)."""

    text: str
    bold: bool = False
    width: int = 1
    height: int = 1
    cell: int = 1

    @property
    def dots(self) -> int:
        """Printed width in dots."""
        return len(self.text) * self.cell * 12 * self.width


@dataclass(frozen=True)
class TextLine:
    """A printed line of text, then ``feed`` dots of paper."""

    runs: tuple[Run, ...]
    align: str = "left"
    feed: int = DEFAULT_PITCH

    @property
    def text(self) -> str:
        """The line's characters."""
        return "".join(run.text for run in self.runs)

    @property
    def dots(self) -> int:
        """Printed width in dots."""
        return sum(run.dots for run in self.runs)

    @property
    def height(self) -> int:
        """Height of the tallest character, in dots."""
        return max((run.height * CELL_HEIGHT for run in self.runs), default=0)


@dataclass(frozen=True)
class Raster:
    """A ``GS v 0`` image: packed rows, 1 = dot; ``scale_x``/``scale_y`` from its mode."""

    width_bytes: int
    height: int
    bits: bytes
    align: str = "left"
    scale_x: int = 1
    scale_y: int = 1

    @property
    def width(self) -> int:
        """Width in dots on paper."""
        return self.width_bytes * 8 * self.scale_x

    def image(self) -> Image.Image:
        """The image as printed (1-bit, 1 = ink)."""
        image = raster.unpack(self.width_bytes, self.height, self.bits)
        if self.scale_x != 1 or self.scale_y != 1:
            size = (image.width * self.scale_x, image.height * self.scale_y)
            image = image.resize(size, Image.Resampling.NEAREST)
        return image

    @property
    def ink(self) -> int:
        """Number of printed dots."""
        return sum(bin(byte).count("1") for byte in self.bits) * self.scale_x * self.scale_y


@dataclass(frozen=True)
class QrCode:
    """A QR symbol printed by the printer's own encoder (``GS ( k``)."""

    payload: bytes
    module: int = 3
    ec: str = "L"
    align: str = "left"

    @property
    def text(self) -> str:
        """The payload as text (UTF-8, undecodable bytes replaced)."""
        return self.payload.decode("utf-8", "replace")


@dataclass(frozen=True)
class Feed:
    """Blank paper fed, in dots."""

    dots: int


@dataclass(frozen=True)
class Cut:
    """The paper is cut here; ``to_cutter``: fed first from the head to the cutter, then
    ``feed`` dots more (``GS V 65/66 n``)."""

    partial: bool = True
    feed: int = 0
    to_cutter: bool = False


@dataclass(frozen=True)
class StatusQuery:
    """``DLE EOT n``: the host asks for status ``n`` (1-4) and expects one byte back."""

    n: int


@dataclass(frozen=True)
class Unknown:
    """Bytes this decoder does not understand (kept for diagnostics)."""

    data: bytes


Element = TextLine | Raster | QrCode | Feed | Cut | StatusQuery | Unknown


class _NeedMore(Exception):
    """The buffer ends inside a command."""


@dataclass
class _State:
    chinese: bool = False
    bold: bool = False
    esc_bold: bool = False
    width: int = 1
    height: int = 1
    fs_width: int = 1
    fs_height: int = 1
    align: int = 0
    pitch: int = DEFAULT_PITCH
    qr_module: int = 3
    qr_ec: str = "L"
    qr_data: bytes = b""


@dataclass
class Decoder:
    """Incremental ESC/POS decoder: :meth:`feed` bytes, get the elements they complete."""

    _buffer: bytearray = field(default_factory=bytearray)
    _state: _State = field(default_factory=_State)
    _chars: list[tuple[str, bool, int, int, int]] = field(default_factory=list)

    def feed(self, data: bytes) -> list[Element]:
        """Decode ``data`` after whatever came before; return the finished elements."""
        self._buffer += data
        out: list[Element] = []
        pos = 0
        buf = self._buffer
        while pos < len(buf):
            try:
                pos = self._step(buf, pos, out)
            except _NeedMore:
                break
        del buf[:pos]
        return out

    def close(self) -> list[Element]:
        """End of input: text still in the line buffer is returned as a line (a printer
        would print it with the next line feed); a cut-off command is returned as unknown."""
        out: list[Element] = []
        self._flush(out, self._state.pitch)
        if self._buffer:
            out.append(Unknown(bytes(self._buffer)))
            self._buffer.clear()
        return out

    # -- one command -------------------------------------------------------------------

    def _step(self, buf: bytearray, pos: int, out: list[Element]) -> int:
        byte = buf[pos]
        if byte == 0x0A:
            self._flush(out, self._state.pitch, empty_feeds=True)
            return pos + 1
        if byte == 0x1B:
            return self._esc(buf, pos, out)
        if byte == 0x1D:
            return self._gs(buf, pos, out)
        if byte == 0x1C:
            return self._fs(buf, pos, out)
        if byte == 0x10:
            return self._dle(buf, pos, out)
        if byte < 0x20 or byte == 0x7F:
            if byte == 0x09:
                self._char(" ", 1)
            return pos + 1
        return self._text(buf, pos)

    def _text(self, buf: bytearray, pos: int) -> int:
        byte = buf[pos]
        if byte < 0x80:
            self._char(chr(byte), 1)
            return pos + 1
        if not self._state.chinese:
            self._char(bytes((byte,)).decode("cp437"), 1)
            return pos + 1
        if byte in (0x80, 0xFF):
            self._char("\ufffd", 1)
            return pos + 1
        _need(buf, pos + 2)
        size = 4 if 0x30 <= buf[pos + 1] <= 0x39 else 2
        _need(buf, pos + size)
        self._char(bytes(buf[pos:pos + size]).decode("gb18030", "replace"), 2)
        return pos + size

    def _char(self, ch: str, cell: int) -> None:
        s = self._state
        width, height = s.width, s.height
        if cell == 2:
            width, height = max(width, s.fs_width), max(height, s.fs_height)
        self._chars.append((ch, s.bold or s.esc_bold, width, height, cell))

    def _flush(self, out: list[Element], feed: int, empty_feeds: bool = False) -> None:
        if not self._chars:
            if empty_feeds:
                out.append(Feed(feed))
            return
        runs: list[Run] = []
        for ch, bold, width, height, cell in self._chars:
            last = runs[-1] if runs else None
            if last and (last.bold, last.width, last.height, last.cell) == (
                bold, width, height, cell
            ):
                runs[-1] = Run(last.text + ch, bold, width, height, cell)
            else:
                runs.append(Run(ch, bold, width, height, cell))
        self._chars.clear()
        out.append(TextLine(tuple(runs), _ALIGN_NAMES[self._state.align], feed))

    def _esc(self, buf: bytearray, pos: int, out: list[Element]) -> int:
        _need(buf, pos + 2)
        cmd = buf[pos + 1]
        s = self._state
        if cmd == 0x40:  # ESC @
            self._chars.clear()
            self._state = _State()
            return pos + 2
        if cmd == 0x32:  # ESC 2
            s.pitch = DEFAULT_PITCH
            return pos + 2
        if cmd == 0x3C:  # ESC < (return home)
            return pos + 2
        _need(buf, pos + 3)
        n = buf[pos + 2]
        handlers: dict[int, Callable[[], None]] = {
            0x21: lambda: self._esc_bang(n),
            0x45: lambda: setattr(s, "esc_bold", bool(n & 1)),
            0x47: lambda: setattr(s, "esc_bold", bool(n & 1)),
            0x61: lambda: setattr(s, "align", n - 48 if n >= 48 else min(n, 2)),
            0x33: lambda: setattr(s, "pitch", n),
            0x64: lambda: self._feed(out, n * s.pitch),
            0x4A: lambda: self._feed(out, n),
        }
        if cmd in handlers:
            handlers[cmd]()
            return pos + 3
        if cmd in (0x2D, 0x4D, 0x52, 0x74, 0x7B, 0x20, 0x56, 0x63, 0x72, 0x55, 0x3D):
            return pos + 3  # underline, font, charset, code page, upside down, ... : ignored
        if cmd == 0x70:  # ESC p m t1 t2: drawer kick
            _need(buf, pos + 5)
            return pos + 5
        out.append(Unknown(bytes(buf[pos:pos + 2])))
        return pos + 2

    def _esc_bang(self, n: int) -> None:
        s = self._state
        s.bold = bool(n & 0x08)
        s.height = 2 if n & 0x10 else 1
        s.width = 2 if n & 0x20 else 1

    def _feed(self, out: list[Element], dots: int) -> None:
        if self._chars:
            self._flush(out, dots)
        else:
            out.append(Feed(dots))

    def _gs(self, buf: bytearray, pos: int, out: list[Element]) -> int:
        _need(buf, pos + 2)
        cmd = buf[pos + 1]
        s = self._state
        if cmd == 0x21:  # GS ! n
            _need(buf, pos + 3)
            n = buf[pos + 2]
            s.width, s.height = (n >> 4) + 1, (n & 0x0F) + 1
            return pos + 3
        if cmd == 0x76:  # GS v 0 m xL xH yL yH d...
            _need(buf, pos + 8)
            mode = buf[pos + 3]
            width_bytes = int.from_bytes(buf[pos + 4:pos + 6], "little")
            height = int.from_bytes(buf[pos + 6:pos + 8], "little")
            end = pos + 8 + width_bytes * height
            _need(buf, end)
            self._flush(out, s.pitch)
            out.append(Raster(width_bytes, height, bytes(buf[pos + 8:end]),
                              _ALIGN_NAMES[s.align], 2 if mode & 1 else 1, 2 if mode & 2 else 1))
            return end
        if cmd == 0x28:  # GS ( x pL pH ...
            _need(buf, pos + 5)
            size = int.from_bytes(buf[pos + 3:pos + 5], "little")
            end = pos + 5 + size
            _need(buf, end)
            if buf[pos + 2] == 0x6B:
                self._qr(bytes(buf[pos + 5:end]), out)
            return end
        if cmd == 0x56:  # GS V m [n]
            _need(buf, pos + 3)
            m = buf[pos + 2]
            if m in (0, 1, 48, 49):
                self._flush(out, s.pitch)
                out.append(Cut(partial=m in (1, 49)))
                return pos + 3
            _need(buf, pos + 4)
            self._flush(out, s.pitch)
            out.append(Cut(partial=m in (66, 98, 104), feed=buf[pos + 3], to_cutter=True))
            return pos + 4
        if cmd in (0x42, 0x48, 0x66, 0x68, 0x77, 0x61, 0x72, 0x62):
            _need(buf, pos + 3)
            return pos + 3  # reverse, barcode settings, ASB, smoothing: ignored
        if cmd in (0x4C, 0x57, 0x24, 0x50):
            _need(buf, pos + 4)
            return pos + 4  # margins, print width, positions, motion units: ignored
        out.append(Unknown(bytes(buf[pos:pos + 2])))
        return pos + 2

    def _qr(self, body: bytes, out: list[Element]) -> None:
        if len(body) < 2 or body[0] != 0x31:  # cn 49: QR code
            return
        s = self._state
        fn, args = body[1], body[2:]
        if fn == 0x43 and args:  # size
            s.qr_module = args[0]
        elif fn == 0x45 and args:  # error correction
            s.qr_ec = _EC.get(args[0], "L")
        elif fn == 0x50:  # store: m=48, data
            s.qr_data = args[1:]
        elif fn == 0x51:  # print
            self._flush(out, s.pitch)
            out.append(QrCode(s.qr_data, s.qr_module, s.qr_ec, _ALIGN_NAMES[s.align]))

    def _fs(self, buf: bytearray, pos: int, out: list[Element]) -> int:
        _need(buf, pos + 2)
        cmd = buf[pos + 1]
        s = self._state
        if cmd == 0x26:  # FS &
            s.chinese = True
            return pos + 2
        if cmd == 0x2E:  # FS .
            s.chinese = False
            return pos + 2
        if cmd in (0x21, 0x2D, 0x43, 0x57):  # FS ! n, FS - n, FS C n, FS W n
            _need(buf, pos + 3)
            n = buf[pos + 2]
            if cmd == 0x21:
                s.fs_width = 2 if n & 0x04 else 1
                s.fs_height = 2 if n & 0x08 else 1
            elif cmd == 0x57:
                s.fs_width = s.fs_height = 2 if n & 1 else 1
            return pos + 3
        if cmd == 0x53:  # FS S n1 n2: spacing
            _need(buf, pos + 4)
            return pos + 4
        out.append(Unknown(bytes(buf[pos:pos + 2])))
        return pos + 2

    def _dle(self, buf: bytearray, pos: int, out: list[Element]) -> int:
        _need(buf, pos + 2)
        if buf[pos + 1] == 0x04:  # DLE EOT n
            _need(buf, pos + 3)
            out.append(StatusQuery(buf[pos + 2]))
            return pos + 3
        if buf[pos + 1] in (0x05, 0x14):  # DLE ENQ n, DLE DC4 ...
            _need(buf, pos + 3)
            if buf[pos + 1] == 0x14:
                _need(buf, pos + 5)
                return pos + 5
            return pos + 3
        return pos + 1


def _need(buf: bytearray, end: int) -> None:
    if len(buf) < end:
        raise _NeedMore


@dataclass(frozen=True)
class Decoded:
    """Everything a byte stream printed, with helpers for tests and the virtual printer."""

    elements: tuple[Element, ...]

    @property
    def lines(self) -> list[TextLine]:
        """The text lines."""
        return [e for e in self.elements if isinstance(e, TextLine)]

    @property
    def text(self) -> str:
        """The text lines' characters, one line each."""
        return "\n".join(line.text for line in self.lines)

    @property
    def rasters(self) -> list[Raster]:
        """The ``GS v 0`` images."""
        return [e for e in self.elements if isinstance(e, Raster)]

    @property
    def qr_codes(self) -> list[QrCode]:
        """The native QR symbols."""
        return [e for e in self.elements if isinstance(e, QrCode)]

    @property
    def cuts(self) -> list[Cut]:
        """The cuts."""
        return [e for e in self.elements if isinstance(e, Cut)]

    @property
    def unknown(self) -> list[Unknown]:
        """Commands that were not understood."""
        return [e for e in self.elements if isinstance(e, Unknown)]

    def describe(self) -> str:
        """A plain-text account: each text line, ``[image WxH]``, ``[QR] payload``,
        ``[cut]``; what the virtual printer writes beside each PNG."""
        parts: list[str] = []
        for e in self.elements:
            if isinstance(e, TextLine):
                parts.append(e.text)
            elif isinstance(e, Raster):
                parts.append(f"[image {e.width}x{e.height * e.scale_y}]")
            elif isinstance(e, QrCode):
                parts.append(f"[QR] {e.text}")
            elif isinstance(e, Cut):
                parts.append("[cut]")
            elif isinstance(e, Feed) and e.dots:
                parts.append("")
        return "\n".join(parts) + "\n"


def decode(data: bytes | Iterable[bytes]) -> Decoded:
    """Decode a whole job (or its pieces)."""
    decoder = Decoder()
    elements: list[Element] = []
    for chunk in [data] if isinstance(data, bytes | bytearray) else data:
        elements += decoder.feed(bytes(chunk))
    elements += decoder.close()
    return Decoded(tuple(elements))
