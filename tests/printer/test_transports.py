"""Transports on real sockets: the virtual printer, a silent printer, a closed port."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from printer.decode import decode
from printer.emulator import VirtualPrinter
from printer.escpos import slip_bytes
from printer.status import Paper, Status, parse, reply
from printer.transports import (
    TRANSPORTS,
    DummyTransport,
    FileTransport,
    NetworkTransport,
    PrinterError,
    SerialTransport,
    UsbTransport,
    make_transport,
)
from tests.printer.support import TICKET_QR, profile, ticket

TIMEOUT = 0.5


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel does) but never reads nor answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_network_job_reaches_the_virtual_printer(virtual_printer: VirtualPrinter) -> None:
    transport = make_transport({"transport": "network", "host": "127.0.0.1",
                                "port": virtual_printer.port, "timeout": 2})
    assert transport.status() == Status(online=True, paper="ok", cover_open=False)
    data = slip_bytes(ticket(), profile(58, "text"))
    transport.send(data)
    [slip] = virtual_printer.wait_for(1)
    assert "A023" in slip.text and "您前面还有 3 人等候" in slip.text
    assert slip.qr_payloads == (TICKET_QR,)
    assert slip.decoded.text == decode(data).text
    assert slip.png.startswith(b"\x89PNG")


def test_paper_out_cover_open_and_near_end(virtual_printer: VirtualPrinter) -> None:
    transport = NetworkTransport("127.0.0.1", virtual_printer.port, timeout=2)
    virtual_printer.state.paper = "out"
    state = transport.status()
    assert state.paper == "out" and state.online is False and not state.ready
    with pytest.raises(PrinterError, match="paper out"):
        transport.send(slip_bytes(ticket(), profile(58, "text")))
    virtual_printer.state.paper = "near_end"
    state = transport.status()
    assert state.paper == "near_end" and state.ready
    virtual_printer.state.paper = "ok"
    virtual_printer.state.cover_open = True
    state = transport.status()
    assert state.cover_open is True and state.problem == "cover open"
    with pytest.raises(PrinterError, match="cover open"):
        transport.send(b"\x1b@")
    virtual_printer.state.cover_open = False
    transport.send(slip_bytes(ticket(), profile(58, "text")))
    assert len(virtual_printer.wait_for(1)) == 1
    assert virtual_printer.dropped == 0


def test_silent_printer_status_times_out(silent_port: int) -> None:
    transport = NetworkTransport("127.0.0.1", silent_port, timeout=TIMEOUT)
    started = time.monotonic()
    state = transport.status()
    elapsed = time.monotonic() - started
    assert state.online is None and state.paper == "unknown"
    assert "no answer" in state.error
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + 0.5, elapsed


def test_silent_printer_send_fails_within_the_timeout(silent_port: int) -> None:
    transport = NetworkTransport("127.0.0.1", silent_port, timeout=TIMEOUT)
    started = time.monotonic()
    with pytest.raises(PrinterError, match="no answer"):
        transport.send(b"\x1b@hello\n")
    assert time.monotonic() - started < TIMEOUT + 0.5


def test_send_to_a_printer_that_never_reads_times_out(silent_port: int) -> None:
    transport = NetworkTransport("127.0.0.1", silent_port, timeout=TIMEOUT, check_status=False)
    started = time.monotonic()
    with pytest.raises(PrinterError, match="timed out"):
        transport.send(b"\0" * (64 << 20))  # more than the socket buffers hold
    elapsed = time.monotonic() - started
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + 1.0, elapsed


def test_closed_port_fails_fast(closed_port: int) -> None:
    transport = NetworkTransport("127.0.0.1", closed_port, timeout=TIMEOUT)
    started = time.monotonic()
    state = transport.status()
    assert state.online is False and "cannot connect" in state.error
    with pytest.raises(PrinterError, match="cannot connect"):
        transport.send(b"x")
    assert time.monotonic() - started < 2 * TIMEOUT


def test_serial_transport_over_a_socket_url(virtual_printer: VirtualPrinter) -> None:
    transport = SerialTransport(f"socket://127.0.0.1:{virtual_printer.port}", timeout=2)
    try:
        assert transport.status().ready
        virtual_printer.state.paper = "out"
        assert transport.status().paper == "out"
        virtual_printer.state.paper = "ok"
        transport.send(slip_bytes(ticket(), profile(58, "text")))
    finally:
        transport.close()
    [slip] = virtual_printer.wait_for(1)
    assert "A023" in slip.text


def test_serial_without_answers_and_missing_port() -> None:
    loop = SerialTransport("loop://", timeout=TIMEOUT)  # echoes the queries back
    started = time.monotonic()
    state = loop.status()
    assert state.online is None and "no answer" in state.error
    assert time.monotonic() - started < TIMEOUT + 0.5
    loop.close()
    missing = SerialTransport("/dev/ttyGONGKAI-NONE", timeout=TIMEOUT)
    assert missing.status().online is False
    with pytest.raises(PrinterError, match="cannot open"):
        missing.send(b"x")


def test_usb_without_the_device() -> None:
    transport = make_transport({"transport": "usb", "vendor_id": "0x0416",
                                "product_id": "0x5011"})
    assert isinstance(transport, UsbTransport) and transport.name == "0416:5011"
    state = transport.status()
    assert state.online is False and "0416:5011" in state.error
    with pytest.raises(PrinterError):
        transport.send(b"x")


def test_file_transport_appends(tmp_path: Path) -> None:
    target = tmp_path / "lp0"
    transport = make_transport({"transport": "file", "path": str(target)})
    transport.send(b"one")
    transport.send(b"two")
    assert target.read_bytes() == b"onetwo"
    assert transport.status() == Status()
    gone = FileTransport("/dev/usb/gongkai-missing-lp9")
    assert gone.status().online is False
    with pytest.raises(PrinterError, match="cannot write"):
        FileTransport(tmp_path / "no" / "dir").send(b"x")


def test_dummy_transport_keeps_or_fails() -> None:
    dummy = make_transport({"transport": "dummy"})
    assert isinstance(dummy, DummyTransport)
    dummy.send(b"a")
    dummy.send(b"b")
    assert dummy.jobs == [b"a", b"b"] and dummy.status().ready
    failing = DummyTransport.from_config({"fail": "paper out"})
    with pytest.raises(PrinterError, match="paper out"):
        failing.send(b"a")
    assert failing.status().problem == "paper out"


def test_config_errors_are_clear() -> None:
    assert set(TRANSPORTS) == {"network", "usb", "serial", "file", "dummy"}
    with pytest.raises(ValueError, match="transport must be one of"):
        make_transport({"transport": "bluetooth"})
    with pytest.raises(ValueError, match="needs a host"):
        make_transport({"transport": "network"})
    with pytest.raises(ValueError, match="port must be a whole number"):
        make_transport({"transport": "network", "host": "h", "port": "nine"})
    with pytest.raises(ValueError, match="timeout must be more than 0"):
        make_transport({"transport": "network", "host": "h", "timeout": 0})
    with pytest.raises(ValueError, match="vendor_id and product_id"):
        make_transport({"transport": "usb"})
    network = make_transport({"transport": "network", "host": "10.0.0.9", "port": "9101",
                              "check_status": "false"})
    assert isinstance(network, NetworkTransport)
    assert (network.port, network.timeout, network.check_status) == (9101, 3.0, False)


def test_status_bytes_both_ways() -> None:
    papers: tuple[Paper, ...] = ("ok", "near_end", "out")
    for paper in papers:
        for cover in (False, True):
            replies = {n: reply(n, paper=paper, cover_open=cover)[0] for n in (1, 2, 3, 4)}
            state = parse(replies)
            assert state.paper == paper and state.cover_open is cover
            assert state.online is (paper != "out" and not cover)
    assert parse({}).error and parse({1: 0x12}).paper == "unknown"
    assert parse({n: reply(n, error="cutter error")[0] for n in (1, 2, 3, 4)}).error == \
        "cutter error"
