"""The suggestion box: filing from the kiosk, looking an answer up, and the staff workflow
(assign, set the deadline, reply in public or in private, publish, close).

Every write commits before it returns, with its audit entry in the same transaction. A change
to what the published list shows sends ``hall.signals.screens_changed`` (kind
``"suggestions"``), so lobby screens with a suggestions slide get the new state.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from feedback.crypto import encrypt_phone
from feedback.errors import FeedbackError
from feedback.models import Category, Suggestion, SuggestionStatus
from feedback.text import clean_contact, clean_text
from hall import audit
from hall.calendar import load_calendar
from hall.db import utcnow
from hall.extensions import db
from hall.models import StaffUser
from hall.signals import screens_changed
from hall.timefmt import local_today

#: Lookup keys: no 0/O, 1/I/L, so a key read off a slip is typed right.
KEY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
KEY_LENGTH = 6
CODE_PREFIX = "YJ"
SLIDE_KIND = "suggestions"
_OPEN = (SuggestionStatus.NEW.value, SuggestionStatus.ASSIGNED.value)


def new_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


def normalise_code(raw: str) -> str:
    """``yj 2026 123`` / ``YJ-2026-000123`` → ``YJ-2026-000123`` ('' if it cannot be one)."""
    text = raw.upper().replace("－", "-").replace("—", "-").replace(" ", "")
    text = text.translate({c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)})
    if not text.isascii():  # ² or ١ are digits to isdigit(), not to int()
        return ""
    parts = [p for p in text.replace("-", " ").split() if p]
    if len(parts) == 1 and parts[0].startswith(CODE_PREFIX) and parts[0][2:].isdigit() \
            and len(parts[0]) > 6:
        digits = parts[0][2:]
        parts = [CODE_PREFIX, digits[:4], digits[4:]]
    if len(parts) != 3 or parts[0] != CODE_PREFIX or not (parts[1].isdigit() and
                                                          parts[2].isdigit()):
        return ""
    if len(parts[1]) != 4 or len(parts[2]) > 9:
        return ""
    return f"{CODE_PREFIX}-{parts[1]}-{int(parts[2]):06d}"


def normalise_key(raw: str) -> str:
    text = raw.translate({c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)})
    return "".join(text.split()).upper()


def answer_deadline(filed: dt.datetime) -> dt.date:
    """``SUGGESTION_ANSWER_WORKDAYS`` working days after the hall's date of filing."""
    days = int(current_app.config["SUGGESTION_ANSWER_WORKDAYS"])
    return load_calendar().add_workdays(local_today(filed), days)


def submit(category: str, text: str, *, consent: bool = False, name: str = "",
           phone: str = "", terminal: str = "", now: dt.datetime | None = None) -> Suggestion:
    """File a suggestion and commit it; the result carries its code and lookup key.

    :raises FeedbackError: an unknown category, text empty or too long, or a contact that
        cannot be kept (see :func:`feedback.text.clean_contact`).
    """
    if category not in {c.value for c in Category}:
        raise FeedbackError(_l("请选择意见类别。"), "bad_category")
    config = current_app.config
    body = clean_text(text, max_chars=int(config["SUGGESTION_MAX_CHARS"]),
                      min_chars=int(config["SUGGESTION_MIN_CHARS"]))
    name, phone = clean_contact(consent, name, phone)
    now = now or utcnow()
    row = Suggestion(code="YJ-new-" + secrets.token_hex(6), lookup_key=new_key(),
                     category=category, text=body, terminal=terminal[:64],
                     contact_consent=bool(name or phone), contact_name=name,
                     contact_phone_enc=encrypt_phone(phone), due_on=answer_deadline(now),
                     created_at=now, updated_at=now)
    db.session.add(row)
    db.session.flush()
    # The readable code numbers every suggestion ever filed; the year says when at a glance.
    row.code = f"{CODE_PREFIX}-{local_today(now).year}-{row.id:06d}"
    db.session.commit()
    return row


def lookup(code: str, key: str) -> Suggestion | None:
    """The suggestion with this code whose key matches (compared in constant time)."""
    code, key = normalise_code(code), normalise_key(key)
    if not code or not key:
        return None
    row = db.session.scalar(select(Suggestion).where(Suggestion.code == code))
    if row is None or not hmac.compare_digest(row.lookup_key.encode(), key.encode()):
        return None
    return row


# -- staff ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Counts:
    new: int
    assigned: int
    overdue: int


def counts(today: dt.date) -> Counts:
    """Open suggestions by status, and how many of them are past their deadline."""
    row = db.session.execute(select(
        func.count().filter(Suggestion.status == SuggestionStatus.NEW.value),
        func.count().filter(Suggestion.status == SuggestionStatus.ASSIGNED.value),
        func.count().filter(Suggestion.status.in_(_OPEN), Suggestion.due_on < today),
    )).one()
    return Counts(int(row[0]), int(row[1]), int(row[2]))


