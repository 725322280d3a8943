"""Helpers for the tests of printing in the server: printer settings, a silent printer, the
spool worker, waiting for a condition."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

from printer import spool


def network_printer(port: int, **extra: Any) -> dict[str, Any]:
    """Settings of an 80 mm network printer on 127.0.0.1:``port`` (Chinese font, native QR)."""
    return {"transport": "network", "host": "127.0.0.1", "port": port, "width": 80,
            "chinese": "gb18030", "qr": "native", "timeout": 1.0, **extra}


@contextmanager
def silent_printer() -> Iterator[int]:
    """A port that accepts connections and never answers nor reads: a hung printer."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except (TimeoutError, OSError):
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        server.close()


def free_port() -> int:
    """A port nothing listens on (for a printer that is switched off)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_worker(app: Flask) -> Iterator[spool.Spool]:
    """The app's spool worker, stopped (and joined) on the way out."""
    worker = spool.spool_of(app)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, step: float = 0.05,
               what: str = "condition") -> Any:
    """Poll ``condition`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        time.sleep(step)
