"""The queue's rules: whether a service is open, issuing numbers, who is served next, and
every move a window makes (call, recall, no-show, transfer, finish, pause).

Plain arguments in, plain results out; every function that changes something commits before
it returns and then sends ``hall.signals.queue_changed`` (``screens.push`` turns that into the
lobby board's events).

The next-ticket rule: among today's waiting tickets the window may serve (its services, or a
transfer addressed to it), priority tickets (a priority category or a checked-in appointment)
come first, then the earliest ``queued_at`` (the first issue time, kept by transfers), then the
lowest id. Two windows calling at once each claim a candidate with a guarded
``UPDATE … WHERE status = 'waiting'``; the loser moves on to the next candidate.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import median
from typing import Any, ParamSpec, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.attributes import set_committed_value

from hall.calendar import load_calendar
from hall.db import utcnow
from hall.extensions import db
from hall.signals import queue_changed
from hall.timefmt import HALL_TZ, local, local_today
from tickets.models import (
    Appointment,
    Call,
    NumberCounter,
    PriorityCategory,
    Service,
    Ticket,
    TicketStatus,
    Window,
)

#: How far ahead :func:`availability` looks for the next opening.
LOOKAHEAD_DAYS = 21

P = ParamSpec("P")
R = TypeVar("R")
#: SQLite has one writer, and its busy wait is unfair polling: with dozens of threads writing
#: at once one of them can starve past ``busy_timeout`` ("database is locked", seen at 32
#: issuing and 8 calling threads). Queue writes in one process take turns here first, where
#: waiting is blocking, not polling. PostgreSQL's row locks queue fairly and need nothing.
_sqlite_writer = threading.Lock()
#: Held while a move's change is announced (the board built and sent to the lobby). A move
#: takes it before it lets go of the writer's turn, so announcements leave in commit order,
#: and the next move's database work overlaps this one's announcement instead of waiting for
#: it (two windows calling at once: the second call reached the board 15–18 ms later when
#: the first one's board build and send to 300 screens happened inside the writer's turn).
_announcer = threading.RLock()
#: Per thread: the announcements of the move under way (None outside a move).
_move = threading.local()


class QueueError(Exception):
    """A refused queue action; ``message`` is for the person who asked (translated lazily)."""

    def __init__(self, message: Any, code: str = "refused") -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code


def _serialised(func: Callable[P, R]) -> Callable[P, R]:
    """A queue move: take turns on SQLite (see ``_sqlite_writer``), then announce what it
    changed after the turn (see ``_announcer``). A database that stays busy anyway becomes a
    calm refusal, never a 500, and nothing half-done is kept. A move inside a move (a
    check-in issues a ticket) runs in the outer one's turn, which announces for both."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if getattr(_move, "pending", None) is not None:
            return func(*args, **kwargs)
        sqlite = db.session.get_bind().dialect.name == "sqlite"
        pending: list[tuple[str, dict[str, Any]]] = []
        _move.pending = pending
        try:
            with _sqlite_writer if sqlite else contextlib.nullcontext():
                try:
                    return func(*args, **kwargs)
                except OperationalError as error:
                    db.session.rollback()
                    raise QueueError(_l("系统繁忙，请稍后再试。"), "busy") from error
                finally:
                    _announcer.acquire()  # before the next move may commit: commit order
        finally:
            _move.pending = None
            try:
                for kind, fields in pending:
                    queue_changed.send(None, kind=kind, **fields)
            finally:
                _announcer.release()

    return wrapper


# --------------------------------------------------------------------------- availability


@dataclass(frozen=True)
class Availability:
    open: bool
    reason: str  # "", "disabled", "paused", "closed_day", "before_hours", "after_hours", "full"
    message: Any  # a kind sentence for the kiosk
    opens_at: dt.datetime | None  # the next opening (aware), when known


def _opens_on(service: Service, day: dt.date, cal: Any) -> bool:
    if not service.weekdays & (1 << day.weekday()):
        return False
    return not service.workdays_only or cal.is_workday(day)


