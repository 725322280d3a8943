"""The calling board on the real screen page in Chromium, against the real backend: a call is
shown at once and flashes, calls are spoken in order without overlapping (Web Audio, clips
fetched from /voice/), blocked autoplay shows the notice and a tap allows sound, screens
without Web Audio play the joined file, axe is clean and both orientations are screenshot."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from hall.extensions import db, socketio
from screens.models import Screen
from screens.push import NAMESPACE, QUEUE_ROOM
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer
from tests.kiosk.browser import assert_clean, describe_violations, run_axe
from tests.screens.fixtures.page_support import LANDSCAPE, PORTRAIT, new_screen_page
from tests.screens.support import notice, screen_with
from tickets import queue, voice
from tickets.models import Window

from ..tickets.support import make_service, make_window

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
AUTOPLAY = "--autoplay-policy=no-user-gesture-required"
#: Makes every new AudioContext start suspended, as Chromium does without the autoplay flag
#: when nobody has touched the page (headless Chromium itself never blocks).
BLOCKED_AUTOPLAY_JS = """(() => {
  const Real = window.AudioContext;
  window.AudioContext = function () { const ctx = new Real(); ctx.suspend(); return ctx; };
})();"""
NO_WEB_AUDIO_JS = "delete window.AudioContext; delete window.webkitAudioContext;"


@pytest.fixture(scope="module")
def hall_browser(browser: Any) -> Iterator[Any]:
    """Chromium started the way a hall's screen is: sound allowed without a tap."""
    launched = browser.browser_type.launch(executable_path=CHROMIUM,
                                           args=[*CHROMIUM_ARGS, AUTOPLAY])
    yield launched
    launched.close()


def _lobby(orientation: str = "landscape", windows: int = 2) -> list[Window]:
    gk = make_service()
    zx = make_service("zx", "政策咨询", "B", position=1)
    make_service("sb", "社保", "C", position=2)
    shown = notice("今天下午大厅正常开放")
    screen_with([{"kind": "notice", "notice_id": shown.id, "duration": 60}], name="lobby",
                zone_side=True, orientation=orientation)
    return [make_window(n, gk, zx) for n in range(1, windows + 1)]


def _open(browser: Any, server: LiveServer, viewport: tuple[int, int] = LANDSCAPE,
          init: str = "") -> Any:
    page = new_screen_page(browser, viewport)
    if init:
        page.add_init_script(init)
    page.goto(f"{server.url}/screens/lobby")
    page.wait_for_function("window.gongkaiScreen.connected()", timeout=10000)
    page.locator('[data-zone="side"]').wait_for(state="visible")
    # Connected is not yet following: the hello that joins the queue's room is handled in a
    # thread of its own, and a call emitted before it would be missed (a busy CI saw it).
    deadline = time.monotonic() + 10
    while not list(socketio.server.manager.get_participants(NAMESPACE, QUEUE_ROOM)):
        assert time.monotonic() < deadline, "the screen never joined the queue's room"
        time.sleep(0.05)
    return page


def _voice_requests(page: Any) -> list[str]:
    found: list[str] = []
    page.on("request", lambda r: found.append(
        r.url.split("/voice/", 1)[1].split("?")[0].removesuffix(".wav"))
        if "/voice/" in r.url else None)
    return found


