"""Socket.IO with a real python-socketio client against the server on a real port: the
snapshot on connect, pushed updates, catching up after a disconnect, heartbeats, remote reload."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import socketio
from flask import Flask

from content import services
from hall.extensions import db
from hall.signals import screens_changed
from screens import registry
from screens.models import EmergencyMessage, Screen
from screens.state import current_version

from ..conftest import LiveServer
from .support import notice, screen_with

WAIT = 5.0


class ScreenClient:
    """A python-socketio client that plays a screen: says hello on every connect and queues
    what the server sends."""

    def __init__(self, url: str, name: str) -> None:
        self.url, self.name = url, name
        self.events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        self.version_seen = 0
        for event in ("state", "reload", "error"):
            self.sio.on(event, self._keeper(event), namespace="/screens")
        self.sio.on("connect", self._hello, namespace="/screens")

    def _keeper(self, event: str) -> Callable[[dict[str, Any]], None]:
        def keep(data: dict[str, Any]) -> None:
            if event == "state":
                self.version_seen = data["version"]
            self.events.put((event, data))
        return keep

    def _hello(self) -> None:
        self.sio.emit("hello", {"name": self.name, "version_seen": self.version_seen},
                      namespace="/screens")

    def connect(self) -> ScreenClient:
        self.sio.connect(self.url, namespaces=["/screens"], transports=["websocket"],
                         wait_timeout=WAIT)
        return self

    def next(self, event: str = "state", timeout: float = WAIT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {event!r} event within {timeout} s")
            got, data = self.events.get(timeout=left)
            if got == event:
                return data

    def nothing_within(self, seconds: float) -> bool:
        try:
            self.events.get(timeout=seconds)
        except queue.Empty:
            return True
        return False

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()


@pytest.fixture
def screen_client(live_server: LiveServer) -> Iterator[Callable[[str], ScreenClient]]:
    made: list[ScreenClient] = []

    def _make(name: str = "lobby") -> ScreenClient:
        made.append(ScreenClient(live_server.url, name).connect())
        return made[-1]

    yield _make
    for client in made:
        client.close()


def _until(check: Callable[[], bool], timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_snapshot_update_and_catching_up_after_a_disconnect(
        app: Flask, screen_client: Callable[[str], ScreenClient]) -> None:
    shown = notice("第一版")
    screen_with([{"kind": "notice", "notice_id": shown.id}])
    client = screen_client("lobby")
    snapshot = client.next()
    assert snapshot["type"] == "state" and snapshot["screen"]["name"] == "lobby"
    assert [s["title"] for s in snapshot["slides"]] == ["第一版"]
    assert {"version", "sent_at"} <= set(snapshot)

    shown.title = "第二版"
    services.save(shown)  # content_changed → push
    update = client.next()
    assert [s["title"] for s in update["slides"]] == ["第二版"]
    assert update["version"] > snapshot["version"]

    db.session.add(EmergencyMessage(title="紧急", text="请从东门离开", target="all"))
    db.session.commit()
    screens_changed.send(None, kind="emergency", ids=[1])
    urgent = client.next()
    assert urgent["emergency"]["text"] == "请从东门离开"

    client.close()
    missed_from = urgent["version"]
    shown.title = "第三版"
    services.save(shown)
    db.session.query(EmergencyMessage).update({"cleared_at": db.func.now()})
    db.session.commit()
    screens_changed.send(None, kind="emergency", ids=[1])
    assert client.nothing_within(0.3)  # nothing reaches a disconnected screen

    client.connect()
    current = client.next()
    assert current["version"] >= missed_from + 2
    assert [s["title"] for s in current["slides"]] == ["第三版"]
    assert current["emergency"] is None


def test_changes_reach_only_the_screens_they_concern(
        app: Flask, screen_client: Callable[[str], ScreenClient]) -> None:
    a, b = notice("甲"), notice("乙")
    screen_with([{"kind": "notice", "notice_id": a.id}], name="east")
    screen_with([{"kind": "notice", "notice_id": b.id}], name="west")
    east, west = screen_client("east"), screen_client("west")
    east.next(), west.next()
    a.title = "甲（改）"
    services.save(a)
    assert [s["title"] for s in east.next()["slides"]] == ["甲（改）"]
    assert west.nothing_within(0.3)


def test_heartbeat_updates_the_registry(
        app: Flask, screen_client: Callable[[str], ScreenClient]) -> None:
    screen_with([])
    client = screen_client("lobby")
    state = client.next()
    client.sio.emit("heartbeat", {"name": "lobby", "on_air": "item-42",
                                  "version": state["version"]}, namespace="/screens")

    def on_air() -> bool:
        db.session.expire_all()
        return db.session.query(Screen.on_air).filter_by(name="lobby").scalar() == "item-42"

    _until(on_air)
    row = registry.overview()[0]
    assert row.online and row.seen_version == state["version"]
    assert row.client_addr == "127.0.0.1"


def test_remote_reload(app: Flask, screen_client: Callable[[str], ScreenClient]) -> None:
    screen_with([])
    client = screen_client("lobby")
    first = client.next()
    token = registry.remote_reload("lobby")
    reload = client.next("reload")
    assert reload["reload"] == token != first["reload"]
    assert reload["type"] == "reload" and reload["version"] == current_version()


def test_unknown_screen_gets_an_error_event(
        app: Flask, screen_client: Callable[[str], ScreenClient]) -> None:
    client = screen_client("nobody")
    error = client.next("error")
    assert error["code"] == "unknown_screen" and "nobody" in error["message"]
    assert {"type", "version", "sent_at"} <= set(error)


def test_a_staff_preview_gets_the_state_but_is_not_the_screen(
        app: Flask, screen_client: Callable[[str], ScreenClient]) -> None:
    screen_with([])
    client = screen_client("lobby")
    client.next()
    client.sio.emit("hello", {"name": "lobby", "version_seen": None, "preview": True},
                    namespace="/screens")
    assert client.next()["screen"]["name"] == "lobby"  # the preview plays the real state
    db.session.expire_all()
    seen_before = db.session.query(Screen.last_seen).filter_by(name="lobby").scalar()
    client.sio.emit("hello", {"name": "lobby", "version_seen": None, "preview": True},
                    namespace="/screens")
    client.next()
    db.session.expire_all()
    assert db.session.query(Screen.last_seen).filter_by(name="lobby").scalar() == seen_before
