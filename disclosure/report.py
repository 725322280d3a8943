"""The annual report's tables on applications (2021 format): table 三 counted from the cases,
table 四 (行政复议、行政诉讼) as staff enter it, and the checks the format prescribes.

Counting rules for YEAR (``start`` = 1 January, ``end`` = 31 December):

- 一、新收: received within YEAR;
- 二、上年结转: received before YEAR and not concluded before ``start``, plus what staff
  entered for cases from before the system (``ReportFigures.carry_in``);
- 三、办理结果: concluded within YEAR, one leaf row by the case's ``result`` (a case closed for
  want of a supplement counts in （六）1 even if it carries no result code);
- （七）总计: the concluded cases of YEAR, counted on their own and *not* as the sum of the
  leaf rows, so a concluded case without a valid result breaks the check instead of vanishing;
- 四、结转下年度: received by ``end`` and not concluded by then.

A case is concluded on its reply date (answered or archived) or its closing date. Whether it
was concluded by a given day is read from those dates, never from its current stage, so last
year's report stays the same when its cases are archived later.

Each column's 总计 is likewise counted over every case of the row, not added up from the six
applicant columns; the three checks (一+二 = （七）+四 per column; （七） = the leaf rows; 总计 =
the six columns) therefore test the data, and a failure names the column or row and both
numbers. Cases that cause a failure are listed too.

:func:`compute` and everything it returns is plain data (no database); :func:`annual` reads
the rows, and :func:`save_carry_in` / :func:`save_review` are the two writes (audited).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from disclosure.models import Application, ReportFigures, Stage
from disclosure.results import (
    APPLICANT_COLUMNS,
    CHECK_NOTE,
    RESULT_CODES,
    RESULT_ROWS,
    ROW_CARRY_IN,
    ROW_CARRY_OUT,
    ROW_NEW,
    ROW_RESULTS,
    ROW_TOTAL,
)
from hall import audit
from hall.db import utcnow
from hall.extensions import db

#: The Regulations took effect on 1 May 2008: no report is older.
MIN_YEAR = 2008
MAX_YEAR = 2100
#: The largest figure staff may enter in a cell.
MAX_FIGURE = 99_999

COLUMNS: tuple[str, ...] = tuple(code for code, _label in APPLICANT_COLUMNS)
COLUMN_LABELS: dict[str, Any] = dict(APPLICANT_COLUMNS)
TOTAL = "total"
TOTAL_LABEL = _l("总计")
#: Row keys of table 三 that are not result codes.
NEW, CARRY_IN, CONCLUDED, CARRY_OUT = "new", "carry_in", "concluded", "carry_out"
ROW_KEYS: tuple[str, ...] = (NEW, CARRY_IN, *RESULT_CODES, CONCLUDED, CARRY_OUT)

TABLE3_TITLE = _l("三、收到和处理政府信息公开申请情况")
TABLE4_TITLE = _l("四、政府信息公开行政复议、行政诉讼情况")
APPLICANTS_HEAD = _l("申请人情况")
ORGANISATIONS_HEAD = _l("法人或其他组织")

#: Table 四: the three groups and the outcomes each is counted by (then 总计).
REVIEW = "review"
REVIEW_GROUPS: tuple[tuple[str, Any], ...] = (
    (REVIEW, _l("行政复议")),
    ("suit_direct", _l("未经复议直接起诉")),
    ("suit_after_review", _l("复议后起诉")),
)
REVIEW_GROUP_LABELS: dict[str, Any] = dict(REVIEW_GROUPS)
REVIEW_OUTCOMES: tuple[tuple[str, Any], ...] = (
    ("upheld", _l("结果维持")),
    ("corrected", _l("结果纠正")),
    ("other", _l("其他结果")),
    ("pending", _l("尚未审结")),
)
LITIGATION_HEAD = _l("行政诉讼")

CHECK_BALANCE = _l("每一列：第一项加第二项之和，等于第三项（七）总计加第四项之和")
CHECK_RESULTS = _l("每一列：（七）总计等于各项办理结果之和")
CHECK_COLUMNS = _l("每一行：总计等于六类申请人之和")
CHECK_REVIEW = _l("表四：每一组的总计等于前四项之和")

_CONCLUDED_STAGES = {Stage.ANSWERED, Stage.ARCHIVED, Stage.CLOSED}


def valid_year(year: int) -> bool:
    return MIN_YEAR <= year <= MAX_YEAR


def bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


# --------------------------------------------------------------------------- the cases


@dataclass(frozen=True)
class CaseRow:
    """What the report needs of one application (nothing personal)."""

    number: str
    applicant_type: str
    received_on: dt.date
    stage: str
    result: str = ""
    replied_on: dt.date | None = None
    closed_on: dt.date | None = None

    @property
    def concluded_on(self) -> dt.date | None:
        """The day the case ended: its reply, else its closing (no supplement in time)."""
        return self.replied_on or self.closed_on

    @property
    def report_result(self) -> str:
        """The leaf row it counts in once concluded ("" if it has none). A closed case is one
        whose applicant did not supplement in time (the only way a case closes unanswered)."""
        if not self.result and self.stage == Stage.CLOSED:
            return "other_no_supplement"
        return self.result


@dataclass(frozen=True)
class Failure:
    """One broken check: where (a column or a row label) and the two sides that differ."""

    check: str  # "balance", "results", "columns" or "review"
    where: Any
    left: int
    right: int

    @property
    def message(self) -> str:
        if self.check == "balance":
            return _("%(where)s：第一项加第二项之和为 %(left)d，第三项（七）总计加第四项之和为 "
                     "%(right)d，相差 %(diff)d。", where=self.where, left=self.left,
                     right=self.right, diff=abs(self.left - self.right))
        if self.check == "results":
            return _("%(where)s：（七）总计为 %(left)d，各项办理结果之和为 %(right)d。",
                     where=self.where, left=self.left, right=self.right)
        if self.check == "columns":
            return _("%(where)s：总计为 %(left)d，六类申请人之和为 %(right)d。",
                     where=self.where, left=self.left, right=self.right)
        return _("%(where)s：总计为 %(left)d，前四项之和为 %(right)d。",
                 where=self.where, left=self.left, right=self.right)


@dataclass(frozen=True)
class Check:
    label: Any
    failures: tuple[Failure, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


_PROBLEMS: dict[str, Any] = {
    "no_result": _l("已办结，但没有有效的办理结果，未计入任何一项办理结果"),
    "bad_type": _l("申请人类型无效，未计入任何一列"),
    "no_date": _l("状态为已答复、已归档或已终止，但没有答复或终止日期，按未办结计"),
    "before_received": _l("办结日期早于收到日期"),
}


@dataclass(frozen=True)
class Problem:
    """A case whose data the report cannot count as the format wants."""

    number: str
    kind: str

    @property
    def message(self) -> str:
        return str(_PROBLEMS[self.kind])


@dataclass
class Table3:
    """Table 三 of one year: ``cells[row][column]`` for every row key and column (+ total)."""

    year: int
    cells: dict[str, dict[str, int]]
    #: what staff entered into 二 (already included in ``cells[CARRY_IN]``).
    entered_carry_in: dict[str, int]
    checks: list[Check] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def row(self, key: str) -> list[int]:
        """The row's numbers in column order, 总计 last."""
        return [self.cells[key][c] for c in (*COLUMNS, TOTAL)]


