"""The queue's JSON API, for the kiosk's 取号 page, a physical ticket button and a ticket's
phone page.

- ``GET /api/services``, ``GET /api/priorities``: what can be taken now, and by whom first.
- ``POST /api/tickets`` ``{"service", "priority"?, "request_key"?, "source"?}``: a ticket,
  committed, then printed on the calling terminal's printer. The same ``request_key`` gives
  the same ticket again (a double tap, a button's retry) and prints nothing more.
- ``POST /api/checkin`` ``{"code", "request_key"?}``: today's appointment becomes a ticket.
- ``GET /api/tickets/<token>``: a ticket's place in line, for its phone page.

A refusal is ``{"error": <code>, "message": <a sentence for the citizen>}`` with status 400,
404, 409, 413, 415 or 429. The helpers that describe and print a ticket are public because the
kiosk's no-script forms (``kiosk.queue``) answer with exactly the same ticket and slip.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import TooManyRequests

from hall.extensions import csrf, db, limiter
from hall.timefmt import local, local_today
from printer import Slip, spool, ticket_slip
from printer.spool import JobKind
from tickets import queue
from tickets.models import PriorityCategory, Rating, Ticket, TicketStatus, Window

log = logging.getLogger(__name__)

bp = Blueprint("tickets_api", __name__, url_prefix="/api")

#: The phone page of a ticket (``kiosk.queue`` serves it); the slip's QR code opens it.
PHONE_PATH = "/t/{token}"
#: The rating page of a finished ticket on a phone (served by the ratings pages).
RATE_PATH = "/t/{token}/rate"
MAX_BODY_BYTES = 4096
MAX_KEY_CHARS = 64
MAX_SERVICE_CHARS = 20
MAX_BOOKING_CHARS = 20
#: Where a ticket came from, as the statistics count it; the JSON may say which it is.
SOURCES = ("api", "kiosk", "button")
#: The ticket is yesterday's (or older) and was never called: it no longer holds a place.
EXPIRED = "expired"
#: HTTP status of each refusal code of :class:`tickets.queue.QueueError`.
STATUS_OF = {"unknown_service": 404, "unknown_booking": 404, "unknown_priority": 400,
             "closed": 409, "wrong_day": 409, "busy": 503}  # busy: send again later


class ApiError(Exception):
    """A refused API request: its HTTP status, a stable code and a sentence for people."""

    def __init__(self, status: int, code: str, message: Any, **extra: Any) -> None:
        super().__init__(str(message))
        self.status, self.code, self.message, self.extra = status, code, message, extra


def ticket_limit() -> str:
    """Tickets one terminal may take (``TICKET_RATE_LIMIT``); the kiosk's forms share it."""
    return str(current_app.config["TICKET_RATE_LIMIT"])


# --------------------------------------------------------------------------- shared helpers


def phone_url(ticket: Ticket) -> str:
    """The address a phone opens from the slip's QR code (``PUBLIC_BASE_URL`` + ``/t/…``)."""
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return base + PHONE_PATH.format(token=ticket.token)


def enabled_priorities() -> list[PriorityCategory]:
    """The priority categories staff have switched on, in their order."""
    return list(db.session.scalars(
        select(PriorityCategory).where(PriorityCategory.enabled.is_(True))
        .order_by(PriorityCategory.position, PriorityCategory.id)))


def ticket_answer(issued: queue.Issued, printed: bool) -> dict[str, Any]:
    """What the citizen (or the button) is told about a ticket just taken."""
    ticket = issued.ticket
    return {
        "number": ticket.number, "service": ticket.service.code,
        "service_name": ticket.service.name, "priority": ticket.priority_name or None,
        "ahead": issued.ahead, "estimated_wait": issued.estimated_wait,
        "url": phone_url(ticket), "token": ticket.token,
        "issued_at": local(ticket.issued_at).isoformat(timespec="seconds"),
        "repeated": issued.repeated, "printed": printed,
    }


def slip_of(issued: queue.Issued) -> Slip:
    """The ticket's slip: hall, service, the big number, people ahead, time, QR, reminder."""
    ticket = issued.ticket
    service = ticket.service.name
    if ticket.priority_name:
        service = _("%(service)s（优先：%(priority)s）", service=service,
                    priority=ticket.priority_name)
    elif ticket.appointment_id is not None:
        service = _("%(service)s（预约）", service=service)
    return ticket_slip(hall=str(current_app.config["HALL_NAME"]), service=service,
                       number=ticket.number, ahead=issued.ahead,
                       issued_at=local(ticket.issued_at), qr_payload=phone_url(ticket),
                       footer=_("过号请重新取号，请留意叫号屏幕与广播。"))


