"""Kiosk pages of citizens' voice: "意见建议" (file a suggestion, get a code and key on screen
and on a slip, look the answer up, read the published answers) and "征求意见" (read open
consultations like an article and comment while they are open; closed ones show the summary
and 采纳情况).

Thin: parse the form, call ``feedback``, render. Every write is rate-limited per terminal and
committed before the answer. The code and key of a new suggestion live only in the session
(never in an address), so the idle reset wipes them with everything else.
"""

from __future__ import annotations

import math
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from feedback import consultations, suggestions
from feedback.downloads import document_response
from feedback.errors import FeedbackError
from feedback.labels import CATEGORY_LABELS, category_label, status_label
from feedback.models import Consultation, Suggestion, SuggestionStatus
from hall.db import utcnow
from hall.extensions import limiter
from kiosk import keyboard
from kiosk.printing import BUSY, FLASH_PREFIX, PRINTING, UNAVAILABLE
from kiosk.qr import qr_svg
from kiosk.views import bp, found, int_arg
from printer import QR, Align, Separator, Slip, Text, spool
from printer.spool import JobKind

RECEIPT_KEY = "feedback_receipt"
ANSWERS_PAGE_SIZE = 10
_NOT_ANSWERED = (SuggestionStatus.NEW.value, SuggestionStatus.ASSIGNED.value)


def _limit(key: str) -> Any:
    return lambda: current_app.config[key]


def _public_url(path: str) -> str:
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + path


def _terminal() -> str:
    return request.remote_addr or ""


def _form_values() -> dict[str, Any]:
    form = request.form
    return {"category": form.get("category", ""), "text": form.get("text", ""),
            "consent": form.get("consent") == "1", "name": form.get("name", ""),
            "phone": form.get("phone", "")}


# -- suggestions ------------------------------------------------------------------------------

@bp.route("/suggest", methods=["GET", "POST"])
@limiter.limit(_limit("SUGGESTION_RATE_LIMIT"), methods=["POST"])
def suggest() -> ResponseReturnValue:
    """The form (GET) and filing (POST): on success the code and key screen."""
    values: dict[str, Any] = {"category": "", "text": "", "consent": False, "name": "",
                              "phone": ""}
    error = ""
    status = 200
    if request.method == "POST":
        values = _form_values()
        try:
            row = suggestions.submit(values["category"], values["text"],
                                     consent=values["consent"], name=values["name"],
                                     phone=values["phone"], terminal=_terminal())
        except FeedbackError as refused:
            error, status = str(refused.message), 422
        else:
            session[RECEIPT_KEY] = {"id": row.id, "code": row.code, "key": row.lookup_key}
            return redirect(url_for("kiosk.suggest_done"), 303)
    keyboard.warm()
    config = current_app.config
    return render_template("kiosk/feedback.html", values=values, error=error,
                           categories=CATEGORY_LABELS,
                           min_chars=config["SUGGESTION_MIN_CHARS"],
                           max_chars=config["SUGGESTION_MAX_CHARS"]), status


def _receipt() -> dict[str, Any] | None:
    receipt = session.get(RECEIPT_KEY)
    return receipt if isinstance(receipt, dict) and "code" in receipt else None


def _lookup_url(code: str, key: str) -> str:
    return _public_url(url_for("kiosk.suggest_lookup", code=code, key=key))


@bp.get("/suggest/done")
def suggest_done() -> ResponseReturnValue:
    receipt = _receipt()
    if receipt is None:
        return redirect(url_for("kiosk.suggest"))
    url = _lookup_url(receipt["code"], receipt["key"])
    return render_template("kiosk/feedback_done.html", receipt=receipt,
                           qr=qr_svg(url, _("用手机扫码查询答复")))


def receipt_slip(code: str, key: str, qr_payload: str) -> Slip:
    """The slip of a filed suggestion: code and key large, how to look the answer up."""
    hall = str(current_app.config["HALL_NAME"])
    return Slip(title=_("意见建议回执"), body=(
        Text(hall, Align.CENTER),
        Separator(),
        Text(_("查询编号"), Align.CENTER),
        Text(code, Align.CENTER, bold=True, double=True),
        Text(_("查询密码"), Align.CENTER),
        Text(key, Align.CENTER, bold=True, double=True),
        Separator(),
        Text(_("请妥善保管本回执。凭编号和密码可在自助终端“意见建议—查询答复”查看办理结果，"
               "或用手机扫描下方二维码。")),
        QR(qr_payload),
    ), footer=_("感谢您的意见和建议"))


def _print_answer(state: str, job: Any = None) -> Response:
    messages = {
        PRINTING: _("正在打印…"),
        "done": _("已打印，请在打印机出口取走"),
        UNAVAILABLE: _("打印机暂时无法打印，请记下屏幕上的编号和密码，或用手机扫码"),
        BUSY: _("打印机正忙，请稍后再试"),
    }
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == \
            "application/json":
        body: dict[str, Any] = {"state": state, "message": messages[state]}
        if job is not None:
            body["poll"] = url_for("kiosk.print_job_state", token=job.token)
        return jsonify(body)
    flash(messages[state], FLASH_PREFIX + state)
    return redirect(url_for("kiosk.suggest_done"), 303)


