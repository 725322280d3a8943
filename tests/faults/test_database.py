"""The database briefly locked (SQLite: another connection holds an EXCLUSIVE transaction) or
restarted (PostgreSQL: the server's connections are terminated — the PostgreSQL server is
shared by other test runs, so it is not itself restarted): citizens' requests and a clerk's
write either succeed after waiting or get a clean 503 "系统繁忙" (never a 500 nor a trace),
sending them again succeeds, and nothing acknowledged is lost."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from sqlalchemy import text

from hall.models import Role
from tests.conftest import USE_PG
from tests.faults.support import (
    BUSY,
    Applicant,
    Launcher,
    Server,
    Site,
    Staff,
    clean_refusal,
    running,
    take_ticket,
    wait_until,
)
from tests.staff_support import create_staff
from tests.tickets.support import make_service, make_window
from tickets import queue

#: SQLite's busy wait (``PRAGMA busy_timeout`` in hall/db.py) and how long the lock is held:
#: longer, so writes sent at once give up (503) and writes sent late succeed after waiting.
BUSY_TIMEOUT = 5.0
HOLD = BUSY_TIMEOUT + 2.0


@dataclass
class Sent:
    """One request sent in its own thread: its answer, or why there is none, and when."""

    what: str
    send: Callable[[], requests.Response]
    answer: requests.Response | None = None
    error: str = ""
    finished: float = 0.0
    thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.answer = self.send()
        except requests.RequestException as exc:
            self.error = repr(exc)
        self.finished = time.monotonic()

    def result(self) -> requests.Response:
        self.thread.join(30)
        assert self.answer is not None, f"{self.what}: no answer ({self.error})"
        assert self.answer.status_code != 500 and "Traceback" not in self.answer.text, (
            self.what, self.answer.status_code, self.answer.text[:2000])
        return self.answer

    @property
    def ok(self) -> bool:
        return self.result().status_code in (200, 201, 303)


def _hall() -> int:
    """A service, its window held by clerk.li; returns the window's id."""
    service = make_service()
    window = make_window(1, service)
    clerk = create_staff("clerk.li", Role.CLERK)
    queue.open_window(window.id, clerk.id, clerk.label)
    return window.id


@dataclass
class Hall:
    """The server with a clerk at window 1, people waiting and drafts ready to file."""

    server: Server
    window: int
    clerk: Staff
    tickets: dict[str, str] = field(default_factory=dict)  # acknowledged number -> token
    applications: dict[str, str] = field(default_factory=dict)
    calls: int = 0  # call-next moves acknowledged

    def ticket(self, key: str | None = None) -> Sent:
        key = key or uuid.uuid4().hex
        return Sent(f"ticket {key}", lambda: take_ticket(requests.Session(), self.server.url,
                                                         key, timeout=30))

    def call_next(self) -> Sent:
        return Sent("call next", lambda: self.clerk.post(
            f"/staff/counter/{self.window}/next", timeout=30))

    def submit(self, applicant: Applicant) -> Sent:
        return Sent("application", lambda: applicant.submit(timeout=30))

    def page(self, path: str) -> Sent:
        return Sent(path, lambda: requests.get(f"{self.server.url}{path}", timeout=30))

    def acknowledged(self, sent: Sent, applicant: Applicant | None = None) -> bool:
        """Note what ``sent`` was told it got; False for a clean refusal (anything else
        fails the test)."""
        answer = sent.result()
        if sent.what.startswith("ticket"):
            if answer.status_code in (200, 201):
                self.tickets[answer.json()["number"]] = answer.json()["token"]
                return True
            assert clean_refusal(answer), (answer.status_code, answer.text[:500])
            assert answer.headers["Content-Type"].startswith("application/json")
            return False
        if sent.what == "application":
            if answer.status_code == 303:
                assert applicant is not None
                receipt = applicant.receipt()
                assert receipt is not None
                self.applications[receipt["number"]] = receipt["token"]
                return True
            assert clean_refusal(answer), (answer.status_code, answer.text[:500])
            assert answer.headers["Retry-After"]  # hall/errors.py: send again later
            return False
        if sent.what == "call next":
            if answer.status_code == 303:
                self.calls += 1
                return True
            # the counter page again, with the reason (422), or the error page (503)
            assert answer.status_code in (422, 503) and BUSY in answer.text, answer.text[:500]
            return False
        assert answer.status_code == 200, (sent.what, answer.status_code)
        return True

    def check_stored(self, site: Site) -> None:
        stored = dict(site.rows("SELECT number, token FROM queue_ticket"))
        for number, token in self.tickets.items():
            assert stored.get(number) == token, f"acknowledged ticket {number} lost"
        filed = dict(site.rows("SELECT number, token FROM disclosure_application"))
        for number, token in self.applications.items():
            assert filed.get(number) == token, f"acknowledged application {number} lost"
        assert len(filed) == len(self.applications)
        calls = site.rows("SELECT count(*) FROM queue_call")[0][0]
        moves = site.rows("SELECT count(*) FROM audit_entry WHERE action = 'counter_call_next'")
        assert calls == moves[0][0] == self.calls
        for service_id, day, last in site.rows("SELECT service_id, day, last FROM queue_number"):
            seqs = sorted(s for (s,) in site.rows(
                "SELECT seq FROM queue_ticket WHERE service_id = :s AND day = :d",
                s=service_id, d=day))
            assert seqs == list(range(1, last + 1))


