"""The queue's figures for a range of hall days: tickets per hour and per service, waiting time
(issued → called) and service time (called → finished) with their p50/p90, no-shows, ratings
per grade and the satisfaction rate; the two CSV exports.

One query fetches the few columns each ticket needs (with its rating, if any); the rest is
plain Python over those rows, so the figures are the same on SQLite and PostgreSQL and hours
are counted in the hall's time zone whatever the database's.

Definitions (also shown on the page):

- percentiles interpolate linearly between the nearest ranks (p50 of 1…10 is 5.5, p90 is
  9.1), as spreadsheets' ``PERCENTILE.INC`` does;
- the satisfaction rate is the share of ratings graded 基本满意 or better (score ≥ 3), the
  national 好差评 system's 好评率.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from hall.extensions import db
from hall.timefmt import local, local_today
from tickets.models import (
    Followup,
    FollowupStatus,
    Rating,
    Score,
    Service,
    Ticket,
    TicketStatus,
    Window,
)
from tickets.ratings import GRADE_LABELS

#: The longest range the statistics page and the exports accept, in days.
MAX_DAYS = 366
#: Hours always shown on the per-hour chart (the hall's working day), widened by the data.
DAY_HOURS = (8, 18)


@dataclass(frozen=True)
class TicketRow:
    """What the figures need of one ticket (no token, terminal or anything personal)."""

    id: int
    day: dt.date
    number: str
    service_id: int
    status: str
    issued_at: dt.datetime
    called_at: dt.datetime | None
    finished_at: dt.datetime | None
    window_number: int | None
    priority: bool
    transfers: int
    source: str
    score: int | None

    @property
    def wait_minutes(self) -> float | None:
        if self.called_at is None or self.called_at < self.issued_at:
            return None
        return (self.called_at - self.issued_at).total_seconds() / 60

    @property
    def service_minutes(self) -> float | None:
        if (self.status != TicketStatus.DONE or self.called_at is None
                or self.finished_at is None or self.finished_at < self.called_at):
            return None
        return (self.finished_at - self.called_at).total_seconds() / 60


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-quantile (0 ≤ q ≤ 1) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass
class Figures:
    """The figures of a set of tickets (one service, one day, or all)."""

    issued: int = 0
    served: int = 0
    no_shows: int = 0
    waits: list[float] = field(default_factory=list)
    services: list[float] = field(default_factory=list)
    grades: Counter[int] = field(default_factory=Counter)

    def add(self, row: TicketRow) -> None:
        self.issued += 1
        self.served += row.status == TicketStatus.DONE
        self.no_shows += row.status == TicketStatus.NO_SHOW
        if (wait := row.wait_minutes) is not None:
            self.waits.append(wait)
        if (spent := row.service_minutes) is not None:
            self.services.append(spent)
        if row.score is not None:
            self.grades[row.score] += 1

    @property
    def wait_p50(self) -> float | None:
        return _round(percentile(self.waits, 0.5))

    @property
    def wait_p90(self) -> float | None:
        return _round(percentile(self.waits, 0.9))

    @property
    def wait_mean(self) -> float | None:
        return _round(sum(self.waits) / len(self.waits)) if self.waits else None

    @property
    def service_p50(self) -> float | None:
        return _round(percentile(self.services, 0.5))

    @property
    def service_p90(self) -> float | None:
        return _round(percentile(self.services, 0.9))

    @property
    def rated(self) -> int:
        return sum(self.grades.values())

    @property
    def bad(self) -> int:
        return sum(n for score, n in self.grades.items() if Score(score).is_bad)

    @property
    def satisfaction(self) -> float | None:
        """Percent of ratings graded 基本满意 or better; None without ratings."""
        if not self.rated:
            return None
        good = sum(n for score, n in self.grades.items() if score >= Score.FAIRLY_SATISFIED)
        return round(100 * good / self.rated, 1)


@dataclass
class Report:
    """The statistics page's figures for ``start``..``end`` (hall days, both included)."""

    start: dt.date
    end: dt.date
    total: Figures
    services: list[tuple[Service, Figures]]
    per_hour: list[tuple[int, int]]  # (local hour, tickets issued in it)
    per_day: list[tuple[dt.date, int]]


def ticket_rows(start: dt.date, end: dt.date) -> list[TicketRow]:
    """Every ticket of the hall days ``start``..``end`` with its rating's score."""
    query = (select(Ticket.id, Ticket.day, Ticket.number, Ticket.service_id, Ticket.status,
                    Ticket.issued_at, Ticket.called_at, Ticket.finished_at, Window.number,
                    Ticket.priority_id, Ticket.appointment_id, Ticket.transfers, Ticket.source,
                    Rating.score)
             .outerjoin(Window, Window.id == Ticket.window_id)
             .outerjoin(Rating, Rating.ticket_id == Ticket.id)
             .where(Ticket.day >= start, Ticket.day <= end)
             .order_by(Ticket.day, Ticket.issued_at, Ticket.id))
    return [TicketRow(id=r[0], day=r[1], number=r[2], service_id=r[3], status=r[4],
                      issued_at=r[5], called_at=r[6], finished_at=r[7], window_number=r[8],
                      priority=r[9] is not None or r[10] is not None, transfers=r[11],
                      source=r[12], score=r[13])
            for r in db.session.execute(query)]


