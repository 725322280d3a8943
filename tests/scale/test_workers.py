"""``gongkai serve --workers 3`` on PostgreSQL and Redis, as a hall that outgrew one process
runs it: tickets taken and applications filed at once through every worker come out numbered
without gaps or repeats, a kiosk's half-filled form follows the citizen from worker to worker
(each request on a new connection), and a call made through one worker reaches lobby clients
connected to every worker.

This runs in both passes of CI (the SQLite pass too): several workers need PostgreSQL, which
this machine always runs, so the module makes and drops its own database there.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
import socketio
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select

from disclosure.models import Application
from hall import accounts
from hall.app import create_app
from hall.config import normalise_url
from hall.extensions import db
from hall.models import Role
from kiosk import disclosure as pages
from tests.disclosure.support import PHONE, VALID_ID
from tests.pg_support import scratch_database
from tests.staff_support import PASSWORD, token_in
from tests.tickets.support import make_service, make_window
from tickets.models import Ticket

SERVER = normalise_url(os.environ.get("GONGKAI_PG_SERVER", "postgresql://postgres@127.0.0.1:5432"))
REDIS = "redis://127.0.0.1:6379/0"
WORKERS = 3
CLOSE = {"Connection": "close"}  # every request on a new connection: any worker may take it


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A migrated PostgreSQL database with one service and two windows, served by three
    gunicorn workers sharing Redis; yields the base URL, the database URL and the server."""
    with scratch_database(SERVER, "gongkai_scale") as url:
        yield from _serve(url, url.rsplit("/", 1)[1], tmp_path_factory)


def _serve(url: str, name: str, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[dict[str, Any]]:
    instance = tmp_path_factory.mktemp("scale")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "scale"})
    app.instance_path = str(instance)
    with app.app_context():
        upgrade()
        service = make_service("gk", "政府信息公开申请", "A")
        make_window(1, service)
        make_window(2, service)
        for clerk in ("clerk1", "clerk2"):
            accounts.create_user(clerk, PASSWORD, [Role.CLERK], display_name=clerk)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "GONGKAI_REDIS_URL": REDIS,
           "GONGKAI_SECRET_KEY": "scale-secret", "GONGKAI_SOCKETIO_CHANNEL": name,
           "GONGKAI_RATELIMIT_KEY_PREFIX": name, "GONGKAI_PRINTERS": "{}",
           "GONGKAI_KIOSK_PRINTERS": "{}", "GONGKAI_TICKET_RATE_LIMIT": "100000 per minute",
           "GONGKAI_DISCLOSURE_FILE_RATE_LIMIT": "100000 per minute",
           "GONGKAI_KIOSK_FORM_RATE_LIMIT": "100000 per minute",
           "FLASK_APP": "", "PYTHONUNBUFFERED": "1"}
    log = (instance / "serve.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gongkai"), "serve", "--port", str(port),
         "--workers", str(WORKERS), "--threads", "32", "--access-log", "off"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=instance)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (instance / "serve.log").read_text()
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200 and \
                        len(psutil.Process(server.pid).children()) == WORKERS:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, (instance / "serve.log").read_text()
            time.sleep(0.2)
        yield {"base": base, "url": url, "server": server, "log": instance / "serve.log"}
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _rows(url: str, query: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(query))
    finally:
        engine.dispose()


def _workers_on_database(server: subprocess.Popen[bytes]) -> int:
    """How many worker processes hold a connection to PostgreSQL's port."""
    busy = 0
    for child in psutil.Process(server.pid).children():
        if any(c.raddr and c.raddr.port == 5432 for c in child.net_connections("tcp")):
            busy += 1
    return busy


def test_tickets_taken_through_every_worker_are_numbered_once(hall: dict[str, Any]) -> None:
    def take(_: int) -> str:
        response = requests.post(f"{hall['base']}/api/tickets", json={"service": "gk"},
                                 headers=CLOSE, timeout=30)
        assert response.status_code == 201, response.text
        return str(response.json()["number"])

    with ThreadPoolExecutor(12) as pool:
        numbers = list(pool.map(take, range(60)))
    assert len(set(numbers)) == 60
    assert sorted(numbers) == [f"A{n:03d}" for n in range(1, 61)]
    stored = [row[0] for row in _rows(hall["url"], select(Ticket.number))]
    assert sorted(stored) == sorted(numbers)
    assert _workers_on_database(hall["server"]) >= 2, "the load reached only one worker"


