"""Queue benchmark: tickets issued per second end to end, and call → board latency with 50
lobby clients listening.

Run: ``.venv/bin/python bench/calls.py [--listeners 50] [--concurrency 8] [--seconds 10]
[--calls 200]`` (``--database postgresql://…`` for an empty PostgreSQL database instead of a
fresh SQLite file). Three kinds of process:

- the server: the app on a fresh SQLite database, migrated and seeded with the demo (content,
  the ``lobby`` screens with their side zone on, the queue's services and windows), a clerk
  account added with ``hall.accounts``, then served exactly as ``gongkai run`` serves: the
  ``on_serve`` hooks (the print spool's worker), then Werkzeug's threaded server, which also
  carries the websockets. What differs from a hall: ``TICKET_RATE_LIMIT`` is raised so the
  figure measures the server, not the limiter; every ticket's slip is queued (the load comes
  from one address, so the per-terminal cap on waiting slips is lifted) for a file printer on
  ``/dev/null`` (``--printer none``: no printing), so slips are laid out and sent by the
  spool but no hardware sets the pace; Werkzeug's per-request log line is off, as in
  ``bench/push.py``.
- the listeners (one asyncio process): protocol-level Engine.IO 4 / Socket.IO 5 clients over
  websockets, like ``bench/push.py``'s: two of three emit ``hello`` as the screens ``lobby`` and
  ``lobby-portrait`` (side zone on: they join room ``queue``), one of three emits ``follow`` as
  a phone page does. Each notes when every ``call`` event arrives.
- this driver. Figure 1: ``--concurrency`` HTTP clients (aiohttp) POST ``/api/tickets`` for
  ``--seconds``: throughput, latency p50/p95/p99, errors. Then it waits for the server to go
  quiet (the spool printing the backlog). Figure 2: a clerk signs in through the real login
  form (requests, CSRF token from the page), takes the window that serves every service and
  POSTs "call next" ``--calls`` times, one after the other (the next once every listener has
  the call, or after a second). Latency = the listener's receive time − the moment the driver
  began sending the request (one clock: one machine), over every (call, listener) pair.

The server's RSS (sampled) and CPU (of one core) are printed for each phase, every figure
beside its target. The issue sets one: call → board p99 ≤ 30 ms with 50 screens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.hall_clients import (  # noqa: E402  (needs the repository root on the path)
    free_port,
    pct,
    raise_file_limit,
    wait_port,
)

CALL_P99_TARGET_MS = 30.0
NAMESPACE = "/screens"
EVENT = f"42{NAMESPACE},"
BOARD_EVENT = EVENT + '["board"'
CALL_EVENT = EVENT + '["call"'
#: The announced call's id in a ``call`` event (a flat field of the payload's ``call`` object).
CALL_ID = re.compile(r'"call":\s*\{[^{}]*?"call_id":\s*(\d+)')
SCREENS = ("lobby", "lobby-portrait")
HEARTBEAT_SECONDS = 30
SETUP_MARK = "bench-setup "
CLERK = "bench-clerk"
CLERK_PASSWORD = "Bench-queue-2026!"
#: How long one call may take to reach every listener before the driver moves on.
CALL_WAIT_SECONDS = 1.0
_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


# -- server process -------------------------------------------------------------------------

def serve(args: argparse.Namespace) -> None:
    """Migrate, seed the demo and a clerk, print the setup as one JSON line, then serve."""
    import logging

    from flask_migrate import upgrade
    from sqlalchemy import select

    from content.demo import seed_demo
    from hall import accounts
    from hall.app import create_app
    from hall.cli import serve
    from hall.extensions import db
    from hall.models import Role
    from tickets import queue
    from tickets.models import Window

    instance = Path(args.instance)
    printers: dict[str, Any] = {"kiosk": {"transport": "file", "path": "/dev/null",
                                          "width": 80, "chinese": "gb18030", "qr": "native"}}
    config: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": args.database, "SECRET_KEY": "bench",
        "TICKET_RATE_LIMIT": "1000000 per minute",
        # The load comes from one address; in a hall each kiosk has its own printer.
        "KIOSK_PRINT_MAX_WAITING": 1_000_000,
        "PRINTERS": printers, "KIOSK_PRINTERS": {"*": "kiosk"} if args.printer == "null" else {},
        "VIRTUAL_PRINTER_PORT": 0, "PUBLIC_BASE_URL": f"http://127.0.0.1:{args.port}",
    }
    app = create_app(config)
    app.instance_path = str(instance)
    with app.app_context():
        upgrade()
        seed_demo()
        for step in app.extensions.get("demo_steps", []):  # screens, queue: as `gongkai demo`
            step()
        accounts.create_user(CLERK, CLERK_PASSWORD, [Role.CLERK], display_name="压测窗口")
        db.session.commit()
        windows = list(db.session.scalars(select(Window).where(Window.enabled.is_(True))))
        if not windows:
            raise SystemExit("the demo made no queue windows")
        widest = max(windows, key=lambda w: (len(w.services), -w.number))
        open_codes = [s["code"] for s in queue.services_overview() if s["open"]]
        setup = {"window_id": widest.id, "window_number": widest.number,
                 "service_ids": [s.id for s in widest.services],
                 # a daily limit would turn the load into refusals (409) once reached
                 "codes": [s.code for s in widest.services
                           if s.code in open_codes and s.daily_limit is None]}
        db.session.remove()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    print(SETUP_MARK + json.dumps(setup), flush=True)
    serve(app, "127.0.0.1", args.port)  # exactly as `gongkai run` serves


# -- listener process -----------------------------------------------------------------------

class Listener:
    """One lobby client: a screen with its side zone on (``hello``) or a follower."""

    def __init__(self, index: int, everyone: Listeners) -> None:
        self.index, self.everyone = index, everyone
        self.follow = index % 3 == 2
        self.name = SCREENS[index % 2]
        self.calls: dict[int, float] = {}
        self.boards = 0
        self.ready = asyncio.Event()
        self.problem = ""

    async def run(self, session: Any, url: str) -> None:
        async with session.ws_connect(url, max_msg_size=0, autoping=True) as ws:
            opening = await ws.receive_str()
            assert opening.startswith("0"), opening
            await ws.send_str(f"40{NAMESPACE},")
            beat: asyncio.Task[None] | None = None
            try:
                async for msg in ws:
                    text = msg.data
                    if text == "2":
                        await ws.send_str("3")
                    elif text.startswith(f"40{NAMESPACE},"):
                        if self.follow:
                            await ws.send_str(EVENT + json.dumps(["follow", {}]))
                        else:
                            hello = {"name": self.name, "version_seen": 0}
                            await ws.send_str(EVENT + json.dumps(["hello", hello]))
                            beat = asyncio.create_task(self.heartbeats(ws))
                    elif text.startswith(EVENT):
                        self.received(time.time(), text)
            finally:
                if beat is not None:
                    beat.cancel()

    def received(self, at: float, text: str) -> None:
        if text.startswith(BOARD_EVENT):  # the most frequent: counted, not parsed
            self.boards += 1
            self.ready.set()  # a follower's answer
            return
        if text.startswith(CALL_EVENT):
            # The call id is read without parsing the board that comes with it: the 50
            # listeners share one event loop, and the last one should not wait for 49 parses.
            found = CALL_ID.search(text)
            if found:
                self.heard(int(found.group(1)), at)
                return
        event, *rest = json.loads(text[len(EVENT):])
        payload = rest[0] if rest else {}
        if event == "call":
            self.heard(int(payload["call"]["call_id"]), at)
        elif event == "state":
            if payload.get("side") is None:
                self.problem = f"screen {self.name} has no side zone: it gets no calls"
            self.ready.set()
        elif event == "error":
            self.problem = f"error event: {payload}"
            self.ready.set()

    def heard(self, call_id: int, at: float) -> None:
        if call_id not in self.calls:
            self.calls[call_id] = at
            self.everyone.got(call_id)

    async def heartbeats(self, ws: Any) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            beat = {"name": self.name, "on_air": "", "version": 0}
            await ws.send_str(EVENT + json.dumps(["heartbeat", beat]))


class Listeners:
    """All listeners of this process; prints ``all <call id>`` once every one has a call."""

    def __init__(self, count: int) -> None:
        self.members = [Listener(i, self) for i in range(count)]
        self.counts: dict[int, int] = {}

    def got(self, call_id: int) -> None:
        self.counts[call_id] = self.counts.get(call_id, 0) + 1
        if self.counts[call_id] == len(self.members):
            print(f"all {call_id}", flush=True)


async def listeners_main(args: argparse.Namespace) -> None:
    import aiohttp

    url = f"ws://127.0.0.1:{args.port}/socket.io/?EIO=4&transport=websocket"
    group = Listeners(args.count)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        start = time.monotonic()
        tasks = [asyncio.create_task(member.run(session, url)) for member in group.members]
        await asyncio.wait_for(asyncio.gather(*(m.ready.wait() for m in group.members)), 60)
        problems = [m.problem for m in group.members if m.problem]
        if problems:
            print("failed " + json.dumps(problems), flush=True)
            return
        print(f"ready {time.monotonic() - start:.2f}", flush=True)
        loop = asyncio.get_running_loop()
        while (await loop.run_in_executor(None, sys.stdin.readline)).strip() not in ("report", ""):
            pass
        report = {"calls": {m.index: m.calls for m in group.members},
                  "boards": {m.index: m.boards for m in group.members},
                  "dropped": sum(task.done() for task in tasks)}
        print("report " + json.dumps(report), flush=True)
        for task in tasks:
            task.cancel()


# -- driver ---------------------------------------------------------------------------------

def _wait_port(port: int, timeout: float) -> None:
    if not wait_port(port, timeout):
        raise SystemExit(f"server did not open port {port} within {timeout:.0f} s")


def line(label: str, value: str, target: str = "") -> None:
    print(f"  {label:<44} {value:>14}   {target}")


class Lines:
    """A child's standard output, line by line, read by a thread (so nothing blocks). A
    condition and a deque rather than ``queue.Queue``: this module is named ``queue``."""

    def __init__(self, stream: Any, echo_other: bool = False) -> None:
        self.lines: deque[str] = deque()
        self.ready = threading.Condition()
        self.echo_other = echo_other
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: Any) -> None:
        for text in stream:
            with self.ready:
                self.lines.append(text.rstrip("\n"))
                self.ready.notify()
        with self.ready:
            self.lines.append("")  # end of output
            self.ready.notify()

    def next(self, prefix: str, timeout: float) -> str | None:
        """The next line starting with ``prefix`` (others are echoed or dropped); None when
        none comes in time or the child ended."""
        deadline = time.monotonic() + timeout
        while True:
            with self.ready:
                if not self.ready.wait_for(lambda: bool(self.lines),
                                           max(0.0, deadline - time.monotonic())):
                    return None
                text = self.lines.popleft()
            if text.startswith(prefix):
                return text[len(prefix):]
            if text == "":
                with self.ready:
                    self.lines.appendleft("")  # stays ended
                return None
            if self.echo_other:
                print(f"  [server] {text}", file=sys.stderr)


class Sampler:
    """The server's RSS every 0.2 s (peak) and its CPU time between marks."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.proc = psutil.Process(pid)
        self.peak = self.proc.memory_info().rss
        self.stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self.stop.wait(0.2):
            try:
                self.peak = max(self.peak, self.proc.memory_info().rss)
            except Exception:  # the server ended
                return

    def rss(self) -> int:
        return int(self.proc.memory_info().rss)

    def cpu(self) -> tuple[float, float]:
        times = self.proc.cpu_times()
        return times.user + times.system, time.monotonic()


