"""The frame: factory, config layers, headers, errors, health."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from hall.app import create_app
from hall.cli import addresses
from hall.config import normalise_url


def test_test_config_wins(app: Flask) -> None:
    assert app.testing
    assert app.config["PUBLIC_BASE_URL"] == "http://hall.example.test"


def test_env_layer(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("GONGKAI_HALL_NAME", "崇义县政务服务中心")
    monkeypatch.setenv("GONGKAI_KIOSK_IDLE_SECONDS", "120")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert app.config["HALL_NAME"] == "崇义县政务服务中心"
    assert app.config["KIOSK_IDLE_SECONDS"] == 120


def test_postgres_urls_use_psycopg3() -> None:
    assert normalise_url("postgresql://postgres@h/db") == "postgresql+psycopg://postgres@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x") == "sqlite:///x"


def test_csp_allows_only_own_origin(client: FlaskClient) -> None:
    response = client.get("/healthz")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "http" not in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.json == {"status": "ok", "database": "ok"}


def test_root_redirects_to_kiosk(client: FlaskClient) -> None:
    assert client.get("/").headers["Location"].endswith("/kiosk/")


def test_api_404_is_json(client: FlaskClient) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.is_json and "没有找到" in response.json["error"]


def test_run_lists_only_served_addresses(app: Flask) -> None:
    listed = dict(addresses(app, "http://127.0.0.1:5000"))
    assert listed["自助查询机 kiosk"] == "http://127.0.0.1:5000/kiosk/"
    paths = [url.removeprefix("http://127.0.0.1:5000") for url in listed.values()]
    assert all(app.url_map.bind("x").match(path) for path in paths)
