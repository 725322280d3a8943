"""Websocket writes without a thread hand-off per client (Flask-SocketIO, threading mode).

In threading mode, python-engineio gives every websocket client a queue and a writer thread:
an emit to a room puts the packet on each client's queue, and each client's thread wakes,
takes the GIL, frames the message with wsproto and writes it. With 300 lobby screens one call
wakes 300 threads that queue up behind one GIL; the last screen heard of the call 60–85 ms
after the first (bench/push.py, bench/load.py), most of it thread hand-offs, not bytes.

This module keeps threading mode and simple-websocket (DESIGN.md) and changes only who
writes: once a websocket client's handshake packets are out, a packet sent to it is framed
once per emit (the same bytes serve every client of a room: server frames are not masked)
and written at once by the thread that emits, with a non-blocking send. Nothing blocks on a
slow or vanished client: what its socket cannot take now waits in its own backlog, which one
process-wide flusher thread writes out when the socket drains; a backlog past
``MAX_BACKLOG`` (a TV that is gone without closing) ends that connection.

Every byte for a client goes through its ``Outbox`` in order, simple-websocket's own writes
(pong, close) included, so frames never interleave. Engine.IO's writer thread still exists:
it sends the packets queued before the handshake finished and ends the connection when the
socket closes. Connections that start on long-polling and upgrade keep engineio's own path.

It relies on two seams of python-engineio 4 (the ``queue`` and ``websocket`` entries of the
server's async driver, and the writer's ``poll`` loop); tests/screens/test_wire.py fails if
they change.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import selectors
import socket
import struct
import threading
import time
from typing import Any

from engineio import packet as eio_packet
from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
from engineio.socket import Socket as EngineIOSocket
from wsproto.utilities import LocalProtocolError

log = logging.getLogger(__name__)

#: Bytes a client may fall behind before its connection is ended (a few dozen full states).
MAX_BACKLOG = 4 * 1024 * 1024


def frame(data: str | bytes) -> bytes:
    """One unmasked, unfragmented server frame (RFC 6455 §5.2): text for str, binary else."""
    if isinstance(data, str):
        payload, first = data.encode(), 0x81
    else:
        payload, first = bytes(data), 0x82
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", first, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", first, 126, size)
    else:
        header = struct.pack("!BBQ", first, 127, size)
    return header + payload


def packet_frame(pkt: Any) -> bytes:
    """The frame of an Engine.IO packet, built once however many clients it goes to (one emit
    hands the same packet object to every client of the room)."""
    built = getattr(pkt, "_gongkai_frame", None)
    if built is None:
        built = frame(pkt.encode())
        try:
            pkt._gongkai_frame = built
        except AttributeError:  # a packet class with slots: frame it per client
            pass
    return built


class Outbox:
    """Every byte for one client's socket, in order; ``write`` never blocks."""

    def __init__(self, sock: socket.socket, flusher: Flusher) -> None:
        self.sock = sock
        self.flusher = flusher
        self.lock = threading.Lock()
        self.backlog = bytearray()
        self.closed = False
        self.fd = sock.fileno()
        # A socket with a timeout waits for room before each send, whatever the flags: ask
        # the kernel first then.
        self.poll_first = sock.gettimeout() is not None

    def write(self, data: bytes) -> None:
        with self.lock:
            if self.closed:
                return
            if self.backlog:
                if len(self.backlog) + len(data) > MAX_BACKLOG:
                    self._abort_locked(f"backlog over {MAX_BACKLOG} bytes")
                    return
                self.backlog += data
                return
            sent = self._send_locked(data)
            if sent < len(data) and not self.closed:
                self.backlog += memoryview(data)[sent:]
                self.flusher.watch(self)

    def flush(self) -> bool:
        """Write what the socket takes now; True when nothing is left (or it closed)."""
        with self.lock:
            if self.closed:
                return True
            sent = self._send_locked(self.backlog)
            del self.backlog[:sent]
            return self.closed or not self.backlog

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self.backlog.clear()
        self.flusher.forget(self)

    def _send_locked(self, data: bytes | bytearray) -> int:
        if not data:
            return 0
        try:
            if self.poll_first and not _writable(self.sock):
                return 0
            return self.sock.send(data, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return 0
        except OSError as exc:  # reset, broken pipe: the reader side ends the session
            self._abort_locked(type(exc).__name__)
            return 0

    def _abort_locked(self, why: str) -> None:
        log.info("websocket client dropped: %s", why)
        self.closed = True
        self.backlog.clear()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the reader: engineio closes the session
        except OSError:
            pass


def _writable(sock: socket.socket) -> bool:
    import select

    poller = select.poll()
    poller.register(sock, select.POLLOUT)
    return bool(poller.poll(0))


class Flusher:
    """One thread per process that writes backlogs out as their sockets drain."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ops: list[tuple[bool, Outbox]] = []
        self.thread: threading.Thread | None = None
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)

    def watch(self, outbox: Outbox) -> None:
        self._op(True, outbox)

    def forget(self, outbox: Outbox) -> None:
        self._op(False, outbox)

    def _op(self, add: bool, outbox: Outbox) -> None:
        with self.lock:
            self.ops.append((add, outbox))
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="websocket-flusher",
                                               daemon=True)
                self.thread.start()
        try:
            self.wake_w.send(b"\0")
        except BlockingIOError:  # already awake
            pass

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self.wake_r, selectors.EVENT_READ)
        watched: dict[int, Outbox] = {}
        while True:
            with self.lock:
                ops, self.ops = self.ops, []
            # In order: a closed client's fd may already belong to a new one watched later.
            for add, outbox in ops:
                current = watched.get(outbox.fd)
                if add and current is None and not outbox.closed:
                    try:
                        selector.register(outbox.fd, selectors.EVENT_WRITE)
                    except (OSError, ValueError, KeyError):  # its socket is already gone
                        with outbox.lock:
                            outbox._abort_locked("socket gone before its backlog was written")
                        continue
                    watched[outbox.fd] = outbox
                elif not add and current is outbox:
                    del watched[outbox.fd]
                    try:
                        selector.unregister(outbox.fd)
                    except (KeyError, ValueError, OSError):
                        pass
            for key, _events in selector.select(timeout=5.0):
                if key.fileobj is self.wake_r:
                    try:
                        while self.wake_r.recv(4096):
                            pass
                    except BlockingIOError:
                        pass
                    continue
                outbox = watched.get(key.fd)  # type: ignore[assignment]
                if outbox is not None and outbox.flush():
                    del watched[key.fd]
                    selector.unregister(key.fd)


_flusher = Flusher()


class _OutboxSocket:
    """The socket simple-websocket sees: its sends go through the client's outbox."""

    def __init__(self, sock: socket.socket, outbox: Outbox) -> None:
        self._sock = sock
        self._outbox = outbox

    def send(self, data: bytes, *flags: int) -> int:
        self._outbox.write(bytes(data))
        return len(data)

    def sendall(self, data: bytes, *flags: int) -> None:
        self._outbox.write(bytes(data))

    def close(self) -> None:
        self._outbox.close()
        self._sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _UnstartedReader:
    """Stands in for simple-websocket's reader thread, which is never started: the request
    thread, that waits for the client's messages anyway, reads them itself (``wait``)."""

    def __init__(self, target: Any = None, **kwargs: Any) -> None:
        self.name = "websocket reader (in the request thread)"

    def start(self) -> None:
        pass

    def join(self, timeout: float | None = None) -> None:
        pass

    def is_alive(self) -> bool:
        return False


class DirectWebSocket(SimpleWebSocketWSGI):
    """engineio's simple-websocket wrapper, with every write through an ``Outbox``, reads in
    the request thread and, for a connection that starts as a websocket, its packet queue
    switched to direct writes."""

    outbox: Outbox | None = None
    server_args: dict[str, Any]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        eio_socket: Any = getattr(self.app, "__self__", None)
        for key in ("werkzeug.socket", "gunicorn.socket"):
            if key in environ:
                environ = dict(environ)
                self.outbox = Outbox(environ[key], _flusher)
                environ[key] = _OutboxSocket(environ[key], self.outbox)
                self.server_args = {**self.server_args, "thread_class": _UnstartedReader}
                break
        packets = getattr(eio_socket, "queue", None)
        if self.outbox is not None and isinstance(packets, DirectQueue) \
                and not eio_socket.connected:  # a fresh websocket, not an upgrade
            packets.ready = self
        return super().__call__(environ, start_response)

    direct = False

    def wait(self) -> Any:
        """The client's next message, read here rather than by a thread of its own (what
        simple-websocket's reader thread does, and ``receive``); None once it is closed."""
        ws = getattr(self, "ws", None)
        if self.outbox is None or ws is None:
            return super().wait()
        while not ws.input_buffer and ws.connected:
            try:
                data = self.outbox.sock.recv(ws.receive_bytes)
            except OSError:
                data = b""
            if not data:
                ws.connected = False
                break
            try:
                ws.ws.receive_data(data)
                ws.connected = ws._handle_events()  # answers pings and closes, queues messages
            except LocalProtocolError:
                ws.connected = False
        if ws.input_buffer:
            return ws.input_buffer.pop(0)
        ws.sock.close()  # the outbox and the socket, as the reader thread did when it ended
        return None

    def send_packet(self, pkt: Any) -> None:
        """Write one Engine.IO packet now (from whichever thread sends it)."""
        ws = getattr(self, "ws", None)
        if ws is None or not ws.connected or self.outbox is None:
            return  # closing: engineio's own writer would drop it too
        self.outbox.write(packet_frame(pkt))

    def close(self) -> None:
        # engineio's writer thread closes the websocket when its loop ends; in direct mode
        # its loop ends early on purpose (see DirectQueue.get), and the close comes with the
        # ``None`` that Engine.IO puts on the queue to end the connection.
        if not self.direct:
            super().close()

    def close_now(self) -> None:
        if getattr(self, "ws", None) is not None and self.ws.connected:
            try:
                self.ws.close()
            except Exception:  # already closed from the other side
                log.debug("websocket close", exc_info=True)
        if self.outbox is not None:
            try:  # wake the request thread out of its read: the connection is over
                self.outbox.sock.shutdown(socket.SHUT_RD)
            except OSError:
                pass


class DirectQueue(queue.Queue):  # type: ignore[type-arg]
    """A client's Engine.IO packet queue that, once its websocket is up and everything queued
    before has been written, writes each new packet at once instead of queueing it.

    The switch happens in the writer thread's blocking ``get`` (engineio's ``poll``): only
    there has the writer sent every packet it took, so order is kept. That same ``get`` then
    answers ``None``, which ends the writer thread (one thread less per client); the ``None``
    Engine.IO puts later to end the connection closes the websocket directly.
    """

    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        self.ready: DirectWebSocket | None = None
        self.direct: DirectWebSocket | None = None

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        with self.not_full:
            target = self.direct
            if target is None:
                self._put(item)
                self.unfinished_tasks += 1
                self.not_empty.notify()
                return
        if item is None:
            target.close_now()
        else:
            target.send_packet(item)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        if block:
            with self.mutex:
                if self.direct is None and self.ready is not None and not self._qsize():
                    self.ready.direct = True
                    self.direct = self.ready
                if self.direct is not None:
                    self.unfinished_tasks += 1  # engineio's poll() calls task_done() for it
                    return None
        return super().get(block, timeout)


class PingClock:
    """One thread that sends every client's Engine.IO ping when it is due.

    engineio starts a thread per client and ping cycle that sleeps ``ping_interval`` (25 s)
    and then sends the ping: a thousand screens keep a thousand threads asleep. This clock
    keeps a heap of due times instead and does what the sleeping thread would have done.
    """

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.heap: list[tuple[float, int, Any]] = []
        self.seq = itertools.count()
        self.thread: threading.Thread | None = None

    def schedule(self, eio_socket: Any) -> None:
        due = time.monotonic() + eio_socket.server.ping_interval
        with self.cond:
            heapq.heappush(self.heap, (due, next(self.seq), eio_socket))
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="engineio-pings",
                                               daemon=True)
                self.thread.start()
            self.cond.notify()

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self.heap or self.heap[0][0] > time.monotonic():
                    self.cond.wait(self.heap[0][0] - time.monotonic() if self.heap else None)
                _due, _seq, eio_socket = heapq.heappop(self.heap)
            try:
                # What engineio's Socket._send_ping does once its sleep is over.
                if not eio_socket.closing and not eio_socket.closed:
                    eio_socket.last_ping = time.time()
                    eio_socket.send(eio_packet.Packet(eio_packet.PING))
            except Exception:  # one client's failure must not stop everyone's pings
                log.exception("engineio ping failed")