def print_ticket(issued: queue.Issued, terminal: str | None) -> bool:
    """Queue the ticket's slip on the terminal's printer; True when it is on its way.

    The ticket is committed already: a printer that is missing, known to be out of paper,
    too far behind (``KIOSK_PRINT_MAX_WAITING``) or a spool that cannot store the job costs
    the slip, never the ticket; the screen shows the number instead. A repeated request
    prints nothing: its slip was printed (or refused) the first time.
    """
    if issued.repeated:
        return False
    name = spool.printer_for_terminal(terminal)
    if name is None or spool.cannot_print(spool.cached_status(name)):
        return False
    if spool.waiting_count(name) >= int(current_app.config["KIOSK_PRINT_MAX_WAITING"]):
        return False
    try:
        spool.enqueue(name, JobKind.TICKET, slip_of(issued))
    except (ValueError, SQLAlchemyError):
        db.session.rollback()
        log.exception("ticket %s not printed on %s", issued.ticket.number, name)
        return False
    return True


def status_text(status: str, window: int | None) -> str:
    """The ticket's state in words, as the phone page shows it."""
    if status == TicketStatus.CALLED and window is not None:
        return _("请到 %(window)s 号窗口办理", window=window)
    texts = {
        TicketStatus.WAITING: _("等候中"),
        TicketStatus.CALLED: _("已叫号，请到窗口办理"),
        TicketStatus.DONE: _("已完成"),
        TicketStatus.NO_SHOW: _("已过号"),
        TicketStatus.CANCELLED: _("已取消"),
        EXPIRED: _("已失效（不是今天的号）"),
    }
    return texts.get(status, status)


def _serving_now(ticket: Ticket) -> list[dict[str, Any]]:
    """The numbers being served now at the windows of the ticket's service."""
    rows = db.session.execute(
        select(Ticket.number, Window.number)
        .join(Window, Ticket.window_id == Window.id)
        .where(Ticket.day == ticket.day, Ticket.service_id == ticket.service_id,
               Ticket.status == TicketStatus.CALLED)
        .order_by(Ticket.called_at.desc(), Ticket.id.desc())).all()
    return [{"number": number, "window": window} for number, window in rows]


def _rated(ticket: Ticket) -> bool:
    return db.session.scalar(select(Rating.id).where(Rating.ticket_id == ticket.id)) is not None


def ticket_state(ticket: Ticket) -> dict[str, Any]:
    """A ticket's place in line for its phone page: nothing but number, service and state."""
    status = str(ticket.status)
    if status == TicketStatus.WAITING and ticket.day < local_today():
        status = EXPIRED
    ahead = queue.people_ahead(ticket) if status == TicketStatus.WAITING else 0
    window = ticket.window.number if ticket.window is not None else None
    if status in (TicketStatus.WAITING, EXPIRED):
        window = None  # a transfer clears the window; an old called one means nothing now
    done = status == TicketStatus.DONE
    return {
        "number": ticket.number, "service": ticket.service.code,
        "service_name": ticket.service.name, "status": status,
        "status_text": status_text(status, window),
        "ahead": ahead,
        "estimated_wait": queue.estimated_wait(ticket.service, ahead, ticket.day),
        "window": window,
        "called_at": (local(ticket.called_at).isoformat(timespec="seconds")
                      if ticket.called_at else None),
        "serving": _serving_now(ticket) if status == TicketStatus.WAITING else [],
        "rate_url": RATE_PATH.format(token=ticket.token) if done and not _rated(ticket) else None,
    }


# --------------------------------------------------------------------------- parsing


def _body() -> dict[str, Any]:
    """The request's JSON object.

    :raises ApiError: not JSON (415), too large (413), or not an object (400).
    """
    if not request.is_json:
        raise ApiError(415, "not_json",
                       _("请以 JSON 格式提交（Content-Type: application/json）。"))
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise ApiError(413, "too_large", _("提交的内容太长了。"))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", _("提交的内容不是有效的 JSON 对象。"))
    return data


def _text(data: dict[str, Any], name: str, max_chars: int, *, required: bool = False
          ) -> str | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ApiError(400, "missing", _("缺少参数“%(name)s”。", name=name), field=name)
        return None
    if not isinstance(value, str):
        raise ApiError(400, "bad_type", _("参数“%(name)s”应为文字。", name=name), field=name)
    value = value.strip()
    if len(value) > max_chars:
        raise ApiError(400, "too_long", _("参数“%(name)s”太长（最多 %(max)d 个字符）。",
                                          name=name, max=max_chars), field=name)
    return value


