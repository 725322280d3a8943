"""A server restart with the lobby screens connected: 20 Socket.IO clients (WebSocket only,
retrying as the browser's screen.js does) and one real Chromium page on ``/screens/lobby``.
The server is killed, the ticker changes while it is away, and a new server starts on the
same port: within 5 s of it accepting again every screen holds the new state."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import socketio

from hall.extensions import db
from hall.signals import screens_changed
from screens.demo import seed_screens
from screens.models import TickerItem
from tests.faults.support import Launcher, Server, Site, running, wait_until

pytestmark = pytest.mark.browser

CLIENTS = 20
RESYNC_SECONDS = 5.0
NEWS = "下午三点起暂停办理不动产登记"
#: screen.js: ``{transports: ['websocket'], reconnectionDelay: 500, reconnectionDelayMax: 2000}``
#: and Socket.IO's default randomization of 0.5.
RETRY = {"reconnection_delay": 0.5, "reconnection_delay_max": 2, "randomization_factor": 0.5}


class ScreenClient:
    """A screen as screen.js is one: ``hello`` on every (re)connect, then ``state`` events."""

    def __init__(self, url: str, name: str = "lobby") -> None:
        self.name = name
        self.states: list[tuple[float, dict[str, Any]]] = []
        self.lock = threading.Lock()
        self.sio = socketio.Client(reconnection=True, **RETRY)
        self.sio.on("connect", self._hello, namespace="/screens")
        self.sio.on("state", self._state, namespace="/screens")
        self.sio.connect(url, namespaces=["/screens"], transports=["websocket"],
                         wait_timeout=10)

    def _hello(self) -> None:
        seen = self.latest()
        self.sio.emit("hello", {"name": self.name,
                                "version_seen": seen["version"] if seen else None},
                      namespace="/screens")

    def _state(self, state: dict[str, Any]) -> None:
        with self.lock:
            self.states.append((time.monotonic(), state))

    def latest(self) -> dict[str, Any] | None:
        with self.lock:
            return self.states[-1][1] if self.states else None

    def first_since(self, moment: float, version: int) -> float | None:
        """When the first state at least as new as ``version`` came after ``moment``."""
        with self.lock:
            return next((at for at, state in self.states
                         if at >= moment and state["version"] >= version), None)


def _ticker_changed() -> int:
    """An editor's change while the server is away (another process); the new version."""
    row = TickerItem(text=NEWS, position=-1)
    db.session.add(row)
    db.session.commit()
    screens_changed.send(None, kind="ticker", ids=[row.id])
    return int(db.session.execute(db.text("SELECT value FROM screen_version")).scalar_one())


def _ticker_text(state: dict[str, Any]) -> str:
    return " ".join(str(item.get("text", "")) for item in state.get("ticker") or [])


def test_every_screen_resyncs_within_5_s_of_a_restart(
        site: Site, launcher: Launcher, browser: Any) -> None:
    site.seed(seed_screens)
    server = Server(site, launcher)
    clients: list[ScreenClient] = []
    with running(server):
        # bypass_csp: the page forbids eval, which Playwright's wait_for_function uses
        context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="zh-CN",
                                      bypass_csp=True)
        try:
            clients += [ScreenClient(server.url) for _ in range(CLIENTS)]
            page = context.new_page()
            page.goto(f"{server.url}/screens/lobby")
            page.wait_for_function("window.gongkaiScreen.connected()", timeout=15000)
            wait_until(lambda: all(c.latest() for c in clients), timeout=15,
                       what="every client's first state")
            before = max(c.latest()["version"] for c in clients)  # type: ignore[index]

            server.kill()
            wait_until(lambda: not any(c.sio.connected for c in clients), timeout=10,
                       what="every client noticed")
            page.wait_for_function("!window.gongkaiScreen.connected()", timeout=10000)
            version = site.seed(_ticker_changed)
            assert version > before

            accepting = server.start()
            page.wait_for_function(
                "v => window.gongkaiScreen.connected() && window.gongkaiScreen.state()"
                " && window.gongkaiScreen.state().version >= v"
                " && document.getElementById('ticker-track').textContent.indexOf("
                f"'{NEWS}') >= 0", arg=version, timeout=(RESYNC_SECONDS + 5) * 1000,
                polling=50)
            browser_back = time.monotonic() - accepting
            wait_until(lambda: all(c.first_since(accepting, version) for c in clients),
                       timeout=RESYNC_SECONDS + 5, what="every client's new state")
            delays = sorted(c.first_since(accepting, version) - accepting  # type: ignore[operator]
                            for c in clients)
            print(f"resynced after the server accepted: clients {delays[0]:.2f}–"
                  f"{delays[-1]:.2f} s, browser {browser_back:.2f} s")
            assert delays[-1] <= RESYNC_SECONDS and browser_back <= RESYNC_SECONDS
            for client in clients:
                assert NEWS in _ticker_text(client.latest() or {})
        finally:
            context.close()
            server.stop()  # first: a client closing on a live server waits for its goodbye
            closing = [threading.Thread(target=c.sio.shutdown) for c in clients]
            for thread in closing:
                thread.start()
            for thread in closing:
                thread.join(10)