def _at(day: dt.date, time: dt.time | None) -> dt.datetime:
    return dt.datetime.combine(day, time or dt.time(0, 0), tzinfo=HALL_TZ)


def next_opening(service: Service, after: dt.datetime, cal: Any = None) -> dt.datetime | None:
    """The first moment after ``after`` (a later day) when the service opens, or None."""
    cal = cal or load_calendar()
    day = local(after).date()
    for _ in range(LOOKAHEAD_DAYS):
        day += dt.timedelta(days=1)
        if _opens_on(service, day, cal):
            return _at(day, service.opens_at)
    return None


def issued_today(service_id: int, day: dt.date) -> int:
    return db.session.scalar(select(func.count(Ticket.id)).where(
        Ticket.service_id == service_id, Ticket.day == day)) or 0


def availability(service: Service, now: dt.datetime | None = None,
                 cal: Any = None) -> Availability:
    """Whether a ticket for ``service`` can be taken now, and if not why and when it opens."""
    now = now or utcnow()
    cal = cal or load_calendar()
    here = local(now)
    day = here.date()
    if not service.enabled:
        return Availability(False, "disabled", _l("该业务暂不办理。"), None)
    if service.paused:
        note = service.pause_note or _l("请稍候，或咨询大厅工作人员。")
        return Availability(False, "paused", _l("该业务暂停取号。%(note)s", note=note), None)
    if not _opens_on(service, day, cal):
        return _closed(service, "closed_day", _l("今天不办理该业务。"), now, cal)
    if service.opens_at and here.time() < service.opens_at:
        opens = service.opens_at.strftime("%H:%M")
        return Availability(False, "before_hours", _l("该业务 %(time)s 开始取号。", time=opens),
                            _at(day, service.opens_at))
    if service.closes_at and here.time() >= service.closes_at:
        return _closed(service, "after_hours", _l("今天的办理时间已过。"), now, cal)
    if service.daily_limit is not None and issued_today(service.id, day) >= service.daily_limit:
        return _closed(service, "full", _l("今天的号已取完。"), now, cal)
    return Availability(True, "", "", None)


def _closed(service: Service, reason: str, message: Any, now: dt.datetime,
            cal: Any) -> Availability:
    opens = next_opening(service, now, cal)
    if opens is not None:
        # "11月27日" alone when the service has no opening hour (it opens with the day)
        when = opens.strftime("%m月%d日 %H:%M" if service.opens_at else "%m月%d日")
        message = _l("%(message)s下次取号：%(when)s。", message=message, when=when)
    return Availability(False, reason, message, opens)


# --------------------------------------------------------------------------- ordering


def _rank() -> Any:
    """0 for priority tickets (a category or an appointment), 1 for the rest."""
    return case((or_(Ticket.priority_id.is_not(None), Ticket.appointment_id.is_not(None)), 0),
                else_=1)


def _line_order() -> tuple[Any, ...]:
    return (_rank(), Ticket.queued_at, Ticket.id)


def _ahead_of(ticket: Ticket) -> Any:
    """Waiting tickets of the same line that the rule serves before ``ticket``."""
    mine = 0 if (ticket.priority_id or ticket.appointment_id) else 1
    rank = _rank()
    return and_(
        Ticket.day == ticket.day, Ticket.status == TicketStatus.WAITING,
        Ticket.service_id == ticket.service_id, Ticket.id != ticket.id,
        or_(Ticket.target_window_id.is_(None), Ticket.target_window_id == ticket.target_window_id),
        or_(rank < mine,
            and_(rank == mine, or_(Ticket.queued_at < ticket.queued_at,
                                   and_(Ticket.queued_at == ticket.queued_at,
                                        Ticket.id < ticket.id)))))


def people_ahead(ticket: Ticket) -> int:
    """How many waiting tickets will be called before this one (0 when not waiting)."""
    if ticket.status != TicketStatus.WAITING:
        return 0
    return db.session.scalar(select(func.count(Ticket.id)).where(_ahead_of(ticket))) or 0


