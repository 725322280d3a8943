"""The whole queue in real Chromium, in one live server with every page open at once: a citizen
takes a ticket by touch on the kiosk, the slip comes out of the virtual printer with the phone
page's QR, the phone page (360 px) shows the ticket waiting, a clerk signed in at window 3 calls
it with the N key, the lobby screen (side zone on) shows and speaks the call and the phone page
and the counter-facing page follow it live, the clerk finishes with F, the citizen rates
非常不满意 at the window and the follow-up is due 15 working days later on the staff list.

The polls of the phone and counter-facing pages are set far beyond the test's length, so
what they show after the call came over Socket.IO. Each page passes axe-core and ends without
a console error, a failed request or a request to another host."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from hall.calendar import load_calendar
from hall.extensions import db, socketio
from hall.models import Role
from hall.timefmt import local_today
from printer.emulator import VirtualPrinter
from screens.push import NAMESPACE, QUEUE_ROOM
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer
from tests.kiosk.browser import (
    _problems,
    _watch,
    assert_clean,
    describe_violations,
    new_kiosk_page,
    run_axe,
)
from tests.printer.server_support import network_printer, running_worker, wait_until
from tests.screens.fixtures.page_support import new_screen_page
from tests.screens.support import notice, screen_with
from tests.staff_support import browser_login, create_staff
from tickets.models import Followup, Rating, Score, Ticket, TicketStatus

from .support import make_service, make_window

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("GONGKAI_SHOTS", ROOT / "build" / "screenshots"))
AUTOPLAY = "--autoplay-policy=no-user-gesture-required"
PUBLIC = "http://hall.example.test"
GK = re.compile("政府信息公开申请")
#: Far beyond the test's length: only Socket.IO can bring the phone and window pages news.
NO_POLL = 600


@pytest.fixture
def app_config(vprinter: VirtualPrinter) -> dict[str, Any]:
    return {"PRINTERS": {"kiosk": network_printer(vprinter.port)},
            "KIOSK_PRINTERS": {"*": "kiosk"}, "PRINT_RETRY_SECONDS": [0.2],
            "PUBLIC_BASE_URL": PUBLIC, "QUEUE_FOLLOWUP_WORKDAYS": 15,
            "TICKET_PHONE_POLL_SECONDS": NO_POLL, "RATING_COUNTER_POLL_SECONDS": NO_POLL}


@pytest.fixture
def hall_browser(browser: Any) -> Iterator[Any]:
    """Chromium started the way a hall's screen is: sound allowed without a tap."""
    launched = browser.browser_type.launch(executable_path=CHROMIUM,
                                           args=[*CHROMIUM_ARGS, AUTOPLAY])
    yield launched
    launched.close()


def _axe(page: Any) -> None:
    violations = run_axe(page)
    assert not violations, f"{page.url}\n{describe_violations(violations)}"


def _shot(page: Any, name: str) -> None:
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _ready(page: Any, text: str = "") -> None:
    """The counter page after a move (its message shown) with its key handler running."""
    if text:
        page.wait_for_selector(f"text={text}")
    page.wait_for_selector("#counter[data-ready='1']", state="attached")


def _followers() -> int:
    """Connections in room ``queue`` now (screens with a side zone and followers). Read from
    the Socket.IO server of this process: the live server runs in a thread of the test."""
    server: Any = socketio.server
    return len(server.manager.rooms.get(NAMESPACE, {}).get(QUEUE_ROOM, {}))


def _ticket() -> Ticket:
    db.session.rollback()  # see what the server's threads committed
    return db.session.scalars(select(Ticket)).one()


def _phone(browser: Any, url: str) -> Any:
    context = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True,
                                  is_mobile=True, bypass_csp=True, locale="zh-CN",
                                  device_scale_factor=1)
    page = context.new_page()
    _problems[page] = _watch(page)
    page.goto(url)
    return page


