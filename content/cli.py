"""``gongkai content import`` / ``export``: move published content in and out as files;
``gongkai content publish-due``: apply the publication schedule now."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from content.models import PubStatus
from content.schedule import publish_due
from content.transfer import (
    CSV_SECTIONS,
    SECTIONS,
    ImportRejected,
    count_rows,
    export_bundle,
    export_csv,
    import_bundle,
    load_file,
)

content_cli = AppGroup("content", help="Import, export and reindex published content.")


@content_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--section", type=click.Choice(CSV_SECTIONS),
              help="What a CSV file holds (one section per CSV file).")
@click.option("--dry-run", is_flag=True, help="Check and count, then write nothing.")
def import_command(file: Path, section: str | None, dry_run: bool) -> None:
    """Import FILE (a .json bundle, or a .csv with --section): every row or none."""
    try:
        bundle = load_file(file, section)
        with click.progressbar(length=count_rows(bundle), label=_("导入中"),
                               file=sys.stderr) as bar:
            report = import_bundle(bundle, progress=bar.update, dry_run=dry_run)
    except ImportRejected as rejected:
        click.echo(rejected.report.summary(), err=True)
        for error in rejected.report.errors:
            click.echo(f"  {error}", err=True)
        raise click.exceptions.Exit(1) from None
    click.echo(report.summary())
    for warning in report.warnings:
        click.echo(f"  {warning}")


@content_cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default=None,
              help="Default: from FILE's extension, else json.")
@click.option("--section", type=click.Choice(SECTIONS), multiple=True,
              help="Only this section (repeatable for JSON; required once for CSV).")
def export_command(file: Path, fmt: str | None, section: tuple[str, ...]) -> None:
    """Export the content to FILE as a JSON bundle, or one section as CSV for Excel."""
    fmt = fmt or ("csv" if file.suffix.lower() == ".csv" else "json")
    if fmt == "csv":
        if len(section) != 1:
            raise click.UsageError(_("导出 CSV 时须用 --section 指明一个部分"))
        with file.open("w", encoding="utf-8", newline="") as stream:
            count = export_csv(section[0], stream)
        click.echo(_("已导出 %(count)s 条到 %(file)s", count=count, file=str(file)))
        return
    bundle = export_bundle(section or None)
    file.write_text(json.dumps(bundle, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    count = sum(len(v) for v in bundle.values() if isinstance(v, list))
    click.echo(_("已导出 %(count)s 条到 %(file)s", count=count, file=str(file)))


_KIND_LABELS = {"policy": _l("政策文件"), "interpretation": _l("政策解读"),
                "guide": _l("办事指南"), "notice": _l("通知公告")}


@content_cli.command("publish-due")
def publish_due_command() -> None:
    """发布已到发布时间的定时内容，撤回已过下线时间的内容，并列出改动。

    网站收到访问时也会自动执行；无人访问时，可用 cron 每分钟运行一次。
    """
    changes = publish_due()
    for change in changes:
        kind = str(_KIND_LABELS.get(change.kind, change.kind))
        action = _("已发布") if change.status is PubStatus.PUBLISHED else _("已撤回")
        click.echo(_("%(action)s：%(kind)s #%(id)s《%(title)s》", action=action, kind=kind,
                     id=change.object_id, title=change.title))
    click.echo(_("共改动 %(count)s 条。", count=len(changes)) if changes
               else _("没有到期的内容。"))


def init_app(app: Flask) -> None:
    app.cli.add_command(content_cli)
