"""The window side (``/staff/counter``): a clerk takes a window and the services it serves
today, then calls, recalls, marks no-shows, transfers and finishes tickets, pauses and leaves.

Thin: parse the form (``tickets.staff_forms``), call ``tickets.queue``, redirect back with a
message (or show the page again with the refusal, 422). Every move is in the audit log, in the
same transaction as the move itself: the entry is added just before the queue commits, when
the ticket a "call next" picked is known. The line refreshes itself from ``state.json``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from hall import audit
from hall.auth import current_user, register_nav, role_required
from hall.db import utcnow
from hall.extensions import db
from hall.models import Role, StaffUser
from hall.timefmt import local_time
from tickets import queue, settings
from tickets import staff_settings as settings_pages
from tickets.models import Call, Service, Ticket, Window
from tickets.queue import QueueError
from tickets.staff_forms import CallNumberForm, OpenWindowForm, TransferForm, options

bp = Blueprint("tickets_counter", __name__, url_prefix="/staff/counter",
               template_folder="templates")
#: The queue's staff scripts and styles (outside ``/staff``: static files carry no guard).
assets = Blueprint("tickets_assets", __name__, static_folder="static/tickets",
                   static_url_path="/static/tickets")

#: How much of the window's line the page shows.
LINE_SHOWN = 10

for _code, _label in (
        ("counter_open", _l("窗口签到")), ("counter_close", _l("离开窗口")),
        ("counter_pause", _l("暂停窗口")), ("counter_resume", _l("恢复窗口")),
        ("counter_call_next", _l("呼叫下一位")), ("counter_call", _l("指定叫号")),
        ("counter_recall", _l("重呼")), ("counter_no_show", _l("过号")),
        ("counter_finish", _l("办结")), ("counter_transfer", _l("转移"))):
    audit.register_action(_code, _label)


def _user() -> StaffUser:
    user = current_user()
    assert user is not None  # the guard saw to it
    return user


def _window_or_404(window_id: int) -> Window:
    window = db.session.get(Window, window_id)
    if window is None or not window.enabled:
        abort(404)
    return window


def _window_label(window: Window) -> str:
    return _("%(number)d号窗口", number=window.number)


def _window_title(window: Window) -> str:
    """"3号窗口 政策咨询": the number, and the name when it adds something."""
    label = _window_label(window)
    return f"{label} {window.name}" if window.name and window.name != label else label


def held_by(user: StaffUser) -> Window | None:
    """The window this clerk is signed in at, if any."""
    return db.session.scalar(select(Window).where(Window.clerk_id == user.id,
                                                  Window.enabled.is_(True))
                             .order_by(Window.number).limit(1))


@contextmanager
def _audited(action: str, window: Window, **values: Any) -> Iterator[None]:
    """Record a counter move in the transaction the queue commits.

    The entry is added in ``before_commit``, so it names the ticket a call picked (the
    ``queue_call`` row added in that transaction) and lands, or fails, with the move.
    """
    session = db.session()
    window_id, number = window.id, window.number
    label = f"{number}号窗口"  # the log's own words, whatever the page's language
    calls: list[Call] = []

    def added(_session: Session, obj: Any) -> None:
        if isinstance(obj, Call):
            calls.append(obj)

    def before_commit(_session: Session) -> None:
        new = {"window": number, **values}
        if calls:
            new["ticket"] = calls[-1].number
        audit.record(action, obj_type="queue_window", obj_id=window_id, label=label, new=new)

    event.listen(session, "transient_to_pending", added)
    event.listen(session, "before_commit", before_commit)
    try:
        yield
    except QueueError:
        db.session.rollback()  # nothing of a refused move stays in the session
        raise
    finally:
        event.remove(session, "before_commit", before_commit)
        event.remove(session, "transient_to_pending", added)


# -- choosing a window ------------------------------------------------------------------------


@bp.get("/")
@role_required(Role.CLERK)
def index() -> Response | tuple[str, int]:
    """Where a clerk picks a window; a clerk already at one goes straight to it."""
    mine = held_by(_user())
    if mine is not None and request.args.get("choose") != "1":
        return redirect(url_for(".window", window_id=mine.id))
    rows = [w for w in settings.windows() if w.enabled]
    return render_template("tickets/staff/counter_pick.html", title=_l("叫号窗口"),
                           windows=rows, mine=mine), 200


def _open_page(window: Window, form: OpenWindowForm, status: int = 200,
               errors: list[str] | None = None) -> tuple[str, int]:
    user = _user()
    return render_template("tickets/staff/counter_open.html", title=_l("窗口签到"),
                           window=window, form=form, errors=errors or form.all_errors(),
                           held_by_other=window.clerk_id not in (None, user.id),
                           mine=held_by(user)), status


def _service_choices(form: OpenWindowForm) -> None:
    form.services.choices = options((str(s.id), f"{s.prefix} {s.name}")
                                    for s in settings.services() if s.enabled)


@bp.route("/<int:window_id>/open", methods=["GET", "POST"])
@role_required(Role.CLERK)
def open_window(window_id: int) -> Response | tuple[str, int]:
    """Sign in at a window with today's services; taking it from another clerk needs a tick."""
    window = _window_or_404(window_id)
    user = _user()
    form = OpenWindowForm()
    _service_choices(form)
    if request.method == "GET":
        form.services.data = [str(s.id) for s in window.services if s.enabled]
        return _open_page(window, form)
    if not form.validate():
        return _open_page(window, form, 422)
    taken_from = window.clerk_name if window.clerk_id not in (None, user.id) else ""
    if taken_from and not form.take_over.data:
        return _open_page(window, form, 409, [_(
            "%(window)s现在由 %(name)s 签到办理。要接管，请勾选“我要接管这个窗口”。",
            window=_window_label(window), name=taken_from)])
    other = held_by(user)
    if other is not None and other.id != window.id:
        current = queue.current_ticket(other.id)
        if current is not None:
            return _open_page(window, form, 409, [_(
                "您在%(window)s还有正在办理的 %(number)s 号，请先办结、过号或转移。",
                window=_window_label(other), number=current.number)])
        with _audited("counter_close", other):
            queue.close_window(other.id)
    values: dict[str, Any] = {"services": form.services.ids}
    if taken_from:
        values["taken_from"] = taken_from
    try:
        with _audited("counter_open", window, **values):
            queue.open_window(window.id, user.id, user.label, form.services.ids)
    except QueueError as refused:
        return _open_page(window, form, 422, [str(refused.message)])
    flash(_("您已在%(window)s签到，可以开始叫号。", window=_window_label(window)), "success")
    return redirect(url_for(".window", window_id=window.id), 303)


