"""Citizen rating pages (好差评): on the kiosk, on the tablet facing the citizen at a window,
and on the phone (from the ticket's QR code).

- ``/kiosk/rate``: type today's ticket number on the on-screen pad; a ticket finished today
  and not rated gets the five grades, reasons and an optional comment. The lookup is
  rate-limited per terminal and only finds tickets finished today, so guessing numbers shows
  at most a number and a service.
- ``/kiosk/window/<n>``: the counter-facing page. It follows the queue by socket (``follow``
  on ``/screens``) with a 5 s poll of ``GET /api/windows/<n>`` as fallback, and offers the
  rating of the ticket the clerk just finished for about a minute. It posts with that
  ticket's random token (``POST /api/windows/<n>/rating``), never a guessable id.
- ``/t/<token>/rate``: the phone version of the same form.

Thin: parse, call ``tickets.ratings``, render. Nothing personal is shown or kept.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import refresh
from sqlalchemy import select
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from hall.db import utcnow
from hall.extensions import db, limiter
from hall.timefmt import local_today
from kiosk.views import bp
from tickets import queue, ratings
from tickets.models import Score, Service, Ticket, Window

#: The prefix-less routes: the phone page and the counter-facing page's JSON.
public = Blueprint("kiosk_rating", __name__, template_folder="templates")

#: Defaults when the configuration does not set them (flask-limiter notation, per terminal).
LOOKUP_LIMIT = "10 per minute;60 per hour"
SUBMIT_LIMIT = "10 per minute;120 per hour"
#: How long the counter-facing page offers the rating after the clerk pressed finish.
OFFER_SECONDS = 60
#: How often the counter-facing page asks ``/api/windows/<n>`` when no event came.
POLL_SECONDS = 5


def _lookup_limit() -> str:
    return str(current_app.config.get("RATING_LOOKUP_RATE_LIMIT", LOOKUP_LIMIT))


def _submit_limit() -> str:
    return str(current_app.config.get("RATING_RATE_LIMIT", SUBMIT_LIMIT))


def _offer_seconds() -> int:
    return int(current_app.config.get("RATING_COUNTER_SECONDS", OFFER_SECONDS))


def _form_context(ticket: Ticket, **values: Any) -> dict[str, Any]:
    """What the shared form (``kiosk/rate_macros.html``) needs."""
    return {
        "ticket": ticket, "service_name": ticket.service.name,
        "grades": [(int(s), ratings.GRADE_LABELS[s]) for s in sorted(Score, reverse=True)],
        "good": ratings.GOOD_REASONS, "bad": ratings.BAD_REASONS,
        "comment_max": ratings.COMMENT_MAX,
        "chosen_score": values.get("score"), "chosen_reasons": values.get("reasons", []),
        "comment": values.get("comment", ""), "error": values.get("error", ""),
    }


def thanks_message(rated: ratings.Rated) -> str:
    """Honest words after a rating: a 差评 is checked by staff within the deadline (there is
    no contact to answer to, so nothing more is promised)."""
    if rated.followup is not None:
        return _("工作人员将在 %(n)d 个工作日内核查整改。", n=rated.workdays)
    return _("您的评价将帮助我们改进服务。")


def _posted() -> tuple[Any, list[str], str]:
    return (request.form.get("score"), request.form.getlist("reasons"),
            request.form.get("comment", ""))


# --------------------------------------------------------------------------- kiosk


def _prefixes() -> list[str]:
    rows = db.session.scalars(select(Service.prefix).where(Service.enabled.is_(True))
                              .order_by(Service.prefix))
    return sorted({p[:1] for p in rows if p}) or list("ABCDEF")


def _number_page(error: str = "", number: str = "", status: int = 200) -> tuple[str, int]:
    return render_template("kiosk/rate.html", error=error, number=number,
                           letters=_prefixes()), status


@bp.get("/rate")
def rate() -> tuple[str, int]:
    return _number_page()


@bp.post("/rate")
@limiter.limit(_lookup_limit)
def rate_lookup() -> tuple[str, int]:
    """Find today's finished ticket by its number and show the form."""
    number = request.form.get("number", "")[:20]
    try:
        ticket = ratings.finished_today(number)
    except ratings.RatingError as error:
        status = 409 if error.code == "rated" else 422
        return _number_page(str(error.message), number.strip().upper(), status)
    return render_template("kiosk/rate_form.html", **_form_context(ticket)), 200


def _today_ticket(token: str) -> Ticket | None:
    ticket = queue.ticket_by_token(token)
    if ticket is None or ticket.finished_at is None:
        return None
    return ticket if local_today(ticket.finished_at) == local_today() else None


@bp.post("/rate/submit")
@limiter.limit(_submit_limit)
def rate_submit() -> tuple[str, int]:
    """Record the kiosk's rating; only tickets finished today, by their token."""
    ticket = _today_ticket(request.form.get("token", "")[:24])
    score, reasons, comment = _posted()
    try:
        ticket = ratings.check_rateable(ticket)
    except ratings.RatingError as error:
        return _number_page(str(error.message), status=409 if error.code == "rated" else 422)
    try:
        rated = ratings.rate(ticket, score, reasons, comment, "kiosk")
    except ratings.RatingError as error:
        return render_template("kiosk/rate_form.html", **_form_context(
            ticket, score=score, reasons=reasons, comment=comment,
            error=str(error.message))), 409 if error.code == "rated" else 422
    return render_template("kiosk/rate_thanks.html", message=thanks_message(rated),
                           bad=rated.followup is not None), 200


# --------------------------------------------------------------------------- counter


