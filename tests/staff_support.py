"""Helpers for tests of staff pages: accounts, sign-in with CSRF on, tokens from pages."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from hall import accounts
from hall.extensions import db
from hall.models import StaffUser

PASSWORD = "Gongkai-2026!"
_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                    r'name="csrf_token" value="([^"]+)"')


def create_staff(username: str, *roles: str, password: str = PASSWORD,
                 must_change: bool = False) -> StaffUser:
    """A committed account with ``roles``."""
    user = accounts.create_user(username, password, list(roles), display_name=username,
                                must_change_password=must_change)
    db.session.commit()
    return user


def token_in(html: str) -> str:
    """The CSRF token a page carries (meta tag or hidden field)."""
    match = _META.search(html) or _FIELD.search(html)
    if match is None:
        raise AssertionError("no CSRF token on the page")
    return next(g for g in match.groups() if g)


def csrf_token(client: FlaskClient, path: str = "/staff/password") -> str:
    """A valid token for the client's session, read from a page it may open."""
    response = client.get(path)
    return token_in(response.get_data(as_text=True))


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    """Sign in through the real login form (CSRF on); returns the POST's response."""
    page = client.get("/staff/login")
    return client.post("/staff/login", data={
        "username": username, "password": password, "csrf_token": token_in(page.get_data(True)),
    })


def browser_login(page: Any, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Sign a Playwright page in through the login form."""
    page.goto(f"{base_url}/staff/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/staff/login" not in url)
