"""好差评: a citizen's rating of a finished ticket, and the follow-up a 差评 opens.

A ticket is rated once (the unique ``queue_rating.ticket_id`` is the final guard), within
:data:`RATING_DAYS` of being finished. Reasons come from a fixed list per grade group, stored
by their Chinese text (the msgid), one per line. A 差评 (score 1 or 2) opens a
:class:`~tickets.models.Followup` in the same commit, due ``QUEUE_FOLLOWUP_WORKDAYS`` working
days after the hall's date of the rating (the day itself not counted, as for every period).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from hall import audit
from hall.calendar import load_calendar
from hall.db import utcnow
from hall.extensions import db
from hall.models import StaffUser
from hall.timefmt import local_today
from tickets.models import Followup, FollowupStatus, Rating, Score, Ticket, TicketStatus
from tickets.queue import QueueError

#: A finished ticket can be rated this many days after it was finished.
RATING_DAYS = 7
COMMENT_MAX = 500
#: What staff write when they close a follow-up (finding, answer), at most.
ANSWER_MAX = 2000
CHANNELS = ("kiosk", "counter", "phone")

GRADE_LABELS: dict[Score, Any] = {
    Score.VERY_SATISFIED: _l("非常满意"),
    Score.SATISFIED: _l("满意"),
    Score.FAIRLY_SATISFIED: _l("基本满意"),
    Score.DISSATISFIED: _l("不满意"),
    Score.VERY_DISSATISFIED: _l("非常不满意"),
}
#: Reasons a citizen may tick, by their stored key (the Chinese text) and shown label.
GOOD_REASONS: dict[str, Any] = {
    "服务热情": _l("服务热情"),
    "办理高效": _l("办理高效"),
    "解释清楚": _l("解释清楚"),
    "一次办好": _l("一次办好"),
    "等候时间短": _l("等候时间短"),
}
BAD_REASONS: dict[str, Any] = {
    "等候时间长": _l("等候时间长"),
    "态度不好": _l("态度不好"),
    "材料要求不清": _l("材料要求不清"),
    "多次跑腿": _l("多次跑腿"),
    "系统故障": _l("系统故障"),
    "其他": _l("其他"),
}
REASON_LABELS: dict[str, Any] = {**GOOD_REASONS, **BAD_REASONS}

#: Unicode controls that would hide or reorder text on a staff page (bidi overrides, isolates).
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class RatingError(QueueError):
    """A refused rating or follow-up answer; ``message`` is for the person who asked."""


def grade_label(score: int) -> Any:
    try:
        return GRADE_LABELS[Score(score)]
    except ValueError:
        return str(score)


def reason_label(key: str) -> Any:
    return REASON_LABELS.get(key, key)


def reasons_for(score: Score) -> dict[str, Any]:
    """The reasons offered with a grade: what went wrong for a 差评, what went well otherwise."""
    return BAD_REASONS if score.is_bad else GOOD_REASONS


def parse_score(value: Any) -> Score:
    """A grade from a form value or JSON number (1–5); anything else is refused kindly."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and value in Score._value2member_map_:
        return Score(value)
    raise RatingError(_l("请选择一个评价等级。"), "bad_score")


def clean_text(text: Any, limit: int) -> str:
    """Text without control characters (newlines kept, tabs as spaces), trimmed.

    :raises RatingError: not text, or longer than ``limit`` characters after cleaning.
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        raise RatingError(_l("留言格式不对。"), "bad_comment")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _BIDI.sub("", text)
    text = "".join(c for c in text if c == "\n" or unicodedata.category(c) != "Cc")
    text = text.strip()
    if len(text) > limit:
        raise RatingError(_l("留言最多 %(n)d 个字，现在有 %(count)d 个字。", n=limit,
                             count=len(text)), "too_long")
    return text


def parse_reasons(score: Score, reasons: Iterable[Any] | None) -> list[str]:
    """The chosen reasons, in the offered order, each from the grade's list."""
    offered = reasons_for(score)
    chosen = set()
    for reason in reasons or ():
        if not isinstance(reason, str) or reason not in offered:
            raise RatingError(_l("所选原因与评价等级不符，请重新选择。"), "bad_reason")
        chosen.add(reason)
    return [key for key in offered if key in chosen]


