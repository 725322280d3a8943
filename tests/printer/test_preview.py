"""Previews are drawn from the bytes, like the virtual printer draws what it receives."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from printer.escpos import slip_bytes
from printer.preview import preview, preview_png, render_bytes
from printer.profile import PrinterProfile
from printer.raster import glyph, ink_count
from tests.printer.support import SLIPS, profile

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", list(SLIPS))
@pytest.mark.parametrize("width", [58, 80])
def test_preview_is_the_rendered_bytes(name: str, width: int) -> None:
    for mode in ("text", "raster"):
        prof = profile(width, mode)
        image = preview(SLIPS[name](), prof)
        [page] = render_bytes(slip_bytes(SLIPS[name](), prof), prof.width_dots)
        assert image.tobytes() == page.tobytes()
        assert image.width == prof.width_dots
    text_mode = preview(SLIPS[name](), profile(width, "text"))
    raster_mode = preview(SLIPS[name](), profile(width, "raster"))
    assert text_mode.height == raster_mode.height  # same layout whichever way rows travel


def test_text_mode_draws_the_printer_cells() -> None:
    prof = PrinterProfile.for_paper(58)
    slip = SLIPS["ticket"]()
    image = preview(slip, prof).convert("1")
    # the big number is Font A enlarged 4x dot by dot: 4 cells of 48x96, centred
    data = slip_bytes(slip, prof)
    assert b"\x1d!\x33A023\n" in data
    inked = ImageChops.invert(image)
    rows = [y for y in range(inked.height) if inked.crop((0, y, 384, y + 1)).getbbox()]
    assert rows and rows[-1] < image.height - 90  # the feed to the cutter is blank paper
    cell = glyph("A", 4, True, smooth=False)
    assert cell.size == (48, 96)


def test_preview_png_is_a_png() -> None:
    data = preview_png(SLIPS["test"](), profile(80, "text"))
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.mode == "1" and image.width == 576
        assert ink_count(ImageChops.invert(image)) > 5000


def test_core_imports_nothing_of_the_server() -> None:
    code = ("import sys, printer, printer.emulator, printer.transports; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'flask', 'hall', 'content', 'kiosk', 'sqlalchemy', 'werkzeug'}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == "[]"
