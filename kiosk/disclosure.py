"""Kiosk pages of 依申请公开 (applications for disclosure): the intro with its two paths (fill
it in here, or have staff fill it in: 代为填写), the form in steps, the review, the receipt
(on screen and on a slip), the status lookup, and the phone page the slip's QR code opens
(``/track/<token>``).

Thin: parse, call ``disclosure.workflow``, render. The values typed so far never travel in an
address nor live in the cookie: they are a sealed server-side draft (``kiosk.drafts``) whose
random id is in the session. Every page of the form is ``no-store``, so the browser keeps no
copy of it; filing, "完成" and the idle reset delete the draft, and the done page shows only
masked values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from disclosure import workflow
from disclosure.deadlines import REPLY_WORKDAYS
from disclosure.models import ApplicantType, Application, Channel
from disclosure.personal import ID_TYPES, mask_name
from hall.extensions import db, limiter
from kiosk import drafts, keyboard
from kiosk.qr import qr_svg
from kiosk.views import bp, chinese_date
from printer import receipt_slip, spool
from printer.spool import JobKind

log = logging.getLogger(__name__)

#: The phone page lives outside ``/kiosk``: phones open it from the slip, not the kiosk.
track_bp = Blueprint("disclosure_track", __name__)

DRAFT_KEY = "apply_draft"
RECEIPT_KEY = "apply_receipt"
#: Anything longer than this is cut before it is even checked (the real limits are smaller).
MAX_RAW_CHARS = 20_000
ORGANISATION_TYPES = [t for t in ApplicantType if t != ApplicantType.PERSON]


@dataclass(frozen=True)
class Step:
    name: str
    title: Any
    fields: tuple[str, ...]
    keyboard: bool = False


STEPS: tuple[Step, ...] = (
    Step("type", _l("申请人类型"), ("applicant_type",)),
    Step("applicant", _l("申请人"), ("name", "contact_person"), keyboard=True),
    Step("identity", _l("身份证明"), ("id_type", "id_number"), keyboard=True),
    Step("info", _l("所需信息"), ("info_title", "info_doc_number", "info_description"),
         keyboard=True),
    Step("delivery", _l("形式和获取方式"), ("info_format", "delivery")),
    Step("contact", _l("联系方式"), ("phone", "address", "email"), keyboard=True),
    Step("consent", _l("个人信息使用说明"), ("consent",)),
)
STEP_NAMES = [s.name for s in STEPS]


def _limit(key: str) -> Callable[[], str]:
    return lambda: str(current_app.config[key])


def _public_url(path: str) -> str:
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + path


def _no_store(view: Callable[..., ResponseReturnValue]) -> Callable[..., Response]:
    """The form's pages hold personal data: the browser must keep no copy (back, cache)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapped


# -- the draft -------------------------------------------------------------------------------

def _draft() -> dict[str, Any] | None:
    key = session.get(DRAFT_KEY)
    return drafts.load(key) if isinstance(key, str) else None


def _save(values: dict[str, Any]) -> None:
    drafts.save(session[DRAFT_KEY], values)


def _wipe() -> None:
    """Forget the form and its receipt: the draft on the server and both session keys."""
    key = session.pop(DRAFT_KEY, None)
    if isinstance(key, str):
        drafts.take(key)
    session.pop(RECEIPT_KEY, None)


@bp.before_request
def _wipe_on_reset() -> None:
    """The idle reset (``/kiosk/reset``) clears the session; the draft it names goes first."""
    if request.endpoint == "kiosk.reset":
        _wipe()


def _input(values: dict[str, Any]) -> workflow.ApplicationInput:
    known = {f.name for f in dataclasses.fields(workflow.ApplicationInput)}
    return workflow.ApplicationInput(**{k: v for k, v in values.items() if k in known})


def _step(name: str) -> Step:
    for step in STEPS:
        if step.name == name:
            return step
    raise NotFound()


def _neighbours(step: Step) -> tuple[str | None, str]:
    """The previous step's address (None on the first) and where "下一步" leads."""
    at = STEP_NAMES.index(step.name)
    back = url_for("kiosk.apply_step", name=STEP_NAMES[at - 1]) if at else None
    forward = (url_for("kiosk.apply_step", name=STEP_NAMES[at + 1]) if at + 1 < len(STEPS)
               else url_for("kiosk.apply_review"))
    return back, forward


def _first_step_of(errors: dict[str, str]) -> Step:
    return next((s for s in STEPS if set(s.fields) & set(errors)), STEPS[0])


def _posted(step: Step) -> dict[str, Any]:
    """This step's fields from the form (a field the step lacks is left as it was)."""
    out: dict[str, Any] = {}
    for name in step.fields:
        if name == "consent":
            out[name] = request.form.get("consent") == "1"
        elif name in request.form:
            out[name] = request.form.get(name, "")[:MAX_RAW_CHARS]
    return out


def _step_errors(step: Step, values: dict[str, Any]) -> dict[str, str]:
    errors = workflow.validate(_input(values))
    if values.get("applicant_type") == ApplicantType.PERSON:
        errors.pop("contact_person", None)
    return {k: v for k, v in errors.items() if k in step.fields}


