"""The working-day calendar's staff page: the year's holidays and make-up days from the
package, staff overrides added and removed (audited, in one transaction with the change), the
warning when next year is not known yet, and who may open it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hall import calendar
from hall.extensions import db
from hall.models import AuditEntry, CalendarOverride, Role
from tests.staff_support import csrf_token

LoginAs = Callable[..., Any]


def _post(client: FlaskClient, url: str, **data: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client), **data})


def test_year_lists_holidays_and_makeup_days(client: FlaskClient, login_as: LoginAs) -> None:
    login_as(Role.OFFICER)
    assert client.get("/staff/calendar/").headers["Location"].startswith("/staff/calendar/20")
    html = client.get("/staff/calendar/2026").get_data(as_text=True)
    assert "2026 年工作日历" in html
    assert "2026-10-01" in html and "国庆节" in html  # a holiday
    assert "2026-10-10" in html and "调休上班" in html  # a make-up Saturday
    assert "2026-02-17" in html and "春节" in html
    assert "已收录 2026 年国务院放假安排" in html


def test_warning_when_next_year_is_unknown(client: FlaskClient, login_as: LoginAs,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    login_as(Role.ADMIN)
    monkeypatch.setattr(calendar, "package_knows", lambda year: year <= 2020)
    html = client.get("/staff/calendar/2031").get_data(as_text=True)
    assert "还没有" in html and "11 月" in html  # next year's arrangement is missing
    assert "目前只按周末和固定假日推算" in html  # and this year is a guess
    monkeypatch.setattr(calendar, "package_knows", lambda year: True)
    html = client.get("/staff/calendar/2026").get_data(as_text=True)
    assert "11 月" not in html


def test_add_and_remove_an_override(client: FlaskClient, login_as: LoginAs) -> None:
    login_as(Role.ADMIN, username="boss")
    # 2031 is not in the package: staff enter the State Council's arrangement by hand
    response = _post(client, "/staff/calendar/2031/set", day="2031-01-25", kind="workday",
                     note="春节调休上班")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/calendar/2031")
    assert calendar.load_calendar().is_workday(dt.date(2031, 1, 25))  # a Saturday
    html = client.get("/staff/calendar/2031").get_data(as_text=True)
    assert "春节调休上班" in html and "工作人员设定（1 天）" in html
    # changing it records old and new
    assert _post(client, "/staff/calendar/2031/set", day="2031-01-25", kind="holiday",
                 note="改回休息").status_code == 303
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "calendar_set").order_by(AuditEntry.id)).all()
    assert [e.actor_name for e in entries] == ["boss", "boss"]
    assert entries[0].old is None
    assert entries[1].old == {"is_workday": True, "note": "春节调休上班"}
    assert entries[1].new == {"is_workday": False, "note": "改回休息"}
    assert _post(client, "/staff/calendar/2031/remove", day="2031-01-25").status_code == 303
    assert db.session.get(CalendarOverride, dt.date(2031, 1, 25)) is None
    removed = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "calendar_unset")).one()
    assert removed.old == {"is_workday": False, "note": "改回休息"}
    again = _post(client, "/staff/calendar/2031/remove", day="2031-01-25")
    assert again.status_code == 303  # nothing to remove: a message, no error


@pytest.mark.parametrize(("data", "message"), [
    ({"day": "2031-02-30", "kind": "holiday"}, "日期无效"),
    ({"day": "", "kind": "holiday"}, "请填写日期"),
    ({"day": "2031-02-03", "kind": "maybe"}, ""),
    ({"day": "2031-02-03", "kind": "holiday", "note": "长" * 101}, "最多 100 个字"),
])
def test_bad_input_is_refused(client: FlaskClient, login_as: LoginAs, data: dict[str, str],
                              message: str) -> None:
    login_as(Role.OFFICER)
    response = _post(client, "/staff/calendar/2031/set", **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(CalendarOverride)) == 0
    assert _post(client, "/staff/calendar/2031/remove", day="nope").status_code == 400
    assert client.get("/staff/calendar/1800").status_code == 404


@pytest.mark.parametrize("role", [Role.CLERK, Role.EDITOR])
def test_clerks_and_editors_are_refused(client: FlaskClient, login_as: LoginAs,
                                        role: str) -> None:
    login_as(role)
    assert client.get("/staff/calendar/2026").status_code == 403
    assert _post(client, "/staff/calendar/2026/set", day="2026-12-01",
                 kind="holiday").status_code == 403
    assert db.session.scalar(select(db.func.count()).select_from(CalendarOverride)) == 0
