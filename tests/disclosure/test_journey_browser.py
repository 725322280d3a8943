"""依申请公开 end to end in real Chromium, on one live server: a citizen files at the portrait
kiosk by touch (pinyin on the on-screen keyboard, 𠮷 through the system's input method,
full-width punctuation from the keyboard's keys), the slip comes out of the virtual printer
with a masked ID and a QR code that scans to the tracking page, the phone opens that page, an
officer takes the case to an answer through the staff forms, and the phone page and the
kiosk's status lookup then show the answer, never anything personal.

Then bad input through the kiosk's steps in the browser: a wrong check character, a birth date
that does not exist, an empty description, 10 000 characters in every text field, and HTML
that must stay text on the review page and the officer's case page. Each gets its reason on
its own step (422), the draft on the server keeps nothing of it, no response is a 500, and
the form then goes on as usual.

The pieces have their own tests (tests/kiosk/test_browser_apply.py, test_apply_pages.py,
tests/disclosure/test_staff_browser.py); this one checks that they fit together.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
import zxingcpp
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from disclosure.models import Application, Stage
from disclosure.personal import resident_id_check
from disclosure.workflow import MAX_LENGTHS
from hall.extensions import db
from hall.models import Role
from kiosk import disclosure as pages
from kiosk import drafts
from printer.emulator import VirtualPrinter
from tests.conftest import LiveServer
from tests.disclosure.support import PHONE, VALID_ID
from tests.kiosk.browser import assert_clean, describe_violations, new_kiosk_page, run_axe
from tests.kiosk.test_browser_apply import check, next_step, pick, tap_keys
from tests.printer.server_support import network_printer, running_worker
from tests.staff_support import browser_login, create_staff

pytestmark = pytest.mark.browser

MASKED_ID = "110105********002X"
MASKED_PHONE = "138****5678"
NAME = "张三"
#: What the citizen writes, in the order it is typed: 𠮷 (outside the BMP, not in the pinyin
#: keyboard's dictionary) comes from the system's input method, the rest from the screen.
DESCRIPTION = "𠮷安片区（小区）改造：申请公开"
REPLY = "经查，您申请的𠮷安片区（小区）改造项目立项批复现予公开，见附件。"
#: A resident ID whose check character is right for its digits, but 1949-02-31 is no date.
IMPOSSIBLE_BIRTH = "11010519490231002" + resident_id_check("11010519490231002")
SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def app_config(vprinter: VirtualPrinter) -> dict[str, Any]:
    return {"PRINTERS": {"kiosk": network_printer(vprinter.port)},
            "KIOSK_PRINTERS": {"*": "kiosk"}, "PRINT_RETRY_SECONDS": [0.2],
            "PUBLIC_BASE_URL": "https://gongkai.example.test",
            "DISCLOSURE_FILE_RATE_LIMIT": "1000 per minute",
            "DISCLOSURE_LOOKUP_RATE_LIMIT": "1000 per minute"}


# -- helpers ---------------------------------------------------------------------------------

@dataclass
class Watch:
    """Every response of 500 or more, and every dialog (an injected alert would open one),
    across all the pages of a browser context."""

    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> Any:
        page.context.on("response", self._response)
        page.on("dialog", self._dialog)
        return page

    def _response(self, response: Any) -> None:
        if response.status >= 500:
            self.errors.append(f"{response.status} {response.request.method} {response.url}")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def assert_quiet(self) -> None:
        assert not self.errors, self.errors
        assert not self.dialogs, self.dialogs


@contextmanager
def opened(browser: Any, watch: Watch, viewport: tuple[int, int]) -> Iterator[Any]:
    """A touch page (see ``new_kiosk_page``) watched by ``watch``, closed afterwards."""
    page = watch.attach(new_kiosk_page(browser, viewport=viewport))
    try:
        yield page
    finally:
        page.context.close()


def applications() -> int:
    db.session.rollback()  # see what the server's thread committed
    return int(db.session.scalar(select(func.count()).select_from(Application)) or 0)


def the_application() -> Application:
    db.session.rollback()
    return db.session.scalars(select(Application)).one()


def draft_of(app: Flask, page: Any) -> dict[str, Any] | None:
    """The server-side draft the page's session names (the cookie holds only its id)."""
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = next((c for c in page.context.cookies() if c["name"] == name), None)
    assert cookie is not None, "no session cookie"
    interface = cast(SecureCookieSessionInterface, app.session_interface)
    serializer = interface.get_signing_serializer(app)
    assert serializer is not None
    key = serializer.loads(cookie["value"]).get(pages.DRAFT_KEY)
    return drafts.load(key) if isinstance(key, str) else None


