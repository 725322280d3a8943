"""Working days: the holiday package, make-up workdays, staff overrides, unknown years."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskCliRunner

from hall.calendar import WorkdayCalendar, load_calendar, package_knows, set_override, year_days

D = dt.date


def test_national_day_week_and_makeup_saturday() -> None:
    cal = WorkdayCalendar()
    assert not cal.is_workday(D(2026, 10, 1))  # 国庆节
    assert not cal.is_workday(D(2026, 10, 7))
    assert cal.is_workday(D(2026, 10, 10))  # a Saturday made a workday (调休)
    assert not cal.is_workday(D(2026, 10, 11))  # plain Sunday


def test_start_day_is_not_counted() -> None:
    cal = WorkdayCalendar()
    # received on Tuesday 2026-11-24: the first working day after it is Wednesday
    assert cal.add_workdays(D(2026, 11, 24), 1) == D(2026, 11, 25)
    # received on a Saturday: still counts from the next working day
    assert cal.add_workdays(D(2026, 11, 21), 1) == D(2026, 11, 23)
    assert cal.add_workdays(D(2026, 11, 24), 0) == D(2026, 11, 24)


def test_twenty_working_days_across_national_day() -> None:
    cal = WorkdayCalendar()
    due = cal.add_workdays(D(2026, 9, 28), 20)
    # Sept 29, 30 (2), Oct 8, 9, 10 (Sat, 调休) (5), Oct 12–16 (10), 19–23 (15), 26–30 (20)
    assert due == D(2026, 10, 30)
    assert cal.workdays_between(D(2026, 9, 28), due) == 20


def test_unknown_year_keeps_working_with_fixed_holidays() -> None:
    assert package_knows(2026)
    assert not package_knows(2031)
    cal = WorkdayCalendar()
    assert not cal.is_workday(D(2031, 1, 1))  # 元旦 is on a fixed date
    assert cal.is_workday(D(2031, 1, 2))
    assert not cal.is_workday(D(2031, 1, 4))  # Saturday
    assert cal.guessed_years(D(2030, 12, 1), D(2031, 2, 1)) == [2030, 2031]


def test_staff_override_wins_and_covers_year(app) -> None:
    set_override(D(2031, 1, 2), False, "元旦调休")
    set_override(D(2031, 1, 4), True, "元旦调休上班")
    cal = load_calendar()
    assert not cal.is_workday(D(2031, 1, 2))
    assert cal.is_workday(D(2031, 1, 4))
    assert cal.add_workdays(D(2030, 12, 31), 1) == D(2031, 1, 3)
    assert 2031 not in cal.guessed_years(D(2031, 1, 1), D(2031, 3, 1))


def test_negative_days_refused() -> None:
    with pytest.raises(ValueError):
        WorkdayCalendar().add_workdays(D(2026, 1, 5), -1)


def test_year_days_lists_holidays_and_makeup_days() -> None:
    days = {d: (kind, why) for d, kind, why in year_days(2026, WorkdayCalendar())}
    assert days[D(2026, 10, 1)] == ("休", "国庆节")
    assert days[D(2026, 10, 10)][0] == "班"
    assert D(2026, 11, 25) not in days  # an ordinary Wednesday


def test_cli_workdays_and_show(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["calendar", "workdays", "2026-09-28", "20"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "2026-10-30"
    shown = runner.invoke(args=["calendar", "show", "2026"])
    assert "2026-10-01  休  国庆节" in shown.output
    assert "2026-10-10  班" in shown.output


def test_cli_warns_about_unknown_year(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["calendar", "workdays", "2030-12-31", "3"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "2031-01-06"
    assert "2031 年的节假日安排尚未收录" in result.stderr


def test_cli_set_and_unset(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["calendar", "set", "2031-02-03", "--holiday", "--note", "春节"])
    assert result.exit_code == 0
    assert not load_calendar().is_workday(D(2031, 2, 3))
    assert "removed" in runner.invoke(args=["calendar", "unset", "2031-02-03"]).output
    assert load_calendar().is_workday(D(2031, 2, 3))


def test_cli_rejects_bad_date(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["calendar", "workdays", "2026-13-45", "3"])
    assert result.exit_code == 2
    assert "2026-13-45" in result.output
