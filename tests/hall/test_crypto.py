"""Personal data at rest (hall.crypto): round trips, key changes, purposes, and the phones
the feedback feature sealed before hall.crypto existed."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask

from feedback.crypto import decrypt_phone, encrypt_phone
from hall.crypto import PERSONAL, seal, unseal

RARE = "𠮷野家 ＡＢＣ１２３ 江西省赣州市章贡区　沙石镇"


def test_round_trip_keeps_rare_and_full_width_text(app: Flask) -> None:
    stored = seal(RARE)
    assert stored and stored.isascii()
    assert RARE not in stored and "沙石镇" not in stored
    assert unseal(stored) == RARE
    assert seal(RARE) != stored  # a fresh IV every time: equal values do not look equal


def test_empty_stays_empty(app: Flask) -> None:
    assert seal("") == ""
    assert unseal("") == ""


def test_another_secret_key_cannot_read(app: Flask) -> None:
    stored = seal("13812345678")
    app.config["SECRET_KEY"] = "another secret"
    assert unseal(stored) is None


def test_damaged_value_is_unreadable(app: Flask) -> None:
    stored = seal("13812345678")
    assert unseal(stored[:-6] + "AAAAAA") is None
    assert unseal("not a token at all") is None
    assert unseal("非ascii") is None


def test_purposes_do_not_open_each_other(app: Flask) -> None:
    stored = seal("360702198803150012")
    assert unseal(stored, b"gongkai feedback contact phone v1") is None
    assert unseal(stored, PERSONAL) == "360702198803150012"


def test_personal_data_key_is_used_and_older_values_still_open(app: Flask) -> None:
    before = seal("older")
    app.config["PERSONAL_DATA_KEY"] = "a dedicated key of the operator"
    after = seal("newer")
    assert unseal(before) == "older"  # sealed under SECRET_KEY: still readable
    assert unseal(after) == "newer"
    app.config["PERSONAL_DATA_KEY"] = None
    assert unseal(after) is None  # needs the dedicated key
    app.config["PERSONAL_DATA_KEY"] = "another dedicated key"
    assert unseal(after) is None


def _old_feedback_seal(secret: str, phone: str) -> str:
    """How feedback/crypto.py sealed phones before hall.crypto (its own copy of HKDF)."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"gongkai feedback contact phone v1").derive(secret.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key)).encrypt(phone.encode("ascii")).decode("ascii")


def test_feedback_phones_sealed_before_still_open(app: Flask) -> None:
    stored = _old_feedback_seal(str(app.config["SECRET_KEY"]), "13812345678")
    assert decrypt_phone(stored) == "13812345678"
    assert decrypt_phone(encrypt_phone("0797-8123456")) == "0797-8123456"
    assert encrypt_phone("") == "" and decrypt_phone("") == ""
    app.config["SECRET_KEY"] = "changed"
    assert decrypt_phone(stored) is None
