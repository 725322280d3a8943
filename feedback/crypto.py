"""Phone numbers at rest: Fernet (AES-128-CBC + HMAC) with a key derived from ``SECRET_KEY``.

The key is HKDF-SHA256 of the secret with a fixed purpose label, so it never equals the session
signing key and needs no extra file. Changing ``SECRET_KEY`` makes stored phones unreadable:
they are then shown as unreadable, never as someone else's number.
"""

from __future__ import annotations

import base64
import re

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

_PURPOSE = b"gongkai feedback contact phone v1"
#: Mainland mobile (11 digits, 1…) or a landline with area code (0xx-xxxxxxxx, 7-8 digits).
PHONE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


def _fernet(secret: str | None = None) -> Fernet:
    secret = secret if secret is not None else str(current_app.config["SECRET_KEY"])
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=_PURPOSE).derive(secret.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def normalise_phone(raw: str) -> str:
    """Digits (and one hyphen of a landline) from what was typed: spaces and full-width
    digits are allowed. :raises ValueError: not a phone number of the mainland."""
    text = raw.translate({c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)})  # ０-９ -> 0-9
    text = text.replace("－", "-").replace(" ", "").replace("\u3000", "")
    if not PHONE.match(text):
        raise ValueError(text)
    return text


def encrypt_phone(phone: str) -> str:
    """The stored form of a (normalised) phone number; '' stays ''."""
    if not phone:
        return ""
    return _fernet().encrypt(phone.encode("ascii")).decode("ascii")


def decrypt_phone(stored: str) -> str | None:
    """The phone number, '' for none, None when it cannot be read (the secret changed)."""
    if not stored:
        return ""
    try:
        return _fernet().decrypt(stored.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError):
        return None


def mask_phone(phone: str) -> str:
    """``138****5678``: the first three and last four digits only (DESIGN: masked wherever
    shown or printed)."""
    digits = phone.replace("-", "")
    if len(digits) < 8:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
