"""Fixtures of the fault tests: a fresh migrated database of the test's own (a copy of the
session's SQLite template, or a PostgreSQL database made for the test and dropped after)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PG_URL, USE_PG, _migrate
from tests.faults.support import Launcher, Site
from tests.pg_support import scratch_database


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
    with scratch_database(PG_URL.rpartition("/")[0], "gongkai_fault") as url:
        _migrate(url, tmp_path)
        yield Site(url, instance, tmp_path)
