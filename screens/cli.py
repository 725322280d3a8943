"""``gongkai screens list`` / ``reload``: the screen registry from the command line."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from hall.timefmt import local
from screens import registry

screens_cli = AppGroup("screens", help="大厅屏幕 Lobby screens: list them, reload one remotely.")


@screens_cli.command("list")
def list_command() -> None:
    """List every screen: online or not, last seen, the slide on air, its playlist."""
    rows = registry.overview()
    if not rows:
        click.echo("没有屏幕 no screens (gongkai demo creates lobby and lobby-portrait)")
        return
    click.echo(f"{'name':<20} {'state':<8} {'last seen':<17} {'on air':<12} "
               f"{'orientation':<11} {'group':<12} playlist")
    for row in rows:
        seen = local(row.last_seen).strftime("%Y-%m-%d %H:%M") if row.last_seen else "-"
        click.echo(f"{row.name:<20} {'online' if row.online else 'offline':<8} {seen:<17} "
                   f"{row.on_air or '-':<12} {row.orientation:<11} {row.group or '-':<12} "
                   f"{row.playlist or '-'}")


@screens_cli.command("reload")
@click.argument("name")
def reload_command(name: str) -> None:
    """Make screen NAME reload its page (through the message queue when one is set)."""
    if registry.remote_reload(name) is None:
        raise click.ClickException(f"没有这个屏幕 no such screen: {name}")
    click.echo(f"已通知重新载入 reload sent: {name}")


def init_app(app: Flask) -> None:
    app.cli.add_command(screens_cli)