def _empty() -> dict[str, dict[str, int]]:
    return {key: dict.fromkeys((*COLUMNS, TOTAL), 0) for key in ROW_KEYS}


def _count(cells: dict[str, dict[str, int]], row: str, column: str | None) -> None:
    cells[row][TOTAL] += 1
    if column is not None:
        cells[row][column] += 1


def compute(year: int, cases: Iterable[CaseRow],
            carry_in: Mapping[str, int] | None = None) -> Table3:
    """Table 三 of ``year`` from the cases (any may be given: those outside the year count
    nowhere) and the staff-entered carry-in per column, with its checks and problem cases."""
    start, end = bounds(year)
    cells = _empty()
    problems: list[Problem] = []
    entered = {c: int((carry_in or {}).get(c) or 0) for c in COLUMNS}
    for case in cases:
        concluded = case.concluded_on
        in_report = False
        column = case.applicant_type if case.applicant_type in COLUMNS else None
        if start <= case.received_on <= end:
            _count(cells, NEW, column)
            in_report = True
        if case.received_on < start and (concluded is None or concluded >= start):
            _count(cells, CARRY_IN, column)
            in_report = True
        if concluded is not None and start <= concluded <= end:
            _count(cells, CONCLUDED, column)
            in_report = True
            result = case.report_result
            if result in RESULT_CODES:
                _count(cells, result, column)
            else:
                problems.append(Problem(case.number, "no_result"))
        if case.received_on <= end and (concluded is None or concluded > end):
            _count(cells, CARRY_OUT, column)
            in_report = True
        if not in_report:
            continue
        if column is None:
            problems.append(Problem(case.number, "bad_type"))
        if concluded is None and case.stage in _CONCLUDED_STAGES:
            problems.append(Problem(case.number, "no_date"))
        if concluded is not None and concluded < case.received_on:
            problems.append(Problem(case.number, "before_received"))
    for column, n in entered.items():
        cells[CARRY_IN][column] += n
        cells[CARRY_IN][TOTAL] += n
    table = Table3(year=year, cells=cells, entered_carry_in=entered, problems=problems)
    table.checks = checks(cells)
    return table


