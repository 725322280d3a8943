"""The queue under concurrency, on a real database (the SQLite file, or PostgreSQL when
DATABASE_URL is set): many threads and two server processes issuing at once, windows calling
at once, and the next-ticket rule while they do.

Each thread pushes its own app context per action, so it has its own session and connection,
as a request does. Nothing here retries: a "database is locked", a duplicate or a lost ticket
is a failure of the queue core, and the thread's traceback is shown as the test's failure.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import re
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from hall.extensions import db
from hall.signals import queue_changed
from tests.tickets.support import WORKDAY_10AM, make_priority, make_service, make_window
from tickets import queue
from tickets.models import Call, NumberCounter, Service, Ticket, TicketStatus

T = WORKDAY_10AM
DAY = dt.date(2026, 11, 25)
#: (code, name, prefix) of the three services every test here uses.
SERVICES = (("gk", "政府信息公开申请", "A"), ("zc", "政策咨询", "B"), ("sb", "社保", "C"))
#: Seconds any group of threads or processes may take before the test gives up on them.
DEADLINE = 120.0


def _make_services() -> list[Service]:
    return [make_service(code, name=name, prefix=prefix) for code, name, prefix in SERVICES]


def _run_together(jobs: Sequence[Callable[[], None]]) -> list[str]:
    """Run each job in its own thread, released at the same instant; the tracebacks of those
    that raised (kept, not raised in the thread, so pytest shows them whole)."""
    start = threading.Barrier(len(jobs))
    errors: list[str] = []

    def run(job: Callable[[], None]) -> None:
        try:
            start.wait(timeout=DEADLINE)
            job()
        except BaseException:
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=run, args=(job,), daemon=True) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE)
    if any(thread.is_alive() for thread in threads):
        errors.append(f"threads still running after {DEADLINE:.0f} s")
    return errors


def _fail_on(errors: Sequence[str]) -> None:
    assert not errors, f"{len(errors)} thread(s) or process(es) failed:\n\n" + "\n".join(errors)


#: (ticket id, number, service code, seq) as ``issue_ticket`` answered it.
Got = tuple[int, str, str, int]


def _issuer(app: Flask, got: list[Got], index: int, count: int) -> Callable[[], None]:
    """A job that issues ``count`` tickets, cycling through the services, one app context
    (one "request") each."""

    def job() -> None:
        for i in range(count):
            code = SERVICES[(index + i) % len(SERVICES)][0]
            with app.app_context():
                issued = queue.issue_ticket(code, source="test", terminal=f"t{index}", now=T)
                assert not issued.repeated
                got.append((issued.ticket.id, issued.ticket.number, code, issued.ticket.seq))

    return job


def _assert_numbering(got: Sequence[Got], expected: int) -> None:
    """Zero duplicates, zero lost tickets, numbers 1..n per service with the right prefix."""
    assert len(got) == expected
    assert len({ticket_id for ticket_id, *_ in got}) == expected, "a ticket id given twice"
    numbers = Counter(number for _, number, _, _ in got)
    assert [n for n, times in numbers.items() if times > 1] == [], "a number given twice"
    rows = db.session.execute(
        select(Ticket.id, Ticket.number, Service.code, Ticket.seq)
        .join(Service, Ticket.service_id == Service.id).where(Ticket.day == DAY)).all()
    assert len(rows) == expected, "tickets in the database differ from those answered"
    assert {tuple(row) for row in rows} == set(got), "an answered ticket is not stored"
    for code, _, prefix in SERVICES:
        mine = [(number, seq) for _, number, c, seq in rows if c == code]
        assert mine, f"{code}: no ticket issued"
        seqs = sorted(seq for _, seq in mine)
        assert seqs == list(range(1, len(seqs) + 1)), f"{code}: numbers not contiguous from 1"
        assert all(number == f"{prefix}{seq:03d}" for number, seq in mine)
        last = db.session.scalar(select(NumberCounter.last).join(
            Service, NumberCounter.service_id == Service.id).where(
            Service.code == code, NumberCounter.day == DAY))
        assert last == len(seqs), f"{code}: the counter says {last}, {len(seqs)} were issued"


# --------------------------------------------------------------------------- issuing


def test_sixteen_threads_issuing_get_unique_contiguous_numbers(app: Flask) -> None:
    threads, each = 16, 25
    _make_services()
    got: list[Got] = []
    _fail_on(_run_together([_issuer(app, got, k, each) for k in range(threads)]))
    _assert_numbering(got, threads * each)


def test_a_double_tap_racing_other_kiosks_makes_one_ticket(app: Flask) -> None:
    """Eight requests with one request key (a double tap, a button's retries) at the same
    instant as eight other kiosks: one ticket for the key, and no hole in the numbering."""
    _make_services()
    got: list[Got] = []
    answers: list[tuple[int, bool]] = []

    def tap() -> None:
        with app.app_context():
            issued = queue.issue_ticket("gk", request_key="tap-42", now=T)
            answers.append((issued.ticket.id, issued.repeated))

    _fail_on(_run_together([tap] * 8 + [_issuer(app, got, k, 5) for k in range(8)]))
    assert len({ticket_id for ticket_id, _ in answers}) == 1, "one key gave two tickets"
    assert sorted(repeated for _, repeated in answers) == [False] + [True] * 7
    key_ticket = db.session.get(Ticket, answers[0][0])
    assert key_ticket is not None and key_ticket.request_key == "tap-42"
    _assert_numbering([*got, (key_ticket.id, key_ticket.number, "gk", key_ticket.seq)], 41)


def _issue_in_process(url: str, instance: str, start: Any, out: Any, index: int,
                      threads: int, each: int) -> None:
    """A second server: its own app on the same database, ``threads`` threads issuing."""
    try:
        from hall.app import create_app  # the child builds everything itself (spawn)

        app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": url})
        app.instance_path = instance
        with app.app_context():
            db.session.execute(select(1))  # connect before the start, not after it
            db.session.remove()
        got: list[Got] = []
        start.wait(DEADLINE)
        errors = _run_together([_issuer(app, got, index * threads + k, each)
                                for k in range(threads)])
        with app.app_context():
            db.engine.dispose()
        out.put((index, got, errors))
    except BaseException:
        out.put((index, [], [traceback.format_exc()]))


def test_two_processes_issuing_at_once_share_one_numbering(app: Flask, tmp_path: Path) -> None:
    processes, threads, each = 2, 4, 25
    _make_services()
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(processes), ctx.Queue()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    children = [ctx.Process(target=_issue_in_process, daemon=True,
                            args=(url, str(tmp_path / "instance"), start, out, i, threads, each))
                for i in range(processes)]
    for child in children:
        child.start()
    try:
        answers = [out.get(timeout=DEADLINE) for _ in children]
    finally:
        for child in children:
            child.join(10)
            if child.is_alive():
                child.kill()
    _fail_on([error for _, _, errors in answers for error in errors])
    got = [ticket for _, tickets, _ in answers for ticket in tickets]
    assert all(tickets for _, tickets, _ in answers), "a process issued nothing"
    _assert_numbering(got, processes * threads * each)


# --------------------------------------------------------------------------- calling


def test_eight_windows_calling_at_once_call_each_ticket_once(app: Flask) -> None:
    total, windows = 200, 8
    services = _make_services()
    # Four windows serve every service, four serve one each: their lines overlap.
    made = [make_window(n, *(services if n <= 4 else [services[n % 3]]))
            for n in range(1, windows + 1)]
    window_ids = [w.id for w in made]
    for i in range(total):
        queue.issue_ticket(SERVICES[i % 3][0], now=T + dt.timedelta(seconds=i))
    called: dict[int, list[int]] = {w: [] for w in window_ids}
    later = T + dt.timedelta(hours=1)

    def window_job(window_id: int) -> Callable[[], None]:
        def job() -> None:
            while True:
                with app.app_context():
                    ticket = queue.call_next(window_id, f"clerk{window_id}", now=later)
                    if ticket is None:
                        return
                    # in this window's hands, and nobody else's
                    assert ticket.window_id == window_id and ticket.status == TicketStatus.CALLED
                    called[window_id].append(ticket.id)

        return job

    _fail_on(_run_together([window_job(w) for w in window_ids]))
    db.session.expire_all()
    every = [ticket_id for ids in called.values() for ticket_id in ids]
    assert len(every) == total and len(set(every)) == total, "a ticket called twice or never"
    calls = db.session.execute(
        select(Call.ticket_id, Call.window_id).where(Call.recall.is_(False))).all()
    assert len(calls) == total
    assert len({ticket_id for ticket_id, _ in calls}) == total
    by_ticket = {ticket_id: window_id for ticket_id, window_id in calls}
    assert all(by_ticket[t] == w for w, ids in called.items() for t in ids)
    statuses = db.session.execute(
        select(Ticket.status, func.count(Ticket.id)).group_by(Ticket.status)).all()
    assert dict(statuses) == {TicketStatus.DONE: total}  # None finished each last ticket
    assert sum(1 for ids in called.values() if ids) > 1, "only one window ever called"


def test_next_ticket_rule_holds_with_windows_calling_while_tickets_arrive(app: Flask) -> None:
    """Line order is (priority first, then queued_at, then id). With windows calling at once a
    call's id cannot follow that order exactly, but one thing is certain: if ticket X is ahead
    of Y in line and X was committed before the ``call_next`` that took Y began, X was called
    first (smaller ``queue_call.id``). A window already in flight when X arrived is allowed
    to take Y after X's arrival; that is the only slack."""
    windows, initial, arriving = 6, 120, 30
    services = _make_services()
    elder, soldier = make_priority("老年人").id, make_priority("军人").id
    window_ids = [make_window(n, *services).id for n in range(1, windows + 1)]
    committed: dict[int, float] = {}  # ticket id -> monotonic time its issue returned
    for i in range(initial):
        priority = (elder, soldier)[i % 2] if i % 5 == 4 else None
        issued = queue.issue_ticket(SERVICES[i % 3][0], priority_id=priority,
                                    now=T + dt.timedelta(seconds=i))
        committed[issued.ticket.id] = 0.0
    arrivals_done = threading.Event()
    started: dict[int, float] = {}  # ticket id -> monotonic time the call that took it began
    later = T + dt.timedelta(hours=1)

    def arrivals() -> None:
        try:
            for k in range(arriving):
                with app.app_context():
                    issued = queue.issue_ticket(
                        SERVICES[k % 3][0], priority_id=elder if k % 2 == 0 else None,
                        now=T + dt.timedelta(minutes=10, seconds=k))
                    committed[issued.ticket.id] = time.monotonic()
                time.sleep(0.01)  # spread the arrivals over the calling
        finally:
            arrivals_done.set()

    def window_job(window_id: int) -> Callable[[], None]:
        def job() -> None:
            while True:
                last_round = arrivals_done.is_set()
                began = time.monotonic()
                with app.app_context():
                    ticket = queue.call_next(window_id, f"clerk{window_id}", now=later)
                    if ticket is not None:
                        started[ticket.id] = began
                if ticket is None:
                    if last_round:
                        return
                    time.sleep(0.005)

        return job

    _fail_on(_run_together([arrivals, *(window_job(w) for w in window_ids)]))
    db.session.expire_all()
    total = initial + arriving
    rows = db.session.execute(
        select(Ticket.id, Ticket.priority_id, Ticket.queued_at, Call.id)
        .join(Call, Call.ticket_id == Ticket.id).where(Call.recall.is_(False))).all()
    assert len(rows) == total and len({r[0] for r in rows}) == total
    assert set(started) == set(committed)
    line = sorted(rows, key=lambda r: (0 if r[1] else 1, r[2], r[0]))
    call_id = {ticket_id: cid for ticket_id, _, _, cid in rows}
    broken, checked_arrivals = [], 0
    for i, ahead in enumerate(line):
        for behind in line[i + 1:]:
            if committed[ahead[0]] < started[behind[0]]:
                checked_arrivals += bool(committed[ahead[0]] and ahead[1] and not behind[1])
                if call_id[ahead[0]] > call_id[behind[0]]:
                    broken.append((ahead[0], behind[0]))
    assert broken == [], f"{len(broken)} pairs called out of line order (ahead, behind)"
    # Priority tickets arriving while windows called were checked against plain ones.
    assert checked_arrivals > 0
    first_plain = min(cid for _, priority, _, cid in rows if priority is None)
    waiting_priorities = [cid for ticket_id, priority, _, cid in rows
                          if priority is not None and committed[ticket_id] == 0.0]
    assert max(waiting_priorities) < first_plain, "a plain ticket before a waiting priority"


def test_the_next_window_commits_while_a_call_is_announced(app: Flask) -> None:
    """A call's announcement (the board built and sent to every lobby screen) happens after
    the move has let the next writer in: a second window's call commits while the first is
    still being announced, and the two are announced in commit order. (Announced inside the
    writer's turn, the second call waited for the first one's whole announcement.)"""
    services = _make_services()
    first, second = (make_window(n, *services).id for n in (1, 2))
    for i in range(4):
        queue.issue_ticket(SERVICES[i % 3][0], now=T + dt.timedelta(seconds=i))
    engine = db.engine
    heard: list[tuple[str, int | None]] = []
    seen_meanwhile: list[bool] = []
    other: list[threading.Thread] = []

    def second_window() -> None:
        with app.app_context():
            queue.call_next(second, "乙", now=T + dt.timedelta(minutes=1))

    def committed_by_second() -> bool:
        with engine.connect() as conn:  # a connection of its own: sees only commits
            return bool(conn.scalar(select(func.count(Call.id))
                                    .where(Call.window_id == second)))

    def receive(_sender: Any, **fields: Any) -> None:
        heard.append((fields["kind"], fields.get("call_id")))
        if len(heard) > 1:
            return
        thread = threading.Thread(target=second_window, daemon=True)
        other.append(thread)
        thread.start()
        deadline = time.monotonic() + 10
        while not committed_by_second() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen_meanwhile.append(committed_by_second())

    queue_changed.connect(receive)
    try:
        queue.call_next(first, "甲", now=T + dt.timedelta(minutes=1))
        other[0].join(DEADLINE)
    finally:
        queue_changed.disconnect(receive)
    assert seen_meanwhile == [True], "the second call waited for the first announcement"
    assert [kind for kind, _ in heard] == ["call", "call"]
    ids = [call_id for _, call_id in heard]
    assert ids[0] is not None and ids[1] is not None and ids[0] < ids[1]


def test_a_call_reads_nothing_back_for_its_announcement(app: Flask) -> None:
    """After the commit a call builds the board and nothing else: the call it wrote and the
    ticket it called are not read back (each read sat on the call → board path)."""
    from sqlalchemy import event

    services = _make_services()
    window = make_window(1, *services).id
    for i in range(3):
        queue.issue_ticket(SERVICES[i % 3][0], now=T + dt.timedelta(seconds=i))
    statements: list[str] = []
    committed = threading.Event()

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if committed.is_set():
            statements.append(" ".join(statement.split()))

    def on_commit(_session: Any) -> None:
        committed.set()

    engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    event.listen(db.session, "after_commit", on_commit)
    try:
        queue.call_next(window, "甲", now=T + dt.timedelta(minutes=1))
    finally:
        event.remove(db.session, "after_commit", on_commit)
        event.remove(engine, "before_cursor_execute", note)
    assert committed.is_set() and statements
    by_id = re.compile(r"queue_(call|ticket)\.id = (\?|%\()")  # a row fetched by its key
    reads_back = [s for s in statements if s.startswith("SELECT") and by_id.search(s)]
    assert not reads_back, reads_back
    # the board: the version, the current and the recent calls, the waiting, the voice
    assert len(statements) <= 5, statements
