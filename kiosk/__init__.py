"""Citizen touch pages: thin views over content (and later tickets, disclosure, printer)."""

from __future__ import annotations

from flask import Flask

from kiosk import api, pages, speech, views  # noqa: F401  (pages adds its routes to views.bp)


def init_app(app: Flask) -> None:
    views.init_app(app)
    api.init_app(app)
    speech.init_app(app)
