"""``gongkai doctor`` on a real tmp deployment (database, virtual printer, Redis, files), broken
one thing at a time; and ``/healthz`` with a real database and Redis, up and down."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
import socket
import time
from pathlib import Path
from typing import Any

import chinese_calendar
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import text

import hall.doctor
from hall import audit, calendar
from hall.app import create_app
from hall.backup import schema_heads
from hall.extensions import db
from printer.emulator import VirtualPrinter
from tests.conftest import USE_PG

REDIS = "redis://127.0.0.1:6379/0"
KEY = secrets.token_hex(32)
#: A year the holiday package knows, and the first one it does not.
KNOWN_YEAR = max(d.year for d in chinese_calendar.holidays)
UNKNOWN_YEAR = KNOWN_YEAR + 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def app_config(vprinter: VirtualPrinter, tmp_path: Path) -> dict[str, Any]:
    """A healthy deployment: keys set, the printer answering, backups in a folder of its own."""
    return {
        "SECRET_KEY": KEY,
        "PERSONAL_DATA_KEY": secrets.token_hex(32),
        "PRINTERS": {"kiosk": {"transport": "network", "host": "127.0.0.1",
                               "port": vprinter.port, "width": 80, "timeout": 2}},
        "KIOSK_PRINTERS": {"*": "kiosk"},
        "BACKUP_DIR": str(tmp_path / "backups"),
    }


@pytest.fixture
def deployment(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The instance's secret_key file (mode 600) holds the key, as create_app makes it; the
    calendar looks ahead from June of a year the holiday package knows."""
    path = Path(app.instance_path) / "secret_key"
    path.write_text(KEY)
    path.chmod(0o600)
    monkeypatch.setattr(hall.doctor, "calendar_today", lambda app: dt.date(KNOWN_YEAR - 1, 6, 15))
    return app


