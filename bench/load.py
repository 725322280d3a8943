"""Load benchmark: a busy hall on loopback for a bounded time — kiosks browsing, searching,
taking tickets and filing for disclosure, windows calling, lobby screens connected — with the
latency of every route and of every lobby event, errors, server CPU and RSS.

Run: ``.venv/bin/python bench/load.py [--duration 300] [--kiosks 20] [--windows 10]
[--screens 300] [--workers 0] [--db sqlite|pg]``.

Processes:

- the server, on a fresh database (migrated, the demo seeded as ``gongkai demo`` does, then
  ``--windows`` clerk accounts, windows up to that number, ``--screens`` lobby screens made like
  the demo's ``lobby`` and ``lobby-portrait`` with the calling board in their side zone, and
  ``--backlog`` tickets already waiting when the doors open). ``--workers 0``: one process
  served as ``gongkai run`` serves (``hall.cli.serve``: Werkzeug's threaded server, SQLite by
  default). ``--workers N``: ``gongkai serve --workers N`` (gunicorn gthread) on a PostgreSQL
  database of its own (``gongkai_load_<hex>``, dropped at the end) with Redis for Socket.IO,
  rate limits and kiosk drafts (a channel and key prefix of its own). Both log every request
  (Werkzeug's log, gunicorn's access log) to a file, as a hall would.
- a virtual printer (``printer/emulator.py``): every kiosk has a printer of its own on it, as
  in a hall, so ticket slips, receipts and QR slips are really laid out, spooled and sent.
- the screens (``bench/hall_clients.py``, ``--screen-procs`` processes): Engine.IO websocket
  clients that say ``hello`` as ``load-001`` … and note when each ``call`` / ``board`` event
  arrives.
- this driver (asyncio + aiohttp): kiosks and windows. Each kiosk has its own loopback address
  (``127.0.10.x``: the rate limits count per terminal address, so the default limits apply
  unchanged) and a cookie jar; a citizen at it opens the start screen, then with think times
  searches (Chinese words, and pinyin initials typed letter by letter through ``/api/search``
  as the page's script does), reads policies (sometimes prints one's QR slip),
  interpretations, guides and notices, takes a ticket (``POST /api/tickets`` as the page's
  script does), now and then files a disclosure application through every step of the form
  (with the pinyin keyboard's ``/kiosk/ime`` lookups), and leaves; the idle reset follows.
  Forms carry the page's CSRF token; redirects are followed as a browser does, each request
  timed on its own; static files are fetched once per kiosk (then cached). Each window is a
  clerk signed in through the login form who calls next, serves for a while (the counter page
  polls ``state.json`` every 5 s), sometimes recalls, finishes, and calls again every
  ``--call-every`` seconds or so.

A warm-up (every kiosk once through the pages without pauses, the keyboard's word index built
in every worker, clerks signed in) comes first and is not measured; RSS "start" is taken after
it, so growth means what the run added. Latency of a lobby event = arrival at each screen − the
moment the request that caused it began (one clock: one machine). ``call`` events are matched
to their window's request by the window number; ``board`` events to the ticket taken (the
service whose waiting count rose) or the window that finished (left the board), then by time.

Prints a short line every 30 s and at the end every figure beside the issue's target, with the
machine's load average (other programs slow the server as much as the load does). Exits 0
whatever the figures (a benchmark); MET / MISSED says how each target fared. ``--profile FILE``
(one process only) writes a cProfile of every server thread when the run ends.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.hall_clients import (  # noqa: E402  (needs the repository root on the path)
    EVENT,
    CpuMeter,
    ProcessTree,
    free_port,
    pct,
    raise_file_limit,
    wait_port,
)

PAGE_P95_TARGET_MS = 50.0
CALL_P99_TARGET_MS = 50.0
RSS_GROWTH_TARGET = 10.0
REPORT_EVERY = 30.0
SETUP_MARK = "load-setup "
CLERK_PASSWORD = "Load-bench-2026!"
#: The PostgreSQL server the bench makes its database on (``DATABASE_URL``'s, when that is a
#: PostgreSQL address), reached through its ``postgres`` maintenance database.
PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
#: A valid resident ID (GB 11643's own example); the phone differs per application.
ID_NUMBER = "11010519491231002X"
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_STATIC = re.compile(r'(?:href|src)="(/[^"]*/static/[^"]*)"')
_SERVICE = re.compile(r'name="service" value="([^"]+)"')
_PRIORITY = re.compile(r'name="priority" value="(\d+)"')
#: Chinese searches (as typed with the IME or a physical keyboard) and letters typed on the
#: search page's letter pad (pinyin initials and full pinyin), one request per key.
WORDS = ["政府信息公开", "社保", "养老保险", "医保", "老旧小区", "低保", "义务教育", "不动产",
         "年度报告", "公开指南", "条例", "老年人优待", "招生", "申请"]
LETTERS = ["zfxxgk", "sb", "ylbx", "yb", "ndbg", "dbbz", "bdc", "gkzn", "shebao", "dibao",
           "yiwujiaoyu", "lnryd"]
#: Pinyin typed on the application form's keyboard, field by field (one lookup per key).
IME_NAME = ["zhang", "san"]
IME_INFO = ["laojiu", "xiaoqu", "gaizao", "lixiang", "pifu"]


# =========================================================================== server side

def setup(args: argparse.Namespace) -> None:
    """Migrate and seed the database the environment names; print the setup as one line."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from content.demo import seed_demo
    from hall import accounts
    from hall.app import create_app
    from hall.extensions import db
    from hall.models import Role
    from screens.models import Screen
    from tickets import queue
    from tickets.models import Service, Window

    app = create_app()
    with app.app_context():
        upgrade()
        seed_demo()
        for step in app.extensions.get("demo_steps", []):  # screens, queue: as `gongkai demo`
            step()
        services = list(db.session.scalars(
            select(Service).where(Service.enabled.is_(True)).order_by(Service.position)))
        windows = list(db.session.scalars(select(Window).order_by(Window.number)))
        number = max((w.number for w in windows), default=0)
        while len(windows) < args.windows:
            number += 1
            window = Window(number=number, name="综合窗口", services=list(services))
            db.session.add(window)
            windows.append(window)
        windows = windows[:args.windows]
        for i in range(args.windows):
            accounts.create_user(f"load-clerk-{i + 1}", CLERK_PASSWORD, [Role.CLERK],
                                 display_name=f"压测{i + 1}")
        demo = {s.name: s for s in db.session.scalars(select(Screen))}
        if "lobby" not in demo or not demo["lobby"].zone_side:
            raise SystemExit("the demo made no lobby screen with the calling board")
        models = [demo["lobby"], demo.get("lobby-portrait", demo["lobby"])]
        names = [f"load-{i + 1:03d}" for i in range(args.screens)]
        for i, name in enumerate(names):
            model = models[i % len(models)]
            db.session.add(Screen(
                name=name, title=f"压测屏 {i + 1}", orientation=model.orientation,
                zone_header=model.zone_header, zone_main=model.zone_main,
                zone_ticker=model.zone_ticker, zone_side=True, group_id=model.group_id,
                playlist_id=model.playlist_id))
        db.session.commit()
        codes = [s["code"] for s in queue.services_overview() if s["open"]]
        for n in range(args.backlog if codes else 0):  # people waiting when the doors open
            queue.issue_ticket(codes[n % len(codes)], source="kiosk", terminal="load-setup")
        out = {"windows": [{"id": w.id, "number": w.number,
                            "service_ids": [s.id for s in w.services if s.enabled]}
                           for w in windows],
               "screens": names}
        db.session.remove()
    print(SETUP_MARK + json.dumps(out), flush=True)


