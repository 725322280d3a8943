"""``gongkai doctor``: check a deployment and say, for each problem, what to do.

Each check gives one or more findings: OK, WARN (works, but look at it) or FAIL (something a
hall will notice: the server cannot start, writes will be lost, deadlines will be wrong). The
command exits 1 when anything FAILs, so a script or a timer can act on it.

The frame's checks live here; a feature adds its own with :func:`register_check` from its
``init_app`` (the printers' check is registered by ``printer.spool``), so ``hall`` imports no
feature. Checks use short timeouts of their own and never the server's connection pool: the
doctor must answer quickly even when the database or Redis hangs.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
import redis
from alembic.runtime.migration import MigrationContext
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import Connection, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from hall import backup
from hall.calendar import WorkdayCalendar
from hall.config import SHARED_STORES, redis_urls
from hall.db import UTCDateTime, first_line, own_connection
from hall.extensions import db
from hall.models import CalendarOverride
from hall.serve import multi_process_problems

#: Free space below these is a WARN / a FAIL (``DOCTOR_DISK_WARN_BYTES``, ``…_FAIL_BYTES``).
DISK_WARN_BYTES = 2 * 1024**3
DISK_FAIL_BYTES = 200 * 1024**2
#: The clock may lag the newest stored time by this much (two processes' clocks, rounding).
CLOCK_SLACK = dt.timedelta(minutes=5)
#: Seconds a database or Redis connection may take before the doctor calls it unreachable.
CONNECT_TIMEOUT = 3
#: Columns that record when the server wrote something (never a planned time in the future).
_WRITTEN_AT = frozenset({"created_at", "issued_at", "at"})
#: Keys whose value, when set, is a secret at least this long.
_MIN_KEY_CHARS = 32


class Level(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Finding:
    """One line of the report: what was checked, how it went, why, and what to do."""

    check: str
    level: Level
    reason: str
    action: str = ""


Check = Callable[[Flask], Iterable[Finding]]


def register_check(app: Flask, name: str, check: Check) -> None:
    """Add a check to ``gongkai doctor`` (from a feature's ``init_app``)."""
    app.extensions.setdefault("doctor_checks", {})[name] = check


def run_checks(app: Flask) -> list[Finding]:
    """Every registered check's findings, in registration order; a check that breaks is a
    FAIL of its own, never the end of the report."""
    findings: list[Finding] = []
    for name, check in app.extensions.get("doctor_checks", {}).items():
        try:
            findings.extend(check(app))
        except Exception as exc:  # a broken check must not hide the others
            findings.append(Finding(name, Level.FAIL, f"检查出错 check failed: {first_line(exc)}",
                                    "请把这一行报告给维护人员 report this line to the maintainer"))
    return findings


def _now() -> dt.datetime:
    """The system time (tests replace this)."""
    return dt.datetime.now(dt.UTC)


def calendar_today(app: Flask) -> dt.date:
    """The hall's date, which the calendar check looks ahead from (tests replace this)."""
    zone = ZoneInfo(str(app.config.get("DISPLAY_TIMEZONE") or "Asia/Shanghai"))
    return _now().astimezone(zone).date()


# -- keys ---------------------------------------------------------------------------------


def check_secret_key(app: Flask) -> Iterator[Finding]:
    """SECRET_KEY signs staff sessions and, without PERSONAL_DATA_KEY, seals personal data."""
    secret = str(app.config.get("SECRET_KEY") or "")
    path = Path(app.instance_path) / "secret_key"
    if not secret:
        yield Finding("secret key", Level.FAIL, "未设置 SECRET_KEY not set",
                      f"启动一次服务器以生成 start the server once to create {path}")
        return
    if path.is_file() and path.read_text().strip() == secret:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            yield Finding("secret key", Level.FAIL,
                          f"密钥文件其他用户可读 {path} is readable by other users "
                          f"(mode {mode:o})", f"chmod 600 {path}")
        else:
            yield Finding("secret key", Level.OK,
                          f"密钥取自实例文件，仅属主可读 from {path} (mode {mode:o})")
        return
    if len(secret) < _MIN_KEY_CHARS:
        yield Finding("secret key", Level.WARN,
                      f"SECRET_KEY 太短 too short ({len(secret)} characters)",
                      "换成 64 位随机串 use 64 random hex characters: "
                      "python3 -c 'import secrets; print(secrets.token_hex(32))'")
    else:
        yield Finding("secret key", Level.OK, "SECRET_KEY 由配置给出 set by configuration")


def check_personal_data_key(app: Flask) -> Iterator[Finding]:
    """Personal data should have a key of its own, kept apart from the backups."""
    key = str(app.config.get("PERSONAL_DATA_KEY") or "")
    todo = ("在 /etc/gongkai/gongkai.env 设置 set GONGKAI_PERSONAL_DATA_KEY (64 random hex "
            "characters) and keep a copy in the office safe; data sealed before still opens")
    if not key:
        yield Finding("personal data key", Level.WARN,
                      "未设置 PERSONAL_DATA_KEY：个人信息密钥由备份中也有的 SECRET_KEY 派生 "
                      "not set: personal data's key derives from SECRET_KEY, which backups "
                      "carry", todo)
    elif key == str(app.config.get("SECRET_KEY") or ""):
        yield Finding("personal data key", Level.WARN,
                      "PERSONAL_DATA_KEY 与 SECRET_KEY 相同 equals SECRET_KEY", todo)
    elif len(key) < _MIN_KEY_CHARS:
        yield Finding("personal data key", Level.WARN,
                      f"PERSONAL_DATA_KEY 太短 too short ({len(key)} characters)", todo)
    else:
        yield Finding("personal data key", Level.OK,
                      "个人信息有独立密钥 PERSONAL_DATA_KEY is set")


# -- database -------------------------------------------------------------------------------


def quick_connection(app: Flask) -> AbstractContextManager[Connection]:
    """The app's database on a connection of its own, with the doctor's short timeout."""
    return own_connection(app.config["SQLALCHEMY_DATABASE_URI"], CONNECT_TIMEOUT)


def _current_revision(conn: Connection) -> str | None:
    """The database's Alembic revision, without Alembic's INFO lines in the report."""
    migration_log = logging.getLogger("alembic.runtime.migration")
    level = migration_log.level
    migration_log.setLevel(logging.WARNING)
    try:
        return MigrationContext.configure(conn).get_current_revision()
    finally:
        migration_log.setLevel(level)


def check_database(app: Flask) -> Iterator[Finding]:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    where = url.render_as_string(hide_password=True)
    try:
        with quick_connection(app) as conn:
            conn.execute(text("SELECT 1"))
            current = _current_revision(conn)
    except FileNotFoundError:
        yield Finding("database", Level.FAIL, f"数据库文件不存在 database file missing: {where}",
                      "建库 create it: gongkai db upgrade")
        return
    except SQLAlchemyError as exc:
        yield Finding("database", Level.FAIL,
                      f"无法连接数据库 database unreachable: {where}: {first_line(exc)}",
                      "检查 check DATABASE_URL and the database server "
                      "(systemctl status postgresql)")
        return
    heads = backup.schema_heads()
    if url.get_backend_name() == "sqlite" and url.database:
        folder = Path(url.database).resolve().parent
        if not os.access(url.database, os.W_OK) or not os.access(folder, os.W_OK):
            yield Finding("database", Level.FAIL,
                          f"数据库文件或目录不可写 database file or folder not writable: {folder}",
                          "让服务账户拥有它 chown the file and its folder to the service user")
            return
    if current is None:
        yield Finding("database", Level.FAIL, f"数据库尚未建表 not migrated: {where}",
                      "gongkai db upgrade")
    elif current in heads:
        yield Finding("database", Level.OK,
                      f"数据库可连接，结构为最新 reachable, schema at head {current}: {where}")
    elif backup.revision_known(current):
        yield Finding("database", Level.FAIL,
                      f"数据库结构落后 schema behind: {current}, code expects {', '.join(heads)}",
                      "先备份再升级 back up, then: gongkai db upgrade")
    else:
        yield Finding("database", Level.FAIL,
                      f"数据库结构比程序新 database newer than this code: {current}",
                      "安装写入它的新版本 install the gongkai version that migrated it")


# -- Redis ----------------------------------------------------------------------------------


def _redacted(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", url)


def ping_redis(url: str, timeout: float = CONNECT_TIMEOUT) -> str:
    """'' when Redis at ``url`` answers PING within ``timeout`` seconds, else the reason."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError) as exc:
        return first_line(exc)
    return ""


def check_redis(app: Flask) -> Iterator[Finding]:
    urls = redis_urls(app.config)
    for url in urls:
        problem = ping_redis(url)
        if problem:
            yield Finding("redis", Level.FAIL,
                          f"Redis 无法连接 unreachable: {_redacted(url)}: {problem}",
                          "检查 check: systemctl status redis-server, and GONGKAI_REDIS_URL")
        else:
            yield Finding("redis", Level.OK, f"Redis 可连接 reachable: {_redacted(url)}")
    others = [key for key in ("REDIS_URL", *SHARED_STORES)
              if str(app.config.get(key) or "").startswith("redis+")]
    for key in others:
        yield Finding("redis", Level.WARN, f"{key} 无法自动检查 not checked (sentinel/cluster)",
                      "用 redis-cli 手动检查 check it with redis-cli")
    if not urls and not others:
        yield Finding("processes", Level.OK,
                      "单进程模式（无 Redis）one-process mode (no Redis): "
                      "gongkai run or gongkai serve --workers 1")
        return
    problems = multi_process_problems(app.config)
    if problems:
        yield Finding("processes", Level.WARN,
                      "多进程设置不完整 multi-process settings incomplete: " + "; ".join(problems),
                      "多个进程需 PostgreSQL 加 GONGKAI_REDIS_URL；否则只用一个进程 several "
                      "workers need PostgreSQL and GONGKAI_REDIS_URL; else serve --workers 1")
    else:
        yield Finding("processes", Level.OK,
                      "可多进程运行 ready for gongkai serve --workers N (PostgreSQL + Redis)")


# -- disk -----------------------------------------------------------------------------------


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def check_disk(app: Flask) -> Iterator[Finding]:
    warn_at = int(app.config.get("DOCTOR_DISK_WARN_BYTES", DISK_WARN_BYTES))
    fail_at = int(app.config.get("DOCTOR_DISK_FAIL_BYTES", DISK_FAIL_BYTES))
    folders = {"实例目录 instance": Path(app.instance_path),
               "备份目录 backups": backup.backup_dir(app)}
    for label, folder in folders.items():
        here = _existing(folder)
        free = shutil.disk_usage(here).free
        said = f"{label} {folder}: 剩余 free {human_bytes(free)}"
        if not os.access(here, os.W_OK):
            todo = (f"chown gongkai: {folder}" if here == folder else
                    f"install -d -o gongkai -g gongkai -m 0750 {folder}")
            yield Finding("disk", Level.FAIL, f"{label} {folder}: 不可写 not writable", todo)
        elif free < fail_at:
            yield Finding("disk", Level.FAIL, said,
                          "立即清理 free space now (old backups, logs: journalctl --vacuum-size)")
        elif free < warn_at:
            yield Finding("disk", Level.WARN, said,
                          f"剩余少于 below {human_bytes(warn_at)}: clean up or add a disk")
        else:
            yield Finding("disk", Level.OK, said)


# -- clock ----------------------------------------------------------------------------------


def newest_written_at(conn: Connection) -> dt.datetime | None:
    """The newest time the server stored in its tables' written-at columns (the last row by
    primary key of each table, so no table is scanned)."""
    existing = set(inspect(conn).get_table_names())
    newest: dt.datetime | None = None
    for table in db.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if table.name not in existing or len(keys) != 1:
            continue
        for column in table.columns:
            if column.name in _WRITTEN_AT and isinstance(column.type, UTCDateTime):
                value = conn.scalar(select(column).order_by(keys[0].desc()).limit(1))
                if value is not None and (newest is None or value > newest):
                    newest = value
    return newest


def ntp_synchronized() -> bool | None:
    """What systemd says about time synchronisation (None where it cannot say)."""
    try:
        done = subprocess.run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
                              capture_output=True, text=True, timeout=3, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    answer = done.stdout.strip()
    return {"yes": True, "no": False}.get(answer) if done.returncode == 0 else None


def check_clock(app: Flask) -> Iterator[Finding]:
    now = _now()
    if now.year < 2025:
        yield Finding("clock", Level.FAIL,
                      f"系统时间不对 system clock says {now:%Y-%m-%d %H:%M} UTC",
                      "校准时间 set the time (timedatectl set-ntp true, or date -s); "
                      "check the BIOS battery")
        return
    try:
        with quick_connection(app) as conn:
            newest = newest_written_at(conn)
    except (SQLAlchemyError, FileNotFoundError):
        newest = None  # the database check says why
    if newest is not None and newest > now + CLOCK_SLACK:
        behind = newest - now
        yield Finding("clock", Level.FAIL,
                      f"系统时间落后于数据库最新记录 clock is {_duration(behind)} behind the "
                      f"newest stored time ({newest:%Y-%m-%d %H:%M} UTC)",
                      "校准时间 set the time (timedatectl set-ntp true); "
                      "check the BIOS battery")
        return
    if ntp_synchronized() is False:
        yield Finding("clock", Level.WARN, "系统时间未同步 clock not synchronised (NTP)",
                      "timedatectl set-ntp true; without internet set NTP= in "
                      "/etc/systemd/timesyncd.conf to the hall's time server")
        return
    yield Finding("clock", Level.OK, f"系统时间 system time {now:%Y-%m-%d %H:%M} UTC")


def check_timezone(app: Flask) -> Iterator[Finding]:
    for key in ("DISPLAY_TIMEZONE", "BABEL_DEFAULT_TIMEZONE"):
        value = str(app.config.get(key) or "")
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            yield Finding("timezone", Level.FAIL, f"时区设置无效 invalid {key}: {value!r}",
                          "设为 set it to Asia/Shanghai (and apt-get install tzdata)")
            return
    yield Finding("timezone", Level.OK,
                  f"时区 timezone {app.config.get('DISPLAY_TIMEZONE')}")


# -- the working-day calendar -------------------------------------------------------------


def check_calendar(app: Flask) -> Iterator[Finding]:
    """Next year's holidays are published each November; deadlines need them by January."""
    try:
        today = calendar_today(app)
    except (ZoneInfoNotFoundError, ValueError):
        today = _now().date()  # the timezone check says why
    try:
        with quick_connection(app) as conn:
            rows = conn.execute(select(CalendarOverride.day, CalendarOverride.is_workday)).all()
    except (SQLAlchemyError, FileNotFoundError):
        rows = []  # the database check says why; the package alone still answers
    cal = WorkdayCalendar({day: is_workday for day, is_workday in rows})

    def known(year: int) -> bool:
        return not cal.guessed_years(dt.date(year, 1, 1), dt.date(year, 12, 31))

    todo = ("升级节假日包 pip install -U chinesecalendar, or enter the State Council's "
            "arrangement at /staff/calendar (gongkai calendar set DATE --holiday/--workday)")
    year, upcoming = today.year, today.year + 1
    if not known(year):
        yield Finding("calendar", Level.FAIL,
                      f"未收录 {year} 年节假日 this year's holidays unknown ({year})", todo)
    elif known(upcoming):
        yield Finding("calendar", Level.OK,
                      f"已收录 {year}、{upcoming} 年节假日 holidays known for {year} and "
                      f"{upcoming}")
    elif today.month == 12:
        yield Finding("calendar", Level.FAIL,
                      f"未收录 {upcoming} 年节假日 next year's holidays unknown ({upcoming})",
                      todo)
    elif today.month >= 10:
        yield Finding("calendar", Level.WARN,
                      f"未收录 {upcoming} 年节假日（通常 11 月公布）next year's holidays "
                      f"unknown ({upcoming}; published each November)", todo)
    else:
        yield Finding("calendar", Level.OK,
                      f"已收录 {year} 年节假日 holidays known for {year}")


# -- the command ----------------------------------------------------------------------------


def _duration(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} days"


_MARK = {Level.OK: "OK  ", Level.WARN: "WARN", Level.FAIL: "FAIL"}


@click.command("doctor", help="检查部署 Check this deployment: keys, database, Redis, printers, "
                              "disk, clock, holiday calendar. Exits 1 if anything FAILs.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@with_appcontext
def doctor_command(as_json: bool) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    findings = run_checks(app)
    failed = any(f.level is Level.FAIL for f in findings)
    if as_json:
        report = {"hall": app.config["HALL_NAME"], "ok": not failed,
                  "findings": [asdict(f) for f in findings]}
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(f"gongkai doctor — {app.config['HALL_NAME']}")
        for f in findings:
            click.echo(f"  {_MARK[f.level]}  {f.check:<18} {f.reason}")
            if f.action and f.level is not Level.OK:
                click.echo(f"        {'':<18} → {f.action}")
        counts = {level: sum(f.level is level for f in findings) for level in Level}
        click.echo(f"结果 result: {counts[Level.FAIL]} FAIL, {counts[Level.WARN]} WARN, "
                   f"{counts[Level.OK]} OK")
    if failed:
        raise SystemExit(1)


def init_app(app: Flask) -> None:
    """The ``gongkai doctor`` command and the frame's checks."""
    app.cli.add_command(doctor_command)
    for name, check in (("secret key", check_secret_key),
                        ("personal data key", check_personal_data_key),
                        ("database", check_database), ("redis", check_redis),
                        ("disk", check_disk), ("clock", check_clock),
                        ("timezone", check_timezone), ("calendar", check_calendar)):
        register_check(app, name, check)
