"""When a scheduled row (playlist, slide, ticker line) is on air: pure functions of its rule.

A rule is on air at a moment when all hold:

- ``start_at <= now < end_at`` (either end may be open);
- the weekday is in the ``weekdays`` bitmask (Monday = bit 0);
- the local time is in the daily window ``[window_start, window_end)``. A window whose end is
  before its start crosses midnight (22:00–06:00): its early-morning part belongs to the day
  it started on, so a Friday-only 22:00–06:00 window is on air Saturday at 01:00, not
  Friday at 01:00. No window (or equal ends) is the whole day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Protocol
from zoneinfo import ZoneInfo

HALL_ZONE = ZoneInfo("Asia/Shanghai")
ALL_WEEKDAYS = 0b1111111
#: How far ahead ``next_transition`` looks for daily windows and weekdays.
HORIZON_DAYS = 8


class Rule(Protocol):
    """The schedule columns (``screens.models.Scheduled`` has them)."""

    @property
    def start_at(self) -> dt.datetime | None: ...
    @property
    def end_at(self) -> dt.datetime | None: ...
    @property
    def weekdays(self) -> int: ...
    @property
    def window_start(self) -> dt.time | None: ...
    @property
    def window_end(self) -> dt.time | None: ...


def _day_on(rule: Rule, day: dt.date) -> bool:
    mask = rule.weekdays if rule.weekdays is not None else ALL_WEEKDAYS
    return bool(mask & (1 << day.weekday()))


def _whole_day(rule: Rule) -> bool:
    start, end = rule.window_start, rule.window_end
    return start is None and end is None or start == end


def always_on(rule: Rule) -> bool:
    """True for a rule that is on air at every moment: no dates, every weekday, the whole day
    (most slides and ticker lines)."""
    return (rule.start_at is None and rule.end_at is None
            and rule.weekdays in (None, ALL_WEEKDAYS) and _whole_day(rule))


def is_active(rule: Rule, now: dt.datetime, zone: dt.tzinfo = HALL_ZONE) -> bool:
    """True if ``rule`` is on air at the aware moment ``now`` (weekdays and windows are read
    in ``zone``, the hall's local time).

    :raises ValueError: for a naive ``now``.
    """
    if now.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware now")
    if rule.start_at is not None and now < rule.start_at:
        return False
    if rule.end_at is not None and now >= rule.end_at:
        return False
    local = now.astimezone(zone)
    today = local.date()
    if _whole_day(rule):
        return _day_on(rule, today)
    start = rule.window_start or dt.time(0, 0)
    end = rule.window_end or dt.time(0, 0)  # an open end runs to midnight
    clock = local.time().replace(tzinfo=None)
    if start < end or end == dt.time(0, 0):
        return _day_on(rule, today) and start <= clock and (end == dt.time(0, 0) or clock < end)
    # Crossing midnight: the evening part is today's, the morning part yesterday's.
    if clock >= start:
        return _day_on(rule, today)
    if clock < end:
        return _day_on(rule, today - dt.timedelta(days=1))
    return False


def _candidates(rule: Rule, now: dt.datetime, zone: dt.tzinfo) -> Iterable[dt.datetime]:
    """Every moment after ``now`` (within the horizon) at which the rule may switch."""
    for edge in (rule.start_at, rule.end_at):
        if edge is not None and edge > now:
            yield edge
    local_today = now.astimezone(zone).date()
    times = {dt.time(0, 0)}
    if not _whole_day(rule):
        times |= {t for t in (rule.window_start, rule.window_end) if t is not None}
    for offset in range(HORIZON_DAYS + 1):
        day = local_today + dt.timedelta(days=offset)
        for clock in times:
            moment = dt.datetime.combine(day, clock, tzinfo=zone)
            if moment > now:
                yield moment.astimezone(dt.UTC)


def next_transition(rules: Iterable[Rule], now: dt.datetime,
                    zone: dt.tzinfo = HALL_ZONE) -> dt.datetime | None:
    """The first moment after ``now`` at which any of ``rules`` goes on or off air (UTC), or
    None if none does within the horizon (a week and a day; a screen asks again by then).

    :raises ValueError: for a naive ``now``.
    """
    if now.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware now")
    best: dt.datetime | None = None
    for rule in rules:
        if always_on(rule):  # never switches: nothing to search for
            continue
        state = is_active(rule, now, zone)
        for moment in sorted(set(_candidates(rule, now, zone))):
            if best is not None and moment >= best:
                break
            if is_active(rule, moment, zone) != state:
                best = moment
                break
            # Not a switch for this rule: keep looking from here (the state holds until then).
    return best
