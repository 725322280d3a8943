"""Idle reset in real Chromium: a short timeout warns, "我还在" extends, and the reset wipes
everything the last person left (query, results, elder mode, language, browser storage)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.kiosk.fixtures import make_sample_content

pytestmark = pytest.mark.browser

IDLE, WARNING = 4, 2


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"KIOSK_IDLE_SECONDS": IDLE, "KIOSK_IDLE_WARNING_SECONDS": WARNING}


@pytest.fixture
def page(app: Flask, live_server: Any, browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True,
                                  base_url=live_server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert errors == []


def test_warning_extend_then_reset_to_a_clean_start(page: Any) -> None:
    make_sample_content()
    page.goto("/kiosk/")
    with page.expect_navigation():
        page.locator(".elder-form button").tap()
    with page.expect_navigation():
        page.locator('.langs a[lang="en"]').tap()
    assert page.evaluate("document.documentElement.className") == "elder"
    page.goto("/kiosk/search")
    page.evaluate("sessionStorage.setItem('last', '社保'); localStorage.setItem('last', '社保')")
    for key in "sb":
        page.locator(f'#keyboard .key[data-key="{key}"]').tap()
    page.locator("#q").fill("社保")
    page.locator("#results .hit").first.wait_for(timeout=5000)

    dialog = page.locator("#idle-dialog")
    expect(dialog).to_be_visible(timeout=(IDLE + 1) * 1000)
    assert page.locator("#idle-title").inner_text() == "Are you still there?"  # English chosen
    left = int(page.locator("#idle-seconds-left").inner_text())
    assert 1 <= left <= WARNING
    page.locator("#idle-stay").tap()
    expect(dialog).to_be_hidden()
    extended_at = time.monotonic()
    assert page.url.endswith("/kiosk/search") and page.locator("#q").input_value() == "社保"

    expect(dialog).to_be_visible(timeout=(IDLE + 1) * 1000)
    assert time.monotonic() - extended_at >= IDLE - WARNING - 0.5  # the timer really restarted
    page.wait_for_url("**/kiosk/", timeout=(WARNING + 3) * 1000)
    page.wait_for_load_state()

    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.evaluate("document.documentElement.className") == ""
    assert page.locator(".elder-form button").get_attribute("aria-pressed") == "false"
    assert page.evaluate("sessionStorage.length + localStorage.length") == 0
    page.goto("/kiosk/search")
    assert page.locator("#q").input_value() == ""
    assert page.locator("#results .hit").count() == 0
    assert page.locator("#result-count").inner_text() == ""


def test_untouched_start_screen_does_not_count_down(page: Any) -> None:
    page.goto("/kiosk/")
    page.wait_for_timeout((IDLE + 1) * 1000)
    assert page.locator("#idle-dialog").is_hidden()
    assert page.url.endswith("/kiosk/")


def test_any_touch_postpones_the_warning(page: Any) -> None:
    page.goto("/kiosk/guides")
    for _ in range(4):  # keep touching for longer than the whole timeout
        page.wait_for_timeout(1000)
        page.locator("h1").tap()
        assert page.locator("#idle-dialog").is_hidden()
    assert page.url.endswith("/kiosk/guides")
    expect(page.locator("#idle-dialog")).to_be_visible(timeout=(IDLE + 1) * 1000)


def test_error_page_also_resets(app: Flask, live_server: Any, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True,
                                  base_url=live_server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/kiosk/elder?on=1")
    response = page.goto("/kiosk/policies/424242")
    assert response.status == 404
    assert page.evaluate("document.documentElement.className") == "elder"
    expect(page.locator("#idle-dialog")).to_be_visible(timeout=(IDLE + 1) * 1000)
    page.wait_for_url("**/kiosk/", timeout=(WARNING + 3) * 1000)
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.className") == ""
    context.close()
    # Chromium logs the 404 document itself; nothing else may fail.
    assert [e for e in errors if "404" not in e] == [], errors