def test_take_call_show_rate_and_follow_up(app: Flask, live_server: LiveServer,
                                           browser: Any, hall_browser: Any,
                                           vprinter: VirtualPrinter) -> None:
    gk = make_service()
    window = make_window(3, gk)
    create_staff("clerk.wang", Role.CLERK)
    screen_with([{"kind": "notice", "notice_id": notice("今天下午大厅正常开放").id,
                  "duration": 60}], name="lobby", zone_side=True)
    pages: list[Any] = []
    with running_worker(app):
        try:
            # The lobby screen and the counter-facing page of window 3 are on from the start.
            board = new_screen_page(hall_browser)
            pages.append(board)
            board.goto(f"{live_server.url}/screens/lobby")
            board.wait_for_function("window.gongkaiScreen.connected()", timeout=10000)
            board.locator('[data-zone="side"]').wait_for(state="visible")
            assert board.get_attribute('[data-zone="side"]', "data-sound") == "running"
            expect(board.locator("#board-empty")).to_be_visible()
            face = new_kiosk_page(browser)
            pages.append(face)
            face.goto(f"{live_server.url}/kiosk/window/3")
            expect(face.locator("[data-idle-title]")).to_be_visible()

            # 取号 by touch at the kiosk; the slip's QR opens the phone page.
            kiosk = new_kiosk_page(browser)
            pages.append(kiosk)
            kiosk.goto(f"{live_server.url}/kiosk/queue")
            expect(kiosk.locator("#service-gk")).to_contain_text("等候 0 人")
            kiosk.get_by_role("button", name=GK).tap()
            expect(kiosk.locator("#taken-number")).to_have_text("A001")
            expect(kiosk.locator("#taken-ahead")).to_have_text("您前面没有人等候，请留意叫号。")
            kiosk.wait_for_function(
                "document.getElementById('taken-qr').complete"
                " && document.getElementById('taken-qr').naturalWidth > 0")
            _axe(kiosk)
            ticket = _ticket()
            assert (ticket.number, ticket.source) == ("A001", "kiosk")
            slip = vprinter.wait_for(1)[0]
            assert "A001" in slip.text and "政府信息公开申请" in slip.text
            phone_url = f"{PUBLIC}/t/{ticket.token}"
            assert slip.qr_payloads == (phone_url,)
            # the lobby's waiting count follows the new ticket (a `board` event)
            expect(board.locator("#board-waiting li").first).to_have_text(
                re.compile(r"A\s*政府信息公开申请\s*1人"))

            phone = _phone(browser, f"{live_server.url}{urlsplit(phone_url).path}")
            pages.append(phone)
            expect(phone.locator("#phone-number")).to_have_text("A001")
            expect(phone.locator("#phone-status")).to_have_text("等候中")
            expect(phone.locator("#phone-ahead")).to_have_text("0")
            expect(phone.locator("#phone-serving-none")).to_be_visible()
            assert phone.evaluate("document.documentElement.scrollWidth") <= 360
            _axe(phone)
            # the screen, the window page and the phone all listen before the call comes
            wait_until(lambda: _followers() >= 3, timeout=10)

            # The clerk signs in at window 3 and calls with N.
            clerk = new_kiosk_page(browser, viewport=(1366, 768))
            pages.append(clerk)
            browser_login(clerk, live_server.url, "clerk.wang")
            clerk.goto(f"{live_server.url}/staff/counter/")
            clerk.click(f"a[href$='/staff/counter/{window.id}/open']")
            clerk.click("button[type=submit]:has-text('签到')")
            clerk.wait_for_url(f"**/staff/counter/{window.id}")
            _ready(clerk)
            assert clerk.inner_text("#line-count") == "1"
            clerk.keyboard.press("n")
            _ready(clerk, "已呼叫 A001 号")
            assert clerk.inner_text(".ticket-no") == "A001"

            # The lobby shows, flashes and speaks it; the phone and the window page follow.
            board.wait_for_function(
                "document.querySelectorAll('#board-current .call').length === 1")
            rows = board.locator("#board-current .call")
            assert rows.first.inner_text().split() == ["A001", "→", "3号窗口"]
            expect(board.locator("#board-say")).to_have_text("请 A001 号 到 3 号窗口 办理")
            expect(board.locator("#board-empty")).to_be_hidden()
            board.wait_for_function("window.gongkaiBoard.played.length > 0", timeout=10000)
            assert board.evaluate("window.gongkaiBoard.played[0].clip") == "chime"
            _axe(board)
            _shot(board, "journey-board")
            expect(phone.locator("#phone-status")).to_have_text("请到 3 号窗口办理")
            expect(phone.locator("#phone-facts")).to_be_hidden()
            _axe(phone)
            _shot(phone, "journey-phone-called")
            expect(face.locator("[data-serving-title]")).to_have_text("正在为 A001 号办理")
            _axe(face)

            # F finishes; the window page offers the rating, the phone page the rating link.
            clerk.keyboard.press("f")
            _ready(clerk, "A001 号已办结")
            expect(face.locator("[data-rate-title]")).to_have_text("请为 A001 号的服务评价")
            expect(phone.locator("#phone-status")).to_have_text("已完成")
            expect(phone.get_by_role("link", name="评价本次服务")).to_have_attribute(
                "href", f"/t/{ticket.token}/rate")
            face.locator("label.grade").filter(has_text="非常不满意").tap()
            expect(face.locator("#face-score-1")).to_be_checked()
            face.get_by_text("态度不好", exact=True).tap()
            _axe(face)
            face.get_by_role("button", name="提交评价").tap()
            expect(face.get_by_role("heading", name="感谢您的评价")).to_be_visible()
            expect(face.locator("[data-thanks-message]")).to_have_text(
                "工作人员将在 15 个工作日内核查整改。")
            _axe(face)
            _shot(face, "journey-face-thanks")

            db.session.rollback()
            rating = db.session.scalars(select(Rating)).one()
            assert (rating.ticket_id, rating.score, rating.reasons, rating.channel,
                    rating.window_number) == (ticket.id, Score.VERY_DISSATISFIED, "态度不好",
                                              "counter", 3)
            done = db.session.get(Ticket, ticket.id)
            assert done is not None and done.status == TicketStatus.DONE
            followup = db.session.scalars(select(Followup)).one()
            due = load_calendar().add_workdays(local_today(rating.created_at), 15)
            assert followup.rating_id == rating.id and followup.due_on == due

            # The clerk sees it on the follow-up list.
            clerk.goto(f"{live_server.url}/staff/queue/followups/")
            row = clerk.locator("table.followups tbody tr").filter(has_text="A001")
            expect(row).to_have_count(1)
            expect(row).to_contain_text(due.isoformat())
            expect(row).to_contain_text("非常不满意")
            expect(row).to_contain_text("态度不好")
            _axe(clerk)
            for page in pages:
                assert_clean(page)
        finally:
            for page in pages:
                page.context.close()