def waiting_per_service(day: dt.date) -> Select[int, int]:
    """``(service_id, waiting)`` rows of the day's waiting tickets, as a query to run or join."""
    return (select(Ticket.service_id, func.count(Ticket.id).label("waiting"))
            .where(Ticket.day == day, Ticket.status == TicketStatus.WAITING)
            .group_by(Ticket.service_id))


def waiting_counts(day: dt.date | None = None) -> dict[int, int]:
    """Waiting tickets per service id today."""
    rows = db.session.execute(waiting_per_service(day or local_today())).all()
    return {service_id: n for service_id, n in rows}


def minutes_each(service: Service, day: dt.date) -> float:
    """Median minutes per citizen today (from at least 3 finished tickets), else the setting."""
    rows = db.session.execute(
        select(Ticket.called_at, Ticket.finished_at).where(
            Ticket.service_id == service.id, Ticket.day == day,
            Ticket.status == TicketStatus.DONE, Ticket.called_at.is_not(None),
            Ticket.finished_at.is_not(None))).all()
    spans = [(f - c).total_seconds() / 60 for c, f in rows if c and f and f >= c]
    if len(spans) >= 3:
        return max(1.0, median(spans))
    return float(max(1, service.minutes_each))


def open_windows(service: Service) -> int:
    """Windows serving ``service`` now: enabled, not paused, a clerk signed in at them."""
    return sum(1 for w in service.windows if w.enabled and not w.paused and w.clerk_id)


def estimated_wait(service: Service, ahead: int, day: dt.date | None = None) -> int:
    """Minutes until a ticket with ``ahead`` people before it is called (rounded up)."""
    if ahead <= 0:
        return 0
    day = day or local_today()
    return math.ceil(ahead * minutes_each(service, day) / max(1, open_windows(service)))


