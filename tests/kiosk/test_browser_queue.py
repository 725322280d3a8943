"""取号 in real Chromium: a ticket taken by touch (normal and elder mode) with its slip at the
virtual printer, a double tap that gives one ticket, a priority ticket, check-in on the code
pad, and a ticket's phone page at 360 px that follows the queue (by its refetch, by its poll,
and live over Socket.IO). Every page passes axe-core and has no touch target under 48 px
(60 px in elder mode); screenshots land in screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from hall.extensions import db
from hall.timefmt import local_today
from printer.emulator import VirtualPrinter
from screens import events
from tests.conftest import LiveServer
from tests.kiosk.browser import (
    _problems,
    _watch,
    assert_clean,
    describe_violations,
    kiosk_page,
    run_axe,
    small_targets,
)
from tests.printer.server_support import network_printer, running_worker
from tests.tickets.support import make_priority, make_service, make_window
from tickets import queue
from tickets.models import Appointment, Service, Ticket

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
GK = re.compile("政府信息公开申请")


@pytest.fixture
def app_config(vprinter: VirtualPrinter) -> dict[str, Any]:
    return {"PRINTERS": {"kiosk": network_printer(vprinter.port)},
            "KIOSK_PRINTERS": {"*": "kiosk"}, "PRINT_RETRY_SECONDS": [0.2],
            "TICKET_RATE_LIMIT": "1000 per minute"}


def tickets() -> list[Ticket]:
    db.session.rollback()  # see what the server's threads committed
    return list(db.session.scalars(select(Ticket).order_by(Ticket.id)))


def no_violations(page: Any) -> None:
    violations = run_axe(page)
    assert not violations, describe_violations(violations)


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def forget_refusals(page: Any, path: str) -> None:
    """The refusals a test asked for (4xx from ``path``) are not faults of the page."""
    problems = _problems[page]
    problems.bad_status = [b for b in problems.bad_status if path not in b]
    problems.console = [(text, url) for text, url in problems.console if path not in url]


def hall() -> None:
    make_service("gk", prefix="A")
    make_service("zc", name="政策咨询", prefix="B", daily_limit=0)
    make_service("sb", name="社保业务", prefix="C", paused=True, pause_note="系统升级中。")
    make_service("bd", name="帮办代办", prefix="D")
    make_priority("老年人")
    make_priority("残疾人")
    make_priority("军人")


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_take_a_ticket_by_touch(app: Flask, live_server: LiveServer, browser: Any,
                                vprinter: VirtualPrinter, elder: bool) -> None:
    hall()
    queue.issue_ticket("gk")
    mode, minimum = ("elder", 60) if elder else ("normal", 48)
    with running_worker(app), kiosk_page(browser, elder=elder,
                                         base_url=live_server.url) as page:
        page.goto(f"{live_server.url}/kiosk/queue")
        expect(page.locator("#service-gk")).to_contain_text("等候 1 人")
        expect(page.locator("#service-sb")).to_contain_text("系统升级中")
        expect(page.locator("#service-zc")).to_contain_text("下次取号")
        assert page.locator("#service-sb").evaluate("el => el.tagName") == "DIV"
        body_px = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert body_px >= (32 if elder else 24)
        no_violations(page)
        assert small_targets(page, minimum) == []
        shot(page, f"queue-choose-{mode}")
        page.get_by_role("button", name=GK).tap()
        expect(page.locator("#taken")).to_be_visible()
        expect(page.locator("#taken-number")).to_have_text("A002")
        expect(page.locator("#taken-ahead")).to_have_text(
            "您前面还有 1 人等候，预计等候约 10 分钟。")
        expect(page.locator("#taken-print")).to_have_text("凭条正在打印，请在打印机出口取走。")
        expect(page.locator("#queue-choose")).to_be_hidden()
        page.wait_for_function(
            "document.getElementById('taken-qr').complete"
            " && document.getElementById('taken-qr').naturalWidth > 0")
        slip = vprinter.wait_for(1)[0]
        ticket = tickets()[-1]
        assert "A002" in slip.text and ticket.number == "A002" and ticket.source == "kiosk"
        assert slip.qr_payloads == (f"http://hall.example.test/t/{ticket.token}",)
        number_px = page.locator("#taken-number").evaluate(
            "el => parseFloat(getComputedStyle(el).fontSize)")
        assert number_px >= 150
        no_violations(page)
        assert small_targets(page, minimum) == []
        shot(page, f"queue-taken-{mode}")
        assert_clean(page)


def test_a_double_tap_gives_one_ticket(live_server: LiveServer, browser: Any) -> None:
    hall()
    with kiosk_page(browser) as page:
        posts: list[str] = []
        page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
        page.goto(f"{live_server.url}/kiosk/queue")
        box = page.locator("#service-gk").bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.touchscreen.tap(x, y)
        page.touchscreen.tap(x, y)
        expect(page.locator("#taken-number")).to_have_text("A001")
        page.wait_for_timeout(300)  # time for a stray second request to land, if any
        assert [u for u in posts if u.endswith("/api/tickets")] == [
            f"{live_server.url}/api/tickets"]
        assert [t.number for t in tickets()] == ["A001"]
        assert_clean(page)


def test_a_priority_ticket_by_touch(live_server: LiveServer, browser: Any) -> None:
    hall()
    queue.issue_ticket("gk")
    with kiosk_page(browser) as page:
        page.goto(f"{live_server.url}/kiosk/queue")
        page.get_by_text("老年人", exact=True).tap()
        expect(page.get_by_role("radio", name="老年人")).to_be_checked()
        page.get_by_role("button", name=GK).tap()
        expect(page.locator("#taken-priority")).to_have_text("优先：老年人")
        expect(page.locator("#taken-ahead")).to_have_text("您前面没有人等候，请留意叫号。")
        assert tickets()[-1].priority_name == "老年人"
        no_violations(page)
        assert_clean(page)


def test_a_refusal_is_shown_and_the_page_stays_usable(app: Flask, live_server: LiveServer,
                                                      browser: Any) -> None:
    hall()
    with kiosk_page(browser) as page:
        page.goto(f"{live_server.url}/kiosk/queue")
        service = db.session.scalar(select(Service).where(Service.code == "gk"))
        assert service is not None
        service.paused = True
        db.session.commit()
        page.get_by_role("button", name=GK).tap()
        expect(page.locator("#queue-error")).to_contain_text("该业务暂停取号")
        expect(page.get_by_role("button", name=GK)).to_be_enabled()
        no_violations(page)
        assert tickets() == []
        forget_refusals(page, "/api/tickets")
        assert_clean(page)  # the 409 answer was expected; nothing else went wrong


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_check_in_on_the_code_pad(live_server: LiveServer, browser: Any, elder: bool) -> None:
    service = make_service()
    db.session.add(Appointment(code="AB12CD", service_id=service.id, day=local_today()))
    db.session.commit()
    minimum = 60 if elder else 48
    with kiosk_page(browser, elder=elder, base_url=live_server.url) as page:
        page.goto(f"{live_server.url}/kiosk/queue")
        page.get_by_role("link", name=re.compile("预约签到")).tap()
        page.wait_for_url(f"{live_server.url}/kiosk/queue/checkin")
        expect(page.locator("#code-pad")).to_be_visible()
        for key in "AB12C":
            page.locator(f'#code-pad [data-key="{key}"]').tap()
        page.locator('#code-pad [data-key="X"]').tap()
        page.get_by_role("button", name="删除").tap()
        page.locator('#code-pad [data-key="D"]').tap()
        expect(page.locator("#code")).to_have_value("AB12CD")
        no_violations(page)
        assert small_targets(page, minimum) == []
        shot(page, f"queue-checkin-{'elder' if elder else 'normal'}")
        page.get_by_role("button", name="签到取号").tap()
        expect(page.locator("#taken-number")).to_have_text("A001")
        no_violations(page)
        assert tickets()[0].appointment_id is not None
        assert_clean(page)


def test_check_in_with_a_wrong_code_says_so(live_server: LiveServer, browser: Any) -> None:
    make_service()
    with kiosk_page(browser) as page:
        page.goto(f"{live_server.url}/kiosk/queue/checkin")
        page.get_by_role("button", name="签到取号").tap()
        expect(page.locator("#queue-error")).to_have_text("请输入预约号。")
        for key in "ZZ9":
            page.locator(f'#code-pad [data-key="{key}"]').tap()
        page.get_by_role("button", name="签到取号").tap()
        expect(page.locator("#queue-error")).to_have_text("没有找到这个预约号，请核对后再输入。")
        no_violations(page)
        forget_refusals(page, "/api/checkin")
        assert_clean(page)


# --------------------------------------------------------------------------- the phone page


@contextmanager
def phone_page(browser: Any, *, socket: bool = True) -> Iterator[Any]:
    """A 360x740 phone; without ``socket`` the Socket.IO client script is an empty file, so
    only the page's poll can bring news."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True,
                                  is_mobile=True, bypass_csp=True, locale="zh-CN",
                                  device_scale_factor=1)
    page = context.new_page()
    _problems[page] = _watch(page)
    if not socket:
        page.route("**/socket.io.min.js", lambda route: route.fulfill(
            status=200, content_type="text/javascript", body="// no socket in this test"))
    try:
        yield page
    finally:
        context.close()


