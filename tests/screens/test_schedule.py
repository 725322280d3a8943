"""Schedules at their edges: start/end, weekdays, daily windows, windows crossing midnight."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from screens.schedule import HALL_ZONE, always_on, is_active, next_transition

MON, TUE, WED, THU, FRI, SAT, SUN = (1 << i for i in range(7))
EVERY_DAY = 0b1111111


@dataclass
class R:
    start_at: dt.datetime | None = None
    end_at: dt.datetime | None = None
    weekdays: int = EVERY_DAY
    window_start: dt.time | None = None
    window_end: dt.time | None = None


def at(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 6) -> dt.datetime:
    """Local hall time in June 2026 (2026-06-01 is a Monday)."""
    return dt.datetime(2026, month, day, hour, minute, second, tzinfo=HALL_ZONE)


def test_june_first_2026_is_a_monday() -> None:
    assert at(1, 12).weekday() == 0


def test_no_rule_is_always_on() -> None:
    assert is_active(R(), at(3, 3))
    assert next_transition([R()], at(3, 3)) is None
    assert always_on(R()) and always_on(R(weekdays=0b1111111))
    assert not always_on(R(weekdays=0b0011111)) and not always_on(R(start_at=at(1, 0)))


def test_start_and_end_are_half_open() -> None:
    rule = R(start_at=at(2, 9), end_at=at(5, 18))
    assert not is_active(rule, at(2, 8, 59, 59))
    assert is_active(rule, at(2, 9))
    assert is_active(rule, at(5, 17, 59, 59))
    assert not is_active(rule, at(5, 18))


def test_start_and_end_compare_across_zones() -> None:
    rule = R(end_at=at(5, 8))  # 00:00 UTC
    assert is_active(rule, dt.datetime(2026, 6, 4, 23, 59, 59, tzinfo=dt.UTC))
    assert not is_active(rule, dt.datetime(2026, 6, 5, 0, 0, tzinfo=dt.UTC))


def test_weekdays_switch_at_local_midnight() -> None:
    rule = R(weekdays=SAT | SUN)
    assert not is_active(rule, at(5, 23, 59, 59))  # Friday
    assert is_active(rule, at(6, 0))  # Saturday 00:00 local = Friday 16:00 UTC
    assert is_active(rule, at(7, 23, 59, 59))
    assert not is_active(rule, at(8, 0))  # Monday


def test_weekdays_empty_mask_is_never() -> None:
    assert not any(is_active(R(weekdays=0), at(d, 12)) for d in range(1, 8))


def test_daily_window() -> None:
    rule = R(window_start=dt.time(9), window_end=dt.time(17, 30))
    assert not is_active(rule, at(3, 8, 59, 59))
    assert is_active(rule, at(3, 9))
    assert is_active(rule, at(3, 17, 29, 59))
    assert not is_active(rule, at(3, 17, 30))


def test_window_crossing_midnight_belongs_to_the_day_it_starts() -> None:
    rule = R(weekdays=FRI, window_start=dt.time(22), window_end=dt.time(6))
    assert not is_active(rule, at(5, 21, 59, 59))  # Friday evening, before
    assert is_active(rule, at(5, 22))
    assert is_active(rule, at(5, 23, 59, 59))
    assert is_active(rule, at(6, 0))  # Saturday 00:00: still Friday's window
    assert is_active(rule, at(6, 5, 59, 59))
    assert not is_active(rule, at(6, 6))
    assert not is_active(rule, at(5, 1))  # Friday 01:00 is Thursday's window: off
    assert not is_active(rule, at(6, 22))  # Saturday evening: off


def test_open_ended_windows() -> None:
    evening = R(window_start=dt.time(18))
    assert not is_active(evening, at(3, 17, 59))
    assert is_active(evening, at(3, 23, 59, 59))
    assert not is_active(evening, at(4, 0, 0))
    morning = R(window_end=dt.time(10))
    assert is_active(morning, at(3, 0))
    assert not is_active(morning, at(3, 10))


def test_equal_window_ends_mean_the_whole_day() -> None:
    rule = R(window_start=dt.time(8), window_end=dt.time(8), weekdays=WED)
    assert is_active(rule, at(3, 0)) and is_active(rule, at(3, 23))
    assert not is_active(rule, at(4, 8))


def test_end_date_cuts_a_window_short() -> None:
    rule = R(window_start=dt.time(22), window_end=dt.time(6), end_at=at(6, 2))
    assert is_active(rule, at(6, 1, 59))
    assert not is_active(rule, at(6, 2))


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        is_active(R(), dt.datetime(2026, 6, 1, 12))
    with pytest.raises(ValueError):
        next_transition([R()], dt.datetime(2026, 6, 1, 12))


def test_next_transition_of_a_window() -> None:
    rule = R(window_start=dt.time(9), window_end=dt.time(17))
    assert next_transition([rule], at(3, 8)) == at(3, 9)
    assert next_transition([rule], at(3, 9)) == at(3, 17)
    assert next_transition([rule], at(3, 17)) == at(4, 9)


def test_next_transition_across_midnight_and_weekdays() -> None:
    rule = R(weekdays=FRI, window_start=dt.time(22), window_end=dt.time(6))
    assert next_transition([rule], at(1, 12)) == at(5, 22)  # Monday → Friday 22:00
    assert next_transition([rule], at(5, 23)) == at(6, 6)  # through midnight, off at 06:00
    assert next_transition([rule], at(6, 6)) == at(12, 22)


def test_next_transition_picks_the_earliest_rule_and_the_start_date() -> None:
    later = R(start_at=at(20, 10, 30))
    weekend = R(weekdays=SAT | SUN)
    assert next_transition([later, weekend], at(3, 12)) == at(6, 0)
    assert next_transition([later], at(3, 12)) == at(20, 10, 30)
    assert next_transition([R(end_at=at(3, 12, 0, 1))], at(3, 12)) == at(3, 12, 0, 1)


def test_next_transition_is_none_when_nothing_changes_soon() -> None:
    assert next_transition([R(start_at=at(1, 0))], at(3, 12)) is None
    assert next_transition([R(weekdays=0)], at(3, 12)) is None
    assert next_transition([], at(3, 12)) is None