_pings = PingClock()


class _ScheduledPing:
    """What ``start_background_task`` returns for a ping: started on the shared clock."""

    def __init__(self, eio_socket: Any) -> None:
        self.eio_socket = eio_socket

    def start(self) -> None:
        _pings.schedule(self.eio_socket)

    def join(self, timeout: float | None = None) -> None:
        pass


def background_task(thread_class: Any) -> Any:
    """The ``thread`` entry of the driver: engineio's ping tasks go on the shared clock,
    everything else gets a thread as before."""

    def make(target: Any = None, args: tuple[Any, ...] = (), kwargs: Any = None) -> Any:
        if getattr(target, "__func__", None) is EngineIOSocket._send_ping:
            return _ScheduledPing(target.__self__)
        return thread_class(target=target, args=args, kwargs=kwargs or {})

    return make


def install(eio_server: Any) -> None:
    """Make an engineio server (threading mode) use direct writes for its websocket clients."""
    drivers = getattr(eio_server, "_async", None)
    if isinstance(drivers, dict) and drivers.get("websocket") is DirectWebSocket:
        return
    if not isinstance(drivers, dict) or drivers.get("websocket") is not SimpleWebSocketWSGI:
        log.warning("engineio's threading driver changed; websocket writes stay per thread")
        return
    eio_server._async = {**drivers, "queue": DirectQueue, "websocket": DirectWebSocket,
                         "thread": background_task(drivers["thread"])}
