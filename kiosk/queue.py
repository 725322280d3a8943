"""Kiosk 取号: the service tiles, appointment check-in, the ticket-taken view, and a ticket's
phone page (``/t/<token>``, which the QR code on the slip opens).

The page's script takes tickets through ``POST /api/tickets`` (``tickets.api``). Without
JavaScript the same form posts here instead (with its CSRF token) and gets the same ticket,
the same slip and the same taken view as a page: both paths go through
``tickets.queue.issue_ticket`` and ``tickets.api.print_ticket``. Each service's button carries
its own random request key, so a second tap (or a re-sent form) gives back the first ticket.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from hall.extensions import limiter
from kiosk.qr import qr_svg
from kiosk.views import bp
from tickets import api, queue

#: The phone page lives outside ``/kiosk``: phones open it from the slip, not the kiosk.
phone_bp = Blueprint("ticket_phone", __name__)

MAX_PRIORITY_ID = 2**31 - 1


def _keys(services: list[dict[str, Any]]) -> dict[str, str]:
    """A fresh request key per service on this page (the no-script form sends it back)."""
    return {s["code"]: secrets.token_urlsafe(16) for s in services}


def _chooser(error: str = "", status: int = 200) -> ResponseReturnValue:
    services = queue.services_overview()
    return render_template("kiosk/queue.html", services=services, keys=_keys(services),
                           priorities=api.enabled_priorities(), error=error), status


def _taken(issued: queue.Issued) -> ResponseReturnValue:
    """The ticket-taken view (the script shows the same one in place)."""
    printed = api.print_ticket(issued, request.remote_addr)
    return render_template("kiosk/queue_taken.html", ticket=api.ticket_answer(issued, printed))


def _priority(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PRIORITY_ID:
        raise ValueError(raw)
    return int(raw)


@bp.get("/queue")
def queue_page() -> ResponseReturnValue:
    """取号: each service with its waiting count and wait, closed ones greyed with why."""
    return _chooser()


@bp.post("/queue/take")
@limiter.shared_limit(api.ticket_limit, scope="tickets")
def queue_take() -> ResponseReturnValue:
    """The no-script path of 取号: the form's chosen service (and priority) gives a ticket."""
    service = request.form.get("service", "").strip()
    if not service or len(service) > api.MAX_SERVICE_CHARS:
        return _chooser(_("请选择要办理的业务。"), 400)
    try:
        priority = _priority(request.form.get("priority", ""))
    except ValueError:
        return _chooser(_("没有这个优先类别，请重新选择。"), 400)
    key = request.form.get(f"key-{service}", "").strip()[: api.MAX_KEY_CHARS] or None
    try:
        issued = queue.issue_ticket(service, priority_id=priority, source="kiosk",
                                    terminal=request.remote_addr or "", request_key=key)
    except queue.QueueError as error:
        return _chooser(str(error.message), api.STATUS_OF.get(error.code, 409))
    return _taken(issued)


def _checkin_page(error: str = "", code: str = "", status: int = 200) -> ResponseReturnValue:
    return render_template("kiosk/queue_checkin.html", error=error, code=code,
                           key=secrets.token_urlsafe(16),
                           max_chars=api.MAX_BOOKING_CHARS), status


@bp.get("/queue/checkin")
def queue_checkin() -> ResponseReturnValue:
    """预约签到: type the booking code on the letter and digit pad."""
    return _checkin_page()


@bp.post("/queue/checkin")
@limiter.shared_limit(api.ticket_limit, scope="tickets")
def queue_checkin_post() -> ResponseReturnValue:
    """The no-script path of 预约签到."""
    code = request.form.get("code", "").strip()
    if not code:
        return _checkin_page(_("请输入预约号。"), status=400)
    if len(code) > api.MAX_BOOKING_CHARS:
        return _checkin_page(_("没有找到这个预约号，请核对后再输入。"), status=400)
    key = request.form.get("request_key", "").strip()[: api.MAX_KEY_CHARS] or None
    try:
        issued = queue.check_in(code, terminal=request.remote_addr or "", request_key=key)
    except queue.QueueError as error:
        return _checkin_page(str(error.message), code, api.STATUS_OF.get(error.code, 409))
    return _taken(issued)


@bp.get("/queue/qr/<token>.svg")
def queue_qr(token: str) -> Response:
    """The QR code of a ticket's phone page, as an image for the taken view."""
    ticket = queue.ticket_by_token(token)
    if ticket is None:
        raise NotFound()
    svg = str(qr_svg(api.phone_url(ticket), _("手机扫码查看排队进度")))
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@phone_bp.get("/t/<token>")
def phone(token: str) -> ResponseReturnValue:
    """A ticket's place in line on the citizen's phone, kept up to date while it is open."""
    ticket = queue.ticket_by_token(token)
    config = current_app.config
    if ticket is None:
        return render_template("kiosk/ticket_phone.html", state=None, token="",
                               hall_name=config["HALL_NAME"]), 404
    return render_template("kiosk/ticket_phone.html", state=api.ticket_state(ticket),
                           token=ticket.token, hall_name=config["HALL_NAME"],
                           poll_seconds=int(config.get("TICKET_PHONE_POLL_SECONDS", 30)))


def init_app(app: Flask) -> None:
    """Register the phone page (the kiosk routes above ride on ``kiosk.views.bp``)."""
    app.register_blueprint(phone_bp)