def _profile_threads(path: str) -> None:
    """cProfile every thread of the server (each new thread starts its own profiler); the
    merged statistics are written to ``path`` when the server is stopped (SIGTERM)."""
    import cProfile
    import pstats
    import threading

    profiles: list[cProfile.Profile] = []

    def start(*_args: Any) -> None:  # the thread's first profile event: profile it from now
        profiler = cProfile.Profile()
        profiles.append(profiler)
        profiler.enable()

    def stop(_signum: int, _frame: Any) -> None:
        threading.setprofile(None)
        merged: pstats.Stats | None = None
        for profiler in list(profiles):
            try:
                merged = pstats.Stats(profiler) if merged is None else merged.add(profiler)
            except (TypeError, ValueError):  # a thread that made no call yet
                continue
        if merged is not None:
            merged.dump_stats(path)
        os._exit(0)

    threading.setprofile(start)
    start()
    signal.signal(signal.SIGTERM, stop)


def serve(args: argparse.Namespace) -> None:
    """``--workers 0``: the hall in one process, served exactly as ``gongkai run`` serves."""
    from hall.app import create_app
    from hall.cli import serve as serve_app

    app = create_app()
    profile = os.environ.get("GONGKAI_LOAD_PROFILE")
    if profile:
        _profile_threads(profile)
    if args.switch_interval:  # an experiment: shorter GIL slices among the writer threads
        sys.setswitchinterval(args.switch_interval)
    serve_app(app, "127.0.0.1", args.port)


# =========================================================================== the driver's state

class Finished(Exception):
    """The run's time is up: the citizen leaves mid-way."""


class Failed(Exception):
    """A request went wrong (already counted as an error): this visit ends."""


@dataclass
class Cause:
    """A request that makes the lobby board change: its kind, window or service, and times."""

    kind: str  # call, recall, finish, next-empty, ticket
    start: float
    end: float = 0.0
    window: int | None = None
    service: str | None = None


@dataclass
class Sample:
    route: str
    ms: float
    at: float
    page: bool


@dataclass
class Run:
    """Everything the kiosks and windows record."""

    base: str
    think: float
    measuring: bool = False
    deadline: float = math.inf
    started: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    limited: Counter[str] = field(default_factory=Counter)
    causes: list[Cause] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def record(self, route: str, ms: float, at: float, status: int, page: bool) -> None:
        if status == 429:
            self.limited[route] += 1
        elif status >= 400:
            self.errors[f"HTTP {status} {route}"] += 1
        if self.measuring and status < 400:
            self.samples.append(Sample(route, ms, at, page))

    def over(self) -> bool:
        return time.time() >= self.deadline


def route_of(method: str, path: str) -> str:
    """A request's route for the figures: ids and tokens folded, query left out."""
    path = urlsplit(path).path
    if "/static/" in path:
        return f"{method} (static files)"
    path = re.sub(r"^/kiosk/queue/qr/[^/]+\.svg$", "/kiosk/queue/qr/<token>.svg", path)
    path = re.sub(r"^/kiosk/print/jobs/[^/]+$", "/kiosk/print/jobs/<token>", path)
    path = re.sub(r"/\d+(?=/|$)", "/<id>", path)
    return f"{method} {path}"


@dataclass
class Answer:
    status: int
    text: str
    path: str
    first_end: float


class Browser:
    """One terminal: its own loopback address, cookie jar and cached static files."""

    def __init__(self, run: Run, address: str) -> None:
        import aiohttp

        self.run = run
        self.address = address
        self.token = ""
        self.static_seen: set[str] = set()
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(local_addr=(address, 0), limit=6),
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies for an IP-address host
            timeout=aiohttp.ClientTimeout(total=30))

    async def close(self) -> None:
        await self.session.close()

    async def fetch(self, method: str, path: str, *, data: Any = None, json_body: Any = None,
                    headers: dict[str, str] | None = None, follow: bool = True,
                    statics: bool = True) -> Answer:
        """One request (and the redirects after it, each timed as its own request).

        :raises Failed: an exception, or a status of 400 or more.
        """
        import aiohttp

        first_end = 0.0
        while True:
            route = route_of(method, path)
            at = time.time()
            began = time.perf_counter()
            try:
                async with self.session.request(
                        method, self.run.base + path, data=data, json=json_body,
                        headers=headers, allow_redirects=False) as response:
                    body = await response.read()
                    status = response.status
                    kind = response.headers.get("Content-Type", "")
                    location = response.headers.get("Location", "")
            except (TimeoutError, aiohttp.ClientError) as exc:
                self.run.errors[f"{type(exc).__name__} {route}"] += 1
                raise Failed from exc
            ms = (time.perf_counter() - began) * 1000
            first_end = first_end or time.time()
            page = method == "GET" and kind.startswith("text/html")
            self.run.record(route, ms, at, status, page)
            textual = any(t in kind for t in ("text", "json", "xml", "javascript"))
            text = body.decode("utf-8", "replace") if textual else ""
            if status >= 400:
                raise Failed(f"{status} {route}")
            if follow and status in (301, 302, 303, 307) and location:
                target = urlsplit(location)
                method, data, json_body = "GET", None, None
                path = target.path + (f"?{target.query}" if target.query else "")
                continue
            if page:
                found = _CSRF.search(text) or _CSRF_FIELD.search(text)
                if found:
                    self.token = found.group(1)
                if statics:
                    await self._statics(text)
            return Answer(status, text, path, first_end)

    async def _statics(self, html: str) -> None:
        for path in _STATIC.findall(html):
            if path not in self.static_seen:
                self.static_seen.add(path)
                await self.fetch("GET", path.replace("&amp;", "&"), statics=False)

    async def pause(self, low: float, high: float) -> None:
        """A person's pause; :class:`Finished` when the run ends during it."""
        delay = random.uniform(low, high) * self.run.think
        left = self.run.deadline - time.time()
        if delay >= left:
            await asyncio.sleep(max(0.0, left))
            raise Finished
        if delay > 0:
            await asyncio.sleep(delay)

    async def wait(self, seconds: float) -> None:
        """Wait as a page's timer does (not scaled); :class:`Finished` at the run's end."""
        left = self.run.deadline - time.time()
        if seconds >= left:
            await asyncio.sleep(max(0.0, left))
            raise Finished
        await asyncio.sleep(max(0.0, seconds))