def zh_date(day: Any) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def scan(png: bytes) -> list[str]:
    """What a phone's camera reads off the printed slip (zxing-cpp, quiet zone added)."""
    with Image.open(io.BytesIO(png)) as image:
        grey = image.convert("L")
    framed = Image.new("L", (grey.width + 80, grey.height + 80), 255)
    framed.paste(grey, (40, 40))
    return [code.text for code in zxingcpp.read_barcodes(framed)]


def assert_nothing_personal(html: str) -> None:
    for personal in (VALID_ID, PHONE, NAME, MASKED_ID, MASKED_PHONE, "张*", DESCRIPTION):
        assert personal not in html, personal


def assert_axe(page: Any) -> None:
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
    assert_clean(page)


def status_of(page: Any, number: str, stage: str) -> None:
    expect(page.locator("#ap-status-number")).to_have_text(number)
    expect(page.locator("#ap-status-stage")).to_have_text(stage)


def answer_case(page: Any, base_url: str, number: str, reply: str) -> None:
    """The officer opens the case from the list and answers it 予以公开 through its forms."""
    page.goto(f"{base_url}/staff/disclosure/")
    page.locator(f"a:text-is('{number}')").click()
    page.wait_for_url("**/staff/disclosure/*")
    for action in ("register", "start_review", "start_processing"):
        with page.expect_navigation():
            page.locator(f"#step-{action} button[type=submit]").click()
        assert page.locator(".flash-success").count() == 1, page.inner_text("main")[:1500]
    answer = page.locator("#step-answer")
    answer.locator("select[name=kind]").select_option("disclose")
    answer.locator("textarea[name=reply_text]").fill(reply)
    with page.expect_navigation():
        answer.locator("button[type=submit]").click()
    assert page.locator(".flash-success").count() == 1, page.inner_text("main")[:1500]
    expect(page.locator(".dc-state .dc-stage")).to_have_text("已答复")


# -- the journey -----------------------------------------------------------------------------

