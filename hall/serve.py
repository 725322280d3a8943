"""``gongkai serve``: the hall on gunicorn, one or several worker processes.

``gongkai run`` is the embedded mode: one process (Werkzeug's threaded server), SQLite, the
virtual printer — what a small hall or a demo needs. ``gongkai serve`` is the production
server: gunicorn's threaded workers (``gthread``: one thread per request in progress and one
per open websocket, so ``threads`` must cover the screens and phone pages connected to a
worker plus the requests in flight).

Several workers share what one process keeps in memory through PostgreSQL (data, ticket and
application counters, the print spool's claims) and Redis (Socket.IO events between workers,
rate-limit counters, kiosk drafts); so ``--workers`` above 1 refuses SQLite and a missing
Redis. Browser clients speak WebSocket only (no long-polling, whose requests would need to
reach the same worker every time), and each worker's app is told so.

Workers are not preloaded: each builds its own app after the fork (no database connection or
thread crosses a fork), runs the features' serve hooks (the print spool worker) and freezes its
start-up objects out of the garbage collector's reach, as ``gongkai run`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from gunicorn.app.base import BaseApplication

from hall.cli import ready_to_serve
from hall.config import SHARED_STORES, in_memory
from hall.extensions import db

#: The access log names the path only: a query string may carry what a citizen typed.
ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'


def multi_process_problems(config: Mapping[str, Any]) -> list[str]:
    """What stops several worker processes from sharing this configuration ([] if nothing)."""
    problems = []
    if str(config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        problems.append("数据库是 SQLite：多个进程需要 PostgreSQL（设置 DATABASE_URL）"
                        " several workers need PostgreSQL (set DATABASE_URL)")
    missing = [key for key in SHARED_STORES if in_memory(config.get(key))]
    if missing:
        problems.append("缺少 Redis：设置 GONGKAI_REDIS_URL（例如 redis://127.0.0.1:6379/0）"
                        " several workers need Redis (set GONGKAI_REDIS_URL); in memory now: "
                        + ", ".join(missing))
    return problems


class HallServer(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
    """gunicorn with its settings from the command line, each worker building its own app."""

    def __init__(self, factory: Callable[[], Flask], options: Mapping[str, Any]) -> None:
        self.factory = factory
        self.options = dict(options)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        app = self.factory()
        ready_to_serve(app)
        return app


def gunicorn_options(host: str, port: int, workers: int, threads: int,
                     access_log: str) -> dict[str, Any]:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "preload_app": False,
        # A websocket holds its thread for hours; gthread's heartbeat does not depend on it.
        "timeout": 60,
        "graceful_timeout": 10,
        "keepalive": 5,
        "accesslog": None if access_log == "off" else access_log,
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "proc_name": "gongkai",
        # gunicorn 27's control socket lives at one path per user: two servers on one machine
        # (a hall and its tests) would fight over it, and nothing here uses it.
        "control_socket_disable": True,
    }


@click.command("serve", help="Serve the hall on gunicorn: one worker on SQLite, or several "
                             "on PostgreSQL + Redis (see docs/deploy.md).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (more than 1 needs PostgreSQL and Redis).")
@click.option("--threads", default=200, show_default=True, type=click.IntRange(4, 2000),
              help="Threads per worker: connected screens and phones each hold one.")
@click.option("--access-log", default="-", show_default=True,
              help="Access log: - (standard output), a file path, or off.")
@with_appcontext
def serve_command(host: str, port: int, workers: int, threads: int, access_log: str) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    overrides: dict[str, Any] = {}
    if workers > 1:
        problems = multi_process_problems(app.config)
        if problems:
            raise click.UsageError("\n".join(problems))
        overrides["SOCKETIO_TRANSPORTS"] = ["websocket"]
    # The virtual printer binds one port: it belongs to `gongkai run`, or runs on its own
    # (`gongkai printer emulate`) beside a served hall.
    overrides["VIRTUAL_PRINTER_PORT"] = 0
    click.echo(f"gongkai serve — {app.config['HALL_NAME']}: http://{host}:{port}/ "
               f"({workers} × {threads} threads, database "
               f"{app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]})")
    db.session.remove()
    db.engine.dispose()  # no connection of this process may be inherited by a worker

    def factory() -> Flask:
        from hall.app import create_app  # the composition root, imported where it is used

        return create_app(overrides)

    HallServer(factory, gunicorn_options(host, port, workers, threads, access_log)).run()


def init_app(app: Flask) -> None:
    app.cli.add_command(serve_command)
