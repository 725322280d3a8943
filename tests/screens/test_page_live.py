"""The screen page against the real backend: live updates over Socket.IO, and surviving a
server restart (server stopped, data changed, a new server on the same port)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hall.extensions import db
from hall.signals import screens_changed
from screens.models import EmergencyMessage, Screen
from tests.conftest import LiveServer
from tests.kiosk.browser import _problems, _watch, assert_clean, problems_of
from tests.screens.fixtures.page_support import LANDSCAPE
from tests.screens.support import notice, policy, screen_with, ticker

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SERVER = """
import sys
from hall.app import create_app
from hall.extensions import socketio
url, instance, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test",
                  "PUBLIC_BASE_URL": "http://hall.example.test"})
app.instance_path = instance
socketio.run(app, host="127.0.0.1", port=port, use_reloader=False, log_output=False,
             allow_unsafe_werkzeug=True)
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServerProcess:
    """``gongkai run``'s threading Socket.IO server in its own process, on a fixed port, so that
    stopping it really closes every connection (as a restart of the hall's server does)."""

    def __init__(self, app: Flask, port: int) -> None:
        self.args = [sys.executable, "-c", SERVER, app.config["SQLALCHEMY_DATABASE_URI"],
                     app.instance_path, str(port)]
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.args, cwd=ROOT, env={**os.environ},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise AssertionError(self.process.stderr.read().decode()  # type: ignore
                                         ) from None
                time.sleep(0.2)
        raise AssertionError("the server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
            if self.process.stderr is not None:
                self.process.stderr.close()
        self.process = None


@pytest.fixture
def server(app: Flask) -> Iterator[ServerProcess]:
    running = ServerProcess(app, _free_port())
    yield running
    running.stop()


def _page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": LANDSCAPE[0], "height": LANDSCAPE[1]},
                                  locale="zh-CN", service_workers="allow", bypass_csp=True)
    page = context.new_page()
    _problems[page] = _watch(page)
    return page


def _lobby(duration: int = 20) -> None:
    first = notice("今天下午大厅正常开放")
    card = policy("政府信息公开条例")
    screen_with([{"kind": "notice", "notice_id": first.id, "duration": duration},
                 {"kind": "policy", "policy_id": card.id, "duration": duration}])
    ticker("欢迎来到政务公开专区")


def test_live_update_arrives_over_the_socket(
        app: Flask, browser: Any, live_server: LiveServer) -> None:
    _lobby()
    page = _page(browser)
    try:
        page.goto(f"{live_server.url}/screens/lobby")
        page.wait_for_function("window.gongkaiScreen.connected()", timeout=10000)
        assert page.get_attribute("#main", "data-on-air", timeout=5000)
        db.session.add(EmergencyMessage(title="临时停电", text="请从东门离开", target="all"))
        db.session.commit()
        screens_changed.send(None, kind="emergency", ids=[1])
        page.locator("#emergency").wait_for(state="visible", timeout=5000)
        assert page.text_content("#emergency-text") == "请从东门离开"
        db.session.query(EmergencyMessage).update({"cleared_at": db.func.now()})
        db.session.commit()
        screens_changed.send(None, kind="emergency", ids=[1])
        page.locator("#emergency").wait_for(state="hidden", timeout=5000)
        assert not page.evaluate("window.gongkaiScreen.log.some(e => e.id === null)")
        assert_clean(page)
    finally:
        page.context.close()


def test_heartbeat_reports_the_slide_on_air(
        app: Flask, browser: Any, live_server: LiveServer) -> None:
    _lobby(duration=120)
    page = _page(browser)
    try:
        page.clock.install()
        page.goto(f"{live_server.url}/screens/lobby")
        page.wait_for_function("window.gongkaiScreen.connected()", timeout=10000)
        on_air = page.get_attribute("#main", "data-on-air")
        assert on_air and on_air.startswith("item-")
        page.clock.fast_forward(31000)  # one heartbeat interval; the slide stays on air
        deadline = time.monotonic() + 5
        while True:
            db.session.expire_all()
            row = db.session.scalars(select(Screen).filter_by(name="lobby")).one()
            if row.on_air or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert row.on_air == on_air == page.get_attribute("#main", "data-on-air")
    finally:
        page.context.close()


def _network_noise(problems: list[str]) -> list[str]:
    """While the server is down the browser logs refused connections (Socket.IO retrying):
    expected here; anything else is a fault."""
    return [p for p in problems
            if "ERR_CONNECTION_REFUSED" not in p and "ERR_EMPTY_RESPONSE" not in p
            and "ERR_CONNECTION_RESET" not in p and "/socket.io/" not in p]


def test_page_survives_a_server_restart(
        app: Flask, browser: Any, server: ServerProcess) -> None:
    _lobby()
    server.start()
    page = _page(browser)
    try:
        page.goto(f"{server.url}/screens/lobby")
        page.wait_for_function("window.gongkaiScreen.connected()", timeout=10000)
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=10000)
        page.wait_for_timeout(1000)  # the worker has stored the page and the state
        on_air = page.get_attribute("#main", "data-on-air")
        assert on_air

        server.stop()
        page.wait_for_function("!window.gongkaiScreen.connected()", timeout=10000)
        # Away: it keeps playing, shows no error; even a reload comes up from the cache.
        page.reload()
        page.wait_for_function("document.querySelector('#main').dataset.onAir", timeout=10000)
        assert "今天下午大厅正常开放" in (page.text_content("#main") or "")
        assert "欢迎来到政务公开专区" in (page.text_content("#ticker-track") or "")

        # Meanwhile an editor changes the ticker (another process; the version goes up).
        ticker("下午三点起暂停办理不动产登记")
        screens_changed.send(None, kind="ticker", ids=[2])

        server.start()
        page.wait_for_function(
            "document.getElementById('ticker-track').textContent.indexOf('不动产登记') >= 0",
            timeout=30000)
        assert page.evaluate("window.gongkaiScreen.connected()")
        assert page.locator("#emergency").is_hidden()
        assert not _network_noise(problems_of(page).all())
    finally:
        page.context.close()
