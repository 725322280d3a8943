"""screens.wire on a real port: frames, direct writes to websocket clients, the per-client
backlog and its limit, the shared ping clock, a server-side close.

Clients are python-socketio clients (websocket only, or polling first) and a hand-made
websocket client (wsproto) that reads only when the test says so, to play a slow TV."""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import simple_websocket.ws
import socketio
from engineio.socket import Socket as EngineIOSocket
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    Request,
    TextMessage,
)
from wsproto.frame_protocol import FrameProtocol, Opcode

from hall.extensions import socketio as flask_socketio
from screens import events, wire
from screens.push import NAMESPACE, screen_room

from ..conftest import LiveServer
from .support import screen_with

WAIT = 5.0
ROOM = screen_room("lobby")


def _until(check: Callable[[], Any], timeout: float = WAIT, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        time.sleep(0.01)


def _eio() -> Any:
    """The live app's engineio server (one per app: ``init_app`` makes a new one)."""
    return flask_socketio.server.eio


def _closed(eio_sid: str) -> bool:
    """Whether engineio has closed that client (its service task forgets closed ones; with
    Werkzeug nothing else does, so a closed socket may stay listed a while)."""
    sock = _eio().sockets.get(eio_sid)
    return sock is None or bool(sock.closed)


# --- clients --------------------------------------------------------------------------------


class Listener:
    """A python-socketio client that says hello as screen "lobby" (so it joins the screen's
    room) and keeps the ``n`` events it receives, in order."""

    def __init__(self, url: str, transports: list[str] | None = None) -> None:
        self.sio = socketio.Client(reconnection=False)
        self.got: list[dict[str, Any]] = []
        self.states: queue.Queue[dict[str, Any]] = queue.Queue()
        self.gone = threading.Event()
        self.sio.on("n", self.got.append, namespace=NAMESPACE)
        self.sio.on("state", self.states.put, namespace=NAMESPACE)
        self.sio.on("disconnect", lambda *reason: self.gone.set(), namespace=NAMESPACE)
        self.sio.connect(url, namespaces=[NAMESPACE], wait_timeout=WAIT,
                         transports=transports or ["websocket"])
        self.sio.emit("hello", {"name": "lobby", "version_seen": 0}, namespace=NAMESPACE)
        self.states.get(timeout=WAIT)  # one event received: the state

    @property
    def eio_socket(self) -> Any:
        return _eio().sockets[self.sio.eio.sid]

    def close(self) -> None:
        """Closed by the server: a client-side ``disconnect()`` waits 3 s for the close frame
        that its own read loop takes (websocket-client), with or without wire."""
        server_side = _eio().sockets.get(self.sio.eio.sid)
        if self.sio.connected and server_side is not None:
            server_side.close(wait=False)  # (wait=True joins the queue: a hang if wire breaks)
            self.gone.wait(2)
        if self.sio.connected:
            self.sio.disconnect()


class RawClient:
    """A websocket client by hand (wsproto) that reads only when asked: Engine.IO packets in
    and out, nothing answered unless the test answers."""

    def __init__(self, url: str, rcvbuf: int | None = None) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:  # before connect: the window the server sees stays this small
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(WAIT)
        self.sock.connect((host, int(port)))
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.packets: list[str | bytes] = []
        self.closed_by_server = False  # a websocket close frame came
        self.eof = False
        self._partial: list[Any] = []
        self.sock.sendall(self.ws.send(Request(
            host=f"{host}:{port}", target="/socket.io/?EIO=4&transport=websocket")))
        accepted = False
        while not accepted:
            data = self.sock.recv(65536)
            assert data, "server closed during the handshake"
            self.ws.receive_data(data)
            for event in self.ws.events():
                if isinstance(event, AcceptConnection):
                    accepted = True
                else:
                    self._event(event)
        opened = self.next_packet()
        assert isinstance(opened, str) and opened.startswith("0"), opened
        self.eio_sid: str = json.loads(opened[1:])["sid"]
        self.sid = ""

    def _event(self, event: Any) -> None:
        if isinstance(event, TextMessage):
            self._partial.append(event.data)
            if event.message_finished:
                self.packets.append("".join(str(part) for part in self._partial))
                self._partial = []
        elif isinstance(event, BytesMessage):
            self._partial.append(bytes(event.data))
            if event.message_finished:
                self.packets.append(b"".join(bytes(part) for part in self._partial))
                self._partial = []
        elif isinstance(event, CloseConnection):
            self.closed_by_server = True
            try:
                self.sock.sendall(self.ws.send(event.response()))
            except OSError:
                pass
        elif isinstance(event, Ping):
            self.sock.sendall(self.ws.send(event.response()))

    def pump(self, timeout: float) -> bool:
        """Read once (up to ``timeout``); False at end of stream."""
        if self.eof:
            return False
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(262144)
        except TimeoutError:
            return True
        except OSError:
            data = b""
        if not data:
            self.eof = True
            return False
        self.ws.receive_data(data)
        for event in self.ws.events():
            self._event(event)
        return True

    def next_packet(self, timeout: float = WAIT) -> str | bytes | None:
        """The next Engine.IO packet, or None when the server closed first."""
        deadline = time.monotonic() + timeout
        while not self.packets:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no packet within {timeout} s")
            if self.closed_by_server or not self.pump(left):
                return None
        return self.packets.pop(0)

    def send(self, text: str) -> None:
        self.sock.sendall(self.ws.send(TextMessage(data=text)))

    def join(self) -> None:
        """Connect to the screens namespace and say hello as "lobby" (joins its room)."""
        self.send(f"40{NAMESPACE},")
        reply = self.next_packet()
        assert isinstance(reply, str) and reply.startswith(f"40{NAMESPACE},"), reply
        self.sid = json.loads(reply.split(",", 1)[1])["sid"]
        self.send(f'42{NAMESPACE},["hello",{{"name":"lobby","version_seen":0}}]')
        state = self.next_packet()
        assert isinstance(state, str) and state.startswith(f'42{NAMESPACE},["state"'), state

    def events_named(self, name: str) -> list[Any]:
        """The payloads of the ``name`` events received so far (other packets are dropped)."""
        prefix = f'42{NAMESPACE},["{name}",'
        found = [json.loads(p.split(",", 1)[1])[1] for p in self.packets
                 if isinstance(p, str) and p.startswith(prefix)]
        self.packets.clear()
        return found

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


@pytest.fixture
def lobby(app: Any) -> None:
    screen_with([])


@pytest.fixture
def clients(live_server: LiveServer, lobby: None) -> Iterator[Callable[..., Listener]]:
    made: list[Listener] = []

    def _make(transports: list[str] | None = None) -> Listener:
        made.append(Listener(live_server.url, transports))
        return made[-1]

    yield _make
    for client in made:
        client.close()


@pytest.fixture
def raw(live_server: LiveServer, lobby: None) -> Iterator[Callable[..., RawClient]]:
    made: list[RawClient] = []

    def _make(rcvbuf: int | None = None) -> RawClient:
        made.append(RawClient(live_server.url, rcvbuf))
        return made[-1]

    yield _make
    for client in made:
        client.close()


def _emit(data: dict[str, Any], to: str = ROOM) -> float:
    """Emit an ``n`` event the way screens.push does; the seconds the call took."""
    start = time.perf_counter()
    flask_socketio.emit("n", data, to=to, namespace=NAMESPACE)
    return time.perf_counter() - start


# --- 1. frames --------------------------------------------------------------------------------


@pytest.mark.parametrize("size, length_byte, header", [(5, 5, 2), (200, 126, 4),
                                                       (70_000, 127, 10)])
def test_frame_is_one_unmasked_text_frame_with_the_right_length_field(
        size: int, length_byte: int, header: int) -> None:
    text = "𠮷" + "政务公开𠮷" * ((size - 4) // 16) + "x" * ((size - 4) % 16)
    assert len(text.encode()) == size

    built = wire.frame(text)

    assert built[0] == 0x81  # FIN, text
    assert built[1] == length_byte  # mask bit clear: a server frame
    assert len(built) == header + size
    protocol = FrameProtocol(client=True, extensions=[])
    protocol.receive_bytes(built)
    frames = list(protocol.received_frames())
    assert len(frames) == 1
    assert frames[0].opcode is Opcode.TEXT and frames[0].message_finished
    assert frames[0].payload == text


def test_frame_of_bytes_is_binary_and_packet_frame_is_built_once() -> None:
    data = bytes(range(256)) * 3
    protocol = FrameProtocol(client=True, extensions=[])
    protocol.receive_bytes(wire.frame(data))
    (got,) = list(protocol.received_frames())
    assert got.opcode is Opcode.BINARY and got.payload == data

    from engineio import packet as eio_packet

    pkt = eio_packet.Packet(eio_packet.MESSAGE, '2/screens,["n",{"中文":"𠮷"}]')
    first = wire.packet_frame(pkt)
    assert wire.packet_frame(pkt) is first  # the same bytes for every client of a room
    protocol.receive_bytes(first)
    (got,) = list(protocol.received_frames())
    assert got.payload == '42/screens,["n",{"中文":"𠮷"}]'


# --- 2. direct mode, threads ------------------------------------------------------------------


def _server_threads() -> Counter[str]:
    """Live server-side threads of the websocket path, by what they run.

    ``threading.active_count()`` before/after is not honest here: the python-socketio clients
    run in this process too and start their own threads (engineio client read and write
    loops), so the count mixes both ends. Each thread keeps its target until it ends, so the
    server's threads are counted by target instead."""
    kinds: Counter[str] = Counter()
    for thread in threading.enumerate():
        target = getattr(thread, "_target", None)
        func = getattr(target, "__func__", target)
        name = f"{getattr(func, '__module__', '')}.{getattr(func, '__qualname__', '')}"
        if name == "engineio.socket.Socket._websocket_handler.<locals>.writer":
            kinds["engineio writer"] += 1
        elif func is EngineIOSocket._send_ping:
            kinds["engineio ping"] += 1
        elif func is simple_websocket.ws.Base._thread:
            kinds["websocket reader"] += 1
        elif name == "socketserver.ThreadingMixIn.process_request_thread":
            kinds["request"] += 1
    return kinds


def test_direct_mode_engages_for_websocket_clients_with_one_thread_each(
        clients: Callable[..., Listener]) -> None:
    before = _server_threads()
    five = [clients() for _ in range(5)]  # each has received its state event

    for client in five:
        sock = client.eio_socket
        assert isinstance(sock.queue, wire.DirectQueue)
        assert isinstance(sock.queue.direct, wire.DirectWebSocket)
        assert sock.queue.direct.outbox is not None
    # The writer ends once it has written the handshake packets (its queue's get answers
    # None); it may still be returning from its last send when the state arrives.
    _until(lambda: _server_threads()["engineio writer"] == before["engineio writer"],
           what="engineio writer threads ended")
    after = _server_threads()
    grown = {kind: after[kind] - before[kind] for kind in
             ("request", "websocket reader", "engineio writer", "engineio ping")}
    # Per client: the Werkzeug request thread, which reads the client's messages itself.
    # Without wire, also simple-websocket's reader, engineio's writer and a thread asleep
    # until the next ping.
    assert grown == {"request": 5, "websocket reader": 0, "engineio writer": 0,
                     "engineio ping": 0}, grown
    assert sum(grown.values()) / len(five) == 1

    # Direct writes reach them all.
    _emit({"i": 1, "text": "大厅𠮷"})
    _until(lambda: all(c.got for c in five), what="event at every client")
    assert all(c.got == [{"i": 1, "text": "大厅𠮷"}] for c in five)


def test_a_polling_first_client_keeps_engineios_path(clients: Callable[..., Listener]) -> None:
    client = clients(["polling", "websocket"])
    _until(lambda: client.sio.transport() == "websocket" and client.eio_socket.upgraded,
           what="upgrade to websocket")
    sock = client.eio_socket
    assert sock.queue.direct is None and sock.queue.ready is None
    _emit({"i": 1})
    _emit({"i": 2})
    _until(lambda: len(client.got) == 2, what="two events")
    assert [e["i"] for e in client.got] == [1, 2]
    client.sio.emit("hello", {"name": "lobby", "version_seen": 0}, namespace=NAMESPACE)
    assert client.states.get(timeout=WAIT)["screen"]["name"] == "lobby"  # it emits, too
    assert sock.queue.direct is None


# --- 3. order and completeness ----------------------------------------------------------------


def test_two_emitting_threads_reach_five_clients_complete_and_in_order(
        raw: Callable[..., RawClient]) -> None:
    # Raw clients read the wire in order; python-socketio's client runs each event's handler
    # in a thread of its own, so the order its handlers append in is not the wire's.
    five = [raw() for _ in range(5)]
    for client in five:
        client.join()
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def emitter(thread: int) -> None:
        try:
            start.wait(WAIT)
            for i in range(500):
                _emit({"t": thread, "i": i, "text": f"第{i}号𠮷"})
        except BaseException as exc:  # noqa: BLE001  (reported below)
            failures.append(exc)

    threads = [threading.Thread(target=emitter, args=(t,)) for t in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures, failures
    for client in five:
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + 15
        while len(got) < 1000 and time.monotonic() < deadline and client.pump(0.5):
            got += client.events_named("n")
        assert len(got) == 1000
        for source in (0, 1):
            mine = [e for e in got if e["t"] == source]
            assert [e["i"] for e in mine] == list(range(500))
            assert all(e["text"] == f"第{e['i']}号𠮷" for e in mine)


# --- 4. slow clients --------------------------------------------------------------------------

PAD = "屏" * 1_000 + "x" * 94_000  # about 100 KB as JSON (the text may travel \u-escaped)


def _outbox(eio_sid: str) -> wire.Outbox:
    target = _eio().sockets[eio_sid].queue.direct
    assert target is not None and target.outbox is not None
    return target.outbox  # type: ignore[no-any-return]


def test_a_slow_client_past_the_backlog_limit_is_dropped_without_slowing_anyone(
        clients: Callable[..., Listener], raw: Callable[..., RawClient],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "MAX_BACKLOG", 256 * 1024)
    slow = raw(rcvbuf=16 * 1024)
    slow.join()
    _until(lambda: _eio().sockets[slow.eio_sid].queue.direct is not None, what="direct mode")
    outbox = _outbox(slow.eio_sid)
    normal = clients()
    server_socket = _eio().sockets[slow.eio_sid]
    assert slow.sid in events._joined  # the hello joined its rooms

    slowest, sent, backlog_seen = 0.0, 0, 0
    while not server_socket.closed and sent < 300:  # the slow client stops reading
        slowest = max(slowest, _emit({"i": sent, "pad": PAD}))
        sent += 1
        backlog_seen = max(backlog_seen, len(outbox.backlog))

        def caught_up(count: int = sent) -> bool:
            return len(normal.got) >= count

        # The normal client reads as it comes: a python-socketio client parses slower than
        # this loop emits, and unpaced it too falls 256 KB behind and is dropped.
        _until(caught_up, what=f"event {sent - 1} at the normal client")

    assert server_socket.closed, f"still connected after {sent} events of ~100 KB"
    assert outbox.closed
    assert backlog_seen > 0  # the kernel buffers were full: it went through the backlog
    assert slowest < 0.5, f"an emit took {slowest:.3f} s"
    _until(lambda: slow.sid not in events._joined, what="disconnect handler")
    _until(lambda: len(normal.got) >= sent, timeout=10, what="every event at the normal client")
    assert [e["i"] for e in normal.got] == list(range(sent))
    assert all(e["pad"] == PAD for e in normal.got)
    assert normal.sio.connected


def test_a_slow_client_under_the_limit_gets_every_event_when_it_reads_again(
        raw: Callable[..., RawClient], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "MAX_BACKLOG", 2 * 1024 * 1024)
    slow = raw(rcvbuf=16 * 1024)
    slow.join()
    _until(lambda: _eio().sockets[slow.eio_sid].queue.direct is not None, what="direct mode")
    outbox = _outbox(slow.eio_sid)

    sent, slowest = 0, 0.0
    while not outbox.backlog and sent < 100:  # fill the kernel buffers first
        slowest = max(slowest, _emit({"i": sent, "pad": PAD}))
        sent += 1
    assert outbox.backlog, f"no backlog after {sent} events"
    for _ in range(5):  # and some more into the backlog (~500 KB, under the limit)
        slowest = max(slowest, _emit({"i": sent, "pad": PAD}))
        sent += 1
    assert 0 < len(outbox.backlog) < wire.MAX_BACKLOG
    assert slowest < 0.5, f"an emit took {slowest:.3f} s"

    got: list[Any] = []
    deadline = time.monotonic() + 10
    while len(got) < sent and time.monotonic() < deadline:  # reading again
        assert slow.pump(1.0), "connection ended"
        got += slow.events_named("n")
    assert [e["i"] for e in got] == list(range(sent))
    assert all(e["pad"] == PAD for e in got)
    assert not outbox.backlog and not outbox.closed  # the flusher wrote it all out
    assert not _eio().sockets[slow.eio_sid].closed


# --- 5. pings ---------------------------------------------------------------------------------

INTERVAL, TIMEOUT = 0.3, 0.5


@pytest.fixture
def short_pings(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pings every 0.3 s, 0.5 s to answer (no config key: set on the app's engineio server,
    restored after; the service task reads ping_timeout each round)."""
    monkeypatch.setattr(_eio(), "ping_interval", INTERVAL)
    monkeypatch.setattr(_eio(), "ping_timeout", TIMEOUT)


def test_pings_keep_an_answering_client_connected(
        short_pings: None, raw: Callable[..., RawClient]) -> None:
    client = raw()
    client.join()
    before = _server_threads()["engineio ping"]
    pings, start = 0, time.monotonic()
    while pings < 4:
        assert time.monotonic() - start < 4 * INTERVAL + 2, f"{pings} pings so far"
        packet = client.next_packet(timeout=2)
        assert packet is not None, f"closed by the server after {pings} pings"
        if packet == "2":
            pings += 1
            client.send("3")
    assert time.monotonic() - start >= 3 * INTERVAL * 0.9  # the clock waited each interval
    assert not _eio().sockets[client.eio_sid].closed
    assert _server_threads()["engineio ping"] == before == 0  # all on the shared clock


def test_a_client_that_never_answers_a_ping_is_dropped(
        short_pings: None, raw: Callable[..., RawClient]) -> None:
    start = time.monotonic()
    client = raw()
    first_ping = None
    while not client.closed_by_server and time.monotonic() - start < INTERVAL + TIMEOUT + 2:
        packet = client.next_packet(timeout=INTERVAL + TIMEOUT + 2)
        if packet == "2" and first_ping is None:
            first_ping = time.monotonic() - start
    dropped = time.monotonic() - start
    assert first_ping is not None and first_ping < INTERVAL + 0.2, first_ping
    assert client.closed_by_server, "no close frame"
    assert INTERVAL + TIMEOUT - 0.05 <= dropped <= INTERVAL + TIMEOUT + 1.0, dropped
    assert _closed(client.eio_sid)


# --- 6. server-side disconnect ----------------------------------------------------------------


def test_a_server_side_disconnect_reaches_a_direct_mode_client(
        clients: Callable[..., Listener]) -> None:
    client = clients()
    assert client.eio_socket.queue.direct is not None
    eio_sid = client.sio.eio.sid
    start = time.monotonic()
    flask_socketio.server.disconnect(client.sio.get_sid(NAMESPACE), namespace=NAMESPACE)
    assert client.gone.wait(2), "no disconnect within 2 s"
    assert time.monotonic() - start < 2
    _until(lambda: _closed(eio_sid), timeout=2, what="engineio socket closed")


def test_closing_the_engineio_socket_closes_the_websocket(raw: Callable[..., RawClient]) -> None:
    client = raw()
    client.join()
    assert _eio().sockets[client.eio_sid].queue.direct is not None
    start = time.monotonic()
    _eio().disconnect(client.eio_sid)
    while not client.closed_by_server and time.monotonic() - start < 2:
        client.next_packet(timeout=2)
    assert client.closed_by_server, "no websocket close frame within 2 s"
    assert time.monotonic() - start < 2
    assert _closed(client.eio_sid)
    # (The TCP connection itself stays open after the close handshake, wire or not: the
    # Werkzeug handler goes on reading it as a keep-alive HTTP connection.)