def test_kiosk_to_answer_by_touch(app: Flask, live_server: LiveServer, browser: Any,
                                  vprinter: VirtualPrinter) -> None:
    watch = Watch()
    create_staff("officer.wang", Role.OFFICER)
    with running_worker(app), opened(browser, watch, (1080, 1920)) as kiosk:
        kiosk.goto(f"{live_server.url}/kiosk/apply")
        check(kiosk, 48)
        kiosk.locator("#ap-start").tap()
        kiosk.wait_for_url("**/kiosk/apply/step/type")
        check(kiosk, 48)
        kiosk.get_by_text("自然人（个人）").tap()
        next_step(kiosk, "/step/applicant")

        kiosk.locator("#ap-name").tap()
        pick(kiosk, "zhang", "张")
        pick(kiosk, "san", "三")
        expect(kiosk.locator("#ap-name")).to_have_value(NAME)
        check(kiosk, 48)
        next_step(kiosk, "/step/identity")

        kiosk.locator("#ap-id_number").tap()
        tap_keys(kiosk, VALID_ID)
        expect(kiosk.locator("#ap-id_number")).to_have_value(VALID_ID)
        check(kiosk, 48)
        next_step(kiosk, "/step/info")

        kiosk.locator("#ap-info_description").tap()
        kiosk.keyboard.insert_text("𠮷")  # the system's input method: not on the screen's board
        pick(kiosk, "an", "安")
        pick(kiosk, "pianqu", "片区")
        tap_keys(kiosk, "（")
        pick(kiosk, "xiaoqu", "小区")
        tap_keys(kiosk, "）")
        pick(kiosk, "gaizao", "改造")
        tap_keys(kiosk, "：")
        pick(kiosk, "shenqing", "申请")
        pick(kiosk, "gongkai", "公开")
        expect(kiosk.locator("#ap-info_description")).to_have_value(DESCRIPTION)
        # 𠮷 counts as one character (two UTF-16 units) on the screen as on the server
        expect(kiosk.locator("#ap-count-info_description")).to_contain_text(
            str(len(DESCRIPTION)))
        check(kiosk, 48)
        next_step(kiosk, "/step/delivery")

        kiosk.get_by_text("纸质", exact=True).tap()
        kiosk.get_by_text("到大厅领取", exact=True).tap()
        check(kiosk, 48)
        next_step(kiosk, "/step/contact")

        kiosk.locator("#ap-phone").tap()
        tap_keys(kiosk, PHONE)
        expect(kiosk.locator("#ap-phone")).to_have_value(PHONE)
        check(kiosk, 48)
        next_step(kiosk, "/step/consent")

        kiosk.locator("input[name=consent]").tap()
        check(kiosk, 48)
        next_step(kiosk, "/apply/review")

        expect(kiosk.locator("#ap-review-name")).to_have_text(NAME)
        expect(kiosk.locator("#ap-review-id")).to_have_text(VALID_ID)
        expect(kiosk.locator("#ap-review-description")).to_have_text(DESCRIPTION)
        expect(kiosk.locator("#ap-review-phone")).to_have_text(PHONE)
        assert applications() == 0  # nothing is filed before 确认提交
        check(kiosk, 48)
        kiosk.locator("#ap-submit").tap()
        kiosk.wait_for_url("**/kiosk/apply/done")

        row = the_application()
        assert (row.name, row.info_description, row.id_masked) == (NAME, DESCRIPTION, MASKED_ID)
        expect(kiosk.locator("#ap-number")).to_have_text(row.number)
        expect(kiosk.locator("#ap-id")).to_have_text(MASKED_ID)
        expect(kiosk.locator("#ap-print")).to_contain_text("回执正在打印")
        done = kiosk.content()
        assert VALID_ID not in done and PHONE not in done and NAME not in done
        check(kiosk, 48)

        # the slip: number and masked values, and a QR code that scans to the tracking page
        slip = vprinter.wait_for(1)[0]
        assert row.number in slip.text and MASKED_ID in slip.text and MASKED_PHONE in slip.text
        assert VALID_ID not in slip.text and PHONE not in slip.text and NAME not in slip.text
        track_url = f"{app.config['PUBLIC_BASE_URL']}/track/{row.token}"
        assert list(slip.qr_payloads) == [track_url]
        assert scan(slip.png) == [track_url]

        kiosk.locator("#ap-finish").tap()
        kiosk.wait_for_url(f"{live_server.url}/kiosk/")
        assert_clean(kiosk)

        # the citizen's phone opens the address of the QR code (on this test's server)
        with opened(browser, watch, (360, 740)) as phone:
            phone.goto(live_server.url + urlsplit(track_url).path)
            status_of(phone, row.number, "已接收")
            expect(phone.locator("#ap-status-due")).to_contain_text(zh_date(row.due_on))
            assert_nothing_personal(phone.content())
            assert_axe(phone)

            with opened(browser, watch, (1366, 768)) as staff:
                browser_login(staff, live_server.url, "officer.wang")
                answer_case(staff, live_server.url, row.number, REPLY)
                assert REPLY in staff.inner_text("#h-reply + dl")
                assert_clean(staff)

            answered = the_application()
            assert answered.stage == Stage.ANSWERED and answered.result == "disclose"
            assert answered.replied_on is not None and answered.replied_by == "officer.wang"
            replied = zh_date(answered.replied_on)

            phone.reload()
            status_of(phone, row.number, "已答复")
            expect(phone.locator("#ap-status-replied")).to_have_text(replied)
            expect(phone.locator("#ap-status-result")).to_contain_text("予以公开")
            html = phone.content()
            assert_nothing_personal(html)
            assert REPLY not in html
            assert_axe(phone)

        # the kiosk's status lookup, by touch: number and the phone's last four digits
        kiosk.goto(f"{live_server.url}/kiosk/apply/status")
        check(kiosk, 48)
        kiosk.locator("#ap-lookup-number").tap()
        tap_keys(kiosk, row.number)
        kiosk.locator("#ap-lookup-last4").tap()
        tap_keys(kiosk, PHONE[-4:])
        kiosk.locator("#ap-lookup").tap()
        status_of(kiosk, row.number, "已答复")
        expect(kiosk.locator("#ap-status-replied")).to_have_text(replied)
        expect(kiosk.locator("#ap-status-result")).to_contain_text("予以公开")
        html = kiosk.content()
        assert_nothing_personal(html)
        assert REPLY not in html
        check(kiosk, 48)
    watch.assert_quiet()


