"""Helpers of the fault tests: the hall's server as a real process (the ``gongkai run`` path:
``create_app`` with configuration from the environment, then ``hall.cli.serve``) on a fixed
port that outlives restarts, its database seen from outside, and citizens and staff as plain
HTTP clients (``requests``) that read CSRF tokens from the pages as a browser would.

Each server process is forked from a launcher that has imported the hall once (importing is
most of a start: seconds on a busy machine), so a restart after kill -9 costs what building
the app and binding the port cost, as in a hall whose server is restarted by systemd."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection

from hall.app import create_app
from hall.extensions import db
from kiosk import disclosure as apply_pages
from tests.disclosure.support import PHONE, VALID_ID
from tests.printer.server_support import wait_until
from tests.staff_support import PASSWORD, token_in

ROOT = Path(__file__).resolve().parents[2]
SECRET = "fault-tests-secret"
#: The launcher: imports the hall, then forks one server per line it reads (JSON: the
#: server's environment and its log file) and answers with the server's pid. The kernel reaps
#: the servers (SIGCHLD ignored), so a killed one is gone at once. In a server, writes past
#: ``RLIMIT_FSIZE`` fail with EFBIG (an OSError) instead of killing it, as a full disk fails
#: them with ENOSPC; a test sets that limit from outside (prlimit).
LAUNCHER = """
import json, os, signal, sys, traceback
import hall.app, hall.cli
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
for line in sys.stdin:
    order = json.loads(line)
    pid = os.fork()
    if pid == 0:
        try:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            log = os.open(order["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(log, 1)
            os.dup2(log, 2)
            nothing = os.open(os.devnull, os.O_RDONLY)
            os.dup2(nothing, 0)
            os.environ.clear()
            os.environ.update(order["env"])
            app = hall.app.create_app()
            app.instance_path = os.environ["FAULT_INSTANCE"]
            hall.cli.serve(app, "127.0.0.1", int(os.environ["FAULT_PORT"]))
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(1)
    print(pid, flush=True)
"""
#: Settings every fault server gets: printing off unless a test points it at a printer; rate
#: limits off, as one address here stands for a hall full of kiosks.
BASE_CONFIG: dict[str, Any] = {
    "SECRET_KEY": SECRET,
    "RATELIMIT_ENABLED": False,
    "PUBLIC_BASE_URL": "http://hall.example.test",
    "VIRTUAL_PRINTER_PORT": 0,
    "PRINTERS": {},
    "KIOSK_PRINTERS": {},
}
#: The sentence of a clean "database busy" answer (hall/errors.py, tickets/queue.py).
BUSY = "系统繁忙"
APPLICATION = {"applicant_type": "person", "name": "张三", "id_type": "resident_id",
               "id_number": VALID_ID, "info_title": "老旧小区改造立项批复",
               "info_doc_number": "",
               "info_description": "2025年本区老旧小区改造项目的立项批复文件",
               "info_format": "paper", "delivery": "pickup", "phone": PHONE, "address": "",
               "email": "", "consent": "1"}


@dataclass(frozen=True)
class Site:
    """A hall's database and instance folder, as the server and the test both see them."""

    url: str
    instance: Path
    tmp: Path

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path:
        return Path(self.url.removeprefix("sqlite:///"))

    def seed(self, fill: Callable[[], Any]) -> Any:
        """Run ``fill`` in an app context on this database (models, domain functions, signals)
        and return what it returns; nothing of that app stays open."""
        app = create_app({"TESTING": True, "SECRET_KEY": SECRET,
                          "SQLALCHEMY_DATABASE_URI": self.url})
        app.instance_path = str(self.instance)
        try:
            with app.app_context():
                try:
                    return fill()
                finally:
                    db.session.remove()
                    db.engine.dispose()
        finally:
            app.extensions["printer_spool"].stop()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection of the test's own (not the server's), closed after."""
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            engine.dispose()

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.connect() as conn:
            return list(conn.execute(text(sql), params).all())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Launcher:
    """The process that forks servers (see ``LAUNCHER``); one per test session."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER], cwd=ROOT, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def fork(self, env: Mapping[str, str], log: Path) -> int:
        """A new server process with ``env`` as its whole environment; its pid."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"env": dict(env), "log": str(log)}).encode()
                                 + b"\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, f"the launcher stopped ({self.process.poll()})"
        return int(answer)

    def close(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(15)
        self.process.stdout.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Server:
    """The hall's server in its own process on one port, started again on the same port.

    ``config`` becomes ``GONGKAI_*`` variables (JSON for anything but strings), read by
    ``create_app`` as in production; output goes to ``server-<n>.log`` in the test's folder.
    """

    def __init__(self, site: Site, launcher: Launcher, **config: Any) -> None:
        self.site = site
        self.launcher = launcher
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: int | None = None
        self.starts = 0
        self.logs: list[Path] = []
        env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
        for key, value in {**BASE_CONFIG, **config}.items():
            env[f"GONGKAI_{key}"] = value if isinstance(value, str) else json.dumps(value)
        env.update(DATABASE_URL=site.url, FAULT_INSTANCE=str(site.instance),
                   FAULT_PORT=str(self.port), PYTHONUNBUFFERED="1")
        self.env = env

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process

    @property
    def running(self) -> bool:
        return self.process is not None and alive(self.process)

    def start(self, timeout: float = 40.0) -> float:
        """Start the server and wait until it answers; return that moment (monotonic)."""
        assert not self.running, "already running"
        self.starts += 1
        log = self.site.tmp / f"server-{self.starts}.log"
        self.logs.append(log)
        self.process = self.launcher.fork(self.env, log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return time.monotonic()
            except requests.RequestException:
                pass
            if not self.running:
                raise AssertionError(f"the server stopped:\n{self.log()[-3000:]}")
            time.sleep(0.05)
        raise AssertionError(f"the server did not answer within {timeout} s:\n"
                             f"{self.log()[-3000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` (kill -9 by default) and wait until the process is gone."""
        os.kill(self.pid, sig)
        wait_until(lambda: not self.running, timeout=15, step=0.01, what="the server gone")

    def stop(self) -> None:
        if self.running:
            self.kill()

    def log(self) -> str:
        """Everything every run of the server wrote (stdout and stderr)."""
        return "".join(p.read_text(errors="replace") for p in self.logs if p.exists())


@contextmanager
def running(server: Server) -> Iterator[Server]:
    """The server started, and stopped (killed) on the way out whatever happened."""
    try:
        server.start()
        yield server
    finally:
        server.stop()


# -- clients -----------------------------------------------------------------------------------


def take_ticket(http: requests.Session, base: str, key: str | None = None,
                service: str = "gk", timeout: float = 15) -> requests.Response:
    """``POST /api/tickets`` as the kiosk's script or a ticket button does."""
    return http.post(f"{base}/api/tickets", timeout=timeout,
                     json={"service": service, "request_key": key or uuid.uuid4().hex,
                           "source": "button"})


def session_of(http: requests.Session) -> dict[str, Any]:
    """The Flask session a client carries (signed, not encrypted: readable with the key)."""
    cookie = http.cookies.get("session")
    if not cookie:
        return {}
    app = Flask("faults")
    app.secret_key = SECRET
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    data: dict[str, Any] = serializer.loads(cookie)
    return data


class Applicant:
    """A citizen filing an application at the kiosk, step by step, with the pages' CSRF token;
    the receipt number is read from the session cookie of the answer that filed it."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.token = ""

    def post(self, path: str, timeout: float = 15, **data: Any) -> requests.Response:
        if not self.token:
            page = self.http.get(f"{self.base}/kiosk/apply", timeout=timeout)
            self.token = token_in(page.text)
        return self.http.post(f"{self.base}{path}", data={"csrf_token": self.token, **data},
                              allow_redirects=False, timeout=timeout)

    def fill(self, **override: Any) -> None:
        """Start a draft and go through every step with good values."""
        values = {**APPLICATION, **override}
        started = self.post("/kiosk/apply/start")
        assert started.status_code == 303, started.text[:500]
        for step in apply_pages.STEPS:
            done = self.post(f"/kiosk/apply/step/{step.name}",
                             **{f: values[f] for f in step.fields if f in values})
            assert done.status_code == 303, done.text[:1000]

    def submit(self, timeout: float = 15) -> requests.Response:
        return self.post("/kiosk/apply/submit", timeout=timeout)

    def receipt(self) -> dict[str, Any] | None:
        receipt = session_of(self.http).get(apply_pages.RECEIPT_KEY)
        return receipt if isinstance(receipt, dict) else None


class Staff:
    """A staff member signed in through the login form."""

    def __init__(self, base: str, username: str, password: str = PASSWORD) -> None:
        self.base = base
        self.http = requests.Session()
        page = self.http.get(f"{base}/staff/login", timeout=15)
        answer = self.http.post(f"{base}/staff/login", allow_redirects=False, timeout=15,
                                data={"username": username, "password": password,
                                      "csrf_token": token_in(page.text)})
        assert answer.status_code == 302, answer.text[:1000]
        self.token = token_in(self.http.get(f"{base}/staff/", timeout=15).text)

    def post(self, path: str, timeout: float = 15, files: Mapping[str, Any] | None = None,
             **data: Any) -> requests.Response:
        return self.http.post(f"{self.base}{path}", data={"csrf_token": self.token, **data},
                              files=files, allow_redirects=False, timeout=timeout)


def clean_refusal(response: requests.Response) -> bool:
    """A 503 that says, in Chinese, that the system is busy, and shows no trace."""
    return (response.status_code == 503 and BUSY in response.text
            and "Traceback" not in response.text)
