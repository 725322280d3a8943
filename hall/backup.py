"""``gongkai backup`` and ``gongkai restore``: the whole hall in one archive, and back.

An archive ``gongkai-<hall>-YYYYmmdd-HHMMSS.tar.gz`` (or a folder of the same name) holds

- the database: SQLite through its online backup API (one step, so the copy is the database
  as of one instant while the server keeps writing), or PostgreSQL's ``pg_dump -Fc``;
- the instance files: ``secret_key`` (sessions and, without ``PERSONAL_DATA_KEY``, the key of
  personal data: keep backups as safe as the server), ``config.py``, ``printers.toml`` and the
  uploads folder ``media/`` (``BACKUP_INSTANCE_PATHS``);
- ``manifest.json``: the schema's Alembic revision, the time, and the SHA-256 of every part.

A restore checks every checksum, refuses a schema newer than the code and a database that is
in use (the server must be stopped: another process holding the SQLite file open, or another
client connected to the PostgreSQL database, stops it), then swaps the SQLite file in with
one rename (the old one kept beside it) or runs ``pg_restore --clean`` in a single
transaction, and puts the instance files back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import click
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from hall.db import first_line, own_connection
from hall.extensions import db
from hall.readings import readings

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")
FORMAT = "gongkai-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_PART = "database.sqlite3"
PG_PART = "database.pgdump"
INSTANCE_PREFIX = "instance/"
#: Seconds to wait for PostgreSQL to accept a connection (pg_dump's own default is forever).
PG_CONNECT_TIMEOUT = 10

DEFAULTS: dict[str, Any] = {
    # Where `gongkai backup` writes (None: instance/backups; better another disk or a NAS).
    "BACKUP_DIR": None,
    # How many archives of this hall to keep there (0: keep all).
    "BACKUP_KEEP": 14,
    # The hall's short name in archive names (None: pinyin initials of HALL_NAME).
    "BACKUP_NAME": None,
    # Instance files and folders that travel with the database.
    "BACKUP_INSTANCE_PATHS": ["secret_key", "config.py", "printers.toml", "media"],
    # PostgreSQL's tools (pg_dump must be as new as the server: /usr/lib/postgresql/N/bin/…).
    "PG_DUMP_COMMAND": "pg_dump",
    "PG_RESTORE_COMMAND": "pg_restore",
}

#: Instance files that stay as they are when present at the restore's target (the machine's
#: own settings); they are restored only where missing.
_KEEP_IF_PRESENT = frozenset({"config.py", "printers.toml"})
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why, in both languages."""


# -- where and what -------------------------------------------------------------------------


def backup_dir(app: Flask) -> Path:
    configured = app.config.get("BACKUP_DIR")
    return Path(configured) if configured else Path(app.instance_path) / "backups"


def hall_slug(app: Flask) -> str:
    """The hall's short ASCII name for archive names: ``BACKUP_NAME`` or the pinyin initials
    of ``HALL_NAME``'s first word (章贡区政务服务中心 → zgqzwfwzx)."""
    name = str(app.config.get("BACKUP_NAME") or "")
    if not name:
        first = str(app.config.get("HALL_NAME") or "").split()
        name = "".join(readings().lazy_pinyin(first[0], "first_letter")) if first else ""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:40] or "hall"


