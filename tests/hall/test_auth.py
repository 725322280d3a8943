"""Staff sign-in: argon2 hashes, lockout and delay, session timeout, logout, password change,
network restriction, the first admin from the CLI, safe redirects."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from hall import accounts
from hall.extensions import db
from hall.models import AuditEntry, Role, StaffUser
from tests.staff_support import PASSWORD, create_staff, csrf_token, login, token_in


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"STAFF_FAILURE_DELAY_SECONDS": 0.0, "STAFF_LOGIN_MAX_FAILURES": 3}


def _user(name: str) -> StaffUser:
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == name))
    assert user is not None
    db.session.refresh(user)
    return user


def test_password_is_stored_as_argon2_hash(app: Flask) -> None:
    user = create_staff("王芳", Role.EDITOR)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert accounts.check_password(user, PASSWORD)
    assert not accounts.check_password(user, PASSWORD + "x")


def test_login_and_logout(client: FlaskClient) -> None:
    create_staff("editor1", Role.EDITOR)
    assert client.get("/staff/").status_code == 302  # to the login page
    response = login(client, "editor1")
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/")
    home = client.get("/staff/")
    assert home.status_code == 200 and "工作台" in home.get_data(as_text=True)
    token = token_in(home.get_data(as_text=True))
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/staff/").status_code == 302
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["login", "logout"]


def test_wrong_password_is_refused_with_the_same_message_as_an_unknown_user(
        client: FlaskClient) -> None:
    create_staff("editor1", Role.EDITOR)
    wrong = login(client, "editor1", "not-the-password1")
    unknown = login(client, "nobody", "not-the-password1")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码不正确" in wrong.get_data(as_text=True)
    assert "用户名或密码不正确" in unknown.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_lockout_after_repeated_failures_refuses_even_the_right_password(
        client: FlaskClient, runner: FlaskCliRunner) -> None:
    create_staff("clerk1", Role.CLERK)
    for _ in range(3):
        assert login(client, "clerk1", "wrong-password-1").status_code == 401
    user = _user("clerk1")
    assert user.failed_logins == 3 and user.locked_until is not None
    locked = login(client, "clerk1")
    assert locked.status_code == 401
    assert "账户已锁定" in locked.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302
    result = runner.invoke(args=["staff", "unlock", "clerk1"])
    assert result.exit_code == 0, result.output
    assert login(client, "clerk1").status_code == 302


def test_lock_ends_by_itself(app: Flask) -> None:
    create_staff("clerk1", Role.CLERK)
    import datetime as dt

    start = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
    for _ in range(3):
        accounts.authenticate("clerk1", "bad-password-9", max_failures=3,
                              lockout=dt.timedelta(minutes=15), now=start)
    during = accounts.authenticate("clerk1", PASSWORD, max_failures=3,
                                   lockout=dt.timedelta(minutes=15),
                                   now=start + dt.timedelta(minutes=14))
    after = accounts.authenticate("clerk1", PASSWORD, max_failures=3,
                                  lockout=dt.timedelta(minutes=15),
                                  now=start + dt.timedelta(minutes=16))
    assert during.user is None and during.locked_until is not None
    assert after.user is not None and after.user.failed_logins == 0


def test_each_failure_slows_the_answer(app: Flask, client: FlaskClient) -> None:
    app.config.update(STAFF_FAILURE_DELAY_SECONDS=0.2, STAFF_LOGIN_MAX_FAILURES=10)
    create_staff("clerk1", Role.CLERK)
    timings = []
    for _ in range(2):
        started = time.monotonic()
        login(client, "clerk1", "wrong-password-1")
        timings.append(time.monotonic() - started)
    assert timings[0] >= 0.2
    assert timings[1] >= 0.4


def test_session_times_out_after_idleness(app: Flask, client: FlaskClient,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    app.config["STAFF_SESSION_MINUTES"] = 30
    create_staff("editor1", Role.EDITOR)
    login(client, "editor1")
    assert client.get("/staff/").status_code == 200
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 31 * 60)
    response = client.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_password_change_ends_other_sessions(app: Flask, client: FlaskClient) -> None:
    create_staff("editor1", Role.EDITOR)
    other = app.test_client()
    login(client, "editor1")
    login(other, "editor1")
    token = csrf_token(client)
    new = "Another-pass-42"
    bad = client.post("/staff/password", data={"csrf_token": token, "current": PASSWORD,
                                               "new": "short", "confirm": "short"})
    assert bad.status_code == 422 and "至少需要" in bad.get_data(as_text=True)
    ok = client.post("/staff/password", data={"csrf_token": token, "current": PASSWORD,
                                              "new": new, "confirm": new})
    assert ok.status_code == 302
    assert client.get("/staff/").status_code == 200  # this session goes on
    assert other.get("/staff/").status_code == 302  # the other one ended
    assert login(other, "editor1", new).status_code == 302


def test_temporary_password_must_be_changed_first(client: FlaskClient) -> None:
    create_staff("clerk1", Role.CLERK, must_change=True)
    response = login(client, "clerk1")
    assert response.headers["Location"].endswith("/staff/password")
    assert client.get("/staff/").headers["Location"].endswith("/staff/password")


def test_next_never_leaves_the_server(client: FlaskClient) -> None:
    create_staff("editor1", Role.EDITOR)
    page = client.get("/staff/login")
    response = client.post("/staff/login", data={
        "username": "editor1", "password": PASSWORD, "next": "//evil.example/x",
        "csrf_token": token_in(page.get_data(as_text=True))})
    assert response.headers["Location"] == "/staff/"


def test_staff_pages_only_from_configured_networks(app: Flask, client: FlaskClient) -> None:
    app.config["STAFF_NETWORKS"] = ["10.20.0.0/16"]
    assert client.get("/staff/login").status_code == 403
    inside = client.get("/staff/login", environ_base={"REMOTE_ADDR": "10.20.3.4"})
    assert inside.status_code == 200
    assert client.get("/kiosk/").status_code == 200  # citizens' pages are not restricted


def test_create_admin_asks_for_a_password_and_has_no_default(
        runner: FlaskCliRunner, client: FlaskClient) -> None:
    weak = runner.invoke(args=["staff", "create-admin", "root", "--password-stdin"],
                         input="123\n")
    assert weak.exit_code != 0 and "密码至少需要" in weak.output
    assert accounts.user_named("root") is None
    made = runner.invoke(args=["staff", "create-admin", "root", "--name", "管理员"],
                         input="Strong-pass-2026\nStrong-pass-2026\n")
    assert made.exit_code == 0, made.output
    user = accounts.user_named("root")
    assert user is not None and user.roles == ["admin"]
    assert login(client, "root", "Strong-pass-2026").status_code == 302
    again = runner.invoke(args=["staff", "create-admin", "root", "--password-stdin"],
                          input="Strong-pass-2026\n")
    assert again.exit_code != 0


def test_password_rules() -> None:
    assert accounts.password_problems("Gongkai-2026!") == []
    assert accounts.password_problems("short1!")
    assert accounts.password_problems("onlyletterslong")
    assert accounts.password_problems("zhangsan-2026", username="zhangsan")


def test_menu_marks_the_section_on_its_sub_pages(client: FlaskClient) -> None:
    create_staff("editor1", Role.EDITOR)
    login(client, "editor1")
    page = client.get("/staff/content/policy/").get_data(as_text=True)
    assert 'href="/staff/content/" aria-current="true"' in page
    home = client.get("/staff/content/").get_data(as_text=True)
    assert 'href="/staff/content/" aria-current="page"' in home
