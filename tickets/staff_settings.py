"""The queue's settings (``/staff/queue/...``, admins only): services with their prefixes and
hours, windows and what they serve, priority categories, and appointments (bookings made
elsewhere, checked in at the kiosk by their code).

Thin: parse the form (``tickets.staff_forms``), check what needs the database (a code, prefix,
window number or name already taken), write through ``tickets.settings`` (audit, commit, then
``queue_changed`` so boards and kiosks update), redirect.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from hall.auth import register_nav, role_required
from hall.extensions import db
from hall.models import Role
from hall.timefmt import local_today
from tickets import queue, settings
from tickets.models import Appointment, PriorityCategory, Service, Ticket, Window
from tickets.staff_forms import (
    WEEKDAY_LABELS,
    AppointmentForm,
    PriorityForm,
    ServiceForm,
    WindowForm,
    options,
)

bp = Blueprint("tickets_settings", __name__, url_prefix="/staff/queue",
               template_folder="templates")

TABS = [("tickets_settings.services", _l("业务")), ("tickets_settings.windows", _l("窗口")),
        ("tickets_settings.priorities", _l("优先类别")),
        ("tickets_settings.appointments", _l("预约"))]


def _get(model: type[Any], ident: int) -> Any:
    row = db.session.get(model, ident)
    if row is None:
        abort(404)
    return row


def _tab(endpoint: str) -> str:
    """The tab a page belongs to (a service's edit page is under 业务, …)."""
    view = endpoint.rsplit(".", 1)[-1]
    for prefix, tab in (("window", "windows"), ("priorit", "priorities"),
                        ("appointment", "appointments")):
        if view.startswith(prefix):
            return f"tickets_settings.{tab}"
    return "tickets_settings.services"


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    tab = _tab(request.endpoint or "")
    return render_template(f"tickets/staff/{template}", tabs=TABS, tab=tab, **context), status


def _saved(changed: bool, label: str) -> None:
    if changed:
        flash(_("已保存“%(title)s”。", title=label), "success")
    else:
        flash(_("没有改动。"), "success")


def _taken(form_field: Any, model: type[Any], column: Any, value: Any, row: Any,
           message: str) -> bool:
    """Add ``message`` to the field if another row already has ``value``; True if taken."""
    if form_field.errors or value is None:
        return False
    found = db.session.scalar(select(model.id).where(column == value))
    if found is not None and (row is None or found != row.id):
        form_field.errors = [*form_field.errors, message]
        return True
    return False


# -- services ---------------------------------------------------------------------------------


def _hours(service: Service) -> str:
    """A one-line summary of when a service gives tickets."""
    days = "、".join(str(WEEKDAY_LABELS[i]) for i in range(7) if service.weekdays & (1 << i))
    if service.weekdays == 0b1111111:
        days = _("每天")
    parts = [days]
    if service.workdays_only:
        parts.append(_("仅工作日"))
    if service.opens_at or service.closes_at:
        opens = service.opens_at.strftime("%H:%M") if service.opens_at else "00:00"
        closes = service.closes_at.strftime("%H:%M") if service.closes_at else "24:00"
        parts.append(f"{opens}–{closes}")
    else:
        parts.append(_("全天"))
    return " · ".join(parts)


@bp.get("/services/")
@role_required(Role.ADMIN)
def services() -> tuple[str, int]:
    rows = settings.services()
    today = local_today()
    issued: dict[int, int] = {service_id: n for service_id, n in db.session.execute(
        select(Ticket.service_id, func.count(Ticket.id)).where(Ticket.day == today)
        .group_by(Ticket.service_id))}
    availability = {s.id: queue.availability(s) for s in rows}
    return _page("services.html", title=_l("排队设置 · 业务"), rows=rows, hours=_hours,
                 issued=issued, waiting=queue.waiting_counts(today), availability=availability)


def _service_form(service: Service | None) -> tuple[str, int] | Response:
    form = ServiceForm()
    if request.method == "GET":
        if service is not None:
            form.load(service)
        else:
            form.defaults()
        return _page("service_form.html", form=form, service=service, errors=[],
                     title=_l("新建业务") if service is None else _l("编辑业务"))
    valid = form.validate()
    valid = not _taken(form.code, Service, Service.code, form.code.data, service,
                       _("这个业务代码已被使用，请换一个。")) and valid
    valid = not _taken(form.prefix, Service, Service.prefix, form.prefix.data, service,
                       _("这个前缀已被其他业务使用，请换一个字母。")) and valid
    if (not form.prefix.errors and form.prefix.data
            and (service is None or form.prefix.data != service.prefix)
            and settings.prefix_used_today(form.prefix.data, local_today(),
                                           service.id if service else None)):
        form.prefix.errors = [*form.prefix.errors,
                              _("今天已有以这个字母开头的号码，请明天再改用它。")]
        valid = False
    if not valid:
        return _page("service_form.html", 422, form=form, service=service,
                     errors=form.all_errors(),
                     title=_l("新建业务") if service is None else _l("编辑业务"))
    row = service if service is not None else Service()
    _saved(settings.save(row, form.fields()), row.name)
    return redirect(url_for(".services"), 303)


@bp.route("/services/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def service_new() -> tuple[str, int] | Response:
    return _service_form(None)


@bp.route("/services/<int:service_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def service_edit(service_id: int) -> tuple[str, int] | Response:
    return _service_form(_get(Service, service_id))


# -- windows ----------------------------------------------------------------------------------


@bp.get("/windows/")
@role_required(Role.ADMIN)
def windows() -> tuple[str, int]:
    rows = settings.windows()
    current = {w.id: queue.current_ticket(w.id) for w in rows if w.clerk_id}
    return _page("windows.html", title=_l("排队设置 · 窗口"), rows=rows, current=current)


def _window_form(window: Window | None) -> tuple[str, int] | Response:
    form = WindowForm()
    form.services.choices = options((str(s.id), f"{s.prefix} {s.name}")
                                    for s in settings.services())
    title = _l("新建窗口") if window is None else _l("编辑窗口")
    if request.method == "GET":
        if window is not None:
            form.load(window)
        return _page("window_form.html", form=form, window=window, errors=[], title=title)
    valid = form.validate()
    valid = not _taken(form.number, Window, Window.number, form.number.data, window,
                       _("这个窗口号已被使用。")) and valid
    if not valid:
        return _page("window_form.html", 422, form=form, window=window,
                     errors=form.all_errors(), title=title)
    row = window if window is not None else Window()
    chosen = list(db.session.scalars(select(Service).where(Service.id.in_(form.services.ids))
                                     .order_by(Service.position, Service.id)))
    changed = settings.save(row, form.fields(), services=chosen)
    _saved(changed, _("%(number)d号窗口", number=row.number))
    return redirect(url_for(".windows"), 303)


@bp.route("/windows/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def window_new() -> tuple[str, int] | Response:
    return _window_form(None)


@bp.route("/windows/<int:window_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def window_edit(window_id: int) -> tuple[str, int] | Response:
    return _window_form(_get(Window, window_id))


@bp.post("/windows/<int:window_id>/release")
@role_required(Role.ADMIN)
def window_release(window_id: int) -> Response:
    """Sign a clerk out of a window they forgot to leave (a ticket being served stays)."""
    window = _get(Window, window_id)
    if window.clerk_id is None:
        flash(_("%(number)d号窗口没有人签到。", number=window.number), "info")
        return redirect(url_for(".windows"), 303)
    name = window.clerk_name
    settings.release_window(window)
    flash(_("已让 %(name)s 离开%(number)d号窗口。", name=name, number=window.number),
          "success")
    return redirect(url_for(".windows"), 303)


# -- priority categories ----------------------------------------------------------------------


@bp.get("/priorities/")
@role_required(Role.ADMIN)
def priorities() -> tuple[str, int]:
    return _page("priorities.html", title=_l("排队设置 · 优先类别"), rows=settings.priorities())


def _priority_form(category: PriorityCategory | None) -> tuple[str, int] | Response:
    form = PriorityForm()
    title = _l("新建优先类别") if category is None else _l("编辑优先类别")
    if request.method == "GET":
        if category is not None:
            form.load(category)
        return _page("priority_form.html", form=form, category=category, errors=[],
                     title=title)
    valid = form.validate()
    valid = not _taken(form.name, PriorityCategory, PriorityCategory.name, form.name.data,
                       category, _("这个类别已经有了。")) and valid
    if not valid:
        return _page("priority_form.html", 422, form=form, category=category,
                     errors=form.all_errors(), title=title)
    row = category if category is not None else PriorityCategory()
    _saved(settings.save(row, form.fields()), row.name)
    return redirect(url_for(".priorities"), 303)


@bp.route("/priorities/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def priority_new() -> tuple[str, int] | Response:
    return _priority_form(None)


@bp.route("/priorities/<int:priority_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def priority_edit(priority_id: int) -> tuple[str, int] | Response:
    return _priority_form(_get(PriorityCategory, priority_id))


# -- appointments -----------------------------------------------------------------------------


def _day_arg(today: dt.date) -> dt.date:
    try:
        day = dt.date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        return today
    return day if dt.MINYEAR < day.year < dt.MAXYEAR else today  # the page links day ± 1


def _appointment_form(today: dt.date) -> AppointmentForm:
    form = AppointmentForm(today=today)
    form.service.choices = options([("", _("请选择")),
                                    *((s.id, f"{s.prefix} {s.name}")
                                      for s in settings.services() if s.enabled)])
    return form


@bp.route("/appointments/", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def appointments() -> tuple[str, int] | Response:
    """The day's bookings with their check-in state, and a form to add one."""
    today = local_today()
    form = _appointment_form(today)
    status = 200
    if request.method == "GET":
        form.day.data = today
    elif form.validate():
        service = _get(Service, form.service.data or 0)
        made = settings.create_appointment(service, form.day.data, form.slot_start.data,
                                           form.slot_end.data, form.note.data or "")
        flash(_("已登记预约，预约号 %(code)s（%(day)s %(service)s）。请把预约号告诉办事人。",
                code=made.code, day=made.day.isoformat(), service=service.name), "success")
        return redirect(url_for(".appointments", day=made.day.isoformat()), 303)
    else:
        status = 422
    day = _day_arg(today)
    rows = list(db.session.scalars(
        select(Appointment).where(Appointment.day == day)
        .order_by(Appointment.slot_start, Appointment.id)))
    tickets = {t.appointment_id: t for t in db.session.scalars(
        select(Ticket).where(Ticket.appointment_id.in_([a.id for a in rows])))}
    return _page("appointments.html", status, title=_l("排队设置 · 预约"), form=form,
                 errors=form.all_errors(), rows=rows, day=day, today=today, tickets=tickets,
                 prev_day=day - dt.timedelta(days=1), next_day=day + dt.timedelta(days=1))


@bp.post("/appointments/<int:appointment_id>/cancel")
@role_required(Role.ADMIN)
def appointment_cancel(appointment_id: int) -> Response:
    appointment = _get(Appointment, appointment_id)
    if appointment.checked_in_at is not None:
        flash(_("预约 %(code)s 已签到取号，不能取消。", code=appointment.code), "warning")
    elif settings.cancel_appointment(appointment):
        flash(_("已取消预约 %(code)s。", code=appointment.code), "success")
    else:
        flash(_("预约 %(code)s 已经取消。", code=appointment.code), "info")
    return redirect(url_for(".appointments", day=appointment.day.isoformat()), 303)


def init_app(app: Flask) -> None:
    """Register the settings pages and the 排队设置 menu link."""
    app.register_blueprint(bp)
    register_nav(app, _l("排队设置"), "tickets_settings.services", Role.ADMIN, order=32)
