"""The lobby calling board as data: the calls on now, the last calls, who waits per service.

``build_board()`` is what the screens' side zone shows, the payload of the Socket.IO ``call``
and ``board`` events and part of a screen's full state. It sits on the call → board latency
path (one build per queue change, shared by every screen), so it is a handful of small
indexed queries and nothing per screen or per window.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from hall.db import utcnow
from hall.extensions import db
from hall.timefmt import HALL_TZ, local_today
from tickets.models import Call, Service, Ticket, TicketStatus
from tickets.queue import waiting_per_service
from tickets.voice import call_text, clips_for_call, voice_version

#: Calls read for the recent list, per place in it (a recall repeats a ticket's call).
_RECENT_READ = 3


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds")


#: The columns of a call the board shows (read as rows: no ORM objects on the call path).
_CALL_COLUMNS = (Call.id, Call.ticket_id, Call.window_id, Call.number, Call.window_number,
                 Call.service_name, Call.at)


def call_row(call: Any) -> dict[str, Any]:
    """One call (a ``Call`` or a row of its columns) as the board shows it."""
    return {"call_id": call.id, "number": call.number, "window": call.window_number,
            "service": call.service_name, "at": _iso(call.at)}


def announce(call: Call) -> dict[str, Any]:
    """A call as the screens announce it: the board row plus ``recall``, the ``text`` shown
    and the ``clips`` spoken. Reads nothing: the queue hands over the call it has just
    written, detached from the session, so the announcement needs no reload."""
    return {**call_row(call), "recall": call.recall,
            "text": call_text(call.number, call.window_number),
            "clips": clips_for_call(call.number, call.window_number)}


def announcement(call_id: int) -> dict[str, Any] | None:
    """:func:`announce` for a call id (None for an unknown id)."""
    call = db.session.get(Call, call_id)
    return None if call is None else announce(call)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The hall's local ``day`` as a half-open range of aware datetimes."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=HALL_TZ)
    return start, start + dt.timedelta(days=1)


def _current(start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """The newest call of each window whose called ticket it still serves, newest first."""
    calls = db.session.execute(
        select(*_CALL_COLUMNS).join(Ticket, Ticket.id == Call.ticket_id)
        .where(Call.at >= start, Call.at < end, Ticket.status == TicketStatus.CALLED,
               Ticket.window_id == Call.window_id)
        .order_by(Call.id.desc())).all()
    seen: set[int | None] = set()
    out: list[dict[str, Any]] = []
    for call in calls:
        if call.window_id not in seen:
            seen.add(call.window_id)
            out.append(call_row(call))
    return out


def _recent(start: dt.datetime, end: dt.datetime, count: int) -> list[dict[str, Any]]:
    """Today's last ``count`` calls, newest first, one per ticket (a recall moves it up)."""
    calls = db.session.execute(
        select(*_CALL_COLUMNS).where(Call.at >= start, Call.at < end)
        .order_by(Call.id.desc()).limit(count * _RECENT_READ)).all()
    seen: set[int] = set()
    out: list[dict[str, Any]] = []
    for call in calls:
        if call.ticket_id not in seen and len(out) < count:
            seen.add(call.ticket_id)
            out.append(call_row(call))
    return out


def _waiting(day: dt.date) -> list[dict[str, Any]]:
    """Each enabled service with the number of today's waiting tickets (one query)."""
    counts = waiting_per_service(day).subquery()
    rows = db.session.execute(
        select(Service.code, Service.name, Service.prefix, func.coalesce(counts.c.waiting, 0))
        .outerjoin(counts, counts.c.service_id == Service.id)
        .where(Service.enabled.is_(True)).order_by(Service.position, Service.id)).all()
    return [{"code": code, "name": name, "prefix": prefix, "waiting": int(waiting)}
            for code, name, prefix, waiting in rows]


def build_board(now: dt.datetime | None = None) -> dict[str, Any]:
    """The board now (today's calls only, in the hall's time zone).

    ``version`` is the last call's id (0 before the first call): it grows with every call and
    recall, so a screen can tell a call it has already shown. ``voice`` changes whenever a
    voice clip does, so screens fetch their clips again.
    """
    now = now or utcnow()
    day = local_today(now)
    start, end = day_bounds(day)
    config = current_app.config
    return {
        "version": int(db.session.scalar(select(func.max(Call.id))) or 0),
        "current": _current(start, end),
        "recent": _recent(start, end, max(0, int(config["QUEUE_BOARD_RECENT"]))),
        "waiting": _waiting(day),
        "repeat": max(1, int(config["QUEUE_CALL_REPEAT"])),
        "voice": voice_version(),
    }