def _id(data: dict[str, Any], name: str) -> int | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**31:
        raise ApiError(400, "bad_type", _("参数“%(name)s”应为正整数。", name=name), field=name)
    return value


def refusal(error: queue.QueueError, service_code: str | None = None) -> ApiError:
    """The API's answer to a refused queue action; a closed service also says why
    (``reason``) and when it opens (``opens_at``, or null when nobody knows)."""
    extra: dict[str, Any] = {}
    if error.code == "closed" and service_code:
        avail = queue.availability(queue.service_by_code(service_code))
        extra = {"reason": avail.reason, "opens_at": (
            avail.opens_at.isoformat(timespec="minutes") if avail.opens_at else None)}
    return ApiError(STATUS_OF.get(error.code, 409), error.code, error.message, **extra)


def _issue(service: str, priority: int | None, key: str | None, source: str) -> queue.Issued:
    try:
        return queue.issue_ticket(service, priority_id=priority, source=source,
                                  terminal=request.remote_addr or "", request_key=key)
    except queue.QueueError as error:
        raise refusal(error, service) from None


# --------------------------------------------------------------------------- routes


@bp.errorhandler(ApiError)
def _refused(error: ApiError) -> ResponseReturnValue:
    body = {"error": error.code, "message": str(error.message), **error.extra}
    return jsonify(body), error.status


@bp.errorhandler(TooManyRequests)
def _too_many(error: TooManyRequests) -> ResponseReturnValue:
    return jsonify({"error": "rate_limited",
                    "message": _("操作太频繁了，请稍等片刻再试。")}), 429


def _no_store(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/services")
def services() -> ResponseReturnValue:
    """Each enabled service: open or not (and why, and when it opens), waiting, wait."""
    return _no_store(jsonify({"services": queue.services_overview()}))


@bp.get("/priorities")
def priorities() -> ResponseReturnValue:
    """The priority categories a ticket may name (``[{"id", "name"}]``)."""
    return _no_store(jsonify([{"id": c.id, "name": c.name} for c in enabled_priorities()]))


# A ticket button (a small device on the hall's LAN) cannot hold a CSRF token, so the two
# citizen writes below are exempt from Flask-WTF's check. They still cannot be forged from
# another site: they accept only ``Content-Type: application/json``, which a cross-site <form>
# cannot send and a cross-site script may send only after a CORS preflight that this server
# never grants. They read no session and no cookie either: a forged request borrows nothing.


@bp.post("/tickets")
@csrf.exempt
@limiter.shared_limit(ticket_limit, scope="tickets")
def take() -> ResponseReturnValue:
    """Take a ticket: 201 with the ticket (200 when the request key came before)."""
    data = _body()
    service = _text(data, "service", MAX_SERVICE_CHARS, required=True)
    assert service is not None
    priority = _id(data, "priority")
    key = _text(data, "request_key", MAX_KEY_CHARS)
    source = _text(data, "source", 10) or "api"
    if source not in SOURCES:
        raise ApiError(400, "bad_source", _("参数“%(name)s”的值无效。", name="source"),
                       field="source")
    issued = _issue(service, priority, key, source)
    printed = print_ticket(issued, request.remote_addr)
    return _no_store(jsonify(ticket_answer(issued, printed))), 200 if issued.repeated else 201


@bp.post("/checkin")
@csrf.exempt
@limiter.shared_limit(ticket_limit, scope="tickets")
def checkin() -> ResponseReturnValue:
    """Check in today's appointment by its booking code: a priority ticket, as ``/tickets``."""
    data = _body()
    code = _text(data, "code", MAX_BOOKING_CHARS, required=True)
    assert code is not None
    key = _text(data, "request_key", MAX_KEY_CHARS)
    try:
        issued = queue.check_in(code, terminal=request.remote_addr or "", request_key=key)
    except queue.QueueError as error:
        raise refusal(error) from None
    printed = print_ticket(issued, request.remote_addr)
    return _no_store(jsonify(ticket_answer(issued, printed))), 200 if issued.repeated else 201


@bp.get("/tickets/<token>")
def ticket(token: str) -> ResponseReturnValue:
    """A ticket's place in line, by its unguessable token (never by its number)."""
    found = queue.ticket_by_token(token)
    if found is None:
        raise ApiError(404, "unknown_ticket", _("没有找到这张号票。"))
    return _no_store(jsonify(ticket_state(found)))


def init_app(app: Flask) -> None:
    """Register the queue's JSON API."""
    app.register_blueprint(bp)