def queue(status: str = "", *, overdue_on: dt.date | None = None, assignee_id: int | None = None,
          limit: int = 50, offset: int = 0) -> tuple[Sequence[Suggestion], int]:
    """A page of suggestions for the staff queue: open ones first, earliest deadline first.

    :param status: one status, ``"open"`` (new or assigned) or '' for all.
    :param overdue_on: only those open and past their deadline on that day.
    """
    query = select(Suggestion)
    if status == "open":
        query = query.where(Suggestion.status.in_(_OPEN))
    elif status:
        query = query.where(Suggestion.status == status)
    if overdue_on is not None:
        query = query.where(Suggestion.status.in_(_OPEN), Suggestion.due_on < overdue_on)
    if assignee_id is not None:
        query = query.where(Suggestion.assignee_id == assignee_id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    still_open = case((Suggestion.status.in_(_OPEN), 0), else_=1)
    rows = db.session.scalars(query.order_by(still_open, Suggestion.due_on, Suggestion.id)
                              .limit(limit).offset(offset)).all()
    return rows, int(total)


def _label(row: Suggestion) -> str:
    return row.code


def _changed(row: Suggestion, before: dict[str, Any], action: str, *, was_shown: bool) -> None:
    """Audit, commit, and tell the screens when the published list may have changed."""
    audit.record_change(action, row, before, label=_label(row))
    db.session.commit()
    if was_shown or shown_publicly(row):
        screens_changed.send(current_app._get_current_object(),  # type: ignore[attr-defined]
                             kind=SLIDE_KIND, ids=[row.id])


def shown_publicly(row: Suggestion) -> bool:
    return row.published and row.reply_public and bool(row.reply) \
        and row.status in (SuggestionStatus.ANSWERED, SuggestionStatus.CLOSED)


def assign(row: Suggestion, user: StaffUser | None) -> None:
    """Give the suggestion to a staff member (None: back to the unassigned pile)."""
    if row.status == SuggestionStatus.CLOSED:
        raise FeedbackError(_l("这条意见已办结，不能再分办。"), "closed")
    before = audit.snapshot(row)
    row.assignee_id = user.id if user else None
    row.assignee_name = user.label if user else ""
    if row.status in _OPEN:
        row.status = SuggestionStatus.ASSIGNED.value if user else SuggestionStatus.NEW.value
    _changed(row, before, "assign", was_shown=False)


def set_deadline(row: Suggestion, due_on: dt.date, today: dt.date) -> None:
    if due_on < today:
        raise FeedbackError(_l("办理期限不能早于今天。"), "past")
    before = audit.snapshot(row)
    row.due_on = due_on
    _changed(row, before, "deadline", was_shown=False)


def answer(row: Suggestion, reply: str, *, public: bool, by: str,
           now: dt.datetime | None = None) -> None:
    """Write (or rewrite) the reply; a private reply is never published."""
    if row.status == SuggestionStatus.CLOSED and not row.reply:
        raise FeedbackError(_l("这条意见已办结，不能再答复。"), "closed")
    text = clean_text(reply, max_chars=int(current_app.config["SUGGESTION_MAX_CHARS"]))
    was_shown = shown_publicly(row)
    before = audit.snapshot(row)
    row.reply, row.reply_public = text, public
    row.replied_at, row.replied_by = now or utcnow(), by[:100]
    if not public:
        row.published = False
    if row.status in _OPEN:
        row.status = SuggestionStatus.ANSWERED.value
    _changed(row, before, "reply", was_shown=was_shown)


def publish(row: Suggestion, published: bool) -> None:
    """Show (or stop showing) an answered suggestion with a public reply on the kiosk and
    the lobby slide."""
    if published and not (row.reply and row.reply_public):
        raise FeedbackError(_l("只有公开答复的意见才能发布。"), "not_public")
    was_shown = shown_publicly(row)
    before = audit.snapshot(row)
    row.published = published
    _changed(row, before, "publish" if published else "withdraw", was_shown=was_shown)


def close(row: Suggestion, now: dt.datetime | None = None) -> None:
    if row.status == SuggestionStatus.CLOSED:
        return
    was_shown = shown_publicly(row)
    before = audit.snapshot(row)
    row.status, row.closed_at = SuggestionStatus.CLOSED.value, now or utcnow()
    _changed(row, before, "close", was_shown=was_shown)


def reopen(row: Suggestion) -> None:
    if row.status != SuggestionStatus.CLOSED:
        return
    was_shown = shown_publicly(row)
    before = audit.snapshot(row)
    row.closed_at = None
    row.status = (SuggestionStatus.ANSWERED.value if row.reply else
                  SuggestionStatus.ASSIGNED.value if row.assignee_id else
                  SuggestionStatus.NEW.value)
    _changed(row, before, "reopen", was_shown=was_shown)


def record_contact_view(row: Suggestion) -> None:
    """Seeing a citizen's full phone number is itself an audited action."""
    audit.record("view_contact", obj_type="feedback_suggestion", obj_id=row.id, label=row.code)
    db.session.commit()


# -- public list ------------------------------------------------------------------------------

def published_query() -> Any:
    return (select(Suggestion)
            .where(Suggestion.published.is_(True), Suggestion.reply_public.is_(True),
                   Suggestion.reply != "",
                   Suggestion.status.in_([SuggestionStatus.ANSWERED.value,
                                          SuggestionStatus.CLOSED.value]))
            .order_by(Suggestion.replied_at.desc(), Suggestion.id.desc()))


def published(limit: int = 20, offset: int = 0) -> tuple[Sequence[Suggestion], int]:
    """Published answered suggestions, newest answer first, and how many there are."""
    query = published_query()
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return db.session.scalars(query.limit(limit).offset(offset)).all(), int(total)


def slide_items(limit: int = 3, max_chars: int = 140) -> list[dict[str, Any]]:
    """The newest published answers as plain data for a lobby slide (text cut to fit; never
    a contact): ``[{"code", "category", "text", "reply", "replied_on"}]``."""

    def cut(text: str) -> str:
        text = " ".join(text.split())
        return text if len(text) <= max_chars else text[: max_chars - 1] + "…"

    rows, _total = published(limit)
    return [{"code": r.code, "category": r.category, "text": cut(r.text),
             "reply": cut(r.reply),
             "replied_on": local_today(r.replied_at).isoformat() if r.replied_at else ""}
            for r in rows]
