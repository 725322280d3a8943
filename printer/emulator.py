"""The virtual printer: a raw-TCP (port 9100) ESC/POS printer that draws what it receives.

It answers ``DLE EOT`` status queries from a settable state (paper out, cover open, offline),
decodes each job (a job ends with a cut or when the connection closes), and writes
``<n>.png`` and ``<n>.txt`` (decoded text, ``[QR] payload`` lines) into an output folder,
keeping the latest slips in memory for a staff page. While the state says it cannot print,
received jobs are dropped, as a real printer would not print them.

Run: ``python -m printer.emulator --port 9100 --out DIR``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import re
import signal
import socket
import socketserver
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from printer import status as escpos_status
from printer.decode import Cut, Decoded, Decoder, Element, QrCode, Raster, StatusQuery, TextLine
from printer.preview import png, render_pages
from printer.raster import to_paper
from printer.status import Paper, Status

log = logging.getLogger(__name__)
_NUMBERED = re.compile(r"^(\d+)\.png$")


@dataclass
class PrinterState:
    """What the virtual printer reports and whether it prints."""

    online: bool = True
    paper: Paper = "ok"
    cover_open: bool = False
    error: str = ""

    @property
    def can_print(self) -> bool:
        """True when a received job would come out on paper."""
        return self.online and self.paper != "out" and not self.cover_open and not self.error

    def status(self) -> Status:
        """The state as a :class:`Status`."""
        return Status(online=self.online and self.can_print, paper=self.paper,
                      cover_open=self.cover_open, error=self.error)


@dataclass(frozen=True)
class ReceivedSlip:
    """One job that came out of the virtual printer."""

    number: int
    received_at: dt.datetime
    png: bytes
    text: str
    qr_payloads: tuple[str, ...]
    decoded: Decoded = field(repr=False)


class VirtualPrinter:
    """A threaded TCP server that behaves like a network receipt printer.

    :param out_dir: where ``<n>.png`` / ``<n>.txt`` go (``None``: memory only); numbering
        continues after the highest number already there.
    :param width_dots: paper width it draws on (576 = 80 mm, 384 = 58 mm).
    :param keep: how many recent slips :meth:`latest` returns.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 out_dir: str | Path | None = None, width_dots: int = 576,
                 keep: int = 20) -> None:
        self.state = PrinterState()
        self.width_dots = width_dots
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.dropped = 0
        self._slips: deque[ReceivedSlip] = deque(maxlen=keep)
        self._lock = threading.Condition()
        self._count = self._highest_number()
        self._received = 0
        self._thread: threading.Thread | None = None
        self._server = _Server((host, port), _Handler)
        self._server.printer = self

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` it listens on (the real port when 0 was asked)."""
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def port(self) -> int:
        """The port it listens on."""
        return self.address[1]

    def start(self) -> VirtualPrinter:
        """Serve in a background thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever,
                                            kwargs={"poll_interval": 0.1},
                                            name="virtual-printer", daemon=True)
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until :meth:`stop` (from another thread) or Ctrl-C."""
        self._server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        """Stop listening and close open connections."""
        self._server.stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> VirtualPrinter:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    # -- slips -------------------------------------------------------------------------

    def latest(self) -> list[ReceivedSlip]:
        """The slips kept in memory, newest first."""
        with self._lock:
            return list(reversed(self._slips))

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedSlip]:
        """Wait until at least ``count`` slips came out since start; return them newest
        first (fewer if the timeout passed)."""
        with self._lock:
            self._lock.wait_for(lambda: self._received >= count, timeout=timeout)
            return list(reversed(self._slips))

    def _highest_number(self) -> int:
        if self.out_dir is None or not self.out_dir.is_dir():
            return 0
        numbers = [int(m.group(1)) for p in self.out_dir.iterdir()
                   if (m := _NUMBERED.match(p.name))]
        return max(numbers, default=0)

    def _job(self, elements: list[Element]) -> None:
        """A finished job: draw it, write it, keep it (or drop it if it cannot print)."""
        decoded = Decoded(tuple(e for e in elements if not isinstance(e, StatusQuery)))
        if not any(isinstance(e, TextLine | Raster | QrCode | Cut) for e in decoded.elements):
            return
        if not self.state.can_print:
            self.dropped += 1
            log.info("virtual printer cannot print (%s): job dropped",
                     self.state.status().problem)
            return
        pages = render_pages(decoded.elements, self.width_dots)
        image = to_paper(pages[0]) if pages else None
        data = png(image) if image is not None else b""
        with self._lock:
            self._count += 1
            slip = ReceivedSlip(
                number=self._count, received_at=dt.datetime.now(dt.UTC), png=data,
                text=decoded.describe(), qr_payloads=tuple(q.text for q in decoded.qr_codes),
                decoded=decoded)
            if self.out_dir is not None:
                self.out_dir.mkdir(parents=True, exist_ok=True)
                (self.out_dir / f"{slip.number}.png").write_bytes(slip.png)
                (self.out_dir / f"{slip.number}.txt").write_text(slip.text, encoding="utf-8")
            self._slips.append(slip)
            self._received += 1
            self._lock.notify_all()
        log.info("virtual printer: slip %d (%d bytes of PNG)", slip.number, len(data))


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    printer: VirtualPrinter

    def __init__(self, address: tuple[str, int],
                 handler: type[socketserver.BaseRequestHandler]) -> None:
        self.stopping = threading.Event()
        super().__init__(address, handler)


class _Handler(socketserver.BaseRequestHandler):
    """One connection: decode, answer status queries, split jobs at cuts."""

    server: _Server

    def handle(self) -> None:
        printer = self.server.printer
        conn: socket.socket = self.request
        conn.settimeout(0.2)
        decoder = Decoder()
        pending: list[Element] = []
        while not self.server.stopping.is_set():
            try:
                data = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            for element in decoder.feed(data):
                if isinstance(element, StatusQuery):
                    self._answer(conn, element.n)
                    continue
                pending.append(element)
                if isinstance(element, Cut):
                    printer._job(pending)
                    pending = []
        pending += [e for e in decoder.close() if not isinstance(e, StatusQuery)]
        if pending:
            printer._job(pending)

    def _answer(self, conn: socket.socket, n: int) -> None:
        state = self.server.printer.state
        try:
            conn.sendall(escpos_status.reply(n, online=state.online, paper=state.paper,
                                             cover_open=state.cover_open, error=state.error))
        except OSError:
            pass


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: listen and write slips until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m printer.emulator",
        description="A virtual ESC/POS network printer: writes each slip as PNG and text.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=9100, help="TCP port (0: any free port)")
    parser.add_argument("--out", required=True, help="folder for <n>.png and <n>.txt")
    parser.add_argument("--width", type=int, choices=(58, 80), default=80,
                        help="paper width in mm")
    parser.add_argument("--paper-out", action="store_true", help="report paper out")
    args = parser.parse_args(argv)
    # Stop on Ctrl-C and on SIGTERM (systemd, a test) even when started from a script's
    # background job, which inherits SIGINT as ignored and so would never stop on it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    logging.basicConfig(level=logging.INFO, format="%(message)s", force=True)
    printer = VirtualPrinter(args.host, args.port, args.out,
                             width_dots=384 if args.width == 58 else 576)
    if args.paper_out:
        printer.state.paper = "out"
    host, port = printer.address
    log.info("virtual printer on %s:%d, %d mm paper, slips in %s", host, port, args.width,
             args.out)
    try:
        printer.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        printer.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
