"""The annual report's staff page: who may open it, the tables as published (labels, merged
headings, numbers), the checks and their warnings, the two forms (carry-in and table 四) with
their refusals, the CSV export; in Chromium: accessible, and printed as two A4 landscape pages
(table 三, then table 四)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from disclosure import report
from disclosure.models import ReportFigures
from hall.extensions import db
from hall.models import AuditEntry, Role
from tests.disclosure.test_report import COLUMN_HEADS, LABELS, YEAR, Made, _generate, _store
from tests.kiosk.browser import assert_clean, describe_violations, new_kiosk_page, run_axe
from tests.staff_support import browser_login, create_staff, token_in

PAGE = f"/staff/disclosure/report/{YEAR}"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _cells_of(html: str, label: str) -> list[str]:
    """The numbers of the row whose heading cell is ``label``."""
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*?>" + re.escape(label) + r"</th>(.*?)</tr>",
                    html, re.S)
    assert row is not None, label
    return re.findall(r'<td class="num[^"]*">(\d+)</td>', row.group(1))


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ADMIN])
def test_officers_and_admins_see_both_tables(client: FlaskClient, login_as: Any,
                                             role: str) -> None:
    made = _generate()
    _store(made)
    login_as(role)
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = _text(html)
    for label in LABELS:
        assert label in html, label
    for head in COLUMN_HEADS + ["申请人情况", "法人或其他组织"]:
        assert f">{head}</th>" in html
    assert "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）" in text
    table = report.annual(YEAR).table
    assert _cells_of(html, "一、本年新收政府信息公开申请数量") == [
        str(n) for n in table.row("new")]
    assert _cells_of(html, "（七）总计") == [str(n) for n in table.row("concluded")]
    assert _cells_of(html, "8.属于行政查询事项") == [str(n) for n in table.row("deny_query")]
    # merged headings as on the published form: 三 spans its 22 rows, （三） its 8
    assert 'rowspan="22" scope="rowgroup" class="rp-results">三、本年度办理结果' in html
    assert 'rowspan="8" scope="rowgroup" class="rp-group">（三）不予公开' in html
    assert "四、政府信息公开行政复议、行政诉讼情况" in text
    for head in ("行政复议", "行政诉讼", "未经复议直接起诉", "复议后起诉", "结果维持", "结果纠正",
                 "其他结果", "尚未审结"):
        assert f">{head}</th>" in html
    assert text.count("✓") == 4 and "✗" not in text
    assert f'href="/staff/disclosure/report/{YEAR - 1}"' in html
    assert f'href="/staff/disclosure/report/{YEAR}.csv"' in html


def test_clerks_and_editors_are_refused(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.CLERK, Role.EDITOR)
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}.csv").status_code == 403
    assert client.get("/staff/disclosure/report/").status_code == 403


def test_signed_out_goes_to_the_login(client: FlaskClient) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


def test_index_opens_the_report_being_written(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.OFFICER)
    response = client.get("/staff/disclosure/report/")
    assert response.status_code == 302
    assert re.search(r"/staff/disclosure/report/20\d\d$", response.headers["Location"])


def test_a_year_without_data_shows_zeros(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.OFFICER)
    response = client.get("/staff/disclosure/report/2015")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _cells_of(html, "四、结转下年度继续办理") == ["0"] * 7
    assert "✗" not in html


@pytest.mark.parametrize("year", ["1999", "2101", "999999"])
def test_years_out_of_range_are_not_found(client: FlaskClient, login_as: Any,
                                          year: str) -> None:
    login_as(Role.OFFICER)
    assert client.get(f"/staff/disclosure/report/{year}").status_code == 404
    assert client.get(f"/staff/disclosure/report/{year}.csv").status_code == 404


def test_broken_data_shows_a_warning_naming_column_and_numbers(client: FlaskClient,
                                                               login_as: Any) -> None:
    _store([Made("2026-000007", "business", dt.date(2026, 4, 1), "answered",
                 dt.date(2026, 4, 20), "")])
    login_as(Role.OFFICER)
    text = _text(client.get(PAGE).get_data(as_text=True))
    assert "✗ 不符： 每一列：（七）总计等于各项办理结果之和" in text
    assert "商业企业：（七）总计为 1，各项办理结果之和为 0。" in text
    assert "2026-000007 ：已办结，但没有有效的办理结果" in text


def test_csv_export(client: FlaskClient, login_as: Any) -> None:
    _store(_generate())
    login_as(Role.OFFICER)
    response = client.get(f"{PAGE}.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="disclosure-report-{YEAR}.csv"' in response.headers[
        "Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][1:] == COLUMN_HEADS
    assert [r[0] for r in rows[1:]] == LABELS
    table = report.annual(YEAR).table
    assert rows[-1][1:] == [str(n) for n in table.row("carry_out")]


def _token(client: FlaskClient) -> str:
    return token_in(client.get(PAGE).get_data(as_text=True))


def _audits() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.object_type == "disclosure_report")) or 0


def test_carry_in_form(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.OFFICER, username="officer.wang")
    token = _token(client)
    response = client.post(f"{PAGE}/carry-in", data={
        "csrf_token": token, "person": "4", "business": "", "research": "1,000",
        "public_interest": "0", "legal_service": " 2 ", "other_org": ""})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{PAGE}#table3")
    figures = db.session.get(ReportFigures, YEAR)
    assert figures is not None
    assert figures.carry_in == {"person": 4, "business": 0, "research": 1000,
                                "public_interest": 0, "legal_service": 2, "other_org": 0}
    assert figures.updated_by == "officer.wang"
    assert _audits() == 1
    html = client.get(PAGE).get_data(as_text=True)
    assert _cells_of(html, "二、上年结转政府信息公开申请数量") == [
        "4", "0", "1000", "0", "2", "0", "1006"]
    assert "已保存 2026 年的上年结转数。" in html
    # with no cases behind them the balance cannot hold, and the page says why
    assert ("自然人：第一项加第二项之和为 4，第三项（七）总计加第四项之和为 0，相差 4。"
            in _text(html))
    assert "系统外申请数" in html
    assert 'value="4"' in html  # the form shows what is stored


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "１２", "9999999"])
def test_carry_in_form_refuses_what_is_not_a_count(client: FlaskClient, login_as: Any,
                                                   value: str) -> None:
    login_as(Role.OFFICER)
    response = client.post(f"{PAGE}/carry-in",
                           data={"csrf_token": _token(client), "person": value})
    assert response.status_code == 422
    text = _text(response.get_data(as_text=True))
    assert ("自然人：请填写一个不小于 0 的整数。" in text
            or "自然人：请填写 0 到 99999 之间的整数。" in text)
    assert db.session.get(ReportFigures, YEAR) is None
    assert _audits() == 0


def test_review_form(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADMIN)
    token = _token(client)
    refused = client.post(f"{PAGE}/review", data={
        "csrf_token": token, "review_upheld": "3", "review_corrected": "1",
        "review_total": "5", "suit_direct_pending": "x"})
    assert refused.status_code == 422
    text = _text(refused.get_data(as_text=True))
    assert "未经复议直接起诉 尚未审结：请填写一个不小于 0 的整数。" in text
    assert db.session.get(ReportFigures, YEAR) is None
    mismatch = client.post(f"{PAGE}/review", data={
        "csrf_token": token, "review_upheld": "3", "review_corrected": "1",
        "review_total": "5"})
    assert mismatch.status_code == 422
    assert ("行政复议：总计填的是 5，但结果维持、结果纠正、其他结果、尚未审结四项之和是 4。"
            in _text(mismatch.get_data(as_text=True)))
    assert 'value="5"' in mismatch.get_data(as_text=True)  # what was typed stays
    saved = client.post(f"{PAGE}/review", data={
        "csrf_token": token, "review_upheld": "3", "review_corrected": "1",
        "review_total": "", "suit_after_review_other": "2", "suit_after_review_total": "2"})
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith("#table4")
    figures = db.session.get(ReportFigures, YEAR)
    assert figures is not None
    assert figures.review_litigation["review"] == {
        "upheld": 3, "corrected": 1, "other": 0, "pending": 0, "total": 4}
    assert figures.review_litigation["suit_after_review"]["total"] == 2
    assert _audits() == 1
    html = client.get(PAGE).get_data(as_text=True)
    t4 = html[html.index('class="rp-table rp-t4"'):]
    numbers = re.findall(r'<td class="num[^"]*">(\d+)</td>', t4)[:15]
    assert numbers == ["3", "1", "0", "0", "4", "0", "0", "0", "0", "0",
                       "0", "0", "2", "0", "2"]


@pytest.mark.browser
def test_page_in_chromium_is_accessible_and_prints_on_two_landscape_pages(
        browser: Any, live_server: Any, app: Flask) -> None:
    _store(_generate())
    report.save_review(YEAR, {"review": {"upheld": 2, "corrected": 1},
                              "suit_direct": {"pending": 1}}, "officer")
    create_staff("officer.li", Role.OFFICER)
    page = new_kiosk_page(browser, viewport=(1366, 768))
    try:
        browser_login(page, live_server.url, "officer.li")
        page.goto(f"{live_server.url}{PAGE}")
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
        assert page.locator("[data-print]").is_visible()  # the script showed the button
        if SHOTS.parent.exists():
            SHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SHOTS / "staff-disclosure-report.png"), full_page=True)
        page.emulate_media(media="print")
        assert not page.locator(".staff-top").is_visible()
        assert not page.locator("form").first.is_visible()
        assert not page.locator(".rp-checks").is_visible()  # all fine: a clean printout
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        sizes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
        assert len(sizes) == 2, sizes  # table 三 on one page, table 四 on the next
        for w, h in sizes:
            assert abs(float(w) - 842) < 2 and abs(float(h) - 595) < 2  # A4 landscape
        page.emulate_media(media="screen")
        # a figure typed in the form comes back on the page, and the warning prints
        page.fill("#person", "2")
        page.click("text=保存上年结转数")
        page.wait_for_url(f"**{PAGE}#table3")
        assert "已保存 2026 年的上年结转数。" in page.inner_text(".flashes")
        assert "相差 2" in page.inner_text(".rp-checks")  # 2 cases the system does not hold
        page.emulate_media(media="print")
        assert page.locator(".rp-checks").is_visible()
        assert_clean(page)
    finally:
        page.context.close()
