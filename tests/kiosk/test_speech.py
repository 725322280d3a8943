"""Server-side read-aloud: the pinyin script (pure functions) and ``POST /kiosk/speech`` with
the real espeak-ng."""

from __future__ import annotations

import io
import shutil
import wave
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import speech
from tests.kiosk.browser import ensure_speech
from tests.staff_support import token_in

ARTICLE_29 = (
    "第二十九条　公民、法人或者其他组织申请获取政府信息的，应当向行政机关的政府信息公开工作"
    "机构提出，并采用包括信件、数据电文在内的书面形式（含网上申请）：𠮷〇号〔2019〕。"
)

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A kiosk client that sends the page's CSRF token with every request, as readaloud.js does."""
    kiosk = app.test_client()
    kiosk.environ_base["HTTP_X_CSRFTOKEN"] = token_in(kiosk.get("/kiosk/").text)
    return kiosk


def test_speech_refuses_a_post_without_the_csrf_token(app: Flask) -> None:
    response = app.test_client().post("/kiosk/speech", json={"text": "政府信息公开"})
    assert response.status_code == 400
    assert "页面已过期" in response.get_json()["error"]


@pytest.fixture(autouse=True)
def _speech_route(app: Flask) -> None:
    ensure_speech(app)
    speech.cache.clear()


# --- pure pieces --------------------------------------------------------------------------


def test_pinyin_script_reads_tone_numbers() -> None:
    assert speech.pinyin_script("政府信息公开") == "zheng4 fu3 xin4 xi1 gong1 kai1"


def test_pinyin_script_phrases_decide_heteronyms() -> None:
    assert speech.pinyin_script("银行行长") == "yin2 hang2 hang2 zhang3"
    assert speech.pinyin_script("重庆") == "chong2 qing4"


def test_pinyin_script_neutral_tone_is_five() -> None:
    assert speech.pinyin_script("信息的") == "xin4 xi1 de5"


def test_pinyin_script_keeps_punctuation_as_pauses() -> None:
    script = speech.pinyin_script("第一条：公开。不公开？（试行）")
    assert script == "di4 yi1 tiao2: gong1 kai1. bu4 gong1 kai1? shi4 xing2"


def test_pinyin_script_skips_or_reads_rare_characters_without_crashing() -> None:
    script = speech.pinyin_script("𠮷先生，〇〇村")
    assert script.endswith("xian1 sheng1, ling2 ling2 cun1")
    assert "𠮷" not in script


def test_pinyin_script_of_punctuation_only_is_empty() -> None:
    assert speech.pinyin_script("。，（）——") == ""


@pytest.mark.parametrize(
    ("number", "words"),
    [(0, "零"), (10, "十"), (15, "十五"), (29, "二十九"), (105, "一百零五"), (110, "一百一十"),
     (1050, "一千零五十"), (6000, "六千"), (10500, "一万零五百"), (100010, "十万零一十")],
)
def test_integer_words(number: int, words: str) -> None:
    assert speech.integer_words(number) == words


def test_numbers_to_chinese_years_amounts_phones_and_percent() -> None:
    assert speech.numbers_to_chinese("2019年4月3日") == "二零一九年四月三日"
    assert speech.numbers_to_chinese("第711号") == "第七百一十一号"
    assert speech.numbers_to_chinese("200元至6000元") == "二百元至六千元"
    assert speech.numbers_to_chinese("0797-8888888") == "零七九七-八八八八八八八"
    assert speech.numbers_to_chinese("增长3.5%") == "增长百分之三点五"
    assert speech.numbers_to_chinese("赣府发〔2025〕12号") == "赣府发〔二零二五〕十二号"


def test_full_width_digits_are_read_too() -> None:
    assert speech.pinyin_script("２０个工作日") == "er4 shi2 ge4 gong1 zuo4 ri4"


