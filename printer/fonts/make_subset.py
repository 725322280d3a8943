"""Make printer/fonts/NotoSansMonoCJKsc-Subset.otf from Debian's fonts-noto-cjk (dev time only).

Run: ``.venv/bin/pip install fonttools && .venv/bin/python printer/fonts/make_subset.py``.
It takes the face "Noto Sans Mono CJK SC" (Latin half-width, Han full-width: the printer's
12x24 / 24x24 cell grid) out of the collection and keeps every Han character the font has
(the basic block, extension A and the extension B+ characters it covers, such as 𠮷), 〇,
everything GBK can encode (so every character a printer prints as text can be previewed),
Latin, general punctuation, CJK symbols and full-width forms. Hinting is dropped: the glyphs
are drawn at fixed pixel sizes and thresholded to 1 bit.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FACE = "Noto Sans Mono CJK SC"
TARGET = Path(__file__).resolve().parent / "NotoSansMonoCJKsc-Subset.otf"
RANGES = ((0x0020, 0x024F), (0x2000, 0x206F), (0x3000, 0x303F), (0xFF00, 0xFFEF))


def wanted(cp: int) -> bool:
    """True for a code point the bundled font keeps."""
    if any(lo <= cp <= hi for lo, hi in RANGES):
        return True
    if unicodedata.name(chr(cp), "").startswith(("CJK UNIFIED", "CJK COMPATIBILITY IDEOGRAPH")):
        return True
    try:
        chr(cp).encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def main() -> int:
    """Write the subset font and report its glyph count and size."""
    collection = TTCollection(str(SOURCE))
    font = next(f for f in collection.fonts if f["name"].getDebugName(4) == FACE)
    codepoints = sorted(cp for cp in font.getBestCmap() if wanted(cp))
    options = subset.Options()
    options.hinting = False
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    font.save(str(TARGET))
    size = TARGET.stat().st_size
    sys.stdout.write(f"{TARGET.name}: {len(codepoints)} characters, {size:,} bytes\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
