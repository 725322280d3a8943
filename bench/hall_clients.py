"""Client pieces shared by the benchmarks: ports, percentiles, a server's process tree measured
with psutil, and cheap lobby screens (protocol-level Engine.IO 4 / Socket.IO 5 clients over
aiohttp websockets, many to one asyncio loop) that note when each queue event arrives.

The screens speak what ``screens/static/screens/screen.js`` speaks: ``hello`` on connect, a pong
to every ping, a ``heartbeat`` every 30 s. They parse as little as they can, so that the last of
a few hundred clients in one loop does not wait for the others' parsing: a ``call`` or ``board``
event is named by a checksum of its text after ``sent_at`` (equal payloads, equal names), and
each distinct text is kept once per process for the driver to read.

Run a screens process: ``python bench/hall_clients.py --port P --names a,b,c`` (the load bench
starts it); it prints ``ready <seconds>`` once every screen has its state, then answers
``flush`` on standard input with one ``events <json>`` line of what arrived since the last
flush, and ``stop`` with a last one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import resource
import socket
import sys
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

NAMESPACE = "/screens"
EVENT = f"42{NAMESPACE},"
CALL_EVENT = EVENT + '["call"'
BOARD_EVENT = EVENT + '["board"'
STATE_EVENT = EVENT + '["state"'
ERROR_EVENT = EVENT + '["error"'
HEARTBEAT_SECONDS = 30
#: The envelope's send time (seconds resolution): left out of an event's name, so two emits of
#: the same board within a second or a minute apart are told apart only by their order.
_SENT_AT = re.compile(r'"sent_at":\s*"[^"]*"')


# -- small helpers ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float, host: str = "127.0.0.1") -> bool:
    """True once something accepts on ``host:port``; False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def pct(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank on the sorted values); NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def event_key(text: str) -> int:
    """An event's name: a checksum of its text without the send time."""
    found = _SENT_AT.search(text, 0, 300)
    rest = text[found.end():] if found else text
    return zlib.crc32(rest.encode("utf-8"))


# -- a server's processes -------------------------------------------------------------------

class ProcessTree:
    """CPU seconds and RSS of a process and all its children (gunicorn: master + workers).

    Processes are remembered by pid as they are seen, so a worker that ends (and its CPU time)
    is noticed: :attr:`gone` names the pids that disappeared.
    """

    def __init__(self, pid: int) -> None:
        import psutil

        self._psutil = psutil
        self.root = psutil.Process(pid)
        self.known: dict[int, Any] = {}
        self.last_cpu: dict[int, float] = {}
        self.gone: set[int] = set()
        self.refresh()

    def refresh(self) -> list[Any]:
        procs = [self.root]
        try:
            procs += self.root.children(recursive=True)
        except self._psutil.Error:
            pass
        alive = {p.pid for p in procs}
        for pid in list(self.known):
            if pid not in alive:
                self.gone.add(pid)
                del self.known[pid]
        for proc in procs:
            self.known.setdefault(proc.pid, proc)
        return list(self.known.values())

    def cpu_seconds(self) -> float:
        """User + system seconds of every process seen so far (ended ones keep their last)."""
        for proc in self.refresh():
            try:
                times = proc.cpu_times()
            except self._psutil.Error:
                continue
            self.last_cpu[proc.pid] = times.user + times.system
        return sum(self.last_cpu.values())

    def rss(self) -> dict[int, int]:
        """RSS in bytes per live pid."""
        out: dict[int, int] = {}
        for proc in self.refresh():
            try:
                out[proc.pid] = int(proc.memory_info().rss)
            except self._psutil.Error:
                continue
        return out


class CpuMeter:
    """CPU seconds of chosen processes: pids added, or every process whose command line holds
    ``cmdline_has`` (PostgreSQL backends show their database there). Ended ones keep their last
    figure."""

    def __init__(self, pids: list[int] | None = None, cmdline_has: str = "") -> None:
        import psutil

        self._psutil = psutil
        self.cmdline_has = cmdline_has
        self.procs: dict[int, Any] = {}
        self.last: dict[int, float] = {}
        for pid in pids or []:
            self.add(pid)

    def add(self, pid: int) -> None:
        try:
            self.procs[pid] = self._psutil.Process(pid)
        except self._psutil.Error:
            pass

    def cpu_seconds(self) -> float:
        if self.cmdline_has:
            for proc in self._psutil.process_iter(["cmdline"]):
                if proc.pid not in self.procs and self.cmdline_has in " ".join(
                        proc.info["cmdline"] or []):
                    self.procs[proc.pid] = proc
        for pid, proc in list(self.procs.items()):
            try:
                times = proc.cpu_times()
            except self._psutil.Error:
                del self.procs[pid]
                continue
            self.last[pid] = times.user + times.system
        return sum(self.last.values())


# -- the screens process ----------------------------------------------------------------------

@dataclass
class Screen:
    """One lobby screen: its events as (name, arrival time) since the last flush."""

    index: int
    name: str
    version: int = 0
    events: list[tuple[int, float]] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    closing: bool = False


