"""Policies, interpretations, guides, notices and the disclosure catalog; search; import/export."""

from __future__ import annotations

from flask import Flask

from content import cli, demo, models, search, views  # noqa: F401  (models registers tables)


def init_app(app: Flask) -> None:
    views.init_app(app)
    cli.init_app(app)
    demo.init_app(app)
    search.init_app(app)
