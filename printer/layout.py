"""Slip → printed rows for a profile (pure): wrapping, sizes, and the text-or-raster rule.

The unit of everything below is the printed row: one line of text (one size, weight and
alignment), a QR symbol, or the cut. A text row is sent as GB18030 text when every one of its
characters is in the printer's font, and otherwise as one image of exactly the same cell grid
(see :func:`in_printer_font`), so a rare character changes how a row travels, never where
anything lands on the paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from qrcode.constants import ERROR_CORRECT_M
from qrcode.util import BIT_LIMIT_TABLE

from printer.profile import CELL_HEIGHT, CELL_WIDTH, PrinterProfile
from printer.slip import QR, Align, BigNumber, Feed, Separator, Slip, Text
from printer.wrap import char_cols, clean, text_cols, wrap

#: Dots of paper between two rows of text (line pitch = character height + gap).
ROW_GAP = 8
TITLE_SCALE = 2


@lru_cache(maxsize=8192)
def in_printer_font(ch: str, charset: str) -> bool:
    """Whether a printer whose Chinese font covers ``charset`` prints ``ch`` as text.

    Printable ASCII always; otherwise the character must encode in ``charset`` and (for
    ``gbk`` and ``gb2312``) as the same two bytes GB18030 uses. Private-use characters
    never (their glyphs differ per printer).
    """
    if " " <= ch <= "~":
        return True
    if "\ue000" <= ch <= "\uf8ff":
        return False
    try:
        native = ch.encode(charset)
    except UnicodeEncodeError:
        return False
    return charset == "gb18030" or native == ch.encode("gb18030")


def row_printable(text: str, charset: str) -> bool:
    """Whether a whole row can go as text to a printer with that font."""
    if text.isascii():
        return True
    return all(in_printer_font(ch, charset) for ch in text)


@dataclass(frozen=True)
class TextRow:
    """One printed line: ``scale`` 1 is Font A, 2 double width and height, and so on."""

    text: str
    align: Align = Align.LEFT
    bold: bool = False
    scale: int = 1
    raster: bool = False

    @property
    def cols(self) -> int:
        """Columns at scale 1 (each 12 dots)."""
        return text_cols(self.text)

    @property
    def dots(self) -> int:
        """Printed width in dots."""
        return self.cols * CELL_WIDTH * self.scale

    @property
    def pitch(self) -> int:
        """Paper fed by this row, in dots."""
        return CELL_HEIGHT * self.scale + ROW_GAP


@dataclass(frozen=True)
class QrRow:
    """A centred QR symbol (model 2, error correction M) of ``module``-dot modules."""

    payload: str
    module: int


@dataclass(frozen=True)
class CutRow:
    """Feed the paper to the cutter and cut."""

    partial: bool = True


Row = TextRow | QrRow | CutRow


def qr_version(payload: str) -> int:
    """Smallest QR version holding ``payload`` as bytes at error correction M (an upper
    bound: a printer or encoder may pick a smaller one for digits and capitals)."""
    size = len(payload.encode("utf-8"))
    for version in range(1, 41):
        count_bits = 8 if version < 10 else 16
        if 4 + count_bits + 8 * size <= BIT_LIMIT_TABLE[ERROR_CORRECT_M][version]:
            return version
    raise ValueError("QR payload too long")


def qr_module(payload: str, profile: PrinterProfile) -> int:
    """Module size in dots: the profile's, smaller when the symbol would not fit the paper."""
    modules = 17 + 4 * qr_version(payload)
    return max(1, min(profile.qr_module, profile.width_dots // modules))


class _Rows:
    """Collects rows for one profile."""

    def __init__(self, profile: PrinterProfile) -> None:
        self.profile = profile
        self.rows: list[Row] = []

    def text(self, text: str, align: Align, bold: bool = False, scale: int = 1) -> None:
        width = self.profile.columns // scale
        lines = wrap(text, width)
        if align is Align.CENTER and len(lines) > 1 and "\n" not in text:
            lines = _balanced(text, width, len(lines))
        for line in lines:
            self.line(line, align, bold, scale)

    def line(self, line: str, align: Align = Align.LEFT, bold: bool = False,
             scale: int = 1) -> None:
        raster = self.profile.chinese == "raster" or not row_printable(
            line, self.profile.font_charset
        )
        self.rows.append(TextRow(line, align, bold, scale, raster and bool(line.strip())))

    def blank(self, lines: int = 1) -> None:
        for _ in range(lines):
            self.line("")


def _balanced(text: str, width: int, count: int) -> list[str]:
    """Centred text wrapped to the narrowest width that still needs ``count`` lines, so a
    title breaks as 某某县政务 / 服务中心 rather than leaving one character alone."""
    for narrower in range(max(text_cols(text) // count, 2), width):
        lines = wrap(text, narrower)
        if len(lines) == count:
            return lines
    return wrap(text, width)


def layout(slip: Slip, profile: PrinterProfile) -> list[Row]:
    """The rows a slip prints as on a printer with ``profile``.

    :raises ValueError: when a QR payload is too long for any QR version.
    """
    out = _Rows(profile)
    if slip.title.strip():
        out.text(slip.title, Align.CENTER, bold=True, scale=TITLE_SCALE)
        out.blank()
    for block in slip.body:
        if isinstance(block, Text):
            out.text(block.text, block.align, block.bold, TITLE_SCALE if block.double else 1)
        elif isinstance(block, BigNumber):
            number = clean(block.text).replace("\n", " ")
            cols = max(text_cols(number), 1)
            scale = max(1, min(block.scale, profile.columns // cols))
            out.text(number, Align.CENTER, bold=True, scale=scale)
        elif isinstance(block, QR):
            out.blank()
            out.rows.append(QrRow(block.payload, qr_module(block.payload, profile)))
            out.blank()
        elif isinstance(block, Separator):
            out.line(block.char * (profile.columns // char_cols(block.char)))
        elif isinstance(block, Feed):
            out.blank(block.lines)
    if slip.footer.strip():
        out.blank()
        out.text(slip.footer, Align.CENTER)
    if slip.cut and profile.cut != "none":
        out.rows.append(CutRow(partial=profile.cut == "partial"))
    return out.rows
