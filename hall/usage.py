"""Daily usage counters for the dashboard: searches, pages read, slips printed, and so on.

One row per (day, metric, key), incremented with an upsert in its own short transaction, so a
count never rides on (or spoils) the request's other work. Counts only; nothing about a person.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from hall.extensions import db
from hall.models import UsageCount
from hall.timefmt import local_today

log = logging.getLogger(__name__)

KEY_MAX = 200


def count(metric: str, key: str = "", n: int = 1, day: dt.date | None = None) -> None:
    """Add ``n`` to today's (hall time) counter; a failure is logged, never raised.

    Runs on its own connection: the caller's session and transaction are untouched.
    """
    day = day or local_today()
    key = key.strip()[:KEY_MAX]
    table = UsageCount.__table__
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(day=day, metric=metric, key=key, count=n)
    stmt = stmt.on_conflict_do_update(
        index_elements=["day", "metric", "key"], set_={"count": table.c.count + n}
    )
    try:
        with db.engine.begin() as conn:
            conn.execute(stmt)
    except SQLAlchemyError:
        log.exception("usage counter %s not updated", metric)


def total(metric: str, start: dt.date, end: dt.date) -> int:
    """Sum of a metric over ``start``..``end`` inclusive."""
    value = db.session.scalar(
        select(func.coalesce(func.sum(UsageCount.count), 0))
        .where(UsageCount.metric == metric, UsageCount.day >= start, UsageCount.day <= end)
    )
    return int(value or 0)


def top_keys(metric: str, start: dt.date, end: dt.date, limit: int = 10
             ) -> Sequence[tuple[str, int]]:
    """The most counted keys of a metric over the days, most first."""
    rows = db.session.execute(
        select(UsageCount.key, func.sum(UsageCount.count).label("n"))
        .where(UsageCount.metric == metric, UsageCount.day >= start, UsageCount.day <= end,
               UsageCount.key != "")
        .group_by(UsageCount.key)
        .order_by(func.sum(UsageCount.count).desc(), UsageCount.key)
        .limit(limit)
    ).all()
    return [(str(k), int(n)) for k, n in rows]


def daily(metric: str, start: dt.date, end: dt.date) -> list[tuple[dt.date, int]]:
    """Per-day totals over ``start``..``end``, every day present (zero where nothing)."""
    rows = dict(db.session.execute(
        select(UsageCount.day, func.sum(UsageCount.count))
        .where(UsageCount.metric == metric, UsageCount.day >= start, UsageCount.day <= end)
        .group_by(UsageCount.day)
    ).all())
    days = (end - start).days + 1
    return [(start + dt.timedelta(d), int(rows.get(start + dt.timedelta(d), 0)))
            for d in range(days)]
