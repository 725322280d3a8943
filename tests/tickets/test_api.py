"""The queue's JSON API on a real database: taking tickets (a double tap gives one ticket), every
kind of bad input answered with a reason and never a 500, closed services saying when they
open, the per-terminal rate limit, appointment check-in, the phone page's JSON, the slip at the
(virtual) printer, and distinct numbers for many clients at once over real HTTP."""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from hall.extensions import db
from hall.timefmt import local_today
from printer import spool
from printer.emulator import VirtualPrinter
from printer.spool import PrintJob
from tests.conftest import LiveServer
from tests.printer.server_support import network_printer, running_worker
from tests.tickets.support import make_priority, make_service, make_window
from tickets import queue
from tickets.models import Appointment, Rating, Service, Ticket, TicketStatus

BASE = "http://hall.example.test"
PHONE_KEYS = {"number", "service", "service_name", "status", "status_text", "ahead",
              "estimated_wait", "window", "called_at", "serving", "rate_url"}


@pytest.fixture
def app_config() -> dict[str, Any]:
    # No printer unless a test gives one; a limit no test here reaches unless it sets its own.
    return {"KIOSK_PRINTERS": {}, "TICKET_RATE_LIMIT": "1000 per minute"}


def take(client: FlaskClient, **body: Any) -> Any:
    return client.post("/api/tickets", json=body)


# --------------------------------------------------------------------------- reading


def test_services_say_what_is_open_waiting_and_when_closed_ones_open(
        client: FlaskClient) -> None:
    make_service("gk", prefix="A", minutes_each=6)
    make_service("zc", name="政策咨询", prefix="B", paused=True, pause_note="系统维护。")
    make_service("sb", name="社保", prefix="C", daily_limit=0)
    for _ in range(3):
        assert take(client, service="gk").status_code == 201
    response = client.get("/api/services")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    services = {s["code"]: s for s in response.get_json()["services"]}
    gk, zc, sb = services["gk"], services["zc"], services["sb"]
    assert gk["name"] == "政府信息公开申请" and gk["open"] is True and gk["waiting"] == 3
    assert gk["estimated_wait"] == 18  # 3 people x 6 minutes, one window
    assert zc["open"] is False and zc["reason"] == "paused" and "系统维护" in zc["message"]
    assert sb["open"] is False and sb["reason"] == "full" and "今天的号已取完" in sb["message"]
    tomorrow = local_today() + dt.timedelta(days=1)
    assert sb["opens_at"].startswith(tomorrow.isoformat())


def test_priorities_lists_the_enabled_categories_in_order(client: FlaskClient) -> None:
    elder = make_priority("老年人")
    soldier = make_priority("军人")
    disabled = make_priority("孕妇")
    disabled.enabled = False
    soldier.position, elder.position = 1, 2
    db.session.commit()
    assert client.get("/api/priorities").get_json() == [
        {"id": soldier.id, "name": "军人"}, {"id": elder.id, "name": "老年人"}]


# --------------------------------------------------------------------------- taking


def test_a_ticket_then_the_same_key_gives_the_same_ticket(client: FlaskClient) -> None:
    make_service()
    first = take(client, service="gk", request_key="tap-1")
    assert first.status_code == 201
    body = first.get_json()
    assert body["number"] == "A001" and body["service"] == "gk"
    assert body["service_name"] == "政府信息公开申请"
    assert body["ahead"] == 0 and body["estimated_wait"] == 0 and body["repeated"] is False
    assert body["url"] == f"{BASE}/t/{body['token']}"
    assert dt.datetime.fromisoformat(body["issued_at"]).utcoffset() == dt.timedelta(hours=8)
    again = take(client, service="gk", request_key="tap-1")
    assert again.status_code == 200
    assert again.get_json()["number"] == "A001" and again.get_json()["repeated"] is True
    other = take(client, service="gk", request_key="tap-2").get_json()
    assert other["number"] == "A002" and other["ahead"] == 1
    assert take(client, service="gk").get_json()["number"] == "A003"  # no key: always new
    assert db.session.scalar(select(func.count(Ticket.id))) == 3
    stored = db.session.scalar(select(Ticket).where(Ticket.number == "A001"))
    assert stored is not None and stored.source == "api" and stored.terminal == "127.0.0.1"