def checks(cells: Mapping[str, Mapping[str, int]]) -> list[Check]:
    """The format's three checks over table 三's cells."""
    balance, results, columns = [], [], []
    for column in (*COLUMNS, TOTAL):
        where = COLUMN_LABELS.get(column, TOTAL_LABEL)
        left = cells[NEW][column] + cells[CARRY_IN][column]
        right = cells[CONCLUDED][column] + cells[CARRY_OUT][column]
        if left != right:
            balance.append(Failure("balance", where, left, right))
        leaves = sum(cells[code][column] for code in RESULT_CODES)
        if cells[CONCLUDED][column] != leaves:
            results.append(Failure("results", where, cells[CONCLUDED][column], leaves))
    for key in ROW_KEYS:
        parts = sum(cells[key][c] for c in COLUMNS)
        if cells[key][TOTAL] != parts:
            columns.append(Failure("columns", row_label(key), cells[key][TOTAL], parts))
    return [Check(CHECK_BALANCE, tuple(balance)), Check(CHECK_RESULTS, tuple(results)),
            Check(CHECK_COLUMNS, tuple(columns))]


def row_label(key: str) -> Any:
    fixed = {NEW: ROW_NEW, CARRY_IN: ROW_CARRY_IN, CONCLUDED: ROW_TOTAL, CARRY_OUT: ROW_CARRY_OUT}
    if key in fixed:
        return fixed[key]
    return next(row.label for row in RESULT_ROWS if row.code == key)


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class Line:
    """One printed row of table 三: its label, indent level (0 一–四, 1 （一）–（七）, 2 the
    numbered reasons) and row key ("" for a heading without numbers)."""

    label: Any
    level: int
    key: str = ""


def lines() -> list[Line]:
    """Table 三's rows in print order, exactly as the format lists them."""
    out = [Line(ROW_NEW, 0, NEW), Line(ROW_CARRY_IN, 0, CARRY_IN), Line(ROW_RESULTS, 0)]
    group = ""
    for row in RESULT_ROWS:
        if not row.leaf:
            group = row.group
            out.append(Line(row.label, 1))
        else:
            out.append(Line(row.label, 2 if row.group == group else 1, row.code))
    out += [Line(ROW_TOTAL, 1, CONCLUDED), Line(ROW_CARRY_OUT, 0, CARRY_OUT)]
    return out


@dataclass(frozen=True)
class ResultLine:
    """A row under 三 for the HTML table, which merges cells as the published form does:
    ``heading`` starts a group of ``span`` rows (（三） to （六）), ``grouped`` rows sit in one."""

    key: str
    label: Any
    heading: Any = None
    span: int = 0
    grouped: bool = False


def result_lines() -> list[ResultLine]:
    """The 22 rows under 三 (the leaves and （七）) with their merged group headings."""
    sizes: dict[str, int] = {}
    for row in RESULT_ROWS:
        if row.leaf:
            sizes[row.group] = sizes.get(row.group, 0) + 1
    headings = {row.group: row.label for row in RESULT_ROWS if not row.leaf}
    out: list[ResultLine] = []
    seen: set[str] = set()
    for row in RESULT_ROWS:
        if not row.leaf:
            continue
        grouped = row.group in headings
        first = grouped and row.group not in seen
        seen.add(row.group)
        out.append(ResultLine(row.code, row.label,
                              heading=headings[row.group] if first else None,
                              span=sizes[row.group] if first else 0, grouped=grouped))
    out.append(ResultLine(CONCLUDED, ROW_TOTAL))
    return out


# --------------------------------------------------------------------------- table 四


def review_figures(stored: Mapping[str, Any] | None) -> dict[str, dict[str, int]]:
    """Table 四's 15 numbers from what is stored (missing or unreadable values are 0)."""
    out: dict[str, dict[str, int]] = {}
    for group, _label in REVIEW_GROUPS:
        raw = (stored or {}).get(group)
        values = raw if isinstance(raw, Mapping) else {}
        out[group] = {key: _whole(values.get(key))
                      for key in (*(o for o, _label in REVIEW_OUTCOMES), TOTAL)}
    return out


