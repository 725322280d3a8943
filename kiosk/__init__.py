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

#: Defaults of the kiosk's own settings (an instance config or GONGKAI_* may change them).
DEFAULTS: dict[str, object] = {
    # Writes one terminal may make (flask-limiter notation), beyond those of tickets, ratings,
    # suggestions and applications: the application form's steps (start and each step share
    # it) and the elder-mode switch; "打印二维码" slips; read-aloud audio (espeak-ng costs CPU;
    # an article is read in pieces of a paragraph or so).
    "KIOSK_FORM_RATE_LIMIT": "60 per minute;600 per hour",
    "PRINT_RATE_LIMIT": "10 per minute;60 per hour",
    "SPEECH_RATE_LIMIT": "60 per minute;600 per hour",
}


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    views.init_app(app)
    api.init_app(app)
    speech.init_app(app)
    queue.init_app(app)
    rating.init_app(app)
    disclosure.init_app(app)
