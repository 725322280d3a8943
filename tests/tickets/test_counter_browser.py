"""The counter in real Chromium: a clerk signs in, picks a window and works the line with the
keyboard (N calls, R recalls, F finishes; keys typed into a field are left alone); the line
refreshes itself; the counter and settings pages pass axe and are screenshotted at 1366×768."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hall.extensions import db
from hall.models import Role
from tests.kiosk.browser import assert_clean, describe_violations, new_kiosk_page, run_axe
from tests.staff_support import browser_login, create_staff
from tickets import queue
from tickets.models import Call, Ticket, TicketStatus

from .support import make_priority, make_service, make_window

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("GONGKAI_SHOTS", ROOT / "build" / "screenshots"))


def _shot(page: Any, name: str) -> None:
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _status(number: str) -> str:
    db.session.expire_all()
    return str(db.session.scalars(select(Ticket.status).where(Ticket.number == number)).one())


def _ready(page: Any, text: str = "") -> None:
    """Wait for the counter page (after a move: its message) and for its script, which
    listens for the shortcut keys only once it has run."""
    if text:
        page.wait_for_selector(f"text={text}")
    page.wait_for_selector("#counter[data-ready='1']", state="attached")


def _axe(page: Any) -> None:
    violations = run_axe(page)
    assert not violations, f"{page.url}\n{describe_violations(violations)}"


def test_a_clerk_works_the_line_with_the_keyboard(browser: Any, live_server: Any) -> None:
    gk = make_service("gk", "政府信息公开申请", "A")
    zx = make_service("zx", "政策咨询", "B")
    window = make_window(3, gk, zx)
    make_window(4, zx)
    create_staff("clerk.wang", Role.CLERK)
    elder = make_priority("老年人")
    queue.issue_ticket("gk")  # A001
    queue.issue_ticket("zx")  # B001
    page = new_kiosk_page(browser, viewport=(1366, 768))
    try:
        browser_login(page, live_server.url, "clerk.wang")
        page.goto(f"{live_server.url}/staff/counter/")
        _axe(page)
        _shot(page, "counter-pick")
        page.click(f"a[href$='/staff/counter/{window.id}/open']")
        _axe(page)
        _shot(page, "counter-open")
        page.click("button[type=submit]:has-text('签到')")
        page.wait_for_url(f"**/staff/counter/{window.id}")
        _ready(page)
        assert "没有正在办理的号" in page.inner_text(".counter-current")
        assert page.inner_text("#line-count") == "2"

        page.keyboard.press("n")
        _ready(page, "已呼叫 A001 号")
        assert page.inner_text(".ticket-no") == "A001"
        assert _status("A001") == TicketStatus.CALLED
        assert "已呼叫 A001 号" in page.inner_text(".flashes")

        # a priority ticket arrives: the line refreshes itself (polled every 5 s)
        queue.issue_ticket("gk", priority_id=elder.id)  # A002
        page.wait_for_function("document.getElementById('line-count').textContent === '2'",
                               timeout=8000)
        assert "优先·老年人" in page.inner_text("#line-body")
        assert page.inner_text("#line-body tr:first-child td:first-child") == "A002"
        _axe(page)
        _shot(page, "counter-window")

        page.keyboard.press("r")
        _ready(page, "已重呼 A001 号")
        assert db.session.scalar(select(func.count()).select_from(Call)
                                 .where(Call.recall.is_(True))) == 1

        # keys typed into a field are text, not shortcuts
        page.fill("#call-number", "")
        page.focus("#call-number")
        page.keyboard.type("nf")
        assert page.input_value("#call-number") == "nf"
        assert _status("A001") == TicketStatus.CALLED
        page.focus("body")
        page.evaluate("document.activeElement.blur()")

        page.keyboard.press("f")
        _ready(page, "A001 号已办结")
        assert _status("A001") == TicketStatus.DONE
        assert page.is_disabled("#move-recall button")

        page.keyboard.press("n")
        _ready(page, "已呼叫 A002 号")
        page.keyboard.press("t")
        assert page.evaluate("document.activeElement.id") == "transfer-service"
        page.select_option("#transfer-window", label="4号窗口")
        page.click("#transfer-form button[type=submit]")
        _ready(page, "A002 号已转到 4号窗口")
        assert _status("A002") == TicketStatus.WAITING

        page.keyboard.press("p")
        _ready(page, "窗口已暂停，暂不叫号")
        assert page.is_disabled("#move-next button")
        _shot(page, "counter-paused")
        page.keyboard.press("p")
        _ready(page, "窗口已恢复叫号")
        assert_clean(page)
    finally:
        page.context.close()


def test_settings_pages_pass_axe(browser: Any, live_server: Any) -> None:
    gk = make_service("gk", "政府信息公开申请", "A")
    make_window(1, gk)
    make_priority("老年人")
    create_staff("boss", Role.ADMIN)
    page = new_kiosk_page(browser, viewport=(1366, 768))
    try:
        browser_login(page, live_server.url, "boss")
        for path, name in [("/staff/queue/services/", "queue-services"),
                           (f"/staff/queue/services/{gk.id}", "queue-service-form"),
                           ("/staff/queue/windows/", "queue-windows"),
                           ("/staff/queue/windows/new", "queue-window-form"),
                           ("/staff/queue/priorities/", "queue-priorities"),
                           ("/staff/queue/appointments/", "queue-appointments")]:
            page.goto(f"{live_server.url}{path}")
            _axe(page)
            _shot(page, name)
        # a refused form shows its errors, and still passes axe
        page.goto(f"{live_server.url}/staff/queue/services/new")
        page.fill("#prefix", "A")
        page.fill("#code", "gk")
        page.fill("#name", "重复")
        page.fill("#opens_at", "17:00")
        page.fill("#closes_at", "09:00")
        page.click("button[type=submit]:has-text('保存')")
        page.wait_for_selector("[role=alert]")
        text = page.inner_text("[role=alert]")
        assert "这个前缀已被其他业务使用" in text and "停止取号的时间必须晚于开始取号的时间" in text
        _axe(page)
        _shot(page, "queue-service-errors")
        assert_clean(page)
    finally:
        page.context.close()
