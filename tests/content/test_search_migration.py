"""Migration 0009 (SQLite: ``fts_title`` and the ``facets`` column) upgrades an index that the
code before it built, in place: searching, filtering and the title tier work with no reindex."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, text

from content.search import SearchFilters, search
from content.search import index as search_index
from content.search.models import SearchEntry
from content.search.tokenize import facet_tokens
from hall.app import create_app
from hall.extensions import db

from ..conftest import new_database

ENTRIES: list[dict[str, Any]] = [
    dict(kind="policy", object_id=1, title="城乡低保标准", doc_number="赣府发〔2022〕3号",
         issuer_name="章贡区民政局", issuer_id=7, category_id=5, category_root_id=4,
         issued_on=dt.date(2022, 3, 1), year=2022, validity="有效", body="保障标准"),
    dict(kind="policy", object_id=2, title="社会救助办法", doc_number="", issuer_name="章贡区政府",
         issuer_id=8, category_id=4, category_root_id=4, issued_on=dt.date(2021, 5, 1),
         year=2021, validity="废止", body="低保对象的认定"),
]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    with new_database(tmp_path, "old") as url:
        yield url


def _old_index() -> None:
    """Entries and index rows as the code of revision 0008 wrote them."""
    db.session.execute(insert(SearchEntry), [{**e, "id": n} for n, e in enumerate(ENTRIES, 1)])
    postgres = search_index.is_postgres()
    values = search_index._tokenised(ENTRIES, postgres)
    if postgres:  # unchanged by 0009
        search_index._insert_fts([1, 2], values)
    else:
        cols = ", ".join(search_index.COLUMNS)
        marks = ", ".join(f":{c}" for c in search_index.COLUMNS)
        db.session.execute(text(f"INSERT INTO fts_search (rowid, {cols}) VALUES (:id, {marks})"),
                           [{"id": n, **v} for n, v in enumerate(values, 1)])
    db.session.commit()


def _titles(query: str, filters: SearchFilters | None = None) -> list[str]:
    return [h.title for h in search(query, filters).hits]


def test_index_built_before_0009_upgrades_in_place(database: str, tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database})
    app.instance_path = str(tmp_path)
    with app.app_context():
        upgrade(revision="0008")
        _old_index()
        upgrade()
        assert _titles("低保") == ["城乡低保标准", "社会救助办法"]  # title tier first
        assert _titles("dibao") == ["城乡低保标准"]
        assert _titles("〔2022〕3号") == ["城乡低保标准"]
        assert _titles("低保", SearchFilters(validity="废止")) == ["社会救助办法"]
        assert _titles("低保", SearchFilters(category_id=4)) == ["城乡低保标准", "社会救助办法"]
        assert _titles("低保", SearchFilters(category_id=5)) == ["城乡低保标准"]
        assert _titles("低保", SearchFilters(year=2022, issuer_id=7, kind="policy")) == [
            "城乡低保标准"]
        if not search_index.is_postgres():
            # The migration's SQL writes the tokens the code writes.
            stored = db.session.execute(text(
                "SELECT facets FROM fts_search ORDER BY rowid")).scalars().all()
            assert stored == [facet_tokens(e) for e in ENTRIES]
        db.session.commit()
        downgrade(revision="0008")
        if not search_index.is_postgres():
            found = db.session.execute(text(
                "SELECT count(*) FROM fts_search WHERE fts_search MATCH '\"低保\"'")).scalar()
            assert found == 2
            assert "fts_title" not in {r[0] for r in db.session.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'table'"))}
        db.session.remove()
        db.engine.dispose()