# =========================================================================== kiosks

class Kiosk(Browser):
    """A kiosk and the citizens who use it, one after another."""

    def __init__(self, run: Run, index: int) -> None:
        super().__init__(run, kiosk_address(index))
        self.index = index

    async def page(self, path: str) -> Answer:
        return await self.fetch("GET", path)

    async def citizen(self, warm: bool = False) -> None:
        """One person at the kiosk, from the start screen to walking away."""
        await self.page("/kiosk/")
        await self.pause(1, 3)
        everything = warm
        if everything or random.random() < 0.55:
            await self.search()
        if everything or random.random() < 0.25:
            await self.browse_category()
        if everything or random.random() < 0.25:
            await self.read_list("/kiosk/interpretations", r"/kiosk/interpretations/(\d+)")
        if everything or random.random() < 0.20:
            await self.read_list("/kiosk/guides", r"/kiosk/guides/(\d+)")
        if everything or random.random() < 0.10:
            await self.read_list("/kiosk/notices", r"/kiosk/notices/(\d+)")
        if warm:
            await self.page("/kiosk/queue")
            await self.page("/kiosk/apply")
            started = await self.form_post("/kiosk/apply/start", {})
            await self.fetch("GET", started.path.replace("/type", "/applicant"))
            await self.type_pinyin(IME_NAME)
            return
        if random.random() < 0.55:
            await self.take_ticket()
        if random.random() < 0.08:
            await self.apply()

    async def form_post(self, path: str, fields: dict[str, Any]) -> Answer:
        """A form posted as the browser posts it: with the page's CSRF token."""
        return await self.fetch("POST", path, data={"csrf_token": self.token, **fields})

    async def search(self) -> None:
        await self.page("/kiosk/search")
        await self.pause(1, 3)
        results: list[dict[str, Any]] = []
        if random.random() < 0.5:
            word = random.choice(WORDS)
            await self.pause(2, 5)  # typing it
            results = await self.api_search(word)
            if random.random() < 0.3:  # the search key: the results as a page
                await self.page(f"/kiosk/search?q={quote(word)}")
        else:
            letters = random.choice(LETTERS)
            for n in range(1, len(letters) + 1):  # the page asks after every key
                results = await self.api_search(letters[:n])
                await self.pause(0.4, 0.9)
        if results and random.random() < 0.7:
            await self.pause(1, 3)
            await self.read(random.choice(results[:5])["url"])

    async def api_search(self, q: str) -> list[dict[str, Any]]:
        answer = await self.fetch("GET", f"/api/search?q={quote(q)}",
                                  headers={"Accept": "application/json"})
        return list(json.loads(answer.text).get("results", []))

    async def read(self, path: str) -> None:
        """Open an article and read it; a policy's QR slip is printed now and then."""
        await self.page(path)
        await self.pause(4, 12)
        policy = re.match(r"^/kiosk/policies/(\d+)", path)
        if policy and random.random() < 0.10:
            await self.print_policy(int(policy.group(1)))

    async def print_policy(self, policy_id: int) -> None:
        """打印二维码 as the page's script does it, polling the job until it is out."""
        answer = await self.fetch(
            "POST", f"/kiosk/print/policy/{policy_id}", data={"csrf_token": self.token},
            headers={"Accept": "application/json", "X-CSRFToken": self.token})
        body = json.loads(answer.text)
        self.run.counts["QR slips asked"] += 1
        for _ in range(20):
            if body.get("state") != "printing" or not body.get("poll"):
                break
            await self.wait(1.0)
            body = json.loads((await self.fetch("GET", body["poll"])).text)
        if body.get("state") == "done":
            self.run.counts["QR slips printed"] += 1

    async def browse_category(self) -> None:
        answer = await self.page("/kiosk/categories")
        ids = re.findall(r'href="/kiosk/categories/(\d+)"', answer.text)
        if not ids:
            return
        await self.pause(1, 3)
        answer = await self.page(f"/kiosk/categories/{random.choice(ids)}")
        policies = re.findall(r'href="(/kiosk/policies/\d+)"', answer.text)
        if policies:
            await self.pause(1, 3)
            await self.read(random.choice(policies))

    async def read_list(self, path: str, link: str) -> None:
        answer = await self.page(path)
        ids = re.findall(link, answer.text)
        if ids:
            await self.pause(1, 4)
            await self.read(f"{path}/{random.choice(ids)}")

    async def take_ticket(self) -> None:
        """取号 as the page's script does it: ``POST /api/tickets``, then the QR image."""
        answer = await self.page("/kiosk/queue")
        codes = _SERVICE.findall(answer.text)
        if not codes:
            return
        await self.pause(2, 5)
        body: dict[str, Any] = {"service": random.choice(codes),
                                "request_key": secrets.token_hex(16), "source": "kiosk"}
        priorities = _PRIORITY.findall(answer.text)
        if priorities and random.random() < 0.1:
            body["priority"] = int(random.choice(priorities))
        cause = Cause("ticket", time.time(), service=body["service"])
        taken = await self.fetch("POST", "/api/tickets", json_body=body,
                                 headers={"Accept": "application/json"})
        cause.end = taken.first_end
        self.run.causes.append(cause)
        ticket = json.loads(taken.text)
        self.run.counts["tickets taken"] += 1
        if ticket.get("printed"):
            self.run.counts["ticket slips printed"] += 1
        await self.fetch("GET", f"/kiosk/queue/qr/{quote(ticket['token'])}.svg")
        await self.pause(3, 6)

    async def type_pinyin(self, syllables: list[str]) -> None:
        """The form's keyboard: one ``/kiosk/ime`` lookup per letter typed."""
        for syllable in syllables:
            for n in range(1, len(syllable) + 1):
                await self.fetch("GET", f"/kiosk/ime?p={syllable[:n]}",
                                 headers={"Accept": "application/json"})
                await self.pause(0.3, 0.7)

    async def apply(self) -> None:
        """依申请公开 through every step of the form, then the receipt and 完成."""
        await self.page("/kiosk/apply")
        await self.pause(3, 8)
        await self.form_post("/kiosk/apply/start", {})
        phone = f"138{random.randrange(10**8):08d}"
        steps: list[tuple[str, dict[str, Any], list[str]]] = [
            ("type", {"applicant_type": "person"}, []),
            ("applicant", {"name": "张三"}, IME_NAME),
            ("identity", {"id_type": "resident_id", "id_number": ID_NUMBER}, []),
            ("info", {"info_title": "老旧小区改造立项批复", "info_doc_number": "",
                      "info_description": "2025年本区老旧小区改造项目的立项批复文件"},
             IME_INFO),
            ("delivery", {"info_format": "paper", "delivery": "pickup"}, []),
            ("contact", {"phone": phone, "address": "", "email": ""}, []),
            ("consent", {"consent": "1"}, []),
        ]
        for name, fields, typed in steps:
            await self.pause(2, 5)
            await self.type_pinyin(typed)
            await self.form_post(f"/kiosk/apply/step/{name}", fields)
        await self.pause(4, 10)  # the review
        done = await self.form_post("/kiosk/apply/submit", {})
        self.run.counts["applications filed"] += 1
        if "打印机暂时无法打印回执" not in done.text:
            self.run.counts["receipt slips printed"] += 1
        await self.pause(3, 8)
        await self.form_post("/kiosk/apply/finish", {})


