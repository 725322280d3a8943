"""Legal reply deadlines in working days (Art 30, 32–34), computed and explained.

Pure functions over a :class:`hall.calendar.WorkdayCalendar`: no database, no request. The
clock is described by dates, so any deadline can be recomputed and explained at any time:

- it runs from ``clock_start`` (the day received, Art 31, or the day a 补正 supplement
  arrived, Art 30); that day itself never counts (期间开始之日不计算在内);
- 20 working days (Art 33), plus an approved extension of at most 20;
- plus the working days paused for consultations (Art 32 third party, Art 34 other agency).
  A pause that began on day P and ended on day E pauses the working days after P up to and
  including E (``workdays_between(P, E)``): P itself is a day the clock ran.

While a consultation runs the due date is not fixed: the functions return the date it would
be if the pause ended today, and the note says "暂停中" with the working days left.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _

from hall.calendar import WorkdayCalendar
from hall.timefmt import local_today

#: Art 33: the reply is due within 20 working days of receipt.
REPLY_WORKDAYS = 20
#: Art 33: an approved extension adds at most 20 working days.
MAX_EXTENSION = 20
#: Art 30: a request to supplement must go out within 7 working days of receipt.
SUPPLEMENT_REQUEST_WORKDAYS = 7
#: Art 32: a third party consulted has 15 working days to give its view.
THIRD_PARTY_WORKDAYS = 15


def format_day(day: dt.date, with_year: bool = True) -> str:
    """``2026年9月30日`` (or ``9月30日``), as the notes and letters write dates."""
    if with_year:
        return _("%(y)d年%(m)d月%(d)d日", y=day.year, m=day.month, d=day.day)
    return _("%(m)d月%(d)d日", m=day.month, d=day.day)


def _pause_label(kind: str) -> str:
    if kind == "third_party":
        return _("征求第三方意见")
    if kind == "agency":
        return _("征求其他机关意见")
    return _("征求意见")


def supplement_request_by(received_on: dt.date, cal: WorkdayCalendar) -> dt.date:
    """The last day a 补正 request may go out (Art 30: within 7 working days of receipt)."""
    return cal.add_workdays(received_on, SUPPLEMENT_REQUEST_WORKDAYS)


def paused_so_far(paused_on: dt.date | None, cal: WorkdayCalendar,
                  today: dt.date | None = None) -> int:
    """Working days a running consultation has paused the clock by ``today``."""
    if paused_on is None:
        return 0
    today = today or local_today()
    return cal.workdays_between(paused_on, today) if today > paused_on else 0


def remaining_workdays(clock_start: dt.date, paused_workdays: int, extension_workdays: int,
                       cal: WorkdayCalendar, paused_on: dt.date | None = None,
                       today: dt.date | None = None) -> int:
    """Working days left to reply (0 or less: due today or overdue). While paused, the days
    left when the pause began (they do not shrink until the clock runs again)."""
    today = today or local_today()
    until = paused_on if paused_on is not None else today
    used = cal.workdays_between(clock_start, until) - paused_workdays if until > clock_start \
        else 0
    return REPLY_WORKDAYS + extension_workdays - max(0, used)


def compute_due(clock_start: dt.date, paused_workdays: int, extension_workdays: int,
                cal: WorkdayCalendar, paused_on: dt.date | None = None,
                today: dt.date | None = None, *, restarted: bool = False,
                pause_kind: str = "", running_kind: str = "") -> tuple[dt.date, str]:
    """The reply due date and a note that explains it, e.g.
    "自 2026年9月30日（收到申请）次日起算 20 个工作日为 10月28日；征求第三方意见暂停 5 个工作日；
    经批准延长 10 个工作日 → 11月25日".

    :param paused_workdays: working days of finished pauses.
    :param paused_on: the day a still-running consultation began; the date returned is then
        provisional (as if the pause ended ``today``) and the note says "暂停中".
    :param restarted: ``clock_start`` is the day a supplement arrived, not the day received.
    :param pause_kind: "third_party", "agency" or "" (mixed/unknown): names finished pauses.
    :param running_kind: the same for the running consultation.
    """
    if paused_workdays < 0 or extension_workdays < 0:
        raise ValueError("paused and extension working days must not be negative")
    base = cal.add_workdays(clock_start, REPLY_WORKDAYS)
    running = paused_so_far(paused_on, cal, today)
    due = cal.add_workdays(base, paused_workdays + extension_workdays + running)
    why = _("收到补正材料") if restarted else _("收到申请")
    parts = [_("自 %(start)s（%(why)s）次日起算 %(n)d 个工作日为 %(base)s",
               start=format_day(clock_start), why=why, n=REPLY_WORKDAYS,
               base=format_day(base, base.year != clock_start.year))]
    if paused_workdays:
        parts.append(_("%(what)s暂停 %(n)d 个工作日", what=_pause_label(pause_kind),
                       n=paused_workdays))
    if extension_workdays:
        parts.append(_("经批准延长 %(n)d 个工作日", n=extension_workdays))
    note = _("；").join(parts)
    if paused_on is not None:
        left = remaining_workdays(clock_start, paused_workdays, extension_workdays, cal,
                                  paused_on, today)
        note += _("；") + _("自 %(since)s起%(what)s，期限暂停中，恢复计算后尚余 %(left)d 个工作日",
                           since=format_day(paused_on, paused_on.year != clock_start.year),
                           what=_pause_label(running_kind), left=max(0, left))
    elif paused_workdays or extension_workdays:
        note += _(" → %(due)s", due=format_day(due, due.year != clock_start.year))
    return due, note
