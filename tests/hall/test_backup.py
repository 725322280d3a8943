"""``gongkai backup`` / ``gongkai restore`` for real: a live database that a thread keeps writing
to, restored into a fresh instance (a new SQLite file, or a scratch PostgreSQL database made
and dropped here); damaged, newer and in-use cases refused before anything changes."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import create_engine, inspect, select, text

from hall import audit, calendar
from hall.app import create_app
from hall.backup import schema_heads
from hall.extensions import db
from tests.conftest import PG_URL, USE_PG
from tests.pg_support import scratch_database as new_pg_database
from tests.tickets.support import make_service
from tickets.models import Ticket
from tickets.queue import issue_ticket

SECRET = "s" * 64
MEDIA = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


@pytest.fixture(scope="module")
def scratch_database() -> Iterator[str | None]:
    """On PostgreSQL runs, one scratch database ``gongkai_backup_<hex>`` for this module's
    restores, dropped at its end (each test empties it first)."""
    if not USE_PG:
        yield None
        return
    with new_pg_database(PG_URL.rpartition("/")[0], "gongkai_backup") as url:
        yield url


@pytest.fixture
def target(tmp_path: Path, scratch_database: str | None) -> Iterator[Flask]:
    """A fresh instance to restore into: no SQLite file yet, or the scratch PostgreSQL database
    with nothing in it."""
    root = tmp_path / "restored"
    (root / "instance").mkdir(parents=True)
    if scratch_database is not None:
        url = scratch_database
        empty = create_engine(url, isolation_level="AUTOCOMMIT")
        with empty.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        empty.dispose()
    else:
        url = f"sqlite:///{root / 'gongkai.sqlite3'}"
    fresh = create_app({"TESTING": True, "SECRET_KEY": "another", "SQLALCHEMY_DATABASE_URI": url})
    fresh.instance_path = str(root / "instance")
    yield fresh
    with fresh.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def source(app: Flask) -> Flask:
    """The running hall's instance: a secret key file and one uploaded file."""
    instance = Path(app.instance_path)
    (instance / "secret_key").write_text(SECRET)
    (instance / "secret_key").chmod(0o600)
    (instance / "media" / "uploads").mkdir(parents=True)
    (instance / "media" / "uploads" / "ab12.png").write_bytes(MEDIA)
    make_service()
    return app


def backup(runner: FlaskCliRunner, to: Path, *extra: str) -> Path:
    result = runner.invoke(args=["backup", "--to", str(to), *extra])
    assert result.exit_code == 0, result.output
    return Path(result.output.split("backup written: ")[1].split()[0])


def restore(target: Flask, archive: Path) -> Result:
    with target.app_context():
        return target.test_cli_runner().invoke(args=["restore", str(archive), "--yes"])


def table_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        names = [t for t in inspect(db.engine).get_table_names() if not t.startswith("fts_")]
        counts = {t: int(db.session.scalar(text(f'SELECT count(*) FROM "{t}"')) or 0)
                  for t in names}
        db.session.remove()
        return counts


def test_backup_while_writing_then_restore(source: Flask, runner: FlaskCliRunner,
                                          target: Flask, tmp_path: Path) -> None:
    """Tickets acknowledged before the backup started are all in the restored database, which
    holds nothing that was never acknowledged and passes SQLite's integrity check."""
    acked: list[int] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        with source.app_context():
            try:
                while not stop.is_set():
                    acked.append(issue_ticket("gk", check_hours=False).ticket.id)
            except BaseException as exc:  # reported by the test below
                errors.append(exc)
            finally:
                db.session.remove()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        deadline = time.monotonic() + 10
        while len(acked) < 30 and time.monotonic() < deadline:
            time.sleep(0.01)
        before = set(acked)
        archive = backup(runner, tmp_path / "backups")
        written_during = len(acked) - len(before)
        time.sleep(0.1)
    finally:
        stop.set()
        writer.join(10)
    assert not errors, errors
    assert len(before) >= 30 and written_during > 0  # the thread really wrote during the backup
    assert archive.name.startswith("gongkai-") and archive.name.endswith(".tar.gz")
    assert archive.stat().st_mode & 0o077 == 0

    result = restore(target, archive)
    assert result.exit_code == 0, result.output
    with target.app_context():
        restored = set(db.session.scalars(select(Ticket.id)))
        db.session.remove()
    assert before <= restored
    assert restored <= set(acked)
    if not USE_PG:
        path = target.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
        check = subprocess.run([sys.executable, "-c", "import sqlite3, sys; print(sqlite3.connect("
                                "sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])",
                                path], capture_output=True, text=True, check=True)
        assert check.stdout.strip() == "ok"
    instance = Path(target.instance_path)
    assert (instance / "secret_key").read_text() == SECRET
    assert (instance / "secret_key").stat().st_mode & 0o777 == 0o600
    assert (instance / "media" / "uploads" / "ab12.png").read_bytes() == MEDIA


