"""``gongkai report annual YEAR [--format text|csv]``: table 三 of the annual report.

Text is aligned for a terminal (Chinese characters count two cells) and ends with the
checks; CSV (UTF-8 with a BOM, as the staff page exports it) goes to stdout alone, the checks
to stderr, so ``> report.csv`` gives a clean file and a warning still shows.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from disclosure import report

report_cli = AppGroup("report", help="报表 Reports: the annual report on disclosure applications.")


@report_cli.command("annual")
@click.argument("year", type=click.IntRange(min=report.MIN_YEAR, max=report.MAX_YEAR))
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text",
              show_default=True, help="text: an aligned table and the checks; csv: the table.")
def annual_command(year: int, fmt: str) -> None:
    """Print YEAR's table 三 (收到和处理政府信息公开申请情况) and its three checks."""
    table = report.annual(year).table
    if fmt == "csv":
        click.echo(report.as_csv(table), nl=False)
        if not table.ok or table.problems:
            click.echo("\n".join(report.check_lines(table)), err=True)
        return
    click.echo(report.as_text(table), nl=False)


def init_app(app: Flask) -> None:
    app.cli.add_command(report_cli)