def rating_of(ticket: Ticket) -> Rating | None:
    return db.session.scalar(select(Rating).where(Rating.ticket_id == ticket.id))


def check_rateable(ticket: Ticket | None, now: dt.datetime | None = None) -> Ticket:
    """The ticket if it may be rated now (finished, recent, not rated yet).

    :raises RatingError: with code ``unknown``, ``not_done``, ``too_old`` or ``rated``.
    """
    now = now or utcnow()
    if ticket is None:
        raise RatingError(_l("没有找到这张号，请核对后再试。"), "unknown")
    if ticket.status != TicketStatus.DONE or ticket.finished_at is None:
        raise RatingError(_l("%(number)s 号还没有办结，办结后才能评价。",
                             number=ticket.number), "not_done")
    if now - ticket.finished_at > dt.timedelta(days=RATING_DAYS):
        raise RatingError(_l("办结超过 %(days)d 天的服务不能再评价。", days=RATING_DAYS),
                          "too_old")
    if rating_of(ticket) is not None:
        raise RatingError(_l("%(number)s 号已经评价过了，谢谢您。", number=ticket.number),
                          "rated")
    return ticket


def finished_today(number: Any, now: dt.datetime | None = None) -> Ticket:
    """Today's ticket with this number, if it was finished today and is not rated (what the
    kiosk's number pad may look up: nothing older, so guessing numbers finds little).

    :raises RatingError: a malformed number or a ticket that cannot be rated.
    """
    now = now or utcnow()
    text = "".join(str(number or "").split()).upper()
    if not re.fullmatch(r"[A-Z]{1,2}[0-9]{1,6}", text):
        raise RatingError(_l("请输入号码，例如 A012。"), "bad_number")
    ticket = db.session.scalar(select(Ticket).where(Ticket.day == local_today(now),
                                                    Ticket.number == text))
    if ticket is None:
        raise RatingError(_l("今天没有 %(number)s 号，请核对后再输入。", number=text), "unknown")
    check_rateable(ticket, now)
    if ticket.finished_at is None or local_today(ticket.finished_at) != local_today(now):
        raise RatingError(_l("%(number)s 号不是今天办结的。", number=text), "not_today")
    return ticket


def offer_at_window(window_id: int, seconds: int, now: dt.datetime | None = None
                    ) -> Ticket | None:
    """The ticket the window finished last, if within ``seconds`` and not rated yet: what
    the counter-facing page offers to rate right after the clerk presses finish."""
    now = now or utcnow()
    ticket = db.session.scalar(
        select(Ticket).where(Ticket.window_id == window_id, Ticket.status == TicketStatus.DONE,
                             Ticket.finished_at.is_not(None),
                             Ticket.finished_at >= now - dt.timedelta(seconds=seconds))
        .order_by(Ticket.finished_at.desc(), Ticket.id.desc()).limit(1))
    if ticket is None or rating_of(ticket) is not None:
        return None
    return ticket


@dataclass(frozen=True)
class Rated:
    rating: Rating
    followup: Followup | None
    #: working days staff have to check a 差评 (for the citizen's thanks page)
    workdays: int


def followup_workdays() -> int:
    return int(current_app.config.get("QUEUE_FOLLOWUP_WORKDAYS", 15))


