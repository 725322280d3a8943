"""依申请公开 in real Chromium on the portrait kiosk, by touch only (normal and elder mode):
the intro, every step with the on-screen keyboard (the name typed in pinyin: "zhang" → 张),
a refused ID number, the review, the receipt on screen and as a slip at the virtual printer
(masked ID, a QR code that decodes to the tracking page, which then shows the status), the
wipe by 完成, the status lookup, and the phone page. Every page passes axe (WCAG 2.2 AA) with
touch targets of 48 px (60 px in elder mode); screenshots land in screenshots/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from disclosure.models import Application
from hall.extensions import db
from printer.emulator import VirtualPrinter
from tests.conftest import LiveServer
from tests.disclosure.support import PHONE, VALID_ID
from tests.kiosk.browser import (
    assert_clean,
    describe_violations,
    kiosk_page,
    run_axe,
    small_targets,
)
from tests.printer.server_support import network_printer, running_worker

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
MASKED_ID = "110105********002X"


@pytest.fixture
def app_config(vprinter: VirtualPrinter) -> dict[str, Any]:
    return {"PRINTERS": {"kiosk": network_printer(vprinter.port)},
            "KIOSK_PRINTERS": {"*": "kiosk"}, "PRINT_RETRY_SECONDS": [0.2],
            "DISCLOSURE_FILE_RATE_LIMIT": "1000 per minute",
            "DISCLOSURE_LOOKUP_RATE_LIMIT": "1000 per minute"}


def check(page: Any, minimum: int) -> None:
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
    small = small_targets(page, minimum)
    assert not small, small
    assert_clean(page)


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def tap_keys(page: Any, text: str) -> None:
    """Type on the on-screen keyboard: letters by their letter key, the rest by their key."""
    for char in text:
        if char.isalpha() and char.isascii():
            page.locator(f'#kb [data-letter="{char.lower()}"]').tap()
        else:
            page.locator(f'#kb [data-key="{char}"]').tap()


def pick(page: Any, letters: str, wanted: str) -> None:
    """Spell ``letters`` in pinyin, then tap the candidate ``wanted`` (paging with ›)."""
    tap_keys(page, letters)
    expect(page.locator("#kb-letters")).to_have_text(letters)
    expect(page.locator("#kb-candidates")).to_have_attribute("data-for", letters)
    candidate = page.locator("#kb .kb-candidate", has_text=wanted).first
    for _ in range(5):
        if candidate.count():
            break
        page.locator('#kb [data-action="next"]').tap()
    candidate.tap()


def next_step(page: Any, path: str) -> None:
    page.locator("#ap-next").tap()
    page.wait_for_url(f"**{path}")


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_file_by_touch_slip_and_tracking(app: Flask, live_server: LiveServer, browser: Any,
                                         vprinter: VirtualPrinter, elder: bool) -> None:
    app.config["PUBLIC_BASE_URL"] = live_server.url  # so the slip's QR opens this server
    mode, minimum = ("elder", 60) if elder else ("normal", 48)
    with running_worker(app), kiosk_page(browser, elder=elder,
                                         base_url=live_server.url) as page:
        page.goto(f"{live_server.url}/kiosk/apply")
        check(page, minimum)
        shot(page, f"apply-intro-{mode}")
        page.locator("#ap-start").tap()
        page.wait_for_url("**/kiosk/apply/step/type")
        expect(page.locator(".ap-progress [aria-current=step]")).to_contain_text("申请人类型")
        check(page, minimum)
        page.get_by_text("自然人（个人）").tap()
        next_step(page, "/step/applicant")

        page.locator("#ap-name").tap()
        expect(page.locator("#kb")).to_be_visible()
        pick(page, "zhang", "张")
        pick(page, "san", "三")
        expect(page.locator("#ap-name")).to_have_value("张三")
        expect(page.locator("#kb-letters")).to_have_text("")
        check(page, minimum)
        shot(page, f"apply-name-{mode}")
        next_step(page, "/step/identity")

        expect(page.locator('input[name="id_type"][value="resident_id"]')).to_be_checked()
        page.locator("#ap-id_number").tap()
        tap_keys(page, "110105194912310021")  # one digit wrong: the check character fails
        page.locator("#ap-next").tap()
        expect(page.locator("#ap-err-id_number")).to_contain_text("校验位不正确")
        expect(page.locator("#ap-id_number")).to_have_attribute("aria-invalid", "true")
        check(page, minimum)
        shot(page, f"apply-id-refused-{mode}")
        page.locator("#ap-id_number").tap()
        page.locator("#ap-id_number").evaluate("el => el.setSelectionRange(17, 18)")
        page.locator('#kb [data-action="delete"]').tap()
        tap_keys(page, "x")
        expect(page.locator("#ap-id_number")).to_have_value(VALID_ID)
        next_step(page, "/step/info")

        page.locator("#ap-info_description").tap()
        pick(page, "shenqing", "申请")
        pick(page, "xinxi", "信息")
        pick(page, "gongkai", "公开")
        expect(page.locator("#ap-info_description")).to_have_value("申请信息公开")
        expect(page.locator("#ap-count-info_description")).to_contain_text("6")
        next_step(page, "/step/delivery")
        check(page, minimum)
        page.get_by_text("纸质", exact=True).tap()
        page.get_by_text("到大厅领取", exact=True).tap()
        next_step(page, "/step/contact")

        page.locator("#ap-phone").tap()
        tap_keys(page, PHONE)
        expect(page.locator("#ap-phone")).to_have_value(PHONE)
        next_step(page, "/step/consent")
        check(page, minimum)
        shot(page, f"apply-consent-{mode}")
        page.locator("input[name=consent]").tap()
        next_step(page, "/apply/review")

        expect(page.locator("#ap-review-name")).to_have_text("张三")
        expect(page.locator("#ap-review-id")).to_have_text(VALID_ID)
        check(page, minimum)
        shot(page, f"apply-review-{mode}")
        page.locator("#ap-submit").tap()
        page.wait_for_url("**/kiosk/apply/done")

        db.session.rollback()  # see what the server's thread committed
        row = db.session.scalars(select(Application)).one()
        expect(page.locator("#ap-number")).to_have_text(row.number)
        expect(page.locator("#ap-id")).to_have_text(MASKED_ID)
        expect(page.locator("#ap-name")).to_have_text("张*")
        expect(page.locator("#ap-print")).to_contain_text("回执正在打印")
        html = page.content()
        assert VALID_ID not in html and PHONE not in html and "张三" not in html
        check(page, minimum)
        shot(page, f"apply-done-{mode}")

        slip = vprinter.wait_for(1)[0]
        assert row.number in slip.text and MASKED_ID in slip.text
        assert VALID_ID not in slip.text and PHONE not in slip.text and "138****5678" in slip.text
        track_url = f"{live_server.url}/track/{row.token}"
        assert list(slip.qr_payloads) == [track_url]

        page.locator("#ap-finish").tap()
        page.wait_for_url(f"{live_server.url}/kiosk/")
        page.go_back()  # history gives nothing back: the receipt is gone from the session
        page.wait_for_load_state()
        assert row.number not in page.content() and MASKED_ID not in page.content()
        for entry in page.evaluate("performance.getEntriesByType('navigation')"
                                   ".map(e => e.name)"):
            assert VALID_ID not in entry and PHONE not in entry

        phone = page.context.new_page()
        phone.set_viewport_size({"width": 390, "height": 844})
        phone.goto(track_url)
        expect(phone.locator("#ap-status-number")).to_have_text(row.number)
        expect(phone.locator("#ap-status-stage")).to_contain_text("已接收")
        assert "张" not in phone.content() and "138" not in phone.content()
        violations = run_axe(phone)
        assert not violations, describe_violations(violations)
        shot(phone, f"apply-track-phone-{mode}")


def test_status_lookup_by_touch(app: Flask, live_server: LiveServer, browser: Any) -> None:
    from disclosure import workflow
    from tests.disclosure.support import make_input

    row = workflow.file_application(make_input())
    with kiosk_page(browser) as page:
        page.goto(f"{live_server.url}/kiosk/apply/status")
        check(page, 48)
        page.locator("#ap-lookup-number").tap()
        tap_keys(page, row.number)
        page.locator("#ap-lookup-last4").tap()
        tap_keys(page, "0000")
        page.locator("#ap-lookup").tap()
        expect(page.locator("#ap-error")).to_contain_text("没有找到")
        expect(page.locator("#kb")).to_be_visible()
        expect(page.locator("#ap-lookup-number")).to_have_value(row.number)
        page.locator("#ap-lookup-last4").tap()
        tap_keys(page, PHONE[-4:])
        page.locator("#ap-lookup").tap()
        expect(page.locator("#ap-status-number")).to_have_text(row.number)
        expect(page.locator("#ap-status-due")).to_contain_text("日")
        check(page, 48)
        shot(page, "apply-status")


def test_the_keyboard_leaves_a_physical_keyboard_alone(live_server: LiveServer,
                                                       browser: Any) -> None:
    """Typing on a real keyboard (or through the system's input method) still works, and
    letters being composed on the screen are typed out first."""
    with kiosk_page(browser) as page:
        page.goto(f"{live_server.url}/kiosk/apply")
        page.locator("#ap-start").tap()
        page.wait_for_url("**/step/type")
        page.locator("#ap-next").tap()
        page.wait_for_url("**/step/applicant")
        page.locator("#ap-name").tap()
        tap_keys(page, "li")
        expect(page.locator("#kb .kb-candidate").first).to_be_visible()
        page.keyboard.insert_text("")  # no-op: focus stays in the field
        page.keyboard.press("Shift")
        expect(page.locator("#kb-letters")).to_have_text("")
        page.keyboard.type("Wang")
        expect(page.locator("#ap-name")).to_have_value("liWang")
        assert page.locator("#ap-name").get_attribute("inputmode") == "none"
        assert_clean(page)