def kiosk_address(index: int) -> str:
    return f"127.0.{10 + index // 200}.{1 + index % 200}"


async def kiosk_loop(kiosk: Kiosk) -> None:
    run = kiosk.run
    try:
        await kiosk.pause(0, 3)
        while not run.over():
            try:
                await kiosk.citizen()
            except Failed:
                pass
            run.counts["kiosk visits"] += 1
            try:
                await kiosk.fetch("GET", "/kiosk/reset")  # the idle reset after the person left
            except Failed:
                pass
            await kiosk.pause(2, 8)
    except (Finished, Failed):
        pass


# =========================================================================== windows

class Clerk(Browser):
    """A clerk at a window: signs in, takes the window, calls and serves."""

    def __init__(self, run: Run, index: int, window: dict[str, Any], call_every: float) -> None:
        super().__init__(run, f"127.0.2.{1 + index}")
        self.index = index
        self.window = window
        self.call_every = call_every
        self.counter = f"/staff/counter/{window['id']}"

    async def sign_in(self) -> None:
        await self.fetch("GET", "/staff/login")
        await self.fetch("POST", "/staff/login", data={
            "csrf_token": self.token, "username": f"load-clerk-{self.index + 1}",
            "password": CLERK_PASSWORD})
        await self.fetch("GET", f"{self.counter}/open")
        answer = await self.fetch("POST", f"{self.counter}/open", data={
            "csrf_token": self.token,
            "services": [str(i) for i in self.window["service_ids"]]})
        if not answer.path.startswith(self.counter) or "/open" in answer.path:
            self.run.errors[f"window {self.window['number']} not taken"] += 1
            raise Failed

    async def move(self, action: str, kind: str) -> tuple[Cause, Answer]:
        cause = Cause(kind, time.time(), window=int(self.window["number"]))
        answer = await self.fetch("POST", f"{self.counter}/{action}",
                                  data={"csrf_token": self.token})
        cause.end = answer.first_end
        self.run.causes.append(cause)
        return cause, answer

    async def serve_until(self, until: float) -> None:
        """Serve the citizen at the window; the counter page polls its state every 5 s."""
        while True:
            left = until - time.time()
            if left <= 0:
                return
            await self.wait(min(5.0, left))
            await self.fetch("GET", f"{self.counter}/state.json")

    async def work(self, stagger: float) -> None:
        await self.wait(stagger)
        while True:
            cycle_end = time.time() + self.call_every * random.uniform(0.8, 1.2) * self.run.think
            cause, answer = await self.move("next", "call")
            if 'flash-success">已呼叫' not in answer.text:  # the flash says who was called
                cause.kind = "next-empty"
                self.run.counts["calls with nobody waiting"] += 1
            else:
                self.run.counts["calls"] += 1
                await self.serve_until(time.time() + (cycle_end - time.time()) * 0.3)
                if random.random() < 0.1:
                    await self.move("recall", "recall")
                    self.run.counts["recalls"] += 1
                await self.serve_until(time.time() + (cycle_end - time.time()) * 0.7)
                await self.move("finish", "finish")
                self.run.counts["finished"] += 1
            await self.serve_until(cycle_end)


async def clerk_loop(clerk: Clerk, stagger: float) -> None:
    try:
        await clerk.work(stagger)
    except (Finished, Failed):
        pass


# =========================================================================== lobby events

class EventLog:
    """What the screens saw: each event (its text once) and its arrival at every screen."""

    def __init__(self, screens: int) -> None:
        self.screens = screens
        self.texts: dict[int, str] = {}
        self.parsed: dict[int, tuple[str, dict[str, Any]]] = {}
        self.arrivals: dict[tuple[int, int], list[float]] = defaultdict(list)
        self.seen: dict[int, Counter[int]] = defaultdict(Counter)
        self.kinds: Counter[str] = Counter()
        self.connects = 0

    def merge(self, flushed: dict[str, Any], run: Run) -> None:
        for key, text in flushed["texts"].items():
            self.texts[int(key)] = text
        for index, events in flushed["screens"].items():
            seen = self.seen[int(index)]
            for key, at in events:
                self.arrivals[(key, seen[key])].append(at)
                seen[key] += 1
        self.kinds.update(flushed["kinds"])
        self.connects += int(flushed.get("connects", 0))
        for problem in flushed["problems"]:
            run.errors[re.sub(r"load-\d+", "load-NNN", problem)[:120]] += 1

    def event(self, key: int) -> tuple[str, dict[str, Any]]:
        if key not in self.parsed:
            name, *rest = json.loads(self.texts[key][len(EVENT):])
            self.parsed[key] = (str(name), rest[0] if rest else {})
        return self.parsed[key]


