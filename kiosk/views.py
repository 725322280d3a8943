"""Kiosk pages."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk", template_folder="templates",
               static_folder="static", static_url_path="/static")


@bp.get("/")
def index() -> str:
    return "kiosk"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
