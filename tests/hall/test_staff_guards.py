"""Every staff route against every role, and CSRF on every state-changing staff request.

The routes come from the app's URL map, so a page added later is checked without editing this
file; the expectations for known pages are written out by hand, so a wrong guard fails here.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.routing import AnyConverter, IntegerConverter

from hall.auth import guard_of
from hall.extensions import db
from hall.models import AuditEntry, Role, StaffUser
from tests.staff_support import create_staff, login, token_in

ROLES = [Role.ADMIN, Role.EDITOR, Role.CLERK, Role.OFFICER]
ALL = set(ROLES)

#: Written by hand from the issue: who may open what. Pages of later issues add lines here.
EXPECTED: dict[str, set[str]] = {
    "staff.home": ALL,
    "staff.password": ALL,
    "staff.logout": ALL,
    "staff.users": {Role.ADMIN},
    "staff.user_new": {Role.ADMIN},
    "staff.user_edit": {Role.ADMIN},
    "staff.user_reset_password": {Role.ADMIN},
    "staff.user_unlock": {Role.ADMIN},
    "staff.audit_log": {Role.ADMIN},
    "printer_staff.index": {Role.ADMIN, Role.EDITOR, Role.CLERK},
    "printer_staff.reprint": {Role.ADMIN, Role.EDITOR, Role.CLERK},
    "printer_staff.test_page": {Role.ADMIN, Role.EDITOR, Role.CLERK},
    "printer_staff.preview": {Role.ADMIN, Role.EDITOR, Role.CLERK},
    "printer_staff.virtual_png": {Role.ADMIN, Role.EDITOR, Role.CLERK},
    "queue_followups.index": {Role.ADMIN, Role.CLERK},
    "queue_followups.followup": {Role.ADMIN, Role.CLERK},
    "queue_stats.index": {Role.ADMIN},
    "queue_stats.daily_csv": {Role.ADMIN},
    "queue_stats.tickets_csv": {Role.ADMIN},
    **{f"feedback_staff.{view}": {Role.ADMIN, Role.EDITOR, Role.OFFICER} for view in (
        "index", "suggestion", "suggestion_assign", "suggestion_close", "suggestion_contact",
        "suggestion_deadline", "suggestion_publish", "suggestion_reopen", "suggestion_reply",
        "consultations", "consultation", "consultation_new", "consultation_edit",
        "consultation_open", "consultation_close", "consultation_delete",
        "consultation_summary", "document", "document_upload", "document_delete", "comments",
        "comments_csv", "comment_hide")},
    "tickets_voice.index": {Role.ADMIN, Role.EDITOR},
    "tickets_voice.sample": {Role.ADMIN, Role.EDITOR},
    "tickets_voice.upload": {Role.ADMIN, Role.EDITOR},
    "tickets_voice.revert": {Role.ADMIN, Role.EDITOR},
    **{f"tickets_counter.{view}": {Role.ADMIN, Role.CLERK} for view in (
        "index", "open_window", "window", "state", "call_next", "call_number", "recall",
        "no_show", "finish", "transfer", "pause", "close")},
    **{f"tickets_settings.{view}": {Role.ADMIN} for view in (
        "services", "service_new", "service_edit", "windows", "window_new", "window_edit",
        "window_release", "priorities", "priority_new", "priority_edit", "appointments",
        "appointment_cancel")},
    **{f"disclosure_report.{view}": {Role.ADMIN, Role.OFFICER} for view in (
        "index", "year", "csv", "carry_in", "review")},
    **{f"disclosure_staff.{view}": {Role.ADMIN, Role.OFFICER} for view in (
        "index", "new", "case", "reveal", "step", "attachment_upload", "attachment",
        "attachment_delete", "letter")},
    **{f"hall_calendar.{view}": {Role.ADMIN, Role.OFFICER} for view in (
        "index", "year", "set_day", "remove_day")},
}
#: Blueprints whose every page is for editors (and admins).
EDITOR_BLUEPRINTS = {"content_staff", "content_media", "content_transfer", "screens_staff"}
PUBLIC = {"staff.login"}


def _staff_rules(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, url with sample arguments) for every /staff route."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff") or rule.endpoint.endswith(".static"):
            continue
        url = rule.rule
        for name, converter in rule._converters.items():
            if isinstance(converter, AnyConverter):
                sample = sorted(converter.items)[0]
            elif isinstance(converter, IntegerConverter):
                sample = "999999"
            else:
                sample = "x"
            url = re.sub(rf"<[^>]*\b{name}>", sample, url)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, url))
    return out


def _allowed_roles(endpoint: str) -> set[str]:
    if endpoint in EXPECTED:
        return EXPECTED[endpoint]
    if endpoint.split(".")[0] in EDITOR_BLUEPRINTS:
        return {Role.ADMIN, Role.EDITOR}
    raise AssertionError(f"{endpoint}: add who may open it to EXPECTED in this test")


def test_every_staff_route_has_a_guard(app: Flask) -> None:
    for endpoint, _method, _url in _staff_rules(app):
        view = app.view_functions[endpoint]
        if endpoint in PUBLIC:
            assert getattr(view, "_staff_public", False), endpoint
            continue
        assert guard_of(view) is not None, f"{endpoint} has no role guard"


def test_the_guard_refuses_an_unwrapped_staff_view(app: Flask, client: FlaskClient) -> None:
    @app.get("/staff/forgotten-page")
    def forgotten() -> str:
        return "secret"

    create_staff("boss", Role.ADMIN)
    login(client, "boss")
    assert client.get("/staff/forgotten-page").status_code == 403


def _request(client: FlaskClient, method: str, url: str, token: str) -> int:
    if method == "GET":
        return client.get(url).status_code
    return client.open(url, method=method, data={"csrf_token": token},
                       headers={"X-CSRFToken": token}).status_code


@pytest.mark.parametrize("role", [None, *ROLES], ids=["anonymous", *[r.value for r in ROLES]])
def test_role_matrix(app: Flask, client: FlaskClient, role: str | None) -> None:
    if role is not None:
        create_staff(f"user-{role}", role)
        login(client, f"user-{role}")
        token = token_in(client.get("/staff/password").get_data(as_text=True))
    else:
        token = token_in(client.get("/staff/login").get_data(as_text=True))
    rules = _staff_rules(app)
    assert len(rules) >= len(EXPECTED)
    for endpoint, method, url in rules:
        if endpoint in PUBLIC or endpoint == "staff.logout":
            continue
        status = _request(client, method, url, token)
        if role is None:
            assert status in (302, 401), (endpoint, method, status)
        elif role in _allowed_roles(endpoint) or role == Role.ADMIN:
            assert status not in (401, 403), (role, endpoint, method, status)
            assert status < 500, (role, endpoint, method, status)
        else:
            assert status == 403, (role, endpoint, method, status)


def _post_rules(app: Flask) -> list[tuple[str, str, str]]:
    return [r for r in _staff_rules(app) if r[1] != "GET"]


def test_every_state_changing_staff_request_needs_the_csrf_token(
        app: Flask, client: FlaskClient) -> None:
    admin = create_staff("boss", Role.ADMIN)
    other = create_staff("clerk1", Role.CLERK)
    login(client, "boss")
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    posts = _post_rules(app)
    assert posts
    for endpoint, method, url in posts:
        url = url.replace("999999", str(other.id))
        missing = client.open(url, method=method, data={"username": "x"})
        forged = client.open(url, method=method, data={"csrf_token": "forged"},
                             headers={"X-CSRFToken": "forged"})
        assert missing.status_code == 400, endpoint
        assert forged.status_code == 400, endpoint
        assert "页面已过期" in missing.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before
    db.session.refresh(admin)
    db.session.refresh(other)
    assert db.session.get(StaffUser, admin.id) is not None
    assert client.get("/staff/").status_code == 200  # still signed in: logout was refused too


def test_login_form_needs_the_csrf_token(client: FlaskClient) -> None:
    create_staff("boss", Role.ADMIN)
    response = client.post("/staff/login", data={"username": "boss", "password": "x"})
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302
