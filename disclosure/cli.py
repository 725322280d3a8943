"""``gongkai disclosure …``: maintenance commands of the disclosure feature."""

from __future__ import annotations

import datetime as dt

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from disclosure import workflow

disclosure_cli = AppGroup("disclosure", help="Applications for disclosure (依申请公开).")


@disclosure_cli.command("purge")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Count the retention period up to this day (default: today).")
@click.option("--years", type=click.IntRange(min=1, max=100), default=None,
              help="Retention in years (default: DISCLOSURE_RETENTION_YEARS).")
def purge_command(today: dt.datetime | None, years: int | None) -> None:
    """Remove the personal data (ID, phone, address, e-mail; names masked) of cases archived
    longer ago than the retention period. The request, reply and history are kept."""
    years = years or int(current_app.config["DISCLOSURE_RETENTION_YEARS"])
    count = workflow.purge_expired(today.date() if today else None, years)
    click.echo(f"已删除 {count} 件归档超过 {years} 年的申请的个人信息。")


@disclosure_cli.command("recompute")
def recompute_command() -> None:
    """Recompute the due dates of open cases (after the working-day calendar changed)."""
    count = workflow.recompute_open()
    click.echo(f"{count} 件申请的答复期限已按新的工作日历更新。")


def init_app(app: Flask) -> None:
    app.cli.add_command(disclosure_cli)
