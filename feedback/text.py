"""Checks on what citizens type: plain text only, bounded, no control characters.

Text is stored as typed (HTML is never interpreted; pages escape it). Control characters are
dropped because they mean nothing on paper or screen and PostgreSQL refuses NUL in text.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l

from feedback.crypto import normalise_phone
from feedback.errors import FeedbackError

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
MAX_NAME_CHARS = 20


def clean_text(raw: str, *, max_chars: int, min_chars: int = 1) -> str:
    """Text with line ends unified, control characters removed and ends trimmed.

    :raises FeedbackError: empty (``"empty"``), shorter than ``min_chars`` (``"too_short"``)
        or longer than ``max_chars`` characters (``"too_long"``).
    """
    text = _CONTROL.sub("", raw.replace("\r\n", "\n").replace("\r", "\n")).strip()
    text = unicodedata.normalize("NFC", text)
    if not text:
        raise FeedbackError(_l("请填写内容。"), "empty")
    if len(text) < min_chars:
        raise FeedbackError(_l("内容太短了，请至少写 %(n)d 个字。", n=min_chars), "too_short")
    if len(text) > max_chars:
        raise FeedbackError(_l("内容太长了，请不超过 %(n)d 个字（现在 %(m)d 个字）。",
                               n=max_chars, m=len(text)), "too_long")
    return text


def clean_contact(consent: bool, name: str, phone: str) -> tuple[str, str]:
    """The contact to keep: ``(name, normalised phone)``, or empty without consent.

    :raises FeedbackError: contact given without consent (``"no_consent"``), a name too long
        (``"bad_name"``) or a phone number that is not one (``"bad_phone"``).
    """
    name = _CONTROL.sub("", name).strip()
    phone = phone.strip()
    if not consent:
        if name or phone:
            raise FeedbackError(_l("如需留下联系方式，请先勾选同意；不留也可以提交。"),
                                "no_consent")
        return "", ""
    if len(name) > MAX_NAME_CHARS:
        raise FeedbackError(_l("称呼请不超过 %(n)d 个字。", n=MAX_NAME_CHARS), "bad_name")
    if not phone:
        raise FeedbackError(_l("勾选同意后请填写联系电话；不想留电话请取消勾选。"),
                            "bad_phone")
    try:
        phone = normalise_phone(phone)
    except ValueError:
        raise FeedbackError(_l("电话号码格式不对，请填写 11 位手机号或带区号的固定电话。"),
                            "bad_phone") from None
    return name, phone
