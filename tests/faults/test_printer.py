"""The kiosk's printer out of paper, then unplugged, while the server is even killed and
started again: the ticket's slip waits in the spool (a row in the database) and comes out
once, when the printer is back — end to end: the server process, its spool worker, the
virtual printer on a real socket, and the bytes it received decoded back to text.

(``tests/printer/test_spool.py`` covers the spool's retries in one process; this is the
whole hall.)"""

from __future__ import annotations

import time
from typing import Any

import requests

from printer.emulator import VirtualPrinter
from tests.faults.support import Launcher, Server, Site, running, take_ticket, wait_until
from tests.printer.server_support import network_printer
from tests.tickets.support import make_service, make_window

#: Seconds between tries of a slip that did not print: long enough to kill the server between
#: two tries (a try cut short leaves a claim that waits out its lease), short enough to wait.
RETRY = 1.0


def _job(site: Site, token: str) -> dict[str, Any]:
    """The print job of the ticket whose phone token is ``token`` (its QR code holds it)."""
    rows = [row for row in site.rows("SELECT id, status, attempts, last_error, slip "
                                     "FROM print_job WHERE kind = 'ticket'")
            if token in str(row[4])]
    assert len(rows) == 1, rows
    job_id, status, attempts, error, _ = rows[0]
    return {"id": job_id, "status": status, "attempts": attempts, "error": error}


def _tried_again(site: Site, token: str, after: int, says: str) -> dict[str, Any]:
    """Wait for a new failed try (still pending, its error saying ``says``)."""
    def tried() -> dict[str, Any] | None:
        job = _job(site, token)
        ok = job["attempts"] > after and job["status"] == "pending" and says in job["error"]
        return job if ok else None

    found: dict[str, Any] = wait_until(tried, timeout=15, step=0.02, what=f"a try ({says})")
    return found


def test_a_slip_waits_through_paper_out_unplugged_and_a_restart_then_prints_once(
        site: Site, launcher: Launcher) -> None:
    site.seed(lambda: make_window(1, make_service()))
    printer = VirtualPrinter(port=0, width_dots=576).start()
    port = printer.port
    server = Server(site, launcher, PRINTERS={"kiosk": network_printer(port)},
                    KIOSK_PRINTERS={"*": "kiosk"}, PRINT_RETRY_SECONDS=[RETRY],
                    PRINT_MAX_ATTEMPTS=1000, PRINTER_STATUS_SECONDS=120)
    try:
        with running(server):
            http = requests.Session()
            first = take_ticket(http, server.url).json()
            assert first["printed"] is True
            assert first["number"] in printer.wait_for(1, timeout=15)[0].text

            printer.state.paper = "out"  # runs out after the first slip
            ticket = take_ticket(http, server.url).json()
            assert ticket["printed"] is True  # queued: the printer said "ready" a moment ago
            job = _tried_again(site, ticket["token"], 0, "paper out")
            server.kill()  # between two tries: the slip is in the database, not in a thread

            server.start()  # the new server's worker finds it, and keeps trying
            job = _tried_again(site, ticket["token"], job["attempts"], "paper out")
            printer.stop()  # unplugged
            job = _tried_again(site, ticket["token"], job["attempts"], "cannot connect")
            assert len(printer.latest()) == 1 and printer.dropped == 0  # nothing printed

            printer = VirtualPrinter(port=port, width_dots=576).start()  # back, with paper
            slips = printer.wait_for(1, timeout=15)
            wait_until(lambda: _job(site, ticket["token"])["status"] == "done", timeout=10)
            time.sleep(RETRY + 0.2)  # a second copy would have come by now
            slips = printer.latest()
            assert len(slips) == 1, [s.text for s in slips]
            assert ticket["number"] in slips[0].text
            assert slips[0].qr_payloads == (ticket["url"],)
    finally:
        printer.stop()
    assert "Traceback" not in server.log()
