"""The applicant's personal data: checking it as typed, and the masked forms shown everywhere.

Pure functions (no database, no request). What is typed on a kiosk arrives with full-width
digits, spaces and lowercase letters; these functions accept all of that and return one
canonical form, or raise :class:`PersonalDataError` with a sentence the applicant can act on.

Masks follow ogi-rules.md: ID number first 6 and last 4 characters, phone first 3 and last 4
digits, names keep the surname, addresses go down to the township only, e-mail keeps the
first letter and the domain. A full ID number is never printed nor shown to citizens.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_babel import lazy_gettext as _l

from hall.timefmt import local_today

#: Identity documents an applicant may show (Art 29 (一) 身份证明). Organisations usually give
#: their unified social credit code (GB 32100).
ID_TYPES: list[tuple[str, Any]] = [
    ("resident_id", _l("居民身份证")),
    ("passport", _l("护照")),
    ("hk_macao", _l("港澳居民来往内地通行证")),
    ("taiwan", _l("台湾居民来往大陆通行证")),
    ("foreign_permanent", _l("外国人永久居留身份证")),
    ("other", _l("其他")),
    ("credit_code", _l("统一社会信用代码")),
]
ID_TYPE_LABELS: dict[str, Any] = dict(ID_TYPES)

#: GB 11643-1999: weights of the first 17 digits and the check character by (sum mod 11).
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
#: GB 32100-2015: the credit code's alphabet (no I, O, S, V, Z) and weights.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_OTHER_ID = re.compile(r"^[A-Z0-9-]{4,30}$")

_MOBILE = re.compile(r"^1\d{10}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
_INTERNATIONAL = re.compile(r"^\+\d{7,15}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class PersonalDataError(ValueError):
    """What was typed for ``field`` is not acceptable; ``message`` says why (lazy Chinese)."""

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(str(message))
        self.field = field
        self.message = message


def _halfwidth(raw: str) -> str:
    """Full-width ASCII (０-９, Ａ-Ｚ, －, ＋, ＠ …) as ASCII; ideographic spaces as spaces."""
    return raw.translate({c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}).replace("\u3000", " ")


def _compact(raw: str) -> str:
    return re.sub(r"\s+", "", _halfwidth(raw or ""))


def resident_id_check(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _birth_date(value: str) -> dt.date | None:
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None


def _resident_id(value: str, today: dt.date) -> str:
    if len(value) != 18:
        raise PersonalDataError("id_number", _l("居民身份证号码应为 18 位，请核对。"))
    if not value.isascii() or not value[:17].isdigit() or not (value[17].isdigit()
                                                              or value[17] == "X"):
        raise PersonalDataError(
            "id_number", _l("居民身份证号码前 17 位应为数字，最后一位为数字或 X。"))
    born = _birth_date(value[6:14])
    if born is None or born.year < 1900:
        raise PersonalDataError("id_number", _l("身份证号码中的出生日期不存在，请核对。"))
    if born > today:
        raise PersonalDataError("id_number", _l("身份证号码中的出生日期晚于今天，请核对。"))
    if resident_id_check(value[:17]) != value[17]:
        raise PersonalDataError("id_number", _l("身份证号码校验位不正确，请逐位核对。"))
    return value


def _credit_code(value: str) -> str:
    if len(value) != 18 or any(c not in _USCC_CHARS for c in value):
        raise PersonalDataError(
            "id_number", _l("统一社会信用代码应为 18 位数字或大写字母，请核对。"))
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(value, _USCC_WEIGHTS, strict=False))
    if _USCC_CHARS[(31 - total % 31) % 31] != value[17]:
        raise PersonalDataError("id_number", _l("统一社会信用代码校验位不正确，请逐位核对。"))
    return value


def normalise_id(raw: str, id_type: str, today: dt.date | None = None) -> str:
    """The canonical form of an identity document number: no spaces, half-width, upper case.

    ``resident_id`` is checked against GB 11643-1999 (18 characters, a real birth date not
    after ``today``, the check character); ``credit_code`` against GB 32100; other documents
    must be 4–30 letters, digits or hyphens.

    :raises PersonalDataError: with field ``id_type`` or ``id_number``.
    """
    if id_type not in ID_TYPE_LABELS:
        raise PersonalDataError("id_type", _l("请选择证件类型。"))
    value = _compact(raw).upper()
    if not value:
        raise PersonalDataError("id_number", _l("请填写证件号码。"))
    if id_type == "resident_id":
        return _resident_id(value, today or local_today())
    if id_type == "credit_code":
        return _credit_code(value)
    if not _OTHER_ID.match(value):
        raise PersonalDataError(
            "id_number", _l("证件号码应为 4–30 位字母、数字或连字符，请核对。"))
    return value


def normalise_phone(raw: str) -> str:
    """A mainland mobile (11 digits), a landline with its area code (``0797-8123456``, an
    extension allowed), or an international number (``+852…``).

    :raises PersonalDataError: with field ``phone``.
    """
    value = _compact(raw).replace("—", "-").replace("(", "").replace(")", "")
    if not value:
        raise PersonalDataError("phone", _l("请填写联系电话。"))
    mobile = value.replace("-", "")
    mobile = mobile[3:] if mobile.startswith("+86") else mobile
    if _MOBILE.match(mobile):
        return mobile
    if _LANDLINE.match(value):
        return value
    if _INTERNATIONAL.match(value.replace("-", "")):
        return value.replace("-", "")
    raise PersonalDataError(
        "phone", _l("联系电话应为 11 位手机号码，或带区号的固定电话（如 0797-8123456）。"))


def normalise_email(raw: str) -> str:
    """A plausible e-mail address, lower-cased domain. :raises PersonalDataError: ``email``."""
    value = _compact(raw)
    if len(value) > 100 or not _EMAIL.match(value):
        raise PersonalDataError("email", _l("电子邮箱格式不正确，请核对（如 name@example.com）。"))
    local_part, _, domain = value.rpartition("@")
    return f"{local_part}@{domain.lower()}"


def phone_last4(phone: str) -> str:
    """The last four digits (with the application number, the status lookup key)."""
    digits = re.sub(r"\D", "", phone)
    return digits[-4:]


def mask_id(value: str) -> str:
    """``360702********123X``: first 6 and last 4 characters of an 18-character number;
    shorter documents keep less, so a mask never reveals most of a number."""
    n = len(value)
    if n >= 15:
        head, tail = 6, 4
    elif n >= 8:
        head, tail = 2, 2
    elif n >= 4:
        head, tail = 1, 1
    else:
        return "*" * n
    return value[:head] + "*" * (n - head - tail) + value[-tail:]


def mask_phone(phone: str) -> str:
    """``138****1234``: the first three and last four digits only."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 8:
        return "*" * len(digits)
    prefix = "+" if phone.startswith("+") else ""
    return prefix + digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str, applicant_type: str = "person") -> str:
    """``张*`` / ``张*三`` / ``欧**娜``; a Latin name keeps each word's first letter; an
    organisation's name (any ``applicant_type`` but ``person``) is not personal: unmasked."""
    name = name.strip()
    if applicant_type != "person" or not name:
        return name
    if re.search(r"[A-Za-z]", name):
        return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


_DISTRICT = re.compile(r"^.*?[区县旗]+")
_TOWNSHIP = re.compile(r"^.*?(?:街道|[乡镇]|苏木)")
_CITY = re.compile(r"^.*?(?:市|自治州|地区|盟)")


def mask_address(address: str) -> str:
    """The address down to the township (乡/镇/街道), else to the district or county, else to
    the city; what follows (village, street, number) is cut off."""
    address = re.sub(r"\s+", "", address)
    if not address:
        return ""
    district = _DISTRICT.match(address)
    start = district.end() if district else 0
    township = _TOWNSHIP.match(address[start:])
    if township and len(township.group()) <= 15:
        return address[:start + township.end()]
    if district:
        return address[:start]
    city = _CITY.match(address)
    if city:
        return city.group()
    return address[:4] + "…" if len(address) > 4 else "*" * len(address)


def mask_email(email: str) -> str:
    """``z***@qq.com``: the first character and the domain."""
    if "@" not in email:
        return "*" * len(email)
    local_part, _, domain = email.rpartition("@")
    return f"{local_part[:1]}***@{domain}"
