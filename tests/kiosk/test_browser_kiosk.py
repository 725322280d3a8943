"""The kiosk in real Chromium at 1080x1920 with touch: the on-screen keyboard drives live
search, articles show their QR code, elder mode enlarges text and targets, and the start
screen stays light. The real CSP is enforced (no bypass), so an inline script or style would
show up as a console error, and every console error fails the test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.kiosk.fixtures import make_sample_content

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
TARGETS = "button, a[href], input:not([type=hidden]), select, summary, [role=button]"
#: Measure every visible touch target, except inline links inside article text (WCAG 2.5.8).
MEASURE_JS = """(sel) => [...document.querySelectorAll(sel)]
  .filter(el => !el.closest('.prose') && !el.closest('[hidden]'))
  .map(el => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return {what: el.outerHTML.slice(0, 80), w: r.width, h: r.height,
            visible: r.width > 0 && r.height > 0 && s.visibility !== 'hidden'
              && !el.classList.contains('visually-hidden')}; })
  .filter(t => t.visible)"""


class Kiosk:
    """One touch-screen browser context with its console errors collected."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1080, "height": 1920},
                                           has_touch=True, is_mobile=False, base_url=base_url)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def goto(self, path: str) -> Any:
        return self.page.goto(path)

    def small_targets(self, minimum: int) -> list[dict[str, Any]]:
        targets = self.page.evaluate(MEASURE_JS, TARGETS)
        assert targets, "no touch targets found"
        return [t for t in targets if t["w"] < minimum - 0.5 or t["h"] < minimum - 0.5]


@pytest.fixture
def kiosk(app: Flask, live_server: Any, browser: Any) -> Iterator[Kiosk]:
    k = Kiosk(browser, live_server.url)
    yield k
    k.context.close()
    assert k.errors == [], k.errors


@pytest.fixture
def ids(app: Flask) -> dict[str, int]:
    return make_sample_content()


def _tap_keys(kiosk: Kiosk, text: str) -> None:
    for char in text:
        kiosk.page.locator(f'#keyboard .key[data-key="{char}"]').tap()


def test_keyboard_types_and_results_follow(kiosk: Kiosk, ids: dict[str, int]) -> None:
    page = kiosk.page
    kiosk.goto("/kiosk/search")
    field = page.locator("#q")
    assert field.get_attribute("inputmode") == "none"
    assert page.locator("#keyboard").is_visible()
    start = page.locator("#search-start")
    expect(start).to_be_visible()  # the categories to browse, before anything is typed
    _tap_keys(kiosk, "zfxxgk")
    assert field.input_value() == "zfxxgk"
    first = page.locator("#results .hit").first
    first.wait_for(timeout=5000)
    expect(start).to_be_hidden()
    assert "政府信息公开条例" in page.locator("#results").inner_text()
    assert page.locator("#result-count").inner_text().startswith("共找到")
    assert page.locator("#result-count").get_attribute("aria-live") == "polite"
    assert page.url.endswith("/kiosk/search")  # live results came by fetch, not a reload

    page.locator('#keyboard .key[data-action="delete"]').tap()
    assert field.input_value() == "zfxxg"
    page.locator('#keyboard .key[data-action="clear"]').tap()
    assert field.input_value() == ""
    expect(page.locator("#results .hit")).to_have_count(0)
    expect(start).to_be_visible()

    _tap_keys(kiosk, "2025〕12")
    page.locator("#results .hit").first.wait_for(timeout=5000)
    assert "章府办字〔2025〕12号" in page.locator("#results").inner_text()
    page.locator('#keyboard .key[data-action="search"]').tap()
    page.wait_for_url("**/kiosk/search?*q=2025*")
    assert page.locator("#q").input_value() == "2025〕12"


def test_typing_chinese_through_the_real_input(kiosk: Kiosk, ids: dict[str, int]) -> None:
    """Where an OS input method exists, it types into the same <input>."""
    page = kiosk.page
    kiosk.goto("/kiosk/search")
    page.locator("#q").fill("社保")
    page.locator("#results .hit").first.wait_for(timeout=5000)
    marks = page.locator("#results mark").all_inner_texts()
    assert "社保" in marks
    assert "𠮷安片区" in page.locator("#results").inner_text()


