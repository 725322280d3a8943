"""The application factory: the composition root that registers every feature."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

import content
import disclosure
import feedback
import kiosk
import printer.spool
import printer.staff
import screens
import tickets
from hall import (
    audit_views,  # noqa: F401  (adds its routes to the staff blueprint)
    auth,
    calendar,
    cli,
    dashboard,
    errors,
    i18n,
    logs,
    security,
    serve,
    text,
    timefmt,
    users,  # noqa: F401  (adds its routes to the staff blueprint)
    views,
)
from hall.config import DEFAULTS, database_url, fill_from_redis_url, normalise_url
from hall.extensions import db, limiter, migrate

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the hall's Flask app.

    :param test_config: a mapping applied last, over every other configuration layer.
    """
    app = Flask("hall", instance_relative_config=True)
    text.init_app(app)  # first: requests' text is cleaned at the edge (see hall/text.py)
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("GONGKAI")
    if test_config is not None:
        app.config.from_mapping(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    fill_from_redis_url(app.config)
    if "SQLALCHEMY_DATABASE_URI" not in app.config:
        app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.instance_path)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    logs.init_app(app)

    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Chinese stays readable in JSON
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    limiter.init_app(app)
    features = (content, tickets, feedback, disclosure, kiosk, printer.spool, printer.staff,
                screens)
    for module in (i18n, timefmt, security, errors, calendar, views, cli, serve, dashboard,
                   *features):
        module.init_app(app)
    auth.init_app(app)  # last: every feature has added its staff routes and menu items
    return app


def _instance_secret(instance_path: str) -> str:
    """A per-installation secret kept in the instance folder, made once on first start."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        os.chmod(path, 0o600)
    return path.read_text().strip()
