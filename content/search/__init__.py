"""Chinese full-text and pinyin search over published content.

Content is copied into ``search_entry`` and tokenised into the raw ``fts_search`` index
(FTS5 on SQLite, tsvector + GIN on PostgreSQL); the index follows every change through the
``content_changed`` / ``content_deleted`` signals, and ``gongkai content reindex`` rebuilds it.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from flask import Flask, current_app, has_request_context
from flask.cli import with_appcontext
from flask_babel import force_locale, gettext
from markupsafe import Markup
from sqlalchemy import select

from content.cli import content_cli
from content.models import Interpretation, Validity
from content.search import highlight, query
from content.search.index import KINDS, index_objects, reindex_all, remove_objects, total_objects
from content.search.pinyin import title_marks
from hall.extensions import db
from hall.signals import content_changed, content_deleted

__all__ = [
    "SearchFilters", "SearchHit", "SearchPage", "index_objects", "init_app", "reindex_all",
    "remove_objects", "search",
]

MAX_LIMIT = 50
#: A validity filter must be one of these (SQLite matches it as a token, PostgreSQL by value).
VALIDITIES = frozenset(v.value for v in Validity)


@dataclass(frozen=True)
class SearchFilters:
    category_id: int | None = None  # a 一级 category also matches its 二级 children
    issuer_id: int | None = None
    year: int | None = None
    validity: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class SearchHit:
    kind: str
    object_id: int
    title: str
    title_html: Markup
    doc_number: str
    issuer: str
    snippet_html: Markup
    issued_on: dt.date | None
    validity: str | None


@dataclass(frozen=True)
class SearchPage:
    query: str
    total: int
    hits: list[SearchHit]
    limit: int
    offset: int


def _filter_sql(filters: SearchFilters) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if filters.category_id is not None:
        clauses.append("(e.category_id = :f_cat OR e.category_root_id = :f_cat)")
        params["f_cat"] = filters.category_id
    if filters.issuer_id is not None:
        clauses.append("e.issuer_id = :f_issuer")
        params["f_issuer"] = filters.issuer_id
    if filters.year is not None:
        clauses.append("e.year = :f_year")
        params["f_year"] = filters.year
    if filters.validity:
        clauses.append("e.validity = :f_validity")
        params["f_validity"] = filters.validity
    if filters.kind:
        clauses.append("e.kind = :f_kind")
        params["f_kind"] = filters.kind
    return " AND ".join(clauses), params


def _hit(row: Any, parsed: query.ParsedQuery, pattern: re.Pattern[str] | None) -> SearchHit:
    title_spans = highlight.spans(row.title, pattern)
    for part in parsed.parts:
        if part.initials or part.full:
            title_spans += title_marks(row.title, part.initials, part.full)
    issued = row.issued_on
    if isinstance(issued, str):  # SQLite through a text() query
        issued = dt.date.fromisoformat(issued)
    return SearchHit(
        kind=row.kind, object_id=row.object_id, title=row.title,
        title_html=highlight.marked(row.title, title_spans), doc_number=row.doc_number,
        issuer=row.issuer_name, snippet_html=highlight.snippet(row.body or "", pattern),
        issued_on=issued, validity=row.validity,
    )


def search(
    text: str, filters: SearchFilters | None = None, *, limit: int = 10, offset: int = 0
) -> SearchPage:
    """One page of hits; an empty query lists by date (newest first) within the filters.

    Text that has no searchable characters (only punctuation) finds nothing, calmly.
    """
    filters = filters or SearchFilters()
    max_chars = int(current_app.config.get("SEARCH_MAX_QUERY_CHARS", 100))
    text = (text or "")[:max_chars]
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    if (filters.kind and filters.kind not in KINDS) or (
            filters.validity and filters.validity not in VALIDITIES):
        return SearchPage(text, 0, [], limit, offset)
    filter_sql, params = _filter_sql(filters)
    parsed = query.parse(text)
    if parsed.empty:
        if text.strip():
            return SearchPage(text, 0, [], limit, offset)
        total, rows = query.browse(filter_sql, params, limit, offset)
    else:
        total, rows = query.run(parsed, filter_sql, params, limit, offset)
    pattern = highlight.pattern_for([p.surface for p in parsed.parts])
    return SearchPage(text, total, [_hit(r, parsed, pattern) for r in rows], limit, offset)


def _on_changed(sender: Any, kind: str = "", ids: list[int] | None = None, **_: Any) -> None:
    index_objects(kind, list(ids or []))
    if kind == "policy" and ids:  # interpretations show their policy's filters
        ids = list(ids)
        linked: list[int] = []
        for start in range(0, len(ids), 1000):
            linked += db.session.scalars(select(Interpretation.id).where(
                Interpretation.policy_id.in_(ids[start : start + 1000])))
        index_objects("interpretation", linked)


def _on_deleted(sender: Any, kind: str = "", ids: list[int] | None = None, **_: Any) -> None:
    remove_objects(kind, list(ids or []))


def _(msgid: str, **values: Any) -> str:
    """``gettext`` outside a request too (the CLI speaks the hall's default language)."""
    if has_request_context():
        return gettext(msgid, **values)
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return gettext(msgid, **values)


@click.command("reindex")
@with_appcontext
def reindex_command() -> None:
    """Rebuild the search index from all published content (drafts and withdrawn items stay out)."""
    started = time.perf_counter()
    with click.progressbar(length=total_objects(), label=_("重建检索索引")) as bar:
        progress: Callable[[int], None] = bar.update
        count = reindex_all(progress)
    seconds = time.perf_counter() - started
    click.echo(_("已索引 %(count)d 条，用时 %(seconds).1f 秒", count=count, seconds=seconds))


def init_app(app: Flask) -> None:
    """Connect the index to content signals and add ``gongkai content reindex``."""
    content_cli.add_command(reindex_command)
    content_changed.connect(_on_changed, weak=False)
    content_deleted.connect(_on_deleted, weak=False)