def test_folder_backup_restores_every_row_and_restores_over(
        source: Flask, runner: FlaskCliRunner, target: Flask, tmp_path: Path) -> None:
    """A folder backup restored into a fresh instance has every table's rows; restored again
    over that hall after it went on working, its database is replaced (SQLite: by one rename,
    the old file kept beside it) and so is its media folder (the old one kept)."""
    for _ in range(5):
        issue_ticket("gk", check_hours=False)
    audit.record("create", obj_type="test", label="backup", actor_name="test")
    db.session.commit()
    calendar.set_override(dt.date(2026, 1, 8), False, "停电")
    folder = backup(runner, tmp_path / "backups", "--folder")
    assert folder.is_dir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["database"]["alembic_revision"] == schema_heads()[0]
    assert set(manifest["parts"]) >= {"instance/secret_key", "instance/media/uploads/ab12.png"}
    assert all(len(p["sha256"]) == 64 for p in manifest["parts"].values())
    wanted = table_counts(source)
    assert wanted["queue_ticket"] == 5 and wanted["calendar_override"] == 1

    result = restore(target, folder)
    assert result.exit_code == 0, result.output
    assert table_counts(target) == wanted

    with target.app_context():
        issue_ticket("gk", check_hours=False)
        db.session.remove()
    instance = Path(target.instance_path)
    (instance / "media" / "later.txt").write_text("after the backup")
    result = restore(target, folder)
    assert result.exit_code == 0, result.output
    assert table_counts(target) == wanted
    assert not (instance / "media" / "later.txt").exists()
    assert [p.name for p in instance.glob("media.pre-restore-*/later.txt")] == ["later.txt"]
    assert (folder / "instance" / "secret_key").exists()  # a folder archive is copied, not used up
    if not USE_PG:
        assert "the old database is kept" in result.output
        path = Path(target.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
        assert len(list(path.parent.glob(path.name + ".pre-restore-*"))) == 1


def test_damaged_newer_or_in_use_backups_are_refused(source: Flask, runner: FlaskCliRunner,
                                                    target: Flask, tmp_path: Path) -> None:
    issue_ticket("gk", check_hours=False)
    folder = backup(runner, tmp_path / "backups", "--folder")
    before = table_counts(target)

    media = folder / "instance" / "media" / "uploads" / "ab12.png"
    media.write_bytes(MEDIA[:-1] + b"!")
    result = restore(target, folder)
    assert result.exit_code == 1 and "checksum mismatch" in result.output
    media.write_bytes(MEDIA)

    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["database"]["alembic_revision"] = "9999"
    manifest_path.write_text(json.dumps(manifest))
    result = restore(target, folder)
    assert result.exit_code == 1 and "newer than this code" in result.output
    manifest["database"]["alembic_revision"] = schema_heads()[0]
    manifest_path.write_text(json.dumps(manifest))

    url = target.config["SQLALCHEMY_DATABASE_URI"]
    if USE_PG:
        engine = create_engine(url)
        holder = engine.connect()  # another client: the server would be one
        try:
            result = restore(target, folder)
        finally:
            holder.close()
            engine.dispose()
    else:
        path = url.removeprefix("sqlite:///")
        holder_proc = subprocess.Popen(
            [sys.executable, "-c", "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); "
             "c.execute('CREATE TABLE IF NOT EXISTS x (a)'); print('open', flush=True); "
             "time.sleep(30)", path], stdout=subprocess.PIPE, text=True)
        try:
            assert holder_proc.stdout is not None and holder_proc.stdout.readline() == "open\n"
            result = restore(target, folder)
        finally:
            holder_proc.kill()
            holder_proc.communicate()
    assert result.exit_code == 1 and "stop the server first" in result.output
    assert not (Path(target.instance_path) / "secret_key").exists()  # nothing was changed
    after = table_counts(target)
    assert after.get("queue_ticket") == before.get("queue_ticket")

    assert restore(target, folder).exit_code == 0  # once nothing else holds it
    assert table_counts(target)["queue_ticket"] == 1


def test_keep_prunes_only_this_halls_oldest(source: Flask, runner: FlaskCliRunner,
                                            tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    slug = "zgqzwfwzx"
    old = [f"gongkai-{slug}-20250101-020000.tar.gz", f"gongkai-{slug}-20250102-020000.tar.gz",
           f"gongkai-{slug}-20250103-020000"]
    others = ["gongkai-other-20200101-020000.tar.gz", "notes.txt"]
    for name in old + others:
        if "." in name:
            (folder / name).write_text("x")
        else:
            (folder / name).mkdir()
    archive = backup(runner, folder, "--keep", "2")
    left = sorted(p.name for p in folder.iterdir())
    assert left == sorted([archive.name, old[2], *others])
    # a second backup within the same second gets a name of its own
    again = backup(runner, folder, "--keep", "0")
    assert again != archive and again.exists() and archive.exists()


def test_unreadable_archive_is_a_clean_error(app: Flask, tmp_path: Path) -> None:
    junk = tmp_path / "gongkai-x-20250101-000000.tar.gz"
    junk.write_bytes(b"not a tar file")
    result = restore(app, junk)
    assert result.exit_code == 1 and "cannot read the archive" in result.output
    assert "Traceback" not in result.output
