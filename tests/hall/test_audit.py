"""The audit log: entries with actor, time, object, old and new values; a filter page;
append-only in the database itself; account pages leave entries."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from hall import audit
from hall.extensions import db
from hall.models import AuditEntry, Role, StaffUser
from tests.staff_support import create_staff, csrf_token, login


def test_record_change_keeps_only_what_changed(app: Flask) -> None:
    user = create_staff("王芳", Role.EDITOR)
    before = audit.snapshot(user)
    user.display_name = "王芳（窗口𠮷）"
    entry = audit.record_change("update", user, before, label=user.username)
    db.session.commit()
    stored = db.session.get(AuditEntry, entry.id)
    assert stored is not None
    assert stored.old == {"display_name": "王芳"}
    assert stored.new == {"display_name": "王芳（窗口𠮷）"}
    assert stored.actor_name == "系统" and stored.object_type == "staff_user"
    assert stored.at.tzinfo is not None
    assert "password_hash" not in audit.snapshot(user)


def test_entries_cannot_be_edited_or_deleted(app: Flask) -> None:
    entry = audit.record("login", obj_type="staff_user", label="x", actor_name="x")
    db.session.commit()
    for statement in (f"UPDATE audit_entry SET action = 'forged' WHERE id = {entry.id}",
                      f"DELETE FROM audit_entry WHERE id = {entry.id}"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.get(AuditEntry, entry.id).action == "login"  # type: ignore[union-attr]


def test_account_pages_leave_entries_and_the_log_page_filters_them(
        app: Flask, client: FlaskClient) -> None:
    create_staff("boss", Role.ADMIN)
    login(client, "boss")
    token = csrf_token(client)
    made = client.post("/staff/users/new", data={
        "csrf_token": token, "username": "clerk.li", "display_name": "李〇",
        "roles": [Role.CLERK.value], "active": "y"})
    assert made.status_code == 200 and "临时密码" in made.get_data(as_text=True)
    clerk = db.session.scalar(select(StaffUser).where(StaffUser.username == "clerk.li"))
    assert clerk is not None and clerk.must_change_password
    edit = client.post(f"/staff/users/{clerk.id}", data={
        "csrf_token": token, "username": "clerk.li", "display_name": "李〇",
        "roles": [Role.CLERK.value, Role.OFFICER.value], "active": "y"})
    assert edit.status_code == 302
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "update")).one()
    assert entry.actor_name == "boss" and entry.object_id == str(clerk.id)
    assert entry.old == {"roles": ["clerk"]} and entry.new == {"roles": ["clerk", "officer"]}
    assert entry.remote_addr == "127.0.0.1"

    page = client.get("/staff/audit", query_string={"action": "update"}).get_data(as_text=True)
    assert "clerk.li" in page and "officer" in page
    assert "登录</td>" not in page  # the login entry is filtered out
    everything = client.get("/staff/audit").get_data(as_text=True)
    assert "登录" in everything
    today = dt.date.today()
    future = client.get("/staff/audit", query_string={
        "from": (today + dt.timedelta(days=3)).isoformat()}).get_data(as_text=True)
    assert "共 0 条" in future
    bad = client.get("/staff/audit", query_string={"from": "2026-13-45", "page": "x"})
    assert bad.status_code == 200


def test_bad_account_form_is_refused_with_a_message(client: FlaskClient) -> None:
    create_staff("boss", Role.ADMIN)
    login(client, "boss")
    token = csrf_token(client)
    for data, message in (
        ({"username": "", "roles": ["clerk"]}, "请填写用户名"),
        ({"username": "bad name!", "roles": ["clerk"]}, "用户名只能用"),
        ({"username": "boss", "roles": ["clerk"]}, "已被使用"),
        ({"username": "new1", "roles": []}, "请至少选择一个角色"),
        ({"username": "new1", "roles": ["superuser"]}, "角色无效"),
    ):
        response = client.post("/staff/users/new", data={"csrf_token": token, **data})
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), data
    assert db.session.scalar(select(StaffUser).where(StaffUser.username == "new1")) is None


def test_admin_cannot_lock_themselves_out(client: FlaskClient) -> None:
    boss = create_staff("boss", Role.ADMIN)
    login(client, "boss")
    response = client.post(f"/staff/users/{boss.id}", data={
        "csrf_token": csrf_token(client), "username": "boss", "roles": ["editor"], "active": "y"},
        follow_redirects=True)
    assert "不能取消自己的管理员角色" in response.get_data(as_text=True)
    db.session.refresh(boss)
    assert boss.roles == ["admin"]
