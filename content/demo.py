"""``gongkai demo``: seed the hall with demo content (stub; filled in by the demo work)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the ``demo`` command."""
