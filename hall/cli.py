"""Frame commands of the ``gongkai`` CLI (features add their own groups in ``init_app``)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from werkzeug.exceptions import HTTPException
from werkzeug.serving import run_simple

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
    run_simple(host, port, app, threaded=True, use_reloader=False)

