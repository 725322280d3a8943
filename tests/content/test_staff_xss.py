"""Stored XSS through the staff editor, checked in real Chromium: payloads typed into every
free-text field of every kind (Markdown bodies and plain fields) must never run on any page
that shows the item, and plain fields must read as the text that was typed. Also the editor
page itself: axe-clean, and its preview follows the Markdown as it is typed.

CSP is bypassed in these pages on purpose (``new_kiosk_page``), so the sanitizing and the
escaping are what is tested, not the browser's CSP. Lobby screen pages do not exist yet.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import expect

from content.models import MediaFile
from content.staff import KINDS
from hall.extensions import db
from hall.models import Role
from tests.content.test_staff_editing import create, seed
from tests.kiosk.browser import (
    assert_clean,
    describe_violations,
    ensure_speech,
    new_kiosk_page,
    run_axe,
)
from tests.staff_support import browser_login, create_staff, login

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    '"><svg onload=window.__xss=1>',
    "javascript:window.__xss=1",
    '<a href="javascript:window.__xss=1">链接</a>',
    '<iframe src="javascript:window.__xss=1"></iframe>',
    '<p style="background:url(javascript:window.__xss=1)">样式</p>',
    "<img src=x onerror=alert(1)>",
]
MARKDOWN = "\n\n".join([
    "## 正文", *PAYLOADS, "[点我](javascript:window.__xss=1)",
    '<div onclick="window.__xss=1" style="position:fixed">点</div>',
    "![图](javascript:window.__xss=1)", "<a href='jav&#x09;ascript:window.__xss=1'>x</a>",
])
#: Every element that may carry script: event handlers, inline styles, javascript: URLs,
#: frames and inline scripts.
DANGER_JS = r"""() => {
    const out = [];
    for (const el of document.querySelectorAll('*')) {
        for (const a of el.attributes) {
            if (/^on/i.test(a.name) || a.name === 'style'
                    || /^\s*(java|vb)script:/i.test(a.value)) {
                out.push(el.outerHTML.slice(0, 160));
            }
        }
        if (el.tagName === 'IFRAME' || (el.tagName === 'SCRIPT' && !el.src)) {
            out.push(el.outerHTML.slice(0, 160));
        }
    }
    return out;
}"""


def fit(limit: int, start: int = 0) -> str:
    """As many payloads as fit in ``limit`` characters, starting from payload ``start``."""
    text = ""
    for payload in PAYLOADS[start:] + PAYLOADS[:start]:
        if len(text) + len(payload) <= limit:
            text += payload
    assert text, limit
    return text


def title(word: str) -> str:
    return f"{word}{fit(290)}"[:300]


def _fill_everything(client: FlaskClient, ids: dict[str, int]) -> dict[str, Any]:
    """One item of each kind with payloads in every free-text field, published."""
    db.session.add(MediaFile(filename="elder-card-tujie.svg", original_name="图解.svg",
                             kind="image", media_type="image/svg+xml", size=1,
                             sha256="c" * 64, alt="图解"))
    db.session.commit()
    live = {"status": "published"}
    policy = create(client, "policy", ids, **live, title=title("低保"),
                    doc_number=fit(100, 2), summary=fit(2000, 1), body=MARKDOWN,
                    source_url="https://example.test/?q=<script>window.__xss=1</script>")
    interpretation = create(client, "interpretation", ids, **live, title=title("解读"),
                            author=fit(100, 2), policy=policy.doc_number, body=MARKDOWN,
                            image="elder-card-tujie.svg", image_alt=fit(500, 1))
    guide = create(client, "guide", ids, **live, title=title("指南"), conditions=fit(2000),
                   materials="\n".join(f"{p} | 1 | {p}" for p in PAYLOADS[:4]),
                   steps="\n".join(PAYLOADS), basis=fit(2000, 3), time_limit=fit(100, 2),
                   fee=fit(200, 1), place=fit(200, 4), hours=fit(200, 6), phone=fit(50, 2))
    notice = create(client, "notice", ids, **live, title=title("通知"), expires_on="",
                    body=MARKDOWN)
    catalog = create(client, "catalog", ids, content=fit(2000), basis=fit(2000, 5),
                     time_limit=fit(200, 2), subject=fit(200, 1))
    return {"policy": policy, "interpretation": interpretation, "guide": guide,
            "notice": notice, "catalog": catalog}


def test_payloads_in_every_field_never_run(app: Flask, client: FlaskClient, browser: Any,
                                           live_server: Any) -> None:
    ensure_speech(app)
    ids = seed()
    create_staff("editor.xss", Role.EDITOR)
    assert login(client, "editor.xss").status_code == 302
    items = _fill_everything(client, ids)
    policy, interp, guide, notice = (items[k] for k in ("policy", "interpretation", "guide",
                                                          "notice"))
    # what the kiosk shows, with the plain text that must be readable as typed
    pages: list[tuple[str, list[str]]] = [
        (f"/kiosk/policies/{policy.id}", [policy.title, policy.doc_number, policy.summary]),
        ("/kiosk/search?q=低保", [policy.title]),
        ("/kiosk/search?q=解读", [interp.title]),
        ("/kiosk/search?q=指南", [guide.title]),
        ("/kiosk/search?q=通知", [notice.title]),
        (f"/kiosk/interpretations/{interp.id}", [interp.title, interp.image_alt]),
        ("/kiosk/interpretations", [interp.title]),
        (f"/kiosk/guides/{guide.id}", [guide.title, guide.conditions, guide.steps[0],
                                       guide.phone, guide.materials[0]["name"]]),
        ("/kiosk/guides", [guide.title]),
        (f"/kiosk/notices/{notice.id}", [notice.title]),
        ("/kiosk/notices", [notice.title]),
        ("/kiosk/catalog", [items["catalog"].content]),
        ("/kiosk/", []),
    ]
    pages += [(f"/staff/content/{kind}/", []) for kind in KINDS]
    pages += [(f"/staff/content/{kind}/{obj.id}", []) for kind, obj in items.items()]
    page = new_kiosk_page(browser, viewport=(1280, 1600))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        browser_login(page, live_server.url, "editor.xss")
        for path, texts in pages:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, path
            page.wait_for_load_state("networkidle")
            assert page.evaluate("typeof window.__xss") == "undefined", path
            assert dialogs == [], (path, dialogs)
            assert page.evaluate(DANGER_JS) == [], path
            shown = page.inner_text("main")
            for text in texts:
                assert text in shown, (path, text)
    finally:
        page.context.close()


def test_editor_page_is_accessible_and_previews_as_you_type(
        app: Flask, browser: Any, live_server: Any) -> None:
    seed()
    create_staff("editor.a11y", Role.EDITOR)
    page = new_kiosk_page(browser, viewport=(1600, 1000))
    try:
        browser_login(page, live_server.url, "editor.a11y")
        for path in ("/staff/content/", "/staff/content/policy/", "/staff/content/guide/new",
                     "/staff/content/interpretation/new", "/staff/content/catalog/new"):
            page.goto(f"{live_server.url}{path}")
            violations = run_axe(page)
            assert not violations, f"{path}\n{describe_violations(violations)}"
        page.goto(f"{live_server.url}/staff/content/policy/new")
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
        page.fill("#body", "## 第一条\n\n每人每月 **800** 元。\n\n<img src=x onerror=alert(1)>")
        expect(page.locator("#body-preview strong")).to_have_text("800")
        expect(page.locator("#body-preview h2")).to_have_text("第一条")
        assert page.locator("#body-preview [onerror]").count() == 0
        page.fill("#body", "| 项目 | 标准 |\n|---|---|\n| 低保 | 800 |")
        expect(page.locator("#body-preview td").first).to_have_text("低保")
        # a form sent back with errors is accessible too
        page.fill("#title", "")
        page.click("button[type=submit] >> text=保存")
        expect(page.locator(".error-box")).to_be_visible()
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
        # the 422 answer itself and the preview's <img src=x> are expected; nothing else
        problems = [p for p in _problems(page) if "422" not in p and not p.endswith("/x")
                    and "/x)" not in p]
        assert not problems, problems
    finally:
        page.context.close()


def _problems(page: Any) -> list[str]:
    try:
        assert_clean(page)
    except AssertionError as error:
        return str(error).splitlines()
    return []
