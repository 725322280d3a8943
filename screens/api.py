"""``GET /screens/<name>/state.json``: a screen's state over HTTP (the slow-poll fallback and
what the service worker caches)."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from screens.state import ScreenNotFound, build_state

bp = Blueprint("screens_api", __name__, url_prefix="/screens")


@bp.get("/<name>/state.json")
def state_json(name: str) -> tuple[Response, int] | Response:
    """The full state of screen ``name``; 404 with a JSON error for an unknown name."""
    try:
        state = build_state(name)
    except ScreenNotFound:
        response = jsonify({"type": "error", "code": "unknown_screen",
                            "message": _("没有名为“%(name)s”的屏幕。", name=name)})
        response.headers["Cache-Control"] = "no-store"
        return response, 404
    response = jsonify(state)
    # Always fresh from the server; the service worker keeps its own copy for offline use.
    response.headers["Cache-Control"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