def services_overview(now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """What the kiosk and ``GET /api/services`` show: each enabled service with its state."""
    now = now or utcnow()
    day = local_today(now)
    cal = load_calendar()
    counts = waiting_counts(day)
    out = []
    for service in db.session.scalars(
            select(Service).where(Service.enabled.is_(True))
            .order_by(Service.position, Service.id)):
        avail = availability(service, now, cal)
        waiting = counts.get(service.id, 0)
        out.append({
            "code": service.code, "name": service.name, "description": service.description,
            "prefix": service.prefix, "open": avail.open, "reason": avail.reason,
            "message": str(avail.message),
            "opens_at": avail.opens_at.isoformat(timespec="minutes") if avail.opens_at else None,
            "waiting": waiting, "estimated_wait": estimated_wait(service, waiting, day),
        })
    return out


# --------------------------------------------------------------------------- issuing


@dataclass(frozen=True)
class Issued:
    ticket: Ticket
    ahead: int
    estimated_wait: int
    repeated: bool  # the same request key came again: the first ticket, not a new one


def format_number(service: Service, seq: int) -> str:
    return f"{service.prefix}{seq:0{max(1, service.digits)}d}"


def _next_seq(service: Service, day: dt.date) -> int:
    """Increment the service's counter for ``day`` and return the new number (this
    transaction holds the row until it commits, so no two transactions get the same one)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(NumberCounter).values(service_id=service.id, day=day,
                                     last=max(0, service.first_number - 1))
        .on_conflict_do_nothing(index_elements=["service_id", "day"]))
    return db.session.execute(
        update(NumberCounter)
        .where(NumberCounter.service_id == service.id, NumberCounter.day == day)
        .values(last=NumberCounter.last + 1)
        .returning(NumberCounter.last)).scalar_one()


def service_by_code(code: str) -> Service:
    service = db.session.scalar(select(Service).where(Service.code == code))
    if service is None or not service.enabled:
        raise QueueError(_l("没有这项业务，请重新选择。"), "unknown_service")
    return service


def _existing(request_key: str | None) -> Ticket | None:
    if not request_key:
        return None
    return db.session.scalar(select(Ticket).where(Ticket.request_key == request_key))


@_serialised
def issue_ticket(service_code: str, *, priority_id: int | None = None,
                 appointment: Appointment | None = None, source: str = "kiosk",
                 terminal: str = "", request_key: str | None = None,
                 now: dt.datetime | None = None, check_hours: bool = True) -> Issued:
    """Give the next ticket of a service, committed before it returns.

    :param request_key: the client's idempotency key; the same key returns the same ticket.
    :param check_hours: False lets staff issue outside the service's hours.
    :raises QueueError: unknown or closed service, unknown priority category.
    """
    now = now or utcnow()
    request_key = (request_key or "").strip()[:64] or None
    found = _existing(request_key)
    if found is not None:
        return _issued(found, repeated=True)
    service = service_by_code(service_code)
    if check_hours:
        avail = availability(service, now)
        if not avail.open:
            raise QueueError(avail.message, "closed")
    priority_name = ""
    if priority_id is not None:
        category = db.session.get(PriorityCategory, priority_id)
        if category is None or not category.enabled:
            raise QueueError(_l("没有这个优先类别，请重新选择。"), "unknown_priority")
        priority_name = category.name
    day = local_today(now)
    try:
        seq = _next_seq(service, day)
        ticket = Ticket(day=day, service_id=service.id, seq=seq,
                        number=format_number(service, seq), status=TicketStatus.WAITING,
                        priority_id=priority_id, priority_name=priority_name,
                        appointment_id=appointment.id if appointment else None,
                        issued_at=now, queued_at=now, source=source[:20],
                        terminal=terminal[:64], request_key=request_key)
        db.session.add(ticket)
        if appointment is not None:
            appointment.checked_in_at = now
        db.session.flush()
        ahead = people_ahead(ticket)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        found = _existing(request_key)  # the same key won a race in another request
        if found is not None:
            return _issued(found, repeated=True)
        raise
    wait = estimated_wait(service, ahead, day)
    _announce("issued", service_ids=[service.id])
    return Issued(ticket, ahead, wait, repeated=False)


def _issued(ticket: Ticket, repeated: bool) -> Issued:
    ahead = people_ahead(ticket)
    return Issued(ticket, ahead, estimated_wait(ticket.service, ahead, ticket.day), repeated)


@_serialised
def check_in(code: str, now: dt.datetime | None = None, terminal: str = "",
             request_key: str | None = None) -> Issued:
    """Turn today's appointment with booking code ``code`` into a priority ticket."""
    now = now or utcnow()
    found = _existing((request_key or "").strip()[:64] or None)
    if found is not None:
        return _issued(found, repeated=True)
    code = "".join(code.split()).upper()
    appointment = db.session.scalar(select(Appointment).where(Appointment.code == code))
    if appointment is None or appointment.cancelled:
        raise QueueError(_l("没有找到这个预约号，请核对后再输入。"), "unknown_booking")
    if appointment.day != local_today(now):
        raise QueueError(_l("这个预约不是今天的（预约日期：%(day)s）。",
                            day=appointment.day.isoformat()), "wrong_day")
    if appointment.checked_in_at is not None:
        ticket = db.session.scalar(select(Ticket).where(Ticket.appointment_id == appointment.id))
        if ticket is not None:
            return _issued(ticket, repeated=True)
    return issue_ticket(appointment.service.code, appointment=appointment, source="booking",
                        terminal=terminal, request_key=request_key, now=now, check_hours=False)


def ticket_by_token(token: str) -> Ticket | None:
    if not token or len(token) > 24:
        return None
    return db.session.scalar(select(Ticket).where(Ticket.token == token))


# --------------------------------------------------------------------------- windows


def _window(window_id: int) -> Window:
    window = db.session.get(Window, window_id)
    if window is None or not window.enabled:
        raise QueueError(_l("没有这个窗口。"), "unknown_window")
    return window


@_serialised
def open_window(window_id: int, clerk_id: int, clerk_name: str,
                service_ids: Sequence[int] | None = None) -> Window:
    """A clerk takes a window (and optionally sets the services it serves today)."""
    window = _window(window_id)
    window.clerk_id, window.clerk_name, window.opened_at = clerk_id, clerk_name, utcnow()
    window.paused = False
    if service_ids is not None:
        window.services = list(db.session.scalars(
            select(Service).where(Service.id.in_(list(service_ids)))))
    db.session.commit()
    _announce("window", service_ids=[s.id for s in window.services])
    return window


@_serialised
def close_window(window_id: int) -> Window:
    window = _window(window_id)
    window.clerk_id, window.clerk_name, window.opened_at = None, "", None
    db.session.commit()
    _announce("window", service_ids=[s.id for s in window.services])
    return window


@_serialised
def pause_window(window_id: int, paused: bool) -> Window:
    window = _window(window_id)
    window.paused = paused
    db.session.commit()
    _announce("window", service_ids=[s.id for s in window.services])
    return window


def current_ticket(window_id: int) -> Ticket | None:
    """The ticket the window called last and has not finished."""
    return db.session.scalar(
        select(Ticket).where(Ticket.window_id == window_id, Ticket.status == TicketStatus.CALLED)
        .order_by(Ticket.called_at.desc(), Ticket.id.desc()))


def waiting_for(window: Window, day: dt.date | None = None, limit: int | None = None
                ) -> list[Ticket]:
    """The window's line in calling order."""
    day = day or local_today()
    service_ids = [s.id for s in window.services]
    query = (select(Ticket).where(
        Ticket.day == day, Ticket.status == TicketStatus.WAITING,
        or_(Ticket.target_window_id == window.id,
            and_(Ticket.target_window_id.is_(None), Ticket.service_id.in_(service_ids))))
        .order_by(*_line_order()))
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def _claim(ticket: Ticket, window: Window, clerk_name: str, now: dt.datetime) -> bool:
    """Move a waiting ticket to this window; False if another window took it first.

    The guarded UPDATE decides; when it wins, the loaded ``ticket`` is given the values it
    wrote, so nothing is read back."""
    values: dict[str, Any] = {
        "status": TicketStatus.CALLED, "window_id": window.id, "called_at": now,
        "call_count": 1, "served_by": clerk_name[:100], "target_window_id": None}
    result = db.session.execute(
        update(Ticket).where(Ticket.id == ticket.id, Ticket.status == TicketStatus.WAITING)
        .values(**values).execution_options(synchronize_session=False))
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    for key, value in values.items():
        set_committed_value(ticket, key, value)
    return True


def _finish_current(window: Window, now: dt.datetime) -> None:
    current = current_ticket(window.id)
    if current is not None:
        current.status, current.finished_at = TicketStatus.DONE, now


def _record_call(ticket: Ticket, window: Window, now: dt.datetime, recall: bool) -> Call:
    call = Call(ticket_id=ticket.id, window_id=window.id, number=ticket.number,
                window_number=window.number, service_name=ticket.service.name,
                recall=recall, at=now)
    db.session.add(call)
    return call


@_serialised
def call_next(window_id: int, clerk_name: str = "", now: dt.datetime | None = None
              ) -> Ticket | None:
    """Finish the window's current ticket and call the next one by the rule (None: nobody
    waits). Committed before it returns."""
    now = now or utcnow()
    window = _window(window_id)
    if window.paused:
        raise QueueError(_l("窗口已暂停，请先恢复。"), "paused")
    _finish_current(window, now)
    for _ in range(20):  # another window may take each candidate first
        candidates = waiting_for(window, local_today(now), limit=5)
        if not candidates:
            db.session.commit()
            _announce("finish", service_ids=[s.id for s in window.services])
            return None
        for candidate in candidates:
            if _claim(candidate, window, clerk_name, now):
                return _commit_call(candidate, window, now, recall=False)
        db.session.expire_all()
    raise QueueError(_l("叫号繁忙，请再试一次。"), "busy")


@_serialised
def call_ticket(window_id: int, number: str, clerk_name: str = "",
                now: dt.datetime | None = None) -> Ticket:
    """Call a particular waiting ticket of today by its number (e.g. a citizen who came back)."""
    now = now or utcnow()
    window = _window(window_id)
    number = number.strip().upper()
    ticket = db.session.scalar(select(Ticket).where(Ticket.day == local_today(now),
                                                    Ticket.number == number))
    if ticket is None:
        raise QueueError(_l("今天没有 %(number)s 号。", number=number), "unknown_ticket")
    if ticket.status != TicketStatus.WAITING:
        raise QueueError(_l("%(number)s 号不在等候中。", number=number), "not_waiting")
    _finish_current(window, now)
    if not _claim(ticket, window, clerk_name, now):
        db.session.rollback()
        raise QueueError(_l("%(number)s 号刚被其他窗口叫走。", number=number), "taken")
    return _commit_call(ticket, window, now, recall=False)


def _commit_call(ticket: Ticket, window: Window, now: dt.datetime, recall: bool) -> Ticket:
    """Record the call, commit, announce it; returns the ticket called. The call is written
    (flush), then detached before the commit, so it keeps its values and the lobby's
    announcement (the one thing on the call → board path after the commit) reads nothing
    back."""
    call = _record_call(ticket, window, now, recall=recall)
    service_id = ticket.service_id
    db.session.flush()
    db.session.expunge(call)
    db.session.commit()
    _announce("recall" if recall else "call", service_ids=[service_id], call_id=call.id,
              call=call)
    return ticket


def _current_or_refuse(window: Window) -> Ticket:
    ticket = current_ticket(window.id)
    if ticket is None:
        raise QueueError(_l("这个窗口现在没有正在办理的号。"), "no_current")
    return ticket


@_serialised
def recall(window_id: int, now: dt.datetime | None = None) -> Ticket:
    """Announce the window's current ticket again."""
    now = now or utcnow()
    window = _window(window_id)
    ticket = _current_or_refuse(window)
    ticket.call_count += 1
    return _commit_call(ticket, window, now, recall=True)


@_serialised
def _close_current(window_id: int, status: TicketStatus, now: dt.datetime | None) -> Ticket:
    window = _window(window_id)
    ticket = _current_or_refuse(window)
    ticket.status, ticket.finished_at = status, now or utcnow()
    db.session.commit()
    _announce("finish" if status == TicketStatus.DONE else "no_show",
              service_ids=[ticket.service_id], ticket_id=ticket.id)
    return ticket


def finish(window_id: int, now: dt.datetime | None = None) -> Ticket:
    """The citizen was served: the ticket is done (and can now be rated)."""
    return _close_current(window_id, TicketStatus.DONE, now)


def no_show(window_id: int, now: dt.datetime | None = None) -> Ticket:
    """The called citizen did not come."""
    return _close_current(window_id, TicketStatus.NO_SHOW, now)


@_serialised
def transfer(window_id: int, *, service_id: int | None = None,
             target_window_id: int | None = None) -> Ticket:
    """Send the window's current ticket to another service or window; it waits again and
    keeps its place in line (``queued_at`` is unchanged)."""
    if service_id is None and target_window_id is None:
        raise QueueError(_l("请选择转到哪项业务或哪个窗口。"), "no_target")
    window = _window(window_id)
    ticket = _current_or_refuse(window)
    old_service = ticket.service_id
    if service_id is not None:
        service = db.session.get(Service, service_id)
        if service is None or not service.enabled:
            raise QueueError(_l("没有这项业务，请重新选择。"), "unknown_service")
        ticket.service_id = service.id
    if target_window_id is not None:
        target = _window(target_window_id)
        if target.id == window.id:
            raise QueueError(_l("不能转到本窗口。"), "same_window")
        ticket.target_window_id = target.id
    ticket.status, ticket.window_id, ticket.called_at = TicketStatus.WAITING, None, None
    ticket.transfers += 1
    db.session.commit()
    _announce("transfer", service_ids=sorted({old_service, ticket.service_id}),
              ticket_id=ticket.id)
    return ticket


# --------------------------------------------------------------------------- signals


def _announce(kind: str, **fields: Any) -> None:
    """Tell the lobby about a committed change: when the move's turn is over (see
    ``_serialised``), or at once outside a move."""
    pending = getattr(_move, "pending", None)
    if pending is None:
        with _announcer:
            queue_changed.send(None, kind=kind, **fields)
    else:
        pending.append((kind, fields))