def _whole(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def review_check(figures: Mapping[str, Mapping[str, int]]) -> Check:
    failures = []
    for group, label in REVIEW_GROUPS:
        parts = sum(figures[group][o] for o, _label in REVIEW_OUTCOMES)
        if figures[group][TOTAL] != parts:
            failures.append(Failure("review", label, figures[group][TOTAL], parts))
    return Check(CHECK_REVIEW, tuple(failures))


class ReportError(Exception):
    """Figures staff entered that cannot be saved; ``messages`` say why, in Chinese."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def normalise_review(entered: Mapping[str, Mapping[str, int | None]]
                     ) -> dict[str, dict[str, int]]:
    """Table 四 as entered: an empty outcome is 0, an empty 总计 is the sum of the four, and a
    总计 that is not their sum is refused (:class:`ReportError` naming the group)."""
    out: dict[str, dict[str, int]] = {}
    errors: list[str] = []
    for group, label in REVIEW_GROUPS:
        values = entered.get(group, {})
        row: dict[str, int] = {}
        for outcome, outcome_label in REVIEW_OUTCOMES:
            value = values.get(outcome) or 0
            if not 0 <= value <= MAX_FIGURE:
                errors.append(_("%(group)s %(outcome)s：请填写 0 到 %(max)d 之间的整数。",
                                group=label, outcome=outcome_label, max=MAX_FIGURE))
            row[outcome] = value
        parts = sum(row.values())
        total = values.get(TOTAL)
        if total is not None and total != parts:
            errors.append(_("%(group)s：总计填的是 %(total)d，但结果维持、结果纠正、其他结果、"
                            "尚未审结四项之和是 %(sum)d。总计可以不填，由系统相加。",
                            group=label, total=total, sum=parts))
        row[TOTAL] = parts
        out[group] = row
    if errors:
        raise ReportError(errors)
    return out


def normalise_carry_in(entered: Mapping[str, int | None]) -> dict[str, int]:
    """The carry-in per column (empty = 0); out of range is refused."""
    out: dict[str, int] = {}
    errors = []
    for column, label in APPLICANT_COLUMNS:
        value = entered.get(column) or 0
        if not 0 <= value <= MAX_FIGURE:
            errors.append(_("%(column)s：请填写 0 到 %(max)d 之间的整数。",
                            column=label, max=MAX_FIGURE))
        out[column] = value
    if errors:
        raise ReportError(errors)
    return out


# --------------------------------------------------------------------------- CSV and text


def as_csv(table: Table3) -> str:
    """Table 三 as CSV (UTF-8 BOM first, for Excel): the format's column heads and every row
    label exactly, headings with empty cells."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([str(CHECK_NOTE), *(str(label) for _c, label in APPLICANT_COLUMNS),
                     str(TOTAL_LABEL)])
    for line in lines():
        numbers = table.row(line.key) if line.key else [""] * (len(COLUMNS) + 1)
        writer.writerow([str(line.label), *numbers])
    return out.getvalue()


