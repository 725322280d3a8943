"""Staff pages of 好差评 and the queue's statistics.

- ``/staff/queue/followups``: the open follow-ups that 差评 opened, overdue ones first and
  marked in words, then those due soon; each opens a page with the rating (citizen text shown
  escaped, never as HTML) and a form to record what was found and the answer (audited).
- ``/staff/queue/stats``: the figures of a date range (``tickets.stats``) with SVG bars drawn
  here, and two CSV exports: ``stats.csv`` (per service per day) and ``stats/tickets.csv``
  (tickets without personal data).
- A panel on the staff home for admins and clerks.

Thin: parse, call ``tickets.ratings`` / ``tickets.stats``, render.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from hall.auth import current_user, register_nav, role_required
from hall.dashboard import Figure, Panel, Period, bars, register_panel
from hall.extensions import db
from hall.forms import StaffForm
from hall.models import Role
from hall.timefmt import local_today
from tickets import ratings, stats
from tickets.models import Followup, FollowupStatus, Rating, Service

followups_bp = Blueprint("queue_followups", __name__, url_prefix="/staff/queue/followups",
                         template_folder="templates")
stats_bp = Blueprint("queue_stats", __name__, url_prefix="/staff/queue",
                     template_folder="templates")

FOLLOWUP_ROLES = (Role.ADMIN, Role.CLERK)
#: Answered follow-ups listed on the "已办结" tab, newest first.
ANSWERED_SHOWN = 100
DEFAULT_DAYS = 7


class FollowupForm(StaffForm):
    finding = TextAreaField(_l("核查和整改情况"), validators=[
        DataRequired(_l("请填写核查和整改情况。")), Length(max=ratings.ANSWER_MAX)])
    answer = TextAreaField(_l("答复内容"), validators=[
        DataRequired(_l("请填写答复内容。")), Length(max=ratings.ANSWER_MAX)])


# --------------------------------------------------------------------------- follow-ups


@followups_bp.get("/", endpoint="index")
@role_required(*FOLLOWUP_ROLES)
def followup_list() -> str:
    today = local_today()
    answered = request.args.get("show") == "answered"
    rows: list[tuple[Followup, str]]
    if answered:
        found = db.session.scalars(
            select(Followup).where(Followup.status == FollowupStatus.ANSWERED)
            .options(joinedload(Followup.rating).joinedload(Rating.ticket))
            .order_by(Followup.answered_at.desc(), Followup.id.desc()).limit(ANSWERED_SHOWN))
        rows = [(f, "answered") for f in found]
    else:
        rows = ratings.open_followups(today)
    return render_template("tickets/staff/followups.html", title=_l("差评回访"), rows=rows,
                           answered=answered, today=today, services=_service_names(),
                           shown=ANSWERED_SHOWN,
                           grade_label=ratings.grade_label, reason_label=ratings.reason_label,
                           overdue=sum(1 for _f, state in rows if state == "overdue"))


def _service_names() -> dict[int, str]:
    return {sid: name for sid, name in db.session.execute(select(Service.id, Service.name))}


@followups_bp.route("/<int:followup_id>", methods=["GET", "POST"])
@role_required(*FOLLOWUP_ROLES)
def followup(followup_id: int) -> tuple[str, int] | Response:
    row = db.session.get(Followup, followup_id)
    if row is None:
        abort(404)
    form = FollowupForm()
    status = 200
    errors: list[str] = []
    if request.method == "POST":
        if row.status != FollowupStatus.OPEN:
            errors = [_("这条回访已经办结。")]
            status = 409
        elif form.validate():
            user = current_user()
            assert user is not None  # role_required let the request through
            try:
                ratings.answer_followup(row, form.finding.data, form.answer.data, user)
            except ratings.RatingError as error:
                errors, status = [str(error.message)], 422
            else:
                flash(_("已办结 %(number)s 号的差评回访。", number=row.rating.ticket.number),
                      "success")
                return redirect(url_for(".index"), 303)
        else:
            errors, status = form.all_errors(), 422
    today = local_today()
    state = ("answered" if row.status != FollowupStatus.OPEN
             else "overdue" if row.due_on < today else "open")
    rating = row.rating
    service = db.session.get(Service, rating.service_id) if rating.service_id else None
    return render_template(
        "tickets/staff/followup.html", title=_l("差评回访"), row=row, rating=rating,
        ticket=rating.ticket, service=service, state=state, form=form, errors=errors,
        grade=ratings.grade_label(rating.score),
        reasons=[ratings.reason_label(r) for r in rating.reasons.splitlines() if r],
        comment_lines=rating.comment.splitlines()), status


# --------------------------------------------------------------------------- statistics


def _range() -> tuple[dt.date, dt.date, list[str]]:
    """The range asked for (``start``, ``end`` as YYYY-MM-DD), else the last 7 days; any
    problem is returned as a message and the default range is used."""
    end = local_today()
    start = end - dt.timedelta(days=DEFAULT_DAYS - 1)
    errors: list[str] = []
    raw_start = request.args.get("start", "").strip()
    raw_end = request.args.get("end", "").strip()
    try:
        asked_start = dt.date.fromisoformat(raw_start) if raw_start else start
        asked_end = dt.date.fromisoformat(raw_end) if raw_end else end
    except ValueError:
        return start, end, [_("日期格式不对，请用 年-月-日，例如 2026-11-25。")]
    if asked_end < asked_start:
        errors.append(_("结束日期不能早于开始日期。"))
    elif (asked_end - asked_start).days + 1 > stats.MAX_DAYS:
        errors.append(_("一次最多统计 %(n)d 天。", n=stats.MAX_DAYS))
    else:
        start, end = asked_start, asked_end
    return start, end, errors


def _chart(series: list[tuple[Any, int]]) -> dict[str, Any]:
    # bars() only places the bars; its first items are labels to it, hours or names here.
    return bars(cast(list[tuple[dt.date, int]], series), width=720, height=180)


@stats_bp.get("/stats", endpoint="index")
@role_required(Role.ADMIN)
def stats_page() -> tuple[str, int]:
    start, end, errors = _range()
    report = stats.report(start, end)
    service_chart = _chart([(s.name, f.issued) for s, f in report.services])
    return render_template(
        "tickets/staff/stats.html", title=_l("排队统计"), report=report, errors=errors,
        hour_chart=_chart(report.per_hour), day_chart=_chart(report.per_day),
        service_chart=service_chart, grades=stats.GRADES, grade_label=ratings.grade_label,
    ), 400 if errors else 200


def _csv_response(text: str, name: str) -> Response:
    response = Response(text.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _range_or_400() -> tuple[dt.date, dt.date]:
    start, end, errors = _range()
    if errors:
        raise BadRequest(errors[0])
    return start, end


@stats_bp.get("/stats.csv")
@role_required(Role.ADMIN)
def daily_csv() -> Response:
    start, end = _range_or_400()
    return _csv_response(stats.daily_csv(start, end), f"queue-daily-{start}-{end}.csv")


@stats_bp.get("/stats/tickets.csv")
@role_required(Role.ADMIN)
def tickets_csv() -> Response:
    start, end = _range_or_400()
    return _csv_response(stats.tickets_csv(start, end), f"queue-tickets-{start}-{end}.csv")


# --------------------------------------------------------------------------- dashboard


def _minutes(value: float | None) -> int:
    return round(value) if value is not None else 0


def _panel(period: Period) -> Panel:
    """Today's and this month's tickets, average wait, satisfaction and 差评; now: people
    waiting, open and overdue follow-ups; a 30-day series of tickets."""
    month = stats.report(period.month_start, period.today)
    today = stats.summarise(r for r in stats.ticket_rows(period.today, period.today))
    chart = stats.report(period.chart_start, period.today)
    now = stats.now_figures(period.today)
    return Panel(
        title=_l("排队叫号和好差评"),
        figures=[
            Figure(_l("取号"), today.issued, month.total.issued),
            Figure(_l("平均等候（分钟）"), _minutes(today.wait_mean),
                   _minutes(month.total.wait_mean)),
            Figure(_l("满意率（%）"), _minutes(today.satisfaction),
                   _minutes(month.total.satisfaction)),
            Figure(_l("差评"), today.bad, month.total.bad),
        ],
        series_label=_l("每天取号"),
        series=chart.per_day,
        lists=[(_l("现在"), [(str(_l("等候人数")), now.waiting),
                            (str(_l("待处理的差评回访")), now.open_followups),
                            (str(_l("已超期的差评回访")), now.overdue_followups)])],
    )


def init_app(app: Flask) -> None:
    """Register the pages, their menu links, the dashboard panel and the audit action."""
    app.register_blueprint(followups_bp)
    app.register_blueprint(stats_bp)
    register_nav(app, _l("差评回访"), "queue_followups.index", *FOLLOWUP_ROLES, order=42)
    register_nav(app, _l("排队统计"), "queue_stats.index", Role.ADMIN, order=44)
    register_panel(app, _panel, Role.ADMIN, Role.CLERK, order=30)
    ratings.register_actions()
