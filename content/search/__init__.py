"""Chinese full-text and pinyin search over published content (stub; filled in by search work)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Connect the index to content signals and add ``gongkai content reindex``."""
