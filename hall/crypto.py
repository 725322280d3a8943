"""Personal data at rest: Fernet (AES-128-CBC + HMAC) with keys derived by HKDF-SHA256.

The key material is the config value ``PERSONAL_DATA_KEY`` when an operator sets one, else
``SECRET_KEY`` (which lives in ``instance/``, never in the repository). Each use derives its
own key from that material with a fixed *purpose* label, so a key never equals the session
signing key nor another feature's key, and no extra key file is needed.

When ``PERSONAL_DATA_KEY`` is set, values sealed earlier under the ``SECRET_KEY`` derivation
still open (the older key is tried second), so introducing a dedicated key loses nothing.
A value that no current key opens is reported as unreadable (``None``), never as garbage or
as someone else's data.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

#: The purpose label of personal data in disclosure applications (ID, phone, address, email).
PERSONAL = b"gongkai personal data v1"


def derive_key(secret: str, purpose: bytes) -> bytes:
    """A urlsafe-base64 Fernet key: HKDF-SHA256 of ``secret`` with ``purpose`` as info."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=purpose).derive(secret.encode("utf-8"))
    return base64.urlsafe_b64encode(key)


def _secrets() -> list[str]:
    """Key material, newest first: ``PERSONAL_DATA_KEY`` (if set), then ``SECRET_KEY``."""
    config = current_app.config
    out: list[str] = []
    dedicated = config.get("PERSONAL_DATA_KEY")
    if dedicated:
        out.append(str(dedicated))
    secret = config.get("SECRET_KEY")
    if secret:
        out.append(str(secret))
    if not out:
        raise RuntimeError("SECRET_KEY (or PERSONAL_DATA_KEY) must be configured")
    return out


def fernet(purpose: bytes = PERSONAL, secret: str | None = None) -> MultiFernet:
    """The cipher for ``purpose``: encrypts with the newest key, decrypts with any.

    :param secret: use only this key material (tests, and callers that must stay on one
        derivation); by default the app's configured keys.
    """
    secrets = [secret] if secret is not None else _secrets()
    return MultiFernet([Fernet(derive_key(s, purpose)) for s in dict.fromkeys(secrets)])


def seal(text: str, purpose: bytes = PERSONAL) -> str:
    """The stored (encrypted, ASCII) form of ``text``; '' stays ''."""
    if not text:
        return ""
    return fernet(purpose).encrypt(text.encode("utf-8")).decode("ascii")


def unseal(stored: str, purpose: bytes = PERSONAL) -> str | None:
    """The text sealed in ``stored``; '' for ''; None when no configured key opens it (the
    key changed, or the value is damaged)."""
    if not stored:
        return ""
    try:
        return fernet(purpose).decrypt(stored.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError, UnicodeError):
        return None
