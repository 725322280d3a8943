"""Screens push benchmark: N screen clients, publish→received latency, server CPU and RSS,
idle traffic per screen.

Run: ``.venv/bin/python bench/push.py [--clients 300] [--publishes 50] [--idle-seconds 60]``
(``--clients 1000`` for the large figure; ``--message-queue redis://127.0.0.1:6379/0`` to go
through Redis; ``--deflate`` to have the clients offer permessage-deflate as browsers do, which
the server declines: see ``screens/push.py``). Three kinds of process:

- the server: the app on a fresh SQLite database (or ``--database``), migrated and seeded with
  the demo (screens ``lobby`` and ``lobby-portrait``), served exactly as ``gongkai run`` serves:
  ``hall.cli.serve`` (the ``on_serve`` hooks, start-up objects frozen out of the garbage
  collector, then Werkzeug's threaded server, which carries the websockets). Like ``gongkai
  serve``, it accepts the websocket transport only; the virtual printer is off. Each line on
  its standard input is one publish: it sets the first ticker line to ``bench-publish-<n>``,
  commits and sends ``screens_changed``, so the real path runs (version bump, full state per
  screen, emit to each screen's room).
- the clients (``--client-procs`` processes, asyncio + aiohttp): each client opens the
  websocket transport straight away (``transport=websocket``, no long-polling first: what
  ``transports=['websocket']`` does in python-socketio and the screen page), speaks the
  Engine.IO 4 / Socket.IO 5 protocol as the screen page does (hello on connect, pong to
  pings, a heartbeat every 30 s) and notes when each publish arrives. They are protocol-level
  clients rather than python-socketio's own (which the tests use), so that the measuring side
  spends little CPU on the same machine and the bytes are counted exactly.
- this driver: starts both, publishes, samples the server's CPU and RSS (psutil) and reads the
  server sockets' TCP byte counters (``ss -ti``) over the idle minute.

Latency = client receive time − the moment the driver wrote the publish line (one clock: one
machine). Prints every figure beside the issue's target.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.hall_clients import (  # noqa: E402  (needs the repository root on the path)
    free_port,
    pct,
    raise_file_limit,
    wait_port,
)

TARGETS = {300: {"p99_ms": 50.0}, 1000: {"p99_ms": 150.0, "rss_mb": 300.0}}
IDLE_TARGET_KB_PER_MIN = 5.0
HEARTBEAT_SECONDS = 30
MARK = "bench-publish-"
NAMESPACE = "/screens"
SCREENS = ("lobby", "lobby-portrait")
#: TCP/IP header bytes per segment on the wire (IPv4 20 + TCP 20 + timestamps 12).
HEADER_BYTES = 52


# -- server process -------------------------------------------------------------------------

def serve(args: argparse.Namespace) -> None:
    """Migrate, seed, then serve on ``args.port``; stdin lines are publishes."""
    import logging

    from flask_migrate import upgrade
    from sqlalchemy import select

    from content.demo import seed_demo
    from hall.app import create_app
    from hall.cli import serve as serve_hall
    from hall.extensions import db
    from hall.signals import screens_changed
    from screens.demo import seed_screens
    from screens.models import TickerItem

    config: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": args.database, "SECRET_KEY": "bench",
        "SOCKETIO_MESSAGE_QUEUE": args.message_queue or None,
        # Redis is shared with other runs: a channel of this run's own.
        "SOCKETIO_CHANNEL": f"bench-push-{uuid.uuid4().hex}",
        "SOCKETIO_TRANSPORTS": ["websocket"],
        "VIRTUAL_PRINTER_PORT": 0,
    }
    app = create_app(config)
    if args.instance:  # the driver's temporary folder: nothing lands in the repository
        app.instance_path = args.instance
    with app.app_context():
        upgrade()
        seed_demo()
        seed_screens()
        ticker_id = db.session.scalar(
            select(TickerItem.id).order_by(TickerItem.position).limit(1))
        if ticker_id is None:
            raise SystemExit("the demo made no ticker line to publish through")
        db.session.remove()

    def commands() -> None:
        for line in sys.stdin:
            with app.app_context():
                item = db.session.get(TickerItem, ticker_id)
                assert item is not None
                item.text = f"bench-publish-{int(line)}"
                db.session.commit()
                screens_changed.send(None, kind="ticker", ids=[ticker_id])
                db.session.remove()

    threading.Thread(target=commands, daemon=True).start()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    if args.switch_interval:  # shorter GIL slices: less convoying among the writer threads
        sys.setswitchinterval(args.switch_interval)
    serve_hall(app, "127.0.0.1", args.port)  # exactly as `gongkai run` serves


# -- client process -------------------------------------------------------------------------

def number_after(text: str, prefix: str) -> int | None:
    """The whole number written right after the first ``prefix`` in ``text``, if any."""
    start = text.find(prefix)
    if start < 0:
        return None
    start += len(prefix)
    while text[start:start + 1] == " ":
        start += 1
    end = start
    while end < len(text) and text[end].isascii() and text[end].isdigit():
        end += 1
    return int(text[start:end]) if end > start else None


class Screen:
    """One screen client: Engine.IO 4 over a websocket, the /screens namespace."""

    def __init__(self, index: int, name: str) -> None:
        self.index, self.name = index, name
        self.version = 0
        self.received: dict[int, float] = {}
        self.ready = asyncio.Event()

    async def run(self, session: Any, url: str, compress: int) -> None:
        async with session.ws_connect(url, max_msg_size=0, autoping=True,
                                      compress=compress) as ws:
            opening = await ws.receive_str()
            assert opening.startswith("0"), opening
            await ws.send_str(f"40{NAMESPACE},")
            beat = asyncio.create_task(self.heartbeats(ws))
            try:
                async for msg in ws:
                    text = msg.data
                    if text == "2":
                        await ws.send_str("3")
                    elif text.startswith(f"40{NAMESPACE},"):
                        hello = {"name": self.name, "version_seen": self.version}
                        await ws.send_str(f"42{NAMESPACE},{json.dumps(['hello', hello])}")
                    elif text.startswith(f'42{NAMESPACE},["state"'):
                        now = time.time()
                        # str.find, not a regex over the whole 15–20 KB state: 300 screens
                        # share this process, and its parsing would count as latency.
                        mark = number_after(text, MARK)
                        if mark is not None:
                            self.received.setdefault(mark, now)
                        self.version = number_after(text, '"version":') or self.version
                        self.ready.set()
            finally:
                beat.cancel()

    async def heartbeats(self, ws: Any) -> None:
        await asyncio.sleep(random.uniform(0, HEARTBEAT_SECONDS))
        while True:
            beat = {"name": self.name, "on_air": "item-1", "version": self.version}
            await ws.send_str(f"42{NAMESPACE},{json.dumps(['heartbeat', beat])}")
            await asyncio.sleep(HEARTBEAT_SECONDS)


async def clients_main(args: argparse.Namespace) -> None:
    import aiohttp

    url = f"ws://127.0.0.1:{args.port}/socket.io/?EIO=4&transport=websocket"
    compress = 15 if args.deflate else 0  # offer permessage-deflate as browsers do
    screens = [Screen(args.offset + i, SCREENS[(args.offset + i) % len(SCREENS)])
               for i in range(args.count)]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.monotonic()
        tasks = []
        for batch in range(0, len(screens), 50):  # ramp up as screens would, not all at once
            for screen in screens[batch:batch + 50]:
                tasks.append(asyncio.create_task(screen.run(session, url, compress)))
            await asyncio.gather(*(s.ready.wait() for s in screens[batch:batch + 50]))
        print(f"ready {time.monotonic() - start:.2f}", flush=True)
        loop = asyncio.get_running_loop()
        while (await loop.run_in_executor(None, sys.stdin.readline)).strip() != "report":
            pass
        report = {s.index: s.received for s in screens}
        print(json.dumps({"received": report}), flush=True)
        for task in tasks:
            task.cancel()


# -- driver ---------------------------------------------------------------------------------

def _wait_port(port: int, timeout: float) -> None:
    if not wait_port(port, timeout):
        raise SystemExit(f"server did not open port {port} within {timeout:.0f} s")


def tcp_counters(port: int) -> dict[str, tuple[int, int, int, int]]:
    """Per server-side socket on ``port``: (bytes sent+acked, bytes received, segs out, in)."""
    out = subprocess.run(["ss", "-tinH", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True, check=True).stdout
    found: dict[str, tuple[int, int, int, int]] = {}
    peer = ""
    for line in out.splitlines():
        if not line.startswith((" ", "\t")):
            peer = line.split()[-1]
            continue

        def num(key: str, text: str = line) -> int:
            match = re.search(rf"\b{key}:(\d+)", text)
            return int(match.group(1)) if match else 0

        found[peer] = (num("bytes_acked"), num("bytes_received"), num("segs_out"),
                       num("segs_in"))
    return found


def line(label: str, value: str, target: str = "") -> None:
    print(f"  {label:<42} {value:>14}   {target}")


def drive(args: argparse.Namespace) -> None:
    import psutil

    port = free_port()
    tmp = tempfile.TemporaryDirectory(prefix="gongkai-bench-push-")
    database = args.database or f"sqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
    me = [sys.executable, str(Path(__file__).resolve())]
    server = subprocess.Popen([*me, "--serve", "--port", str(port), "--database", database,
                               "--instance", tmp.name,
                               "--message-queue", args.message_queue or "",
                               "--switch-interval", str(args.switch_interval)],
                              stdin=subprocess.PIPE, text=True)
    clients: list[subprocess.Popen[str]] = []
    try:
        _wait_port(port, 180)
        proc = psutil.Process(server.pid)
        rss_start = proc.memory_info().rss
        per = [args.clients // args.client_procs + (1 if i < args.clients % args.client_procs
                                                    else 0) for i in range(args.client_procs)]
        offset = 0
        for count in per:
            clients.append(subprocess.Popen(
                [*me, "--clients-proc", "--port", str(port), "--count", str(count),
                 "--offset", str(offset), *(["--deflate"] if args.deflate else [])],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
            offset += count
        ramps = []
        for client in clients:
            assert client.stdout is not None
            ready = client.stdout.readline().split()
            if not ready or ready[0] != "ready":
                raise SystemExit("clients failed to connect")
            ramps.append(float(ready[1]))
        time.sleep(2)
        rss_connected = proc.memory_info().rss
        rss_peak = rss_connected

        # Publish phase.
        sent: dict[int, float] = {}
        cpu0, wall0 = proc.cpu_times(), time.monotonic()
        assert server.stdin is not None
        for n in range(args.publishes):
            sent[n] = time.time()
            server.stdin.write(f"{n}\n")
            server.stdin.flush()
            time.sleep(args.interval)
            rss_peak = max(rss_peak, proc.memory_info().rss)
        time.sleep(2)
        cpu1, wall1 = proc.cpu_times(), time.monotonic()
        publish_cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / (wall1 - wall0)

        # Idle phase: only pings and heartbeats.
        before = tcp_counters(port)
        cpu2, wall2 = proc.cpu_times(), time.monotonic()
        time.sleep(args.idle_seconds)
        cpu3, wall3 = proc.cpu_times(), time.monotonic()
        after = tcp_counters(port)
        idle_cpu = (cpu3.user + cpu3.system - cpu2.user - cpu2.system) / (wall3 - wall2)
        rss_end = proc.memory_info().rss
        rss_peak = max(rss_peak, rss_end)

        received: dict[str, dict[str, float]] = {}
        for client in clients:
            assert client.stdin is not None and client.stdout is not None
            client.stdin.write("report\n")
            client.stdin.flush()
            received.update(json.loads(client.stdout.readline())["received"])
    finally:
        for client in clients:
            client.kill()
        server.kill()
        server.wait(10)
        tmp.cleanup()

    latencies = [(at - sent[int(n)]) * 1000 for got in received.values()
                 for n, at in got.items() if int(n) in sent]
    expected = args.clients * args.publishes
    common = [peer for peer in after if peer in before]
    payload = sum(after[p][0] - before[p][0] + after[p][1] - before[p][1] for p in common)
    segments = sum(after[p][2] - before[p][2] + after[p][3] - before[p][3] for p in common)
    minutes = args.idle_seconds / 60
    idle_kb = payload / max(1, len(common)) / minutes / 1024
    wire_kb = (payload + segments * HEADER_BYTES) / max(1, len(common)) / minutes / 1024
    target = TARGETS.get(args.clients, {})

    mq = args.message_queue or "none (one process)"
    print(f"\nscreens push benchmark — {args.clients} clients in {args.client_procs} process(es),"
          f" {args.publishes} publishes every {args.interval:.2f} s, message queue: {mq},"
          f" {os.cpu_count()} CPUs, clients {'offer' if args.deflate else 'do not offer'}"
          " permessage-deflate")
    line("connect ramp (all clients got a state)", f"{max(ramps):.1f} s")
    line("deliveries", f"{len(latencies)}/{expected}",
         "all" if len(latencies) == expected else "MISSING")
    p99_target = target.get("p99_ms")
    line("publish→received p50", f"{pct(latencies, 50):.1f} ms")
    line("publish→received p95", f"{pct(latencies, 95):.1f} ms")
    line("publish→received p99", f"{pct(latencies, 99):.1f} ms",
         f"target ≤ {p99_target:.0f} ms" if p99_target else "")
    line("publish→received max", f"{max(latencies, default=float('nan')):.1f} ms")
    line("server CPU while publishing", f"{publish_cpu * 100:.1f} %", "(of one core)")
    line("server CPU idle", f"{idle_cpu * 100:.1f} %", "(of one core)")
    rss_target = target.get("rss_mb")
    line("server RSS before clients", f"{rss_start / 2**20:.0f} MB")
    line("server RSS all connected", f"{rss_connected / 2**20:.0f} MB")
    line("server RSS peak", f"{rss_peak / 2**20:.0f} MB",
         f"target ≤ {rss_target:.0f} MB" if rss_target else "")
    line(f"idle traffic per client (payload, {args.idle_seconds} s)", f"{idle_kb:.2f} KB/min",
         f"target ≤ {IDLE_TARGET_KB_PER_MIN:.0f} KB/min")
    line("idle traffic per client (with TCP/IP headers)", f"{wire_kb:.2f} KB/min",
         f"({len(common)} sockets measured)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--client-procs", type=int, default=1)
    parser.add_argument("--publishes", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between publishes")
    parser.add_argument("--idle-seconds", type=int, default=60)
    parser.add_argument("--database", default="", help="default: a fresh SQLite file")
    parser.add_argument("--message-queue", default="", help="e.g. redis://127.0.0.1:6379/0")
    parser.add_argument("--deflate", action="store_true",
                        help="clients offer permessage-deflate, as Chromium does")
    parser.add_argument("--switch-interval", type=float, default=0.0,
                        help="server's sys.setswitchinterval (default: Python's 0.005 s)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--clients-proc", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--instance", default="", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    raise_file_limit()
    if args.serve:
        serve(args)
    elif args.clients_proc:
        asyncio.run(clients_main(args))
    else:
        drive(args)


if __name__ == "__main__":
    main()
