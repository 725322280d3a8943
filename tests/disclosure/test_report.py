"""The annual report's table 三 over a generated year of applications: every cell against an
independent count of the generated cases, the three checks, the warnings broken data raise,
the CSV and the ``gongkai report annual`` command; table 四's totals."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import unicodedata
from collections import Counter
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from disclosure import report
from disclosure.models import Application, ReportFigures, Stage
from disclosure.results import RESULT_CODES
from hall.extensions import db
from hall.models import AuditEntry
from tests.disclosure.support import answered

YEAR = 2026
TYPES = ["person", "business", "research", "public_interest", "legal_service", "other_org"]

#: Table 三's rows exactly as ogi-rules.md prints them (typed here, not taken from results.py).
LABELS = [
    "一、本年新收政府信息公开申请数量",
    "二、上年结转政府信息公开申请数量",
    "三、本年度办理结果",
    "（一）予以公开",
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "（三）不予公开",
    "1.属于国家秘密",
    "2.其他法律行政法规禁止公开",
    "3.危及“三安全一稳定”",
    "4.保护第三方合法权益",
    "5.属于三类内部事务信息",
    "6.属于四类过程性信息",
    "7.属于行政执法案卷",
    "8.属于行政查询事项",
    "（四）无法提供",
    "1.本机关不掌握相关政府信息",
    "2.没有现成信息需要另行制作",
    "3.补正后申请内容仍不明确",
    "（五）不予处理",
    "1.信访举报投诉类申请",
    "2.重复申请",
    "3.要求提供公开出版物",
    "4.无正当理由大量反复申请",
    "5.要求行政机关确认或重新出具已获取信息",
    "（六）其他处理",
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "3.其他",
    "（七）总计",
    "四、结转下年度继续办理",
]
HEADINGS = {"三、本年度办理结果", "（三）不予公开", "（四）无法提供", "（五）不予处理",
            "（六）其他处理"}
COLUMN_HEADS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]


@dataclass(frozen=True)
class Made:
    """One generated case as the test knows it (independent of the report's CaseRow)."""

    number: str
    kind: str
    received: dt.date
    fate: str  # open | answered | archived | closed
    ended: dt.date | None
    result: str


def _generate(seed: int = 2026, n: int = 300) -> list[Made]:
    """``n`` cases received from October 2024 to mid-January 2027: answered (some archived
    later), closed for no supplement (some without a stored result code), and still open."""
    rng = random.Random(seed)
    first, last = dt.date(2024, 10, 1), dt.date(2027, 1, 15)
    seqs: Counter[int] = Counter()
    made = []
    for _i in range(n):
        received = first + dt.timedelta(days=rng.randrange((last - first).days + 1))
        seqs[received.year] += 1
        number = f"{received.year}-{seqs[received.year]:06d}"
        kind = rng.choices(TYPES, weights=[55, 15, 8, 8, 7, 7])[0]
        roll = rng.random()
        if roll < 0.12:
            made.append(Made(number, kind, received, "open", None, ""))
        elif roll < 0.22:
            ended = received + dt.timedelta(days=rng.randrange(15, 45))
            result = "other_no_supplement" if rng.random() < 0.5 else ""
            made.append(Made(number, kind, received, "closed", ended, result))
        else:
            ended = received + dt.timedelta(days=rng.randrange(0, 50))
            fate = "archived" if rng.random() < 0.4 else "answered"
            made.append(Made(number, kind, received, fate, ended, rng.choice(RESULT_CODES)))
    # certain edges, whatever the seed gave: a 2024 case still open, one received on
    # 31 December and answered on 1 January, one received on 1 January
    made.append(Made("2024-900001", "person", dt.date(2024, 11, 5), "open", None, ""))
    made.append(Made("2025-900001", "business", dt.date(2025, 12, 31), "archived",
                     dt.date(2026, 1, 1), "partial"))
    made.append(Made("2026-900001", "research", dt.date(2026, 1, 1), "answered",
                     dt.date(2026, 12, 31), "deny_process"))
    return made


_STAGES = {"open": Stage.PROCESSING, "answered": Stage.ANSWERED, "archived": Stage.ARCHIVED,
           "closed": Stage.CLOSED}


def _store(made: list[Made]) -> None:
    for case in made:
        year, seq = case.number.split("-")
        db.session.add(Application(
            number=case.number, year=int(year), seq=int(seq), received_on=case.received,
            applicant_type=case.kind, name="测试", clock_start=case.received,
            due_on=case.received + dt.timedelta(days=28), stage=_STAGES[case.fate],
            result=case.result,
            replied_on=case.ended if case.fate in ("answered", "archived") else None,
            closed_on=case.ended if case.fate == "closed" else None,
            archived_on=case.ended if case.fate == "archived" else None))
    db.session.commit()


def _expected(made: list[Made], year: int) -> dict[tuple[str, str], int]:
    """Every cell of ``year``'s table by looping over the generated cases."""
    last_year_end = dt.date(year - 1, 12, 31)
    year_end = dt.date(year, 12, 31)
    cells: Counter[tuple[str, str]] = Counter()

    def still_open(case: Made, on: dt.date) -> bool:
        return case.ended is None or case.ended > on

    for case in made:
        if case.received.year == year:
            cells["new", case.kind] += 1
        if case.received.year < year and still_open(case, last_year_end):
            cells["carry_in", case.kind] += 1
        if case.ended is not None and case.ended.year == year:
            row = case.result or ("other_no_supplement" if case.fate == "closed" else "")
            cells[row, case.kind] += 1
            cells["concluded", case.kind] += 1
        if case.received <= year_end and still_open(case, year_end):
            cells["carry_out", case.kind] += 1
    return dict(cells)


def _assert_cells(table: report.Table3, expected: dict[tuple[str, str], int]) -> None:
    keys = ["new", "carry_in", *RESULT_CODES, "concluded", "carry_out"]
    for key in keys:
        for kind in TYPES:
            assert table.cells[key][kind] == expected.get((key, kind), 0), (key, kind)
        assert table.cells[key]["total"] == sum(expected.get((key, k), 0) for k in TYPES), key


@pytest.fixture
def generated(app: Flask) -> list[Made]:
    made = _generate()
    _store(made)
    return made


def test_every_cell_of_a_generated_year(generated: list[Made]) -> None:
    for year in (2025, YEAR, 2027):
        data = report.annual(year)
        _assert_cells(data.table, _expected(generated, year))
        assert data.table.ok, [f.message for c in data.table.checks for f in c.failures]
        assert [c.ok for c in data.table.checks] == [True, True, True]
        assert data.table.problems == []
    table = report.annual(YEAR).table
    # the sample is big enough to mean something
    assert table.cells["new"]["total"] > 100
    assert table.cells["carry_in"]["total"] > 5
    assert table.cells["carry_out"]["total"] > 5
    assert table.cells["other_no_supplement"]["total"] > 0
    assert sum(1 for code in RESULT_CODES if table.cells[code]["total"]) > 15
    # last year's 四 is this year's 二 (no figures entered by staff)
    assert report.annual(2025).table.row("carry_out") == table.row("carry_in")
    assert report.annual(YEAR).table.row("carry_out") == report.annual(2027).table.row(
        "carry_in")


def test_concluded_is_read_from_dates_not_the_current_stage(app: Flask) -> None:
    # received 2025-12-20, answered 2026-01-05 and archived since: carried out of 2025
    _store([Made("2025-000001", "person", dt.date(2025, 12, 20), "archived",
                 dt.date(2026, 1, 5), "disclose")])
    t2025 = report.annual(2025).table
    assert t2025.cells["carry_out"]["person"] == 1
    assert t2025.cells["concluded"]["total"] == 0
    t2026 = report.annual(YEAR).table
    assert t2026.cells["carry_in"]["person"] == 1
    assert t2026.cells["disclose"]["person"] == 1
    assert t2026.cells["carry_out"]["total"] == 0
    assert t2026.ok


def test_a_year_without_data_is_all_zeros(app: Flask) -> None:
    data = report.annual(2019)
    assert all(v == 0 for row in data.table.cells.values() for v in row.values())
    assert data.table.ok
    assert all(v == 0 for group in data.review.values() for v in group.values())
    assert data.review_check.ok


def test_a_case_answered_without_a_result_breaks_the_check(app: Flask) -> None:
    _store([Made("2026-000001", "person", dt.date(2026, 3, 2), "answered",
                 dt.date(2026, 3, 20), "disclose"),
            Made("2026-000002", "person", dt.date(2026, 3, 3), "answered",
                 dt.date(2026, 3, 21), "")])
    table = report.annual(YEAR).table
    assert not table.ok
    balance, results, columns = table.checks
    assert balance.ok and columns.ok
    assert not results.ok
    messages = [f.message for f in results.failures]
    assert messages == ["自然人：（七）总计为 2，各项办理结果之和为 1。",
                        "总计：（七）总计为 2，各项办理结果之和为 1。"]
    assert [(p.number, p.kind) for p in table.problems] == [("2026-000002", "no_result")]
    text = report.as_text(table)
    assert "✗ 每一列：（七）总计等于各项办理结果之和" in text
    assert "自然人：（七）总计为 2，各项办理结果之和为 1。" in text
    assert "2026-000002" in text


def test_an_unknown_applicant_type_and_a_missing_date_are_named(app: Flask) -> None:
    _store([Made("2026-000001", "citizen", dt.date(2026, 5, 6), "open", None, "")])
    db.session.add(Application(number="2026-000002", year=2026, seq=2, name="测试",
                               received_on=dt.date(2026, 5, 7), clock_start=dt.date(2026, 5, 7),
                               due_on=dt.date(2026, 6, 4), stage=Stage.ANSWERED,
                               result="disclose", applicant_type="person"))
    db.session.commit()
    table = report.annual(YEAR).table
    balance, results, columns = table.checks
    assert balance.ok and results.ok
    assert [f.message for f in columns.failures] == [
        "一、本年新收政府信息公开申请数量：总计为 2，六类申请人之和为 1。",
        "四、结转下年度继续办理：总计为 2，六类申请人之和为 1。"]
    assert {(p.number, p.kind) for p in table.problems} == {
        ("2026-000001", "bad_type"), ("2026-000002", "no_date")}


def test_carry_in_entered_by_staff_is_added_and_flagged_when_it_unbalances(
        generated: list[Made]) -> None:
    before = report.annual(YEAR).table
    report.save_carry_in(YEAR, {"person": 3, "legal_service": 1, "business": None}, "officer1")
    table = report.annual(YEAR).table
    assert table.cells["carry_in"]["person"] == before.cells["carry_in"]["person"] + 3
    assert table.cells["carry_in"]["legal_service"] == (
        before.cells["carry_in"]["legal_service"] + 1)
    assert table.cells["carry_in"]["total"] == before.cells["carry_in"]["total"] + 4
    assert table.entered_carry_in == {"person": 3, "business": 0, "research": 0,
                                      "public_interest": 0, "legal_service": 1, "other_org": 0}
    # cases the system does not hold have no result here: the balance says so, per column
    balance = table.checks[0]
    assert {f.where for f in balance.failures} == {"自然人", "法律服务机构", "总计"}
    person = next(f for f in balance.failures if f.where == "自然人")
    assert person.left - person.right == 3
    assert "相差 3" in person.message
    assert "工作人员填写的系统外申请数" in report.as_text(table)
    row = db.session.get(ReportFigures, YEAR)
    assert row is not None and row.updated_by == "officer1"
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "disclosure_report")).one()
    assert entry.action == "update" and entry.object_id == str(YEAR)
    assert entry.new == {"carry_in": table.entered_carry_in}


