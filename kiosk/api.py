"""The kiosk's JSON API (stub; ``/api/search`` comes with the search work)."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("kiosk_api", __name__, url_prefix="/api")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