def rate(ticket: Ticket | None, score: Any, reasons: Iterable[Any] | None, comment: Any,
         channel: str, now: dt.datetime | None = None) -> Rated:
    """Record a citizen's rating of a finished ticket, committed before it returns.

    Copies the service, window number and clerk so the rating outlives later changes; a 差评
    opens its follow-up in the same commit.

    :raises RatingError: the ticket cannot be rated, or a value is not acceptable.
    """
    now = now or utcnow()
    ticket = check_rateable(ticket, now)
    grade = parse_score(score)
    chosen = parse_reasons(grade, reasons)
    text = clean_text(comment, COMMENT_MAX)
    if channel not in CHANNELS:
        raise RatingError(_l("评价渠道无效。"), "bad_channel")
    window = ticket.window
    rating = Rating(ticket_id=ticket.id, score=int(grade), reasons="\n".join(chosen),
                    comment=text, channel=channel, service_id=ticket.service_id,
                    window_number=window.number if window else None,
                    clerk_name=ticket.served_by, created_at=now)
    db.session.add(rating)
    followup = None
    days = followup_workdays()
    if grade.is_bad:
        due = load_calendar().add_workdays(local_today(now), days)
        followup = Followup(rating=rating, due_on=due, status=FollowupStatus.OPEN)
        db.session.add(followup)
    try:
        db.session.commit()
    except IntegrityError:  # the same ticket rated at the same moment elsewhere
        db.session.rollback()
        raise RatingError(_l("%(number)s 号已经评价过了，谢谢您。", number=ticket.number),
                          "rated") from None
    return Rated(rating, followup, days)


# --------------------------------------------------------------------------- follow-ups


def answer_followup(followup: Followup, finding: Any, answer: Any, actor: StaffUser,
                    now: dt.datetime | None = None) -> Followup:
    """Close a follow-up with what staff found (and fixed) and the answer given; audited in
    the same commit.

    :raises RatingError: already answered, or a text missing or too long.
    """
    if followup.status != FollowupStatus.OPEN:
        raise RatingError(_l("这条回访已经办结。"), "answered")
    finding_text = clean_text(finding, ANSWER_MAX)
    answer_text = clean_text(answer, ANSWER_MAX)
    if not finding_text or not answer_text:
        raise RatingError(_l("请填写核查情况和答复内容。"), "missing")
    before = audit.snapshot(followup)
    followup.finding, followup.answer = finding_text, answer_text
    followup.status = FollowupStatus.ANSWERED
    followup.answered_by = actor.label[:100]
    followup.answered_at = now or utcnow()
    db.session.flush()
    old, new = audit.diff(before, audit.snapshot(followup))
    audit.record("followup_answered", obj_type="queue_followup", obj_id=followup.id,
                 label=followup.rating.ticket.number, old=old, new=new, actor=actor)
    db.session.commit()
    return followup


def _open_followups() -> Any:
    return (select(Followup).where(Followup.status == FollowupStatus.OPEN)
            .options(joinedload(Followup.rating).joinedload(Rating.ticket))
            .order_by(Followup.due_on, Followup.id))


def overdue(today: dt.date | None = None) -> list[Followup]:
    """Open follow-ups whose due day has passed (due today is not overdue yet)."""
    today = today or local_today()
    return list(db.session.scalars(_open_followups().where(Followup.due_on < today)))


def due_soon(today: dt.date | None = None, days: int = 3) -> list[Followup]:
    """Open follow-ups due from today up to ``days`` working days ahead."""
    today = today or local_today()
    until = load_calendar().add_workdays(today, days)
    return list(db.session.scalars(_open_followups().where(Followup.due_on >= today,
                                                            Followup.due_on <= until)))


def open_followups(today: dt.date | None = None, days: int = 3
                   ) -> list[tuple[Followup, str]]:
    """Every open follow-up with its state (``overdue``, ``soon`` or ``open``): overdue ones
    first, then those due soon, then the rest, each by due day."""
    today = today or local_today()
    until = load_calendar().add_workdays(today, days)
    out = []
    for followup in db.session.scalars(_open_followups()):
        state = ("overdue" if followup.due_on < today
                 else "soon" if followup.due_on <= until else "open")
        out.append((followup, state))
    return out  # ordered by due day, which puts overdue, then soon, then open


def register_actions() -> None:
    audit.register_action("followup_answered", _l("答复差评回访"))
