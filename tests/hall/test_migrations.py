"""Schema changes only through Alembic: the migrations build exactly what the models say."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from hall.app import create_app
from hall.db import include_object
from hall.extensions import db

from ..conftest import new_database


def test_models_match_migrations(app: Flask) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ; run `gongkai db migrate`: {diff}"


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all: a new SQLite file, or a new PostgreSQL database."""
    with new_database(tmp_path, "empty") as url:
        yield url


def test_upgrade_downgrade_upgrade(empty_database: str, tmp_path: Path) -> None:
    config = {"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": empty_database}
    app = create_app(config)
    app.instance_path = str(tmp_path)
    with app.app_context():
        upgrade()
        assert {"policy", "calendar_override"} <= set(inspect(db.engine).get_table_names())
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "policy" in inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()


def test_sqlite_uses_wal(app: Flask) -> None:
    with db.engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            assert conn.dialect.name == "postgresql"
            return
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
