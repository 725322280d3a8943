"""Citizens' voice: the suggestion box (意见箱) and public consultation on draft decisions
(征求意见). Domain (``suggestions``, ``consultations``) plus the staff pages; the kiosk's
pages are in ``kiosk.feedback`` and the lobby slide in ``screens.state``."""

from __future__ import annotations

from flask import Flask

from feedback import models, staff  # noqa: F401  (models: the tables for Alembic)

#: Defaults of this feature's settings (an instance config or GONGKAI_* may change them).
DEFAULTS: dict[str, object] = {
    # Writes one kiosk terminal may make (flask-limiter notation): an abusive flood is refused
    # with a kind message; a person writing one suggestion never meets the limit.
    "SUGGESTION_RATE_LIMIT": "5 per 10 minutes;20 per hour",
    "COMMENT_RATE_LIMIT": "5 per 10 minutes;20 per hour",
    # Lookups by code and key: enough for a person, far too few to guess keys.
    "SUGGESTION_LOOKUP_RATE_LIMIT": "20 per 10 minutes",
    "SUGGESTION_MIN_CHARS": 5,
    "SUGGESTION_MAX_CHARS": 2000,
    "COMMENT_MAX_CHARS": 2000,
    "CONSULTATION_SUMMARY_MAX_CHARS": 20000,
    # Working days staff have to answer a suggestion (the deadline staff may change).
    "SUGGESTION_ANSWER_WORKDAYS": 15,
    "CONSULTATION_DOCUMENT_MAX_BYTES": 10 * 1024 * 1024,
}


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    staff.init_app(app)
