"""Hall-wide routes: the root redirect and a health check."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, redirect, url_for
from sqlalchemy import text
from werkzeug.wrappers import Response

from hall.extensions import db

bp = Blueprint("hall", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/hall")


@bp.get("/")
def root() -> Response:
    return redirect(url_for("kiosk.index"))


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means unhealthy; the message says which
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
