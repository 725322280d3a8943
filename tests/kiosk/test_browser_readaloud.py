"""Read-aloud on an article page in real Chromium: the on/off button, server speech (a real
WAV from espeak-ng), the highlighted paragraph, and stopping."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.kiosk.browser import assert_clean, ensure_speech, kiosk_page, problems_of
from tests.kiosk.fixtures import make_sample_content

pytestmark = pytest.mark.browser

# Debian's Chromium has no Chinese voice; make that certain so the server path is taken.
NO_VOICES = "Object.defineProperty(speechSynthesis, 'getVoices', {value: () => []});"

# A fake Chinese browser voice: each utterance "ends" after 300 ms and is recorded. (A real
# SpeechSynthesisVoice cannot be constructed, so the utterance class is a plain stand-in.)
FAKE_VOICE = """
window.spoken = [];
window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; } };
const voice = {name: 'fake', lang: 'zh-CN', default: true, localService: true, voiceURI: 'f'};
Object.defineProperty(speechSynthesis, 'getVoices', {value: () => [voice]});
Object.defineProperty(speechSynthesis, 'speak', {value: (u) => {
    window.spoken.push(u.text);
    window.currentUtterance = u;
    setTimeout(() => u.onend && u.onend(new Event('end')), 300);
}});
Object.defineProperty(speechSynthesis, 'cancel', {value: () => { window.cancelled = true; }});
"""

@pytest.fixture(autouse=True)
def _speech_route(app: Flask) -> None:
    ensure_speech(app)


def _is_speech(response: Any) -> bool:
    return response.url.endswith("/kiosk/speech") and response.request.method == "POST"


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_readaloud_speaks_through_the_server_and_stops(live_server: Any, browser: Any) -> None:
    ids = make_sample_content()
    with kiosk_page(browser) as page:
        page.add_init_script(NO_VOICES)
        page.goto(f"{live_server.url}/kiosk/policies/{ids['policy_regulations']}")
        button = page.locator("button.readaloud[data-readaloud-target='#article-body']")
        expect(button).to_have_attribute("aria-pressed", "false")
        expect(button).to_have_text("朗读")
        expect(page.locator(".reading")).to_have_count(0)

        with page.expect_response(_is_speech) as first:
            button.tap()
        response = first.value
        assert response.status == 200
        assert response.headers["content-type"].startswith("audio/wav")
        wav = response.body()
        assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE" and len(wav) > 8000
        assert response.request.post_data_json == {"text": "第一章\u3000总则"}

        expect(button).to_have_attribute("aria-pressed", "true")
        expect(button).to_have_text("停止朗读")
        reading = page.locator("#article-body .reading")
        expect(reading).to_have_count(1)
        outline = reading.evaluate("el => getComputedStyle(el).outlineStyle")
        assert outline != "none", "the paragraph being read needs an outline, not colour only"

        # The next piece is fetched while this one plays.
        page.wait_for_event("response", _is_speech)

        button.tap()
        expect(button).to_have_attribute("aria-pressed", "false")
        expect(button).to_have_text("朗读")
        expect(page.locator(".reading")).to_have_count(0)
        assert page.evaluate("document.querySelector('.readaloud-status').textContent") == ""
        assert_clean(page)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_idle_reset_event_stops_reading(live_server: Any, browser: Any) -> None:
    ids = make_sample_content()
    with kiosk_page(browser) as page:
        page.add_init_script(NO_VOICES)
        page.goto(f"{live_server.url}/kiosk/policies/{ids['policy_social']}")
        button = page.locator("button.readaloud")
        with page.expect_response(_is_speech):
            button.tap()
        expect(page.locator("#article-body .reading")).to_have_count(1)
        page.evaluate("document.dispatchEvent(new CustomEvent('kiosk:reset'))")
        expect(button).to_have_attribute("aria-pressed", "false")
        expect(page.locator(".reading")).to_have_count(0)
        paused = page.evaluate("document.querySelectorAll('audio').length")
        assert paused == 0  # the player is not in the DOM: nothing left playing
        assert_clean(page)


def test_readaloud_uses_a_chinese_browser_voice_when_there_is_one(
    live_server: Any, browser: Any
) -> None:
    ids = make_sample_content()
    with kiosk_page(browser) as page:
        page.add_init_script(FAKE_VOICE)
        posts: list[str] = []
        page.on("request", lambda r: posts.append(r.url) if r.url.endswith("/speech") else None)
        page.goto(f"{live_server.url}/kiosk/policies/{ids['policy_regulations']}")
        button = page.locator("button.readaloud")
        button.tap()
        expect(button).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#article-body .reading")).to_have_count(1)
        page.wait_for_function("window.spoken.length >= 2")
        spoken = page.evaluate("window.spoken")
        assert spoken[0] == "第一章\u3000总则"
        assert spoken[1].startswith("第一条\u3000为了保障公民")
        assert "透明度，建设法治政府" in spoken[1]  # the source's line break is no pause
        assert page.evaluate("window.currentUtterance.lang") == "zh-CN"
        button.tap()
        expect(button).to_have_attribute("aria-pressed", "false")
        assert page.evaluate("window.cancelled") is True
        assert posts == []
        assert_clean(page)


class TestNoSpeechEngine:
    @pytest.fixture
    def app_config(self, tmp_path: Any) -> dict[str, Any]:
        return {"TTS_COMMAND": str(tmp_path / "missing-espeak-ng")}

    def test_shows_a_polite_message(self, live_server: Any, browser: Any) -> None:
        ids = make_sample_content()
        with kiosk_page(browser) as page:
            page.add_init_script(NO_VOICES)
            page.goto(f"{live_server.url}/kiosk/policies/{ids['policy_regulations']}")
            button = page.locator("button.readaloud")
            with page.expect_response(_is_speech) as first:
                button.tap()
            assert first.value.status == 503
            status = page.locator(".readaloud-status[role=status]")
            expect(status).to_have_text("本机暂不支持朗读")
            expect(button).to_have_attribute("aria-pressed", "false")
            expect(page.locator(".reading")).to_have_count(0)
            assert problems_of(page).page_errors == []