def _file_application(base: str, name: str) -> str:
    """The kiosk's 依申请公开 steps, each request on a new connection (so on any worker):
    the draft lives in Redis, so every step finds what the one before kept."""
    session = requests.Session()
    session.headers.update(CLOSE)

    def token(path: str) -> str:
        page = session.get(base + path, timeout=30)
        assert page.status_code == 200, page.text[:500]
        return token_in(page.text)

    def post(path: str, **data: str) -> requests.Response:
        response = session.post(base + path, data={"csrf_token": token(path if "step" in path
                                                                         else "/kiosk/apply"),
                                                    **data}, allow_redirects=False, timeout=30)
        assert response.status_code == 303, (path, response.status_code, response.text[:2000])
        return response

    values = {"applicant_type": "person", "name": name, "id_type": "resident_id",
              "id_number": VALID_ID, "info_title": "（测试）𠮷〇号老旧小区改造立项批复",
              "info_doc_number": "", "info_description": "2025年本区老旧小区改造项目的立项批复文件",
              "info_format": "paper", "delivery": "pickup", "phone": PHONE, "address": "",
              "email": "", "consent": "1"}
    post("/kiosk/apply/start")
    for step in pages.STEPS:
        post(f"/kiosk/apply/step/{step.name}",
             **{f: values[f] for f in step.fields if f in values})
    done = post("/kiosk/apply/submit")
    receipt = session.get(base + done.headers["Location"], timeout=30)
    match = re.search(r"\d{4}-\d{6}", receipt.text)
    assert match, receipt.text[:2000]
    return match.group(0)


def test_applications_filed_step_by_step_across_workers_are_numbered_once(
        hall: dict[str, Any]) -> None:
    with ThreadPoolExecutor(6) as pool:
        numbers = list(pool.map(lambda i: _file_application(hall["base"], f"申请人{i}号"),
                                range(12)))
    assert len(set(numbers)) == 12
    seqs = sorted(int(n.split("-")[1]) for n in numbers)
    assert seqs == list(range(seqs[0], seqs[0] + 12))
    stored = _rows(hall["url"], select(Application.number, func.length(Application.number)))
    assert sorted(row[0] for row in stored) == sorted(numbers)


class Lobby:
    """A lobby client on its own connection (so on whichever worker took it)."""

    def __init__(self, base: str) -> None:
        self.calls: list[dict[str, Any]] = []
        self.got = threading.Event()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("call", self._call, namespace="/screens")
        self.sio.on("board", lambda data: None, namespace="/screens")
        self.sio.connect(base, namespaces=["/screens"], transports=["websocket"],
                         wait_timeout=10)
        self.sio.emit("follow", {}, namespace="/screens")

    def _call(self, data: dict[str, Any]) -> None:
        self.calls.append(data)
        self.got.set()


def _clerk(base: str, username: str, window_id: int) -> tuple[requests.Session, str]:
    session = requests.Session()
    token = token_in(session.get(f"{base}/staff/login", timeout=30).text)
    signed = session.post(f"{base}/staff/login", allow_redirects=False, timeout=30,
                          data={"username": username, "password": PASSWORD,
                                "csrf_token": token})
    assert signed.status_code == 302, signed.text[:500]
    page = session.get(f"{base}/staff/counter/{window_id}/open", timeout=30)
    token = token_in(page.text)
    opened = session.post(f"{base}/staff/counter/{window_id}/open", allow_redirects=False,
                          timeout=30, data={"csrf_token": token, "services": re.findall(
                              r'name="services"[^>]*value="(\d+)"', page.text)})
    assert opened.status_code == 303, opened.text[:2000]
    return session, token


def test_a_call_through_one_worker_reaches_lobby_clients_on_every_worker(
        hall: dict[str, Any]) -> None:
    base = hall["base"]
    for _ in range(2):
        assert requests.post(f"{base}/api/tickets", json={"service": "gk"},
                             timeout=30).status_code == 201
    lobbies = [Lobby(base) for _ in range(9)]
    try:
        holders = 0
        for child in psutil.Process(hall["server"].pid).children():
            ports = {c.laddr.port for c in child.net_connections("tcp") if c.raddr}
            holders += any(p == int(base.rsplit(":", 1)[1]) for p in ports)
        assert holders >= 2, "every lobby client landed on the same worker"
        time.sleep(0.5)  # the follows have joined their rooms
        numbers = []
        for clerk, window_id in (("clerk1", 1), ("clerk2", 2)):
            session, token = _clerk(base, clerk, window_id)
            called = session.post(f"{base}/staff/counter/{window_id}/next",
                                  data={"csrf_token": token}, allow_redirects=False, timeout=30)
            assert called.status_code == 303, called.text[:2000]
            for lobby in lobbies:
                assert lobby.got.wait(5), "a lobby client missed the call"
                lobby.got.clear()
            numbers.append({lobby.calls[-1]["call"]["number"] for lobby in lobbies})
        assert numbers[0] != numbers[1]
        assert all(len(seen) == 1 for seen in numbers)
    finally:
        for lobby in lobbies:
            lobby.sio.disconnect()
