"""A full rebuild (``reindex_all``) writes what the incremental index writes, empties the old
index at once on SQLite, and leaves the index as it was when it fails half-way."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from content.models import Category, Policy, Validity
from content.search import index as search_index
from content.search import reindex_all, search
from content.search.models import SearchEntry
from content.services import agency_named, apply_fields, save
from hall.extensions import db

_COLUMNS = ("kind", "object_id", "title", "doc_number", "issuer_name", "issuer_id", "category_id",
            "category_root_id", "issued_on", "year", "validity", "body")


def _policy(title: str, body_html: str, **fields: Any) -> Policy:
    return save(apply_fields(Policy(), {
        "title": title, "issued_on": dt.date(2022, 3, 1), "validity": Validity.VALID,
        "issuer": agency_named("章贡区人民政府"), "body_html": body_html, **fields}))


def _entries() -> list[tuple[Any, ...]]:
    cols = ", ".join(_COLUMNS)
    return [tuple(r) for r in db.session.execute(text(
        f"SELECT {cols} FROM search_entry ORDER BY kind, object_id"))]


def _categories() -> tuple[Category, Category]:
    root = Category(code="R01", name="社会救助")
    child = Category(code="R0101", name="最低生活保障", parent=root)
    db.session.add_all([root, child])
    db.session.commit()
    return root, child


def test_a_rebuild_writes_the_entries_the_incremental_index_wrote(app: Flask) -> None:
    root, child = _categories()
    with_summary = _policy("𠮷安县低保办法", "<p>〇号文件&amp;附件</p><ul><li>申请条件</li></ul>",
                           doc_number="𠮷府发〔2022〕〇号", issuer=agency_named("吉安县民政局"),
                           category=child)
    with_summary.summary = "低保标准每月调整"
    save(with_summary)
    _policy("临时救助规程", "<p>救助对象</p>", category=root, issued_on=dt.date(2019, 5, 6),
            validity=Validity.EXPIRED)
    _policy("无分类的通知", "")
    before = _entries()
    assert len(before) == 3

    assert reindex_all() == 3

    assert _entries() == before
    stamps = db.session.scalars(select(SearchEntry.updated_at)).all()
    assert all(s.tzinfo is not None for s in stamps)
    assert [h.title for h in search("〇号文件").hits] == ["𠮷安县低保办法"]
    assert [h.title for h in search("调整").hits] == ["𠮷安县低保办法"]  # the summary
    assert [h.title for h in search("附件").hits] == ["𠮷安县低保办法"]  # the HTML's text
    assert search("救助").total == 1 and search("", None).total == 3


def test_a_rebuild_over_an_index_keeps_its_tables_and_settings(app: Flask) -> None:
    _policy("城市供水价格调整", "<p>水价</p>")
    assert reindex_all() == 1
    if db.engine.dialect.name == "sqlite":
        tables = {name: sql for name, sql in db.session.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE name IN ('fts_search', 'fts_title')"))}
    _policy("城市燃气价格调整", "<p>气价</p>")

    assert reindex_all() == 2

    assert search("价格调整").total == 2 and search("水价").total == 1
    if db.engine.dialect.name == "sqlite":
        assert {name: sql for name, sql in db.session.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE name IN ('fts_search', 'fts_title')"))
        } == tables
        for table in search_index.SQLITE_TABLES:  # the rebuild's own FTS5 settings are undone
            config = dict(db.session.execute(text(f"SELECT k, v FROM {table}_config")).all())
            assert config["automerge"] == search_index.FTS5_AUTOMERGE
            assert config["hashsize"] == search_index.FTS5_HASHSIZE


def test_a_failed_rebuild_leaves_the_old_index(app: Flask, monkeypatch: Any) -> None:
    _policy("城市供水价格调整", "<p>水价</p>")
    _policy("城市燃气价格调整", "<p>气价</p>")
    monkeypatch.setattr(search_index, "_REBUILD_BATCH", 1)
    calls = []

    def failing(rows: list[dict[str, Any]], postgres: bool) -> Any:
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return prepared(rows, postgres)

    prepared = search_index._prepared
    monkeypatch.setattr(search_index, "_prepared", failing)
    with pytest.raises(RuntimeError):
        reindex_all()
    db.session.rollback()

    assert search("价格调整").total == 2
    assert [h.title for h in search("气价").hits] == ["城市燃气价格调整"]
    assert len(_entries()) == 2


def test_entries_keep_their_order_when_batches_move_to_the_other_process(
        app: Flask, monkeypatch: Any) -> None:
    # Batches are prepared here until the tokenising process is ready, then there: entries
    # must still be written in the objects' order (newest-first ties depend on it). A thread
    # stands in for the process, "ready" once two batches were prepared here.
    ids = [_policy(f"城市第{n}号通知", "<p>内容</p>").id for n in range(6)]
    ready = threading.Event()
    monkeypatch.setattr(search_index, "_REBUILD_BATCH", 1)
    monkeypatch.setattr(search_index, "PARALLEL_FROM", 0)
    monkeypatch.setattr(search_index, "_tokeniser", lambda: ThreadPoolExecutor(max_workers=1))
    monkeypatch.setattr(search_index, "_ready", ready.wait)
    here: list[bool] = []
    prepared = search_index._prepared

    def noting(rows: list[dict[str, Any]], postgres: bool) -> Any:
        here.append(threading.current_thread() is threading.main_thread())
        if len(here) == 2:
            ready.set()
        return prepared(rows, postgres)

    monkeypatch.setattr(search_index, "_prepared", noting)

    assert reindex_all() == 6

    assert here[:2] == [True, True] and not here[-1]
    assert here == sorted(here, reverse=True)  # never back here once moved
    assert db.session.scalars(select(SearchEntry.object_id).order_by(SearchEntry.id)).all() == ids
    assert search("通知").total == 6
