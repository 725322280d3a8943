"""What a printer can do: paper width, Chinese text or raster, native or raster QR."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

ChineseMode = Literal["gb18030", "raster"]
QrMode = Literal["native", "raster"]
FontCharset = Literal["gb2312", "gbk", "gb18030"]
CutMode = Literal["partial", "full", "none"]

#: Font A cell of an ESC/POS printer: 12 dots wide (ASCII), 24 high; Chinese cells are 24x24.
CELL_WIDTH = 12
CELL_HEIGHT = 24
#: Paper widths the hall uses, in mm, and their printable dots at 203 dpi.
WIDTHS = {58: 384, 80: 576}


@dataclass(frozen=True)
class PrinterProfile:
    """A printer's abilities; every layout and byte choice reads from this.

    :param width_dots: printable width, 384 (58 mm) or 576 (80 mm).
    :param columns: Font A columns (12 dots each): 32 or 48; a Chinese character takes two.
    :param chinese: ``"gb18030"``: the printer has a Chinese font, text goes as GB18030 bytes
        in Chinese mode (``FS &``); ``"raster"``: every line is sent as an image.
    :param qr: ``"native"`` (``GS ( k``) or ``"raster"`` (an image drawn here).
    :param font_charset: what the printer's Chinese font can show. A character outside it is
        drawn as an image even in ``"gb18030"`` mode: ``"gbk"`` (the usual font, the 2-byte
        part of GB18030), ``"gb2312"`` (older printers, 6,763 characters) or ``"gb18030"``
        (a printer that also prints 4-byte codes such as 𠮷).
    :param qr_module: QR module size in dots (1-16); made smaller when a long payload would not
        fit the paper.
    :param cut: ``"partial"``, ``"full"`` or ``"none"`` (a printer without a cutter).
    """

    width_dots: int = 384
    columns: int = 32
    chinese: ChineseMode = "gb18030"
    qr: QrMode = "native"
    font_charset: FontCharset = "gbk"
    qr_module: int = 6
    cut: CutMode = "partial"

    def __post_init__(self) -> None:
        if self.width_dots not in WIDTHS.values():
            raise ValueError(f"width_dots must be 384 or 576, not {self.width_dots}")
        if self.columns * CELL_WIDTH > self.width_dots or self.columns < 16:
            raise ValueError(f"{self.columns} columns do not fit {self.width_dots} dots")
        if self.chinese not in ("gb18030", "raster"):
            raise ValueError(f"chinese must be 'gb18030' or 'raster', not {self.chinese!r}")
        if self.qr not in ("native", "raster"):
            raise ValueError(f"qr must be 'native' or 'raster', not {self.qr!r}")
        if self.font_charset not in ("gb2312", "gbk", "gb18030"):
            raise ValueError(f"font_charset must be gb2312, gbk or gb18030: {self.font_charset!r}")
        if not 1 <= self.qr_module <= 16:
            raise ValueError(f"qr_module must be 1-16, not {self.qr_module}")
        if self.cut not in ("partial", "full", "none"):
            raise ValueError(f"cut must be partial, full or none, not {self.cut!r}")

    @classmethod
    def for_paper(cls, width_mm: int, **options: Any) -> PrinterProfile:
        """The profile of a 58 mm or 80 mm printer, with any field overridden by ``options``."""
        if width_mm not in WIDTHS:
            raise ValueError(f"paper width must be 58 or 80 mm, not {width_mm}")
        dots = WIDTHS[width_mm]
        defaults: dict[str, Any] = {
            "width_dots": dots,
            "columns": dots // CELL_WIDTH,
            "qr_module": 6 if dots == 384 else 8,
        }
        defaults.update(options)
        return cls(**defaults)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PrinterProfile:
        """Build from a plain mapping, e.g. a ``[printers.kiosk1]`` table.

        Reads ``width`` (58 or 80, default 58), ``chinese``, ``qr``, ``font_charset``,
        ``qr_module`` and ``cut``; other keys (the transport's) are ignored.

        :raises ValueError: on a value the profile cannot take.
        """
        try:
            width = int(config.get("width", 58))
        except (TypeError, ValueError):
            raise ValueError(f"width must be 58 or 80, not {config.get('width')!r}") from None
        keys = ("chinese", "qr", "font_charset", "qr_module", "cut")
        options = {key: config[key] for key in keys if key in config}
        if "qr_module" in options:
            try:
                options["qr_module"] = int(options["qr_module"])
            except (TypeError, ValueError):
                raise ValueError(f"qr_module must be a number: {options['qr_module']!r}") from None
        return cls.for_paper(width, **options)


#: A 58 mm printer with a Chinese font and native QR, the hall's most common kiosk printer.
PROFILE_58 = PrinterProfile.for_paper(58)
#: An 80 mm printer with a Chinese font and native QR.
PROFILE_80 = PrinterProfile.for_paper(80)
