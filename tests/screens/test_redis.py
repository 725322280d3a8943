"""More than one server process: with Redis as the Socket.IO message queue, an event emitted
by another process reaches a screen connected to this one."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask

from hall.extensions import db
from screens.models import Screen

from ..conftest import LiveServer
from .support import screen_with
from .test_socket import ScreenClient

REDIS_URL = os.environ.get("GONGKAI_TEST_REDIS", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]
CHANNEL = f"gongkai-test-{uuid.uuid4().hex[:8]}"

EMITTER = """
import sys
from flask_socketio import SocketIO
url, channel, room = sys.argv[1:4]
emitter = SocketIO(message_queue=url, channel=channel)  # write-only: no app, no server
emitter.emit("state", {"type": "state", "version": 999, "sent_at": "x", "from": "elsewhere"},
             to=room, namespace="/screens")
"""


@pytest.fixture(autouse=True)
def _redis_running() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("GONGKAI_REQUIRE_REDIS"):
            pytest.fail(f"Redis not reachable at {REDIS_URL} but GONGKAI_REQUIRE_REDIS is set")
        pytest.skip(f"Redis not reachable at {REDIS_URL} (apt-get install redis-server)")


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SOCKETIO_MESSAGE_QUEUE": REDIS_URL, "SOCKETIO_CHANNEL": CHANNEL}


@pytest.fixture
def screen_client(live_server: LiveServer) -> Iterator[Callable[[str], ScreenClient]]:
    made: list[ScreenClient] = []

    def _make(name: str) -> ScreenClient:
        made.append(ScreenClient(live_server.url, name).connect())
        return made[-1]

    yield _make
    for client in made:
        client.close()


def _run(args: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(args, cwd=ROOT, env={**os.environ, **(env or {})},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]


def test_an_event_from_a_write_only_emitter_arrives(
        app: Flask, screen_client: Callable[[str], ScreenClient]) -> None:
    screen_with([])
    client = screen_client("lobby")
    assert client.next()["version"] < 999
    _run([sys.executable, "-c", EMITTER, REDIS_URL, CHANNEL, "screen:lobby"])
    pushed = client.next()
    assert pushed["version"] == 999 and pushed["from"] == "elsewhere"


def test_a_change_made_by_another_process_reaches_the_screen(
        app: Flask, screen_client: Callable[[str], ScreenClient]) -> None:
    screen_with([])
    client = screen_client("lobby")
    first = client.next()
    env = {"GONGKAI_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
           "GONGKAI_SOCKETIO_MESSAGE_QUEUE": REDIS_URL, "GONGKAI_SOCKETIO_CHANNEL": CHANNEL}
    _run([str(Path(sys.executable).parent / "gongkai"), "screens", "reload", "lobby"], env)
    state = client.next()
    reload = client.next("reload")
    db.session.expire_all()
    token = db.session.query(Screen.reload_token).filter_by(name="lobby").scalar()
    assert state["reload"] == reload["reload"] == token != first["reload"]
    assert state["version"] > first["version"]
