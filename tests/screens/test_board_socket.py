"""The calling board over Socket.IO with real python-socketio clients on a real port: a screen
with a side zone gets ``call`` (with the announcement and the board) after a call, ``board``
after other queue changes; ``follow`` lets any client in; a screen without a side zone hears
nothing of the queue."""

from __future__ import annotations

import queue as stdqueue
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import socketio
from flask import Flask

from hall.signals import queue_changed
from tests.conftest import LiveServer
from tests.screens.support import screen_with
from tests.tickets.support import make_service, make_window
from tickets import queue

WAIT = 5.0
EVENTS = ("state", "call", "board", "error")


class Client:
    """A python-socketio client on ``/screens`` that queues every event it gets; ``hello``
    says it is screen ``name`` (on every connect), else it only connects."""

    def __init__(self, url: str, hello: str | None = None) -> None:
        self.url, self.hello = url, hello
        self.events: stdqueue.Queue[tuple[str, dict[str, Any]]] = stdqueue.Queue()
        self.sio = socketio.Client(reconnection=False)
        for event in EVENTS:
            self.sio.on(event, self._keeper(event), namespace="/screens")
        self.sio.on("connect", self._connected, namespace="/screens")

    def _keeper(self, event: str) -> Callable[[dict[str, Any]], None]:
        def keep(data: dict[str, Any]) -> None:
            self.events.put((event, data))
        return keep

    def _connected(self) -> None:
        if self.hello:
            self.sio.emit("hello", {"name": self.hello}, namespace="/screens")

    def connect(self) -> Client:
        self.sio.connect(self.url, namespaces=["/screens"], transports=["websocket"],
                         wait_timeout=WAIT)
        return self

    def emit(self, event: str, data: Any = None) -> None:
        self.sio.emit(event, data if data is not None else {}, namespace="/screens")

    def next(self, event: str, timeout: float = WAIT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {event!r} event within {timeout} s")
            try:
                got, data = self.events.get(timeout=left)
            except stdqueue.Empty:
                continue
            if got == event:
                return data

    def quiet_for(self, seconds: float, *events: str) -> bool:
        """True if none of ``events`` arrives within ``seconds``."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                got, _data = self.events.get(timeout=left)
            except stdqueue.Empty:
                return True
            if got in events:
                return False
        return True

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()


@pytest.fixture
def connect(live_server: LiveServer) -> Iterator[Callable[..., Client]]:
    made: list[Client] = []

    def _make(hello: str | None = None) -> Client:
        made.append(Client(live_server.url, hello).connect())
        return made[-1]

    yield _make
    for client in made:
        client.close()


def _queue() -> Any:
    service = make_service()
    window = make_window(3, service)
    return service, window


def test_screen_with_side_zone_gets_the_call(app: Flask,
                                             connect: Callable[..., Client]) -> None:
    _service, window = _queue()
    screen_with([], name="lobby", zone_side=True)
    screen = connect("lobby")
    state = screen.next("state")
    assert state["side"]["current"] == [] and state["side"]["repeat"] == 2

    for _ in range(12):
        queue.issue_ticket("gk")
    issued = screen.next("board")  # a ticket issued: the waiting count changed
    assert issued["type"] == "board" and {"version", "sent_at"} <= set(issued)
    for _ in range(11):
        queue.call_next(window.id)
    event = screen.next("call")
    while event["call"]["number"] != "A011":
        event = screen.next("call")

    ticket = queue.call_next(window.id)
    assert ticket is not None and ticket.number == "A012"
    event = screen.next("call")
    call = event["call"]
    assert event["type"] == "call" and event["version"] == call["call_id"]
    assert call["number"] == "A012" and call["window"] == 3 and call["recall"] is False
    assert call["text"] == "请 A012 号 到 3 号窗口 办理"
    assert call["clips"] == ["chime", "qing", "A", "d0", "d1", "d2", "hao", "dao", "d3",
                             "hao_chuangkou", "banli"]
    board = event["board"]
    assert board["version"] == call["call_id"]
    assert [c["number"] for c in board["current"]] == ["A012"]
    assert board["waiting"][0]["waiting"] == 0

    queue.recall(window.id)
    again = screen.next("call")
    assert again["call"]["recall"] is True and again["call"]["number"] == "A012"
    assert again["version"] > event["version"]

    queue.finish(window.id)
    done = screen.next("board")
    assert done["board"]["current"] == []


def test_follow_works_for_any_client(app: Flask, connect: Callable[..., Client]) -> None:
    _service, window = _queue()
    phone = connect()
    assert phone.quiet_for(0.3, "call", "board")  # not following yet
    phone.emit("follow")
    first = phone.next("board")
    assert first["type"] == "board" and first["board"]["current"] == []
    queue.issue_ticket("gk")
    assert phone.next("board")["board"]["waiting"][0]["waiting"] == 1
    queue.call_next(window.id)
    assert phone.next("call")["call"]["number"] == "A001"
    phone.emit("follow")  # following twice: still one copy of each event
    phone.next("board")
    queue.recall(window.id)
    phone.next("call")
    assert phone.quiet_for(0.3, "call")


def test_screen_without_side_zone_hears_nothing_of_the_queue(
        app: Flask, connect: Callable[..., Client]) -> None:
    _service, window = _queue()
    screen_with([], name="plain")
    screen = connect("plain")
    assert screen.next("state")["side"] is None
    queue.issue_ticket("gk")
    queue.call_next(window.id)
    assert screen.quiet_for(0.5, "call", "board")


def test_two_calls_within_a_second_both_arrive_in_order(
        app: Flask, connect: Callable[..., Client]) -> None:
    service = make_service()
    one, two = make_window(1, service), make_window(2, service)
    screen_with([], name="lobby", zone_side=True)
    screen = connect("lobby")
    screen.next("state")
    queue.issue_ticket("gk")
    queue.issue_ticket("gk")
    queue.call_next(one.id)
    queue.call_next(two.id)
    first, second = screen.next("call"), screen.next("call")
    assert (first["call"]["number"], first["call"]["window"]) == ("A001", 1)
    assert (second["call"]["number"], second["call"]["window"]) == ("A002", 2)
    assert [c["number"] for c in second["board"]["current"]] == ["A002", "A001"]


def test_voice_change_reaches_the_board(app: Flask, connect: Callable[..., Client]) -> None:
    phone = connect()
    phone.emit("follow")
    token = phone.next("board")["board"]["voice"]
    queue_changed.send(None, kind="voice", service_ids=[])
    assert phone.next("board")["board"]["voice"] == token  # nothing changed: same token
