"""Frame commands of the ``gongkai`` CLI (features add their own groups in ``init_app``)."""

from __future__ import annotations

import gc
import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.serving import run_simple

from hall import accounts, audit, backup, doctor
from hall.extensions import db
from hall.logs import QuietRequestHandler
from hall.models import Role, StaffUser

ADDRESSES = [
    ("自助查询机 kiosk", "/kiosk/"),
    ("大厅屏幕 lobby screen", "/screens/lobby"),
    ("工作人员 staff", "/staff/"),
]


def addresses(app: Flask, base: str) -> list[tuple[str, str]]:
    """What a new user opens, as (label, URL) pairs: only the parts this build serves."""
    adapter = app.url_map.bind("localhost")
    out = []
    for label, path in ADDRESSES:
        try:
            adapter.match(path)
        except HTTPException:
            continue
        out.append((label, base + path))
    return out


@click.command("run", help="Serve the hall (kiosk, screens, staff) on HOST:PORT.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def run_command(host: str, port: int) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    base = f"http://{host}:{port}"
    click.echo(f"gongkai — {app.config['HALL_NAME']}")
    for label, url in addresses(app, base):
        click.echo(f"  {label:<24} {url}")
    click.echo(f"  database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
    if not _has_staff():
        click.echo("  尚无工作人员账户 no staff account yet — create the first administrator with:")
        click.echo("    .venv/bin/gongkai staff create-admin admin")
    serve(app, host, port)


#: Full collections between middle-generation ones: Python's default is 10.
FULL_GC_EVERY = 100


def ready_to_serve(app: Flask) -> None:
    """Start what features need for serving and settle the garbage collector (``gongkai run``,
    each ``gongkai serve`` worker, the benchmarks).

    The objects made at start-up (the app, templates, the search and keyboard tables when
    warm) are collected once and frozen out of the collector's reach: otherwise every full
    collection walks them all again. Full collections still walk every connection's objects
    and hold the GIL meanwhile — 30 ms with 300 lobby screens, 150 ms with 1,000 — and by
    Python's default one may start after every 10 middle-generation collections, which is
    several times a minute on a busy day: those pauses were the slow tail of pushes and of a
    call's way to the lobby board (bench/push.py p99 50–62 ms → 33–40 ms with
    ``FULL_GC_EVERY`` at 100). Young and middle generations keep their defaults, so short-lived
    cycles are still collected at once.
    """
    for hook in app.extensions.get("on_serve", []):  # features start what serving needs
        hook(app)
    gc.collect()
    gc.freeze()
    young, middle, _full = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_GC_EVERY)


def serve(app: Flask, host: str, port: int) -> None:
    """Get ready (:func:`ready_to_serve`), then serve (``gongkai run`` and the benchmarks)."""
    ready_to_serve(app)
    # Werkzeug's threaded server also carries the screens' websockets (Flask-SocketIO's
    # threading mode with simple-websocket). Not socketio.run(): inside a Flask CLI command
    # Flask ignores app.run(), which socketio.run() calls in this mode.
    # Request lines are logged without their query string (what a citizen typed).
    run_simple(host, port, app, threaded=True, use_reloader=False,
               request_handler=QuietRequestHandler)



def _has_staff() -> bool:
    try:
        return db.session.scalar(select(func.count(StaffUser.id))) != 0
    except SQLAlchemyError:  # not migrated yet: say nothing rather than fail to start
        db.session.rollback()
        return True


staff_group = click.Group(
    "staff", help="工作人员账户 Staff accounts: create the first admin, unlock an account.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt("密码 Password", hide_input=True, confirmation_prompt=True))


@staff_group.command("create-admin")
@click.argument("username")
@click.option("--name", "display_name", default="", help="姓名 Display name.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (for scripts).")
@with_appcontext
def create_admin(username: str, display_name: str, password_stdin: bool) -> None:
    """Create an administrator account USERNAME; the password is asked for, never defaulted."""
    if accounts.user_named(username) is not None:
        raise click.ClickException(f"用户名已存在 username taken: {username}")
    password = _read_password(password_stdin)
    problems = accounts.password_problems(
        password, username=username, min_length=current_app.config["STAFF_PASSWORD_MIN_LENGTH"])
    if problems:
        raise click.ClickException(" ".join(problems))
    user = accounts.create_user(username, password, [Role.ADMIN], display_name=display_name)
    audit.record("create", obj_type="staff_user", label=username, actor_name="命令行",
                 new={"username": username, "roles": [Role.ADMIN.value]})
    db.session.commit()
    click.echo(f"已创建管理员 admin created: {user.username}")


@staff_group.command("unlock")
@click.argument("username")
@with_appcontext
def unlock_command(username: str) -> None:
    """Clear the failure count and lock of USERNAME."""
    user = accounts.user_named(username)
    if user is None:
        raise click.ClickException(f"没有这个用户 no such user: {username}")
    accounts.unlock(user)
    audit.record("unlock", obj_type="staff_user", obj_id=user.id, label=username,
                 actor_name="命令行")
    db.session.commit()
    click.echo(f"已解锁 unlocked: {username}")


def init_app(app: Flask) -> None:
    app.cli.add_command(staff_group)
    doctor.init_app(app)  # gongkai doctor
    backup.init_app(app)  # gongkai backup / restore
