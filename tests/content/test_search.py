"""Search over a real index on the test database (SQLite FTS5 or PostgreSQL tsvector)."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from content.corpus import corpus_bundle
from content.models import Agency, Category, Interpretation, Notice, Policy, ServiceGuide, Validity
from content.search import SearchFilters, reindex_all, search
from content.search import index as search_index
from content.search import query as search_query
from content.services import agency_named, apply_fields, delete, save
from content.transfer import import_bundle
from hall.extensions import db


def _category(code: str, name: str, parent: Category | None = None) -> Category:
    cat = Category(code=code, name=name, parent=parent)
    db.session.add(cat)
    db.session.commit()
    return cat


def make_policy(title: str, body: str = "", *, doc_number: str = "", issuer: str = "章贡区人民政府",
                category: Category | None = None, issued_on: dt.date = dt.date(2022, 3, 1),
                validity: Validity = Validity.VALID) -> Policy:
    policy = apply_fields(Policy(), {
        "title": title, "doc_number": doc_number, "issuer": agency_named(issuer),
        "category": category, "issued_on": issued_on, "validity": validity,
        "body_html": f"<p>{body}</p>",
    })
    return save(policy)


def titles(query: str, filters: SearchFilters | None = None, **kw: Any) -> list[str]:
    return [h.title for h in search(query, filters, **kw).hits]


def test_two_character_words_match(app: Flask) -> None:
    make_policy("关于调整城乡居民社保缴费标准的通知", "缴费档次：（一）每人每年")
    make_policy("个体工商户营业执照办理指引", "申请人携带身份证")
    make_policy("防汛工作安排", "做好汛期值班")
    assert titles("社保") == ["关于调整城乡居民社保缴费标准的通知"]
    assert titles("执照") == ["个体工商户营业执照办理指引"]
    assert titles("值班") == ["防汛工作安排"]


def test_phrase_must_be_contiguous(app: Flask) -> None:
    make_policy("政府信息公开工作年度报告", "")
    make_policy("关于信息与数据公开的意见", "信息采集后公开")
    assert titles("信息公开") == ["政府信息公开工作年度报告"]
    assert set(titles("信息 公开")) == {"政府信息公开工作年度报告", "关于信息与数据公开的意见"}


def test_title_hits_rank_before_body_hits_however_often(app: Flask) -> None:
    make_policy("城市管理办法", "养老保险" * 50)
    make_policy("养老保险待遇调整的通知", "本通知自发布之日起施行")
    make_policy("企业职工养老保险实施细则", "参保人")
    found = titles("养老保险")
    assert found[-1] == "城市管理办法"
    assert set(found[:2]) == {"养老保险待遇调整的通知", "企业职工养老保险实施细则"}


def test_doc_number_queries(app: Flask) -> None:
    make_policy("关于印发某办法的通知", doc_number="赣市府发〔2022〕12号")
    make_policy("另一个通知", doc_number="赣市府发〔2021〕12号")
    make_policy("政府信息公开条例", doc_number="国务院令第711号", issuer="国务院")
    assert titles("〔2022〕12号") == ["关于印发某办法的通知"]
    assert titles("国务院令第711号") == ["政府信息公开条例"]
    page = search("〔2022〕12号")
    assert page.hits[0].doc_number == "赣市府发〔2022〕12号"


def test_doc_number_hit_ranks_before_bodies_that_cite_it(app: Flask) -> None:
    for n in range(3):
        make_policy(f"条例解读之{n}", "根据国务院令第711号，" * (n + 5) + "公开申请。")
    make_policy("中华人民共和国政府信息公开条例", "第一条 为了保障……" * 200,
                doc_number="国务院令第711号", issuer="国务院")
    for query in ("国务院令第711号", "711", "第711号"):
        found = titles(query)
        assert found[0] == "中华人民共和国政府信息公开条例", (query, found)
        assert len(found) == 4


def test_issuer_name_is_searchable(app: Flask) -> None:
    make_policy("春耕备耕工作方案", issuer="章贡区农业农村局")
    assert titles("农业农村局") == ["春耕备耕工作方案"]


def test_pinyin_initials_full_and_mixed(app: Flask) -> None:
    make_policy("章贡区政府信息公开指南", "依申请公开")
    make_policy("城乡低保标准", "低保")
    assert titles("zfxxgk") == ["章贡区政府信息公开指南"]
    assert titles("zhengfuxinxi") == ["章贡区政府信息公开指南"]
    assert titles("zf信息") == ["章贡区政府信息公开指南"]
    assert titles("ZFXXGK") == ["章贡区政府信息公开指南"]
    hit = search("zfxxgk").hits[0]
    assert "<mark>政府信息公开</mark>" in hit.title_html
    assert titles("dibao") == ["城乡低保标准"]


def test_snippet_highlights_the_hit_and_escapes(app: Flask) -> None:
    make_policy("就业补贴", "前言" * 60 + "申请<b>创业担保贷款</b>的条件：（一）年满18周岁")
    hit = search("担保贷款").hits[0]
    assert "<mark>担保贷款</mark>" in hit.snippet_html
    assert "<b>" not in hit.snippet_html
    assert len(hit.snippet_html.striptags()) <= 90
    assert hit.snippet_html.startswith("…")


def test_rare_characters(app: Flask) -> None:
    make_policy("𠮷安村〇号地块征收公告", "𠮷安村村民")
    assert titles("𠮷安") == ["𠮷安村〇号地块征收公告"]
    assert titles("〇号") == ["𠮷安村〇号地块征收公告"]
    assert titles("𠮷") == ["𠮷安村〇号地块征收公告"]
    assert "<mark>𠮷安</mark>" in search("𠮷安").hits[0].title_html


def test_filters(app: Flask) -> None:
    root = _category("A01", "财政信息")
    child = _category("A0101", "财政预算", root)
    other = _category("B01", "人事信息")
    make_policy("预算公开通知甲", category=child, issued_on=dt.date(2021, 5, 1))
    make_policy("预算公开通知乙", category=other, issued_on=dt.date(2022, 5, 1),
                issuer="章贡区财政局", validity=Validity.REPEALED)
    assert titles("预算", SearchFilters(category_id=root.id)) == ["预算公开通知甲"]
    assert titles("预算", SearchFilters(category_id=child.id)) == ["预算公开通知甲"]
    assert titles("预算", SearchFilters(year=2022)) == ["预算公开通知乙"]
    assert titles("预算", SearchFilters(validity="废止")) == ["预算公开通知乙"]
    issuer = db.session.query(Agency).filter_by(name="章贡区财政局").one()
    assert titles("预算", SearchFilters(issuer_id=issuer.id)) == ["预算公开通知乙"]
    assert titles("预算", SearchFilters(kind="notice")) == []
    # An empty query browses, newest first.
    assert titles("", SearchFilters(category_id=root.id)) == ["预算公开通知甲"]
    assert titles("") == ["预算公开通知乙", "预算公开通知甲"]


def test_other_kinds_and_inherited_filters(app: Flask) -> None:
    root = _category("C01", "社会救助")
    policy = make_policy("最低生活保障办法", category=root, validity=Validity.VALID)
    save(Interpretation(title="一图读懂低保新政", policy=policy, body_html="<p>低保对象</p>",
                        published_on=dt.date(2023, 1, 2)))
    save(ServiceGuide(title="低保申请指南", agency=agency_named("章贡区民政局"), category=root,
                      conditions="家庭人均收入低于低保标准", materials=[{"name": "户口簿"}]))
    save(Notice(title="低保年审公告", body_html="<p>请于三月前办理</p>",
                published_on=dt.date(2023, 2, 1)))
    found = search("低保")
    assert {h.kind for h in found.hits} == {"interpretation", "guide", "notice"}
    in_cat = search("低保", SearchFilters(category_id=root.id))
    assert {h.kind for h in in_cat.hits} == {"interpretation", "guide"}
    assert titles("户口簿") == ["低保申请指南"]


def test_incremental_reindex_through_signals(app: Flask) -> None:
    policy = make_policy("农村危房改造补助办法", "补助标准")
    assert titles("危房") == ["农村危房改造补助办法"]
    policy.title = "农村住房安全保障办法"
    save(policy)
    assert titles("危房") == []
    assert titles("住房安全") == ["农村住房安全保障办法"]
    delete(policy)
    assert titles("住房安全") == []
    assert search("").total == 0


def test_reindex_all_rebuilds_everything(app: Flask) -> None:
    make_policy("城市供水价格调整", "水价")
    db.session.execute(db.text("DELETE FROM fts_search"))
    db.session.commit()
    assert titles("供水") == []
    assert reindex_all() == 1
    assert titles("供水") == ["城市供水价格调整"]


@pytest.mark.parametrize("query", [
    '" * ( ) : ^', "NEAR AND OR NOT", "-- ; DROP TABLE policy", "a" * 10_000, "政" * 10_000,
    "：（）〔〕", "'\\", "title:政府", "{title}: 政府", "政府*", "NEAR(政府 信息, 2)", "\x00",
])
def test_hostile_queries_answer_calmly(app: Flask, query: str) -> None:
    make_policy("政府信息公开指南", "AND OR NOT NEAR")
    page = search(query)
    assert page.total >= 0
    assert len(page.query) <= 100
    assert db.session.query(Policy).count() == 1


def test_punctuation_only_finds_nothing_and_limits_are_capped(app: Flask) -> None:
    for n in range(3):
        make_policy(f"通知第{n}号")
    assert search("：（）").total == 0
    page = search("通知", limit=1000, offset=-5)
    assert page.limit == 50 and page.offset == 0 and page.total == 3
    assert search("通知", limit=2, offset=2).hits and search("通知", offset=10).total == 3


def test_reindex_command(app: Flask, runner: Any) -> None:
    make_policy("城市燃气安全管理规定", "燃气")
    result = runner.invoke(args=["content", "reindex"])
    assert result.exit_code == 0, result.output
    assert "已索引 1 条" in result.output
    assert titles("燃气") == ["城市燃气安全管理规定"]


def test_interpretation_follows_its_policy_filters(app: Flask) -> None:
    policy = make_policy("城乡居民医保缴费办法", validity=Validity.VALID)
    save(Interpretation(title="医保缴费政策问答", policy=policy, published_on=dt.date(2023, 1, 2)))
    assert titles("问答", SearchFilters(validity="有效")) == ["医保缴费政策问答"]
    policy.validity = Validity.EXPIRED
    save(policy)
    assert titles("问答", SearchFilters(validity="有效")) == []
    assert titles("问答", SearchFilters(validity="失效")) == ["医保缴费政策问答"]


def test_many_words_are_capped_not_refused(app: Flask) -> None:
    make_policy("教育 体育 卫生 健康 民政 救助 养老 医保 就业 培训 公开", "")
    page = search("教育 体育 卫生 健康 民政 救助 养老 医保 就业 培训 公开 不存在")
    assert page.total == 1


def test_imported_bundle_is_indexed(app: Flask) -> None:
    from_bundle = corpus_bundle(30, seed=3)
    import_bundle(from_bundle)
    first = from_bundle["policies"][0]
    page = search(first["doc_number"])
    assert page.total >= 1
    assert page.hits[0].doc_number == first["doc_number"]
    assert search("").total == 30


def test_filtered_tiers_totals_and_pages_agree_with_unfiltered(app: Flask) -> None:
    # Filtered searches take another path (a join through the covering index): the same
    # hits, title tier first, totals right, pages that join up across the two tiers.
    for n in range(6):
        year = 2021 + n % 2
        make_policy(f"住房补贴办法第{n}号", "发放标准", issued_on=dt.date(year, 1, 1 + n))
        make_policy(f"发放标准第{n}号", "住房补贴按月发放", issued_on=dt.date(year, 2, 1 + n))
    everything = search("住房补贴", limit=50)
    assert everything.total == 12
    assert all("住房补贴" in h.title for h in everything.hits[:6])
    assert not any("住房补贴" in h.title for h in everything.hits[6:])
    page = search("住房补贴", SearchFilters(year=2022), limit=50)
    assert page.total == 6
    assert [h.title for h in page.hits] == [
        h.title for h in everything.hits if h.issued_on and h.issued_on.year == 2022]
    first = search("住房补贴", SearchFilters(year=2022), limit=2, offset=2)
    second = search("住房补贴", SearchFilters(year=2022), limit=2, offset=4)
    assert [h.title for h in first.hits + second.hits] == [h.title for h in page.hits[2:6]]
    assert search("住房补贴", SearchFilters(year=2022, validity="有效")).total == 6
    assert search("住房补贴", SearchFilters(year=2022, validity="废止")).total == 0


def test_changes_after_a_full_rebuild_are_indexed(app: Flask) -> None:
    make_policy("城市供水价格调整", "水价")
    make_policy("城市燃气价格调整", "气价")
    assert reindex_all() == 2
    added = make_policy("城市公交票价调整", "票价")
    assert sorted(titles("价格调整")) == ["城市供水价格调整", "城市燃气价格调整"]
    assert titles("票价") == ["城市公交票价调整"]
    added.title = "城市公交线路调整"
    save(added)
    assert titles("票价") == ["城市公交线路调整"]
    assert search("调整").total == 3
    assert reindex_all() == 3
    assert search("调整").total == 3


def test_large_rebuild_tokenises_in_a_second_process(app: Flask, monkeypatch: Any) -> None:
    # Small batches and no threshold take the pipelined path on a handful of documents.
    monkeypatch.setattr(search_index, "_REBUILD_BATCH", 2)
    monkeypatch.setattr(search_index, "PARALLEL_FROM", 0)
    monkeypatch.setattr(search_index, "PREPARE_UNTIL_READY", False)
    for n, word in enumerate(["供水", "燃气", "公交", "𠮷安", "〇号"]):
        make_policy(f"城市{word}价格调整", f"第{n}批", doc_number=f"赣府发〔2022〕{n + 1}号")
    assert reindex_all() == 5
    assert search("价格调整").total == 5
    assert titles("燃气") == ["城市燃气价格调整"]
    assert titles("〔2022〕4号") == ["城市𠮷安价格调整"]
    assert titles("csgj") == ["城市公交价格调整"]
    assert search("第3批").total == 1


def test_filter_values_are_not_searchable_text(app: Flask) -> None:
    # SQLite keeps filters as tokens beside the text (kpolicy, y2022, v有效, c<id>, i<id>):
    # typed text must never reach them, with or without a filter.
    root = _category("D01", "住房保障")
    policy = make_policy("公租房申请办法", "申请条件", category=root,
                         issued_on=dt.date(2022, 3, 1))
    for typed in ("kpolicy", "policy", "y2022", "v有效", f"c{root.id}", f"i{policy.issuer_id}"):
        assert search(typed).total == 0, typed
        assert search(typed, SearchFilters(year=2022)).total == 0, typed
    assert titles("申请", SearchFilters(year=2022, validity="有效", category_id=root.id,
                                        kind="policy")) == ["公租房申请办法"]
    # Only a known validity filters (SQLite would read "有效 " as the token v有效).
    for validity in ('有效" OR "kpolicy', "有效 ", "有"):
        assert search("申请", SearchFilters(validity=validity)).total == 0, validity


def test_pages_across_tiers_when_title_hits_are_not_all_counted(
        app: Flask, monkeypatch: Any) -> None:
    # With ranking stopping at 2 hits, the title tier (5 hits) is counted only up to where a
    # page ends; pages past it must still join up with the body hits and the total be exact.
    monkeypatch.setattr(search_query, "RANK_UP_TO", 2)
    for n in range(5):
        make_policy(f"燃气安全第{n}号", issued_on=dt.date(2022, 1, 1 + n))
    for n in range(3):
        make_policy(f"检查通知第{n}号", "燃气安全检查")
    everything = [h.title for h in search("燃气安全", limit=50).hits]
    assert everything[:5] == [f"燃气安全第{n}号" for n in range(4, -1, -1)]  # newest first
    assert sorted(everything[5:]) == [f"检查通知第{n}号" for n in range(3)]
    pages = [search("燃气安全", limit=2, offset=start) for start in range(0, 8, 2)]
    assert all(page.total == 8 for page in pages)
    assert [h.title for page in pages for h in page.hits] == everything


def test_a_full_rebuild_leaves_no_write_ahead_log_behind(app: Flask) -> None:
    make_policy("关于做好社保补贴发放工作的通知", "社保补贴按月发放。")

    assert reindex_all() == 1

    assert search("社保").total == 1
    if db.engine.dialect.name == "sqlite":  # PostgreSQL checkpoints by itself
        # Every read would look through a log holding the whole rebuilt index until a
        # checkpoint copied it into the database.
        frames = db.session.execute(text("PRAGMA wal_checkpoint(PASSIVE)")).one()
        assert frames[1] == 0, frames  # nothing left in the log to copy
        assert os.path.getsize(str(db.engine.url.database) + "-wal") == 0
