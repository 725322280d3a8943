"""The screens' staff pages in real Chromium: what staff type never runs on a lobby screen
(slide words, ticker and emergency text are shown as text), and the main pages pass axe."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hall.extensions import db
from hall.models import Role
from screens import push
from screens.models import Playlist, Screen
from tests.kiosk.browser import describe_violations, new_kiosk_page, run_axe
from tests.staff_support import browser_login, create_staff, csrf_token, login

from .support import notice, screen_with

pytestmark = pytest.mark.browser

SCRIPT = "<script>window.__xss=1</script>"
IMG = "<img src=x onerror=window.__xss=1>"
EVERY_DAY = [str(i) for i in range(7)]
#: Elements or attributes that would mean staff text became markup on the screen.
DANGER_JS = """() => Array.from(document.querySelectorAll('body *')).filter(e =>
    (e.tagName === 'SCRIPT' && e.type !== 'application/json' && !e.src)
    || Array.from(e.attributes).some(a => a.name.startsWith('on'))
).map(e => e.outerHTML.slice(0, 120))"""


@pytest.fixture(autouse=True)
def _no_timer() -> Iterator[None]:
    yield
    push.cancel_timer()


def _post(client: FlaskClient, url: str, data: dict[str, Any]) -> None:
    response = client.post(url, data={"csrf_token": csrf_token(client, "/staff/screens/"),
                                      **data})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]


def _schedule() -> dict[str, Any]:
    return {"start_at": "", "end_at": "", "weekdays": EVERY_DAY, "window_start": "",
            "window_end": ""}


def test_staff_text_never_runs_on_the_screen(app: Flask, client: FlaskClient, browser: Any,
                                            live_server: Any) -> None:
    shown = notice(f"通知{SCRIPT}", body_html=f"<p>正文{IMG}</p>{SCRIPT}")
    screen = screen_with([])
    playlist_id = screen.playlist_id
    create_staff("editor.screens", Role.EDITOR)
    assert login(client, "editor.screens").status_code == 302
    slide_title, caption = f"标题{SCRIPT}", f"说明{IMG}"
    ticker_text, emergency_text = f"字幕{IMG}{SCRIPT}", f"紧急{SCRIPT}{IMG}"
    _post(client, f"/staff/screens/playlists/{playlist_id}/items/new", {
        "kind": "notice", "notice": str(shown.id), "duration": "30", "enabled": "y",
        "title": slide_title, "text": caption, **_schedule()})
    _post(client, "/staff/screens/ticker/new", {"text": ticker_text, "enabled": "y",
                                                **_schedule()})

    page = new_kiosk_page(browser, viewport=(1920, 1080))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.goto(f"{live_server.url}/screens/{screen.name}?preview=1")
        page.wait_for_function("window.gongkaiScreen && window.gongkaiScreen.state()")
        page.wait_for_function("document.getElementById('ticker-track').textContent.length > 0")
        assert slide_title in page.inner_text("#main")
        # a notice slide shows its body, not the caption; the caption must still not run
        assert page.evaluate("window.gongkaiScreen.state().slides[0].caption") == caption
        assert ticker_text in page.text_content("#ticker-track")
        assert page.locator("#main p", has_text="正文").count() >= 1  # sanitized html shown
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert page.evaluate(DANGER_JS) == []

        _post(client, "/staff/screens/emergency/send", {
            "title": f"标题{IMG}", "text": emergency_text, "target": "all", "group": "",
            "screen": "", "until": ""})
        page.reload()
        page.wait_for_function("!document.getElementById('emergency').hidden")
        assert page.text_content("#emergency-text") == emergency_text
        assert page.text_content("#emergency-title") == f"标题{IMG}"
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert page.evaluate(DANGER_JS) == []
        assert dialogs == []
    finally:
        page.context.close()


def test_the_main_pages_are_accessible(app: Flask, client: FlaskClient, browser: Any,
                                       live_server: Any) -> None:
    shown = notice("办事大厅开放时间调整")
    screen = screen_with([{"kind": "notice", "notice_id": shown.id, "duration": 15},
                          {"kind": "image", "media": "a.png", "title": "图解"}],
                         group="floor-1")
    playlist = db.session.scalars(select(Playlist)).one()
    screen_id = db.session.scalars(select(Screen.id)).one()
    create_staff("editor.axe", Role.EDITOR)
    page = new_kiosk_page(browser, viewport=(1400, 1000))
    try:
        browser_login(page, live_server.url, "editor.axe")
        for path in ("/staff/screens/", f"/staff/screens/{screen_id}", "/staff/screens/new",
                     "/staff/screens/groups/", "/staff/screens/playlists/",
                     f"/staff/screens/playlists/{playlist.id}",
                     f"/staff/screens/playlists/{playlist.id}/items/new",
                     f"/staff/screens/items/{playlist.items[0].id}",
                     "/staff/screens/ticker/new", "/staff/screens/emergency/",
                     f"/staff/screens/{screen.id}/preview"):
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, path
            violations = run_axe(page)
            assert not violations, f"{path}\n{describe_violations(violations)}"
        # a form sent back with errors (weekdays none, duration 0) is accessible too
        page.goto(f"{live_server.url}/staff/screens/playlists/{playlist.id}/items/new")
        page.fill("#duration", "0")
        for box in page.locator("input[name=weekdays]").all():
            box.uncheck()
        page.click("button[type=submit] >> text=保存")
        page.wait_for_selector(".error-box")
        assert "请至少选择一天" in page.inner_text(".error-box")
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
    finally:
        page.context.close()
