"""Staff pages for printers: status (paper out), recent jobs, reprint and test page (audited),
previews, the virtual printer's slips, the dashboard panel, and who may open them."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from hall.extensions import db
from hall.models import AuditEntry, Role, StaffUser
from printer import spool, test_slip
from printer.emulator import VirtualPrinter
from printer.spool import JobKind, JobStatus, PrintJob
from tests.printer.server_support import network_printer, running_worker, silent_printer
from tests.staff_support import create_staff, login, token_in

PAGE = "/staff/printers/"


@pytest.fixture
def app_config(vprinter: VirtualPrinter) -> dict[str, Any]:
    return {"PRINTERS": {"kiosk": network_printer(vprinter.port)}}


def _done_job() -> PrintJob:
    job = spool.enqueue("kiosk", JobKind.TEST, test_slip())
    spool.process_due()
    db.session.expire_all()
    assert job.status == JobStatus.DONE
    return job


@pytest.mark.parametrize(("role", "allowed"), [
    (Role.ADMIN, True), (Role.EDITOR, True), (Role.CLERK, True), (Role.OFFICER, False)])
def test_who_may_open_the_printers_page(client: FlaskClient, role: str, allowed: bool) -> None:
    create_staff("someone", role)
    login(client, "someone")
    assert client.get(PAGE).status_code == (200 if allowed else 403)
    menu = client.get("/staff/").get_data(as_text=True)
    assert (f'href="{PAGE}"' in menu) is allowed


def test_signed_out_is_sent_to_the_login(client: FlaskClient) -> None:
    assert client.get(PAGE).status_code == 302
    assert client.post("/staff/printers/kiosk/test").status_code in (400, 401)


def test_paper_out_is_shown(login_as: Callable[..., StaffUser], client: FlaskClient,
                            vprinter: VirtualPrinter) -> None:
    login_as(Role.CLERK)
    vprinter.state.paper = "out"
    html = client.get(PAGE).get_data(as_text=True)
    assert "缺纸" in html and "无法打印" in html
    assert f"network 127.0.0.1:{vprinter.port}" in html
    vprinter.state.paper = "ok"
    spool.spool_of().forget_status("kiosk")
    html = client.get(PAGE).get_data(as_text=True)
    assert "可以打印" in html and "缺纸" not in html


def test_a_silent_printer_does_not_hold_the_page(app: Flask, login_as: Callable[..., StaffUser],
                                                 client: FlaskClient) -> None:
    login_as(Role.EDITOR)
    with silent_printer() as port:
        app.config["PRINTERS"] = {"kiosk": network_printer(port, timeout=3.0)}
        started = time.monotonic()
        response = client.get(PAGE)
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed < 1.5, elapsed
    assert "状态未知" in response.get_data(as_text=True)


def test_reprint_makes_a_new_job_and_an_audit_entry(
        login_as: Callable[..., StaffUser], client: FlaskClient,
        vprinter: VirtualPrinter) -> None:
    old = _done_job()
    user = login_as(Role.CLERK)
    page = client.get(PAGE).get_data(as_text=True)
    assert f"/staff/printers/jobs/{old.id}/reprint" in page
    response = client.post(f"/staff/printers/jobs/{old.id}/reprint",
                           data={"csrf_token": token_in(page)})
    assert response.status_code == 303
    new = db.session.scalar(select(PrintJob).where(PrintJob.reprint_of == old.id))
    assert new is not None and new.id != old.id and new.status == JobStatus.PENDING
    assert new.slip == old.slip and new.printer == "kiosk" and new.token != old.token
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reprint"))
    assert entry is not None and entry.actor_id == user.id
    assert entry.object_id == str(new.id) and entry.new == {
        "printer": "kiosk", "kind": "test", "reprint_of": old.id}
    spool.process_due()
    assert len(vprinter.wait_for(2)) == 2
    assert "重新加入打印队列" in client.get(PAGE).get_data(as_text=True)


def test_reprint_without_the_token_is_refused(login_as: Callable[..., StaffUser],
                                              client: FlaskClient) -> None:
    old = _done_job()
    login_as(Role.ADMIN)
    assert client.post(f"/staff/printers/jobs/{old.id}/reprint").status_code == 400
    assert db.session.scalar(select(func.count(PrintJob.id))) == 1


def test_test_page_is_queued_and_audited(login_as: Callable[..., StaffUser],
                                         client: FlaskClient, vprinter: VirtualPrinter) -> None:
    login_as(Role.EDITOR)
    token = token_in(client.get(PAGE).get_data(as_text=True))
    assert client.post("/staff/printers/kiosk/test", data={"csrf_token": token}).status_code == 303
    assert client.post("/staff/printers/nowhere/test",
                       data={"csrf_token": token}).status_code == 404
    job = db.session.scalar(select(PrintJob))
    assert job is not None and job.kind == JobKind.TEST
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "print_test"))
    assert entry is not None and entry.object_label == "kiosk"
    spool.process_due()
    assert "打印测试页" in vprinter.wait_for(1)[0].text


def test_preview_is_the_slip_as_a_png(login_as: Callable[..., StaffUser],
                                      client: FlaskClient) -> None:
    job = _done_job()
    login_as(Role.CLERK)
    response = client.get(f"/staff/printers/jobs/{job.id}/preview.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    with Image.open(io.BytesIO(response.data)) as image:
        assert image.width == 576 and image.height > 600
    assert client.get("/staff/printers/jobs/999999/preview.png").status_code == 404


def test_virtual_printer_slips_are_shown(app: Flask, login_as: Callable[..., StaffUser],
                                         client: FlaskClient, vprinter: VirtualPrinter) -> None:
    login_as(Role.CLERK)
    assert "虚拟打印机" not in client.get(PAGE).get_data(as_text=True)
    spool.spool_of(app).virtual_printer = vprinter
    with running_worker(app):
        spool.enqueue("kiosk", JobKind.TEST, test_slip())
        slip = vprinter.wait_for(1)[0]
    html = client.get(PAGE).get_data(as_text=True)
    assert "虚拟打印机" in html and "政府信息公开申请" in html
    assert f"/staff/printers/virtual/{slip.number}.png" in html
    image = client.get(f"/staff/printers/virtual/{slip.number}.png")
    assert image.status_code == 200 and image.data == slip.png
    assert client.get("/staff/printers/virtual/9999.png").status_code == 404


def test_dashboard_panel_counts_slips_and_failures(
        app: Flask, login_as: Callable[..., StaffUser], client: FlaskClient) -> None:
    _done_job()
    app.config["PRINTERS"]["broken"] = {"transport": "dummy", "fail": "paper out"}
    app.config["PRINT_MAX_ATTEMPTS"] = 1
    spool.enqueue("broken", JobKind.TEST, test_slip())
    spool.process_due()
    login_as(Role.CLERK)
    html = client.get("/staff/").get_data(as_text=True)
    assert "打印的单据" in html and "打印失败的任务" in html
    section = html[html.index("打印的单据"):]
    assert '<td class="num">1</td>' in section[:200]
    assert "broken：" in html
