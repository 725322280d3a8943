"""Phone numbers at rest, sealed by ``hall.crypto`` under this feature's own purpose label.

The key is HKDF-SHA256 of the configured key material (``SECRET_KEY``, or ``PERSONAL_DATA_KEY``
when set) with a fixed purpose label, so it never equals the session signing key and needs no
extra file; phones sealed before that module existed open unchanged (same label, same
derivation). Changing the key makes stored phones unreadable: they are then shown as
unreadable, never as someone else's number.
"""

from __future__ import annotations

import re

from hall.crypto import seal, unseal

_PURPOSE = b"gongkai feedback contact phone v1"
#: Mainland mobile (11 digits, 1…) or a landline with area code (0xx-xxxxxxxx, 7-8 digits).
PHONE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


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
    return seal(phone, _PURPOSE)


def decrypt_phone(stored: str) -> str | None:
    """The phone number, '' for none, None when it cannot be read (the secret changed)."""
    return unseal(stored, _PURPOSE)


def mask_phone(phone: str) -> str:
    """``138****5678``: the first three and last four digits only (DESIGN: masked wherever
    shown or printed)."""
    digits = phone.replace("-", "")
    if len(digits) < 8:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
