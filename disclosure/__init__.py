"""Applications for disclosure (依申请公开): filing, workflow to legal deadlines, replies,
the annual report."""

from __future__ import annotations

from flask import Flask

from disclosure import models  # noqa: F401  (the tables, for migrations)


def init_app(app: Flask) -> None:
    """Register the staff pages, the report command and the demo step."""
