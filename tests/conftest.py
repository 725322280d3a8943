"""Fixtures: a real database per test (SQLite file, or PostgreSQL when DATABASE_URL is set),
the app, its test client and CLI runner, a live server on a real port and real Chromium."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from sqlalchemy import create_engine, inspect, text
from werkzeug.serving import BaseWSGIServer, make_server

from hall.app import create_app
from hall.config import normalise_url
from hall.extensions import db
from hall.models import StaffUser
from printer.emulator import VirtualPrinter
from tests.pg_support import scratch_database
from tests.staff_support import create_staff, login

PG_URL = normalise_url(os.environ.get("DATABASE_URL", ""))
USE_PG = PG_URL.startswith("postgresql")


@contextmanager
def new_database(tmp_path: Path, stem: str) -> Iterator[str]:
    """The URL of a database with no tables at all: a new SQLite file in ``tmp_path``, or a new
    PostgreSQL database on the run's server (dropped after the block)."""
    if not USE_PG:
        yield f"sqlite:///{tmp_path / (stem + '.sqlite3')}"
        return
    with scratch_database(PG_URL.rpartition("/")[0], "gongkai_mig") as url:
        yield url


def _migrate(url: str, instance: Path) -> None:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "t"})
    app.instance_path = str(instance)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate once per run: a SQLite template file, or a fresh PostgreSQL database."""
    base = tmp_path_factory.mktemp("db")
    if not USE_PG:
        path = base / "template.sqlite3"
        _migrate(f"sqlite:///{path}", base)
        yield str(path)
        return
    with scratch_database(PG_URL.rpartition("/")[0], "gongkai_test") as url:
        _migrate(url, base)
        yield url
        engine = _PG_ENGINES.pop(url, None)
        if engine is not None:
            engine.dispose()


def _database_url(template: str, tmp_path: Path) -> str:
    if not USE_PG:
        path = tmp_path / "gongkai.sqlite3"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    _empty_pg(template)
    return template


_PG_ENGINES: dict[str, Any] = {}


def _empty_pg(url: str) -> None:
    """Empty the run's PostgreSQL database for the next test, as a fresh copy would be: only
    the tables that hold rows are truncated (a TRUNCATE of all ~40 tables made new files for
    each and cost about 0.2 s a test), and every sequence a test moved starts again at 1."""
    engine = _PG_ENGINES.get(url)
    if engine is None:
        engine = _PG_ENGINES[url] = create_engine(url)
    with engine.begin() as conn:
        tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
        probe = " UNION ALL ".join(
            f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
        full = [row[0] for row in conn.execute(text(probe))] if tables else []
        if full:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in full)
                              + " RESTART IDENTITY CASCADE"))
        moved = conn.execute(text("SELECT schemaname, sequencename FROM pg_sequences "
                                  "WHERE last_value IS NOT NULL")).all()
        for schema, name in moved:
            conn.execute(text(f'ALTER SEQUENCE "{schema}"."{name}" RESTART'))


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override in a test module to change configuration."""
    return {}


def _fresh_g() -> None:
    for name in list(vars(g)):
        delattr(g, name)


@pytest.fixture
def app(database_template: str, tmp_path: Path, app_config: dict[str, Any]) -> Iterator[Flask]:
    instance = tmp_path / "instance"
    instance.mkdir()
    config = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": _database_url(database_template, tmp_path),
        "PUBLIC_BASE_URL": "http://hall.example.test",
        # Tests read the registry right after a heartbeat; tests/screens/test_state.py covers
        # heartbeats written together.
        "SCREEN_HEARTBEAT_WRITE_SECONDS": 0,
        **app_config,
    }
    app = create_app(config)
    app.instance_path = str(instance)
    # Each real request gets its own app context and ``g``; here the test's context is shared
    # by every client request, so ``g`` is emptied first thing (a cached CSRF token or signed-in
    # user must not leak from one request into the next).
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[..., StaffUser]:
    """``login_as(Role.EDITOR)``: a new account with those roles, signed in on ``client``."""
    made = 0

    def _login(*roles: str, username: str | None = None) -> StaffUser:
        nonlocal made
        made += 1
        name = username or f"{'-'.join(roles) or 'staff'}{made}"
        user = create_staff(name, *roles)
        response = login(client, name)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return _login


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def vprinter() -> Iterator[VirtualPrinter]:
    """The virtual printer (80 mm) listening on a free port of loopback."""
    with VirtualPrinter(port=0, width_dots=576) as printer:
        yield printer


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The app served on a real port on loopback, in a thread of this process."""
    with LiveServer(app) as server:
        yield server


CHROMIUM = os.environ.get("GONGKAI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright; skipped only where Chromium is not installed."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("GONGKAI_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium not found at {CHROMIUM} but GONGKAI_REQUIRE_BROWSER is set")
        pytest.skip(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
