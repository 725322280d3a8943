"""Citizen touch pages: thin views over content (and later tickets, disclosure, printer)."""

from __future__ import annotations

from flask import Flask

from kiosk import api, views


def init_app(app: Flask) -> None:
    views.init_app(app)
    api.init_app(app)
