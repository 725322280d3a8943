"""Kiosk printing: "打印二维码" on a policy page queues a QR slip for this terminal's printer.

The request answers at once (the job is committed, the spool sends it). Scripts get JSON and
ask about their job by its random token only; without JavaScript the form posts and the page
comes back with a message. When the printer is known not to print, nothing is queued and the
citizen is told to scan the QR code on the screen instead.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from content import queries
from content.models import Policy
from hall.extensions import limiter
from kiosk.views import bp, found
from printer import policy_qr_slip, spool
from printer.spool import JobKind, JobStatus, PrintJob

PRINTING, DONE, UNAVAILABLE, BUSY = "printing", "done", "unavailable", "busy"
#: Flash category of the no-script answer; the policy page shows these messages.
FLASH_PREFIX = "print-"


def _messages() -> dict[str, str]:
    return {
        PRINTING: _("正在打印…"),
        DONE: _("已打印，请在打印机出口取走"),
        UNAVAILABLE: _("打印机暂时无法打印，请用手机扫描屏幕上的二维码"),
        BUSY: _("打印机正忙，请稍后再试"),
    }


def policy_slip(doc: Policy) -> Any:
    """The QR slip of a policy: title, 文号, issuer, a short summary, QR to its kiosk page."""
    path = url_for("kiosk.policy", policy_id=doc.id)
    summary = doc.summary or Markup(doc.body_html).striptags()
    return policy_qr_slip(title=doc.title, doc_number=doc.doc_number, issuer=doc.issuer.name,
                          summary=summary,
                          qr_payload=current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path)


def job_state(job: PrintJob) -> str:
    """What the kiosk tells the citizen about a job."""
    if job.status == JobStatus.DONE:
        return DONE
    if job.status == JobStatus.FAILED or (job.attempts > 0 and job.last_error):
        return UNAVAILABLE
    if job.status == JobStatus.PENDING and spool.cannot_print(spool.cached_status(job.printer)):
        return UNAVAILABLE
    return PRINTING


def _answer(doc_id: int, state: str, job: PrintJob | None = None) -> Response:
    message = _messages()[state]
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == \
            "application/json":
        body: dict[str, Any] = {"state": state, "message": message}
        if job is not None:
            body["poll"] = url_for("kiosk.print_job_state", token=job.token)
        return jsonify(body)
    flash(message if state != PRINTING else _("已发送打印，请稍候在打印机出口取走"),
          FLASH_PREFIX + state)
    return redirect(url_for("kiosk.policy", policy_id=doc_id, _anchor="print-form"), 303)


@bp.post("/print/policy/<int:policy_id>")
@limiter.limit(lambda: str(current_app.config["PRINT_RATE_LIMIT"]))
def print_policy(policy_id: int) -> Response:
    doc = found(queries.policy_or_none(policy_id))
    name = spool.printer_for_terminal(request.remote_addr)
    if name is None or spool.cannot_print(spool.cached_status(name)):
        return _answer(doc.id, UNAVAILABLE)
    if spool.waiting_count(name) >= int(current_app.config["KIOSK_PRINT_MAX_WAITING"]):
        return _answer(doc.id, BUSY)
    job = spool.enqueue(name, JobKind.POLICY_QR, policy_slip(doc))
    return _answer(doc.id, PRINTING, job)


@bp.get("/print/jobs/<token>")
def print_job_state(token: str) -> Response:
    job = spool.job_by_token(token)
    if job is None:
        raise NotFound()
    state = job_state(job)
    response = jsonify({"state": state, "message": _messages()[state]})
    response.headers["Cache-Control"] = "no-store"
    return response