def _echo(values: dict[str, Any]) -> dict[str, Any]:
    """What the page shows back after a refusal: never more than a field may hold."""
    return {k: v[:workflow.MAX_LENGTHS.get(k, MAX_RAW_CHARS)] if isinstance(v, str) else v
            for k, v in values.items()}


def _render_step(step: Step, values: dict[str, Any], errors: dict[str, str] | None = None,
                 status: int = 200) -> ResponseReturnValue:
    if step.keyboard:
        keyboard.warm()
    back, _forward = _neighbours(step)
    return render_template(
        "kiosk/apply_step.html", step=step, steps=STEPS, number=STEP_NAMES.index(step.name) + 1,
        values=values, errors=errors or {}, back=back, id_types=ID_TYPES,
        organisation_types=ORGANISATION_TYPES, labels=workflow.APPLICANT_TYPE_LABELS,
        formats=workflow.FORMATS, deliveries=workflow.DELIVERIES,
        max_lengths=workflow.MAX_LENGTHS,
        retention_years=current_app.config["DISCLOSURE_RETENTION_YEARS"]), status


@bp.app_template_filter("iso_zh_date")
def _iso_zh_date(value: str | None) -> str:
    """``2026-10-28`` (as :func:`workflow.public_status` gives dates) → ``2026年10月28日``."""
    if not value:
        return ""
    try:
        return chinese_date(dt.date.fromisoformat(value))
    except ValueError:
        return value


# -- pages -----------------------------------------------------------------------------------

@bp.get("/apply")
def apply() -> ResponseReturnValue:
    """依申请公开: what it is, what is needed, free, 20 working days; two ways to apply."""
    return render_template("kiosk/apply.html", reply_workdays=REPLY_WORKDAYS,
                           has_draft=_draft() is not None)


@bp.post("/apply/start")
@limiter.shared_limit(_limit("KIOSK_FORM_RATE_LIMIT"), scope="kiosk-form")
def apply_start() -> Response:
    """A fresh draft (any earlier one on this kiosk is dropped) with its own request key."""
    _wipe()
    key = secrets.token_urlsafe(24)
    session[DRAFT_KEY] = key
    drafts.save(key, {"request_key": secrets.token_urlsafe(24),
                      "applicant_type": ApplicantType.PERSON.value, "id_type": "resident_id",
                      "info_format": "paper", "delivery": "pickup"})
    return redirect(url_for("kiosk.apply_step", name=STEPS[0].name), 303)


def _expired() -> Response:
    flash(_("填写已超时或已清除，请重新开始。"), "apply")
    return redirect(url_for("kiosk.apply"), 303)


@bp.route("/apply/step/<name>", methods=["GET", "POST"])
@limiter.shared_limit(_limit("KIOSK_FORM_RATE_LIMIT"), scope="kiosk-form", methods=["POST"])
@_no_store
def apply_step(name: str) -> ResponseReturnValue:
    """One step of the form: GET shows it with what was typed so far, POST checks this step's
    fields on the server and moves on (or shows the reason, 422)."""
    step = _step(name)
    values = _draft()
    if values is None:
        return _expired()
    if request.method == "GET":
        return _render_step(step, values)
    posted = _posted(step)
    merged = {**values, **posted}
    if step.name == "type" and posted.get("applicant_type") != values.get("applicant_type"):
        # Organisations usually show their unified social credit code; persons an ID card.
        person = posted.get("applicant_type") == ApplicantType.PERSON
        merged["id_type"] = "resident_id" if person else "credit_code"
    errors = _step_errors(step, merged)
    if errors:
        return _render_step(step, _echo(merged), errors, 422)
    _save({**values, **dataclasses.asdict(workflow.clean(_input(merged))),
           "request_key": values["request_key"]})
    return redirect(_neighbours(step)[1], 303)


@bp.get("/apply/review")
@_no_store
def apply_review() -> ResponseReturnValue:
    """Everything typed, in full, with a way back to each step; then 确认提交."""
    values = _draft()
    if values is None:
        return _expired()
    errors = workflow.validate(_input(values))
    if values.get("applicant_type") == ApplicantType.PERSON:
        errors.pop("contact_person", None)
    if errors:
        return redirect(url_for("kiosk.apply_step", name=_first_step_of(errors).name), 303)
    return render_template("kiosk/apply_review.html", values=values, steps=STEPS,
                           labels=workflow.APPLICANT_TYPE_LABELS, id_types=dict(ID_TYPES),
                           formats=dict(workflow.FORMATS),
                           deliveries=dict(workflow.DELIVERIES))


def receipt_of(app: Application, printed: bool) -> dict[str, Any]:
    """What the done page shows (and the session keeps until 完成): masked values only."""
    return {"number": app.number, "token": app.token,
            "received_on": app.received_on.isoformat(), "due_on": app.due_on.isoformat(),
            "name": mask_name(app.name, app.applicant_type), "id": app.id_masked,
            "phone": app.phone_masked, "printed": printed}