class Screens:
    """Every screen of this process, the event texts seen (once each) and the problems."""

    def __init__(self, names: list[str], offset: int) -> None:
        self.members = [Screen(offset + i, name) for i, name in enumerate(names)]
        self.texts: dict[int, str] = {}
        self.new_texts: dict[int, str] = {}
        self.problems: list[str] = []
        self.connects = 0

    def received(self, screen: Screen, at: float, text: str) -> None:
        if text.startswith(CALL_EVENT) or text.startswith(BOARD_EVENT):
            key = event_key(text)
            if key not in self.texts:
                self.texts[key] = self.new_texts[key] = text
            screen.events.append((key, at))
            screen.kinds["call" if text.startswith(CALL_EVENT) else "board"] += 1
        elif text.startswith(STATE_EVENT):
            screen.kinds["state"] += 1
            version = re.search(r'"version":\s*(\d+)', text[:300])
            if version:
                screen.version = int(version.group(1))
            if '"side": null' in text or '"side":null' in text:
                self.problems.append(f"screen {screen.name} has no side zone: it gets no calls")
            screen.ready.set()
        elif text.startswith(ERROR_EVENT):
            screen.kinds["error"] += 1
            self.problems.append(f"screen {screen.name}: {text[len(EVENT):][:200]}")
            screen.ready.set()
        else:
            screen.kinds["other"] += 1

    async def run(self, screen: Screen, session: Any, url: str) -> None:
        """Connect, and reconnect after a second whenever the connection ends (a real screen
        does); every unexpected end is a problem."""
        while not screen.closing:
            try:
                await self._once(screen, session, url)
            except Exception as exc:  # noqa: BLE001 - any failure is reported, then retried
                if not screen.closing:
                    self.problems.append(f"screen {screen.name}: {type(exc).__name__}: {exc}")
            else:
                if not screen.closing:
                    self.problems.append(f"screen {screen.name}: disconnected")
            if not screen.closing:
                await asyncio.sleep(1)

    async def _once(self, screen: Screen, session: Any, url: str) -> None:
        async with session.ws_connect(url, max_msg_size=0, autoping=True) as ws:
            self.connects += 1
            opening = await ws.receive_str()
            if not opening.startswith("0"):
                raise RuntimeError(f"not an Engine.IO opening: {opening[:80]}")
            await ws.send_str(f"40{NAMESPACE},")
            beat: asyncio.Task[None] | None = None
            try:
                async for msg in ws:
                    text = msg.data
                    if not isinstance(text, str):
                        continue
                    if text == "2":
                        await ws.send_str("3")
                    elif text.startswith(EVENT):
                        self.received(screen, time.time(), text)
                    elif text.startswith(f"40{NAMESPACE},"):
                        hello = {"name": screen.name, "version_seen": screen.version}
                        await ws.send_str(EVENT + json.dumps(["hello", hello]))
                        if beat is None:
                            beat = asyncio.create_task(self._heartbeats(screen, ws))
                    elif text.startswith("44"):
                        self.problems.append(f"screen {screen.name}: refused {text[:120]}")
            finally:
                if beat is not None:
                    beat.cancel()

    async def _heartbeats(self, screen: Screen, ws: Any) -> None:
        await asyncio.sleep(random.uniform(0, HEARTBEAT_SECONDS))
        while True:
            beat = {"name": screen.name, "on_air": "item-1", "version": screen.version}
            await ws.send_str(EVENT + json.dumps(["heartbeat", beat]))
            await asyncio.sleep(HEARTBEAT_SECONDS)

    def flush(self) -> dict[str, Any]:
        """What arrived since the last flush (and the texts not sent before)."""
        out = {"texts": {str(k): v for k, v in self.new_texts.items()},
               "screens": {str(s.index): s.events for s in self.members if s.events},
               "kinds": dict(sum((s.kinds for s in self.members), Counter())),
               "problems": self.problems, "connects": self.connects}
        self.new_texts = {}
        self.problems = []
        for screen in self.members:
            screen.events = []
            screen.kinds = Counter()
        return out


async def screens_main(args: argparse.Namespace) -> None:
    import aiohttp

    url = f"ws://127.0.0.1:{args.port}/socket.io/?EIO=4&transport=websocket"
    group = Screens(args.names.split(","), args.offset)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.monotonic()
        tasks = []
        for batch in range(0, len(group.members), 50):  # ramp up as screens would
            members = group.members[batch:batch + 50]
            tasks += [asyncio.create_task(group.run(m, session, url)) for m in members]
            await asyncio.wait_for(asyncio.gather(*(m.ready.wait() for m in members)), 120)
        print(f"ready {time.monotonic() - start:.2f}", flush=True)
        loop = asyncio.get_running_loop()
        while True:
            command = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if command in ("stop", ""):
                for member in group.members:
                    member.closing = True
            print("events " + json.dumps(group.flush(), ensure_ascii=False), flush=True)
            if command in ("stop", ""):
                break
        for task in tasks:
            task.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description="lobby screen clients (for the benches)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--names", required=True, help="comma-separated screen names")
    parser.add_argument("--offset", type=int, default=0, help="index of the first screen")
    args = parser.parse_args()
    raise_file_limit()
    asyncio.run(screens_main(args))


if __name__ == "__main__":
    main()