def _archive_pattern(slug: str) -> re.Pattern[str]:
    return re.compile(rf"^gongkai-{re.escape(slug)}-(\d{{8}}-\d{{6}})(-\d+)?(\.tar\.gz)?$")


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("内存数据库无法备份 an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _instance_files(app: Flask) -> Iterator[tuple[str, Path]]:
    """(name in the archive, source file) of each instance file to keep, sorted."""
    root = Path(app.instance_path)
    for entry in app.config.get("BACKUP_INSTANCE_PATHS") or []:
        path = root / str(entry)
        if path.is_file():
            yield INSTANCE_PREFIX + str(entry), path
        elif path.is_dir():
            for found in sorted(path.rglob("*")):
                if found.is_file() and not found.is_symlink():
                    yield INSTANCE_PREFIX + found.relative_to(root).as_posix(), found


# -- the database's part --------------------------------------------------------------------


def sqlite_snapshot(source: Path, target: Path) -> str | None:
    """Copy a live SQLite database with the online backup API; returns the copy's Alembic
    revision. The copy is one instant of the source: the backup runs in a single step (a read
    transaction; in WAL mode writers go on meanwhile).

    :raises BackupError: when the source is missing or the copy fails its integrity check.
    """
    if not source.is_file():
        raise BackupError(f"数据库文件不存在 database file missing: {source}")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # pages=-1: everything in one step
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"数据库副本损坏 the copy fails its integrity check: {check}")
        return _sqlite_revision(dst)
    finally:
        dst.close()
        src.close()


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def pg_env(url: URL) -> dict[str, str]:
    """libpq's environment for the database at ``url`` (the password never goes on argv)."""
    env = dict(os.environ)
    query = {k: str(v if isinstance(v, str) else v[0]) for k, v in url.query.items()}
    values = {
        "PGHOST": url.host or query.get("host", ""),
        "PGPORT": str(url.port or query.get("port", "")),
        "PGUSER": url.username or query.get("user", ""),
        "PGPASSWORD": url.password or "",
        "PGDATABASE": url.database or "",
        "PGSSLMODE": query.get("sslmode", ""),
        "PGCONNECT_TIMEOUT": query.get("connect_timeout", "10"),
        "PGAPPNAME": "gongkai-backup",
    }
    for key, value in values.items():
        if value:
            env[key] = str(value)
        else:
            env.pop(key, None)
    return env


