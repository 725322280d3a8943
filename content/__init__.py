"""Policies, interpretations, guides, notices and the disclosure catalog; search; import/export."""

from __future__ import annotations

from flask import Flask

from content import (  # noqa: F401  (models registers tables)
    cli,
    demo,
    models,
    schedule,
    search,
    staff,
    staff_media,
    staff_transfer,
    stats,
    views,
)


def init_app(app: Flask) -> None:
    views.init_app(app)
    cli.init_app(app)
    demo.init_app(app)
    search.init_app(app)
    stats.init_app(app)
    schedule.init_app(app)
    staff_media.init_app(app)
    staff_transfer.init_app(app)
    staff.init_app(app)
