"""The print spool in the server: jobs in the database, the worker, retries, status, the CLI.

The printer is the virtual printer on a real socket (port 0), decoded back to text and QR.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from hall import usage
from hall.db import utcnow
from hall.extensions import db
from hall.models import AuditEntry
from hall.timefmt import local_today
from printer import policy_qr_slip, spool, test_slip
from printer.emulator import VirtualPrinter
from printer.spool import JobKind, JobStatus, PrintJob
from tests.printer.server_support import (
    free_port,
    network_printer,
    running_worker,
    silent_printer,
    wait_until,
)

TITLE = "赣州市章贡区关于进一步优化营商环境的若干措施"
URL = "http://hall.example.test/kiosk/policies/42"


@pytest.fixture
def app_config(vprinter: VirtualPrinter) -> dict[str, Any]:
    return {"PRINTERS": {"kiosk": network_printer(vprinter.port)},
            "KIOSK_PRINTERS": {"*": "kiosk"}, "PRINT_RETRY_SECONDS": [0.2],
            "PRINT_MAX_ATTEMPTS": 50}


def _slip() -> Any:
    return policy_qr_slip(title=TITLE, doc_number="章府发〔2024〕3号",
                          issuer="赣州市章贡区人民政府",
                          summary="为优化营商环境（详见附件），制定如下措施。", qr_payload=URL)


def _job(job_id: int) -> PrintJob:
    db.session.expire_all()
    job = db.session.get(PrintJob, job_id)
    assert job is not None
    return job


def test_enqueue_commits_and_the_worker_prints_on_the_virtual_printer(
        app: Flask, vprinter: VirtualPrinter) -> None:
    job = spool.enqueue("kiosk", JobKind.POLICY_QR, _slip())
    db.session.rollback()  # nothing left uncommitted: the job is stored already
    assert _job(job.id).status == JobStatus.PENDING
    assert len(job.token) >= 20
    with running_worker(app):
        slips = vprinter.wait_for(1, timeout=10)
        wait_until(lambda: _job(job.id).status == JobStatus.DONE)
    assert len(slips) == 1
    assert TITLE[:8] in slips[0].text and "章府发〔2024〕3号" in slips[0].text
    assert slips[0].qr_payloads == (URL,)
    done = _job(job.id)
    assert done.attempts == 1 and done.sent_at is not None and done.last_error == ""
    assert usage.total(spool.PRINTED_METRIC, local_today(), local_today()) == 1


def test_a_printer_that_is_down_is_retried_with_backoff_until_it_comes_back(
        app: Flask) -> None:
    port = free_port()
    app.config["PRINTERS"] = {"kiosk": network_printer(port)}
    app.config["PRINT_RETRY_SECONDS"] = [0.3, 0.6]
    job = spool.enqueue("kiosk", JobKind.POLICY_QR, _slip())
    with running_worker(app):
        wait_until(lambda: _job(job.id).attempts >= 2 and _job(job.id).status == "pending")
        failed = _job(job.id)
        assert "cannot connect" in failed.last_error
        assert failed.next_attempt_at > utcnow() - dt.timedelta(seconds=1)
        with VirtualPrinter(port=port, width_dots=576) as printer:
            slips = printer.wait_for(1, timeout=10)
            wait_until(lambda: _job(job.id).status == JobStatus.DONE)
    assert slips and slips[0].qr_payloads == (URL,)
    assert _job(job.id).attempts >= 3 and _job(job.id).last_error == ""


def test_retry_delays_follow_the_configured_steps(app: Flask) -> None:
    app.config["PRINT_RETRY_SECONDS"] = [5, 15, 60, 300]
    assert [spool.retry_delay(n) for n in (1, 2, 3, 4, 5, 9)] == [5, 15, 60, 300, 300, 300]


def test_after_the_last_attempt_a_job_is_failed(app: Flask) -> None:
    app.config["PRINTERS"] = {"kiosk": {"transport": "dummy", "fail": "paper out"}}
    app.config["PRINT_RETRY_SECONDS"] = [0]
    app.config["PRINT_MAX_ATTEMPTS"] = 3
    job = spool.enqueue("kiosk", JobKind.TEST, test_slip())
    for _ in range(5):
        spool.process_due()
    failed = _job(job.id)
    assert failed.status == JobStatus.FAILED and failed.attempts == 3
    assert failed.last_error == "paper out"


def test_paper_out_fails_fast_and_nothing_prints_twice(
        app: Flask, vprinter: VirtualPrinter) -> None:
    vprinter.state.paper = "out"
    job = spool.enqueue("kiosk", JobKind.POLICY_QR, _slip())
    started = time.monotonic()
    spool.process_due()
    assert time.monotonic() - started < 2
    assert "paper out" in _job(job.id).last_error
    assert vprinter.latest() == [] and vprinter.dropped == 0  # refused before sending
    assert spool.spool_of(app).status("kiosk", wait=2).paper == "out"
    vprinter.state.paper = "ok"
    time.sleep(0.25)
    spool.process_due()
    assert _job(job.id).status == JobStatus.DONE
    assert len(vprinter.wait_for(1)) == 1


def test_a_job_is_claimed_by_one_worker_only(app: Flask) -> None:
    app.config["PRINTERS"] = {"kiosk": {"transport": "dummy"}}
    job = spool.enqueue("kiosk", JobKind.TEST, test_slip())
    now = utcnow()
    assert spool._claim(job.id, now) is True
    assert spool._claim(job.id, now) is False
    assert _job(job.id).status == JobStatus.SENDING


def test_a_claim_whose_sender_died_is_sent_again(app: Flask) -> None:
    app.config["PRINTERS"] = {"kiosk": {"transport": "dummy"}}
    job = spool.enqueue("kiosk", JobKind.TEST, test_slip())
    row = _job(job.id)
    row.status, row.attempts = JobStatus.SENDING, 1
    row.next_attempt_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    spool.process_due()
    assert _job(job.id).status == JobStatus.DONE
    transport = spool.spool_of(app).transport("kiosk")
    assert len(transport.jobs) == 1  # type: ignore[attr-defined]


def test_status_of_a_silent_printer_never_blocks_for_long(app: Flask) -> None:
    with silent_printer() as port:
        app.config["PRINTERS"] = {"kiosk": network_printer(port, timeout=2.0)}
        started = time.monotonic()
        first = spool.spool_of(app).status("kiosk", wait=0.5)
        assert time.monotonic() - started < 0.9
        assert first.online is None and first.paper == "unknown"  # no answer yet: unknown
        later = wait_until(lambda: spool.spool_of(app).status("kiosk").error, timeout=5)
        assert "no answer" in later
        assert spool.cannot_print(spool.cached_status("kiosk"))


def test_unknown_printer_or_kind_is_refused(app: Flask) -> None:
    with pytest.raises(ValueError):
        spool.enqueue("nowhere", JobKind.TEST, test_slip())
    with pytest.raises(ValueError):
        spool.enqueue("kiosk", "poster", test_slip())


def test_printers_toml_replaces_the_configured_printers(app: Flask) -> None:
    with open(f"{app.instance_path}/printers.toml", "w", encoding="utf-8") as stream:
        stream.write('[printers.kiosk1]\ntransport = "network"\nhost = "10.0.0.31"\n'
                     'width = 58\n\n[kiosk_printers]\n"10.0.0.51" = "kiosk1"\n')
    assert spool.printers() == {"kiosk1": {"transport": "network", "host": "10.0.0.31",
                                           "width": 58}}
    assert spool.printer_for_terminal("10.0.0.51") == "kiosk1"
    assert spool.printer_for_terminal("10.0.0.99") is None  # no "*": no printer
    assert spool.profile_of("kiosk1").width_dots == 384


def test_cli_list_and_test_page(app: Flask, runner: FlaskCliRunner,
                                vprinter: VirtualPrinter) -> None:
    listed = runner.invoke(args=["printer", "list"])
    assert listed.exit_code == 0, listed.output
    assert "kiosk" in listed.output and f"127.0.0.1:{vprinter.port}" in listed.output
    assert "ready" in listed.output
    printed = runner.invoke(args=["printer", "test", "kiosk"])
    assert printed.exit_code == 0, printed.output
    assert "已打印" in printed.output
    slip = vprinter.wait_for(1)[0]
    assert "打印测试页" in slip.text and slip.qr_payloads == ("https://gongkai.invalid/printer-test",)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "print_test"))
    assert entry is not None and entry.actor_name == "命令行"


def test_cli_says_when_the_test_page_did_not_print(app: Flask, runner: FlaskCliRunner,
                                                   vprinter: VirtualPrinter) -> None:
    vprinter.state.cover_open = True
    result = runner.invoke(args=["printer", "test", "kiosk"])
    assert result.exit_code != 0 and "cover open" in result.output
    unknown = runner.invoke(args=["printer", "test", "nowhere"])
    assert unknown.exit_code != 0 and "no such printer" in unknown.output
    direct = runner.invoke(args=["printer", "test", "kiosk", "--direct"])
    assert direct.exit_code != 0 and "cover open" in direct.output


def test_on_serve_starts_the_virtual_printer_and_the_worker(app: Flask) -> None:
    port = free_port()
    app.config["VIRTUAL_PRINTER_PORT"] = port
    app.config["PRINTERS"] = {"kiosk": network_printer(port)}
    worker = spool.spool_of(app)
    try:
        for hook in app.extensions["on_serve"]:
            hook(app)
        assert worker.running and worker.virtual_printer is not None
        job = spool.enqueue("kiosk", JobKind.TEST, test_slip())
        slips = worker.virtual_printer.wait_for(1, timeout=10)
        wait_until(lambda: _job(job.id).status == JobStatus.DONE)
        assert "打印测试页" in slips[0].text
        assert (worker.virtual_printer.out_dir / f"{slips[0].number}.png").is_file()
    finally:
        worker.stop()
        if worker.virtual_printer is not None:
            worker.virtual_printer.stop()