def _track_url(token: str) -> str:
    return _public_url(url_for("disclosure_track.track", token=token))


def print_receipt(app: Application, terminal: str | None) -> bool:
    """Queue the receipt slip on the terminal's printer; True when it is on its way. The
    application is committed already: a missing or busy printer costs the slip only."""
    name = spool.printer_for_terminal(terminal)
    if name is None or spool.cannot_print(spool.cached_status(name)):
        return False
    if spool.waiting_count(name) >= int(current_app.config["KIOSK_PRINT_MAX_WAITING"]):
        return False
    slip = receipt_slip(
        hall=str(current_app.config["HALL_NAME"]), application_no=app.number,
        received_on=app.received_on, deadline=app.due_on,
        applicant=mask_name(app.name, app.applicant_type), phone_masked=app.phone_masked,
        id_masked=app.id_masked, qr_payload=_track_url(app.token),
        footer=_("凭申请编号和手机号码后四位，可在自助终端“依申请公开—查询进度”查询，"
                 "也可用手机扫码查询。如有疑问，请咨询政务公开专区工作人员。"))
    try:
        spool.enqueue(name, JobKind.RECEIPT, slip)
    except (ValueError, SQLAlchemyError):
        db.session.rollback()
        log.exception("receipt of %s not printed on %s", app.number, name)
        return False
    return True


@bp.post("/apply/submit")
@limiter.limit(_limit("DISCLOSURE_FILE_RATE_LIMIT"))
@_no_store
def apply_submit() -> ResponseReturnValue:
    """File the application (committed before the answer), print the slip, show the
    receipt. A second tap, or the same form sent twice, gives the same application."""
    values = _draft()
    if values is None:
        if isinstance(session.get(RECEIPT_KEY), dict):
            return redirect(url_for("kiosk.apply_done"), 303)
        return _expired()
    try:
        app = workflow.file_application(
            _input(values), channel=Channel.KIOSK, terminal=request.remote_addr or "",
            request_key=values.get("request_key"))
    except workflow.InvalidApplication as refused:
        step = _first_step_of(refused.errors)
        return _render_step(step, values, refused.errors, 422)
    # Only the request that takes the draft prints: a double tap gets one slip.
    first = drafts.take(session.pop(DRAFT_KEY)) is not None
    session[RECEIPT_KEY] = receipt_of(app, first and print_receipt(app, request.remote_addr))
    return redirect(url_for("kiosk.apply_done"), 303)


@bp.get("/apply/done")
@_no_store
def apply_done() -> ResponseReturnValue:
    """The receipt on screen: number, dates, masked name and ID, QR to the phone page."""
    receipt = session.get(RECEIPT_KEY)
    if not isinstance(receipt, dict) or "number" not in receipt:
        return redirect(url_for("kiosk.apply"))
    return render_template("kiosk/apply_done.html", receipt=receipt,
                           qr=qr_svg(_track_url(receipt["token"]), _("用手机扫码查询办理进度")))


@bp.post("/apply/finish")
def apply_finish() -> Response:
    """完成 (or 放弃填写): wipe the form and the receipt, back to the start screen."""
    _wipe()
    return redirect(url_for("kiosk.index"), 303)


def _lookup_exempt() -> bool:
    return request.method == "GET"


@bp.route("/apply/status", methods=["GET", "POST"])
@limiter.limit(_limit("DISCLOSURE_LOOKUP_RATE_LIMIT"), exempt_when=_lookup_exempt)
@_no_store
def apply_status() -> ResponseReturnValue:
    """查询进度: application number + the phone's last 4 digits → status and dates only."""
    number = request.form.get("number", "").strip()[:40]
    last4 = request.form.get("last4", "").strip()[:10]
    status: dict[str, Any] | None = None
    error = ""
    code = 200
    if request.method == "POST":
        if not number or not last4:
            error, code = _("请填写申请编号和手机号码后四位。"), 422
        else:
            app = workflow.lookup(number, last4)
            if app is None:
                error, code = _("没有找到这份申请，请核对申请编号和手机号码后四位。"), 404
            else:
                status = workflow.public_status(app)
    if status is None:
        keyboard.warm()
    return render_template("kiosk/apply_status.html", number=number if status is None else "",
                           status=status, error=error), code


@track_bp.get("/track/<token>")
def track(token: str) -> ResponseReturnValue:
    """The slip's QR code on the citizen's phone: the application's status, nothing personal."""
    app = workflow.by_token(token)
    hall = current_app.config["HALL_NAME"]
    if app is None:
        response = make_response(render_template("kiosk/track.html", status=None,
                                                  hall_name=hall), 404)
    else:
        response = make_response(render_template("kiosk/track.html", hall_name=hall,
                                                  status=workflow.public_status(app)))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def init_app(app: Flask) -> None:
    """The draft store and the phone page (the kiosk routes ride on ``kiosk.views.bp``)."""
    drafts.init_app(app)
    app.register_blueprint(track_bp)