# -- the window page --------------------------------------------------------------------------


def _mine_or_redirect(window: Window) -> Response | None:
    """None if the signed-in clerk holds the window, else where to send them."""
    if window.clerk_id == _user().id:
        return None
    if window.clerk_id is not None:
        flash(_("%(window)s现在由 %(name)s 签到办理。", window=_window_label(window),
                name=window.clerk_name), "warning")
    else:
        flash(_("请先在%(window)s签到。", window=_window_label(window)), "warning")
    return redirect(url_for(".open_window", window_id=window.id), 303)


def _transfer_form(window: Window, form: TransferForm | None = None) -> TransferForm:
    form = form or TransferForm(formdata=None, prefix="transfer")
    form.service.choices = options([("", _("（不换业务）")),
                                    *((s.id, f"{s.prefix} {s.name}")
                                      for s in settings.services() if s.enabled)])
    form.window.choices = options([("", _("（任一窗口）")),
                                   *((w.id, _window_title(w)) for w in settings.windows()
                                     if w.enabled and w.id != window.id)])
    return form


def _elapsed(since: dt.datetime | None) -> str:
    """Minutes and seconds since ``since`` ("3:07"); the page's script keeps it ticking."""
    if since is None:
        return ""
    seconds = max(0, int((utcnow() - since).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _counter_page(window: Window, status: int = 200, errors: list[str] | None = None,
                  transfer: TransferForm | None = None,
                  call: CallNumberForm | None = None) -> tuple[str, int]:
    line = queue.waiting_for(window)
    current = queue.current_ticket(window.id)
    return render_template(
        "tickets/staff/counter.html", title=_window_label(window), window=window,
        current=current, since=_elapsed(current.called_at if current else None),
        line=line[:LINE_SHOWN], waiting=len(line),
        transfer=_transfer_form(window, transfer),
        call=call or CallNumberForm(formdata=None, prefix="call"),
        errors=errors or []), status


@bp.get("/<int:window_id>")
@role_required(Role.CLERK)
def window(window_id: int) -> Response | tuple[str, int]:
    window = _window_or_404(window_id)
    return _mine_or_redirect(window) or _counter_page(window)


def _ticket_json(ticket: Ticket) -> dict[str, Any]:
    return {
        "number": ticket.number, "service": ticket.service.name,
        "priority": ticket.priority_name, "appointment": ticket.appointment_id is not None,
        "transferred": ticket.transfers > 0,
        "queued_at": local_time(ticket.queued_at),
        "called_at": ticket.called_at.isoformat() if ticket.called_at else None,
        "call_count": ticket.call_count,
    }


@bp.get("/<int:window_id>/state.json")
@role_required(Role.CLERK)
def state(window_id: int) -> Response:
    """The window's current ticket and line, polled by ``counter.js`` every few seconds."""
    window = db.session.get(Window, window_id)
    if window is None or not window.enabled:
        return jsonify(error=_("没有这个窗口。")), 404  # type: ignore[return-value]
    line = queue.waiting_for(window)
    current = queue.current_ticket(window.id)
    response = jsonify(
        window={"id": window.id, "number": window.number, "name": window.name,
                "paused": window.paused},
        mine=window.clerk_id == _user().id, clerk=window.clerk_name,
        current=_ticket_json(current) if current else None,
        waiting=[_ticket_json(t) for t in line[:LINE_SHOWN]], waiting_total=len(line))
    response.headers["Cache-Control"] = "no-store"
    return response


# -- moves ------------------------------------------------------------------------------------


def _move(window_id: int) -> Window | Response:
    window = _window_or_404(window_id)
    return _mine_or_redirect(window) or window


def _back(window_id: int) -> Response:
    """Back to the window's page (by id: the window itself is expired by the commit)."""
    return redirect(url_for(".window", window_id=window_id), 303)


def _refused(window: Window, refused: QueueError, **forms: Any) -> tuple[str, int]:
    return _counter_page(window, 422, [str(refused.message)], **forms)


def _current_number(window: Window) -> str:
    current = queue.current_ticket(window.id)
    return current.number if current else ""


@bp.post("/<int:window_id>/next")
@role_required(Role.CLERK)
def call_next(window_id: int) -> Response | tuple[str, int]:
    """Finish the current ticket (if any) and call the next by the rule."""
    window = _move(window_id)
    if isinstance(window, Response):
        return window
    user = _user()
    finished = _current_number(window)
    try:
        with _audited("counter_call_next", window, finished=finished or None):
            ticket = queue.call_next(window.id, user.label)
    except QueueError as refused:
        return _refused(window, refused)
    if ticket is None:
        flash(_("现在没有人在等候。"), "info")
    else:
        flash(_("已呼叫 %(number)s 号（%(service)s）。", number=ticket.number,
                service=ticket.service.name), "success")
    return _back(window_id)


@bp.post("/<int:window_id>/call")
@role_required(Role.CLERK)
def call_number(window_id: int) -> Response | tuple[str, int]:
    """Call a particular waiting ticket by the number typed in."""
    window = _move(window_id)
    if isinstance(window, Response):
        return window
    form = CallNumberForm(prefix="call")
    if not form.validate():
        return _counter_page(window, 422, form.all_errors(), call=form)
    letter, seq = form.letter_and_seq()
    service = db.session.scalar(select(Service).where(Service.prefix == letter))
    number = queue.format_number(service, seq) if service else f"{letter}{seq:03d}"
    try:
        with _audited("counter_call", window, number=number):
            ticket = queue.call_ticket(window.id, number, _user().label)
    except QueueError as refused:
        return _refused(window, refused, call=form)
    flash(_("已呼叫 %(number)s 号（%(service)s）。", number=ticket.number,
            service=ticket.service.name), "success")
    return _back(window_id)


@bp.post("/<int:window_id>/recall")
@role_required(Role.CLERK)
def recall(window_id: int) -> Response | tuple[str, int]:
    """Announce the current ticket again in the lobby."""
    window = _move(window_id)
    if isinstance(window, Response):
        return window
    try:
        with _audited("counter_recall", window):
            ticket = queue.recall(window.id)
    except QueueError as refused:
        return _refused(window, refused)
    flash(_("已重呼 %(number)s 号。", number=ticket.number), "success")
    return _back(window_id)


@bp.post("/<int:window_id>/no-show")
@role_required(Role.CLERK)
def no_show(window_id: int) -> Response | tuple[str, int]:
    window = _move(window_id)
    if isinstance(window, Response):
        return window
    try:
        with _audited("counter_no_show", window, ticket=_current_number(window) or None):
            ticket = queue.no_show(window.id)
    except QueueError as refused:
        return _refused(window, refused)
    flash(_("%(number)s 号已记为过号。", number=ticket.number), "success")
    return _back(window_id)


@bp.post("/<int:window_id>/finish")
@role_required(Role.CLERK)
def finish(window_id: int) -> Response | tuple[str, int]:
    window = _move(window_id)
    if isinstance(window, Response):
        return window
    try:
        with _audited("counter_finish", window, ticket=_current_number(window) or None):
            ticket = queue.finish(window.id)
    except QueueError as refused:
        return _refused(window, refused)
    flash(_("%(number)s 号已办结。", number=ticket.number), "success")
    return _back(window_id)


@bp.post("/<int:window_id>/transfer")
@role_required(Role.CLERK)
def transfer(window_id: int) -> Response | tuple[str, int]:
    """Send the current ticket to another service and/or window; it keeps its place."""
    window = _move(window_id)
    if isinstance(window, Response):
        return window
    form = _transfer_form(window, TransferForm(prefix="transfer"))
    if not form.validate():
        return _counter_page(window, 422, form.all_errors(), transfer=form)
    target = db.session.get(Window, form.window.data) if form.window.data else None
    service = db.session.get(Service, form.service.data) if form.service.data else None
    values = {"ticket": _current_number(window) or None,
              "to_service": service.code if service else None,
              "to_window": target.number if target else None}
    try:
        with _audited("counter_transfer", window, **values):
            ticket = queue.transfer(window.id, service_id=form.service.data,
                                    target_window_id=form.window.data)
    except QueueError as refused:
        return _refused(window, refused, transfer=form)
    where = "、".join(x for x in (service.name if service else "",
                                 _window_label(target) if target else "") if x)
    flash(_("%(number)s 号已转到 %(where)s，按原来的取号时间排队。", number=ticket.number,
            where=where), "success")
    return _back(window_id)


@bp.post("/<int:window_id>/pause")
@role_required(Role.CLERK)
def pause(window_id: int) -> Response | tuple[str, int]:
    """Pause (``paused=1``) or resume (``paused=0``) calling at the window."""
    window = _move(window_id)
    if isinstance(window, Response):
        return window
    wanted = request.form.get("paused", "")
    if wanted not in ("0", "1"):
        return _counter_page(window, 422, [_("请求无效，请刷新页面后再试。")])
    paused = wanted == "1"
    try:
        with _audited("counter_pause" if paused else "counter_resume", window):
            queue.pause_window(window.id, paused)
    except QueueError as refused:
        return _refused(window, refused)
    flash(_("窗口已暂停，暂不叫号。") if paused else _("窗口已恢复叫号。"), "success")
    return _back(window_id)


@bp.post("/<int:window_id>/close")
@role_required(Role.CLERK)
def close(window_id: int) -> Response | tuple[str, int]:
    """Leave the window (sign out of it); a ticket being served must be dealt with first."""
    window = _move(window_id)
    if isinstance(window, Response):
        return window
    current = _current_number(window)
    if current:
        return _counter_page(window, 422, [_(
            "离开前请先办结、过号或转移正在办理的 %(number)s 号。", number=current)])
    try:
        with _audited("counter_close", window):
            queue.close_window(window.id)
    except QueueError as refused:
        return _refused(window, refused)
    flash(_("您已离开%(window)s。", window=_window_label(window)), "success")
    return redirect(url_for(".index"), 303)


def init_app(app: Flask) -> None:
    """Register the counter, the settings pages, the static files and the menu links."""
    app.register_blueprint(bp)
    app.register_blueprint(assets)
    settings_pages.init_app(app)
    register_nav(app, _l("叫号窗口"), "tickets_counter.index", Role.CLERK, order=30)
