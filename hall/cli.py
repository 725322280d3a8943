"""Frame commands of the ``gongkai`` CLI (features add their own groups in ``init_app``)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple


def addresses(base: str) -> list[tuple[str, str]]:
    """What a new user opens, as (label, URL) pairs."""
    return [
        ("自助查询机 kiosk", f"{base}/kiosk"),
        ("大厅屏幕 lobby screen", f"{base}/screens/lobby"),
        ("工作人员 staff", f"{base}/staff"),
    ]


@click.command("run", help="Serve the hall (kiosk, screens, staff) on HOST:PORT.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def run_command(host: str, port: int) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    base = f"http://{host}:{port}"
    click.echo(f"gongkai — {app.config['HALL_NAME']}")
    for label, url in addresses(base):
        click.echo(f"  {label:<24} {url}")
    click.echo(f"  database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
    run_simple(host, port, app, threaded=True, use_reloader=False)