# -- bad input -------------------------------------------------------------------------------

#: Good values for every step, as the kiosk's steps ask for them.
GOOD: dict[str, dict[str, str]] = {
    "applicant": {"name": "李四"},
    "identity": {"id_number": VALID_ID},
    "info": {"info_title": "", "info_doc_number": "", "info_description": DESCRIPTION},
    "contact": {"phone": PHONE, "address": "", "email": ""},
}
NEXT_URL = {name: (f"/step/{pages.STEP_NAMES[i + 1]}" if i + 1 < len(pages.STEP_NAMES)
                   else "/apply/review") for i, name in enumerate(pages.STEP_NAMES)}


def put(page: Any, values: dict[str, str]) -> None:
    """Set fields as they are (past the fields' maxlength, as a hand-made request would)."""
    for name, value in values.items():
        page.locator(f"#ap-{name}").evaluate("(el, v) => { el.value = v; }", value)


def walk_to(page: Any, base_url: str, stop: str, good: dict[str, dict[str, str]]) -> None:
    """From the intro through every step before ``stop`` with good values."""
    page.goto(f"{base_url}/kiosk/apply")
    page.locator("#ap-start").tap()
    page.wait_for_url("**/kiosk/apply/step/type")
    for name in pages.STEP_NAMES:
        if name == stop:
            return
        if name == "consent":
            page.locator("input[name=consent]").tap()
        put(page, good.get(name, {}))
        next_step(page, NEXT_URL[name])


@dataclass(frozen=True)
class Bad:
    step: str
    values: dict[str, str]
    messages: dict[str, str]  # field → what its message says


