"""The virtual printer: files per slip, the latest slips, jobs split at cuts, its CLI."""

from __future__ import annotations

import io
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from printer.emulator import VirtualPrinter
from printer.escpos import slip_bytes
from printer.status import QUERY_BYTES
from printer.transports import NetworkTransport
from tests.printer.support import POLICY_QR, TICKET_QR, policy, profile, ticket

ROOT = Path(__file__).resolve().parents[2]


def _raw(port: int, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
        conn.sendall(data)


def test_writes_png_and_text_per_slip(tmp_path: Path) -> None:
    (tmp_path / "7.png").write_bytes(b"old")  # numbering continues after what is there
    with VirtualPrinter(out_dir=tmp_path, width_dots=384) as printer:
        NetworkTransport("127.0.0.1", printer.port, timeout=2).send(
            slip_bytes(ticket(), profile(58, "text")))
        printer.wait_for(1)
    text = (tmp_path / "8.txt").read_text(encoding="utf-8")
    assert "A023" in text and f"[QR] {TICKET_QR}" in text and text.rstrip().endswith("[cut]")
    with Image.open(tmp_path / "8.png") as image:
        assert image.width == 384 and image.height > 400


def test_one_connection_two_jobs_and_a_job_without_cut(virtual_printer: VirtualPrinter) -> None:
    two = slip_bytes(ticket(), profile(58, "text")) + slip_bytes(policy(), profile(58, "raster"))
    _raw(virtual_printer.port, two)
    virtual_printer.wait_for(2)
    _raw(virtual_printer.port, b"\x1b@\x1c&" + "没有切纸的一行".encode("gb18030") + b"\n")
    newest, second, first = virtual_printer.wait_for(3)
    assert first.qr_payloads == (TICKET_QR,)
    assert second.qr_payloads == () and "[image 384x" in second.text  # raster QR is an image
    assert newest.text.strip() == "没有切纸的一行"
    assert [s.number for s in virtual_printer.latest()] == [3, 2, 1]
    with Image.open(io.BytesIO(second.png)) as png:
        assert png.width == 384
    assert POLICY_QR not in newest.text


def test_status_only_connection_prints_nothing(virtual_printer: VirtualPrinter) -> None:
    with socket.create_connection(("127.0.0.1", virtual_printer.port), timeout=2) as conn:
        conn.sendall(QUERY_BYTES)
        replies = b""
        while len(replies) < 4:
            replies += conn.recv(4)
    assert replies == b"\x12\x12\x12\x12"
    time.sleep(0.2)
    assert virtual_printer.latest() == []


def test_keeps_only_the_latest(tmp_path: Path) -> None:
    with VirtualPrinter(keep=2, width_dots=384) as printer:
        for _ in range(3):
            _raw(printer.port, slip_bytes(ticket(), profile(58, "text")))
        printer.wait_for(3)
        assert [s.number for s in printer.latest()] == [3, 2]


def test_cannot_print_drops_the_job(virtual_printer: VirtualPrinter) -> None:
    virtual_printer.state.cover_open = True
    _raw(virtual_printer.port, slip_bytes(ticket(), profile(58, "text")))
    deadline = time.monotonic() + 3
    while virtual_printer.dropped == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert virtual_printer.dropped == 1 and virtual_printer.latest() == []


def test_command_line(tmp_path: Path) -> None:
    out = tmp_path / "slips"
    command = [sys.executable, "-m", "printer.emulator", "--port", "0", "--out", str(out),
               "--width", "58"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True,
                          env=env) as process:
        try:
            assert process.stderr is not None
            ready, _, _ = select.select([process.stderr], [], [], 10)
            assert ready, "the emulator said nothing within 10 s"
            line = process.stderr.readline()
            match = re.search(r"on 127\.0\.0\.1:(\d+), 58 mm", line)
            assert match, line
            NetworkTransport("127.0.0.1", int(match.group(1)), timeout=2).send(
                slip_bytes(ticket(), profile(58, "text")))
            deadline = time.monotonic() + 5
            while not (out / "1.txt").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert "A023" in (out / "1.txt").read_text(encoding="utf-8")
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=5)
    assert process.returncode == 0
