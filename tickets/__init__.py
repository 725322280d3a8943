"""The queue: services, windows, tickets, calling, the lobby call's voice, ratings."""

from __future__ import annotations

from flask import Flask

from tickets import api, demo, models, staff, staff_ratings, staff_voice, voice_views  # noqa: F401


def init_app(app: Flask) -> None:
    """Register the queue's JSON API, staff pages (counter, settings, voice clips, ratings and
    statistics), the voice clips and the demo step."""
    for module in (api, staff, staff_voice, staff_ratings, voice_views, demo):
        module.init_app(app)