def test_fix_wav_header_writes_real_sizes() -> None:
    fmt = b"fmt " + (16).to_bytes(4, "little") + bytes(16)
    stream = b"RIFF" + b"\x24\xf0\xff\x7f" + b"WAVE" + fmt + b"data" + b"\x00\xf0\xff\x7f"
    fixed = speech.fix_wav_header(stream + b"\x01\x00" * 10)
    assert int.from_bytes(fixed[4:8], "little") == len(fixed) - 8
    assert int.from_bytes(fixed[40:44], "little") == 20


def test_wav_cache_is_bounded_lru() -> None:
    cache = speech.WavCache(size=2)
    cache.put("a", b"1")
    cache.put("b", b"2")
    assert cache.get("a") == b"1"
    cache.put("c", b"3")
    assert cache.get("b") is None
    assert cache.get("a") == b"1" and cache.get("c") == b"3"
    assert len(cache) == 2


# --- the endpoint ------------------------------------------------------------------------


@needs_espeak
def test_speech_returns_a_real_wav_for_article_29(client: FlaskClient) -> None:
    response = client.post("/kiosk/speech", json={"text": ARTICLE_29})
    assert response.status_code == 200
    assert response.mimetype == "audio/wav"
    data = response.get_data()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    with wave.open(io.BytesIO(data)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
        assert wav.getnchannels() == 1
    assert seconds > 3  # a long sentence, really spoken
    assert int.from_bytes(data[4:8], "little") == len(data) - 8


@needs_espeak
def test_speech_is_cached(client: FlaskClient) -> None:
    first = client.post("/kiosk/speech", json={"text": "政府信息公开"}).get_data()
    assert len(speech.cache) == 1
    second = client.post("/kiosk/speech", json={"text": "政府信息公开"}).get_data()
    assert first == second and len(speech.cache) == 1


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"json": {"text": ""}}, "没有要朗读的文字"),
        ({"json": {"text": "　 \n"}}, "没有要朗读的文字"),
        ({"json": {"text": "公" * 1001}}, "一次最多朗读 1000 个字"),
        ({"json": {"words": "公开"}}, "JSON"),
        ({"json": ["公开"]}, "JSON"),
        ({"json": {"text": 42}}, "JSON"),
        ({"data": "text=公开", "content_type": "application/x-www-form-urlencoded"}, "JSON"),
        ({"data": "{not json", "content_type": "application/json"}, "JSON"),
        ({"json": {"text": "（）。，"}}, "没有可以朗读的内容"),
    ],
)
def test_speech_rejects_bad_input_with_a_chinese_message(
    client: FlaskClient, kwargs: dict[str, Any], needle: str
) -> None:
    response = client.post("/kiosk/speech", **kwargs)
    assert response.status_code == 400
    assert response.is_json
    assert needle in response.get_json()["error"]


@needs_espeak
def test_speech_accepts_exactly_1000_characters(client: FlaskClient) -> None:
    response = client.post("/kiosk/speech", json={"text": "公开。" * 333 + "公"})
    assert response.status_code == 200
    assert response.mimetype == "audio/wav"


def test_speech_only_accepts_post(client: FlaskClient) -> None:
    assert client.get("/kiosk/speech").status_code == 405


class TestMissingEngine:
    @pytest.fixture
    def app_config(self, tmp_path: Any) -> dict[str, Any]:
        return {"TTS_COMMAND": str(tmp_path / "no-such-espeak-ng")}

    def test_missing_binary_is_503_with_a_calm_message(self, client: FlaskClient) -> None:
        response = client.post("/kiosk/speech", json={"text": "政府信息公开"})
        assert response.status_code == 503
        assert response.get_json()["error"] == "本机暂不支持朗读"


class TestFailingEngine:
    @pytest.fixture
    def app_config(self) -> dict[str, Any]:
        return {"TTS_COMMAND": "false"}

    def test_failing_engine_is_503(self, client: FlaskClient) -> None:
        response = client.post("/kiosk/speech", json={"text": "政府信息公开"})
        assert response.status_code == 503
        assert "朗读暂时出错" in response.get_json()["error"]