def test_article_shows_qr_svg_and_jumps_to_an_article(kiosk: Kiosk, ids: dict[str, int]) -> None:
    page = kiosk.page
    kiosk.goto(f"/kiosk/policies/{ids['policy_regulations']}")
    qr = page.locator("svg.qr")
    assert qr.is_visible()
    box = qr.bounding_box()
    assert box and box["width"] >= 200 and box["height"] >= 200
    assert qr.locator("path").count() == 1
    for digit in "33":
        page.locator(f'.jump-pad .key[data-digit="{digit}"]').tap()
    page.locator("#jump button[type=submit]").tap()
    expect(page.locator("#art-33")).to_have_class(re.compile(r"\btarget\b"))
    box = page.evaluate("(() => { const r = document.getElementById('art-33')"
                        ".getBoundingClientRect(); return [r.top, r.bottom, window.scrollY]; })()")
    assert 0 <= box[0] and box[1] <= 1920 and box[2] > 0, box  # scrolled into view
    page.locator('.jump-pad .key[data-action="delete"]').tap()
    page.locator('.jump-pad .key[data-action="delete"]').tap()
    page.locator('.jump-pad .key[data-digit="9"]').tap()
    page.locator("#jump button[type=submit]").tap()
    assert page.locator(".jump-message").inner_text() == "本文没有第 9 条。"


def _pages(ids: dict[str, int]) -> list[str]:
    return [
        "/kiosk/", "/kiosk/search?q=社保", "/kiosk/categories",
        f"/kiosk/categories/{ids['category_pension']}",
        f"/kiosk/policies/{ids['policy_regulations']}", f"/kiosk/policies/{ids['policy_social']}",
        "/kiosk/interpretations", f"/kiosk/interpretations/{ids['interpretation_graphic']}",
        "/kiosk/guides", f"/kiosk/guides/{ids['guide']}", "/kiosk/notices",
        f"/kiosk/notices/{ids['notice']}", "/kiosk/catalog",
    ]


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_text_and_touch_targets_are_large_enough(kiosk: Kiosk, ids: dict[str, int],
                                                 elder: bool) -> None:
    body_min, target_min = (32, 60) if elder else (24, 48)
    page = kiosk.page
    kiosk.goto("/kiosk/")
    toggle = page.locator(".elder-form button")
    assert toggle.get_attribute("aria-pressed") == "false"
    if elder:
        with page.expect_navigation():
            toggle.tap()
        assert page.locator(".elder-form button").get_attribute("aria-pressed") == "true"
        assert page.evaluate("document.documentElement.classList.contains('elder')")
    SHOTS.mkdir(exist_ok=True)
    mode = "elder" if elder else "normal"
    for number, path in enumerate(_pages(ids)):
        kiosk.goto(path)
        size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        line = page.evaluate("""(() => { const s = getComputedStyle(document.body);
            return parseFloat(s.lineHeight) / parseFloat(s.fontSize); })()""")
        assert size >= body_min, (path, size)
        assert line >= 1.3, (path, line)
        prose = page.locator(".prose").first
        if prose.count():
            prose_size = prose.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
            assert float(prose_size) >= body_min, (path, prose_size)
        small = kiosk.small_targets(target_min)
        assert small == [], (path, small)
        page.screenshot(path=str(SHOTS / f"kiosk-{number:02d}-{mode}.png"), full_page=True)
    if elder:
        kiosk.goto("/kiosk/search")
        keys = page.evaluate("""[...document.querySelectorAll('#keyboard .key')].map(k => {
            const r = k.getBoundingClientRect(); return Math.min(r.width, r.height); })""")
        assert keys and min(keys) >= 60


def test_start_screen_weighs_under_150_kb(kiosk: Kiosk, ids: dict[str, int]) -> None:
    sizes: dict[str, int] = {}

    def record(response: Any) -> None:
        sizes[response.url] = len(response.body())

    kiosk.page.on("response", record)
    kiosk.goto("/kiosk/")
    kiosk.page.wait_for_load_state("networkidle")
    assert any(url.endswith("/kiosk/") for url in sizes)
    assert any(url.endswith(".css") for url in sizes) and any(url.endswith(".js") for url in sizes)
    assert all(url.startswith(kiosk.page.url.split("/kiosk/")[0]) for url in sizes), sizes
    total = sum(sizes.values())
    assert total <= 150 * 1024, sizes


def test_language_switch_in_the_browser(kiosk: Kiosk, ids: dict[str, int]) -> None:
    page = kiosk.page
    kiosk.goto("/kiosk/guides")
    with page.expect_navigation(url="**/kiosk/guides"):
        page.locator('.langs a[lang="en"]').tap()
    assert page.evaluate("document.documentElement.lang") == "en"
    with page.expect_navigation(url="**/kiosk/guides"):
        page.locator('.langs a[lang="zh-CN"]').tap()
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
