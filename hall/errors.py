"""Error pages: large and friendly on the kiosk, JSON under ``/api``; never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from hall.extensions import db

log = logging.getLogger(__name__)


def _message(code: int) -> str:
    messages = {
        400: _("您提交的内容有误，请检查后再试。"),
        401: _("请先登录。"),
        403: _("您没有权限进行这个操作。"),
        404: _("没有找到这个页面，它可能已被移除。"),
        405: _("这个操作不被支持。"),
        413: _("上传的内容太大了。"),
        429: _("操作太频繁了，请稍等片刻再试。"),
        503: _("系统繁忙，请稍后再试。"),
    }
    return messages.get(code, _("系统暂时出了点问题，请稍后再试，或向工作人员求助。"))


def _render(error: HTTPException) -> tuple[Response | str, int]:
    code = error.code or 500
    message = _message(code)
    if isinstance(error, CSRFError):
        message = _("页面已过期或来源不明，操作没有执行。请刷新页面后重试。")
    if (request.path.startswith("/api/") or request.is_json
            or request.accept_mimetypes.best == "application/json"):
        return jsonify(error=message, status=code), code
    if request.path.startswith("/staff"):
        return render_template("hall/staff/error.html", code=code, message=message), code
    return render_template("hall/error.html", code=code, message=message), code


def _unexpected(error: Exception) -> tuple[Response | str, int]:
    log.exception("unhandled error on %s", request.path)
    return _render(InternalServerError())


#: Seconds a client refused while the database is away is asked to wait before sending again.
RETRY_AFTER_SECONDS = 5


def _database_unavailable(error: DBAPIError) -> Response | tuple[Response | str, int]:
    """The database is locked past the busy wait, full, restarting or unreachable (an
    ``OperationalError``, or a connection that broke): a 503 "系统繁忙" that may be sent again,
    not a 500. Nothing was committed. Only the driver's one-line reason is logged, never the
    statement's parameters, which may hold personal data."""
    if not isinstance(error, OperationalError) and not error.connection_invalidated:
        return _unexpected(error)
    reason = (str(error.orig).strip().splitlines() or [""])[0][:120]
    log.warning("database unavailable on %s: %s %s", request.path,
                type(error.orig).__name__, reason)
    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass  # the connection is gone already; the session is removed at teardown
    try:
        body, code = _render(ServiceUnavailable())
        response = make_response(body, code)
    except Exception:  # the page itself needed the database (a staff page's menu)
        response = make_response(_message(503), 503, {"Content-Type": "text/plain; charset=utf-8"})
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _render)
    app.register_error_handler(DBAPIError, _database_unavailable)
    app.register_error_handler(Exception, _unexpected)
