"""``gongkai demo``: seed the hall with realistic demo content through the normal importer.

The demo bundle lives in ``content/data/demo/*.json`` (read in name order, each a valid bundle
given the earlier ones). The 2019 Regulations on OGI are kept as the published Markdown text in
``content/data/regulations-ogi-2019.md`` and converted here, so that every article is
addressable as ``#art-N`` on the policy page.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from content.models import Policy
from content.transfer import SECTIONS, ImportRejected, ImportReport, import_bundle
from hall.extensions import db

DATA_DIR = Path(__file__).parent / "data"
DEMO_DIR = DATA_DIR / "demo"
REGULATIONS_FILE = DATA_DIR / "regulations-ogi-2019.md"

_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_CHAPTER = re.compile(r"^##\s*(第([〇零一二两三四五六七八九十百千]+)章)\s*(.*)$")
_ARTICLE = re.compile(r"^(第([〇零一二两三四五六七八九十百千]+)条)[\s\u3000]*(.*)$")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def chinese_number(text: str) -> int:
    """The value of a Chinese numeral below 10,000 (二十九 → 29, 一百零五 → 105, 十五 → 15).

    :raises ValueError: on an empty string or a character that is not a Chinese digit/unit.
    """
    if not text:
        raise ValueError("empty numeral")
    total, digit = 0, None
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char in _UNITS:
            total += (1 if digit is None else digit) * _UNITS[char]
            digit = None
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + (digit or 0)


def regulations_html(markdown: str) -> tuple[str, list[str]]:
    """Convert the regulations' Markdown into policy HTML; also return the preamble lines.

    ``## 第一章 总则`` becomes ``<h2 id="ch-1">``; each article ``第X条`` opens a
    ``<section id="art-N" class="article">`` holding its paragraphs, so ``#art-29`` shows the
    whole of Article 29.
    """
    text = _COMMENT.sub("", markdown)
    lines = [line.strip() for line in text.splitlines()]
    preamble: list[str] = []
    out: list[str] = []
    in_article = False
    started = False

    def close() -> None:
        nonlocal in_article
        if in_article:
            out.append("</section>")
            in_article = False

    for line in lines:
        if not line or line.startswith("# "):
            continue
        chapter = _CHAPTER.match(line)
        article = _ARTICLE.match(line)
        if chapter:
            close()
            started = True
            number = chinese_number(chapter.group(2))
            title = html.escape(f"{chapter.group(1)} {chapter.group(3)}".strip())
            out.append(f'<h2 id="ch-{number}">{title}</h2>')
        elif article:
            close()
            started = True
            number = chinese_number(article.group(2))
            out.append(f'<section id="art-{number}" class="article">')
            out.append(f'<p><strong class="art-no">{html.escape(article.group(1))}</strong> '
                       f"{html.escape(article.group(3))}</p>")
            in_article = True
        elif not started:
            preamble.append(line)
        else:
            out.append(f"<p>{html.escape(line)}</p>")
    close()
    return "\n".join(out), preamble


def regulations_policy() -> dict[str, Any]:
    """The 2019 Regulations on OGI (国务院令第711号) as a bundle policy row."""
    body, preamble = regulations_html(REGULATIONS_FILE.read_text(encoding="utf-8"))
    info = "".join(f'<p class="doc-info">{html.escape(line)}</p>\n' for line in preamble)
    return {
        "ref": "ogi-2019",
        "title": "中华人民共和国政府信息公开条例",
        "doc_number": "国务院令第711号",
        "issuer": "国务院",
        "category": "0102",
        "issued_on": "2019-04-03",
        "effective_on": "2019-05-15",
        "validity": "有效",
        "summary": ("政府信息公开的基本法规：坚持以公开为常态、不公开为例外，规定主动公开的范围和"
                    "渠道，依申请公开的申请方式、补正、答复期限（20个工作日）和答复类型，"
                    "以及监督和保障措施。2019年4月3日修订公布，2019年5月15日起施行。"),
        "body_html": info + body,
        "source_url": "",
    }


def load_demo_bundle() -> dict[str, Any]:
    """All demo files merged into one bundle, with the regulations first among the policies."""
    bundle: dict[str, Any] = {"format": "gongkai-content", "version": 1}
    for path in sorted(DEMO_DIR.glob("*.json")):
        part = json.loads(path.read_text(encoding="utf-8"))
        for section in SECTIONS:
            bundle.setdefault(section, []).extend(part.get(section, []))
    bundle.setdefault("policies", []).insert(0, regulations_policy())
    return bundle


def is_empty() -> bool:
    """True when no policy is published yet (the demo is only seeded into such a database)."""
    return db.session.scalar(select(Policy.id).limit(1)) is None


def seed_demo(progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import the demo bundle through the normal importer (all rows or none).

    :raises ImportRejected: if a row is refused (a bug in the demo data).
    """
    return import_bundle(load_demo_bundle(), progress=progress)


@click.command("demo", help="载入演示数据（政策文件、解读、办事指南、通知公告、事项标准目录）。")
@click.option("--if-empty", is_flag=True,
              help="仅在数据库中还没有政策文件时载入（适合首次启动时自动执行）。")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Seed demo content; with ``--if-empty`` leave a database that has content untouched."""
    if if_empty and not is_empty():
        click.echo(_("数据库中已有内容，未载入演示数据。"))
        _run_demo_steps()
        return
    try:
        report = seed_demo()
    except ImportRejected as rejected:
        for error in rejected.report.errors:
            click.echo(f"  {error}", err=True)
        raise click.ClickException(rejected.report.summary()) from rejected
    click.echo(report.summary())
    for warning in report.warnings:
        click.echo(f"  {warning}")
    _run_demo_steps()


def _run_demo_steps() -> None:
    """Other features' demo steps (``app.extensions["demo_steps"]``), after the content's;
    each leaves what already exists alone."""
    for step in current_app.extensions.get("demo_steps", []):
        step()


def init_app(app: Flask) -> None:
    """Register the ``demo`` command."""
    app.cli.add_command(demo_command)