def _share(cpu0: tuple[float, float], cpu1: tuple[float, float]) -> float:
    return (cpu1[0] - cpu0[0]) / max(1e-9, cpu1[1] - cpu0[1])


def _settle(sampler: Sampler, limit: float) -> float:
    """Wait until the server uses under 10 % of a core over half a second; the time taken."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        before = sampler.cpu()
        time.sleep(0.5)
        if _share(before, sampler.cpu()) < 0.10:
            break
    return time.monotonic() - start


async def issue_load(base: str, codes: list[str], concurrency: int, seconds: float,
                     printing: bool) -> tuple[list[float], dict[str, int], float]:
    """``concurrency`` clients POST tickets back to back for ``seconds``: latencies (ms) of
    the tickets given, refusals and failures by kind, and the elapsed time."""
    import aiohttp

    latencies: list[float] = []
    errors: dict[str, int] = {}
    start = time.monotonic()
    stop = start + seconds

    async def client(k: int, session: aiohttp.ClientSession) -> None:
        n = 0
        while time.monotonic() < stop:
            body = {"service": codes[(k + n) % len(codes)], "request_key": uuid.uuid4().hex,
                    "source": "button"}
            n += 1
            sent = time.perf_counter()
            try:
                async with session.post(f"{base}/api/tickets", json=body) as response:
                    answer = await response.read()
                    status = response.status
            except aiohttp.ClientError as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                continue
            if status == 201:
                latencies.append((time.perf_counter() - sent) * 1000)
                if printing and not json.loads(answer).get("printed"):
                    errors["not printed (201)"] = errors.get("not printed (201)", 0) + 1
            else:
                errors[f"HTTP {status}"] = errors.get(f"HTTP {status}", 0) + 1

    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=timeout) as session:
        await asyncio.gather(*(client(k, session) for k in range(concurrency)))
    return latencies, errors, time.monotonic() - start


def _csrf(page: str) -> str:
    match = _META.search(page) or re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if match is None:
        raise SystemExit("no CSRF token on the page")
    return match.group(1)


def clerk_session(base: str, setup: dict[str, Any]) -> tuple[Any, str]:
    """Sign the clerk in through the login form and take the window; (session, token)."""
    import requests

    session = requests.Session()
    token = _csrf(session.get(f"{base}/staff/login").text)
    signed = session.post(f"{base}/staff/login", allow_redirects=False, data={
        "username": CLERK, "password": CLERK_PASSWORD, "csrf_token": token})
    if signed.status_code != 302 or "/staff/login" in signed.headers.get("Location", ""):
        raise SystemExit(f"clerk sign-in failed: HTTP {signed.status_code}")
    window = setup["window_id"]
    page = session.get(f"{base}/staff/counter/{window}/open")
    token = _csrf(page.text)
    taken = session.post(f"{base}/staff/counter/{window}/open", allow_redirects=False,
                         data={"csrf_token": token,
                               "services": [str(i) for i in setup["service_ids"]]})
    if taken.status_code != 303:
        raise SystemExit(f"taking window {setup['window_number']} failed: "
                         f"HTTP {taken.status_code}")
    return session, token


def drive(args: argparse.Namespace) -> None:
    import requests

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    tmp = tempfile.TemporaryDirectory(prefix="gongkai-bench-queue-")
    database = args.database or f"sqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
    me = [sys.executable, str(Path(__file__).resolve())]
    server = subprocess.Popen([*me, "--serve", "--port", str(port), "--database", database,
                               "--instance", tmp.name, "--printer", args.printer],
                              stdout=subprocess.PIPE, text=True)
    listeners: subprocess.Popen[str] | None = None
    try:
        assert server.stdout is not None
        from_server = Lines(server.stdout, echo_other=True)
        found = from_server.next(SETUP_MARK, 600)
        if found is None:
            raise SystemExit("server failed to start (see above)")
        setup = json.loads(found)
        if not setup["codes"]:
            raise SystemExit("no open service at the bench's window")
        _wait_port(port, 60)
        sampler = Sampler(server.pid)
        rss_start = sampler.rss()

        listeners = subprocess.Popen(
            [*me, "--listeners-proc", "--port", str(port), "--count", str(args.listeners)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert listeners.stdout is not None and listeners.stdin is not None
        heard = Lines(listeners.stdout)
        ramp = heard.next("ready ", 90)
        if ramp is None:
            raise SystemExit("listeners failed to connect")
        rss_connected = sampler.rss()
        clerk, token = clerk_session(base, setup)

        # Figure 1: tickets issued per second.
        load_before = os.getloadavg()[0]
        cpu0 = sampler.cpu()
        latencies, errors, elapsed = asyncio.run(
            issue_load(base, setup["codes"], args.concurrency, args.seconds,
                       args.printer == "null"))
        cpu0b = sampler.cpu()
        issue_cpu = _share(cpu0, cpu0b)
        issue_cpu_each = (cpu0b[0] - cpu0[0]) / max(1, len(latencies) + sum(errors.values()))
        rss_issued = sampler.rss()
        settled = _settle(sampler, 180)
        waiting = len(latencies)
        while waiting < args.calls + 10:  # enough for every call of figure 2
            topped = requests.post(f"{base}/api/tickets", json={"service": setup["codes"][0]})
            if topped.status_code != 201:
                raise SystemExit(f"could not top up tickets: HTTP {topped.status_code}")
            waiting += 1
        _settle(sampler, 60)

        # Figure 2: call next → every listener has the `call` event.
        sent: list[float] = []
        answered: list[float] = []
        late = 0
        cpu1 = sampler.cpu()
        for _ in range(args.calls):
            sent.append(time.time())
            started = time.perf_counter()
            response = clerk.post(f"{base}/staff/counter/{setup['window_id']}/next",
                                  data={"csrf_token": token}, allow_redirects=False)
            answered.append((time.perf_counter() - started) * 1000)
            if response.status_code != 303:
                raise SystemExit(f"call next failed: HTTP {response.status_code}")
            if heard.next("all ", CALL_WAIT_SECONDS) is None:
                late += 1
            time.sleep(args.gap)
        cpu1b = sampler.cpu()
        call_cpu = _share(cpu1, cpu1b)
        call_cpu_each = (cpu1b[0] - cpu1[0]) / args.calls
        load_after = os.getloadavg()[0]
        rss_end = sampler.rss()

        listeners.stdin.write("report\n")
        listeners.stdin.flush()
        found = heard.next("report ", 60)
        if found is None:
            raise SystemExit("listeners gave no report")
        report = json.loads(found)
    finally:
        if listeners is not None:
            listeners.kill()
        server.kill()
        server.wait(10)
        tmp.cleanup()

    # Match calls to requests: only this clerk calls, one after another, so the i-th call id
    # (in order) is the i-th request.
    call_ids = sorted({int(c) for calls in report["calls"].values() for c in calls})
    if len(call_ids) != len(sent):
        print(f"warning: {len(sent)} calls sent, {len(call_ids)} heard: matching is unsure")
    by_call = dict(zip(call_ids, sent, strict=False))
    delays = [(at - by_call[int(c)]) * 1000 for calls in report["calls"].values()
              for c, at in calls.items() if int(c) in by_call]
    expected = args.calls * args.listeners
    followers = sum(1 for i in range(args.listeners) if i % 3 == 2)
    boards = sum(report["boards"].values())

    print(f"\nqueue benchmark — {os.cpu_count()} CPUs, database "
          f"{'SQLite (fresh file)' if not args.database else database.split('@')[-1]}, "
          f"{args.listeners} listeners ({args.listeners - followers} screens with the side zone,"
          f" {followers} following), printing: {args.printer}")
    print(f" load average (1 min) {load_before:.1f} before figure 1, {load_after:.1f} after"
          f" figure 2 (this bench's own processes count in it: about 1.5 to 2)")
    print(f"\n Figure 1: POST /api/tickets, {args.concurrency} concurrent clients, "
          f"{elapsed:.1f} s")
    line("tickets issued", f"{len(latencies)}")
    line("tickets per second", f"{len(latencies) / elapsed:.1f}", "(no target in the issue)")
    line("latency p50", f"{pct(latencies, 50):.1f} ms")
    line("latency p95", f"{pct(latencies, 95):.1f} ms")
    line("latency p99", f"{pct(latencies, 99):.1f} ms")
    line("latency max", f"{max(latencies, default=float('nan')):.1f} ms")
    line("errors", f"{sum(errors.values())}",
         ", ".join(f"{k}: {v}" for k, v in sorted(errors.items())) or "none")
    line("server CPU while issuing", f"{issue_cpu * 100:.0f} %", "(of one core)")
    line("server CPU per ticket", f"{issue_cpu_each * 1000:.1f} ms", "(all threads: request,"
         " board, sends, spool)")
    line("board events delivered (whole run)", f"{boards}",
         f"({args.listeners} listeners × one per ticket)")
    line("server busy after the load (printing)", f"{settled:.1f} s")
    print(f"\n Figure 2: call next → `call` event at each of {args.listeners} listeners, "
          f"{args.calls} calls")
    line("deliveries", f"{len(delays)}/{expected}",
         "all" if len(delays) == expected else "MISSING")
    line("calls not heard by all within 1 s", f"{late}")
    line("call → board p50", f"{pct(delays, 50):.1f} ms")
    line("call → board p95", f"{pct(delays, 95):.1f} ms")
    line("call → board p99", f"{pct(delays, 99):.1f} ms",
         f"target ≤ {CALL_P99_TARGET_MS:.0f} ms "
         f"{'(met)' if pct(delays, 99) <= CALL_P99_TARGET_MS else '(MISSED)'}")
    line("call → board max", f"{max(delays, default=float('nan')):.1f} ms")
    line("clerk's POST answered (303) p50", f"{pct(answered, 50):.1f} ms")
    line("clerk's POST answered (303) p99", f"{pct(answered, 99):.1f} ms")
    line("server CPU while calling", f"{call_cpu * 100:.0f} %", "(of one core)")
    line("server CPU per call", f"{call_cpu_each * 1000:.1f} ms",
         f"(request, board, {args.listeners} sends)")
    print("\n Server")
    line("listeners connected in", f"{float(ramp):.2f} s")
    line("listeners dropped", f"{report['dropped']}")
    line("RSS before listeners", f"{rss_start / 2**20:.0f} MB")
    line("RSS with listeners", f"{rss_connected / 2**20:.0f} MB")
    line("RSS after issuing", f"{rss_issued / 2**20:.0f} MB")
    line("RSS at the end", f"{rss_end / 2**20:.0f} MB")
    line("RSS peak", f"{sampler.peak / 2**20:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--listeners", type=int, default=50, help="lobby clients (default 50)")
    parser.add_argument("--concurrency", type=int, default=8,
                        help="HTTP clients taking tickets at once (default 8)")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="how long figure 1 takes tickets (default 10)")
    parser.add_argument("--calls", type=int, default=200, help="calls of figure 2 (default 200)")
    parser.add_argument("--gap", type=float, default=0.02,
                        help="seconds between one call's arrival and the next call")
    parser.add_argument("--printer", choices=("null", "none"), default="null",
                        help="null: slips go to /dev/null through the spool; none: no printing")
    parser.add_argument("--database", default="",
                        help="an empty database (default: a fresh SQLite file)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--listeners-proc", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--instance", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    raise_file_limit()
    if args.serve:
        serve(args)
    elif args.listeners_proc:
        asyncio.run(listeners_main(args))
    else:
        drive(args)


if __name__ == "__main__":
    main()
