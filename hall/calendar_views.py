"""The working-day calendar's staff page (``/staff/calendar/<year>``): the year's holidays and
make-up workdays from the holiday package, the staff overrides over them, and a form to add or
remove one.

Every legal deadline (disclosure replies, suggestion answers, follow-ups) is counted on this
calendar, so a change is audited like any other staff change, in the same transaction, and
announced with ``hall.signals.calendar_changed`` so features can recompute stored due dates.
The package carries each year only once the State Council has published it (each November);
the page warns when next year is missing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms import HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from hall import audit, forms
from hall import calendar as workdays
from hall.auth import register_nav, role_required
from hall.extensions import db
from hall.forms import StaffForm
from hall.models import CalendarOverride, Role
from hall.signals import calendar_changed
from hall.timefmt import local_today

bp = Blueprint("hall_calendar", __name__, url_prefix="/staff/calendar")

ROLES = (Role.ADMIN, Role.OFFICER)
FIRST_YEAR, LAST_YEAR = 1990, 2100
WEEKDAYS = (_l("周一"), _l("周二"), _l("周三"), _l("周四"), _l("周五"), _l("周六"), _l("周日"))

audit.register_action("calendar_set", _l("设定工作日历"))
audit.register_action("calendar_unset", _l("删除工作日历设定"))


class DayField(forms.DayField):
    """A date within the years the calendar serves."""

    first_year = FIRST_YEAR
    last_year = LAST_YEAR

class OverrideForm(StaffForm):
    day = DayField(_l("日期"), validators=[forms.Required(_l("请填写日期。"))])  # not blank
    kind = RadioField(_l("这一天"), choices=[SelectChoice("holiday", _l("放假（休息日）")),
                                            SelectChoice("workday", _l("上班（工作日）"))],
                      validators=[DataRequired(_l("请选择放假还是上班。"))])
    note = StringField(_l("说明"), filters=[lambda v: v.strip() if isinstance(v, str) else v],
                       validators=[Length(max=100, message=_l("说明最多 100 个字。"))])


class RemoveForm(StaffForm):
    day = HiddenField(_l("日期"), validators=[DataRequired(_l("请填写日期。"))])

    def validate_day(self, field: Any) -> None:
        try:
            dt.date.fromisoformat(field.data or "")
        except ValueError as error:
            raise ValidationError(_("日期无效。")) from error


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)


def _page(year: int, form: OverrideForm, status: int = 200) -> tuple[str, int]:
    cal = workdays.load_calendar()
    overrides = {row.day: row for row in db.session.scalars(
        db.select(CalendarOverride)
        .where(CalendarOverride.day.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
        .order_by(CalendarOverride.day))}
    days = [{"day": day, "weekday": WEEKDAYS[day.weekday()], "kind": kind, "why": why,
             "override": overrides.get(day)}
            for day, kind, why in workdays.year_days(year, cal)]
    today = local_today()
    return render_template(
        "hall/staff/calendar.html", title=_l("工作日历"), year=year, days=days,
        overrides=list(overrides.values()), form=form, remove=RemoveForm(),
        weekdays=WEEKDAYS, known=workdays.package_knows(year),
        next_known=workdays.package_knows(today.year + 1), next_year=today.year + 1,
        guessed=bool(cal.guessed_years(dt.date(year, 1, 1), dt.date(year, 12, 31))),
        first_year=FIRST_YEAR, last_year=LAST_YEAR, errors=form.all_errors(),
    ), status


@bp.get("/")
@role_required(*ROLES)
def index() -> Response:
    return redirect(url_for(".year", year=local_today().year))


@bp.get("/<int:year>")
@role_required(*ROLES)
def year(year: int) -> tuple[str, int]:
    _check_year(year)
    form = OverrideForm()
    form.kind.data = "holiday"
    return _page(year, form)


@bp.post("/<int:year>/set")
@role_required(*ROLES)
def set_day(year: int) -> Response | tuple[str, int]:
    """Make one day a workday or a holiday (replacing any earlier staff entry for it)."""
    _check_year(year)
    form = OverrideForm()
    if not form.validate():
        return _page(year, form, 422)
    day: dt.date = form.day.data
    is_workday = form.kind.data == "workday"
    note = form.note.data or ""
    old = db.session.get(CalendarOverride, day)
    before = {"is_workday": old.is_workday, "note": old.note} if old is not None else None
    audit.record("calendar_set", obj_type="calendar_override", obj_id=day.isoformat(),
                 label=day.isoformat(), old=before,
                 new={"is_workday": is_workday, "note": note})
    workdays.set_override(day, is_workday, note)  # commits the entry with the change
    calendar_changed.send(None, days=[day])
    flash(_("已将 %(day)s 设为%(kind)s。", day=day.isoformat(),
            kind=_("工作日") if is_workday else _("休息日")), "success")
    return redirect(url_for(".year", year=day.year), 303)


@bp.post("/<int:year>/remove")
@role_required(*ROLES)
def remove_day(year: int) -> Response:
    """Drop a staff entry: the day goes back to what the package (or the weekend) says."""
    _check_year(year)
    form = RemoveForm()
    if not form.validate():
        abort(400, _("日期无效。"))
    day = dt.date.fromisoformat(form.day.data)
    old = db.session.get(CalendarOverride, day)
    if old is None:
        flash(_("%(day)s 没有工作人员设定。", day=day.isoformat()), "warning")
        return redirect(url_for(".year", year=year), 303)
    audit.record("calendar_unset", obj_type="calendar_override", obj_id=day.isoformat(),
                 label=day.isoformat(), old={"is_workday": old.is_workday, "note": old.note})
    workdays.remove_override(day)  # commits the entry with the change
    calendar_changed.send(None, days=[day])
    flash(_("已删除 %(day)s 的设定。", day=day.isoformat()), "success")
    return redirect(url_for(".year", year=year), 303)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    register_nav(app, _l("工作日历"), "hall_calendar.index", *ROLES, order=85)