def width(text: str) -> int:
    """Display width in a terminal: wide and full-width characters take two cells."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, cells: int, right: bool = False) -> str:
    gap = " " * max(cells - width(text), 0)
    return gap + text if right else text + gap


#: Punctuation that may not begin a line (it stays at the end of the line before).
_NO_LINE_START = "、，。；：？！）」”"


def _wrap(text: str, cells: int) -> list[str]:
    """Cut ``text`` into pieces at most ``cells`` wide (Chinese has no spaces to wrap at),
    plus one closing punctuation mark that may not begin a line."""
    pieces, current = [], ""
    for ch in text:
        if current and width(current + ch) > cells and ch not in _NO_LINE_START:
            pieces.append(current)
            current = ""
        current += ch
    return [*pieces, current]


LABEL_CELLS = 40


def as_text(table: Table3) -> str:
    """Table 三 as aligned text for a terminal, then the checks (✓ or ✗ with the numbers)."""
    heads = [str(label) for _c, label in APPLICANT_COLUMNS] + [str(TOTAL_LABEL)]
    widths = [max(width(h), 6) for h in heads]
    rule = "-" * (LABEL_CELLS + sum(w + 2 for w in widths))
    out = [_("%(year)d 年 %(title)s", year=table.year, title=TABLE3_TITLE), rule,
           _pad("", LABEL_CELLS) + "".join("  " + _pad(h, w, right=True)
                                            for h, w in zip(heads, widths, strict=True)),
           rule]
    for line in lines():
        indent = "  " * line.level
        label = _wrap(str(line.label), LABEL_CELLS - width(indent) - 2)
        if not line.key:
            out.append(indent + label[0])
        else:
            out.append(_pad(indent + label[0], LABEL_CELLS) + "".join(
                "  " + _pad(str(n), w, right=True)
                for n, w in zip(table.row(line.key), widths, strict=True)))
        out += [indent + "  " + more for more in label[1:] if more]
    out += [rule, str(CHECK_NOTE), "", _("勾稽关系检查：")]
    out += check_lines(table)
    return "\n".join(out) + "\n"


def check_lines(table: Table3) -> list[str]:
    """The checks as text lines: ✓ label, or ✗ label and each failure; then problem cases."""
    out = []
    for check in table.checks:
        out.append(f"{'✓' if check.ok else '✗'} {check.label}")
        out += [f"    {failure.message}" for failure in check.failures]
    if table.entered_carry_in and any(table.entered_carry_in.values()):
        out += ["  " + piece for piece in _wrap(str(CARRY_IN_NOTE), 76)]
    if table.problems:
        out.append(_("需要核对的申请（%(n)d 件）：", n=len(table.problems)))
        out += [f"    {p.number}  {p.message}" for p in table.problems]
    return out


CARRY_IN_NOTE = _l("上年结转中含工作人员填写的系统外申请数；这些申请的办理结果不在系统中，"
                   "在系统中补录（按原收到日期）后请把填写的数相应减少。")


# --------------------------------------------------------------------------- database


@dataclass
class Annual:
    """Everything the report page shows for a year."""

    year: int
    table: Table3
    review: dict[str, dict[str, int]]
    review_check: Check
    updated_by: str = ""
    updated_at: dt.datetime | None = None


def load_cases(year: int) -> list[CaseRow]:
    """The cases that can count in ``year``: not concluded before it, and received by its
    end (or, by mistake, concluded in it though received later: the checks then show it)."""
    start, end = bounds(year)
    concluded = func.coalesce(Application.replied_on, Application.closed_on)
    query = (select(Application.number, Application.applicant_type, Application.received_on,
                    Application.stage, Application.result, Application.replied_on,
                    Application.closed_on)
             .where(or_(Application.received_on <= end, concluded.between(start, end)),
                    or_(concluded.is_(None), concluded >= start))
             .order_by(Application.received_on, Application.id))
    return [CaseRow(number=r[0], applicant_type=r[1], received_on=r[2], stage=r[3],
                    result=r[4] or "", replied_on=r[5], closed_on=r[6])
            for r in db.session.execute(query)]


def carry_in_figures(stored: Mapping[str, Any] | None) -> dict[str, int]:
    return {c: _whole((stored or {}).get(c)) for c in COLUMNS}


def annual(year: int) -> Annual:
    """The year's tables from the database (zeros for a year without any data)."""
    figures = db.session.get(ReportFigures, year)
    carry_in = carry_in_figures(figures.carry_in if figures else None)
    review = review_figures(figures.review_litigation if figures else None)
    return Annual(year=year, table=compute(year, load_cases(year), carry_in), review=review,
                  review_check=review_check(review),
                  updated_by=figures.updated_by if figures else "",
                  updated_at=figures.updated_at if figures else None)


def _figures_row(year: int) -> ReportFigures:
    """The year's figures row, made if missing and locked until the commit (two officers
    saving at once wait for each other instead of failing on the primary key)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(ReportFigures).values(year=year, review_litigation={}, carry_in={},
                                     updated_by="", updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["year"]))
    return db.session.execute(
        select(ReportFigures).where(ReportFigures.year == year).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()


def _save(year: int, key: str, value: dict[str, Any], actor: str) -> ReportFigures:
    row = _figures_row(year)
    old = {key: getattr(row, key) or {}}
    setattr(row, key, value)  # a new dict, so the JSON column is seen as changed
    row.updated_by = actor[:100]
    before, after = audit.diff(old, {key: value})
    if after:
        audit.record("update", obj_type="disclosure_report", obj_id=year,
                     label=_("%(year)d 年度报告", year=year), old=before, new=after)
    db.session.commit()
    return row


def save_carry_in(year: int, entered: Mapping[str, int | None], actor: str) -> ReportFigures:
    """Store 二's staff-entered part for ``year`` (audited, committed).

    :raises ReportError: a figure out of range.
    """
    return _save(year, "carry_in", normalise_carry_in(entered), actor)


def save_review(year: int, entered: Mapping[str, Mapping[str, int | None]],
                actor: str) -> ReportFigures:
    """Store table 四 for ``year`` (totals computed; audited, committed).

    :raises ReportError: a figure out of range or a 总计 that is not the sum.
    """
    return _save(year, "review_litigation", normalise_review(entered), actor)
