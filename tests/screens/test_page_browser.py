"""The screen page in real Chromium, fed a fixture state: slides in order with their
durations, the ticker moving, an emergency taking over and clearing, axe in both
orientations, screenshots for review, and no console errors."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import LiveServer
from tests.kiosk.browser import assert_clean, describe_violations, problems_of, run_axe
from tests.screens.fixtures.page_support import (
    LANDSCAPE,
    PORTRAIT,
    FixtureState,
    iso_in,
    load_state,
    new_screen_page,
    on_air_log,
    record_clip,
    serve_fixture,
)

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
SPEED = 4


@pytest.fixture
def fixture_state(monkeypatch: pytest.MonkeyPatch) -> FixtureState:
    return serve_fixture(monkeypatch, load_state())


def _open(browser: Any, server: LiveServer, query: str = "",
          viewport: tuple[int, int] = LANDSCAPE) -> Any:
    page = new_screen_page(browser, viewport)
    page.goto(f"{server.url}/screens/lobby?socket=0{query}")
    page.wait_for_function("document.querySelector('#main').dataset.onAir")
    return page


def test_slides_play_in_order_with_their_durations(
        browser: Any, live_server: LiveServer, fixture_state: FixtureState) -> None:
    slides = fixture_state.state["slides"]
    page = _open(browser, live_server, f"&speed={SPEED}")
    try:
        page.wait_for_function(f"window.gongkaiScreen.log.length >= {len(slides) + 2}",
                               timeout=30000)
        log = on_air_log(page)
        ids = [entry["id"] for entry in log]
        expected = [s["id"] for s in slides]
        assert ids[: len(slides) + 1] == [*expected, expected[0]]
        for entry, after, slide in zip(log, log[1:], [*slides, *slides], strict=False):
            seconds = (after["at"] - entry["at"]) / 1000 * SPEED
            assert slide["duration"] - 0.3 <= seconds <= slide["duration"] + 1.2, (
                f"{slide['id']} was on air {seconds:.2f}s (of slide time), "
                f"expected {slide['duration']}")
        # On air: the kind's content, built from plain text and sanitized HTML.
        policy = page.locator(".slide-policy").first
        assert "赣市府发〔2025〕12号" in (policy.text_content() or "")
        assert page.locator(".slide-image img").first.get_attribute("alt") == (
            slides[2]["image_alt"])
        assert_clean(page)
    finally:
        page.context.close()


def test_next_slide_is_ready_before_it_goes_on_air(
        browser: Any, live_server: LiveServer, fixture_state: FixtureState) -> None:
    """While the notice plays, the policy card is already built underneath, invisible; at the
    switch the old slide stays opaque under the new one (no gap between them)."""
    fixture_state.state["slides"][0]["duration"] = 30
    page = _open(browser, live_server)
    try:
        page.wait_for_function("document.querySelectorAll('.slide-layer .slide').length === 2")
        page.wait_for_timeout(1000)  # the first slide's fade-in is over
        layers = page.evaluate("""() => Array.from(document.querySelectorAll('.slide-layer'))
            .map(l => ({on: l.classList.contains('is-on'), opacity: getComputedStyle(l).opacity,
                        kind: l.firstChild && l.firstChild.className}))""")
        on = [layer for layer in layers if layer["on"]]
        off = [layer for layer in layers if not layer["on"]]
        assert "slide-notice" in on[0]["kind"] and on[0]["opacity"] == "1"
        assert "slide-policy" in off[0]["kind"] and off[0]["opacity"] == "0"
        assert_clean(page)
    finally:
        page.context.close()


def _ticker_x(page: Any) -> float:
    value: float = page.evaluate(
        "new DOMMatrix(getComputedStyle(document.getElementById('ticker-track')).transform).m41")
    return value


def test_ticker_moves_and_restarts_when_its_lines_change(
        browser: Any, live_server: LiveServer, fixture_state: FixtureState) -> None:
    page = _open(browser, live_server, "&poll=1")
    try:
        first = _ticker_x(page)
        page.wait_for_timeout(700)
        second = _ticker_x(page)
        assert second < first - 20, (first, second)  # moving left, ~120 px a second
        track = page.locator("#ticker-track")
        assert "工作时间" in (track.text_content() or "")
        assert page.evaluate("getComputedStyle(document.getElementById('ticker-track'))"
                             ".animationName") == "ticker-move"
        fixture_state.change(ticker=[{"id": 9, "text": "今日办理社保业务请到3号窗口"}])
        page.wait_for_function(
            "document.getElementById('ticker-track').textContent.indexOf('3号窗口') >= 0")
        assert "工作时间" not in (track.text_content() or "")
        later = _ticker_x(page)
        page.wait_for_timeout(500)
        assert _ticker_x(page) < later - 10
        assert_clean(page)
    finally:
        page.context.close()


def test_ticker_animation_does_no_layout_per_frame(
        browser: Any, live_server: LiveServer, fixture_state: FixtureState) -> None:
    """Only the compositor moves the ticker: over a second of animation Chromium runs (almost)
    no layout and no style recalculation."""
    page = _open(browser, live_server)
    try:
        page.wait_for_timeout(300)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")

        def metrics() -> dict[str, float]:
            return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}

        before = metrics()
        page.wait_for_timeout(1000)
        after = metrics()
        layouts = after["LayoutCount"] - before["LayoutCount"]
        styles = after["RecalcStyleCount"] - before["RecalcStyleCount"]
        # One per frame would be ~60 a second; the clock and slide timers cause a few.
        assert layouts <= 10, f"{layouts} layouts in a second"
        assert styles <= 10, f"{styles} style recalculations in a second"
    finally:
        page.context.close()


def test_emergency_takes_over_and_clears(
        browser: Any, live_server: LiveServer, fixture_state: FixtureState) -> None:
    page = _open(browser, live_server, "&poll=1")
    emergency = page.locator("#emergency")
    try:
        assert emergency.is_hidden()
        fixture_state.change(emergency={"id": 5, "title": "临时停电通知",
                                        "text": "因线路检修，大厅将于15:00停电，请有序离场。",
                                        "until": None})
        emergency.wait_for(state="visible", timeout=10000)
        assert emergency.locator("h2").text_content() == "临时停电通知"
        box = emergency.bounding_box()
        assert box == {"x": 0, "y": 0, "width": LANDSCAPE[0], "height": LANDSCAPE[1]}
        assert page.get_attribute("#frame", "aria-hidden") == "true"
        assert not run_axe(page), describe_violations(run_axe(page))
        fixture_state.change(emergency=None)
        emergency.wait_for(state="hidden", timeout=10000)
        assert page.get_attribute("#frame", "aria-hidden") is None
        assert_clean(page)
    finally:
        page.context.close()


def test_emergency_ends_by_itself_at_its_until(
        browser: Any, live_server: LiveServer, fixture_state: FixtureState) -> None:
    fixture_state.state["emergency"] = {"id": 6, "title": "", "text": "请注意：消防演练进行中。",
                                        "until": iso_in(3)}
    page = _open(browser, live_server)
    emergency = page.locator("#emergency")
    try:
        assert emergency.is_visible()
        assert emergency.locator("h2").text_content() == "紧急通知"  # no title: the label
        started = time.monotonic()
        emergency.wait_for(state="hidden", timeout=10000)
        assert time.monotonic() - started < 5
        assert_clean(page)
    finally:
        page.context.close()


def test_older_state_is_ignored_and_reload_token_reloads(
        browser: Any, live_server: LiveServer, fixture_state: FixtureState) -> None:
    page = _open(browser, live_server, "&poll=1")
    try:
        page.evaluate("window.__notReloaded = true")
        fixture_state.state = {**fixture_state.state, "version": 1,
                               "ticker": [{"id": 1, "text": "旧的版本"}]}
        page.wait_for_timeout(2500)
        assert "旧的版本" not in (page.text_content("#ticker-track") or "")
        assert page.evaluate("window.__notReloaded === true")
        fixture_state.state["version"] = 8
        fixture_state.change(reload="fixture-2")
        page.wait_for_function("window.__notReloaded !== true", timeout=10000)
        page.wait_for_function("document.querySelector('#main').dataset.onAir")
        assert page.evaluate("window.gongkaiScreen.state().reload") == "fixture-2"
        assert_clean(page)
    finally:
        page.context.close()


def test_empty_playlist_shows_a_welcome_card(
        browser: Any, live_server: LiveServer, fixture_state: FixtureState) -> None:
    fixture_state.state["slides"] = []
    page = new_screen_page(browser)
    try:
        page.goto(f"{live_server.url}/screens/lobby?socket=0&poll=1")
        page.wait_for_selector(".slide-welcome")
        assert "欢迎来到政务公开专区" in (page.text_content(".slide-welcome") or "")
        fixture_state.change(slides=load_state()["slides"][:1])
        page.wait_for_selector(".is-on .slide-notice", timeout=10000)
        assert_clean(page)
    finally:
        page.context.close()


def test_broken_media_is_skipped(
        browser: Any, live_server: LiveServer, fixture_state: FixtureState) -> None:
    slides = fixture_state.state["slides"]
    slides[2]["image"] = "/media/missing-picture.png"
    slides.insert(1, {**slides[2], "id": "item-9", "kind": "video", "image": "",
                      "video": "/media/missing-video.mp4"})
    page = _open(browser, live_server, "&speed=8")
    try:
        page.wait_for_function("window.gongkaiScreen.log.length >= 5", timeout=30000)
        ids = [entry["id"] for entry in on_air_log(page)]
        assert "item-9" not in ids and "item-3" not in ids
        assert ids[:3] == ["item-1", "item-2", "item-4"]
    finally:
        page.context.close()


def test_video_plays_muted_and_the_next_slide_follows_its_end(
        app: Flask, browser: Any, live_server: LiveServer, fixture_state: FixtureState) -> None:
    record_clip(browser, Path(app.instance_path) / "media" / "clip.webm", seconds=1.5)
    slides = fixture_state.state["slides"]
    slides[:] = [slides[0], {**slides[2], "id": "item-8", "kind": "video", "image": "",
                             "video": "/media/clip.webm", "duration": 30}, slides[1]]
    slides[0]["duration"] = 2
    page = _open(browser, live_server)
    try:
        page.wait_for_function("document.querySelector('#main').dataset.onAir === 'item-8'",
                               timeout=10000)
        video = page.evaluate("""() => { const v = document.querySelector('.is-on video');
            return {muted: v.muted, inline: v.hasAttribute('playsinline'),
                    label: v.getAttribute('aria-label')}; }""")
        assert video == {"muted": True, "inline": True, "label": slides[1]["image_alt"]}
        page.wait_for_function(
            "document.querySelector('.is-on video') && "
            "document.querySelector('.is-on video').currentTime > 0.3", timeout=5000)
        page.wait_for_function("document.querySelector('#main').dataset.onAir === 'item-2'",
                               timeout=10000)
        log = on_air_log(page)
        ids = [entry["id"] for entry in log]
        at = ids.index("item-8")
        seconds = (log[at + 1]["at"] - log[at]["at"]) / 1000
        assert 1.0 <= seconds <= 6, f"the clip was on air {seconds:.1f}s (it lasts 1.5s)"
        assert_clean(page)
    finally:
        page.context.close()


def test_without_a_socket_the_page_falls_back_to_polling(
        browser: Any, live_server: LiveServer, fixture_state: FixtureState) -> None:
    """Socket.IO cannot get through: after about ten seconds the page polls state.json."""
    page = new_screen_page(browser)
    # The page speaks WebSocket only; Playwright's route() sees HTTP, route_web_socket() the
    # socket, which is closed as soon as it opens (a network that lets no websocket through).
    page.route("**/socket.io/**", lambda route: route.abort("connectionrefused"))
    page.route_web_socket("**/socket.io/**", lambda ws: ws.close())
    polls: list[float] = []
    page.on("request", lambda r: polls.append(time.monotonic()) if "state.json" in r.url else 0)
    try:
        started = time.monotonic()
        page.goto(f"{live_server.url}/screens/lobby?poll=1")
        fixture_state.change(ticker=[{"id": 9, "text": "网络恢复前的新通知"}])
        page.wait_for_function(
            "document.getElementById('ticker-track').textContent.indexOf('新通知') >= 0",
            timeout=20000)
        assert polls and polls[0] - started >= 8, "polled before the socket had its chance"
        assert not page.evaluate("window.gongkaiScreen.connected()")
        others = [p for p in problems_of(page).all() if "/socket.io/" not in p]
        assert not others, others
    finally:
        page.context.close()


def test_clock_shows_shanghai_time(
        browser: Any, live_server: LiveServer, fixture_state: FixtureState) -> None:
    page = new_screen_page(browser)
    try:
        page.context.clock.install(time="2026-02-16T23:59:58Z")  # 07:59:58 on the 17th
        # Frozen until run_for below: on a busy machine the page took longer than the two
        # seconds left before 08:00 to load, and never showed 07:59.
        page.context.clock.pause_at("2026-02-16T23:59:58Z")
        page.goto(f"{live_server.url}/screens/lobby?socket=0")
        page.wait_for_function("document.getElementById('clock').textContent === '07:59'")
        assert page.text_content("#date") == "2026年2月17日"
        assert page.text_content("#weekday") == "星期二"
        page.context.clock.run_for(3000)
        page.wait_for_function("document.getElementById('clock').textContent === '08:00'")
    finally:
        page.context.close()


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
def test_axe_passes_and_screenshots(browser: Any, live_server: LiveServer,
                                    fixture_state: FixtureState,
                                    viewport: tuple[int, int]) -> None:
    portrait = viewport == PORTRAIT
    fixture_state.state["screen"]["orientation"] = "portrait" if portrait else "landscape"
    page = _open(browser, live_server, viewport=viewport)
    name = "portrait" if portrait else "landscape"
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        header = page.locator('[data-zone="header"]').bounding_box()
        ticker = page.locator('[data-zone="ticker"]').bounding_box()
        assert header and ticker and header["y"] == 0
        assert abs(ticker["y"] + ticker["height"] - viewport[1]) <= 1
        assert page.locator('[data-zone="side"]').is_hidden()
        title_px = page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('.is-on .slide-title')).fontSize)")
        assert title_px >= 60  # readable from five metres
        for index in range(len(fixture_state.state["slides"])):
            if index:
                count = len(on_air_log(page))
                page.wait_for_function(f"window.gongkaiScreen.log.length > {count}",
                                       timeout=10000)
            page.wait_for_timeout(1100)  # the cross-fade is over
            violations = run_axe(page)
            assert not violations, describe_violations(violations)
            slide = on_air_log(page)[-1]["id"]
            page.screenshot(path=str(SHOTS / f"screen-{name}-{slide}.png"))
        assert_clean(page)
    finally:
        page.context.close()