BAD = {
    "id-checksum": Bad("identity", {"id_number": "110105194912310021"},
                       {"id_number": "身份证号码校验位不正确，请逐位核对。"}),
    "impossible-birth-date": Bad("identity", {"id_number": IMPOSSIBLE_BIRTH},
                                 {"id_number": "身份证号码中的出生日期不存在，请核对。"}),
    "empty-description": Bad("info", {"info_title": "", "info_doc_number": "",
                                      "info_description": " \u3000\n\t "},
                             {"info_description": "请描述所需的政府信息"}),
    "10000-name": Bad("applicant", {"name": "张" * 10_000},
                      {"name": "不能超过 100 个字（现有 10000 个）"}),
    "10000-id": Bad("identity", {"id_number": "1" * 10_000},
                    {"id_number": "不能超过 40 个字（现有 10000 个）"}),
    "10000-info": Bad("info", {"info_title": "题" * 10_000, "info_doc_number": "号" * 10_000,
                               "info_description": "述" * 10_000},
                      {"info_title": "不能超过 300 个字（现有 10000 个）",
                       "info_doc_number": "不能超过 100 个字（现有 10000 个）",
                       "info_description": "不能超过 2000 个字（现有 10000 个）"}),
    "10000-contact": Bad("contact", {"phone": "1" * 10_000, "address": "路" * 10_000,
                                     "email": "a" * 10_000},
                         {"phone": "不能超过 30 个字（现有 10000 个）",
                          "address": "不能超过 200 个字（现有 10000 个）",
                          "email": "不能超过 100 个字（现有 10000 个）"}),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_gets_its_reason_on_its_step(app: Flask, live_server: LiveServer,
                                                 browser: Any, case: str) -> None:
    bad = BAD[case]
    watch = Watch()
    with opened(browser, watch, (1080, 1920)) as page:
        walk_to(page, live_server.url, bad.step, GOOD)
        before = draft_of(app, page)
        assert before is not None
        put(page, bad.values)
        with page.expect_response(lambda r: r.request.method == "POST"
                                  and r.url.endswith(f"/step/{bad.step}")) as posted:
            page.locator("#ap-next").tap()
        assert posted.value.status == 422
        page.wait_for_load_state()
        assert page.url.endswith(f"/step/{bad.step}")
        summary = page.locator("#ap-summary")
        expect(summary).to_have_attribute("role", "alert")
        for name, message in bad.messages.items():
            expect(page.locator(f"#ap-err-{name}")).to_contain_text(message)
            expect(summary).to_contain_text(message)
            field_ = page.locator(f"#ap-{name}")
            expect(field_).to_have_attribute("aria-invalid", "true")
            assert f"ap-err-{name}" in (field_.get_attribute("aria-describedby") or "")
            # the page echoes no more than the field may hold
            shown = field_.evaluate("el => Array.from(el.value).length")
            assert shown <= MAX_LENGTHS[name], (name, shown)
        check(page, 48)
        # nothing of the refused step was kept, nothing filed
        now = draft_of(app, page)
        assert now is not None
        changed = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
        assert not changed, f"the refused step changed the draft: {changed}"
        assert applications() == 0
        # and the form goes on once the values are right
        put(page, GOOD[bad.step])
        next_step(page, NEXT_URL[bad.step])
        after = draft_of(app, page)
        assert after is not None
        for name, value in GOOD[bad.step].items():
            assert after[name] == value.strip(), name
        assert_clean(page)
    watch.assert_quiet()


def test_html_stays_text_from_kiosk_to_case_page(app: Flask, live_server: LiveServer,
                                                 browser: Any) -> None:
    """HTML typed into the form is kept and shown as the characters typed: on the review
    page, the receipt and the officer's case page; nothing in it runs."""
    description = f"{SCRIPT}<img src=x onerror=alert(2)>（𠮷）"
    title = "<b>标题</b>"
    good = {**GOOD, "applicant": {"name": SCRIPT},
            "info": {"info_title": title, "info_doc_number": "", "info_description": description}}
    create_staff("officer.zhao", Role.OFFICER)
    watch = Watch()
    with opened(browser, watch, (1080, 1920)) as page:
        walk_to(page, live_server.url, "review", good)
        page.wait_for_url("**/kiosk/apply/review")
        expect(page.locator("#ap-review-name")).to_have_text(SCRIPT)
        expect(page.locator("#ap-review-description")).to_have_text(description)
        html = page.content()
        assert SCRIPT not in html and ESCAPED_SCRIPT in html
        assert "&lt;img src=x onerror=alert(2)&gt;" in html and "&lt;b&gt;标题&lt;/b&gt;" in html
        assert page.locator("#ap-review script, #ap-review img, #ap-review b").count() == 0
        check(page, 48)
        page.locator("#ap-submit").tap()
        page.wait_for_url("**/kiosk/apply/done")
        row = the_application()
        assert (row.name, row.info_title, row.info_description) == (SCRIPT, title, description)
        expect(page.locator("#ap-number")).to_have_text(row.number)
        assert SCRIPT not in page.content()
        check(page, 48)

    with opened(browser, watch, (1366, 768)) as staff:
        browser_login(staff, live_server.url, "officer.zhao")
        staff.goto(f"{live_server.url}/staff/disclosure/{row.id}")
        request = staff.locator("section[aria-labelledby=h-request]")
        expect(request).to_contain_text(description)
        expect(request).to_contain_text(title)
        html = staff.content()
        assert SCRIPT not in html and ESCAPED_SCRIPT in html
        assert "<img src=x" not in html and "<b>标题" not in html
        assert staff.locator("main script, main img[src=x]").count() == 0
        answer_case(staff, live_server.url, row.number, f"答复：{SCRIPT}")
        assert SCRIPT not in staff.content()
        expect(staff.locator("#h-reply + dl")).to_contain_text(f"答复：{SCRIPT}")
        assert_clean(staff)
    watch.assert_quiet()
