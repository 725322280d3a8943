"""The queue: services, windows, tickets, calling, the lobby call's voice, ratings."""

from __future__ import annotations

from flask import Flask

from tickets import models  # noqa: F401  (the tables, for migrations)


def init_app(app: Flask) -> None:
    """Register the queue's pages, API, staff pages, CLI and demo step."""
