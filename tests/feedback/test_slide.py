"""The lobby slide of published answers: only published public answers reach the state, as
plain text; on the real screen page citizen markup shows as text and no script runs."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from feedback import suggestions
from hall.extensions import db
from screens.models import Playlist, PlaylistItem, Screen, SlideKind
from screens.state import build_state
from tests.feedback.support import IMG, RARE_TEXT, SCRIPT
from tests.kiosk.browser import assert_clean
from tests.screens.fixtures.page_support import new_screen_page


def _screen() -> Screen:
    playlist = Playlist(name="weekday")
    playlist.items = [PlaylistItem(kind=SlideKind.SUGGESTIONS.value, duration=20)]
    screen = Screen(name="lobby", playlist=playlist)
    db.session.add(screen)
    db.session.commit()
    return screen


def _answered(text: str, reply: str, *, public: bool = True, publish: bool = True) -> Any:
    row = suggestions.submit("facility", text)
    suggestions.answer(row, reply, public=public, by="测试")
    if publish:
        suggestions.publish(row, True)
    return row


def test_only_published_public_answers_make_the_slide(app: Flask) -> None:
    _screen()
    assert build_state("lobby")["slides"] == []  # nothing published: no empty slide
    _answered("私下的意见内容。", "私下答复。", public=False, publish=False)
    _answered("未发布的意见内容。", "公开但未发布。", publish=False)
    shown = _answered(RARE_TEXT, "已增加座椅。")
    slides = build_state("lobby")["slides"]
    assert len(slides) == 1 and slides[0]["kind"] == "suggestions"
    items = slides[0]["meta"]["items"]
    assert [i["code"] for i in items] == [shown.code]
    assert items[0]["text"] == RARE_TEXT and items[0]["reply"] == "已增加座椅。"
    assert "contact" not in repr(items) and slides[0]["html"] == ""
    suggestions.publish(shown, False)
    assert build_state("lobby")["slides"] == []


def test_publishing_tells_the_screens(app: Flask) -> None:
    from hall.signals import screens_changed

    seen: list[dict[str, Any]] = []

    def listen(sender: Any, **kwargs: Any) -> None:
        seen.append(kwargs)

    screens_changed.connect(listen)
    try:
        row = _answered("意见内容五个字以上。", "答复。", publish=False)
        assert seen == []  # an unpublished answer changes no screen
        suggestions.publish(row, True)
    finally:
        screens_changed.disconnect(listen)
    assert seen and seen[-1]["kind"] == "suggestions"


@pytest.mark.browser
def test_citizen_markup_is_text_on_the_screen(app: Flask, live_server: Any,
                                              browser: Any) -> None:
    _screen()
    _answered("座椅太少" + SCRIPT + IMG, "答复" + IMG)
    page = new_screen_page(browser)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.goto(f"{live_server.url}/screens/lobby")
        slide = page.locator(".slide-suggestions").first
        slide.wait_for(state="visible")
        question = slide.locator(".suggestion-q").first
        assert question.text_content() == "座椅太少" + SCRIPT + IMG
        assert slide.locator("script, img").count() == 0
        page.wait_for_timeout(300)  # an onerror handler would have fired by now
        assert dialogs == []
        page.screenshot(path="/tmp/feedback-slide.png")
        assert_clean(page)
    finally:
        page.context.close()
