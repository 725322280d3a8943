"""``gongkai serve`` refuses several workers where they could not share their state, and
``GONGKAI_REDIS_URL`` points every one-process store at Redis."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskCliRunner

from hall.app import create_app
from hall.serve import ACCESS_LOG_FORMAT, multi_process_problems


def test_several_workers_on_sqlite_without_redis_are_refused(app: Flask,
                                                               runner: FlaskCliRunner) -> None:
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:////tmp/never-served.sqlite3"
    result = runner.invoke(args=["serve", "--workers", "2"])
    assert result.exit_code == 2
    assert "PostgreSQL" in result.output and "GONGKAI_REDIS_URL" in result.output
    assert "SOCKETIO_MESSAGE_QUEUE" in result.output


def test_redis_url_fills_the_shared_stores_and_satisfies_the_check() -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "t",
                      "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://h/db",
                      "REDIS_URL": "redis://127.0.0.1:6379/0"})
    for key in ("SOCKETIO_MESSAGE_QUEUE", "RATELIMIT_STORAGE_URI", "KIOSK_DRAFT_STORAGE_URI"):
        assert app.config[key] == "redis://127.0.0.1:6379/0"
    assert multi_process_problems(app.config) == []


def test_a_store_set_on_its_own_is_kept() -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "t",
                      "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://h/db",
                      "REDIS_URL": "redis://127.0.0.1:6379/0",
                      "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/3"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


def test_the_access_log_names_the_path_without_the_query_string() -> None:
    assert "%(U)s" in ACCESS_LOG_FORMAT
    assert "%(r)s" not in ACCESS_LOG_FORMAT and "%(q)s" not in ACCESS_LOG_FORMAT
