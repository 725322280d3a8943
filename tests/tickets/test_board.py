"""The lobby board as data: current calls (one per window still serving), the recent calls,
who waits per service, today's calls only; and the screens' state carrying it."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask

from hall.extensions import db
from screens.state import build_state
from tests.screens.support import screen_with
from tickets import queue
from tickets.board import announcement, build_board
from tickets.models import Call, VoiceClip

from .support import WORKDAY_10AM, make_service, make_window


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"QUEUE_BOARD_RECENT": 3}


def _issue(code: str, count: int, now: dt.datetime) -> None:
    for i in range(count):
        queue.issue_ticket(code, now=now + dt.timedelta(seconds=i))


def test_empty_board(app: Flask) -> None:
    make_service()
    board = build_board(WORKDAY_10AM)
    assert board["version"] == 0 and board["current"] == [] and board["recent"] == []
    assert board["waiting"] == [{"code": "gk", "name": "政府信息公开申请", "prefix": "A",
                                 "waiting": 0}]
    assert board["repeat"] == 2 and isinstance(board["voice"], str) and board["voice"]


def test_current_recent_and_waiting(app: Flask) -> None:
    gk = make_service()
    zx = make_service("zx", "政策咨询", "B", position=1)
    make_service("off", "停办业务", "C", enabled=False)
    one, three = make_window(1, gk), make_window(3, gk, zx)
    now = WORKDAY_10AM
    _issue("gk", 4, now)
    _issue("zx", 2, now + dt.timedelta(seconds=10))
    t = now + dt.timedelta(minutes=1)
    queue.call_next(one.id, "甲", now=t)                                  # A001 at 1
    queue.call_next(three.id, "乙", now=t + dt.timedelta(seconds=1))      # A002 at 3
    queue.call_next(one.id, "甲", now=t + dt.timedelta(seconds=2))        # A001 done, A003
    queue.recall(three.id, now=t + dt.timedelta(seconds=3))              # A002 again

    board = build_board(t + dt.timedelta(seconds=5))
    calls = db.session.query(Call).order_by(Call.id).all()
    assert board["version"] == calls[-1].id
    assert [(c["number"], c["window"]) for c in board["current"]] == [("A002", 3), ("A003", 1)]
    assert board["current"][0]["call_id"] == calls[-1].id  # the recall is the newest call
    assert set(board["current"][0]) == {"call_id", "number", "window", "service", "at"}
    assert board["current"][0]["service"] == "政府信息公开申请"
    assert board["current"][0]["at"] == "2026-11-25T02:01:03+00:00"
    # One row per ticket, newest first, at most QUEUE_BOARD_RECENT.
    assert [c["number"] for c in board["recent"]] == ["A002", "A003", "A001"]
    assert board["waiting"] == [
        {"code": "gk", "name": "政府信息公开申请", "prefix": "A", "waiting": 1},
        {"code": "zx", "name": "政策咨询", "prefix": "B", "waiting": 2}]

    queue.finish(three.id, now=t + dt.timedelta(seconds=6))
    queue.no_show(one.id, now=t + dt.timedelta(seconds=7))
    board = build_board(t + dt.timedelta(seconds=8))
    assert board["current"] == []  # nobody is being served any more
    assert [c["number"] for c in board["recent"]] == ["A002", "A003", "A001"]


def test_transfer_leaves_the_window_and_yesterday_is_gone(app: Flask) -> None:
    gk = make_service()
    zx = make_service("zx", "政策咨询", "B")
    one = make_window(1, gk)
    make_window(2, zx)
    _issue("gk", 1, WORKDAY_10AM)
    queue.call_next(one.id, now=WORKDAY_10AM)
    assert [c["number"] for c in build_board(WORKDAY_10AM)["current"]] == ["A001"]
    queue.transfer(one.id, service_id=zx.id)
    board = build_board(WORKDAY_10AM)
    assert board["current"] == [] and [c["number"] for c in board["recent"]] == ["A001"]
    assert [s["waiting"] for s in board["waiting"]] == [0, 1]

    tomorrow = build_board(WORKDAY_10AM + dt.timedelta(days=1))
    assert tomorrow["current"] == [] and tomorrow["recent"] == []
    assert tomorrow["version"] == board["version"]  # the version never goes back


def test_local_day_boundary(app: Flask) -> None:
    """A call at 23:30 in the hall (15:30 UTC) belongs to that day, not the next."""
    gk = make_service()
    one = make_window(1, gk)
    late = dt.datetime(2026, 11, 25, 15, 30, tzinfo=dt.UTC)
    _issue("gk", 1, late)
    queue.call_next(one.id, now=late)
    assert len(build_board(late)["current"]) == 1
    after_midnight = dt.datetime(2026, 11, 25, 16, 5, tzinfo=dt.UTC)  # 00:05 next day
    assert build_board(after_midnight)["recent"] == []


def test_announcement_has_text_and_clips(app: Flask) -> None:
    gk = make_service()
    window = make_window(13, gk)
    _issue("gk", 12, WORKDAY_10AM)
    for _ in range(12):
        ticket = queue.call_next(window.id, now=WORKDAY_10AM)
    assert ticket is not None and ticket.number == "A012"
    call = db.session.query(Call).order_by(Call.id.desc()).first()
    assert call is not None
    said = announcement(call.id)
    assert said is not None
    assert said["text"] == "请 A012 号 到 13 号窗口 办理"
    assert said["clips"] == ["chime", "qing", "A", "d0", "d1", "d2", "hao", "dao", "shi", "d3",
                             "hao_chuangkou", "banli"]
    assert said["recall"] is False and said["window"] == 13
    assert announcement(999999) is None


def test_voice_token_changes_with_every_clip_change(app: Flask) -> None:
    first = build_board()["voice"]
    clip = VoiceClip(name="qing", data=b"RIFF")
    db.session.add(clip)
    db.session.commit()
    second = build_board()["voice"]
    assert second != first
    db.session.delete(clip)
    db.session.commit()
    assert build_board()["voice"] == first


def test_screen_state_carries_the_board_only_with_a_side_zone(app: Flask) -> None:
    gk = make_service()
    one = make_window(1, gk)
    queue.issue_ticket("gk")
    queue.call_next(one.id)
    screen_with([], name="with-side", zone_side=True)
    screen_with([], name="without-side")
    side = build_state("with-side")["side"]
    assert side is not None and [c["number"] for c in side["current"]] == ["A001"]
    assert build_state("without-side")["side"] is None
