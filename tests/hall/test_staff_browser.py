"""Staff pages in real Chromium: sign in through the form, every frame page passes axe
(WCAG 2.2 AA), nothing is fetched from elsewhere, the chart is drawn locally."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from content import stats
from hall.models import Role
from tests.kiosk.browser import assert_clean, describe_violations, new_kiosk_page, run_axe
from tests.staff_support import browser_login, create_staff

pytestmark = pytest.mark.browser

PAGES = ["/staff/", "/staff/users", "/staff/users/new", "/staff/audit", "/staff/password"]
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def test_staff_frame_pages_are_accessible(browser: Any, live_server: Any) -> None:
    create_staff("boss", Role.ADMIN)
    create_staff("clerk.li", Role.CLERK)
    for query, hits in (("低保", 3), ("𠮷祥（试行）", 0), ("社保卡", 0), ("社保卡", 0)):
        stats.record_search(query, hits)
    page = new_kiosk_page(browser, viewport=(1920, 1080))
    try:
        page.goto(f"{live_server.url}/staff/login")
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
        page.fill("#username", "boss")
        page.fill("#password", "wrong-password-1")
        page.click("button[type=submit]")
        assert "用户名或密码不正确" in page.inner_text("[role=alert]")
        browser_login(page, live_server.url, "boss")
        for path in PAGES:
            page.goto(f"{live_server.url}{path}")
            violations = run_axe(page)
            assert not violations, f"{path}\n{describe_violations(violations)}"
            if SHOTS.parent.exists():
                SHOTS.mkdir(exist_ok=True)
                name = path.strip("/").replace("/", "-") or "home"
                page.screenshot(path=str(SHOTS / f"staff-{name}.png"), full_page=True)
        page.goto(f"{live_server.url}/staff/")
        search_panel = page.locator("section.panel", has_text="政策查询")
        assert search_panel.locator("svg rect.bar").count() == 30  # one bar a day
        assert "社保卡" in page.inner_text("main")
        # the failed sign-in above is in the log, by the name that was typed
        page.goto(f"{live_server.url}/staff/audit?action=login_failed")
        assert "boss" in page.inner_text("table.audit")
        page.click("text=退出")
        page.wait_for_url("**/staff/login")
        problems = [p for p in _problems(page) if "401" not in p]
        assert not problems, problems
    finally:
        page.context.close()


def _problems(page: Any) -> list[str]:
    try:
        assert_clean(page)
    except AssertionError as error:
        return str(error).splitlines()
    return []
