"""Draw decoded ESC/POS elements as the paper would come out: PNG previews of slips.

A preview never takes a short cut from the slip: it renders the slip's bytes for the
profile, decodes them (:mod:`printer.decode`) and draws the elements, the same way the
virtual printer draws what it receives. Images (raster rows, raster QR) are copied dot for
dot, so raster mode is exact. Text is drawn with the bundled font on the printer's cell grid
(12x24 ASCII, 24x24 Chinese, enlarged dot by dot for double size), so text mode shows the
exact layout in a typeface close to, not identical with, the printer's own font. Native QR
codes are drawn by this library's encoder at the module size and error level sent.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from PIL import Image

from printer import raster
from printer.decode import Cut, Element, Feed, QrCode, Raster, TextLine, decode
from printer.escpos import slip_bytes
from printer.profile import CELL_HEIGHT, CELL_WIDTH, PrinterProfile
from printer.slip import Slip

#: Paper fed from the print head to the cutter by ``GS V 65/66`` (about 12 mm).
CUTTER_FEED = 96


def _x(width: int, paper: int, align: str) -> int:
    if align == "center":
        return max((paper - width) // 2, 0)
    if align == "right":
        return max(paper - width, 0)
    return 0


def _line_image(line: TextLine, paper: int) -> Image.Image:
    band = Image.new("1", (paper, max(line.height, 1)), 0)
    x = _x(line.dots, paper, line.align)
    for run in line.runs:
        top = line.height - run.height * CELL_HEIGHT
        for ch in run.text:
            glyph = raster.printer_glyph(ch, run.width, run.height, run.bold)
            cell = run.cell * CELL_WIDTH * run.width
            if glyph.width != cell:
                glyph = glyph.resize((cell, glyph.height), Image.Resampling.NEAREST)
            if x + cell > paper:
                break
            band.paste(glyph, (x, top))
            x += cell
    return band


def render_pages(elements: Iterable[Element], width_dots: int) -> list[Image.Image]:
    """One 1-bit image (1 = ink) per cut-off piece of paper; text after the last cut makes a
    last piece if it printed anything."""
    pages: list[Image.Image] = []
    bands: list[tuple[int, int, Image.Image]] = []
    y = 0
    for element in elements:
        if isinstance(element, TextLine):
            bands.append((0, y, _line_image(element, width_dots)))
            y += max(element.feed, element.height)
        elif isinstance(element, Raster):
            image = element.image()
            bands.append((_x(image.width, width_dots, element.align), y, image))
            y += image.height
        elif isinstance(element, QrCode):
            image = raster.qr_image(element.payload, max(element.module, 1), element.ec)
            bands.append((_x(image.width, width_dots, element.align), y, image))
            y += image.height
        elif isinstance(element, Feed):
            y += element.dots
        elif isinstance(element, Cut):
            y += element.feed + (CUTTER_FEED if element.to_cutter else 0)
            pages.append(_compose(bands, width_dots, y))
            bands, y = [], 0
    if bands:
        pages.append(_compose(bands, width_dots, y))
    return pages


def _compose(bands: list[tuple[int, int, Image.Image]], width: int, height: int
             ) -> Image.Image:
    page = Image.new("1", (width, max(height, 1)), 0)
    for x, y, image in bands:
        page.paste(image, (x, y))
    return page


def render_bytes(data: bytes, width_dots: int) -> list[Image.Image]:
    """Pages of paper (black on white) that ``data`` prints on a ``width_dots`` printer."""
    return [raster.to_paper(page) for page in render_pages(decode(data).elements, width_dots)]


def preview(slip: Slip, profile: PrinterProfile) -> Image.Image:
    """The slip as it comes out of a printer with ``profile`` (1-bit, black on white)."""
    pages = render_bytes(slip_bytes(slip, profile), profile.width_dots)
    return pages[0] if pages else Image.new("1", (profile.width_dots, 1), 1)


def png(image: Image.Image) -> bytes:
    """PNG bytes of an image."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def preview_png(slip: Slip, profile: PrinterProfile) -> bytes:
    """PNG of :func:`preview`: for staff pages and docs."""
    return png(preview(slip, profile))