def test_a_priority_ticket_goes_first(client: FlaskClient) -> None:
    make_service()
    elder = make_priority("老年人")
    take(client, service="gk")
    body = take(client, service="gk", priority=elder.id, source="kiosk").get_json()
    assert body["priority"] == "老年人" and body["ahead"] == 0
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == body["number"]))
    assert ticket is not None and ticket.priority_id == elder.id and ticket.source == "kiosk"


@pytest.mark.parametrize(("body", "status", "code"), [
    ({}, 400, "missing"),
    ({"service": ""}, 400, "missing"),
    ({"service": "   "}, 400, "missing"),
    ({"service": 5}, 400, "bad_type"),
    ({"service": ["gk"]}, 400, "bad_type"),
    ({"service": "gk", "priority": "1"}, 400, "bad_type"),
    ({"service": "gk", "priority": True}, 400, "bad_type"),
    ({"service": "gk", "priority": 1.5}, 400, "bad_type"),
    ({"service": "gk", "priority": -1}, 400, "bad_type"),
    ({"service": "gk", "priority": 2**40}, 400, "bad_type"),
    ({"service": "gk", "priority": 999}, 400, "unknown_priority"),
    ({"service": "gk", "request_key": 7}, 400, "bad_type"),
    ({"service": "gk", "request_key": "k" * 65}, 400, "too_long"),
    ({"service": "g" * 3000}, 400, "too_long"),
    ({"service": "gk", "source": "phone"}, 400, "bad_source"),
    ({"service": "nope"}, 404, "unknown_service"),
])
def test_bad_bodies_get_a_reason(client: FlaskClient, body: dict[str, Any], status: int,
                                 code: str) -> None:
    make_service()
    response = take(client, **body)
    assert response.status_code == status, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["error"] == code
    assert answer["message"] and not answer["message"].isascii()  # a Chinese sentence
    assert db.session.scalar(select(func.count(Ticket.id))) == 0


@pytest.mark.parametrize(("data", "content_type", "status", "code"), [
    ("{not json", "application/json", 400, "bad_json"),
    ('["gk"]', "application/json", 400, "bad_json"),
    ('"gk"', "application/json", 400, "bad_json"),
    ("null", "application/json", 400, "bad_json"),
    ('{"service": "gk"}', "text/plain", 415, "not_json"),
    ("service=gk", "application/x-www-form-urlencoded", 415, "not_json"),
    ('{"service": "gk", "pad": "' + "x" * 5000 + '"}', "application/json", 413, "too_large"),
])
def test_what_is_not_a_json_object_is_refused(client: FlaskClient, data: str,
                                              content_type: str, status: int,
                                              code: str) -> None:
    make_service()
    response = client.post("/api/tickets", data=data, content_type=content_type)
    assert response.status_code == status
    assert response.get_json()["error"] == code
    assert db.session.scalar(select(func.count(Ticket.id))) == 0


def test_json_needs_no_csrf_token_but_forms_cannot_post(client: FlaskClient) -> None:
    """A cross-site form can send only form encodings and text/plain: all refused (415)."""
    make_service()
    assert client.post("/api/tickets", data={"service": "gk"}).status_code == 415
    assert take(client, service="gk").status_code == 201  # no CSRF token, JSON: taken


def test_a_closed_service_says_so_and_when_it_opens(client: FlaskClient) -> None:
    make_service("gk", daily_limit=1)
    make_service("zc", name="政策咨询", prefix="B", paused=True)
    assert take(client, service="gk").status_code == 201
    full = take(client, service="gk")
    assert full.status_code == 409
    answer = full.get_json()
    assert answer["error"] == "closed" and answer["reason"] == "full"
    assert answer["message"].startswith("今天的号已取完。下次取号：")
    tomorrow = local_today() + dt.timedelta(days=1)
    assert answer["opens_at"].startswith(tomorrow.isoformat())
    paused = take(client, service="zc").get_json()
    assert paused["reason"] == "paused" and paused["opens_at"] is None
    assert "暂停取号" in paused["message"]


def test_a_disabled_service_is_unknown(client: FlaskClient) -> None:
    make_service(enabled=False)
    assert take(client, service="gk").status_code == 404


@pytest.mark.parametrize("app_config", [{"KIOSK_PRINTERS": {},
                                         "TICKET_RATE_LIMIT": "3 per minute"}])
