"""The hall's working-day calendar.

China's public holidays and weekend make-up workdays (调休) come from the ``chinesecalendar``
package; staff entries in ``calendar_override`` win over it. For a year the package does not
know, the calendar still answers (weekends off, plus staff entries) and says that it is
guessing, so the product keeps working on 1 January of such a year.

Periods follow the law: the day a period starts from is not counted (期间开始之日不计算在内), so
``add_workdays(d, 20)`` is the 20th working day after ``d``, whatever kind of day ``d`` is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import chinese_calendar
import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from hall import calendar_views
from hall.extensions import db
from hall.models import CalendarOverride

_KNOWN_YEARS = frozenset(d.year for d in chinese_calendar.holidays) | frozenset(
    d.year for d in chinese_calendar.workdays if d.weekday() >= 5
)


def package_knows(year: int) -> bool:
    """Whether the holiday package carries the State Council arrangement for ``year``."""
    return year in _KNOWN_YEARS


#: Public holidays on fixed solar dates (全国年节及纪念日放假办法): 元旦, 劳动节, 国庆节. For a
#: year the package does not know these are the only holidays the calendar can be sure of;
#: the lunar ones (春节, 清明, 端午, 中秋) and make-up days need the State Council's notice.
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})


@dataclass(frozen=True)
class WorkdayCalendar:
    """Pure working-day arithmetic over the package and a mapping of staff overrides."""

    overrides: Mapping[dt.date, bool] = field(default_factory=dict)

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if package_knows(day.year):
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS

    def holiday_name(self, day: dt.date) -> str | None:
        if not package_knows(day.year):
            return None
        _, name = chinese_calendar.get_holiday_detail(day)
        if name is None:
            return None
        return _HOLIDAY_ZH.get(name, str(name))

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The ``n``-th working day after ``start`` (``start`` itself never counts)."""
        if n < 0:
            raise ValueError("n must not be negative")
        day, counted = start, 0
        while counted < n:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_workday(day)
        return count

    def guessed_years(self, start: dt.date, end: dt.date) -> list[int]:
        """Years between two dates that the package does not know and staff have not filled."""
        covered = {d.year for d in self.overrides}
        years = range(start.year, end.year + 1)
        return [y for y in years if not package_knows(y) and y not in covered]


_HOLIDAY_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def load_calendar() -> WorkdayCalendar:
    """The calendar with every staff override from the database."""
    rows = db.session.execute(select(CalendarOverride.day, CalendarOverride.is_workday)).all()
    return WorkdayCalendar({day: is_workday for day, is_workday in rows})


def set_override(day: dt.date, is_workday: bool, note: str = "") -> CalendarOverride:
    row = db.session.get(CalendarOverride, day) or CalendarOverride(day=day)
    row.is_workday, row.note = is_workday, note
    db.session.add(row)
    db.session.commit()
    return row


def remove_override(day: dt.date) -> bool:
    row = db.session.get(CalendarOverride, day)
    if row is None:
        return False
    db.session.delete(row)
    db.session.commit()
    return True


def year_days(year: int, cal: WorkdayCalendar) -> list[tuple[dt.date, str, str]]:
    """Days of ``year`` that differ from a plain Mon–Fri week: (day, 休/班, why)."""
    out = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        workday = cal.is_workday(day)
        weekend = day.weekday() >= 5
        if workday == weekend:
            if day in cal.overrides:
                why = "工作人员设定"
            else:
                name = cal.holiday_name(day) or ""
                why = f"{name}调休上班" if workday else (name or "节假日")
            out.append((day, "班" if workday else "休", why))
        day += dt.timedelta(days=1)
    return out


calendar_cli = AppGroup("calendar", help="Working days: China's holidays and make-up days.")


def _warn_guessed(cal: WorkdayCalendar, start: dt.date, end: dt.date) -> None:
    for year in cal.guessed_years(start, end):
        message = (
            f"注意：{year} 年的节假日安排尚未收录（节假日包与工作人员设定均无），"
            f"暂按周末及元旦、劳动节、国庆节固定假日计算。请用 `gongkai calendar set` 补录。"
        )
        click.echo(message, err=True)


@calendar_cli.command("workdays")
@click.argument("start", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("n", type=click.IntRange(min=0, max=3650))
def workdays_command(start: dt.datetime, n: int) -> None:
    """Print the date N working days after START (START itself not counted)."""
    cal = load_calendar()
    result = cal.add_workdays(start.date(), n)
    _warn_guessed(cal, start.date(), result)
    click.echo(result.isoformat())


@calendar_cli.command("show")
@click.argument("year", type=click.IntRange(min=1990, max=2100))
def show_command(year: int) -> None:
    """List YEAR's holidays (休) and make-up workdays (班)."""
    cal = load_calendar()
    source = "节假日包" if package_knows(year) else "仅周末与工作人员设定"
    click.echo(f"{year} 年 — 来源：{source}")
    _warn_guessed(cal, dt.date(year, 1, 1), dt.date(year, 12, 31))
    for day, kind, why in year_days(year, cal):
        click.echo(f"{day.isoformat()}  {kind}  {why}")


@calendar_cli.command("set")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--workday/--holiday", required=True, help="Make DAY a working day or a day off.")
@click.option("--note", default="", help="Why, e.g. 春节调休.")
def set_command(day: dt.datetime, workday: bool, note: str) -> None:
    """Record a staff override for DAY."""
    set_override(day.date(), workday, note)
    click.echo(f"{day.date().isoformat()}: {'工作日' if workday else '休息日'}")


@calendar_cli.command("unset")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
def unset_command(day: dt.datetime) -> None:
    """Remove the staff override for DAY."""
    found = remove_override(day.date())
    click.echo("removed" if found else "no override for that day")


def init_app(app: Flask) -> None:
    app.cli.add_command(calendar_cli)
    calendar_views.init_app(app)  # the staff page (/staff/calendar)
