"""Printing on ESC/POS thermal printers: slips → bytes → transports, previews, a virtual printer.

A library any program can use: it imports nothing of gongkai and no Flask. The usual path::

    from printer import PrinterProfile, make_transport, slip_bytes, ticket_slip

    slip = ticket_slip(hall="…", service="…", number="A023", ahead=3, issued_at=now)
    profile = PrinterProfile.from_config(config)      # width, chinese, qr, ...
    make_transport(config).send(slip_bytes(slip, profile))

The virtual printer is :mod:`printer.emulator` (``python -m printer.emulator``); it is not
imported here so that ``-m`` runs it cleanly. See docs/printer.md.
"""

from __future__ import annotations

from printer.decode import Decoded, Decoder, decode
from printer.escpos import slip_bytes
from printer.layout import in_printer_font, layout
from printer.preview import preview, preview_png, render_bytes
from printer.profile import PROFILE_58, PROFILE_80, PrinterProfile
from printer.slip import (
    QR,
    Align,
    BigNumber,
    Feed,
    Separator,
    Slip,
    Text,
    mask_id_number,
    mask_phone,
    policy_qr_slip,
    receipt_slip,
    test_slip,
    ticket_slip,
)
from printer.status import Status
from printer.transports import TRANSPORTS, PrinterError, Transport, make_transport

__all__ = [
    "PROFILE_58", "PROFILE_80", "QR", "TRANSPORTS", "Align", "BigNumber", "Decoded", "Decoder",
    "Feed", "PrinterError", "PrinterProfile", "Separator", "Slip", "Status", "Text",
    "Transport", "decode", "in_printer_font",
    "layout", "make_transport", "mask_id_number", "mask_phone", "policy_qr_slip", "preview",
    "preview_png", "receipt_slip", "render_bytes", "slip_bytes", "test_slip", "ticket_slip",
]
