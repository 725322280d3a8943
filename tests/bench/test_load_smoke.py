"""bench/load.py end to end, briefly: a real server (its own fresh database: SQLite, or a
PostgreSQL database of its own when the suite runs on PostgreSQL), a virtual printer, five lobby
screens, two kiosks and one window for 8 s; the report must carry every figure and no error."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_load_bench_reports_every_figure_and_no_error() -> None:
    postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql"))
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--duration", "8", "--kiosks", "2",
         "--windows", "1", "--screens", "5", "--db", "pg" if postgres else "sqlite"],
        cwd=ROOT, capture_output=True, text=True, timeout=180)
    report = done.stdout
    assert done.returncode == 0, done.stderr[-3000:]
    assert "PostgreSQL gongkai_load_" in report if postgres else "SQLite" in report
    for heading in ("HTTP, per route", "Lobby events", "Errors", "Server", "The hall"):
        assert f"\n {heading}" in report, report
    # the start screen was measured: count and percentiles, beside the page target
    assert re.search(r"\n  GET /kiosk/ +[1-9]\d* +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +page: target "
                     r"≤ 50 ms \(p95\) (MET|MISSED)", report), report
    assert re.search(r"all pages \(HTML GETs\) +[1-9]", report), report
    # the window called the backlog's first ticket and all five screens heard it
    assert re.search(r"\n  call +5 +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +target ≤ 50 ms \(p99\)",
                     report), report
    assert "deliveries 5/5" in report or re.search(r"deliveries (\d+)/\1;", report), report
    assert re.search(r"errors \(HTTP ≥ 400 but 429, exceptions, disconnects\) +0 +target 0 "
                     r"errors MET", report), report
    assert re.search(r"CPU \(server and its children\) +\d+ %", report), report
    assert re.search(r"RSS total +\d+ MB → +\d+ MB +[+-][\d.]+ % +target ≤ 10 %", report), report
    assert "\n Targets: page p95 " in report
