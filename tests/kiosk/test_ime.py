"""The pinyin keyboard's candidates (``kiosk.ime``, built from jieba's dictionary and pypinyin's
readings) and ``/kiosk/ime``: words and characters by frequency, completions, initials,
an unfinished syllable, paging, bad input, and the index built once in a background thread."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask.testing import FlaskClient

from kiosk import ime


@pytest.fixture(scope="module")
def index() -> ime.Index:
    found = ime.ready_index(120)
    assert found is not None
    return found


def texts(index: ime.Index, letters: str, limit: int = 8) -> list[str]:
    return [c.text for c in ime.lookup(index, letters, limit=limit).candidates]


def test_the_index_is_jiebas_words_with_pypinyin_readings(index: ime.Index) -> None:
    assert index.word_count > 100_000 and index.seconds > 0
    assert "政府" in index.words["zhengfu"] and "银行" in index.words["yinhang"]
    assert "增长" in index.words["zengzhang"]  # pypinyin's phrase table settles heteronyms


@pytest.mark.parametrize(("letters", "wanted", "within"), [
    ("zhang", "张", 3), ("wang", "王", 1), ("li", "李", 8), ("xian", "西安", 12),
    ("xiang", "想", 3), ("zhengfu", "政府", 1), ("shenqing", "申请", 1), ("lv", "绿", 8),
    ("nv", "女", 1), ("gongkai", "公开", 1), ("hangzhou", "杭州", 1),
])
def test_common_words_and_characters_come_first(index: ime.Index, letters: str,
                                                wanted: str, within: int) -> None:
    assert wanted in texts(index, letters, within), texts(index, letters, 12)


def test_commoner_characters_rank_higher(index: ime.Index) -> None:
    found = texts(index, "de", 40)
    assert found.index("的") < found.index("得") < found.index("锝")
    assert texts(index, "xiang")[0] in "相想向像"


def test_a_candidate_says_how_many_letters_it_stands_for(index: ime.Index) -> None:
    page = ime.lookup(index, "zhangsan", limit=40)
    consume = {c.text: c.consume for c in page.candidates}
    assert consume["张"] == 5 and consume["长"] == 5
    assert all(value in (5, 8) for value in consume.values())
    assert ime.segment(index, "zhangsan") == ["zhang", "san"]


def test_an_unfinished_input_is_completed(index: ime.Index) -> None:
    assert texts(index, "zhengf", 3)[0] == "政府"
    assert "政府信息公开" in texts(index, "zhengfuxinxigongkai", 1)
    assert ime.segment(index, "zhengf") == ["zheng", "f"]


def test_initials_find_words(index: ime.Index) -> None:
    assert texts(index, "zfxxgk", 1) == ["政府信息公开"]
    assert "北京" in texts(index, "bj", 3)


def test_a_syllable_being_typed_offers_its_characters(index: ime.Index) -> None:
    found = ime.lookup(index, "zh", limit=8).candidates
    assert {c.text for c in found} & {"中", "这", "之"}
    assert all(c.consume == 2 for c in found)
    assert "在" in texts(index, "z", 3)


def test_pages_follow_each_other_without_gaps(index: ime.Index) -> None:
    whole = ime.lookup(index, "shi", limit=60)
    first = ime.lookup(index, "shi", offset=0, limit=20)
    second = ime.lookup(index, "shi", offset=20, limit=20)
    assert [c.text for c in first.candidates + second.candidates] == \
        [c.text for c in whole.candidates[:40]]
    assert first.more and whole.more
    assert len({c.text for c in whole.candidates}) == len(whole.candidates)  # no repeats
    few = ime.lookup(index, "a", limit=100)
    assert not few.more and 0 < len(few.candidates) < 100


@pytest.mark.parametrize("letters", ["", "a1", "zh ang", "ZHANG!", "a" * 41, "中文"])
def test_anything_but_letters_gives_nothing(index: ime.Index, letters: str) -> None:
    assert ime.lookup(index, letters).candidates == []


def test_the_index_is_built_once_in_a_background_thread(monkeypatch: pytest.MonkeyPatch,
                                                       index: ime.Index) -> None:
    release = threading.Event()
    calls: list[str] = []

    def slow_build() -> ime.Index:
        calls.append(threading.current_thread().name)
        release.wait(5)
        return index

    monkeypatch.setattr(ime, "build", slow_build)
    builder = ime._Builder()
    builder.start()
    builder.start()
    assert builder.wait(0.05) is None  # still building: a request is told to ask again
    release.set()
    assert builder.wait(5) is index
    builder.start()
    assert calls == ["pinyin-index"]


def test_a_failed_build_leaves_the_keyboard_typing_letters(monkeypatch: pytest.MonkeyPatch,
                                                          caplog: Any) -> None:
    def broken() -> ime.Index:
        raise OSError("dict.txt missing")

    monkeypatch.setattr(ime, "build", broken)
    builder = ime._Builder()
    assert builder.wait(5) is None and builder.failed
    assert "could not be built" in caplog.text


def test_the_endpoint_answers_a_page_of_candidates(client: FlaskClient,
                                                   index: ime.Index) -> None:
    response = client.get("/kiosk/ime?p=zhang&limit=8")
    assert response.status_code == 200
    body = response.get_json()
    assert "张" in [c["text"] for c in body["candidates"]] and body["more"] is True
    assert body["segments"] == ["zhang"] and len(body["candidates"]) == 8
    assert "max-age" in response.headers["Cache-Control"]
    after = client.get("/kiosk/ime?p=zhang&limit=8&offset=8").get_json()
    assert not {c["text"] for c in after["candidates"]} & {c["text"] for c in body["candidates"]}
    assert client.get("/kiosk/ime?p=").get_json()["candidates"] == []


@pytest.mark.parametrize("query", ["p=zh1", "p=" + "a" * 41, "p=zhang&limit=1000",
                                   "p=zhang&offset=-1", "p=zhang&limit=x"])
def test_the_endpoint_refuses_bad_input(client: FlaskClient, query: str) -> None:
    response = client.get(f"/kiosk/ime?{query}")
    assert response.status_code == 400 and response.get_json()["error"]


def test_the_endpoint_says_pending_while_the_index_is_built(
        client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ime, "ready_index", lambda wait=None: None)
    response = client.get("/kiosk/ime?p=zhang")
    assert response.status_code == 200 and response.get_json()["pending"] is True
    assert response.headers["Cache-Control"] == "no-store"


def test_the_index_file_is_built_once_and_reused(index: ime.Index) -> None:
    """Built by a child process into the instance cache; later processes only open it."""
    made = index.path.stat().st_mtime_ns
    again = ime.build()
    assert again.path == index.path == ime.index_path()
    assert again.path.stat().st_mtime_ns == made
    assert again.words["zhengfu"] == index.words["zhengfu"] and len(again.words) > 50_000
    assert "zhengfu" in again.words and "qqqq" not in again.words
    assert texts(again, "zfxxgk", 1) == ["政府信息公开"]
