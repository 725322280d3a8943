"""The queue settings (``/staff/queue/...``) through the Flask client with CSRF on: services,
windows, priority categories and appointments; server-side validation with Chinese messages
(422, nothing written), audit entries with only what changed, the ``queue_changed`` signal
each change sends, who may open the pages; and the demo queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hall.extensions import db
from hall.models import AuditEntry, Role, StaffUser
from hall.signals import queue_changed
from hall.timefmt import local_today
from tests.staff_support import create_staff, csrf_token, login
from tickets import demo, queue, settings
from tickets.models import Appointment, PriorityCategory, Service, Ticket, Window

from .support import make_service, make_window

EVERY_DAY = [str(i) for i in range(7)]


@pytest.fixture
def admin(login_as: Callable[..., StaffUser]) -> StaffUser:
    return login_as(Role.ADMIN, username="boss")


@pytest.fixture
def signals() -> Iterator[list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []

    def receive(_sender: Any, **fields: Any) -> None:
        sent.append(fields)

    queue_changed.connect(receive)
    yield sent
    queue_changed.disconnect(receive)


def _post(client: FlaskClient, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client), **data})


def _count(model: type[Any]) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def _audits(action: str, obj_type: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.object_type == obj_type)
        .order_by(AuditEntry.id)))


def _service(**fields: Any) -> dict[str, Any]:
    return {"code": "gk", "name": "政府信息公开申请", "description": "", "prefix": "A",
            "digits": "3", "first_number": "1", "position": "0", "enabled": "y",
            "pause_note": "", "opens_at": "", "closes_at": "", "weekdays": EVERY_DAY,
            "daily_limit": "", "minutes_each": "10", **fields}


def _text(response: Any) -> str:
    return str(response.get_data(as_text=True))


# -- services ---------------------------------------------------------------------------------


def test_create_and_edit_a_service(client: FlaskClient, admin: StaffUser,
                                   signals: list[dict[str, Any]]) -> None:
    assert client.get("/staff/queue/services/new").status_code == 200
    response = _post(client, "/staff/queue/services/new", _service(
        code="SB", prefix="c", name="社保", opens_at="09:00", closes_at="17:00",
        weekdays=["0", "1", "2", "3", "4"], workdays_only="y", daily_limit="100"))
    assert response.status_code == 303, _text(response)[:3000]
    service = db.session.scalars(select(Service)).one()
    assert (service.code, service.prefix, service.daily_limit) == ("sb", "C", 100)
    assert service.opens_at == dt.time(9) and service.closes_at == dt.time(17)
    assert service.weekdays == 0b11111 and service.workdays_only is True
    assert signals[-1] == {"kind": "service", "service_ids": [service.id]}
    created = _audits("create", "queue_service")[-1]
    assert created.actor_name == "boss" and created.new["prefix"] == "C"  # type: ignore[index]

    listing = _text(client.get("/staff/queue/services/"))
    assert "社保" in listing and "09:00–17:00" in listing and "仅工作日" in listing

    page = client.get(f"/staff/queue/services/{service.id}")
    assert 'value="09:00"' in _text(page)
    response = _post(client, f"/staff/queue/services/{service.id}", _service(
        code="sb", prefix="C", name="社保", opens_at="09:00", closes_at="17:00",
        weekdays=["0", "1", "2", "3", "4"], workdays_only="y", daily_limit="100",
        paused="y", pause_note="系统维护"))
    assert response.status_code == 303
    updated = _audits("update", "queue_service")[-1]
    assert updated.old == {"paused": False, "pause_note": ""}
    assert updated.new == {"paused": True, "pause_note": "系统维护"}
    db.session.refresh(service)
    assert queue.availability(service).reason == "paused"
    assert "系统维护" in _text(client.get("/staff/queue/services/"))

    # saving again unchanged writes nothing
    again = _post(client, f"/staff/queue/services/{service.id}", _service(
        code="sb", prefix="C", name="社保", opens_at="09:00", closes_at="17:00",
        weekdays=["0", "1", "2", "3", "4"], workdays_only="y", daily_limit="100",
        paused="y", pause_note="系统维护"))
    assert again.status_code == 303
    assert "没有改动" in _text(client.get("/staff/queue/services/"))
    assert len(_audits("update", "queue_service")) == 1


@pytest.mark.parametrize(("fields", "message"), [
    ({"prefix": "AB"}, "最多 1 个字"),
    ({"prefix": "1"}, "前缀必须是一个英文字母"),
    ({"prefix": ""}, "此项必填"),
    ({"code": "社保"}, "只能用小写英文字母"),
    ({"name": ""}, "此项必填"),
    ({"digits": "5"}, "请填写 3 到 4 之间的整数"),
    ({"digits": "三"}, "请填写一个整数"),
    ({"first_number": "0"}, "请填写 1 到 999 之间的整数"),
    ({"first_number": "1000"}, "请填写 1 到 999 之间的整数"),
    ({"opens_at": "17:00", "closes_at": "09:00"}, "停止取号的时间必须晚于开始取号的时间"),
    ({"opens_at": "25:00"}, "时间无效"),
    ({"daily_limit": "0"}, "每天限号至少为 1"),
    ({"minutes_each": "0"}, "请填写 1 到 240 之间的整数"),
    ({"weekdays": []}, "请至少选择一天"),
    ({"weekdays": ["9"]}, "请从列表中选择"),
])
def test_service_validation(client: FlaskClient, admin: StaffUser, fields: dict[str, Any],
                            message: str) -> None:
    response = _post(client, "/staff/queue/services/new", _service(**fields))
    assert response.status_code == 422
    assert message in _text(response)
    assert 'role="alert"' in _text(response)
    assert _count(Service) == 0 and _audits("create", "queue_service") == []


def test_prefix_and_code_must_be_free(client: FlaskClient, admin: StaffUser) -> None:
    make_service("gk", prefix="A")
    taken = _post(client, "/staff/queue/services/new", _service(code="zx", prefix="a"))
    assert taken.status_code == 422 and "这个前缀已被其他业务使用" in _text(taken)
    code = _post(client, "/staff/queue/services/new", _service(code="gk", prefix="B"))
    assert code.status_code == 422 and "这个业务代码已被使用" in _text(code)
    assert _count(Service) == 1


def test_a_prefix_given_out_today_waits_for_tomorrow(client: FlaskClient,
                                                     admin: StaffUser) -> None:
    """B001 was issued today under service zx; if zx now becomes C and another service took
    B, its first ticket would be B001 again: refused."""
    zx = make_service("zx", "政策咨询", prefix="B")
    queue.issue_ticket("zx")
    moved = _post(client, f"/staff/queue/services/{zx.id}",
                  _service(code="zx", name="政策咨询", prefix="C"))
    assert moved.status_code == 303  # its own new letter is unused today
    clash = _post(client, "/staff/queue/services/new", _service(code="sb", prefix="B"))
    assert clash.status_code == 422 and "今天已有以这个字母开头的号码" in _text(clash)


# -- windows ----------------------------------------------------------------------------------


def test_windows(client: FlaskClient, admin: StaffUser, signals: list[dict[str, Any]]) -> None:
    a, b = make_service("gk", prefix="A"), make_service("zx", "政策咨询", prefix="B")
    response = _post(client, "/staff/queue/windows/new",
                     {"number": "3", "name": "咨询", "services": [str(b.id)], "enabled": "y"})
    assert response.status_code == 303, _text(response)[:2000]
    window = db.session.scalars(select(Window)).one()
    assert window.number == 3 and [s.code for s in window.services] == ["zx"]
    assert signals[-1] == {"kind": "service", "service_ids": [b.id]}
    assert _audits("create", "queue_window")[-1].new["services"] == ["zx"]  # type: ignore[index]

    response = _post(client, f"/staff/queue/windows/{window.id}",
                     {"number": "3", "name": "咨询", "services": [str(a.id), str(b.id)],
                      "enabled": "y"})
    assert response.status_code == 303
    entry = _audits("update", "queue_window")[-1]
    assert entry.old == {"services": ["zx"]} and entry.new == {"services": ["gk", "zx"]}
    assert signals[-1]["service_ids"] == sorted([a.id, b.id])

    cases: list[tuple[dict[str, Any], str]] = [
        ({"number": "3", "services": []}, "这个窗口号已被使用"),
        ({"number": "0"}, "请填写 1 到 999 之间的整数"),
        ({"number": ""}, "此项必填"),
        ({"number": "4", "services": ["999"]}, "请从列表中选择"),
    ]
    for data, message in cases:
        refused = _post(client, "/staff/queue/windows/new", data)
        assert refused.status_code == 422 and message in _text(refused), data
    assert _count(Window) == 1
    assert "3号窗口" in _text(client.get("/staff/queue/windows/"))


def test_an_admin_clears_a_forgotten_sign_in(client: FlaskClient, admin: StaffUser) -> None:
    a = make_service("gk", prefix="A")
    clerk = create_staff("clerk.wang", Role.CLERK)
    window = make_window(1, a)
    queue.open_window(window.id, clerk.id, "clerk.wang", [a.id])
    listing = _text(client.get("/staff/queue/windows/"))
    assert "clerk.wang" in listing and "清除签到" in listing
    response = _post(client, f"/staff/queue/windows/{window.id}/release", {})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Window, window.id).clerk_id is None  # type: ignore[union-attr]
    assert _audits("release", "queue_window")[-1].old == {"clerk": "clerk.wang"}
    again = _post(client, f"/staff/queue/windows/{window.id}/release", {})
    assert again.status_code == 303 and len(_audits("release", "queue_window")) == 1


# -- priority categories ----------------------------------------------------------------------


def test_priority_categories(client: FlaskClient, admin: StaffUser) -> None:
    response = _post(client, "/staff/queue/priorities/new",
                     {"name": "老年人", "position": "1", "enabled": "y"})
    assert response.status_code == 303
    category = db.session.scalars(select(PriorityCategory)).one()
    duplicate = _post(client, "/staff/queue/priorities/new",
                      {"name": "老年人", "position": "2", "enabled": "y"})
    assert duplicate.status_code == 422 and "这个类别已经有了" in _text(duplicate)
    empty = _post(client, "/staff/queue/priorities/new", {"name": " ", "position": "0"})
    assert empty.status_code == 422 and "此项必填" in _text(empty)
    off = _post(client, f"/staff/queue/priorities/{category.id}",
                {"name": "老年人", "position": "1"})
    assert off.status_code == 303
    db.session.expire_all()
    assert db.session.get(PriorityCategory, category.id).enabled is False  # type: ignore[union-attr]
    assert _audits("update", "queue_priority")[-1].new == {"enabled": False}
    assert "已停用" in _text(client.get("/staff/queue/priorities/"))


# -- appointments -----------------------------------------------------------------------------


def test_appointments(client: FlaskClient, admin: StaffUser) -> None:
    service = make_service("gk", prefix="A")
    today = local_today()
    assert client.get("/staff/queue/appointments/").status_code == 200
    response = _post(client, "/staff/queue/appointments/", {
        "service": str(service.id), "day": today.isoformat(), "slot_start": "09:00",
        "slot_end": "09:30", "note": "查阅本人不动产登记资料"})
    assert response.status_code == 303, _text(response)[:2000]
    made = db.session.scalars(select(Appointment)).one()
    assert len(made.code) == settings.CODE_LENGTH
    assert set(made.code) <= set(settings.CODE_ALPHABET)
    assert not set(made.code) & set("0O1IL")
    listing = _text(client.get(response.headers["Location"]))
    assert f"预约号 {made.code}" in listing and "未签到" in listing
    assert _audits("create", "queue_appointment")[-1].object_label == made.code

    issued = queue.check_in(made.code.lower())
    assert issued.ticket.appointment_id == made.id
    listing = _text(client.get("/staff/queue/appointments/"))
    assert "已签到" in listing and issued.ticket.number in listing
    refused = _post(client, f"/staff/queue/appointments/{made.id}/cancel", {})
    assert refused.status_code == 303
    db.session.expire_all()
    assert db.session.get(Appointment, made.id).cancelled is False  # type: ignore[union-attr]


def test_cancel_an_appointment(client: FlaskClient, admin: StaffUser,
                               signals: list[dict[str, Any]]) -> None:
    service = make_service("gk", prefix="A")
    tomorrow = local_today() + dt.timedelta(days=1)
    made = settings.create_appointment(service, tomorrow, None, None, "")
    response = _post(client, f"/staff/queue/appointments/{made.id}/cancel", {})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"day={tomorrow.isoformat()}")
    db.session.expire_all()
    assert db.session.get(Appointment, made.id).cancelled is True  # type: ignore[union-attr]
    assert _audits("cancel", "queue_appointment")[-1].new == {"cancelled": True}
    assert signals[-1] == {"kind": "service", "service_ids": [service.id]}
    with pytest.raises(queue.QueueError):
        queue.check_in(made.code)
    assert "已取消" in _text(client.get(f"/staff/queue/appointments/?day={tomorrow}"))


@pytest.mark.parametrize(("fields", "message"), [
    ({"service": ""}, "请从列表中选择"),
    ({"day": ""}, "此项必填"),
    ({"day": "2020-01-01"}, "预约日期不能早于今天"),
    ({"day": "明天"}, "日期无效"),
    ({"slot_start": "10:00", "slot_end": "09:00"}, "时段结束必须晚于时段开始"),
    ({"note": "张三 13812345678"}, "备注里不能有身份证号或电话号码"),
    ({"note": "身份证 11010519491231002X"}, "备注里不能有身份证号或电话号码"),
])
def test_appointment_validation(client: FlaskClient, admin: StaffUser, fields: dict[str, Any],
                                message: str) -> None:
    service = make_service("gk", prefix="A")
    data = {"service": str(service.id), "day": local_today().isoformat(), "slot_start": "",
            "slot_end": "", "note": "", **fields}
    response = _post(client, "/staff/queue/appointments/", data)
    assert response.status_code == 422
    assert message in _text(response)
    assert _count(Appointment) == 0


# -- who may ----------------------------------------------------------------------------------


def test_only_admins_change_the_settings(app: Flask, client: FlaskClient) -> None:
    service = make_service("gk", prefix="A")
    for role in (Role.EDITOR, Role.CLERK, Role.OFFICER):
        other = app.test_client()
        create_staff(f"user-{role}", role)
        login(other, f"user-{role}")
        for path in ("/staff/queue/services/", "/staff/queue/windows/",
                     "/staff/queue/priorities/", "/staff/queue/appointments/",
                     f"/staff/queue/services/{service.id}"):
            assert other.get(path).status_code == 403, (role, path)
        token = csrf_token(other)
        assert other.post(f"/staff/queue/services/{service.id}",
                          data={"csrf_token": token, **_service()}).status_code == 403
    create_staff("boss", Role.ADMIN)
    login(client, "boss")
    home = _text(client.get("/staff/"))
    assert "排队设置" in home and "叫号窗口" in home


# -- demo -------------------------------------------------------------------------------------


def test_the_demo_queue_is_made_once(app: Flask) -> None:
    assert demo.demo_step in app.extensions["demo_steps"]
    assert demo.seed_queue() == 5
    assert demo.seed_queue() == 0
    services = {s.prefix: s for s in db.session.scalars(select(Service))}
    assert sorted(services) == ["A", "B", "C", "D", "E"]
    assert services["A"].name == "政府信息公开申请"
    for prefix in "ABCE":
        s = services[prefix]
        assert (s.opens_at, s.closes_at, s.weekdays, s.workdays_only, s.daily_limit) == (
            None, None, 127, False, None)
        # open at any hour of any day: whoever runs the demo can take a ticket
        for hour in (0, 3, 12, 20):
            at = dt.datetime(2026, 10, 1, hour, tzinfo=dt.UTC)  # 国庆, a holiday
            assert queue.availability(s, at).open, (prefix, hour)
    d = services["D"]
    assert (d.opens_at, d.closes_at, d.workdays_only, d.daily_limit) == (
        dt.time(9), dt.time(17), True, 100)
    windows = {w.number: w for w in db.session.scalars(select(Window))}
    assert sorted(windows) == [1, 2, 3, 4, 5, 6]
    assert all(w.clerk_id is None for w in windows.values())
    assert len(windows[6].services) == 5
    assert [p.name for p in settings.priorities()] == ["老年人", "残疾人", "军人", "孕妇"]
    assert _count(Ticket) == 0
    issued = queue.issue_ticket("gk")
    assert issued.ticket.number == "A001"
