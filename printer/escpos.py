"""Rows → ESC/POS bytes, with the Chinese layer python-escpos lacks.

python-escpos builds the QR (``GS ( k``) and cut (``GS V``) commands through its ``Dummy``
printer and gives the command constants. Text is written here: python-escpos encodes text
through Western code pages (：（）〇 become ``?``) and never enters Chinese mode, so this module
sends ``FS &`` once and every text row as GB18030 bytes. Raster rows and raster QR codes go
as ``GS v 0`` images packed straight from Pillow (python-escpos's image path re-converts and
prints warnings to stdout).
"""

from __future__ import annotations

from dataclasses import dataclass

from escpos.constants import (
    CTL_LF,
    ESC,
    FS,
    GS,
    HW_INIT,
    QR_ECLEVEL_M,
    TXT_NORMAL,
    TXT_SIZE,
)
from escpos.printer import Dummy

from printer.layout import CutRow, QrRow, Row, TextRow, layout
from printer.profile import PrinterProfile
from printer.raster import centred, pack, qr_image, row_image
from printer.slip import Align, Slip

CHINESE_ON = FS + b"&"
CHINESE_OFF = FS + b"."
_ALIGN = {Align.LEFT: 0, Align.CENTER: 1, Align.RIGHT: 2}


def slip_bytes(slip: Slip, profile: PrinterProfile) -> bytes:
    """The ESC/POS bytes that print ``slip`` on a printer with ``profile``."""
    return rows_bytes(layout(slip, profile), profile)


def raster_command(bits_image_width_bytes: int, height: int, bits: bytes) -> bytes:
    """``GS v 0`` (normal density) for packed 1-bit rows, 1 = dot."""
    return (GS + b"v0\x00" + bits_image_width_bytes.to_bytes(2, "little")
            + height.to_bytes(2, "little") + bits)


@dataclass
class _Mode:
    """What the printer is set to, so a command is sent only when it changes."""

    align: int = 0
    bold: bool = False
    scale: int = 1
    pitch: int = -1


def rows_bytes(rows: list[Row], profile: PrinterProfile) -> bytes:
    """ESC/POS bytes for laid-out rows."""
    out = bytearray(HW_INIT + TXT_NORMAL)
    out += CHINESE_ON if profile.chinese == "gb18030" else CHINESE_OFF
    mode = _Mode()
    for row in rows:
        if isinstance(row, TextRow):
            _text_row(out, row, profile, mode)
        elif isinstance(row, QrRow):
            _qr_row(out, row, profile, mode)
        elif isinstance(row, CutRow):
            printer = Dummy()
            printer.cut(mode="PART" if row.partial else "FULL", feed=False)
            out += printer.output
    return bytes(out)


def _text_row(out: bytearray, row: TextRow, profile: PrinterProfile, mode: _Mode) -> None:
    if row.raster:
        image = row_image(row.text, profile.width_dots, align=row.align.value, bold=row.bold,
                          scale=row.scale, height=row.pitch)
        out += raster_command(*pack(image))
        return
    if row.pitch != mode.pitch:
        out += ESC + b"3" + bytes((row.pitch,))
        mode.pitch = row.pitch
    if not row.text:
        out += CTL_LF
        return
    align = _ALIGN[row.align]
    if align != mode.align:
        out += ESC + b"a" + bytes((align,))
        mode.align = align
    if row.bold != mode.bold:
        out += ESC + b"E" + (b"\x01" if row.bold else b"\x00")
        mode.bold = row.bold
    if row.scale != mode.scale:
        size = row.scale - 1
        out += TXT_SIZE + bytes((size << 4 | size,))
        mode.scale = row.scale
    out += row.text.encode("gb18030") + CTL_LF


def _qr_row(out: bytearray, row: QrRow, profile: PrinterProfile, mode: _Mode) -> None:
    if profile.qr == "native":
        if mode.align != 1:
            out += ESC + b"a\x01"
            mode.align = 1
        printer = Dummy()
        printer.qr(row.payload, ec=QR_ECLEVEL_M, size=row.module, native=True)
        out += printer.output
        return
    symbol = qr_image(row.payload.encode("utf-8"), row.module, "M")
    out += raster_command(*pack(centred(symbol, profile.width_dots)))
