"""The demo bundle: imports cleanly, carries the regulations article by article, seeds once."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from content.demo import (
    DEMO_DIR,
    chinese_number,
    is_empty,
    load_demo_bundle,
    regulations_html,
    regulations_policy,
    seed_demo,
)
from content.models import (
    CatalogItem,
    Category,
    Interpretation,
    InterpretationKind,
    Notice,
    Policy,
    ServiceGuide,
    Validity,
)
from content.sanitize import plain_text
from content.transfer import MEDIA_DIR, import_bundle
from hall.extensions import db


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


class _ById(HTMLParser):
    """Collects the text inside the element with one id (for ``#art-N`` anchors)."""

    def __init__(self, ident: str) -> None:
        super().__init__()
        self.ident, self.depth, self.parts = ident, 0, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += 1
        elif ("id", self.ident) in attrs:
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def _text_of(fragment: str, ident: str) -> str:
    parser = _ById(ident)
    parser.feed(fragment)
    return "".join(parser.parts).strip()


@pytest.mark.parametrize(("numeral", "value"), [
    ("一", 1), ("十", 10), ("十五", 15), ("二十", 20), ("二十九", 29), ("五十六", 56),
    ("一百", 100), ("一百零五", 105), ("一百一十", 110), ("两千〇二十二", 2022),
])
def test_chinese_number(numeral: str, value: int) -> None:
    assert chinese_number(numeral) == value


@pytest.mark.parametrize("bad", ["", "二十X", "29"])
def test_chinese_number_refuses_what_is_not_a_numeral(bad: str) -> None:
    with pytest.raises(ValueError):
        chinese_number(bad)


def test_regulations_markdown_becomes_addressable_articles() -> None:
    body, preamble = regulations_html(
        "<!-- note -->\n# 某条例\n\n2019年4月3日 公布\n\n## 第一章 总则\n\n"
        "第一条 为了……制定本条例。\n\n本条第二款。\n\n## 第二章 申请\n\n"
        "第二十九条 申请人可以口头提出。\n\n（一）姓名：𠮷〇；\n")
    assert preamble == ["2019年4月3日 公布"]
    assert '<h2 id="ch-1">第一章 总则</h2>' in body
    assert '<h2 id="ch-2">第二章 申请</h2>' in body
    assert _text_of(body, "art-1").endswith("本条第二款。")
    assert "（一）姓名：𠮷〇；" in _text_of(body, "art-29")
    assert "note" not in body and "某条例" not in body


def test_demo_files_are_bundles_and_media_exist() -> None:
    files = sorted(DEMO_DIR.glob("*.json"))
    assert len(files) >= 3
    for path in files:
        part = json.loads(path.read_text(encoding="utf-8"))
        assert part["format"] == "gongkai-content" and part["version"] == 1
    bundle = load_demo_bundle()
    names = [row["image"] for row in bundle["interpretations"] if row["image"]]
    names += [a["filename"] for row in bundle["policies"] for a in row.get("attachments", [])]
    assert len(names) >= 4
    for name in names:
        path = MEDIA_DIR / name
        assert path.is_file(), name
        if name.endswith(".svg"):
            svg = path.read_text(encoding="utf-8")
            assert path.stat().st_size < 6 * 1024 and "viewBox" in svg
            assert 'font-family="sans-serif"' in svg
            assert not re.search(r"(href|src)=\"(https?:)?//", svg)


def test_demo_bundle_imports_on_an_empty_database(app: Flask) -> None:
    assert is_empty()
    report = seed_demo()
    assert not report.errors and not report.warnings
    assert not is_empty()
    assert report.created["policies"] == _count(Policy) >= 64
    assert _count(Interpretation) >= 10 and _count(ServiceGuide) >= 10
    assert _count(Notice) >= 8 and _count(CatalogItem) >= 30
    assert _count(Category) >= 30
    validity = set(db.session.scalars(select(Policy.validity)))
    assert validity == {Validity.VALID, Validity.EXPIRED, Validity.REPEALED}
    years = {d.year for d in db.session.scalars(select(Policy.issued_on))}
    assert min(years) == 2015 and max(years) == 2026
    assert db.session.scalar(select(Policy).where(Policy.title.contains("𠮷"))) is not None
    assert db.session.scalar(select(Policy).where(Policy.title.contains("二〇二二"))) is not None
    kinds = set(db.session.scalars(select(Interpretation.kind)))
    assert kinds == set(InterpretationKind)
    graphic = db.session.scalars(select(Interpretation).where(
        Interpretation.kind == InterpretationKind.GRAPHIC)).all()
    assert len(graphic) >= 3 and all(i.image and i.image_alt and i.policy for i in graphic)
    guide = db.session.scalar(
        select(ServiceGuide).where(ServiceGuide.title.contains("政府信息公开申请")))
    assert guide is not None and "20个工作日" in guide.time_limit and guide.fee.startswith("不收费")
    assert guide.materials and guide.steps


def test_regulations_are_seeded_with_article_29(app: Flask) -> None:
    seed_demo()
    policy = db.session.scalar(select(Policy).where(Policy.doc_number == "国务院令第711号"))
    assert policy is not None and policy.title == "中华人民共和国政府信息公开条例"
    assert policy.issuer.name == "国务院" and policy.effective_on.isoformat() == "2019-05-15"
    article = _text_of(policy.body_html, "art-29")
    assert article.startswith("第二十九条")
    assert "由受理该申请的政府信息公开工作机构代为填写政府信息公开申请" in article
    assert "(三)申请公开的政府信息的形式要求，包括获取信息的方式、途径。" in article
    assert "第三十条" not in article
    assert "第五十六条 本条例自2019年5月15日起施行。" in plain_text(policy.body_html)
    for number in (1, 56):
        assert f'id="art-{number}"' in policy.body_html
    assert '<h2 id="ch-4">第四章 依申请公开</h2>' in policy.body_html
    linked = [i.title for i in policy.interpretations]
    assert "一图读懂：如何申请政府信息公开" in linked


def test_demo_bundle_is_refused_whole_when_a_row_is_bad(app: Flask) -> None:
    bundle = load_demo_bundle()
    bundle["policies"][5]["validity"] = "作废"
    with pytest.raises(Exception, match="导入被拒绝"):
        import_bundle(bundle)
    assert is_empty()


def test_demo_command_if_empty_seeds_once(runner: FlaskCliRunner) -> None:
    first = runner.invoke(args=["demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "导入完成" in first.output and "政策" in first.output
    policies = _count(Policy)
    assert policies >= 60
    second = runner.invoke(args=["demo", "--if-empty"])
    assert second.exit_code == 0, second.output
    assert "已有内容" in second.output
    assert _count(Policy) == policies
    assert _count(Interpretation) == 12


def test_each_demo_file_imports_on_its_own_after_the_earlier_ones(app: Flask) -> None:
    files = sorted(DEMO_DIR.glob("*.json"))
    import_bundle(json.loads(files[0].read_text(encoding="utf-8")))
    import_bundle({"policies": [regulations_policy()]})
    for path in files[1:]:
        report = import_bundle(json.loads(path.read_text(encoding="utf-8")))
        assert not report.errors and not report.warnings, path.name
    assert _count(Policy) == len(load_demo_bundle()["policies"])
    assert db.session.scalar(select(func.count()).select_from(Interpretation).where(
        Interpretation.policy_id.is_(None))) == 0


def test_demo_command_twice_updates_instead_of_duplicating(runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["demo"]).exit_code == 0
    policies, guides = _count(Policy), _count(ServiceGuide)
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert "更新" in again.output
    assert (_count(Policy), _count(ServiceGuide)) == (policies, guides)
