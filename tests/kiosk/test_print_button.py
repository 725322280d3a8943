"""打印二维码 on a kiosk policy page: the slip reaches this terminal's (virtual) printer with the
policy's title and a QR code to the article; the kiosk says plainly when it cannot print; a hung
printer never holds the request; and in real Chromium the button works, passes axe and leaves
nothing behind after the idle reset."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import expect
from sqlalchemy import func, select

from hall.extensions import db
from printer import spool
from printer.emulator import VirtualPrinter
from printer.spool import JobStatus, PrintJob
from tests.kiosk.browser import assert_clean, describe_violations, kiosk_page, run_axe
from tests.kiosk.fixtures import make_sample_content
from tests.printer.server_support import (
    network_printer,
    running_worker,
    silent_printer,
    wait_until,
)
from tests.staff_support import token_in

TITLE = "中华人民共和国政府信息公开条例"
JSON = {"Accept": "application/json"}
PRINTED = "已打印，请在打印机出口取走"
CANNOT = "打印机暂时无法打印，请用手机扫描屏幕上的二维码"


@pytest.fixture
def app_config(vprinter: VirtualPrinter) -> dict[str, Any]:
    return {"PRINTERS": {"kiosk": network_printer(vprinter.port)},
            "KIOSK_PRINTERS": {"*": "kiosk"}, "PRINT_RETRY_SECONDS": [0.2]}


def _page_token(client: FlaskClient, policy_id: int) -> str:
    return token_in(client.get(f"/kiosk/policies/{policy_id}").get_data(as_text=True))


def _print(client: FlaskClient, policy_id: int, **kwargs: Any) -> Any:
    token = _page_token(client, policy_id)
    return client.post(f"/kiosk/print/policy/{policy_id}", data={"csrf_token": token},
                       **kwargs)


def _poll(client: FlaskClient, url: str, timeout: float = 10) -> dict[str, Any]:
    def settled() -> dict[str, Any] | None:
        answer: dict[str, Any] = client.get(url).get_json()
        return answer if answer["state"] != "printing" else None
    result: dict[str, Any] = wait_until(settled, timeout=timeout)
    return result


def test_the_button_prints_the_policy_qr_slip(app: Flask, client: FlaskClient,
                                              vprinter: VirtualPrinter) -> None:
    ids = make_sample_content()
    html = client.get(f"/kiosk/policies/{ids['policy_regulations']}").get_data(as_text=True)
    action = f'action="/kiosk/print/policy/{ids["policy_regulations"]}"'
    assert "打印二维码" in html and action in html
    with running_worker(app):
        response = _print(client, ids["policy_regulations"], headers=JSON)
        assert response.status_code == 200
        answer = response.get_json()
        assert answer["state"] == "printing" and answer["message"] == "正在打印…"
        assert _poll(client, answer["poll"]) == {"state": "done", "message": PRINTED}
    slip = vprinter.wait_for(1)[0]
    assert TITLE in slip.text and "国令第711号" in slip.text and "国务院" in slip.text
    assert "保障公民" in slip.text  # the summary
    url = f"http://hall.example.test/kiosk/policies/{ids['policy_regulations']}"
    assert slip.qr_payloads == (url,)


def test_without_javascript_the_form_comes_back_with_a_message(
        client: FlaskClient) -> None:
    ids = make_sample_content()
    response = _print(client, ids["policy_social"])
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/kiosk/policies/{ids['policy_social']}"
                                                 "#print-form")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已发送打印，请稍候在打印机出口取走" in page
    again = client.get(f"/kiosk/policies/{ids['policy_social']}").get_data(as_text=True)
    assert "已发送打印" not in again  # shown once
    job = db.session.scalar(select(PrintJob))
    assert job is not None and job.kind == "policy_qr" and job.printer == "kiosk"


def test_paper_out_the_kiosk_says_it_cannot_print(app: Flask, client: FlaskClient,
                                                  vprinter: VirtualPrinter) -> None:
    ids = make_sample_content()
    vprinter.state.paper = "out"
    answer = _print(client, ids["policy_regulations"], headers=JSON).get_json()
    if answer["state"] == "printing":  # nothing known about the printer yet: queued
        with running_worker(app):
            assert _poll(client, answer["poll"]) == {"state": "unavailable", "message": CANNOT}
    else:  # the background status check answered first (a busy CI saw it): refused at once
        assert answer == {"state": "unavailable", "message": CANNOT}
    assert vprinter.latest() == []
    # The status is known now: the next press queues nothing and answers at once.
    wait_until(lambda: spool.cached_status("kiosk").paper == "out")
    before = db.session.scalar(select(func.count(PrintJob.id)))
    second = _print(client, ids["policy_regulations"], headers=JSON).get_json()
    assert second == {"state": "unavailable", "message": CANNOT}
    assert db.session.scalar(select(func.count(PrintJob.id))) == before
    page = _print(client, ids["policy_regulations"])  # and without JavaScript
    html = client.get(page.headers["Location"]).get_data(as_text=True)
    assert CANNOT in html and 'id="print-qr-link" href="#qr">' in html
    assert 'id="qr"' in html


def test_a_hung_printer_does_not_hold_the_request(app: Flask, client: FlaskClient) -> None:
    ids = make_sample_content()
    with silent_printer() as port:
        app.config["PRINTERS"] = {"kiosk": network_printer(port, timeout=3.0)}
        token = _page_token(client, ids["policy_regulations"])
        with running_worker(app):
            started = time.monotonic()
            response = client.post(f"/kiosk/print/policy/{ids['policy_regulations']}",
                                   data={"csrf_token": token}, headers=JSON)
            elapsed = time.monotonic() - started
            assert response.status_code == 200 and elapsed < 1.0, elapsed
            started = time.monotonic()
            assert client.get(response.get_json()["poll"]).status_code == 200
            assert time.monotonic() - started < 1.0
            answer = _poll(client, response.get_json()["poll"], timeout=10)
    assert answer["state"] == "unavailable"


def test_the_kiosk_sees_only_its_own_job(client: FlaskClient) -> None:
    ids = make_sample_content()
    answer = _print(client, ids["policy_regulations"], headers=JSON).get_json()
    assert client.get(answer["poll"]).status_code == 200
    assert client.get("/kiosk/print/jobs/not-a-token").status_code == 404
    assert client.get("/kiosk/print/jobs/1").status_code == 404
    assert set(client.get(answer["poll"]).get_json()) == {"state", "message"}


def test_a_terminal_without_printer_or_a_full_queue(app: Flask, client: FlaskClient) -> None:
    ids = make_sample_content()
    app.config["KIOSK_PRINTERS"] = {"10.9.9.9": "kiosk"}  # not this terminal (127.0.0.1)
    assert _print(client, ids["policy_social"], headers=JSON).get_json()["state"] == \
        "unavailable"
    app.config["KIOSK_PRINTERS"] = {"*": "kiosk"}
    app.config["KIOSK_PRINT_MAX_WAITING"] = 2
    states = [_print(client, ids["policy_social"], headers=JSON).get_json()["state"]
              for _ in range(3)]
    assert states == ["printing", "printing", "busy"]
    token = _page_token(client, ids["policy_social"])
    assert client.post("/kiosk/print/policy/999999", data={"csrf_token": token},
                       headers=JSON).status_code == 404


def test_a_job_counts_as_unavailable_after_its_first_failure(app: Flask,
                                                             client: FlaskClient) -> None:
    ids = make_sample_content()
    # A file printer cannot say how it is (status unknown); this "file" is a folder.
    app.config["PRINTERS"] = {"kiosk": {"transport": "file", "path": app.instance_path}}
    answer = _print(client, ids["policy_social"], headers=JSON).get_json()
    assert answer["state"] == "printing"  # unknown is no reason not to try
    spool.process_due()
    job = db.session.scalar(select(PrintJob))
    assert job is not None and job.status == JobStatus.PENDING and job.attempts == 1
    assert client.get(answer["poll"]).get_json()["state"] == "unavailable"


@pytest.mark.browser
@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_press_print_in_chromium(app: Flask, live_server: Any, browser: Any,
                                 vprinter: VirtualPrinter, elder: bool) -> None:
    ids = make_sample_content()
    url = f"{live_server.url}/kiosk/policies/{ids['policy_regulations']}"
    with running_worker(app), kiosk_page(browser, elder=elder, base_url=live_server.url) as page:
        page.goto(url)
        button = page.get_by_role("button", name="打印二维码")
        box = button.bounding_box()
        assert box is not None and min(box["width"], box["height"]) >= (60 if elder else 48)
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
        button.tap()
        expect(page.locator("#print-status")).to_have_text(PRINTED, timeout=10000)
        slip = vprinter.wait_for(1)[0]
        assert TITLE in slip.text
        assert slip.qr_payloads == (f"http://hall.example.test/kiosk/policies/"
                                    f"{ids['policy_regulations']}",)
        expect(page.locator("#print-qr-link")).to_be_hidden()
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
        assert_clean(page)


@pytest.mark.browser
def test_cannot_print_in_chromium_then_the_idle_reset_clears_it(
        app: Flask, live_server: Any, browser: Any, vprinter: VirtualPrinter) -> None:
    app.config.update(KIOSK_IDLE_SECONDS=4, KIOSK_IDLE_WARNING_SECONDS=1)
    ids = make_sample_content()
    vprinter.state.paper = "out"
    url = f"{live_server.url}/kiosk/policies/{ids['policy_regulations']}"
    with running_worker(app), kiosk_page(browser) as page:
        page.goto(url)
        page.get_by_role("button", name="打印二维码").tap()
        expect(page.locator("#print-status")).to_have_text(CANNOT, timeout=10000)
        expect(page.locator("#print-qr-link")).to_be_visible()
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
        page.wait_for_url(f"{live_server.url}/kiosk/", timeout=10000)  # the idle reset
        page.goto(url)
        expect(page.locator("#print-status")).to_have_text("")
        expect(page.locator("#print-qr-link")).to_be_hidden()
        assert_clean(page)
