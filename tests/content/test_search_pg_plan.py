"""Migration 0010 (PostgreSQL: a GIN index on the 文号 vector) and the PostgreSQL search plan:
title hits, body-only phrases and pinyin phrases are counted once and exactly, on an index
built before 0010 and after it (on SQLite 0010 changes nothing and the same answers hold)."""

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
from hall.app import create_app
from hall.extensions import db

from ..conftest import new_database


def _entry(n: int, title: str, body: str, doc_number: str = "", year: int = 2022) -> dict[str, Any]:
    return dict(kind="policy", object_id=n, title=title, doc_number=doc_number,
                issuer_name="章贡区民政局", issuer_id=7, category_id=5, category_root_id=4,
                issued_on=dt.date(year, 3, 1), year=year, validity="有效", body=body)


ENTRIES = [
    _entry(1, "城乡低保标准", "保障标准", "赣府发〔2022〕3号"),
    _entry(2, "社会救助办法", "低保对象的认定和𠮷祥〇号"),  # body-only phrase hit
    _entry(3, "救助低保", "对象的认定"),  # the words apart: no phrase hit for 低保对象
    _entry(4, "低保对象认定细则", "低保对象的认定", "赣民字〔2021〕12号", year=2021),  # both
    _entry(5, "政府信息公开指南", "依申请公开"),
]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    with new_database(tmp_path, "plan") as url:
        yield url


def _titles(query: str, filters: SearchFilters | None = None) -> tuple[int, list[str]]:
    page = search(query, filters)
    return page.total, [h.title for h in page.hits]


def _check_answers() -> None:
    assert _titles("低保对象") == (2, ["低保对象认定细则", "社会救助办法"])
    assert _titles("低保对象", SearchFilters(year=2022)) == (1, ["社会救助办法"])
    assert _titles("低保 认定") == (3, ["低保对象认定细则", "救助低保", "社会救助办法"])
    assert _titles("𠮷祥〇号") == (1, ["社会救助办法"])
    assert _titles("〔2021〕12号") == (1, ["低保对象认定细则"])
    assert _titles("赣府发") == (1, ["城乡低保标准"])
    assert _titles("dbdx") == (1, ["低保对象认定细则"])  # initials: title tier only
    assert _titles("zhengfuxinxi") == (1, ["政府信息公开指南"])
    assert _titles("依申请公开") == (1, ["政府信息公开指南"])
    assert _titles("保障标准 救助") == (0, [])


def _gin_indexes() -> set[str]:
    return set(db.session.execute(text(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'fts_search'")).scalars())


def test_0010_upgrades_and_downgrades_an_existing_index(database: str, tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database})
    app.instance_path = str(tmp_path)
    with app.app_context():
        upgrade(revision="0009")
        db.session.execute(insert(SearchEntry), [{**e, "id": e["object_id"]} for e in ENTRIES])
        postgres = search_index.is_postgres()
        search_index._insert_fts([e["object_id"] for e in ENTRIES],
                                 search_index._tokenised(ENTRIES, postgres))
        db.session.commit()
        _check_answers()  # the new plan on the old schema: slower, same answers
        upgrade()
        if postgres:
            assert "fts_search_doc_number_gin" in _gin_indexes()
        _check_answers()
        db.session.commit()
        downgrade(revision="0009")
        if postgres:
            assert "fts_search_doc_number_gin" not in _gin_indexes()
        _check_answers()
        db.session.remove()
        db.engine.dispose()
