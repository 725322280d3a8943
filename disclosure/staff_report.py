"""Staff pages of the annual report (disclosure officers and admins).

- ``/staff/disclosure/report/`` opens the year a report is being written for: the previous
  year until the end of March (reports are published by 31 January or 31 March), then this one.
- ``/staff/disclosure/report/<year>``: tables 三 and 四 laid out as the published report, with
  the checks, the carry-in form and the table 四 form; printable (A4 landscape).
- ``/staff/disclosure/report/<year>.csv``: table 三 with the format's labels.

Thin: parse, call ``disclosure.report``, render.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms import Field
from wtforms.widgets import TextInput

from disclosure import report
from hall.auth import current_user, register_nav, role_required
from hall.forms import ParsedField, StaffForm
from hall.models import Role
from hall.timefmt import local_today

bp = Blueprint("disclosure_report", __name__, url_prefix="/staff/disclosure/report",
               template_folder="templates")
#: The page's stylesheet and print button, outside /staff (whose every endpoint needs a guard).
assets = Blueprint("disclosure_report_assets", __name__, static_folder="static/disclosure_report",
                   static_url_path="/static/disclosure-report")

ROLES = (Role.OFFICER, Role.ADMIN)
#: Until this month (included) the report being written is last year's.
REPORT_SEASON_END = 3


class FigureField(ParsedField):
    """A whole number typed by staff (empty: None, read as 0 or "compute it")."""

    widget = TextInput()

    def parse(self, text: str) -> int:
        text = text.replace(",", "").replace("，", "")  # thousands separators
        if not text.isascii() or not text.isdigit():
            raise ValueError(_("请填写一个不小于 0 的整数。"))
        if len(text) > 6 or int(text) > report.MAX_FIGURE:
            raise ValueError(_("请填写 0 到 %(max)d 之间的整数。", max=report.MAX_FIGURE))
        return int(text)


def _field(label: Any) -> Field:
    return FigureField(label, render_kw={"inputmode": "numeric", "autocomplete": "off",
                                         "size": 6})


class CarryInForm(StaffForm):
    """二's part for cases the system does not hold, per applicant column."""


class ReviewForm(StaffForm):
    """Table 四: the four outcomes and an optional 总计 for each of the three groups."""


for _code, _label in report.APPLICANT_COLUMNS:
    setattr(CarryInForm, _code, _field(_label))
for _group, _glabel in report.REVIEW_GROUPS:
    for _outcome, _olabel in (*report.REVIEW_OUTCOMES, (report.TOTAL, report.TOTAL_LABEL)):
        setattr(ReviewForm, f"{_group}_{_outcome}", _field(_olabel))


def _year_or_404(year: int) -> int:
    if not report.valid_year(year):
        abort(404, _("年度报告只有 %(first)d 年至 %(last)d 年。", first=report.MIN_YEAR,
                     last=report.MAX_YEAR))
    return year


def _field_errors(form: StaffForm, groups: dict[str, Any]) -> list[str]:
    """Every field's error, named by its group (``行政复议 结果维持：…``) where it has one."""
    out = []
    for f in form:
        prefix = next((str(label) + " " for key, label in groups.items()
                       if f.name.startswith(key + "_")), "")
        out += [f"{prefix}{f.label.text}：{e}" for e in f.errors]
    return out


def _page(year: int, *, carry_form: CarryInForm | None = None,
          review_form: ReviewForm | None = None, errors: list[str] | None = None,
          status: int = 200) -> tuple[str, int]:
    data = report.annual(year)
    if carry_form is None:
        carry_form = CarryInForm(data=data.table.entered_carry_in)
    if review_form is None:
        review_form = ReviewForm(data={f"{g}_{k}": v for g, row in data.review.items()
                                       for k, v in row.items()})
    today = local_today()
    return render_template(
        "disclosure/report.html", title=_l("%(year)d 年政府信息公开工作年度报告", year=year),
        year=year, data=data, table=data.table, report=report,
        result_lines=report.result_lines(), carry_form=carry_form, review_form=review_form,
        errors=errors or [],
        previous_year=year - 1 if report.valid_year(year - 1) else None,
        next_year=year + 1 if year + 1 <= today.year else None,
    ), status


@bp.get("/", endpoint="index")
@role_required(*ROLES)
def index() -> Response:
    today = local_today()
    year = today.year - 1 if today.month <= REPORT_SEASON_END else today.year
    return redirect(url_for(".year", year=year))


@bp.get("/<int:year>", endpoint="year")
@role_required(*ROLES)
def year_page(year: int) -> tuple[str, int]:
    return _page(_year_or_404(year))


@bp.get("/<int:year>.csv", endpoint="csv")
@role_required(*ROLES)
def csv_export(year: int) -> Response:
    table = report.annual(_year_or_404(year)).table
    response = Response(report.as_csv(table).encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="disclosure-report-{year}.csv"')
    return response


def _actor() -> str:
    user = current_user()
    assert user is not None  # role_required let the request through
    return user.username


@bp.post("/<int:year>/carry-in", endpoint="carry_in")
@role_required(*ROLES)
def carry_in(year: int) -> tuple[str, int] | Response:
    _year_or_404(year)
    form = CarryInForm()
    if not form.validate():
        return _page(year, carry_form=form, errors=_field_errors(form, {}), status=422)
    try:
        report.save_carry_in(year, {c: getattr(form, c).data for c in report.COLUMNS},
                             _actor())
    except report.ReportError as error:
        return _page(year, carry_form=form, errors=error.messages, status=422)
    flash(_("已保存 %(year)d 年的上年结转数。", year=year), "success")
    return redirect(url_for(".year", year=year) + "#table3", 303)


@bp.post("/<int:year>/review", endpoint="review")
@role_required(*ROLES)
def review(year: int) -> tuple[str, int] | Response:
    _year_or_404(year)
    form = ReviewForm()
    groups = dict(report.REVIEW_GROUPS)
    if not form.validate():
        return _page(year, review_form=form, errors=_field_errors(form, groups), status=422)
    entered = {g: {k: getattr(form, f"{g}_{k}").data
                   for k in (*(o for o, _label in report.REVIEW_OUTCOMES), report.TOTAL)}
               for g in groups}
    try:
        report.save_review(year, entered, _actor())
    except report.ReportError as error:
        return _page(year, review_form=form, errors=error.messages, status=422)
    flash(_("已保存 %(year)d 年的行政复议、行政诉讼情况。", year=year), "success")
    return redirect(url_for(".year", year=year) + "#table4", 303)


def init_app(app: Flask) -> None:
    """Register the pages, their stylesheet and the menu link."""
    app.register_blueprint(bp)
    app.register_blueprint(assets)
    register_nav(app, _l("公开年报"), "disclosure_report.index", *ROLES, order=57)