def doctor(runner: FlaskCliRunner) -> tuple[int, dict[str, list[dict[str, str]]]]:
    """Run ``gongkai doctor --json``: its exit code and the findings by check name."""
    result = runner.invoke(args=["doctor", "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    report = json.loads(result.output)
    by_check: dict[str, list[dict[str, str]]] = {}
    for finding in report["findings"]:
        by_check.setdefault(finding["check"], []).append(finding)
    assert report["ok"] == (result.exit_code == 0)
    return result.exit_code, by_check


def levels(found: dict[str, list[dict[str, str]]], check: str) -> list[str]:
    return [f["level"] for f in found[check]]


def test_healthy_deployment_passes(deployment: Flask, runner: FlaskCliRunner) -> None:
    code, found = doctor(runner)
    assert code == 0, found
    for check in ("secret key", "personal data key", "database", "processes", "disk",
                  "timezone", "calendar", "printer kiosk"):
        assert set(levels(found, check)) == {"ok"}, (check, found[check])
    assert levels(found, "clock") != ["fail"]
    assert "ready" in found["printer kiosk"][0]["reason"]
    assert schema_heads()[0] in found["database"][0]["reason"]
    text_report = runner.invoke(args=["doctor"])
    assert text_report.exit_code == 0
    assert "结果 result: 0 FAIL" in text_report.output


def test_secret_key_readable_by_others_fails(deployment: Flask, runner: FlaskCliRunner) -> None:
    (Path(deployment.instance_path) / "secret_key").chmod(0o644)
    code, found = doctor(runner)
    assert code == 1
    assert levels(found, "secret key") == ["fail"]
    assert "chmod 600" in found["secret key"][0]["action"]


def test_personal_data_key_missing_warns(deployment: Flask, runner: FlaskCliRunner) -> None:
    deployment.config["PERSONAL_DATA_KEY"] = None
    code, found = doctor(runner)
    assert code == 0
    assert levels(found, "personal data key") == ["warn"]


def test_redis_reachable_then_not(deployment: Flask, runner: FlaskCliRunner) -> None:
    for key in ("REDIS_URL", "SOCKETIO_MESSAGE_QUEUE", "RATELIMIT_STORAGE_URI",
                "KIOSK_DRAFT_STORAGE_URI"):
        deployment.config[key] = REDIS
    code, found = doctor(runner)
    assert levels(found, "redis") == ["ok"], found["redis"]
    # several workers need PostgreSQL: on SQLite the doctor says the setup is half done
    assert levels(found, "processes") == (["ok"] if USE_PG else ["warn"])
    assert code == 0
    deployment.config["RATELIMIT_STORAGE_URI"] = f"redis://127.0.0.1:{_closed_port()}/0"
    started = time.monotonic()
    code, found = doctor(runner)
    assert code == 1
    assert sorted(levels(found, "redis")) == ["fail", "ok"]
    assert time.monotonic() - started < 15


def test_half_configured_processes_warn(deployment: Flask, runner: FlaskCliRunner) -> None:
    deployment.config["SOCKETIO_MESSAGE_QUEUE"] = REDIS  # the other two stay in memory
    code, found = doctor(runner)
    assert code == 0
    assert levels(found, "processes") == ["warn"]
    assert "RATELIMIT_STORAGE_URI" in found["processes"][0]["reason"]


def test_missing_migration_fails(deployment: Flask, runner: FlaskCliRunner) -> None:
    head = schema_heads()[0]
    previous = f"{int(head) - 1:04d}"
    try:
        for revision, said in ((previous, "behind"), ("9999", "newer")):
            db.session.execute(text("UPDATE alembic_version SET version_num = :v"),
                               {"v": revision})
            db.session.commit()
            code, found = doctor(runner)
            assert code == 1
            assert levels(found, "database") == ["fail"]
            assert said in found["database"][0]["reason"]
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
        db.session.commit()
    assert doctor(runner)[0] == 0


def test_database_unreachable_fails_and_the_rest_still_reports(
        deployment: Flask, runner: FlaskCliRunner) -> None:
    deployment.config["SQLALCHEMY_DATABASE_URI"] = (
        f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/nothing")
    code, found = doctor(runner)
    assert code == 1
    assert levels(found, "database") == ["fail"]
    assert "unreachable" in found["database"][0]["reason"]
    assert levels(found, "calendar") == ["ok"] and levels(found, "printer kiosk") == ["ok"]


def test_printer_problems_warn(deployment: Flask, runner: FlaskCliRunner,
                               vprinter: VirtualPrinter, tmp_path: Path) -> None:
    vprinter.state.paper = "out"
    deployment.config["PRINTERS"] = {
        **deployment.config["PRINTERS"],
        "desk": {"transport": "network", "host": "127.0.0.1", "port": _closed_port(),
                 "timeout": 1},
        "usbfile": {"transport": "file", "path": str(tmp_path / "absent" / "lp0")},
    }
    deployment.config["KIOSK_PRINTERS"] = {"*": "kiosk", "10.0.0.9": "gone"}
    code, found = doctor(runner)
    assert code == 0  # printers WARN, never FAIL: the spool keeps the slips
    assert levels(found, "printer kiosk") == ["warn"]
    assert "paper out" in found["printer kiosk"][0]["reason"]
    assert levels(found, "printer desk") == ["warn"]
    assert levels(found, "printer usbfile") == ["warn"]
    assert "does not exist" in found["printer usbfile"][0]["reason"] or \
        "cannot write" in found["printer usbfile"][0]["reason"]
    assert levels(found, "printers") == ["warn"] and "gone" in found["printers"][0]["reason"]


def test_calendar_gap(deployment: Flask, runner: FlaskCliRunner,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    expected = {dt.date(UNKNOWN_YEAR - 1, 12, 1): (1, "fail"),
                dt.date(UNKNOWN_YEAR - 1, 10, 8): (0, "warn"),
                dt.date(UNKNOWN_YEAR - 1, 9, 30): (0, "ok"),
                dt.date(UNKNOWN_YEAR, 3, 1): (1, "fail")}  # this year unknown
    for today, (code_wanted, level) in expected.items():
        monkeypatch.setattr(hall.doctor, "calendar_today", lambda app, d=today: d)
        code, found = doctor(runner)
        assert (code, levels(found, "calendar")) == (code_wanted, [level]), today
    # staff entered next year's arrangement on the calendar page: December is fine again
    monkeypatch.setattr(hall.doctor, "calendar_today",
                        lambda app: dt.date(UNKNOWN_YEAR - 1, 12, 1))
    calendar.set_override(dt.date(UNKNOWN_YEAR, 1, 1), False, "元旦")
    code, found = doctor(runner)
    assert (code, levels(found, "calendar")) == (0, ["ok"])


def test_clock_behind_the_database_fails(deployment: Flask, runner: FlaskCliRunner,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    audit.record("create", obj_type="test", label="clock", actor_name="test")
    db.session.commit()
    real = dt.datetime.now(dt.UTC)
    monkeypatch.setattr(hall.doctor, "_now", lambda: real - dt.timedelta(hours=3))
    code, found = doctor(runner)
    assert code == 1
    assert levels(found, "clock") == ["fail"] and "behind" in found["clock"][0]["reason"]
    monkeypatch.setattr(hall.doctor, "_now", lambda: dt.datetime(2001, 1, 1, tzinfo=dt.UTC))
    code, found = doctor(runner)
    assert levels(found, "clock") == ["fail"] and "2001" in found["clock"][0]["reason"]


def test_bad_timezone_and_low_disk(deployment: Flask, runner: FlaskCliRunner) -> None:
    deployment.config["DISPLAY_TIMEZONE"] = "Asia/Nowhere"
    deployment.config["DOCTOR_DISK_WARN_BYTES"] = 10**18
    code, found = doctor(runner)
    assert code == 1
    assert levels(found, "timezone") == ["fail"]
    assert set(levels(found, "disk")) == {"warn"}
    deployment.config["DOCTOR_DISK_FAIL_BYTES"] = 10**18
    assert set(levels(doctor(runner)[1], "disk")) == {"fail"}


def test_configured_by_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       database_template: str) -> None:
    """Settings from ``GONGKAI_*`` variables (as /etc/gongkai/gongkai.env gives them): the key
    counts as configured, and a Redis at a closed port FAILs its line."""
    monkeypatch.setenv("GONGKAI_SECRET_KEY", KEY)
    monkeypatch.setenv("GONGKAI_PERSONAL_DATA_KEY", KEY[::-1])
    monkeypatch.setenv("GONGKAI_REDIS_URL", f"redis://127.0.0.1:{_closed_port()}/0")
    monkeypatch.setenv("GONGKAI_BACKUP_DIR", str(tmp_path / "backups"))
    url = database_template
    if not USE_PG:
        shutil.copyfile(database_template, tmp_path / "gongkai.sqlite3")
        url = f"sqlite:///{tmp_path / 'gongkai.sqlite3'}"
    configured = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    configured.instance_path = str(tmp_path / "instance")
    with configured.app_context():
        code, found = doctor(configured.test_cli_runner())
        db.engine.dispose()
    assert code == 1
    assert levels(found, "redis") == ["fail"]
    assert levels(found, "database") == ["ok"]
    assert levels(found, "secret key") == ["ok"] and levels(found, "personal data key") == ["ok"]
    assert str(tmp_path / "backups") in " ".join(f["reason"] for f in found["disk"])


# -- /healthz ---------------------------------------------------------------------------------


def test_healthz_reports_database_and_redis(deployment: Flask) -> None:
    client = deployment.test_client()
    response = client.get("/healthz")
    assert (response.status_code, response.json) == (200, {"status": "ok", "database": "ok"})
    deployment.config["SOCKETIO_MESSAGE_QUEUE"] = REDIS
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["redis"] == "ok"
    deployment.config["KIOSK_DRAFT_STORAGE_URI"] = f"redis://127.0.0.1:{_closed_port()}/0"
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 3
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "ok", "redis": "unreachable"}
    assert "127.0.0.1" not in response.get_data(as_text=True)


def test_healthz_database_down_is_503(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": KEY,
                      "SQLALCHEMY_DATABASE_URI":
                          f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/x"})
    app.instance_path = str(tmp_path)
    with app.app_context():
        response = app.test_client().get("/healthz")
        db.engine.dispose()
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "unreachable"}
