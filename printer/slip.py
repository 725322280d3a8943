"""A slip as plain data, and the ready-made slips of the hall (ticket, receipt, policy QR, test).

A :class:`Slip` says what to print, not how: the layout turns it into rows for a printer
profile, and the ESC/POS module into bytes. Slips are immutable and turn into plain dicts
(:meth:`Slip.to_dict`) so a spool can keep them as JSON.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: Longest QR payload accepted, in UTF-8 bytes: it still fits 58 mm paper at a readable size.
MAX_QR_BYTES = 300
_DIGIT_RUN = re.compile(r"\d{7,}")


class Align(StrEnum):
    """Horizontal placement of a line."""

    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True)
class Text:
    """A paragraph, wrapped to the paper width; ``\\n`` starts a new line."""

    text: str
    align: Align = Align.LEFT
    bold: bool = False
    double: bool = False


@dataclass(frozen=True)
class BigNumber:
    """A short code printed very large and centred, like a queue number ``A023``."""

    text: str
    scale: int = 4

    def __post_init__(self) -> None:
        if not 1 <= self.scale <= 8:
            raise ValueError("BigNumber scale must be 1-8")
        if not self.text or len(self.text) > 12:
            raise ValueError("BigNumber text must be 1-12 characters")


@dataclass(frozen=True)
class QR:
    """A QR code, centred, with a blank line above and below."""

    payload: str

    def __post_init__(self) -> None:
        size = len(self.payload.encode("utf-8"))
        if not 0 < size <= MAX_QR_BYTES:
            raise ValueError(f"QR payload must be 1-{MAX_QR_BYTES} bytes in UTF-8, not {size}")


@dataclass(frozen=True)
class Separator:
    """A rule across the paper made of one repeated character."""

    char: str = "-"

    def __post_init__(self) -> None:
        if len(self.char) != 1 or not self.char.isprintable() or self.char.isspace():
            raise ValueError("Separator char must be one visible character")


@dataclass(frozen=True)
class Feed:
    """Blank lines."""

    lines: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.lines <= 20:
            raise ValueError("Feed lines must be 0-20")


Block = Text | BigNumber | QR | Separator | Feed
_KINDS: dict[str, type[Block]] = {
    "text": Text, "big_number": BigNumber, "qr": QR, "separator": Separator, "feed": Feed,
}
_KIND_OF = {cls: kind for kind, cls in _KINDS.items()}


@dataclass(frozen=True)
class Slip:
    """What to print: a title (large, bold, centred), body blocks, a footer, then a cut."""

    title: str = ""
    body: tuple[Block, ...] = field(default_factory=tuple)
    footer: str = ""
    cut: bool = True

    @property
    def qr_payloads(self) -> list[str]:
        """Payloads of the slip's QR codes, in order."""
        return [block.payload for block in self.body if isinstance(block, QR)]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict that :meth:`from_dict` turns back into the same slip."""
        body = []
        for block in self.body:
            item: dict[str, Any] = {"type": _KIND_OF[type(block)]}
            item.update(vars(block))
            if isinstance(block, Text):
                item["align"] = block.align.value
            body.append(item)
        return {"title": self.title, "body": body, "footer": self.footer, "cut": self.cut}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Slip:
        """The slip a :meth:`to_dict` dict describes.

        :raises ValueError: on an unknown block type or a bad value.
        """
        blocks: list[Block] = []
        for item in data.get("body", ()):
            values = dict(item)
            kind = values.pop("type", None)
            if kind not in _KINDS:
                raise ValueError(f"unknown slip block type {kind!r}")
            if kind == "text":
                values["align"] = Align(values.get("align", "left"))
            try:
                blocks.append(_KINDS[kind](**values))
            except TypeError as exc:
                raise ValueError(f"bad {kind} block: {exc}") from None
        return cls(
            title=str(data.get("title", "")),
            body=tuple(blocks),
            footer=str(data.get("footer", "")),
            cut=bool(data.get("cut", True)),
        )


def _date(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _require_masked(label: str, value: str) -> None:
    """Refuse a phone or ID number that is printed whole: slips leave the building."""
    if _DIGIT_RUN.search(value):
        raise ValueError(f"{label} must be masked before printing (7 or more digits in a row)")


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``; a short number keeps only its last 4 digits."""
    digits = phone.strip()
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def mask_id_number(number: str) -> str:
    """An ID number keeps its first 4 and last 4 characters: ``3301**********1234``."""
    value = number.strip()
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def ticket_slip(
    *,
    hall: str,
    service: str,
    number: str,
    ahead: int,
    issued_at: dt.datetime,
    qr_payload: str = "",
    footer: str = "请留意叫号，过号请重新取号",
) -> Slip:
    """A queue ticket: hall, service, the big number, people ahead, time, QR, footer.

    ``issued_at`` is printed as given (convert to Asia/Shanghai first).
    """
    body: list[Block] = [
        Text(service, Align.CENTER, bold=True),
        BigNumber(number),
        Text(f"您前面还有 {ahead} 人等候", Align.CENTER),
        Separator(),
        Text(f"取号时间：{issued_at:%Y-%m-%d %H:%M}"),
    ]
    if qr_payload:
        body += [QR(qr_payload), Text("扫码查看排队进度", Align.CENTER)]
    return Slip(title=hall, body=tuple(body), footer=footer)