@dataclass
class Lobby:
    """Latencies (ms) of lobby events by kind, with what could not be matched."""

    latencies: dict[str, list[float]]
    delivered: Counter[str]
    expected: Counter[str]
    unmatched: Counter[str]


def _board_change(before: dict[str, Any] | None, after: dict[str, Any] | None
                  ) -> tuple[set[str], set[int]]:
    """Services whose waiting count rose, windows that left the board's current calls."""
    if not before or not after:
        return set(), set()
    waiting = {row["code"]: row["waiting"] for row in before.get("waiting", [])}
    rose = {row["code"] for row in after.get("waiting", [])
            if row["waiting"] > waiting.get(row["code"], 0)}
    left = ({row["window"] for row in before.get("current", [])}
            - {row["window"] for row in after.get("current", [])})
    return rose, left


def analyse(log: EventLog, causes: list[Cause], since: float, until: float) -> Lobby:
    """Match every event to the request that caused it; latencies of those that began in
    ``[since, until)``."""
    events = sorted((min(times), key, times) for (key, _n), times in log.arrivals.items())
    used: set[int] = set()
    window_moves: dict[int, list[Cause]] = defaultdict(list)
    board_causes: list[Cause] = []
    for move in sorted(causes, key=lambda c: c.start):
        if move.kind in ("call", "recall"):
            window_moves[move.window or 0].append(move)
        else:
            board_causes.append(move)
    out = Lobby(defaultdict(list), Counter(), Counter(), Counter())
    previous: dict[str, Any] | None = None
    for first, key, times in events:
        name, payload = log.event(key)
        board = payload.get("board") if isinstance(payload, dict) else None
        cause: Cause | None = None
        if name == "call":
            window = int(payload["call"]["window"])
            kind = "recall" if payload["call"].get("recall") else "call"
            fits = [c for c in window_moves.get(window, []) if id(c) not in used
                    and c.start <= first]
            cause = max(fits, key=lambda c: (c.kind == kind, c.start), default=None)
        elif name == "board":
            rose, left = _board_change(previous, board)
            pool = [c for c in board_causes if id(c) not in used and c.start <= first]
            near = [c for c in pool if first <= (c.end or first) + 1.0]
            fit = [c for c in near or pool
                   if (c.kind == "ticket" and c.service in rose)
                   or (c.kind != "ticket" and c.window in left)]
            candidates = fit or near
            cause = min(candidates, key=lambda c: c.start, default=None)
        previous = board or previous
        if cause is None:
            if since <= first < until:
                out.unmatched[name] += 1
            continue
        used.add(id(cause))
        if not since <= cause.start < until:
            continue
        label = name if name == "call" and cause.kind == "call" else (
            "call (recall)" if name == "call" else f"board ← {cause.kind}")
        out.latencies[label] += [(at - cause.start) * 1000 for at in times]
        if label == "call":  # where the time goes: to the first screen, then the fan-out
            out.latencies["call: to the first screen"].append((first - cause.start) * 1000)
            out.latencies["call: first → last screen"].append((max(times) - first) * 1000)
        out.delivered[label] += len(times)
        out.expected[label] += log.screens
    return out


# =========================================================================== the run

@dataclass
class Procs:
    server: subprocess.Popen[bytes] | None = None
    printer: subprocess.Popen[bytes] | None = None
    screens: list[asyncio.subprocess.Process] = field(default_factory=list)


class ScreensLink:
    """The screens processes: start them, ask for their events."""

    def __init__(self, procs: list[asyncio.subprocess.Process], log: EventLog) -> None:
        self.procs = procs
        self.log = log
        self.lock = asyncio.Lock()  # one question at a time, each answer read before the next

    async def flush(self, run: Run, command: str = "flush") -> None:
        async with self.lock:
            await self._ask(run, command)

    async def _ask(self, run: Run, command: str) -> None:
        for proc in self.procs:
            if proc.returncode is not None or proc.stdin is None or proc.stdout is None:
                continue
            proc.stdin.write(f"{command}\n".encode())
            await proc.stdin.drain()
            while True:
                line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
                if not line:
                    run.errors["a screens process ended"] += 1
                    break
                if line.startswith("events "):
                    self.log.merge(json.loads(line[len("events "):]), run)
                    break


async def start_screens(args: argparse.Namespace, port: int, names: list[str],
                        procs: Procs) -> float:
    """Start the screens processes; the slowest one's time to have every screen connected."""
    count = max(1, min(args.screen_procs, len(names)))
    shares = [names[i::count] for i in range(count)]
    offset = 0
    for share in shares:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "bench" / "hall_clients.py"), "--port", str(port),
            "--names", ",".join(share), "--offset", str(offset),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**30)
        procs.screens.append(proc)
        offset += len(share)
    slowest = 0.0
    for proc in procs.screens:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 180)).decode().split()
        if not line or line[0] != "ready":
            raise SystemExit("the screens failed to connect")
        slowest = max(slowest, float(line[1]))
    return slowest


def progress(text: str) -> None:
    """A line saying how far the bench has come (stderr: the report stays on stdout)."""
    print(f"· {text}", file=sys.stderr, flush=True)


def _cpu_share(before: tuple[float, float], after: tuple[float, float]) -> float:
    return (after[0] - before[0]) / max(1e-9, after[1] - before[1]) * 100


async def _keyboard(run: Run, lookup: bool) -> bool:
    """A keyboard page on a fresh connection (the worker it reaches starts building the
    keyboard's word index, 2-3 s in the background); with ``lookup``, True when a lookup
    there is answered from the index."""
    fresh = Browser(run, "127.0.3.1")
    try:
        await fresh.fetch("GET", "/kiosk/apply/status")
        if not lookup:
            return False
        answer = await fresh.fetch("GET", "/kiosk/ime?p=zhang")
        return not json.loads(answer.text).get("pending")
    finally:
        await fresh.close()


