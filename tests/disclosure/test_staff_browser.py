"""The disclosure staff pages in real Chromium: an officer takes a filed case through
register → review → processing → answer, the letter renders for print; every page passes axe
(WCAG 2.2 AA) with nothing fetched from elsewhere; screenshots at 1366×768 for review."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from disclosure.models import Application, Stage
from hall.extensions import db
from hall.models import Role
from hall.timefmt import local_today
from tests.disclosure.support import PHONE, VALID_ID, file_one
from tests.kiosk.browser import assert_clean, describe_violations, new_kiosk_page, run_axe
from tests.staff_support import browser_login, create_staff

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def _check(page: Any, name: str) -> None:
    violations = run_axe(page)
    assert not violations, f"{name}\n{describe_violations(violations)}"
    html = page.content()
    assert VALID_ID not in html and PHONE not in html, name
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"disclosure-{name}.png"), full_page=True)


def test_officer_answers_a_case_and_prints_the_letter(browser: Any, live_server: Any) -> None:
    create_staff("officer.li", Role.OFFICER)
    row = file_one(local_today(), now=dt.datetime.now(dt.UTC))
    other = file_one(local_today(), now=dt.datetime.now(dt.UTC), info_title="河道整治资金安排")
    other.due_on = local_today() - dt.timedelta(days=7)  # an overdue case for the list
    db.session.commit()
    case_url = f"{live_server.url}/staff/disclosure/{row.id}"
    page = new_kiosk_page(browser, viewport=(1366, 768))
    try:
        browser_login(page, live_server.url, "officer.li")
        page.goto(f"{live_server.url}/staff/disclosure/")
        assert "已超期" in page.inner_text(f"tr:has-text('{other.number}')")
        _check(page, "list")
        page.click(f"text={row.number}")
        page.wait_for_url(case_url)
        _check(page, "case-received")
        for action in ("register", "start_review", "start_processing"):
            with page.expect_navigation():
                page.click(f"#step-{action} button[type=submit]")
            assert page.locator(".flash-success").count() == 1, page.inner_text("main")[:800]
        # a look at the full ID number is shown once
        page.click("form:has(input[value=id_number]) button")
        assert page.inner_text("#revealed-id_number") == VALID_ID
        page.goto(case_url)
        assert page.locator("#revealed-id_number").count() == 0
        # the answer form shows only the fields its kind needs
        answer = page.locator("#step-answer")
        assert answer.locator("[data-for-kinds*=deny]").is_hidden()
        answer.locator("select[name=kind]").select_option("deny")
        assert answer.locator("select[name=deny_reason]").is_visible()
        answer.locator("select[name=deny_reason]").select_option("deny_third_party")
        answer.locator("textarea[name=reply_text]").fill("所申请信息涉及他人个人隐私。")
        _check(page, "case-processing")
        with page.expect_navigation():
            page.locator("#step-answer button[type=submit]").click()
        assert page.locator(".flash-success").count() == 1, page.inner_text("main")[:1500]
        assert "已答复" in page.inner_text(".dc-state")
        page.click("text=答复书（打印）")
        page.wait_for_url(f"{case_url}/letter")
        sheet = page.inner_text("main.sheet")
        assert "政府信息公开申请答复书" in sheet and "张三：" in sheet
        assert "第十五条" in sheet and "不予公开" in sheet
        _check(page, "letter")
        page.emulate_media(media="print")
        assert page.locator(".letter-tools").is_hidden()
        page.emulate_media(media="screen")
        page.goto(f"{live_server.url}/staff/disclosure/new")
        _check(page, "new")
        page.click("button:has-text('登记申请')")
        assert "没有保存" in page.inner_text("[role=alert]")
        _check(page, "new-errors")
        page.goto(f"{live_server.url}/staff/calendar/{local_today().year}")
        _check(page, "calendar")
        page.goto(f"{live_server.url}/staff/")
        _check(page, "home")
        assert_clean(page)
    finally:
        page.context.close()
    db.session.expire_all()
    done = db.session.get(Application, row.id)
    assert done is not None
    assert (done.stage, done.result, done.replied_by) == (
        Stage.ANSWERED, "deny_third_party", "officer.li")
