"""Content import/export: whole bundles, every row checked first, all rows or none."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, func, select

from content.models import (
    Agency,
    Attachment,
    CatalogItem,
    Category,
    Interpretation,
    Notice,
    Policy,
    ServiceGuide,
    Validity,
)
from content.transfer import (
    ImportRejected,
    count_rows,
    export_bundle,
    export_csv,
    import_bundle,
    load_file,
)
from hall.extensions import db
from hall.signals import content_changed

DATA = Path(__file__).parent / "data"
MODELS = (Attachment, CatalogItem, Interpretation, Notice, ServiceGuide, Policy, Category, Agency)


def good() -> dict[str, Any]:
    return json.loads((DATA / "bundle_good.json").read_text(encoding="utf-8"))


def counts() -> dict[str, int]:
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m))
            for m in MODELS}


def wipe() -> None:
    db.session.execute(delete(Attachment))
    db.session.execute(delete(CatalogItem))
    db.session.execute(delete(Interpretation))
    for model in (Notice, ServiceGuide, Policy):
        db.session.execute(delete(model))
    db.session.execute(delete(Category).where(Category.parent_id.is_not(None)))
    db.session.execute(delete(Category))
    db.session.execute(delete(Agency))
    db.session.commit()


def many_policies(n: int) -> dict[str, Any]:
    bundle = {"agencies": [{"name": "章贡区人民政府办公室", "kind": "department"}],
              "categories": [{"code": "01", "name": "政府信息公开", "parent": None},
                             {"code": "0101", "name": "政府信息公开指南", "parent": "01"}],
              "policies": []}
    for i in range(1, n + 1):
        bundle["policies"].append({
            "ref": f"p{i}", "title": f"关于做好第{i}批政务公开工作的通知（𠮷）",
            "doc_number": f"章府办字〔2025〕{i}号", "issuer": "章贡区人民政府办公室",
            "category": "0101", "issued_on": f"2025-{i % 12 + 1:02d}-15", "validity": "有效",
            "body_html": f"<p>第{i}条：各乡镇、街道：……</p>",
        })
    return bundle


def rejected(bundle: dict[str, Any]) -> list[Any]:
    with pytest.raises(ImportRejected) as info:
        import_bundle(bundle)
    return info.value.report.errors


def test_good_bundle_imports_cleans_html_and_keeps_rare_characters(app: Flask) -> None:
    announced: list[tuple[str, list[int]]] = []

    def listen(sender: Any, kind: str, ids: list[int]) -> None:
        announced.append((kind, ids))

    ticks: list[int] = []
    with content_changed.connected_to(listen):
        report = import_bundle(good(), progress=ticks.append)
    assert report.created == {"agencies": 4, "categories": 5, "policies": 2,
                              "interpretations": 2, "guides": 1, "notices": 2, "catalog": 2}
    assert "导入完成" in report.summary() and "新增 政策文件 2 条" in report.summary()
    assert sum(ticks) == count_rows(good()) == 18
    ogi = db.session.scalar(select(Policy).where(Policy.doc_number == "国务院令第711号"))
    assert ogi is not None and ogi.issuer.name == "国务院" and ogi.category.code == "0101"
    assert "<script>" not in ogi.body_html and "alert" not in ogi.body_html
    assert "onclick" not in ogi.body_html and "第二条　本条例所称政府信息" in ogi.body_html
    assert ogi.attachments[0].title == "条例全文（PDF）"
    local = db.session.scalar(select(Policy).where(Policy.validity == Validity.EXPIRED))
    assert local.doc_number == "章府办发〔2〇24〕7号"
    assert "吉𠮷村" in local.summary and "（0797）" in local.summary and local.effective_on is None
    assert local.interpretations[0].kind.value == "文字解读"
    guide = db.session.scalar(select(ServiceGuide))
    assert guide.materials[0] == {"name": "居民身份证或户口簿", "copies": 1, "note": "原件"}
    assert guide.steps[2] == "缴费（可在“赣服通”缴纳）"
    child = db.session.scalar(select(Category).where(Category.code == "0102"))
    assert child.parent.code == "01"
    kinds = {kind: ids for kind, ids in announced}
    assert sorted(kinds["policy"]) == sorted(p.id for p in db.session.scalars(select(Policy)))
    assert set(kinds) == {"policy", "interpretation", "guide", "notice"}


def test_export_round_trips_through_an_empty_database(app: Flask) -> None:
    import_bundle(good())
    first = export_bundle()
    wipe()
    assert sum(counts().values()) == 0
    import_bundle(copy.deepcopy(first))
    second = export_bundle()
    assert json.dumps(first, ensure_ascii=False) == json.dumps(second, ensure_ascii=False)
    assert first["policies"][1]["summary"].startswith("吉𠮷村")
    assert first["interpretations"][0]["policy"] == first["policies"][0]["ref"]


def test_57th_bad_row_writes_nothing_and_names_the_row(app: Flask) -> None:
    import_bundle(good())
    before = counts()
    bundle = many_policies(60)
    bundle["policies"][56]["issued_on"] = "2022-13-45"
    errors = rejected(bundle)
    assert counts() == before
    assert [(e.section, e.row, e.field) for e in errors] == [("policies", 57, "issued_on")]
    assert errors[0].message == "第 57 行：发布日期“2022-13-45”不是有效日期（应为 YYYY-MM-DD）"
    assert str(errors[0]).startswith("〔政策文件〕第 57 行")


def test_every_bad_row_is_reported_at_once(app: Flask) -> None:
    bundle = many_policies(5)
    bundle["policies"][0]["issuer"] = "不存在的局"
    bundle["policies"][1]["category"] = "9999"
    bundle["policies"][2]["validity"] = "作废"
    bundle["policies"][3]["title"] = "长" * 301
    del bundle["policies"][4]["issued_on"]
    errors = rejected(bundle)
    assert [(e.row, e.field) for e in errors] == [
        (1, "issuer"), (2, "category"), (3, "validity"), (4, "title"), (5, "issued_on")]
    assert "“不存在的局”不是已有的机构" in errors[0].message
    assert "“9999”不是已有的分类编码" in errors[1].message
    assert "“作废”不是可选值（可选：有效、失效、废止）" in errors[2].message
    assert "标题过长（301 字，最多 300 字）" in errors[3].message
    assert errors[4].message == "第 5 行：缺少发布日期"
    assert counts()["agency"] == 0


def test_bad_enums_and_references_in_other_sections(app: Flask) -> None:
    bundle = good()
    bundle["interpretations"][0]["kind"] = "长图"
    bundle["interpretations"][1]["policy"] = "no-such-ref"
    bundle["guides"][0]["agency"] = "章贡区卫健委"
    bundle["catalog"][0]["channels"] = ["政府网站", "微博"]
    bundle["catalog"][1]["mode"] = "被动"
    bundle["categories"][3]["parent"] = "0101"  # so 02 is no longer 一级 for 0201 either
    errors = rejected(bundle)
    got = {(e.section, e.row, e.field) for e in errors}
    assert got == {("interpretations", 1, "kind"), ("interpretations", 2, "policy"),
                   ("guides", 1, "agency"), ("catalog", 1, "channels"), ("catalog", 2, "mode"),
                   ("categories", 4, "parent"), ("categories", 5, "parent")}
    assert sum(counts().values()) == 0


def test_values_postgresql_would_refuse_are_caught_first(app: Flask) -> None:
    bundle = many_policies(1)
    bundle["policies"][0]["summary"] = "摘要\x00截断"
    bundle["catalog"] = [{"seq": 10**12, "category": "0101", "content": "年度报告"},
                         {"seq": "三", "category": "0101", "content": "年度报告"},
                         {"seq": True, "category": "0101", "content": "年度报告"}]
    errors = rejected(bundle)
    assert [(e.section, e.row, e.field) for e in errors] == [
        ("policies", 1, "summary"), ("catalog", 1, "seq"), ("catalog", 2, "seq"),
        ("catalog", 3, "seq")]
    assert errors[0].message == "第 1 行：摘要含有空字符，请检查文件"
    assert "应为 1 到 2147483647 之间的整数" in errors[1].message
    assert counts()["agency"] == 0


def test_duplicates_and_unknown_keys_are_refused(app: Flask) -> None:
    bundle = many_policies(3)
    bundle["policies"][2]["ref"] = "p1"
    bundle["policies"][1]["validty"] = "有效"
    bundle["policies"].append(dict(bundle["policies"][0], ref="p4"))
    bundle["policys"] = []
    errors = rejected(bundle)
    messages = [e.message for e in errors]
    assert "未知的部分“policys”" in messages
    assert "第 2 行：未知字段“validty”" in messages
    assert "第 3 行：引用标识“p1”与第 1 行重复" in messages
    assert "第 4 行：与第 1 行重复" in messages


def test_same_title_and_doc_number_updates_the_policy(app: Flask) -> None:
    import_bundle(many_policies(3))
    again = many_policies(3)
    again["policies"][0]["summary"] = "修订：增加〔附则〕。"
    report = import_bundle(again)
    assert report.created["policies"] == 0 and report.updated["policies"] == 3
    assert "已更新，未重复新增" in report.summary()
    assert counts()["policy"] == 3
    first = db.session.scalar(select(Policy).where(Policy.doc_number == "章府办字〔2025〕1号"))
    assert first.summary == "修订：增加〔附则〕。"


def test_interpretation_may_name_a_policy_already_in_the_database(app: Flask) -> None:
    import_bundle(many_policies(2))
    report = import_bundle({"interpretations": [{
        "policy": "关于做好第2批政务公开工作的通知（𠮷）", "title": "图解：第2批",
        "kind": "图解", "image": "p2.svg", "published_on": "2025-04-01"}]})
    assert report.created["interpretations"] == 1
    item = db.session.scalar(select(Interpretation))
    assert item.policy.doc_number == "章府办字〔2025〕2号"
    assert any("p2.svg" in w for w in report.warnings)


def test_dry_run_counts_but_writes_nothing(app: Flask) -> None:
    report = import_bundle(good(), dry_run=True)
    assert report.created["policies"] == 2 and "试导入（未写入）" in report.summary()
    assert sum(counts().values()) == 0


def test_attachment_size_comes_from_the_instance_media_folder(app: Flask) -> None:
    media = Path(app.instance_path) / "media"
    media.mkdir()
    (media / "ogi-2019.pdf").write_bytes(b"%PDF-1.4 " + b"0" * 100)
    report = import_bundle(good())
    assert db.session.scalar(select(Attachment)).size == 109
    assert not any("ogi-2019.pdf" in w for w in report.warnings)
    bad = many_policies(1)
    bad["policies"][0]["attachments"] = [{"title": "附件", "filename": "../../etc/passwd"}]
    assert rejected(bad)[0].field == "filename"


def test_csv_with_bom_imports_lists_and_materials(app: Flask, tmp_path: Path) -> None:
    import_bundle({k: v for k, v in good().items() if k in ("agencies", "categories")})
    guides = tmp_path / "guides.csv"
    guides.write_text(
        "title,agency,category,materials,steps,fee,phone\n"
        "社会保障卡申领,章贡区医疗保障局,0201,身份证原件×1；一寸照片×2,"
        "受理；审核;制卡（〇费用）,不收费,0797-8123456\n", encoding="utf-8-sig")
    assert guides.read_bytes().startswith(b"\xef\xbb\xbf")
    import_bundle(load_file(guides, "guides"))
    guide = db.session.scalar(select(ServiceGuide))
    assert guide.title == "社会保障卡申领"
    assert guide.materials == [{"name": "身份证原件", "copies": 1, "note": ""},
                               {"name": "一寸照片", "copies": 2, "note": ""}]
    assert guide.steps == ["受理", "审核", "制卡（〇费用）"]
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("seq,category,content,channels,mode,tier\n"
                       "3,0101,政府信息公开年度报告,政府网站；政府公报,主动,县级\n\n",
                       encoding="utf-8")
    report = import_bundle(load_file(catalog, "catalog"))
    assert report.created["catalog"] == 1
    assert db.session.scalar(select(CatalogItem)).channels == ["政府网站", "政府公报"]


def test_csv_rows_are_numbered_and_checked(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "policies.csv"
    path.write_text("title,issuer,issued_on\n"
                    "关于〔2025〕年度工作的通知,国务院,2025-01-01\n"
                    "第二份,国务院,2025/02/30\n", encoding="utf-8-sig")
    errors = rejected(load_file(path, "policies"))
    assert {(e.row, e.field) for e in errors} == {(1, "issuer"), (2, "issuer"),
                                                  (2, "issued_on")}


def test_export_csv_has_a_bom_and_reads_back(app: Flask, tmp_path: Path) -> None:
    import_bundle(good())
    for section in ("policies", "guides", "catalog", "categories"):
        stream = io.StringIO(newline="")
        count = export_csv(section, stream)
        assert count == len(good()[section])
        assert stream.getvalue().startswith("\ufeff")
        path = tmp_path / f"{section}.csv"
        path.write_text(stream.getvalue(), encoding="utf-8")
        before = export_bundle()
        report = import_bundle(load_file(path, section))
        assert report.updated[section] == count and report.created[section] == 0
        assert export_bundle() == before  # every CSV cell read back to the same value
    assert "〔2〇24〕" in (tmp_path / "policies.csv").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(("name", "content", "section", "expected"), [
    ("cut.json", '{"format": "gongkai-content", "policies": [{"title": "政', None,
     "文件不是有效的 JSON"),
    ("list.json", "[1, 2]", None, "应为一个 JSON 对象"),
    ("junk.json", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", None, "不是 UTF-8"),
    ("gbk.csv", "title,issuer\n政策,国务院\n".encode("gbk"), "policies", "不是 UTF-8"),
    ("bin.csv", "title\n\x00\x01\x02\n", "policies", "不是有效的 CSV"),
    ("empty.csv", "", "policies", "CSV 文件是空的"),
    ("nosection.csv", "title\n政策\n", None, "--section"),
    ("bundle.txt", "{}", None, "不支持的文件类型"),
])
def test_unreadable_files_are_rejected_with_one_clear_error(
        app: Flask, tmp_path: Path, name: str, content: str | bytes, section: str | None,
        expected: str) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportRejected) as info:
        load_file(path, section)
    errors = info.value.report.errors
    assert len(errors) == 1 and expected in errors[0].message


def test_foreign_format_and_wrong_section_types(app: Flask) -> None:
    assert "不是本系统的内容文件" in rejected({"format": "other", "policies": []})[0].message
    errors = rejected({"policies": {"title": "不是列表"}, "notices": ["一行文字"]})
    assert [(e.section, e.row) for e in errors] == [("policies", 0), ("notices", 1)]


def with_publication() -> dict[str, Any]:
    """The good bundle with a schedule, a withdrawn notice and a replaced-by link."""
    bundle = good()
    old, new = bundle["policies"][1], bundle["policies"][0]
    old["replaced_by"] = new["doc_number"]
    new["status"] = "scheduled"
    new["publish_at"] = "2030-01-01 09:00"  # naive: Beijing time
    new["expire_at"] = "2031-01-01T00:00:00Z"
    bundle["notices"][0]["status"] = "已撤回"  # the Chinese name is accepted too
    bundle["guides"][0]["status"] = "draft"
    return bundle


def test_publication_state_and_replaced_by_round_trip(app: Flask) -> None:
    import_bundle(with_publication())
    old = db.session.scalar(select(Policy).where(Policy.validity == Validity.EXPIRED))
    new = db.session.scalar(select(Policy).where(Policy.doc_number == "国务院令第711号"))
    assert old.replaced_by == new and old.status.value == "published"  # absent: published
    assert new.status.value == "scheduled"
    assert new.publish_at == dt.datetime(2030, 1, 1, 1, tzinfo=dt.UTC)
    assert new.expire_at == dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    assert {n.status.value for n in db.session.scalars(select(Notice))} == {
        "withdrawn", "published"}
    first = export_bundle()
    policies = {p["title"]: p for p in first["policies"]}
    assert policies[old.title]["replaced_by"] == "国务院令第711号"
    assert policies[new.title]["publish_at"] == "2030-01-01T09:00:00+08:00"
    assert policies[new.title]["expire_at"] == "2031-01-01T08:00:00+08:00"
    assert first["guides"][0]["status"] == "draft"
    wipe()
    import_bundle(copy.deepcopy(first))
    assert json.dumps(export_bundle(), ensure_ascii=False) == json.dumps(first,
                                                                         ensure_ascii=False)


def test_replaced_by_names_a_policy_by_title_and_can_be_cleared(app: Flask) -> None:
    bundle = good()
    bundle["policies"][0]["replaced_by"] = bundle["policies"][1]["title"]
    import_bundle(bundle)
    ogi = db.session.scalar(select(Policy).where(Policy.doc_number == "国务院令第711号"))
    assert ogi.replaced_by is not None and ogi.replaced_by.validity == Validity.EXPIRED
    again = good()
    again["policies"][0]["replaced_by"] = ""
    import_bundle({"policies": [again["policies"][0]]})
    db.session.expire_all()
    assert db.session.get(Policy, ogi.id).replaced_by is None


def test_csv_carries_publication_and_replaced_by(app: Flask, tmp_path: Path) -> None:
    import_bundle(with_publication())
    stream = io.StringIO(newline="")
    export_csv("policies", stream)
    text = stream.getvalue()
    assert "status" in text.splitlines()[0] and "replaced_by" in text.splitlines()[0]
    assert "2030-01-01T09:00:00+08:00" in text
    path = tmp_path / "policies.csv"
    path.write_text(text, encoding="utf-8")
    before = export_bundle()
    import_bundle(load_file(path, "policies"))
    assert export_bundle() == before


def test_a_bad_replaced_by_row_rejects_the_whole_import(app: Flask) -> None:
    bundle = with_publication()
    bundle["policies"][1]["replaced_by"] = "章府发〔2099〕1号"
    errors = rejected(bundle)
    assert [(e.section, e.row, e.field) for e in errors] == [("policies", 2, "replaced_by")]
    assert "既不是已有政策的文号，也不是已有政策的标题" in errors[0].message
    assert sum(counts().values()) == 0  # nothing at all was written


@pytest.mark.parametrize(("change", "expected"), [
    ({1: {"replaced_by": "章府办发〔2〇24〕7号"}}, "是本文件自己"),
    ({0: {"replaced_by": "章府办发〔2〇24〕7号"}, 1: {"replaced_by": "国务院令第711号"}},
     "会形成循环替代"),
    ({1: {"replaced_by": 711}}, "应为文本"),
    ({1: {"status": "online"}}, "不是可选值"),
    ({1: {"publish_at": "2030-13-01 09:00"}}, "不是有效时间"),
    ({1: {"status": "scheduled"}}, "定时发布须填写发布时间"),
    ({1: {"publish_at": "2030-01-02", "expire_at": "2030-01-01"}}, "下线时间应晚于发布时间"),
])
def test_bad_publication_fields_are_named_per_row(app: Flask, change: dict[int, Any],
                                                  expected: str) -> None:
    bundle = good()
    for index, fields in change.items():
        bundle["policies"][index].update(fields)
    errors = rejected(bundle)
    assert errors and all(e.section == "policies" for e in errors)
    assert any(expected in e.message for e in errors), [e.message for e in errors]
    assert sum(counts().values()) == 0


def test_replaced_by_loop_through_the_database_is_refused(app: Flask) -> None:
    bundle = good()
    bundle["policies"][0]["replaced_by"] = bundle["policies"][1]["doc_number"]
    import_bundle(bundle)  # the database now holds: 条例 -> 细则
    back = good()["policies"][1]
    back["replaced_by"] = "国务院令第711号"  # 细则 -> 条例 closes the loop
    errors = rejected({"policies": [back]})
    assert [(e.row, e.field) for e in errors] == [(1, "replaced_by")]
    assert "循环替代" in errors[0].message


def test_ambiguous_replaced_by_asks_for_a_unique_name(app: Flask) -> None:
    bundle = many_policies(2)
    for row in bundle["policies"]:
        row["title"] = "同名的通知"
    bundle["policies"].append({**bundle["policies"][0], "title": "第三份", "doc_number": "",
                               "ref": "p3", "replaced_by": "同名的通知"})
    errors = rejected(bundle)
    assert [(e.row, e.field) for e in errors] == [(3, "replaced_by")]
    assert "对应多份政策" in errors[0].message