async def warm_up(run: Run, kiosks: list[Kiosk], clerks: list[Clerk], workers: int) -> float:
    """Clerks sign in; every kiosk goes once through the pages without pauses; the keyboard's
    word index is built in every worker. Not measured. The time it took."""
    start = time.monotonic()
    think, run.think = run.think, 0.0
    try:
        await asyncio.gather(*(_keyboard(run, False) for _ in range(2 * max(1, workers))))
        await asyncio.gather(*(c.sign_in() for c in clerks))
        for batch in range(0, len(kiosks), 10):
            some = kiosks[batch:batch + 10]
            await asyncio.gather(*(k.citizen(warm=True) for k in some))
            await asyncio.gather(*(k.fetch("GET", "/kiosk/reset") for k in some))
        # Enough answers from the index in a row, on fresh connections: every worker has it.
        in_row = 0
        deadline = time.monotonic() + 60
        while in_row < 3 * max(1, workers) and time.monotonic() < deadline:
            in_row = in_row + 1 if await _keyboard(run, True) else 0
            if not in_row:
                await asyncio.sleep(0.5)
    finally:
        run.think = think
    return time.monotonic() - start


async def run_hall(args: argparse.Namespace, run: Run, tree: ProcessTree,
                   meters: dict[str, CpuMeter], setup_info: dict[str, Any], port: int,
                   procs: Procs) -> dict[str, Any]:
    """Screens, warm-up, then the measured run with a line every 30 s; the raw figures."""
    names = setup_info["screens"]
    log = EventLog(len(names))
    ramp = await start_screens(args, port, names, procs) if names else 0.0
    for proc in procs.screens:
        meters["bench clients"].add(proc.pid)
    progress(f"{len(names)} screens connected in {ramp:.1f} s")
    link = ScreensLink(procs.screens, log)
    kiosks = [Kiosk(run, i) for i in range(args.kiosks)]
    clerks = [Clerk(run, i, w, args.call_every) for i, w in enumerate(setup_info["windows"])]
    try:
        warm = await warm_up(run, kiosks, clerks, args.workers)
        progress(f"warm-up done in {warm:.1f} s; measuring for {args.duration:g} s")
        await asyncio.sleep(1)  # let the spool print the warm-up's slips
        await link.flush(run)
        rss_start = tree.rss()
        cpu = (tree.cpu_seconds(), time.monotonic())
        others = {name: (m.cpu_seconds(), time.monotonic()) for name, m in meters.items()}
        load_before = os.getloadavg()[0]
        run.started = time.time()
        run.deadline = run.started + args.duration
        run.measuring = True
        first_call = min(args.call_every, max(1.0, args.duration / 3))
        tasks = [asyncio.create_task(kiosk_loop(k)) for k in kiosks]
        tasks += [asyncio.create_task(clerk_loop(c, random.uniform(0, first_call)))
                  for c in clerks]
        reporter = asyncio.create_task(report_every(args, run, tree, link, log))
        await asyncio.gather(*tasks)
        run.measuring = False
        ended = time.time()
        cpu_end = (tree.cpu_seconds(), time.monotonic())
        others_end = {name: (m.cpu_seconds(), time.monotonic()) for name, m in meters.items()}
        load_after = os.getloadavg()[0]
        rss_end = tree.rss()
        reporter.cancel()
        await asyncio.sleep(0.5 + len(names) / 600)  # events still on their way
        await link.flush(run, "stop")
        for proc in procs.screens:
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()
    finally:
        await asyncio.gather(*(b.close() for b in [*kiosks, *clerks]))
    return {"log": log, "ramp": ramp, "warm": warm, "rss_start": rss_start,
            "rss_end": rss_end, "cpu": _cpu_share(cpu, cpu_end),
            "others": {name: _cpu_share(others[name], others_end[name]) for name in meters},
            "load": (load_before, load_after), "ended": ended}


async def report_every(args: argparse.Namespace, run: Run, tree: ProcessTree, link: ScreensLink,
                       log: EventLog) -> None:
    """A short line every 30 s: the last interval's figures."""
    since = run.started
    cpu = (tree.cpu_seconds(), time.monotonic())
    while True:
        await asyncio.sleep(REPORT_EVERY)
        now = time.time()
        await asyncio.shield(link.flush(run))  # a cancel must not leave an answer unread
        cpu_now = (tree.cpu_seconds(), time.monotonic())
        recent = [s for s in run.samples if since <= s.at < now]
        pages = [s.ms for s in recent if s.page]
        lobby = analyse(log, run.causes, since, now)
        calls = lobby.latencies.get("call", [])
        rss = sum(tree.rss().values()) / 2**20
        print(f"[{now - run.started:5.0f} s] {len(recent)} requests, page p95 "
              f"{pct(pages, 95):.1f} ms, call → board p99 {pct(calls, 99):.1f} ms "
              f"({len(calls)} deliveries), errors so far {sum(run.errors.values())}, "
              f"server CPU {_cpu_share(cpu, cpu_now):.0f} %, RSS {rss:.0f} MB", flush=True)
        since, cpu = now, cpu_now


# =========================================================================== the report

def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def _row(label: str, values: list[float], target: str = "") -> None:
    print(f"  {label:<46} {len(values):>7} {pct(values, 50):>8.1f} {pct(values, 95):>8.1f} "
          f"{pct(values, 99):>8.1f} {max(values, default=float('nan')):>8.1f}   {target}")