def test_the_rate_limit_per_terminal(client: FlaskClient) -> None:
    make_service()
    statuses = [take(client, service="gk").status_code for _ in range(3)]
    assert statuses == [201, 201, 201]
    refused = take(client, service="gk")
    assert refused.status_code == 429
    assert refused.get_json() == {"error": "rate_limited",
                                  "message": "操作太频繁了，请稍等片刻再试。"}
    assert "Retry-After" in refused.headers
    assert client.post("/api/checkin", json={"code": "X"}).status_code == 429  # shared
    other = client.post("/api/tickets", json={"service": "gk"},
                        environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert other.status_code == 201  # another terminal has its own count
    assert db.session.scalar(select(func.count(Ticket.id))) == 4
    assert client.get("/api/services").status_code == 200  # reading is not limited


# --------------------------------------------------------------------------- check-in


def _appointment(code: str, day: dt.date | None = None, **fields: Any) -> Appointment:
    service = db.session.scalar(select(Service).where(Service.code == "gk"))
    assert service is not None
    appointment = Appointment(code=code, service_id=service.id, day=day or local_today(),
                              **fields)
    db.session.add(appointment)
    db.session.commit()
    return appointment


def test_check_in_turns_a_booking_into_a_priority_ticket(client: FlaskClient) -> None:
    make_service()
    take(client, service="gk")
    _appointment("AB12CD")
    response = client.post("/api/checkin", json={"code": " ab12cd ", "request_key": "c-1"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["number"] == "A002" and body["ahead"] == 0  # a booking goes first
    again = client.post("/api/checkin", json={"code": "AB12CD"})
    assert again.status_code == 200 and again.get_json()["number"] == "A002"
    assert again.get_json()["repeated"] is True


def test_check_in_refusals(client: FlaskClient) -> None:
    make_service()
    _appointment("OLD111", local_today() - dt.timedelta(days=1))
    _appointment("GONE22", cancelled=True)
    cases = [({"code": "NOPE99"}, 404, "unknown_booking"),
             ({"code": "GONE22"}, 404, "unknown_booking"),
             ({"code": "OLD111"}, 409, "wrong_day"),
             ({"code": ""}, 400, "missing"),
             ({"code": 123456}, 400, "bad_type"),
             ({"code": "A" * 21}, 400, "too_long")]
    for body, status, code in cases:
        response = client.post("/api/checkin", json=body)
        assert response.status_code == status, body
        assert response.get_json()["error"] == code
    assert client.post("/api/checkin", data={"code": "OLD111"}).status_code == 415
    assert db.session.scalar(select(func.count(Ticket.id))) == 0


# --------------------------------------------------------------------------- phone JSON


def test_the_phone_json_follows_the_ticket_to_its_rating(client: FlaskClient) -> None:
    gk = make_service()
    window = make_window(3, gk)
    first = take(client, service="gk").get_json()
    mine = take(client, service="gk").get_json()
    url = f"/api/tickets/{mine['token']}"
    state = client.get(url).get_json()
    assert set(state) == PHONE_KEYS
    assert state["status"] == "waiting" and state["status_text"] == "等候中"
    assert state["ahead"] == 1 and state["estimated_wait"] == 10 and state["window"] is None
    assert state["serving"] == [] and state["rate_url"] is None
    queue.call_next(window.id, "张三")
    state = client.get(url).get_json()
    assert state["ahead"] == 0
    assert state["serving"] == [{"number": first["number"], "window": 3}]
    queue.call_next(window.id, "张三")
    state = client.get(url).get_json()
    assert state["status"] == "called" and state["window"] == 3
    assert state["status_text"] == "请到 3 号窗口办理" and state["called_at"]
    assert state["serving"] == []
    queue.finish(window.id)
    state = client.get(url).get_json()
    assert state["status"] == "done" and state["status_text"] == "已完成"
    assert state["rate_url"] == f"/t/{mine['token']}/rate"
    ticket = queue.ticket_by_token(mine["token"])
    assert ticket is not None
    db.session.add(Rating(ticket_id=ticket.id, score=5, channel="phone"))
    db.session.commit()
    assert client.get(url).get_json()["rate_url"] is None
    other = client.get(f"/api/tickets/{first['token']}").get_json()
    assert other["status"] == "done" and other["rate_url"] is not None


def test_the_phone_json_for_no_show_old_and_unknown_tickets(client: FlaskClient) -> None:
    gk = make_service()
    window = make_window(1, gk)
    mine = take(client, service="gk").get_json()
    queue.call_next(window.id)
    queue.no_show(window.id)
    state = client.get(f"/api/tickets/{mine['token']}").get_json()
    assert state["status"] == "no_show" and state["status_text"] == "已过号"
    old = take(client, service="gk").get_json()
    ticket = queue.ticket_by_token(old["token"])
    assert ticket is not None
    ticket.day = local_today() - dt.timedelta(days=1)
    db.session.commit()
    state = client.get(f"/api/tickets/{old['token']}").get_json()
    assert state["status"] == "expired" and state["ahead"] == 0
    for token in ("nope", "x" * 200, mine["number"]):
        response = client.get(f"/api/tickets/{token}")
        assert response.status_code == 404
        assert response.get_json()["error"] == "unknown_ticket"


# --------------------------------------------------------------------------- printing


def test_the_slip_reaches_the_terminals_printer(app: Flask, client: FlaskClient,
                                                vprinter: VirtualPrinter) -> None:
    app.config.update(PRINTERS={"kiosk": network_printer(vprinter.port)},
                      KIOSK_PRINTERS={"*": "kiosk"}, PRINT_RETRY_SECONDS=[0.2])
    make_service()
    elder = make_priority("老年人")
    take(client, service="gk")
    with running_worker(app):
        body = take(client, service="gk", priority=elder.id, request_key="k").get_json()
        assert body["printed"] is True
        slips = vprinter.wait_for(2)  # A001 was queued before the worker started
    slip = next(s for s in slips if "A002" in s.text)
    assert "政府信息公开申请（优先：老年人）" in slip.text
    assert app.config["HALL_NAME"] in slip.text.replace("\n", "")  # the title wraps
    assert "您前面还有 0 人等候" in slip.text and "取号时间：" in slip.text
    assert "过号请重新取号，请留意叫号屏幕与广播" in slip.text
    assert slip.qr_payloads == (body["url"],)
    repeated = take(client, service="gk", request_key="k").get_json()
    assert repeated["repeated"] is True and repeated["printed"] is False
    assert db.session.scalar(select(func.count(PrintJob.id))) == 2  # no second slip of A002


def test_a_print_failure_never_loses_the_ticket(app: Flask, client: FlaskClient,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # A file printer never reports a problem: only the spool itself can fail here.
    app.config.update(PRINTERS={"kiosk": {"transport": "file",
                                          "path": f"{app.instance_path}/slips.bin"}},
                      KIOSK_PRINTERS={"*": "kiosk"})
    make_service()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("INSERT INTO print_job", {}, Exception("disk full"))

    monkeypatch.setattr(spool, "enqueue", broken)
    response = take(client, service="gk")
    assert response.status_code == 201 and response.get_json()["printed"] is False
    assert db.session.scalar(select(func.count(Ticket.id))) == 1
    monkeypatch.undo()
    app.config.update(KIOSK_PRINTERS={"10.9.9.9": "kiosk"})  # not this terminal's printer
    assert take(client, service="gk").get_json()["printed"] is False
    app.config.update(KIOSK_PRINTERS={"*": "kiosk"}, KIOSK_PRINT_MAX_WAITING=1)
    assert take(client, service="gk").get_json()["printed"] is True  # queued, not yet sent
    assert take(client, service="gk").get_json()["printed"] is False  # the printer is behind
    numbers = db.session.scalars(select(Ticket.number).order_by(Ticket.id)).all()
    assert numbers == ["A001", "A002", "A003", "A004"]


# --------------------------------------------------------------------------- many at once


def _post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_many_clients_at_once_get_distinct_numbers(live_server: LiveServer) -> None:
    make_service("gk", prefix="A")
    make_service("zc", name="政策咨询", prefix="B")
    threads, each = 8, 10
    results: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def client(n: int) -> None:
        start.wait(timeout=30)
        for i in range(each):
            body = {"service": "gk" if (n + i) % 2 else "zc", "request_key": f"t{n}-{i}"}
            got = _post(f"{live_server.url}/api/tickets", body)
            with lock:
                results.append(got)

    workers = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert len(results) == threads * each
    assert [status for status, _ in results if status != 201] == []
    numbers = [body["number"] for _, body in results]
    assert len(set(numbers)) == len(numbers)
    by_prefix = Counter(number[0] for number in numbers)
    for prefix, count in by_prefix.items():
        assert sorted(n for n in numbers if n[0] == prefix) == \
            [f"{prefix}{i:03d}" for i in range(1, count + 1)]
    db.session.expire_all()
    stored = db.session.scalars(select(Ticket.number)).all()
    assert sorted(stored) == sorted(numbers)
    assert all(t.status == TicketStatus.WAITING
               for t in db.session.scalars(select(Ticket)))