def _open_hall(site: Site, server: Server) -> Hall:
    hall = Hall(server, site.seed(_hall), Staff(server.url, "clerk.li"))
    for _ in range(8):  # people waiting for the clerk to call
        assert hall.acknowledged(hall.ticket())
    return hall


def _drafts(hall: Hall, count: int) -> list[Applicant]:
    applicants = [Applicant(hall.server.url) for _ in range(count)]
    for applicant in applicants:
        applicant.fill()
    return applicants


if not USE_PG:

    def test_sqlite_locked_by_another_connection_waits_or_refuses_cleanly(
            site: Site, launcher: Launcher) -> None:
        server = Server(site, launcher)
        with running(server):
            hall = _open_hall(site, server)
            early, late = _drafts(hall, 2)
            holder = sqlite3.connect(site.sqlite_path, isolation_level=None, timeout=10)
            holder.execute("BEGIN EXCLUSIVE")
            locked = time.monotonic()
            try:
                first = [hall.ticket(), hall.ticket(), hall.submit(early), hall.call_next(),
                         hall.page("/kiosk/"), hall.page("/api/services")]
                time.sleep(max(0.0, locked + HOLD - 1.5 - time.monotonic()))
                second = [hall.ticket(), hall.submit(late), hall.call_next()]
                time.sleep(max(0.0, locked + HOLD - time.monotonic()))
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            released = time.monotonic()

            refused = [s for s in first + second
                       if not hall.acknowledged(s, early if s is first[2] else late)]
            # Held past the busy wait: the application sent at once was refused, cleanly.
            assert first[2] in refused
            # Sent 1.5 s before the end: each waited and went through.
            assert not [s for s in second if s in refused]
            for sent in first[:4] + second:  # a write that went through had waited
                if sent not in refused:
                    assert sent.finished >= released - 0.05, sent.what
            # Sent again (same request key, same draft): now they go through.
            for sent in refused:
                again = {"application": lambda: hall.submit(early),
                         "call next": hall.call_next}.get(sent.what)
                retry = again() if again else hall.ticket(sent.what.split()[1])
                assert hall.acknowledged(retry, early), retry.what
        hall.check_stored(site)
        assert "unhandled error" not in server.log()

else:

    def _waiting_on_locks(site: Site, count: int) -> None:
        def waiting() -> bool:
            found = site.rows("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                              "current_database() AND wait_event_type = 'Lock'")[0][0]
            return bool(found >= count)

        wait_until(waiting, timeout=10, what=f"{count} requests waiting on the lock")

    _LOCK = ["SELECT last FROM queue_number FOR UPDATE",
             "SELECT last FROM disclosure_number FOR UPDATE",
             "SELECT id FROM queue_ticket WHERE status = 'waiting' FOR UPDATE"]

    def test_postgresql_locked_then_connections_terminated(
            site: Site, launcher: Launcher) -> None:
        server = Server(site, launcher)
        with running(server):
            hall = _open_hall(site, server)
            first, *rest = _drafts(hall, 3)
            assert hall.acknowledged(hall.submit(first), first)  # the year's counter row
            brief, cut = rest

            # Briefly locked: everything waits, then goes through.
            with site.connect() as holder:
                for sql in _LOCK:
                    holder.execute(text(sql))
                waves = [hall.ticket(), hall.ticket(), hall.submit(brief), hall.call_next()]
                _waiting_on_locks(site, len(waves))
                time.sleep(0.5)
                holder.rollback()
            released = time.monotonic()
            for sent in waves:
                assert hall.acknowledged(sent, brief), sent.what
                assert sent.finished >= released - 0.05

            # "Restarted": every connection of the server is cut while requests wait.
            with site.connect() as holder:
                for sql in _LOCK:
                    holder.execute(text(sql))
                waves = [hall.ticket(), hall.ticket(), hall.submit(cut), hall.call_next()]
                _waiting_on_locks(site, len(waves))
                cut_off = holder.execute(text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                    "datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
                assert cut_off >= len(waves)
                holder.rollback()
            for sent in waves:
                assert not hall.acknowledged(sent, cut), sent.what  # refused, cleanly
            # The next requests find new connections (pool_pre_ping); sent again, they work.
            for sent in waves:
                again = {"application": lambda: hall.submit(cut),
                         "call next": hall.call_next}.get(sent.what)
                retry = again() if again else hall.ticket(sent.what.split()[1])
                assert hall.acknowledged(retry, cut), retry.what
            assert requests.get(f"{server.url}/kiosk/", timeout=10).status_code == 200
        hall.check_stored(site)
        assert "unhandled error" not in server.log()