def _services() -> dict[int, Service]:
    return {s.id: s for s in db.session.scalars(select(Service)
                                                 .order_by(Service.position, Service.id))}


def summarise(rows: Iterable[TicketRow]) -> Figures:
    figures = Figures()
    for row in rows:
        figures.add(row)
    return figures


def per_hour(rows: Iterable[TicketRow]) -> list[tuple[int, int]]:
    """Tickets issued per local hour, over the working day widened to every hour with data."""
    counts = Counter(local(row.issued_at).hour for row in rows)
    first = min([DAY_HOURS[0], *counts])
    last = max([DAY_HOURS[1], *counts])
    return [(hour, counts.get(hour, 0)) for hour in range(first, last + 1)]


def report(start: dt.date, end: dt.date) -> Report:
    rows = ticket_rows(start, end)
    services = _services()
    by_service: dict[int, Figures] = defaultdict(Figures)
    by_day: Counter[dt.date] = Counter()
    for row in rows:
        by_service[row.service_id].add(row)
        by_day[row.day] += 1
    days = (end - start).days + 1
    return Report(
        start=start, end=end, total=summarise(rows),
        services=[(service, by_service[sid]) for sid, service in services.items()
                  if sid in by_service or service.enabled],
        per_hour=per_hour(rows),
        per_day=[(start + dt.timedelta(d), by_day.get(start + dt.timedelta(d), 0))
                 for d in range(days)],
    )


# --------------------------------------------------------------------------- CSV


def _csv(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text with a UTF-8 byte-order mark first, so Excel reads the Chinese correctly."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([str(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def daily_csv(start: dt.date, end: dt.date) -> str:
    """One row per service per day that had tickets."""
    services = _services()
    groups: dict[tuple[dt.date, int], Figures] = defaultdict(Figures)
    for row in ticket_rows(start, end):
        groups[(row.day, row.service_id)].add(row)
    order = {sid: i for i, sid in enumerate(services)}
    header = [_l("日期"), _l("业务"), _l("取号"), _l("办结"), _l("过号"),
              _l("等候中位数（分钟）"), _l("等候P90（分钟）"), _l("办理中位数（分钟）"),
              _l("办理P90（分钟）"), _l("评价数"), *(GRADE_LABELS[s] for s in GRADES),
              _l("满意率（%）")]
    lines = []
    for (day, sid), f in sorted(groups.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 0))):
        service = services.get(sid)
        lines.append([day.isoformat(), service.name if service else sid, f.issued, f.served,
                      f.no_shows, f.wait_p50, f.wait_p90, f.service_p50, f.service_p90,
                      f.rated, *(f.grades.get(int(s), 0) for s in GRADES), f.satisfaction])
    return _csv(header, lines)


#: The grades from best to worst, as the page and the CSV list them.
GRADES = sorted(Score, reverse=True)


_STATUS: dict[str, Any] = {
    TicketStatus.WAITING: _l("等候中"),
    TicketStatus.CALLED: _l("办理中"),
    TicketStatus.DONE: _l("已办结"),
    TicketStatus.NO_SHOW: _l("过号"),
    TicketStatus.CANCELLED: _l("已取消"),
}


def _clock(value: dt.datetime | None) -> str:
    return local(value).strftime("%H:%M:%S") if value else ""


def tickets_csv(start: dt.date, end: dt.date) -> str:
    """Every ticket of the range without anything personal: no token, terminal, booking,
    clerk or comment; priority only as yes/no."""
    services = _services()
    header = [_l("日期"), _l("号码"), _l("业务"), _l("状态"), _l("优先"), _l("来源"),
              _l("取号时间"), _l("叫号时间"), _l("办结时间"), _l("窗口"),
              _l("等候（分钟）"), _l("办理（分钟）"), _l("转办次数"), _l("评价")]
    lines = []
    for row in ticket_rows(start, end):
        service = services.get(row.service_id)
        status = _STATUS.get(row.status, row.status)
        lines.append([row.day.isoformat(), row.number, service.name if service else "",
                      str(status), str(_l("是")) if row.priority else "", row.source,
                      _clock(row.issued_at), _clock(row.called_at), _clock(row.finished_at),
                      row.window_number, _round(row.wait_minutes), _round(row.service_minutes),
                      row.transfers, row.score])
    return _csv(header, lines)


# --------------------------------------------------------------------------- dashboard


@dataclass(frozen=True)
class Now:
    waiting: int
    open_followups: int
    overdue_followups: int


def now_figures(today: dt.date | None = None) -> Now:
    """What the dashboard shows as "now": people waiting, open and overdue follow-ups."""
    today = today or local_today()
    waiting = db.session.scalar(select(func.count(Ticket.id)).where(
        Ticket.day == today, Ticket.status == TicketStatus.WAITING)) or 0
    open_ = select(func.count(Followup.id)).where(Followup.status == FollowupStatus.OPEN)
    return Now(int(waiting), int(db.session.scalar(open_) or 0),
               int(db.session.scalar(open_.where(Followup.due_on < today)) or 0))
