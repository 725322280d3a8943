"""QR codes: raster symbols scan with a real reader (zxing-cpp); native ones carry the payload."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from printer import slip as slips
from printer.decode import decode
from printer.escpos import slip_bytes
from printer.layout import qr_version
from printer.preview import preview_png
from printer.raster import to_paper
from tests.printer.support import QR_OF, SLIPS, profile


def scan(image: Image.Image) -> list[str]:
    """Payloads zxing-cpp reads in a black-on-white image, with a quiet zone added."""
    grey = image.convert("L")
    framed = Image.new("L", (grey.width + 80, grey.height + 80), 255)
    framed.paste(grey, (40, 40))
    return [code.text for code in zxingcpp.read_barcodes(framed)]


@pytest.mark.parametrize("name", list(SLIPS))
@pytest.mark.parametrize("width", [58, 80])
def test_raster_qr_scans(name: str, width: int) -> None:
    prof = profile(width, "text", qr="raster")
    decoded = decode(slip_bytes(SLIPS[name](), prof))
    assert not decoded.qr_codes
    symbols = [r for r in decoded.rasters if r.height > 100]
    assert len(symbols) == 1
    assert scan(to_paper(symbols[0].image())) == [QR_OF[name]]


@pytest.mark.parametrize("mode", ["text", "raster"])
def test_preview_png_qr_scans(mode: str) -> None:
    for width in (58, 80):
        data = preview_png(SLIPS["ticket"](), profile(width, mode))
        with Image.open(io.BytesIO(data)) as image:
            assert scan(image) == [QR_OF["ticket"]]


def test_native_qr_payload_and_settings() -> None:
    for width, module in ((58, 6), (80, 8)):
        codes = decode(slip_bytes(SLIPS["receipt"](), profile(width, "text"))).qr_codes
        assert [(c.text, c.module, c.ec) for c in codes] == [(QR_OF["receipt"], module, "M")]


def test_long_and_chinese_payloads_fit_and_scan() -> None:
    long_url = "https://hall.example.gov.cn/policies/view?" + "&".join(
        f"k{i}=v{i}" for i in range(34))
    assert 250 < len(long_url) <= slips.MAX_QR_BYTES
    for payload in (long_url, "政务公开专区：依申请公开 https://x.invalid/查询"):
        slip = slips.Slip(body=(slips.QR(payload),))
        for width in (58, 80):
            prof = profile(width, "raster")
            rasters = decode(slip_bytes(slip, prof)).rasters
            assert len(rasters) == 1 and rasters[0].width <= prof.width_dots
            assert scan(to_paper(rasters[0].image())) == [payload]
            native = decode(slip_bytes(slip, profile(width, "text"))).qr_codes[0]
            assert native.text == payload
            assert native.module * (17 + 4 * qr_version(payload)) <= prof.width_dots


def test_qr_payload_limits() -> None:
    with pytest.raises(ValueError):
        slips.QR("")
    with pytest.raises(ValueError):
        slips.QR("x" * (slips.MAX_QR_BYTES + 1))
