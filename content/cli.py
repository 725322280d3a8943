"""``gongkai demo`` and ``gongkai content ...`` commands."""

from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup

content_cli = AppGroup("content", help="Import, export and reindex published content.")


def init_app(app: Flask) -> None:
    app.cli.add_command(content_cli)
