"""kill -9 of the server while tickets are being issued and applications filed: every number a
citizen was given is in the database after the restart, no number is given twice, and the
numbering goes on after the highest one (no gap, no reuse)."""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, field

import requests

from tests.faults.support import (
    Applicant,
    Launcher,
    Server,
    Site,
    running,
    take_ticket,
    wait_until,
)
from tests.tickets.support import make_service, make_window

TICKET_THREADS = 5
APPLICANT_THREADS = 3


@dataclass
class Load:
    """Citizens taking tickets and filing applications until told to stop."""

    base: str
    stop: threading.Event = field(default_factory=threading.Event)
    tickets: dict[str, str] = field(default_factory=dict)  # acknowledged number -> token
    ticket_acks: list[str] = field(default_factory=list)  # every number acknowledged
    in_doubt: list[str] = field(default_factory=list)  # request keys with no answer
    applications: dict[str, str] = field(default_factory=dict)  # number -> token
    application_acks: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for _ in range(TICKET_THREADS):
            self.threads.append(threading.Thread(target=self._tickets, daemon=True))
        for _ in range(APPLICANT_THREADS):
            self.threads.append(threading.Thread(target=self._applications, daemon=True))
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(20)
            assert not thread.is_alive()

    def _tickets(self) -> None:
        http = requests.Session()
        while not self.stop.is_set():
            key = uuid.uuid4().hex
            try:
                answer = take_ticket(http, self.base, key)
            except requests.RequestException:
                with self.lock:
                    self.in_doubt.append(key)
                return  # the server is gone
            with self.lock:
                if answer.status_code == 201:
                    body = answer.json()
                    self.tickets[body["number"]] = body["token"]
                    self.ticket_acks.append(body["number"])
                else:
                    self.unexpected.append(f"ticket {answer.status_code} {answer.text[:300]}")

    def _applications(self) -> None:
        while not self.stop.is_set():
            applicant = Applicant(self.base)
            try:
                applicant.fill()
                answer = applicant.submit()
            except requests.RequestException:
                return  # the server is gone; a draft lives in its memory only
            receipt = applicant.receipt()
            with self.lock:
                if answer.status_code == 303 and receipt is not None:
                    self.applications[receipt["number"]] = receipt["token"]
                    self.application_acks.append(receipt["number"])
                else:
                    self.unexpected.append(f"application {answer.status_code}")


def _tickets(site: Site) -> dict[str, tuple[str, int]]:
    return {number: (token, seq) for number, token, seq in
            site.rows("SELECT number, token, seq FROM queue_ticket")}


def _applications(site: Site) -> dict[str, tuple[str, int]]:
    return {number: (token, seq) for number, token, seq in
            site.rows("SELECT number, token, seq FROM disclosure_application")}


def _counters_match(site: Site) -> None:
    """Each counter's last number is the highest stored and every number up to it is stored
    once: nothing was numbered and then lost, nothing numbered twice."""
    for service_id, day, last in site.rows("SELECT service_id, day, last FROM queue_number"):
        seqs = sorted(s for (s,) in site.rows(
            "SELECT seq FROM queue_ticket WHERE service_id = :s AND day = :d", s=service_id, d=day))
        assert seqs == list(range(1, last + 1)), (last, seqs)
    for year, last in site.rows("SELECT year, last FROM disclosure_number"):
        seqs = sorted(s for (s,) in site.rows(
            "SELECT seq FROM disclosure_application WHERE year = :y", y=year))
        assert seqs == list(range(1, last + 1)), (last, seqs)


def test_kill_9_while_issuing_tickets_and_filing_loses_nothing_acknowledged(
        site: Site, launcher: Launcher) -> None:
    site.seed(lambda: make_window(1, make_service()))
    server = Server(site, launcher)
    with running(server):
        load = Load(server.url)
        load.start()
        wait_until(lambda: len(load.ticket_acks) >= 15 and len(load.application_acks) >= 2,
                   timeout=30, what="some tickets and applications acknowledged")
        time.sleep(random.uniform(0.0, 0.5))  # a moment nobody chose
        server.kill()
        load.join()
        print(f"acknowledged: {len(load.ticket_acks)} tickets, {len(load.application_acks)} "
              f"applications; {len(load.in_doubt)} ticket requests without an answer")
        assert not load.unexpected, load.unexpected[:5]
        assert len(load.ticket_acks) == len(set(load.ticket_acks))  # no number given twice
        assert len(load.application_acks) == len(set(load.application_acks))

        stored = _tickets(site)  # read while the server is down
        filed = _applications(site)
        for number, token in load.tickets.items():
            assert stored.get(number, ("", 0))[0] == token, f"acknowledged ticket {number} lost"
        for number, token in load.applications.items():
            assert filed.get(number, ("", 0))[0] == token, f"acknowledged application {number} lost"
        _counters_match(site)

        server.start()
        http = requests.Session()
        # A ticket button that got no answer sends the same request again: the ticket the
        # dead server committed comes back (200), or a new one is issued (201), never both.
        for key in load.in_doubt:
            again = take_ticket(http, server.url, key)
            assert again.status_code in (200, 201), again.text
            number = again.json()["number"]
            assert (number in stored) == (again.status_code == 200), (number, again.status_code)
        after: list[int] = []
        for _ in range(3):
            answer = take_ticket(http, server.url)
            assert answer.status_code == 201, answer.text
            after.append(_tickets(site)[answer.json()["number"]][1])
        assert min(after) > max(seq for _, seq in stored.values())  # continues, no reuse
        applicant = Applicant(server.url)
        applicant.fill()
        assert applicant.submit().status_code == 303
        receipt = applicant.receipt()
        assert receipt is not None
        assert _applications(site)[receipt["number"]][1] > max(s for _, s in filed.values())

    final = _tickets(site)
    for number, token in load.tickets.items():
        assert final[number][0] == token
    assert len(_applications(site)) == len(filed) + 1
    _counters_match(site)
    assert "Traceback" not in server.log()