def report(args: argparse.Namespace, run: Run, mode: str, figures: dict[str, Any],
           roles: dict[int, str]) -> None:
    log: EventLog = figures["log"]
    lobby = analyse(log, run.causes, run.started, figures["ended"])
    print(f"\ngongkai load — {mode}; {args.kiosks} kiosks, {args.windows} "
          f"windows, {log.screens} screens; {args.duration:.0f} s measured after a "
          f"{figures['warm']:.1f} s warm-up; {os.cpu_count()} CPUs")
    print("  rate limits: the defaults (each kiosk has its own address 127.0.10.x); think "
          f"times × {args.think:g}; a window calls about every {args.call_every:g} s")
    print(f"  screens connected in {figures['ramp']:.1f} s; load average (1 min) "
          f"{figures['load'][0]:.1f} at the start, {figures['load'][1]:.1f} at the end "
          "(everything on this machine counts in it, this bench too)")

    print(f"\n HTTP, per route (ms){'':<27} {'count':>7} {'p50':>8} {'p95':>8} {'p99':>8} "
          f"{'max':>8}")
    by_route: dict[str, list[float]] = defaultdict(list)
    page_routes: set[str] = set()
    for sample in run.samples:
        by_route[sample.route].append(sample.ms)
        if sample.page:
            page_routes.add(sample.route)
    for route in sorted(by_route, key=lambda r: (r not in page_routes, r)):
        values = by_route[route]
        target = ""
        if route in page_routes:
            target = f"page: target ≤ {PAGE_P95_TARGET_MS:.0f} ms (p95) " + verdict(
                pct(values, 95) <= PAGE_P95_TARGET_MS)
        _row(route, values, target)
    pages = [s.ms for s in run.samples if s.page]
    everything = [s.ms for s in run.samples]
    page_ok = pct(pages, 95) <= PAGE_P95_TARGET_MS
    _row("all pages (HTML GETs)", pages,
         f"target ≤ {PAGE_P95_TARGET_MS:.0f} ms (p95) {verdict(page_ok)}")
    _row("all requests", everything, f"({len(everything) / args.duration:.1f} per second)")

    print("\n Lobby events: request began → event at each screen (ms)"
          f"{'':<3} {'count':>7} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}")
    calls = lobby.latencies.get("call", [])
    call_ok = bool(calls) and pct(calls, 99) <= CALL_P99_TARGET_MS
    order = ["call", "call: to the first screen", "call: first → last screen", "call (recall)",
             "board ← ticket", "board ← finish", "board ← next-empty"]
    for label in sorted(lobby.latencies, key=lambda x: order.index(x) if x in order else 99):
        target = (f"target ≤ {CALL_P99_TARGET_MS:.0f} ms (p99) {verdict(call_ok)}"
                  if label == "call" else "")
        _row(label, lobby.latencies[label], target)
    boards = [v for k, values in lobby.latencies.items() if k.startswith("board")
              for v in values]
    _row("board (all)", boards)
    if not calls:
        print(f"  call{'':<42} no call was heard: target ≤ {CALL_P99_TARGET_MS:.0f} ms "
              "(p99) MISSED")
    delivered = sum(lobby.delivered.values())
    expected = sum(lobby.expected.values())
    print(f"  deliveries {delivered}/{expected}; events not matched to a request: "
          f"{dict(lobby.unmatched) or 'none'}; events by type at the screens (whole run): "
          f"{dict(log.kinds)}")
    missing = expected - delivered
    if missing > 0:
        run.errors["lobby events not delivered"] += missing

    print("\n Errors")
    errors = sum(run.errors.values())
    print(f"  {'errors (HTTP ≥ 400 but 429, exceptions, disconnects)':<54} {errors:>7}   "
          f"target 0 errors {verdict(errors == 0)}")
    for what, count in run.errors.most_common(15):
        print(f"    {count:>6} × {what}")
    print(f"  {'rate-limited (429)':<54} {sum(run.limited.values()):>7}   "
          f"{dict(run.limited) or ''}")

    print("\n Server")
    print(f"  {'CPU (server and its children)':<54} {figures['cpu']:>6.0f} %   of one core "
          f"({figures['cpu'] / (os.cpu_count() or 1):.0f} % of the machine)")
    for name, share in figures["others"].items():
        print(f"  {'CPU ' + name:<54} {share:>6.0f} %   of one core (not the server's)")
    start, end = figures["rss_start"], figures["rss_end"]
    for pid in sorted(set(start) | set(end)):
        before, after = start.get(pid), end.get(pid)
        growth = (f"{(after - before) / before * 100:+.1f} %" if before and after else
                  "(started or ended during the run)")
        print(f"  RSS {roles.get(pid, 'worker'):<10} pid {pid:<8} "
              f"{(before or 0) / 2**20:>7.0f} MB → {(after or 0) / 2**20:>5.0f} MB   {growth}")
    total_start, total_end = sum(start.values()), sum(end.values())
    growth = (total_end - total_start) / max(1, total_start) * 100
    print(f"  {'RSS total':<30} {total_start / 2**20:>7.0f} MB → {total_end / 2**20:>5.0f} MB"
          f"   {growth:+.1f} %   target ≤ {RSS_GROWTH_TARGET:.0f} % "
          f"{verdict(growth <= RSS_GROWTH_TARGET)}")

    print("\n The hall")
    for what in ("kiosk visits", "tickets taken", "ticket slips printed", "applications filed",
                 "receipt slips printed", "QR slips asked", "QR slips printed", "calls",
                 "recalls", "finished", "calls with nobody waiting"):
        print(f"  {what:<30} {run.counts.get(what, 0):>7}")
    print("\n Targets: " + ", ".join([
        f"page p95 {verdict(page_ok)}", f"call → board p99 {verdict(call_ok)}",
        f"0 errors {verdict(errors == 0)}",
        f"RSS growth {verdict(growth <= RSS_GROWTH_TARGET)}"]))


# =========================================================================== processes