def _window(number: int) -> Window:
    window = db.session.scalar(select(Window).where(Window.number == number))
    if window is None or not window.enabled:
        raise NotFound(_("没有 %(n)d 号窗口。", n=number))
    return window


@bp.get("/window/<int:number>")
def window_face(number: int) -> str:
    """The tablet facing the citizen at a window. Its own idle handling (window_face.js)
    returns it to this page, not to the kiosk's start screen."""
    window = _window(number)
    return render_template(
        "kiosk/window_face.html", window=window, idle_armed=False,
        offer_seconds=_offer_seconds(),
        poll_seconds=int(current_app.config.get("RATING_COUNTER_POLL_SECONDS", POLL_SECONDS)),
        grades=[(int(s), ratings.GRADE_LABELS[s]) for s in sorted(Score, reverse=True)],
        good=ratings.GOOD_REASONS, bad=ratings.BAD_REASONS, comment_max=ratings.COMMENT_MAX)


@bp.get("/window/<int:number>/reset")
def window_reset(number: int) -> Response:
    """Forget the last citizen's choices (elder mode, language) and show the idle face."""
    session.clear()
    refresh()  # Flask-Babel caches the locale per context; the choice just went
    return redirect(url_for("kiosk.window_face", number=_window(number).number))


def window_state(window: Window) -> dict[str, Any]:
    """``GET /api/windows/<n>``: the window's current ticket and the rating on offer."""
    now = utcnow()
    current = queue.current_ticket(window.id)
    offer = ratings.offer_at_window(window.id, _offer_seconds(), now)
    return {
        "window": window.number, "name": window.name or _("%(n)d 号窗口", n=window.number),
        "open": bool(window.clerk_id) and not window.paused, "paused": window.paused,
        "current": None if current is None else {
            "number": current.number, "service": current.service.name,
            "status": current.status,
            "called_at": current.called_at.isoformat() if current.called_at else None},
        "rate": None if offer is None else {
            "token": offer.token, "number": offer.number, "service": offer.service.name,
            "finished_at": offer.finished_at.isoformat() if offer.finished_at else None},
        "offer_seconds": _offer_seconds(),
    }


@public.get("/api/windows/<int:number>")
def window_api(number: int) -> Response:
    return jsonify(window_state(_window(number)))


def _json_error(message: str, code: str, status: int) -> tuple[Response, int]:
    return jsonify({"ok": False, "code": code, "message": message}), status


@public.post("/api/windows/<int:number>/rating")
@limiter.limit(_submit_limit)
def window_rate(number: int) -> tuple[Response, int]:
    """The counter-facing page's rating: JSON ``{token, score, reasons, comment}``."""
    window = _window(number)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _json_error(_("请求格式不对。"), "bad_request", 400)
    token = data.get("token")
    ticket = queue.ticket_by_token(token) if isinstance(token, str) else None
    if ticket is None or ticket.window_id != window.id:
        return _json_error(_("没有找到这张号，请核对后再试。"), "unknown", 404)
    reasons = data.get("reasons", [])
    if not isinstance(reasons, list):
        return _json_error(_("所选原因与评价等级不符，请重新选择。"), "bad_reason", 422)
    try:
        rated = ratings.rate(ticket, data.get("score"), reasons, data.get("comment", ""),
                             "counter")
    except ratings.RatingError as error:
        return _json_error(str(error.message), error.code, 409 if error.code == "rated" else 422)
    return jsonify({"ok": True, "bad": rated.followup is not None,
                    "message": thanks_message(rated)}), 201


# --------------------------------------------------------------------------- phone


def _phone(template_vars: dict[str, Any], status: int = 200) -> tuple[str, int]:
    return render_template("kiosk/rate_phone.html", **template_vars), status


def _phone_ticket(token: str) -> tuple[Ticket, str]:
    ticket = queue.ticket_by_token(token)
    if ticket is None:
        raise NotFound(_("没有找到这张号。"))
    return ticket, f"/t/{ticket.token}"  # the ticket's own page (kiosk/queue.py)


def _not_rateable(ticket: Ticket, back: str) -> tuple[str, int] | None:
    try:
        ratings.check_rateable(ticket)
    except ratings.RatingError as error:
        return _phone({"ticket": ticket, "notice": str(error.message), "back": back},
                      409 if error.code == "rated" else 200)
    return None


@public.get("/t/<token>/rate")
def phone_rate(token: str) -> tuple[str, int]:
    """The phone version: the ticket's own page links here once it is done."""
    ticket, back = _phone_ticket(token)
    refused = _not_rateable(ticket, back)
    return refused or _phone({**_form_context(ticket), "back": back})


@public.post("/t/<token>/rate")
@limiter.limit(_submit_limit)
def phone_rate_submit(token: str) -> tuple[str, int]:
    ticket, back = _phone_ticket(token)
    refused = _not_rateable(ticket, back)
    if refused is not None:
        return refused
    score, reasons, comment = _posted()
    try:
        rated = ratings.rate(ticket, score, reasons, comment, "phone")
    except ratings.RatingError as error:
        return _phone({**_form_context(ticket, score=score, reasons=reasons, comment=comment,
                                       error=str(error.message)), "back": back},
                      409 if error.code == "rated" else 422)
    return _phone({"ticket": ticket, "thanks": thanks_message(rated), "back": back,
                   "bad": rated.followup is not None})


def init_app(app: Flask) -> None:
    """Register the phone page and the counter-facing page's JSON (the kiosk pages ride on
    ``kiosk.views.bp``)."""
    app.register_blueprint(public)