def _played(page: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = page.evaluate("window.gongkaiBoard.played.slice()")
    return result


def _said(clips: list[str], repeat: int) -> list[str]:
    return [clips[0], *clips[1:] * repeat]


def test_two_calls_are_shown_flashed_and_spoken_in_order(
        app: Flask, hall_browser: Any, live_server: LiveServer) -> None:
    one, two = _lobby()
    for _ in range(3):
        queue.issue_ticket("gk")
    page = _open(hall_browser, live_server)
    requests = _voice_requests(page)
    try:
        assert page.get_attribute('[data-zone="side"]', "data-sound") == "running"
        assert page.text_content("#board-empty") and page.is_visible("#board-empty")
        first = queue.call_next(one.id)
        second = queue.call_next(two.id)  # within a second of the first
        assert first is not None and second is not None
        page.wait_for_function("document.querySelectorAll('#board-current .call').length === 2")
        rows = page.locator("#board-current .call")
        assert [r.split() for r in rows.all_inner_texts()] == [
            ["A002", "→", "2号窗口"], ["A001", "→", "1号窗口"]]
        flashing = page.locator("#board-current .call.is-flashing")
        assert flashing.count() == 2
        assert flashing.first.evaluate("e => getComputedStyle(e).animationName") == "call-flash"
        assert page.text_content("#board-say") == "请 A001 号 到 1 号窗口 办理"
        assert page.is_hidden("#board-empty")
        assert [r.split()[0] for r in page.locator("#board-recent li").all_inner_texts()] == [
            "A002", "A001"]
        assert page.locator("#board-waiting li").first.inner_text().split() == [
            "A", "政府信息公开申请", "1人"]

        # Said in order: the first call (chime once, the words twice), then the second.
        page.wait_for_function("window.gongkaiBoard.played.some(p => p.call !== "
                               "window.gongkaiBoard.played[0].call)", timeout=30000)
        played = _played(page)
        calls = [p["call"] for p in played]
        split = calls.index(calls[-1])
        expected_first = _said(voice.clips_for_call("A001", 1), 2)
        expected_second = _said(voice.clips_for_call("A002", 2), 2)
        assert [p["clip"] for p in played[:split]] == expected_first
        assert [p["clip"] for p in played[split:]] == expected_second
        for before, after in zip(played, played[1:], strict=False):
            assert after["at"] >= before["end"], "two clips overlap"
        assert page.get_attribute('[data-zone="side"]', "data-spoken") == str(calls[0])
        page.wait_for_function("!document.querySelector('#board-current .is-flashing')",
                               timeout=5000)
        assert page.locator("#board-current .call.is-fresh").count() == 2
        assert page.text_content("#board-say") == "请 A002 号 到 2 号窗口 办理"
        # Every clip came from /voice/ once (decoded once), none as a joined file.
        needed = set(expected_first) | set(expected_second)
        assert needed <= set(requests)
        assert len(requests) == len(set(requests)) and not any("call/" in r for r in requests)
        assert_clean(page)
    finally:
        page.context.close()


def test_blocked_autoplay_says_how_and_a_tap_allows_sound(
        app: Flask, browser: Any, live_server: LiveServer) -> None:
    (window,) = _lobby(windows=1)
    queue.issue_ticket("gk")
    page = _open(browser, live_server, init=BLOCKED_AUTOPLAY_JS)
    try:
        page.locator("#board-sound").wait_for(state="visible")
        assert "--autoplay-policy=no-user-gesture-required" in page.text_content("#board-sound")
        queue.call_next(window.id)
        page.wait_for_function("document.querySelectorAll('#board-current .call').length === 1")
        assert page.text_content("#board-say") == "请 A001 号 到 1 号窗口 办理"  # shown, not heard
        assert _played(page) == []
        page.mouse.click(300, 300)
        page.locator("#board-sound").wait_for(state="hidden")
        assert page.get_attribute('[data-zone="side"]', "data-sound") == "running"
        queue.recall(window.id)
        page.wait_for_function("window.gongkaiBoard.played.length > 0", timeout=10000)
        assert _played(page)[0]["clip"] == "chime"
        assert_clean(page)
    finally:
        page.context.close()


def test_without_web_audio_the_joined_file_plays(
        app: Flask, hall_browser: Any, live_server: LiveServer) -> None:
    (window,) = _lobby(windows=1)
    queue.issue_ticket("gk")
    page = _open(hall_browser, live_server, init=NO_WEB_AUDIO_JS)
    requests = _voice_requests(page)
    try:
        assert page.get_attribute('[data-zone="side"]', "data-sound") == "element"
        with page.expect_response(lambda r: "/voice/call/" in r.url) as answer:
            ticket = queue.call_next(window.id)
        assert answer.value.status in (200, 206) and ticket is not None
        assert [p["clip"] for p in _played(page)] == ["call"]
        assert all(r.startswith("call/") for r in requests)
        assert_clean(page)
    finally:
        page.context.close()


def _busy_hall(windows: list[Window]) -> None:
    for _ in range(14):
        queue.issue_ticket("gk")
    for _ in range(5):
        queue.issue_ticket("zx")
    for window in windows:
        queue.call_next(window.id)
    queue.finish(windows[0].id)
    queue.call_next(windows[1].id)
    queue.call_next(windows[0].id)


@pytest.mark.parametrize(("orientation", "viewport"), [("landscape", LANDSCAPE),
                                                       ("portrait", PORTRAIT)])
def test_axe_and_screenshots_with_several_calls(
        app: Flask, hall_browser: Any, live_server: LiveServer, orientation: str,
        viewport: tuple[int, int]) -> None:
    windows = _lobby(orientation, windows=4)
    _busy_hall(windows)
    screen = db.session.query(Screen).filter_by(name="lobby").one()
    assert screen.zone_side
    page = _open(hall_browser, live_server, viewport)
    try:
        page.wait_for_function("document.querySelectorAll('#board-current .call').length === 4")
        queue.call_next(windows[2].id)  # a new call: flashing in the picture
        page.wait_for_function("document.querySelector('#board-current .is-flashing')")
        time.sleep(0.2)  # mid-flash on purpose, for the picture
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"board-{orientation}.png"))
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
        side = page.locator('[data-zone="side"]').bounding_box()
        assert side is not None
        if orientation == "landscape":
            assert 0.25 * viewport[0] < side["width"] < 0.36 * viewport[0]
            assert side["x"] + side["width"] == pytest.approx(viewport[0], abs=2)
        else:
            assert side["width"] == pytest.approx(viewport[0], abs=2)
            assert side["y"] > viewport[1] / 2
        # Nothing of the board is cut off at the side: every current row fits its width.
        overflow = page.evaluate("""() => [...document.querySelectorAll('#board-current .call')]
            .filter(e => e.scrollWidth > e.clientWidth + 1).length""")
        assert overflow == 0
        assert_clean(page)
    finally:
        page.context.close()