def _run_pg(command: list[str], url: URL, what: str) -> None:
    try:
        done = subprocess.run([*command, "--no-password"], env=pg_env(url), capture_output=True,
                              text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(f"找不到 {command[0]} not found: apt-get install postgresql-client "
                          f"(or set PG_DUMP_COMMAND / PG_RESTORE_COMMAND)") from exc
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        raise BackupError(f"{what}失败 {command[0]} failed ({done.returncode}): {tail}")


def _pg_revision(url: URL) -> str | None:
    try:
        with own_connection(url, PG_CONNECT_TIMEOUT) as conn:
            return conn.scalar(text("SELECT version_num FROM alembic_version"))
    except SQLAlchemyError as exc:
        raise BackupError(f"无法读取数据库 cannot read the database: {first_line(exc)}") from exc


# -- writing an archive ---------------------------------------------------------------------


class _HashingReader:
    """A file read through once while its SHA-256 is taken (for ``tarfile.addfile``)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        chunk = self.stream.read(n)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk


@dataclass
class Backup:
    path: Path
    revision: str | None
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)
    pruned: list[Path] = field(default_factory=list)


def _unique_name(folder: Path, base: str, suffix: str) -> str:
    name, n = base, 1
    while (folder / (name + suffix)).exists() or (folder / (name + suffix + ".part")).exists():
        n += 1
        name = f"{base}-{n}"
    return name + suffix


def create_backup(app: Flask, to: Path | None = None, keep: int | None = None,
                  as_folder: bool = False) -> Backup:
    """Write one archive (or folder) of the database and instance files; prune to ``keep``.

    :raises BackupError: the database cannot be read or the target cannot be written.
    """
    folder = to or backup_dir(app)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"无法建立备份目录 cannot create {folder}: {exc}") from exc
    zone = ZoneInfo(str(app.config.get("DISPLAY_TIMEZONE") or "Asia/Shanghai"))
    created = dt.datetime.now(dt.UTC)
    slug = hall_slug(app)
    base = f"gongkai-{slug}-{created.astimezone(zone):%Y%m%d-%H%M%S}"
    name = _unique_name(folder, base, "" if as_folder else ".tar.gz")
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    work = Path(tempfile.mkdtemp(prefix=".gongkai-backup-", dir=folder))
    try:
        if _is_sqlite(url):
            db_part = SQLITE_PART
            revision = sqlite_snapshot(_sqlite_path(url), work / db_part)
        else:
            db_part = PG_PART
            revision = _pg_revision(url)
            command = [str(app.config.get("PG_DUMP_COMMAND") or "pg_dump"), "-Fc",
                       "-f", str(work / db_part)]
            _run_pg(command, url, "备份数据库")
        manifest: dict[str, Any] = {
            "format": FORMAT, "version": FORMAT_VERSION,
            "hall": app.config.get("HALL_NAME"), "name": slug,
            "created_at": created.isoformat(timespec="seconds"),
            "database": {"dialect": url.get_backend_name(), "part": db_part,
                         "alembic_revision": revision},
            "parts": {},
        }
        files = [(db_part, work / db_part), *_instance_files(app)]
        target = folder / name
        partial = target.with_name(target.name + ".part")
        if as_folder:
            _write_folder(partial, files, manifest)
        else:
            _write_tar(partial, files, manifest)
        os.replace(partial, target)
        _fsync_dir(folder)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"写备份失败 cannot write the backup in {folder}: {exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
        _remove(folder / (name + ".part"))
    result = Backup(target, revision, manifest["parts"])
    if keep:
        result.pruned = prune(folder, slug, keep)
    return result


def _write_tar(path: Path, files: list[tuple[str, Path]], manifest: dict[str, Any]) -> None:
    # created readable by its owner only: it carries the secret key
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
            for arcname, source in files:
                with source.open("rb") as stream:
                    info = tar.gettarinfo(fileobj=stream, arcname=arcname)
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    reader = _HashingReader(stream)
                    tar.addfile(info, reader)  # type: ignore[arg-type]
                manifest["parts"][arcname] = {"sha256": reader.digest.hexdigest(),
                                              "size": reader.size}
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(dt.datetime.now().timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
        raw.flush()
        os.fsync(raw.fileno())


def _write_folder(path: Path, files: list[tuple[str, Path]], manifest: dict[str, Any]) -> None:
    path.mkdir(mode=0o700)
    for arcname, source in files:
        out = path / arcname
        out.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with source.open("rb") as src, out.open("wb") as dst:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        manifest["parts"][arcname] = {"sha256": digest.hexdigest(), "size": size}
    (path / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2))


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def prune(folder: Path, slug: str, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives of this hall in ``folder`` (by the time in
    their names); other files are never touched."""
    pattern = _archive_pattern(slug)
    found = []
    for entry in folder.iterdir():
        match = pattern.match(entry.name)
        if match:
            found.append((match.group(1), int((match.group(2) or "-1")[1:]), entry))
    found.sort(reverse=True)
    removed = []
    for _, _, entry in found[keep:]:
        _remove(entry)
        removed.append(entry)
    return removed


def _remove(path: Path) -> None:
    """Delete a file or a folder, if there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


# -- restoring ------------------------------------------------------------------------------


def schema_heads() -> tuple[str, ...]:
    """The newest revision(s) this code's migrations know."""
    return tuple(ScriptDirectory(MIGRATIONS_DIR).get_heads())


def revision_known(revision: str) -> bool:
    """Whether this code's migrations contain ``revision`` (False: a newer code wrote it)."""
    try:
        return ScriptDirectory(MIGRATIONS_DIR).get_revision(revision) is not None
    except CommandError:
        return False


@dataclass
class Restored:
    revision: str | None
    created_at: str
    notes: list[str] = field(default_factory=list)


def read_archive(archive: Path, into: Path) -> tuple[Path, dict[str, Any]]:
    """Unpack (if a .tar.gz) and verify an archive: the folder holding its parts, and its
    manifest.

    :raises BackupError: not an archive of ours, a checksum differs, a part is missing or extra.
    """
    if archive.is_dir():
        root = archive
    else:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(into, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(f"无法读取备份 cannot read the archive {archive}: {exc}") from exc
        root = into
    try:
        manifest = json.loads((root / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"备份缺少清单 no readable manifest.json in {archive}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"不是 gongkai 备份 not a gongkai backup: {archive}")
    if int(manifest.get("version", 0)) > FORMAT_VERSION:
        raise BackupError("备份格式比程序新 the archive's format is newer than this code")
    parts: Mapping[str, Any] = manifest.get("parts") or {}
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    extra = present - set(parts) - {MANIFEST}
    if extra:
        raise BackupError(f"备份含清单外的文件 files not in the manifest: {sorted(extra)[:3]}")
    for name, expected in parts.items():
        path = root / name
        if ".." in Path(name).parts or not path.is_file():
            raise BackupError(f"备份缺少文件 missing part: {name}")
        if path.stat().st_size != expected.get("size") or sha256_of(path) != expected.get(
                "sha256"):
            raise BackupError(f"校验失败 checksum mismatch: {name} (the archive is damaged)")
    database = manifest.get("database") or {}
    if database.get("part") not in parts:
        raise BackupError("备份缺少数据库 the archive holds no database")
    return root, manifest


def sqlite_users(path: Path) -> list[int]:
    """Other processes holding the SQLite file (or its WAL) open (Linux ``/proc``; [] where
    that cannot be seen)."""
    names = {str(path.resolve()), str(path.resolve()) + "-wal", str(path.resolve()) + "-shm"}
    pids = []
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) in names:
                    pids.append(int(entry.name))
                    break
            except OSError:
                continue
    return sorted(pids)


def pg_other_clients(url: URL) -> int:
    """Client connections to the database other than this one."""
    try:
        with own_connection(url, PG_CONNECT_TIMEOUT) as conn:
            return int(conn.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")) or 0)
    except SQLAlchemyError as exc:
        raise BackupError(f"无法连接数据库 cannot connect to the database: "
                          f"{first_line(exc)}") from exc


def check_not_in_use(url: URL) -> None:
    """:raises BackupError: when the server (or anything else) is using the database."""
    if _is_sqlite(url):
        pids = sqlite_users(_sqlite_path(url))
        if pids:
            raise BackupError(
                f"数据库正在使用，请先停止服务器 the database is open in process "
                f"{', '.join(map(str, pids))}: stop the server first (systemctl stop gongkai)")
    else:
        others = pg_other_clients(url)
        if others:
            raise BackupError(
                f"数据库有 {others} 个其他连接，请先停止服务器 {others} other connection(s) to "
                f"{url.database}: stop the server first (systemctl stop gongkai)")


def restore_backup(app: Flask, archive: Path,
                   confirm: Callable[[str], bool] | None = None) -> Restored:
    """Put a backup back: verify, refuse what cannot work, replace the database and the
    instance files.

    :param confirm: called with a description of what will be replaced; returns False to stop.
    :raises BackupError: with the reason, before anything was changed.
    """
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".gongkai-restore-", dir=instance))
    try:
        root, manifest = read_archive(archive, work)
        database = manifest["database"]
        revision = database.get("alembic_revision")
        if revision and not revision_known(str(revision)):
            raise BackupError(f"备份的数据库结构比程序新 the backup's schema ({revision}) is "
                              "newer than this code: install that gongkai version first")
        if database.get("dialect") != url.get_backend_name():
            raise BackupError(f"数据库类型不同 the backup is {database.get('dialect')}, this "
                              f"server uses {url.get_backend_name()}")
        db.session.remove()
        db.engine.dispose()  # this process's own connections are not "the server"
        check_not_in_use(url)
        where = url.render_as_string(hide_password=True)
        if confirm is not None and not confirm(
                f"将用 {manifest.get('created_at')} 的备份替换数据库 {where} 和实例文件 "
                f"replace the database and instance files with the backup of "
                f"{manifest.get('created_at')}?"):
            raise BackupError("已取消 cancelled")
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        result = Restored(revision, str(manifest.get("created_at")))
        part = root / database["part"]
        if _is_sqlite(url):
            kept = replace_sqlite(_sqlite_path(url), part, stamp)
            if kept:
                result.notes.append(f"原数据库保存在 the old database is kept as {kept}")
        else:
            command = [str(app.config.get("PG_RESTORE_COMMAND") or "pg_restore"), "--clean",
                       "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                       "--exit-on-error", "-d", url.database or "", str(part)]
            _run_pg(command, url, "恢复数据库")
        # parts unpacked into our own folder are moved, a folder archive's are copied
        result.notes += _restore_instance(root, manifest, instance, stamp,
                                          move=root == work)
        if revision not in schema_heads():
            result.notes.append("备份的结构较旧，请升级 the backup's schema is older: run "
                                "gongkai db upgrade")
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def replace_sqlite(target: Path, part: Path, stamp: str) -> Path | None:
    """Write the restored database beside ``target`` and rename it over in one step; the old
    one stays as ``<name>.pre-restore-<stamp>``, returned (None when there was none)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = target.with_name(target.name + ".restoring")
    shutil.copyfile(part, fresh)
    conn = sqlite3.connect(fresh)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    if check != "ok":
        fresh.unlink()
        raise BackupError(f"备份的数据库损坏 the backup's database fails its check: {check}")
    with fresh.open("rb+") as stream:
        os.fsync(stream.fileno())
    kept = None
    if target.exists():
        old = sqlite3.connect(target)
        try:
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the old file complete by itself
        finally:
            old.close()
        kept = target.with_name(f"{target.name}.pre-restore-{stamp}")
        os.link(target, kept)
    for suffix in ("-wal", "-shm"):  # a stale log must never be replayed into the new file
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(fresh, target)
    _fsync_dir(target.parent)
    return kept


def _restore_instance(root: Path, manifest: Mapping[str, Any], instance: Path,
                      stamp: str, move: bool) -> list[str]:
    notes = []
    names = [n for n in manifest["parts"] if n.startswith(INSTANCE_PREFIX)]
    tops = sorted({n[len(INSTANCE_PREFIX):].split("/")[0] for n in names})
    for top in tops:
        source, target = root / INSTANCE_PREFIX / top, instance / top
        if top in _KEEP_IF_PRESENT and target.exists():
            notes.append(f"保留本机的 kept this machine's {target} (the backup's was not restored)")
            continue
        staged = instance / f".{top}.restoring"
        _remove(staged)
        if move:
            os.replace(source, staged)
        elif source.is_dir():
            shutil.copytree(source, staged)
        else:
            shutil.copy2(source, staged)
        if top == "secret_key":
            os.chmod(staged, 0o600)
        if target.exists():
            aside = instance / f"{top}.pre-restore-{stamp}"
            os.replace(target, aside)
            notes.append(f"原 {top} 保存在 the old {top} is kept as {aside}")
        os.replace(staged, target)
    return notes


# -- commands -------------------------------------------------------------------------------


@click.command("backup", help="备份 Back up the database, uploads and keys into one archive "
                              "gongkai-<hall>-YYYYmmdd-HHMMSS.tar.gz; keep the newest N.")
@click.option("--to", "to", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the archive [BACKUP_DIR, else instance/backups].")
@click.option("--keep", type=click.IntRange(min=0), default=None,
              help="Keep this hall's newest N archives there, 0: all [BACKUP_KEEP, 14].")
@click.option("--folder", "as_folder", is_flag=True, help="Write a folder, not a .tar.gz.")
@with_appcontext
def backup_command(to: Path | None, keep: int | None, as_folder: bool) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    keep = int(app.config["BACKUP_KEEP"]) if keep is None else keep
    try:
        done = create_backup(app, to, keep, as_folder)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    size = sum(int(p["size"]) for p in done.parts.values())
    click.echo(f"已备份 backup written: {done.path}")
    click.echo(f"  数据库结构 schema {done.revision or '-'} · {len(done.parts)} 个文件 files · "
               f"{size / 1024**2:.1f} MB before compression")
    for path in done.pruned:
        click.echo(f"  已删除旧备份 pruned: {path.name}")


@click.command("restore", help="恢复 Restore a backup (stop the server first): verifies "
                               "checksums, replaces the database and instance files.")
@click.argument("archive", type=click.Path(exists=True, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(archive: Path, yes: bool) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def ask(question: str) -> bool:
        return yes or click.confirm(question, default=False)

    try:
        done = restore_backup(app, archive, ask)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    except (OSError, sqlite3.Error) as exc:  # a disk or permission problem half-way
        raise click.ClickException(f"恢复失败 restore failed: {exc}") from exc
    click.echo(f"已恢复 restored the backup of {done.created_at} "
               f"(schema {done.revision or '-'})")
    for note in done.notes:
        click.echo(f"  {note}")


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