def _pg_server() -> str:
    """The maintenance database's address on the PostgreSQL server to use."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql")):
        return PG_SERVER
    parts = urlsplit(url)
    return parts._replace(scheme="postgresql", path="/postgres").geturl()


def _pg_database(action: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_pg_server(), autocommit=True) as conn:
        if action == "create":
            conn.execute(f'CREATE DATABASE "{name}"')
        else:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _stop(proc: subprocess.Popen[bytes] | None, tree: ProcessTree | None = None,
          wait: float = 20) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
    if tree is not None:
        for pid, child in list(tree.known.items()):
            if pid != proc.pid:
                try:
                    child.kill()
                except Exception:  # noqa: BLE001 - already gone
                    pass


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _wait_ready(base: str, timeout: float) -> bool:
    """The server answers the start screen (gunicorn binds before its workers load)."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/kiosk/", timeout=5) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def drive(args: argparse.Namespace) -> None:
    db_kind = args.db or ("pg" if args.workers else "sqlite")
    if args.workers > 1 and db_kind != "pg":
        raise SystemExit("--workers above 1 needs --db pg (several processes share PostgreSQL)")
    tag = secrets.token_hex(4)
    tmp = tempfile.TemporaryDirectory(prefix="gongkai-load-")
    work = Path(tmp.name)
    server_port, printer_port = free_port(), free_port()
    base = f"http://127.0.0.1:{server_port}"
    pg_name = f"gongkai_load_{tag}"
    threads = args.threads or max(200, args.screens + 64)
    env = {**os.environ, "GONGKAI_SECRET_KEY": f"load-{tag}", "GONGKAI_VIRTUAL_PRINTER_PORT": "0",
           "GONGKAI_PUBLIC_BASE_URL": base, "PYTHONUNBUFFERED": "1"}
    printers = {f"kiosk-{i + 1}": {"transport": "network", "host": "127.0.0.1",
                                   "port": printer_port, "width": 80, "chinese": "gb18030",
                                   "qr": "native"} for i in range(args.kiosks)}
    env["GONGKAI_PRINTERS"] = json.dumps(printers)
    env["GONGKAI_KIOSK_PRINTERS"] = json.dumps(
        {kiosk_address(i): f"kiosk-{i + 1}" for i in range(args.kiosks)})
    if db_kind == "pg":
        _pg_database("create", pg_name)
        server = urlsplit(_pg_server())
        env["DATABASE_URL"] = server._replace(scheme="postgresql+psycopg",
                                              path=f"/{pg_name}").geturl()
        database = f"PostgreSQL {pg_name}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{work / 'hall.sqlite3'}"
        database = "SQLite (fresh file)"
    if args.workers:
        env.update({"GONGKAI_REDIS_URL": REDIS_URL,
                    "GONGKAI_SOCKETIO_CHANNEL": f"gongkai-load-{tag}",
                    "GONGKAI_RATELIMIT_KEY_PREFIX": f"gongkai-load-{tag}"})
        mode = (f"gongkai serve --workers {args.workers} --threads {threads} (gunicorn gthread), "
                f"{database}, Redis")
    else:
        mode = f"one process (hall.cli.serve, as gongkai run: Werkzeug threads), {database}"
    if args.profile:
        env["GONGKAI_LOAD_PROFILE"] = str(Path(args.profile).resolve())
    log_path = work / "server.log"
    procs = Procs()
    me = [sys.executable, str(Path(__file__).resolve())]
    tree: ProcessTree | None = None
    try:
        procs.printer = subprocess.Popen(
            [sys.executable, "-m", "printer.emulator", "--port", str(printer_port),
             "--out", str(work / "printer")], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        began = time.monotonic()
        made = subprocess.run(
            [*me, "--setup", "--windows", str(args.windows), "--screens", str(args.screens),
             "--backlog", str(args.backlog if args.backlog >= 0 else 2 * args.windows)],
            cwd=ROOT, env=env, capture_output=True, text=True)
        found = [line for line in made.stdout.splitlines() if line.startswith(SETUP_MARK)]
        if made.returncode != 0 or not found:
            raise SystemExit(f"setup failed:\n{made.stdout[-3000:]}\n{made.stderr[-3000:]}")
        setup_info = json.loads(found[-1][len(SETUP_MARK):])
        progress(f"database migrated and seeded in {time.monotonic() - began:.1f} s")
        began = time.monotonic()
        if not wait_port(printer_port, 60):
            raise SystemExit("the virtual printer did not start")
        with open(log_path, "wb") as server_log:
            if args.workers:
                gongkai = str(Path(sys.executable).parent / "gongkai")
                command = [gongkai, "serve", "--host", "127.0.0.1", "--port", str(server_port),
                           "--workers", str(args.workers), "--threads", str(threads),
                           "--access-log", str(work / "access.log")]
            else:
                command = [*me, "--serve", "--port", str(server_port),
                           "--switch-interval", str(args.switch_interval)]
            procs.server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=server_log,
                                            stderr=subprocess.STDOUT)
        if not _wait_ready(base, 180):
            raise SystemExit(f"the server did not start:\n{_tail(log_path)}")
        progress(f"server ready in {time.monotonic() - began:.1f} s")
        tree = ProcessTree(procs.server.pid)
        roles = {procs.server.pid: "master" if args.workers else "server"}
        meters = {"virtual printer": CpuMeter([procs.printer.pid]),
                  "bench clients": CpuMeter([os.getpid()])}
        if db_kind == "pg":
            meters["PostgreSQL backends"] = CpuMeter(cmdline_has=f" {pg_name} ")
        rss_ready = sum(tree.rss().values())
        run = Run(base=base, think=args.think)
        figures = asyncio.run(run_hall(args, run, tree, meters, setup_info, server_port,
                                       procs))
        print(f"  (server RSS when ready, before any client: {rss_ready / 2**20:.0f} MB)")
        report(args, run, mode, figures, roles)
        if tree.gone:
            print(f"  server processes that ended during the run: {sorted(tree.gone)}")
    finally:
        for proc in procs.screens:
            if proc.returncode is None:
                proc.kill()
        _stop(procs.server, tree, 300 if args.profile else 20)  # a profile takes a while
        _stop(procs.printer)
        if db_kind == "pg":
            try:
                _pg_database("drop", pg_name)
            except Exception as exc:  # noqa: BLE001 - say so, do not hide the report
                print(f"could not drop database {pg_name}: {exc}", file=sys.stderr)
        if args.keep_log:
            print(f"server log: {args.keep_log}")
            Path(args.keep_log).write_bytes(log_path.read_bytes() if log_path.exists() else b"")
        tmp.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=300.0,
                        help="seconds measured, after the warm-up (default 300)")
    parser.add_argument("--kiosks", type=int, default=20)
    parser.add_argument("--windows", type=int, default=10)
    parser.add_argument("--screens", type=int, default=300)
    parser.add_argument("--workers", type=int, default=0,
                        help="0: one process as `gongkai run` serves; N: gongkai serve "
                             "--workers N (PostgreSQL + Redis)")
    parser.add_argument("--db", choices=("sqlite", "pg"), default="",
                        help="default: sqlite with --workers 0, pg otherwise")
    parser.add_argument("--threads", type=int, default=0,
                        help="gunicorn threads per worker (default: screens + 64, at least 200)")
    parser.add_argument("--screen-procs", type=int, default=2,
                        help="processes holding the screens (default 2)")
    parser.add_argument("--call-every", type=float, default=20.0,
                        help="seconds between one window's calls, about (default 20)")
    parser.add_argument("--think", type=float, default=1.0,
                        help="scale of every person's pauses (default 1)")
    parser.add_argument("--backlog", type=int, default=-1,
                        help="tickets waiting at the start (default: 2 per window)")
    parser.add_argument("--profile", default="",
                        help="--workers 0: write a cProfile of the server to this file")
    parser.add_argument("--keep-log", default="", help="copy the server's log to this file")
    parser.add_argument("--switch-interval", type=float, default=0.0,
                        help="--workers 0: the server's sys.setswitchinterval (an experiment; "
                             "default: Python's 0.005 s)")
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    raise_file_limit()
    if args.setup:
        setup(args)
    elif args.serve:
        serve(args)
    else:
        drive(args)


if __name__ == "__main__":
    main()