def test_table_four_totals_are_computed_and_checked(app: Flask) -> None:
    with pytest.raises(report.ReportError) as refused:
        report.save_review(YEAR, {"review": {"upheld": 2, "corrected": 1, "total": 4}}, "o")
    assert refused.value.messages == [
        "行政复议：总计填的是 4，但结果维持、结果纠正、其他结果、尚未审结四项之和是 3。"
        "总计可以不填，由系统相加。"]
    assert db.session.get(ReportFigures, YEAR) is None
    report.save_review(YEAR, {"review": {"upheld": 2, "corrected": 1, "total": 3},
                              "suit_direct": {"pending": 1},
                              "suit_after_review": {"upheld": 1, "other": 1, "total": None}},
                       "o")
    data = report.annual(YEAR)
    assert data.review == {
        "review": {"upheld": 2, "corrected": 1, "other": 0, "pending": 0, "total": 3},
        "suit_direct": {"upheld": 0, "corrected": 0, "other": 0, "pending": 1, "total": 1},
        "suit_after_review": {"upheld": 1, "corrected": 0, "other": 1, "pending": 0,
                              "total": 2}}
    assert data.review_check.ok
    # figures stored some other way are still checked
    figures = db.session.get(ReportFigures, YEAR)
    assert figures is not None
    figures.review_litigation = {**figures.review_litigation,
                                 "suit_direct": {"pending": 1, "total": 5}}
    db.session.commit()
    check = report.annual(YEAR).review_check
    assert [f.message for f in check.failures] == ["未经复议直接起诉：总计为 5，前四项之和为 1。"]


