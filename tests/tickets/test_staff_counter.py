"""The counter (``/staff/counter``) through the Flask client with CSRF on: a clerk takes a
window, calls, recalls, finishes, marks no-shows, transfers, calls a number, pauses and
leaves; refusals are shown (422, never a 500) and leave nothing behind; every move is in the
audit log; two clerks cannot hold a window unless the second confirms; who may open it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hall.extensions import db
from hall.models import AuditEntry, Role, StaffUser
from tests.staff_support import create_staff, csrf_token, login
from tickets import queue
from tickets.models import Call, Service, Ticket, TicketStatus, Window

from .support import make_priority, make_service, make_window


@pytest.fixture
def hall() -> dict[str, Any]:
    """Two services and two windows: 1 serves both, 2 serves B only."""
    a = make_service("gk", "政府信息公开申请", "A")
    b = make_service("zx", "政策咨询", "B")
    return {"a": a, "b": b, "w1": make_window(1, a, b), "w2": make_window(2, b)}


@pytest.fixture
def clerk(login_as: Callable[..., StaffUser]) -> StaffUser:
    return login_as(Role.CLERK, username="clerk.wang")


def _post(client: FlaskClient, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client), **(data or {})})


def _open(client: FlaskClient, window: Window, services: list[Service], **extra: Any) -> Any:
    return _post(client, f"/staff/counter/{window.id}/open",
                 {"services": [str(s.id) for s in services], **extra})


def _audits(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                   .order_by(AuditEntry.id)))


def _ticket(number: str) -> Ticket:
    db.session.expire_all()
    return db.session.scalars(select(Ticket).where(Ticket.number == number)).one()


def _text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def test_a_clerk_picks_a_window_and_its_services(client: FlaskClient, hall: dict[str, Any],
                                                 clerk: StaffUser) -> None:
    page = client.get("/staff/counter/")
    assert page.status_code == 200
    assert "1号窗口" in _text(page) and "2号窗口" in _text(page)
    form = client.get(f"/staff/counter/{hall['w1'].id}/open")
    assert form.status_code == 200
    assert _text(form).count("checked") == 2  # the window's services are ticked already
    response = _open(client, hall["w1"], [hall["a"]])
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/counter/{hall['w1'].id}")
    db.session.expire_all()
    window = db.session.get(Window, hall["w1"].id)
    assert window is not None and window.clerk_id == clerk.id
    assert window.clerk_name == "clerk.wang"
    assert [s.code for s in window.services] == ["gk"]
    entry = _audits("counter_open")[-1]
    assert entry.actor_name == "clerk.wang"
    assert entry.new == {"window": 1, "services": [hall["a"].id]}
    # the menu link now leads straight to the clerk's window
    again = client.get("/staff/counter/")
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/{window.id}")
    page = client.get(f"/staff/counter/{window.id}")
    assert "您已在1号窗口签到" in _text(page)
    assert "呼叫下一位" in _text(page) and 'aria-keyshortcuts="N"' in _text(page)


def test_opening_needs_a_service(client: FlaskClient, hall: dict[str, Any],
                                 clerk: StaffUser) -> None:
    response = _open(client, hall["w1"], [])
    assert response.status_code == 422
    assert "请至少选择一项业务" in _text(response)
    forged = _post(client, f"/staff/counter/{hall['w1'].id}/open", {"services": ["999"]})
    assert forged.status_code == 422 and "请从列表中选择" in _text(forged)
    db.session.expire_all()
    assert db.session.get(Window, hall["w1"].id).clerk_id is None  # type: ignore[union-attr]
    assert _audits("counter_open") == []


def test_a_second_clerk_must_confirm_taking_a_held_window(
        app: Flask, client: FlaskClient, hall: dict[str, Any], clerk: StaffUser) -> None:
    assert _open(client, hall["w1"], [hall["a"]]).status_code == 303
    other_client = app.test_client()
    other = create_staff("clerk.li", Role.CLERK)
    login(other_client, "clerk.li")
    page = other_client.get(f"/staff/counter/{hall['w1'].id}")
    assert page.status_code == 303  # not theirs: sent to the sign-in page of the window
    refused = _open(other_client, hall["w1"], [hall["a"]])
    assert refused.status_code == 409
    assert "现在由 clerk.wang 签到办理" in _text(refused)
    db.session.expire_all()
    assert db.session.get(Window, hall["w1"].id).clerk_id == clerk.id  # type: ignore[union-attr]
    taken = _open(other_client, hall["w1"], [hall["a"]], take_over="y")
    assert taken.status_code == 303
    db.session.expire_all()
    assert db.session.get(Window, hall["w1"].id).clerk_id == other.id  # type: ignore[union-attr]
    assert _audits("counter_open")[-1].new == {
        "window": 1, "services": [hall["a"].id], "taken_from": "clerk.wang"}
    # the first clerk's moves are now refused and sent back to the window's sign-in page
    queue.issue_ticket("gk")
    moved = _post(client, f"/staff/counter/{hall['w1'].id}/next")
    assert moved.status_code == 303 and moved.headers["Location"].endswith("/open")
    assert _ticket("A001").status == TicketStatus.WAITING
    state = client.get(f"/staff/counter/{hall['w1'].id}/state.json").get_json()
    assert state["mine"] is False and state["clerk"] == "clerk.li"


def test_every_move_of_a_working_day(client: FlaskClient, hall: dict[str, Any],
                                     clerk: StaffUser) -> None:
    w1 = hall["w1"]
    assert _open(client, w1, [hall["a"], hall["b"]]).status_code == 303
    elder = make_priority("老年人")
    queue.issue_ticket("gk")  # A001
    queue.issue_ticket("zx")  # B001
    queue.issue_ticket("gk", priority_id=elder.id)  # A002, priority: called first
    base = f"/staff/counter/{w1.id}"

    page = client.get(base)
    assert "等候" in _text(page) and "A002" in _text(page) and "优先·老年人" in _text(page)

    response = _post(client, f"{base}/next")
    assert response.status_code == 303
    assert "已呼叫 A002 号" in _text(client.get(base))
    assert _ticket("A002").status == TicketStatus.CALLED
    assert _audits("counter_call_next")[-1].new == {"window": 1, "finished": None,
                                                    "ticket": "A002"}

    assert _post(client, f"{base}/recall").status_code == 303
    assert _ticket("A002").call_count == 2
    assert db.session.scalar(select(func.count()).select_from(Call)
                             .where(Call.recall.is_(True))) == 1
    assert _audits("counter_recall")[-1].new == {"window": 1, "ticket": "A002"}

    assert _post(client, f"{base}/finish").status_code == 303
    assert _ticket("A002").status == TicketStatus.DONE
    assert _audits("counter_finish")[-1].new == {"window": 1, "ticket": "A002"}

    _post(client, f"{base}/next")  # A001 (earliest of the rest)
    assert _ticket("A001").status == TicketStatus.CALLED
    assert _post(client, f"{base}/no-show").status_code == 303
    assert _ticket("A001").status == TicketStatus.NO_SHOW
    assert _audits("counter_no_show")[-1].new == {"window": 1, "ticket": "A001"}

    # the citizen comes back: called by the number typed in (a12 is read as A012 style)
    assert _post(client, f"{base}/call", {"call-number": "b1"}).status_code == 303
    assert _ticket("B001").status == TicketStatus.CALLED
    assert _audits("counter_call")[-1].new == {"window": 1, "number": "B001",
                                               "ticket": "B001"}

    # sent to window 2, keeping its place (queued_at unchanged)
    queued_at = _ticket("B001").queued_at
    response = _post(client, f"{base}/transfer",
                     {"transfer-service": "", "transfer-window": str(hall["w2"].id)})
    assert response.status_code == 303
    moved = _ticket("B001")
    assert moved.status == TicketStatus.WAITING and moved.target_window_id == hall["w2"].id
    assert moved.queued_at == queued_at and moved.transfers == 1
    assert _audits("counter_transfer")[-1].new == {
        "window": 1, "ticket": "B001", "to_service": None, "to_window": 2}

    assert _post(client, f"{base}/pause", {"paused": "1"}).status_code == 303
    assert "窗口已暂停" in _text(client.get(base))
    refused = _post(client, f"{base}/next")
    assert refused.status_code == 422 and "窗口已暂停，请先恢复" in _text(refused)
    assert _post(client, f"{base}/pause", {"paused": "0"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Window, w1.id).paused is False  # type: ignore[union-attr]
    assert [e.action for e in _audits("counter_pause") + _audits("counter_resume")] == [
        "counter_pause", "counter_resume"]

    # nobody left for window 1 (B001 waits for window 2)
    response = _post(client, f"{base}/next")
    assert response.status_code == 303
    assert "现在没有人在等候" in _text(client.get(base))

    assert _post(client, f"{base}/close").status_code == 303
    db.session.expire_all()
    window = db.session.get(Window, w1.id)
    assert window is not None and window.clerk_id is None and window.clerk_name == ""
    assert len(_audits("counter_close")) == 1


def test_a_transfer_to_another_service(client: FlaskClient, hall: dict[str, Any],
                                       clerk: StaffUser) -> None:
    _open(client, hall["w1"], [hall["a"]])
    queue.issue_ticket("gk")
    base = f"/staff/counter/{hall['w1'].id}"
    _post(client, f"{base}/next")
    response = _post(client, f"{base}/transfer", {"transfer-service": str(hall["b"].id),
                                                  "transfer-window": ""})
    assert response.status_code == 303
    assert "A001 号已转到 政策咨询" in _text(client.get(base))
    ticket = _ticket("A001")
    assert ticket.service_id == hall["b"].id and ticket.status == TicketStatus.WAITING


def test_refusals_are_shown_and_leave_nothing_behind(client: FlaskClient, hall: dict[str, Any],
                                                     clerk: StaffUser) -> None:
    _open(client, hall["w1"], [hall["a"]])
    base = f"/staff/counter/{hall['w1'].id}"
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    for path, data, message in [
        ("recall", {}, "这个窗口现在没有正在办理的号"),
        ("finish", {}, "这个窗口现在没有正在办理的号"),
        ("no-show", {}, "这个窗口现在没有正在办理的号"),
        ("transfer", {"transfer-service": str(hall["b"].id)}, "这个窗口现在没有正在办理的号"),
        ("transfer", {}, "请选择转到哪项业务或哪个窗口"),
        ("transfer", {"transfer-window": str(hall["w1"].id)}, "请从列表中选择"),
        ("transfer", {"transfer-window": "abc"}, "请从列表中选择"),
        ("call", {"call-number": "A099"}, "今天没有 A099 号"),
        ("call", {"call-number": "12"}, "号码由一个字母和数字组成"),
        ("call", {"call-number": ""}, "此项必填"),
        ("pause", {"paused": "maybe"}, "请求无效"),
    ]:
        response = _post(client, f"{base}/{path}", data)
        assert response.status_code == 422, (path, data, response.status_code)
        assert message in _text(response), (path, data)
        assert 'role="alert"' in _text(response)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before

    queue.issue_ticket("gk")
    _post(client, f"{base}/next")
    _post(client, f"{base}/finish")
    done = _post(client, f"{base}/call", {"call-number": "A1"})
    assert done.status_code == 422 and "A001 号不在等候中" in _text(done)

    queue.issue_ticket("gk")
    _post(client, f"{base}/next")
    leave = _post(client, f"{base}/close")
    assert leave.status_code == 422 and "正在办理的 A002 号" in _text(leave)
    db.session.expire_all()
    assert db.session.get(Window, hall["w1"].id).clerk_id == clerk.id  # type: ignore[union-attr]


def test_moving_to_another_window_leaves_the_first(client: FlaskClient, hall: dict[str, Any],
                                                   clerk: StaffUser) -> None:
    _open(client, hall["w1"], [hall["a"]])
    queue.issue_ticket("gk")
    _post(client, f"/staff/counter/{hall['w1'].id}/next")
    refused = _open(client, hall["w2"], [hall["b"]])
    assert refused.status_code == 409 and "还有正在办理的 A001 号" in _text(refused)
    _post(client, f"/staff/counter/{hall['w1'].id}/finish")
    assert _open(client, hall["w2"], [hall["b"]]).status_code == 303
    db.session.expire_all()
    assert db.session.get(Window, hall["w1"].id).clerk_id is None  # type: ignore[union-attr]
    assert db.session.get(Window, hall["w2"].id).clerk_id == clerk.id  # type: ignore[union-attr]
    assert _audits("counter_close")[-1].new == {"window": 1}


def test_state_json_lists_the_current_ticket_and_the_line(
        client: FlaskClient, hall: dict[str, Any], clerk: StaffUser) -> None:
    _open(client, hall["w1"], [hall["a"], hall["b"]])
    for code in ("gk", "zx", "gk"):
        queue.issue_ticket(code)
    _post(client, f"/staff/counter/{hall['w1'].id}/next")
    response = client.get(f"/staff/counter/{hall['w1'].id}/state.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    state = response.get_json()
    assert state["mine"] is True and state["window"]["number"] == 1
    assert state["current"]["number"] == "A001" and state["current"]["called_at"]
    assert [t["number"] for t in state["waiting"]] == ["B001", "A002"]
    assert state["waiting_total"] == 2
    missing = client.get("/staff/counter/999999/state.json")
    assert missing.status_code == 404 and missing.get_json()["error"]


def test_the_page_lists_only_the_first_ten(client: FlaskClient, hall: dict[str, Any],
                                           clerk: StaffUser) -> None:
    _open(client, hall["w1"], [hall["a"]])
    for _ in range(12):
        queue.issue_ticket("gk")
    page = _text(client.get(f"/staff/counter/{hall['w1'].id}"))
    assert "A010" in page and "A011" not in page
    assert "只列出前 10 位" in page and '<span id="line-count">12</span>' in page


def test_who_may_use_the_counter(app: Flask, client: FlaskClient, hall: dict[str, Any]) -> None:
    for role in (Role.EDITOR, Role.OFFICER):
        other = app.test_client()
        create_staff(f"user-{role}", role)
        login(other, f"user-{role}")
        assert other.get("/staff/counter/").status_code == 403
        assert other.get(f"/staff/counter/{hall['w1'].id}/state.json").status_code == 403
        token = csrf_token(other)
        assert other.post(f"/staff/counter/{hall['w1'].id}/next",
                          data={"csrf_token": token}).status_code == 403
    create_staff("clerk.zhao", Role.CLERK)
    login(client, "clerk.zhao")
    assert client.get("/staff/counter/").status_code == 200
    assert client.get("/staff/queue/services/").status_code == 403
    assert "叫号窗口" in _text(client.get("/staff/"))
    assert "排队设置" not in _text(client.get("/staff/"))
    anonymous = app.test_client()
    assert anonymous.get("/staff/counter/").status_code == 302


def test_the_counter_script_and_styles_are_served(client: FlaskClient) -> None:
    for name in ("counter.js", "staff.css"):
        response = client.get(f"/static/tickets/{name}")
        assert response.status_code == 200, name
        response.close()
