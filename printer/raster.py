"""1-bit drawing on the printer's cell grid with the bundled CJK font, and QR symbols.

Images here are Pillow mode ``"1"`` with **1 = ink** (a printed dot), which is also the bit
order of ``GS v 0``, so packing is ``image.tobytes()``. Glyphs are cached per character, size
and weight: a row is a handful of pastes, and the font file is opened once per size.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageChops, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

from printer.profile import CELL_HEIGHT, CELL_WIDTH
from printer.wrap import char_cols

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "NotoSansMonoCJKsc-Subset.otf"
#: Grey level (0-255) from which an anti-aliased pixel becomes a dot; below 128 keeps thin
#: strokes of Chinese characters at 24 px.
INK_THRESHOLD = 100
_LUT = [0] * INK_THRESHOLD + [255] * (256 - INK_THRESHOLD)
_BASELINE = 0.88  # the font's ideographic em box: 880 units above the baseline, 120 below
_EC_LEVELS = {"L": ERROR_CORRECT_L, "M": ERROR_CORRECT_M, "Q": ERROR_CORRECT_Q,
              "H": ERROR_CORRECT_H}


@lru_cache(maxsize=16)
def font(size: int) -> ImageFont.FreeTypeFont:
    """The bundled font at ``size`` pixels (em box = one Chinese cell)."""
    return ImageFont.truetype(str(FONT_PATH), size)


@lru_cache(maxsize=1)
def _notdef() -> bytes:
    return _draw_glyph("\U000f0000", 1, False).tobytes()


def has_glyph(ch: str) -> bool:
    """Whether the bundled font draws ``ch`` (rather than its empty 'missing' box)."""
    return ch == " " or _draw_glyph(ch, 1, False).tobytes() != _notdef()


@lru_cache(maxsize=8192)
def _draw_glyph(ch: str, scale: int, bold: bool) -> Image.Image:
    """One character in its cell, drawn at ``scale`` times the cell size (smooth)."""
    width = CELL_WIDTH * char_cols(ch) * scale
    height = CELL_HEIGHT * scale
    face = font(height)
    grey = Image.new("L", (width, height), 0)
    advance = face.getlength(ch)
    x = max((width - advance) / 2, 0) if advance < width else 0
    ImageDraw.Draw(grey).text((x, round(height * _BASELINE)), ch, font=face, fill=255,
                              anchor="ls")
    if advance > width:  # a glyph wider than its cell is squeezed into it, as a printer does
        grey = _squeeze(ch, face, width, height)
    glyph = grey.point(_LUT, "1")
    if bold:
        shifted = ImageChops.offset(glyph, max(scale // 2, 1), 0)
        glyph = ImageChops.logical_or(glyph, shifted)
    return glyph


def _squeeze(ch: str, face: ImageFont.FreeTypeFont, width: int, height: int) -> Image.Image:
    wide = Image.new("L", (int(face.getlength(ch)) + 1, height), 0)
    ImageDraw.Draw(wide).text((0, round(height * _BASELINE)), ch, font=face, fill=255,
                              anchor="ls")
    return wide.resize((width, height), Image.Resampling.BOX)


@lru_cache(maxsize=8192)
def printer_glyph(ch: str, width_mul: int, height_mul: int, bold: bool) -> Image.Image:
    """A character as a printer draws it: the base cell, each dot enlarged (no smoothing)."""
    base = _draw_glyph(ch, 1, bold)
    if width_mul == height_mul == 1:
        return base
    size = (base.width * width_mul, base.height * height_mul)
    return base.resize(size, Image.Resampling.NEAREST)


def glyph(ch: str, scale: int = 1, bold: bool = False, *, smooth: bool = True) -> Image.Image:
    """A character's cell image at ``scale``: drawn at that size (``smooth``, how this
    library rasterises text) or enlarged dot by dot (how a printer enlarges its font)."""
    if smooth or scale == 1:
        return _draw_glyph(ch, scale, bold)
    return printer_glyph(ch, scale, scale, bold)


def row_image(text: str, width_dots: int, *, align: str = "left", bold: bool = False,
              scale: int = 1, height: int | None = None, smooth: bool = True) -> Image.Image:
    """A full-width image of one text row, cells placed as the printer would place them.

    :param height: image height (the row's line pitch); at least the character height.
    """
    glyphs = [glyph(ch, scale, bold, smooth=smooth) for ch in text]
    used = sum(g.width for g in glyphs)
    rows = max(height or 0, CELL_HEIGHT * scale)
    image = Image.new("1", (width_dots, rows), 0)
    x = _aligned_x(used, width_dots, align)
    for g in glyphs:
        if x + g.width > width_dots:
            break
        image.paste(g, (x, 0))
        x += g.width
    return image


def _aligned_x(used: int, width_dots: int, align: str) -> int:
    if align == "center":
        return max((width_dots - used) // 2, 0)
    if align == "right":
        return max(width_dots - used, 0)
    return 0


@lru_cache(maxsize=256)
def qr_matrix(payload: bytes, ec: str = "M", version: int | None = None) -> tuple[bytes, ...]:
    """Module rows of a QR code (model 2) for ``payload``, without quiet zone; 1 = dark."""
    code = qrcode.QRCode(version=version, error_correction=_EC_LEVELS[ec], border=0)
    code.add_data(payload)
    code.make(fit=version is None)
    return tuple(bytes(row) for row in code.get_matrix())


def qr_image(payload: bytes, module: int, ec: str = "M", version: int | None = None
             ) -> Image.Image:
    """The QR symbol as a 1-bit image (1 = ink), ``module`` dots per module, no quiet zone."""
    matrix = qr_matrix(payload, ec, version)
    count = len(matrix)
    small = Image.frombytes("L", (count, count), b"".join(matrix)).point([0] + [255] * 255, "1")
    return small.resize((count * module, count * module), Image.Resampling.NEAREST)


def centred(image: Image.Image, width_dots: int) -> Image.Image:
    """``image`` placed in the middle of a full-width strip."""
    if image.width >= width_dots:
        return image
    strip = Image.new("1", (width_dots, image.height), 0)
    strip.paste(image, ((width_dots - image.width) // 2, 0))
    return strip


def pack(image: Image.Image) -> tuple[int, int, bytes]:
    """``(width_bytes, height, bits)`` of a 1-bit image for ``GS v 0`` (rows padded to 8)."""
    if image.mode != "1":
        raise ValueError("pack() needs a mode '1' image with 1 = ink")
    return (image.width + 7) // 8, image.height, image.tobytes()


def unpack(width_bytes: int, height: int, bits: bytes) -> Image.Image:
    """The 1-bit image (1 = ink) of ``GS v 0`` raster data."""
    return Image.frombytes("1", (width_bytes * 8, height), bits)


def ink_count(image: Image.Image) -> int:
    """Number of printed dots in a 1-bit image."""
    return sum(bin(byte).count("1") for byte in image.tobytes())


def to_paper(image: Image.Image) -> Image.Image:
    """Black ink on white paper (for PNG): inverts the 1 = ink convention."""
    return ImageChops.invert(image)
