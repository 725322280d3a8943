"""Citizen touch pages: thin views over content, tickets, disclosure, feedback and printer."""

from __future__ import annotations

from flask import Flask

from kiosk import (  # noqa: F401  (pages and printing add their routes to views.bp)
    api,
    disclosure,
    feedback,
    keyboard,
    pages,
    printing,
    queue,
    rating,
    speech,
    views,
)


def init_app(app: Flask) -> None:
    views.init_app(app)
    api.init_app(app)
    speech.init_app(app)
    queue.init_app(app)
    rating.init_app(app)
    disclosure.init_app(app)
