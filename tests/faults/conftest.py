"""Fixtures of the fault tests: a fresh migrated database of the test's own (a copy of the
session's SQLite template, or a PostgreSQL database made for the test and dropped after)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import PG_URL, USE_PG, _migrate
from tests.faults.support import Launcher, Site


@pytest.fixture(scope="session")
def launcher() -> Iterator[Launcher]:
    """The process the servers are forked from (the hall imported once per session)."""
    started = Launcher()
    yield started
    started.close()


@pytest.fixture
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    """A migrated database and an instance folder nobody else uses."""
    instance = tmp_path / "instance"
    instance.mkdir()
    if not USE_PG:
        path = tmp_path / "gongkai.sqlite3"
        shutil.copyfile(request.getfixturevalue("database_template"), path)
        yield Site(f"sqlite:///{path}", instance, tmp_path)
        return
    name = f"gongkai_fault_{uuid.uuid4().hex[:10]}"
    server, _, _ = PG_URL.rpartition("/")
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _migrate(f"{server}/{name}", tmp_path)
        yield Site(f"{server}/{name}", instance, tmp_path)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