def test_csv_has_the_exact_labels_and_the_cells(generated: list[Made]) -> None:
    table = report.annual(YEAR).table
    text = report.as_csv(table)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
                       *COLUMN_HEADS]
    assert [r[0] for r in rows[1:]] == LABELS
    expected = _expected(generated, YEAR)
    by_label = {r[0]: r[1:] for r in rows[1:]}
    for label in HEADINGS:
        assert by_label[label] == [""] * 7
    assert by_label["（一）予以公开"] == [str(expected.get(("disclose", k), 0)) for k in TYPES] + [
        str(sum(expected.get(("disclose", k), 0) for k in TYPES))]
    assert by_label["四、结转下年度继续办理"] == [str(n) for n in table.row("carry_out")]


def _cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_cli_prints_an_aligned_table_and_the_checks(generated: list[Made],
                                                     runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["report", "annual", str(YEAR)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("2026 年 三、收到和处理政府信息公开申请情况\n")
    for label in LABELS:
        assert label[:12] in out, label
    table = report.annual(YEAR).table
    lines = out.splitlines()
    new = next(line for line in lines if line.startswith("一、本年新收"))
    assert new.split()[-7:] == [str(n) for n in table.row("new")]
    total = next(line for line in lines if line.strip().startswith("（七）总计"))
    assert total.split()[-7:] == [str(n) for n in table.row("concluded")]
    # every row with numbers ends in the same terminal column as the column heads
    head = next(line for line in lines if "自然人" in line and "总计" in line)
    rows = [line for line in lines if line.split() and line.split()[-1].isdigit()]
    assert len(rows) == 2 + len(RESULT_CODES) + 2
    assert {_cells(line) for line in rows} == {_cells(head)}
    assert out.count("✓") == 3 and "✗" not in out


def test_cli_csv_goes_to_stdout_alone(generated: list[Made], runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["report", "annual", str(YEAR), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == report.as_csv(report.annual(YEAR).table).encode()
    assert result.stderr == ""


def test_cli_warns_on_stderr_with_csv_and_refuses_a_bad_year(app: Flask,
                                                            runner: FlaskCliRunner) -> None:
    _store([Made("2026-000001", "person", dt.date(2026, 3, 3), "answered",
                 dt.date(2026, 3, 21), "")])
    result = runner.invoke(args=["report", "annual", str(YEAR), "--format", "csv"])
    assert result.exit_code == 0
    assert "✗" in result.stderr and "2026-000001" in result.stderr
    assert "✗" not in result.stdout
    bad = runner.invoke(args=["report", "annual", "1999"])
    assert bad.exit_code == 2
    assert "1999" in bad.output


def test_cases_from_the_workflow_land_in_their_rows(app: Flask) -> None:
    """The real workflow's answers count where the format says."""
    answered(dt.date(2026, 11, 25), kind="not_ours")
    answered(dt.date(2026, 11, 25), kind="partial", applicant_type="person")
    table = report.annual(YEAR).table
    assert table.cells["new"]["person"] == 2
    assert table.cells["unable_not_held"]["person"] == 1
    assert table.cells["partial"]["person"] == 1
    assert table.ok
