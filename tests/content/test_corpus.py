"""The synthetic benchmark corpus: deterministic, unique, varied, fast and importable."""

from __future__ import annotations

import datetime as dt
import time

from flask import Flask
from sqlalchemy import func, select

from content.corpus import CORPUS_AGENCIES, CORPUS_CATEGORIES, corpus_bundle, generate_policies
from content.models import Agency, Policy
from content.sanitize import plain_text
from content.transfer import import_bundle
from hall.extensions import db

KEYS = {"title", "doc_number", "issuer", "category", "issued_on", "effective_on", "validity",
        "summary", "body_html"}


def test_same_seed_same_documents_other_seed_other_documents() -> None:
    first = list(generate_policies(300, seed=7))
    assert first == list(generate_policies(300, seed=7))
    other = list(generate_policies(300, seed=8))
    assert sum(a == b for a, b in zip(first, other, strict=True)) < 5
    assert list(generate_policies(50, seed=7)) == first[:50]


def test_title_and_doc_number_are_unique() -> None:
    rows = list(generate_policies(20_000, seed=1))
    assert len({(r["title"], r["doc_number"]) for r in rows}) == len(rows)
    assert len({r["doc_number"] for r in rows}) == len(rows)
    assert len({r["title"] for r in rows}) > 2_000


def test_rows_are_valid_bundle_policies() -> None:
    agencies = {a["name"] for a in CORPUS_AGENCIES}
    children = {c["code"] for c in CORPUS_CATEGORIES if c["parent"]}
    years = set()
    for row in generate_policies(2_000, seed=3):
        assert set(row) == KEYS
        assert row["issuer"] in agencies and row["category"] in children
        assert row["validity"] in ("有效", "失效", "废止")
        issued = dt.date.fromisoformat(row["issued_on"])
        years.add(issued.year)
        if row["effective_on"]:
            assert dt.date.fromisoformat(row["effective_on"]) >= issued
        assert 300 <= len(plain_text(row["body_html"]).replace("\n", "")) <= 1_500
        assert "〔" in row["doc_number"] and row["doc_number"].endswith("号")
        assert row["summary"].endswith("。")
    assert years == set(range(2015, 2027))


def test_words_come_with_realistic_frequencies() -> None:
    rows = list(generate_policies(5_000, seed=5))

    def share(word: str) -> float:
        return sum(word in r["title"] or word in r["body_html"] for r in rows) / len(rows)

    assert share("补贴") > 0.3 and share("医保") > 0.15 and share("社保") > 0.15
    assert 0.005 < share("执照") < 0.1
    assert 0.05 < share("低保") < 0.4
    assert share("𠮷") == 0


def test_ten_thousand_in_under_ten_seconds() -> None:
    start = time.perf_counter()
    count = sum(1 for _row in generate_policies(10_000, seed=11))
    assert count == 10_000
    assert time.perf_counter() - start < 10


def test_corpus_bundle_imports(app: Flask) -> None:
    bundle = corpus_bundle(300, seed=2)
    report = import_bundle(bundle)
    assert not report.errors
    assert report.created["policies"] == 300
    assert db.session.scalar(select(func.count()).select_from(Policy)) == 300
    assert db.session.scalar(select(func.count()).select_from(Agency)) == len(CORPUS_AGENCIES)
    sample = bundle["policies"][123]
    stored = db.session.scalar(select(Policy).where(Policy.doc_number == sample["doc_number"]))
    assert stored is not None and stored.title == sample["title"]
    assert stored.issuer.name == sample["issuer"] and stored.category.code == sample["category"]
