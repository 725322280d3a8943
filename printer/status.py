"""Printer status: the ``DLE EOT n`` real-time status bytes, both ways (pure).

``DLE EOT 1`` printer (bit 3: offline), ``2`` offline cause (bit 2: cover open, bit 5: paper
end stop, bit 6: error), ``3`` error cause (bit 3: cutter, bit 5: unrecoverable, bit 6:
auto-recoverable), ``4`` paper sensor (bits 2-3: near end, bits 5-6: out). Each answer has
bits 1 and 4 set and bits 0 and 7 clear, which tells an answer from stray bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

Paper = Literal["ok", "near_end", "out", "unknown"]
QUERIES = (1, 2, 3, 4)
#: The four queries, sent in one write; a printer answers each with one byte, in order.
QUERY_BYTES = b"".join(b"\x10\x04" + bytes((n,)) for n in QUERIES)
_FIXED = 0x12


@dataclass(frozen=True)
class Status:
    """What a transport could learn; ``None`` and ``"unknown"`` mean it could not ask."""

    online: bool | None = None
    paper: Paper = "unknown"
    cover_open: bool | None = None
    error: str = ""

    @property
    def ready(self) -> bool:
        """True only when the printer said it can print (online, paper, cover shut)."""
        return (self.online is True and self.paper in ("ok", "near_end")
                and self.cover_open is False and not self.error)

    @property
    def problem(self) -> str:
        """A short English reason why it cannot print, or ``""`` (for logs and job rows)."""
        if self.error:
            return self.error
        if self.paper == "out":
            return "paper out"
        if self.cover_open:
            return "cover open"
        if self.online is False:
            return "offline"
        return ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for a staff page)."""
        return asdict(self)


def is_reply(byte: int) -> bool:
    """Whether a byte has the fixed bits of a ``DLE EOT`` answer."""
    return byte & 0x93 == _FIXED


def parse(replies: Mapping[int, int]) -> Status:
    """A :class:`Status` from the answers to queries 1-4 (missing ones are unknown)."""
    if not replies:
        return Status(error="no answer to the status query")
    printer, cause, errors, sensor = (replies.get(n) for n in QUERIES)
    online = None if printer is None else not printer & 0x08
    cover = None if cause is None else bool(cause & 0x04)
    paper: Paper = "unknown"
    if sensor is not None:
        paper = "out" if sensor & 0x60 else "near_end" if sensor & 0x0C else "ok"
    if cause is not None and cause & 0x20:
        paper = "out"
    error = ""
    if errors is not None:
        if errors & 0x08:
            error = "cutter error"
        elif errors & 0x20:
            error = "unrecoverable error"
        elif errors & 0x40:
            error = "error (recovers by itself)"
    return Status(online=online, paper=paper, cover_open=cover, error=error)


def reply(n: int, *, online: bool = True, paper: Paper = "ok", cover_open: bool = False,
          error: str = "") -> bytes:
    """The byte a printer in this state answers to ``DLE EOT n`` (the virtual printer's)."""
    offline = not online or paper == "out" or cover_open or bool(error)
    value = _FIXED
    if n == 1 and offline:
        value |= 0x08
    elif n == 2:
        value |= (0x04 if cover_open else 0) | (0x20 if paper == "out" else 0)
        value |= 0x40 if error else 0
    elif n == 3 and error:
        value |= 0x08 if "cutter" in error else 0x20
    elif n == 4:
        value |= 0x60 if paper == "out" else 0x0C if paper == "near_end" else 0
    return bytes((value,))