def receipt_slip(
    *,
    hall: str,
    application_no: str,
    received_on: dt.date,
    deadline: dt.date,
    applicant: str = "",
    phone_masked: str = "",
    id_masked: str = "",
    qr_payload: str = "",
    footer: str = "请妥善保存本回执，凭申请编号查询办理进度",
) -> Slip:
    """A receipt for an application for disclosure, with its number and legal deadline.

    Phone and ID number must come masked (see :func:`mask_phone`, :func:`mask_id_number`).

    :raises ValueError: when a phone or ID number is not masked.
    """
    _require_masked("phone", phone_masked)
    _require_masked("ID number", id_masked)
    body: list[Block] = [
        Text(hall, Align.CENTER),
        Separator(),
        Text(f"申请编号：{application_no}", bold=True),
        Text(f"收到日期：{_date(received_on)}"),
        Text(f"答复期限：{_date(deadline)}前"),
    ]
    if applicant:
        body.append(Text(f"申 请 人：{applicant}"))
    if phone_masked:
        body.append(Text(f"联系电话：{phone_masked}"))
    if id_masked:
        body.append(Text(f"证件号码：{id_masked}"))
    body.append(Separator())
    if qr_payload:
        body += [QR(qr_payload), Text("扫码查询办理进度", Align.CENTER)]
    return Slip(title="政府信息公开申请回执", body=tuple(body), footer=footer)


def policy_qr_slip(
    *,
    title: str,
    doc_number: str,
    issuer: str,
    summary: str,
    qr_payload: str,
    footer: str = "扫码在手机上阅读全文",
    summary_chars: int = 120,
) -> Slip:
    """A policy's title, 文号, issuing body, a short summary and a QR code to the article.

    The summary is cut to ``summary_chars`` characters with an ellipsis.
    """
    text = " ".join(summary.split())
    if len(text) > summary_chars:
        text = text[: summary_chars - 1].rstrip() + "…"
    body: list[Block] = [Text(title, Align.CENTER, bold=True)]
    if doc_number:
        body.append(Text(doc_number, Align.CENTER))
    body += [Text(f"发布机关：{issuer}"), Separator()]
    if text:
        body.append(Text(text))
    body.append(QR(qr_payload))
    return Slip(title="政策文件", body=tuple(body), footer=footer)


def test_slip(qr_payload: str = "https://gongkai.invalid/printer-test") -> Slip:
    """A test page: Chinese, full-width punctuation, rare characters (𠮷 〇), sizes, QR, cut."""
    return Slip(
        title="打印测试页",
        body=(
            Text("政务公开专区 打印机测试", Align.CENTER),
            Separator("="),
            Text("中文：政府信息公开申请（依申请公开）"),
            Text("标点：，。、；：？！“”（）《》【】…—"),
            Text("生僻字：𠮷 〇 堃 喆 𬌗"),
            Text("ASCII: ABC abc 0123456789 #%&"),
            Text("加粗：办理进度查询", bold=True),
            Text("倍大", Align.CENTER, double=True),
            Text("居右 right", Align.RIGHT),
            Separator(),
            BigNumber("A001"),
            QR(qr_payload),
            Text("扫描上方二维码应能打开测试地址", Align.CENTER),
        ),
        footer="测试结束，以下应切纸",
    )


test_slip.__test__ = False  # type: ignore[attr-defined]  # a builder, not a pytest test
