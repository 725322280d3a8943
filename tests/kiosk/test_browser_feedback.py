"""意见建议 and 征求意见 in real Chromium on the portrait kiosk: writing Chinese with the
on-screen pinyin keyboard, filing, the code and key screen, looking the answer up, and the
consultation pages; every page passes axe (WCAG 2.2 AA) with touch targets of 48 px (60 px in
elder mode)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from feedback import suggestions
from feedback.models import Suggestion
from hall.extensions import db
from tests.feedback.support import make_consultation
from tests.kiosk.browser import (
    assert_clean,
    describe_violations,
    ensure_speech,
    kiosk_page,
    run_axe,
    small_targets,
)

pytestmark = pytest.mark.browser


def _check(page: Any, min_px: int = 48) -> None:
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
    small = small_targets(page, min_px)
    assert not small, small
    assert_clean(page)


def test_file_with_the_pinyin_keyboard_then_look_it_up(app: Flask, live_server: Any,
                                                       browser: Any) -> None:
    ensure_speech(app)
    with kiosk_page(browser) as page:
        page.goto(f"{live_server.url}/kiosk/suggest")
        keyboard = page.locator("#kb")
        expect(keyboard).to_be_visible()
        _check(page)
        page.get_by_text("服务态度", exact=True).click()
        page.locator("#fb-text").click()
        page.locator("#fb-text").fill("窗口的")
        for letter in "fuwu":
            keyboard.locator(f'[data-letter="{letter}"]').click()
        expect(page.locator("#kb-letters")).to_have_text("fuwu")
        keyboard.locator(".kb-candidate", has_text="服务").first.click()
        keyboard.locator('[data-key="，"]').click()
        for letter in "hen":
            keyboard.locator(f'[data-letter="{letter}"]').click()
        keyboard.locator(".kb-candidate", has_text="很").first.click()
        expect(page.locator("#fb-text")).to_have_value("窗口的服务，很")
        expect(page.locator("#fb-text-count")).to_contain_text("7")
        page.screenshot(path="/tmp/feedback-suggest.png")
        page.locator(".fb-submit").click()
        page.wait_for_url("**/kiosk/suggest/done")
        row = db.session.query(Suggestion).one()
        assert row.text == "窗口的服务，很"
        expect(page.locator("#fb-code")).to_have_text(row.code)
        expect(page.locator("#fb-key")).to_have_text(row.lookup_key)
        page.screenshot(path="/tmp/feedback-done.png")
        _check(page)

        page.goto(f"{live_server.url}/kiosk/suggest/lookup")
        _check(page)
        page.locator("#fb-lookup-code").fill(row.code)
        page.locator("#fb-lookup-key").click()
        for char in row.lookup_key.lower():
            target = "data-letter" if char.isalpha() else "data-key"
            page.locator(f'#kb [{target}="{char}"]').click()
        expect(page.locator("#fb-lookup-key")).to_have_value(row.lookup_key)
        page.get_by_role("button", name="查询", exact=True).click()
        expect(page.locator("#fb-status")).to_have_text("待分办")
        expect(page.locator("#fb-result")).to_contain_text("窗口的服务，很")
        _check(page)

        suggestions.answer(row, "感谢您的肯定！", public=True, by="测试")
        page.reload()  # the form posted: the browser asks again with the same code and key
        expect(page.locator("#fb-reply")).to_have_text("感谢您的肯定！")
        page.screenshot(path="/tmp/feedback-lookup.png")


def test_wrong_key_says_so(app: Flask, live_server: Any, browser: Any) -> None:
    ensure_speech(app)
    row = suggestions.submit("other", "请在大厅多放几支笔。")
    with kiosk_page(browser) as page:
        page.goto(f"{live_server.url}/kiosk/suggest/lookup")
        page.locator("#fb-lookup-code").fill(row.code)
        page.locator("#fb-lookup-key").fill("WRONG2")
        page.get_by_role("button", name="查询", exact=True).click()
        expect(page.locator("#fb-error")).to_contain_text("没有找到")
        assert page.locator("#fb-result").count() == 0


def test_consultation_pages_read_and_comment(app: Flask, live_server: Any,
                                            browser: Any) -> None:
    ensure_speech(app)
    row = make_consultation(explanation="为更好保障老年人出行，起草了本办法。",
                            body_html="<h2>第一章 总则</h2><p>第一条 为了……</p>")
    with kiosk_page(browser) as page:
        page.goto(f"{live_server.url}/kiosk/consult")
        _check(page)
        page.get_by_text(row.title).click()
        page.wait_for_url(f"**/kiosk/consult/{row.id}")
        _check(page)
        page.locator("#fb-text").fill("建议把年龄放宽到 65 岁。")
        page.locator(".fb-submit").click()
        expect(page.locator(".fb-ok")).to_be_visible()
        page.screenshot(path="/tmp/feedback-consult.png", full_page=False)


@pytest.mark.parametrize("path", ["/kiosk/suggest", "/kiosk/suggest/answers"])
def test_elder_mode_targets(app: Flask, live_server: Any, browser: Any, path: str) -> None:
    ensure_speech(app)
    row = suggestions.submit("other", "请在大厅多放几支笔。")
    suggestions.answer(row, "已放置。", public=True, by="测试")
    suggestions.publish(row, True)
    with kiosk_page(browser, elder=True, base_url=live_server.url) as page:
        page.goto(live_server.url + path)
        _check(page, 60)