def _line() -> tuple[Ticket, Ticket, int]:
    gk = make_service()
    window = make_window(3, gk)
    first = queue.issue_ticket("gk").ticket
    mine = queue.issue_ticket("gk").ticket
    return first, mine, window.id


def test_the_phone_page_shows_the_position_and_refetches(
        app: Flask, live_server: LiveServer, browser: Any) -> None:
    app.config["TICKET_PHONE_POLL_SECONDS"] = 600  # only the explicit refetch brings news
    first, mine, window_id = _line()
    with phone_page(browser, socket=False) as page:
        page.goto(f"{live_server.url}/t/{mine.token}")
        expect(page.locator("#phone-number")).to_have_text("A002")
        expect(page.locator("#phone-status")).to_have_text("等候中")
        expect(page.locator("#phone-ahead")).to_have_text("1")
        expect(page.locator("#phone-wait")).to_have_text("10")
        expect(page.locator("#phone-serving-none")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        no_violations(page)
        shot(page, "ticket-phone-waiting")
        queue.call_next(window_id)
        page.evaluate("window.ticketPhone.refetch()")
        expect(page.locator("#phone-ahead")).to_have_text("0")
        expect(page.locator("#phone-serving")).to_have_text(f"{first.number} 号 → 3 号窗口")
        queue.call_next(window_id)
        page.evaluate("window.ticketPhone.refetch()")
        expect(page.locator("#phone-status")).to_have_text("请到 3 号窗口办理")
        expect(page.locator("#phone-facts")).to_be_hidden()
        no_violations(page)
        shot(page, "ticket-phone-called")
        queue.finish(window_id)
        page.evaluate("window.ticketPhone.refetch()")
        expect(page.locator("#phone-status")).to_have_text("已完成")
        rate = page.get_by_role("link", name="评价本次服务")
        expect(rate).to_have_attribute("href", f"/t/{mine.token}/rate")
        assert small_targets(page, 48) == []
        no_violations(page)
        shot(page, "ticket-phone-done")
        assert_clean(page)


def test_the_phone_page_polls_without_a_socket(app: Flask, live_server: LiveServer,
                                               browser: Any) -> None:
    app.config["TICKET_PHONE_POLL_SECONDS"] = 1
    _, mine, window_id = _line()
    with phone_page(browser, socket=False) as page:
        page.goto(f"{live_server.url}/t/{mine.token}")
        expect(page.locator("#phone-ahead")).to_have_text("1")
        queue.call_next(window_id)
        expect(page.locator("#phone-ahead")).to_have_text("0", timeout=5000)
        assert page.evaluate("typeof window.io") == "undefined"
        assert_clean(page)


@pytest.mark.skipif(not hasattr(events, "on_follow"),
                    reason="the `follow` handler (screens/events.py) has not landed yet")
def test_the_phone_page_updates_live(app: Flask, live_server: LiveServer,
                                     browser: Any) -> None:
    app.config["TICKET_PHONE_POLL_SECONDS"] = 600  # the poll cannot be what brings the news
    _, mine, window_id = _line()
    with phone_page(browser) as page:
        page.goto(f"{live_server.url}/t/{mine.token}")
        expect(page.locator("#phone-ahead")).to_have_text("1")
        page.wait_for_function("typeof window.io === 'function'")
        page.wait_for_timeout(1000)  # connected and following (the page asks once then)
        queue.call_next(window_id)
        expect(page.locator("#phone-ahead")).to_have_text("0", timeout=5000)
        queue.call_next(window_id)
        expect(page.locator("#phone-status")).to_have_text("请到 3 号窗口办理", timeout=5000)
        assert_clean(page)