@bp.post("/suggest/print")
@limiter.limit(_limit("SUGGESTION_RATE_LIMIT"))
def suggest_print() -> Response:
    """Print the slip of the suggestion just filed on this terminal (from the session)."""
    receipt = _receipt()
    if receipt is None:
        abort(404)
    name = spool.printer_for_terminal(request.remote_addr)
    if name is None or spool.cannot_print(spool.cached_status(name)):
        return _print_answer(UNAVAILABLE)
    if spool.waiting_count(name) >= int(current_app.config["KIOSK_PRINT_MAX_WAITING"]):
        return _print_answer(BUSY)
    slip = receipt_slip(receipt["code"], receipt["key"],
                        _lookup_url(receipt["code"], receipt["key"]))
    job = spool.enqueue(name, JobKind.RECEIPT, slip)
    return _print_answer(PRINTING, job)


def _lookup_exempt() -> bool:
    """Opening the empty form costs nothing; every try of a code and key counts."""
    return request.method == "GET" and not request.args.get("key")


@bp.route("/suggest/lookup", methods=["GET", "POST"])
@limiter.limit(_limit("SUGGESTION_LOOKUP_RATE_LIMIT"), exempt_when=_lookup_exempt)
def suggest_lookup() -> ResponseReturnValue:
    """Code + key → status and the reply (if answered); never the contact. The kiosk posts
    the form; the slip's QR code opens it with both in the address, on the citizen's phone."""
    values = request.form if request.method == "POST" else request.args
    code, key = values.get("code", "").strip()[:40], values.get("key", "").strip()[:20]
    row: Suggestion | None = None
    error = ""
    status = 200
    if code or key:
        if not code or not key:
            error, status = _("请填写查询编号和查询密码。"), 422
        else:
            row = suggestions.lookup(code, key)
            if row is None:
                error, status = _("没有找到，请核对编号和密码（密码不区分大小写）。"), 404
    return render_template("kiosk/feedback_lookup.html", code=code, key=key, row=row,
                           error=error, category_label=category_label,
                           status_label=status_label,
                           answered=row is not None and row.status not in _NOT_ANSWERED
                           and bool(row.reply)), status


@bp.get("/suggest/answers")
def suggest_answers() -> str:
    page = int_arg("page", high=10_000) or 1
    rows, total = suggestions.published(ANSWERS_PAGE_SIZE, (page - 1) * ANSWERS_PAGE_SIZE)
    return render_template("kiosk/feedback_answers.html", rows=rows, page=page,
                           pages=math.ceil(total / ANSWERS_PAGE_SIZE),
                           category_label=category_label)


# -- consultations ----------------------------------------------------------------------------

@bp.get("/consult")
def consult() -> str:
    rows = consultations.public_list()
    now = utcnow()
    return render_template("kiosk/consultations.html", rows=rows, now=now,
                           counts=consultations.comment_counts([r.id for r in rows]))


def _consultation(consultation_id: int) -> Consultation:
    row: Consultation = found(consultations.public_or_none(consultation_id))
    return row


@bp.route("/consult/<int:consultation_id>", methods=["GET"])
def consultation(consultation_id: int) -> str:
    row = _consultation(consultation_id)
    keyboard.warm()
    return _consultation_page(row)


def _consultation_page(row: Consultation, *, values: dict[str, Any] | None = None,
                       error: str = "") -> str:
    return render_template(
        "kiosk/consultation.html", row=row, now=utcnow(), error=error,
        accepting=row.accepts_comments(utcnow()),
        values=values or {"text": "", "consent": False, "name": "", "phone": ""},
        max_chars=current_app.config["COMMENT_MAX_CHARS"])


@bp.post("/consult/<int:consultation_id>/comment")
@limiter.limit(_limit("COMMENT_RATE_LIMIT"))
def consultation_comment(consultation_id: int) -> ResponseReturnValue:
    """A comment; a closed (or not yet open) consultation refuses it with a clear message."""
    row = _consultation(consultation_id)
    values = _form_values()
    try:
        consultations.add_comment(row, values["text"], consent=values["consent"],
                                  name=values["name"], phone=values["phone"],
                                  terminal=_terminal())
    except FeedbackError as refused:
        status = 409 if refused.code in ("closed", "not_yet") else 422
        return _consultation_page(row, values=values, error=str(refused.message)), status
    flash(_("您的意见已提交，感谢参与！"), "feedback-comment")
    return redirect(url_for("kiosk.consultation", consultation_id=row.id,
                            _anchor="comment-form"), 303)


@bp.get("/consult/<int:consultation_id>/documents/<int:document_id>")
def consultation_document(consultation_id: int, document_id: int) -> Response:
    row = _consultation(consultation_id)
    doc = next((d for d in row.documents if d.id == document_id), None)
    return document_response(found(doc))

