"""The citizen rating pages through the Flask client: the kiosk's number lookup and form, the
counter-facing page's JSON, the phone page; validation, CSRF, rate limits, nothing personal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hall.db import utcnow
from hall.extensions import db
from tests.staff_support import token_in
from tests.tickets.support import make_service, make_window
from tickets import queue
from tickets.models import Followup, Rating, Service, Ticket, Window


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"RATING_LOOKUP_RATE_LIMIT": "5 per minute", "QUEUE_FOLLOWUP_WORKDAYS": 15}


def finished(ago: dt.timedelta = dt.timedelta(seconds=10), window_number: int = 3) -> Ticket:
    """A ticket served at window ``window_number`` and finished ``ago`` (real time: the kiosk
    only accepts tickets finished today)."""
    service = db.session.scalar(select(Service).where(Service.code == "gk")) or make_service()
    window = db.session.scalar(select(Window).where(Window.number == window_number)) \
        or make_window(window_number, service)
    end = utcnow() - ago
    ticket = queue.issue_ticket("gk", now=end - dt.timedelta(minutes=3), check_hours=False)
    queue.call_next(window.id, "王芳", now=end - dt.timedelta(minutes=2))
    queue.finish(window.id, now=end)
    return db.session.get(Ticket, ticket.ticket.id)


def _token(client: FlaskClient, path: str = "/kiosk/rate") -> str:
    return token_in(client.get(path).get_data(as_text=True))


def test_number_page_has_a_pad_and_no_inline_script(client: FlaskClient, app: Flask) -> None:
    make_service()
    response = client.get("/kiosk/rate")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "服务评价" in html and 'data-key="A"' in html and 'data-key="0"' in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "<script>" not in html and " style=" not in html
    assert 'data-idle-armed="1"' in html  # the kiosk's idle reset applies


def test_lookup_then_rate_shows_only_number_and_service(client: FlaskClient, app: Flask) -> None:
    ticket = finished()
    token = _token(client)
    assert client.post("/kiosk/rate", data={"number": ticket.number}).status_code == 400  # CSRF
    found = client.post("/kiosk/rate", data={"number": ticket.number.lower(),
                                             "csrf_token": token})
    html = found.get_data(as_text=True)
    assert found.status_code == 200
    assert ticket.number in html and "政府信息公开申请" in html and "非常不满意" in html
    assert "王芳" not in html  # the clerk is staff's business, not the next citizen's
    assert f'name="token" value="{ticket.token}"' in html

    bad = client.post("/kiosk/rate/submit", data={"csrf_token": token, "token": ticket.token,
                                                  "score": "9", "comment": "好"})
    assert bad.status_code == 422 and "请选择一个评价等级" in bad.get_data(as_text=True)
    assert ">好</textarea>" in bad.get_data(as_text=True)
    wrong = client.post("/kiosk/rate/submit", data={"csrf_token": token, "token": ticket.token,
                                                    "score": "5", "reasons": "态度不好"})
    assert wrong.status_code == 422 and "原因与评价等级不符" in wrong.get_data(as_text=True)

    done = client.post("/kiosk/rate/submit", data={
        "csrf_token": token, "token": ticket.token, "score": "1", "reasons": ["态度不好", "其他"],
        "comment": "<b>等了很久</b>"})
    html = done.get_data(as_text=True)
    assert done.status_code == 200
    assert "感谢您的评价" in html and "工作人员将在 15 个工作日内核查整改" in html
    rating = db.session.scalar(select(Rating))
    assert (rating.score, rating.channel, rating.comment) == (1, "kiosk", "<b>等了很久</b>")
    assert db.session.scalar(select(func.count(Followup.id))) == 1

    again = client.post("/kiosk/rate/submit", data={"csrf_token": token, "token": ticket.token,
                                                    "score": "5"})
    assert again.status_code == 409 and "已经评价过了" in again.get_data(as_text=True)
    looked = client.post("/kiosk/rate", data={"number": ticket.number, "csrf_token": token})
    assert looked.status_code == 409


def test_good_rating_thanks_without_a_promise(client: FlaskClient, app: Flask) -> None:
    ticket = finished()
    token = _token(client)
    done = client.post("/kiosk/rate/submit", data={"csrf_token": token, "token": ticket.token,
                                                   "score": "4", "reasons": "服务热情"})
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "工作日内" not in html and "感谢您的评价" in html


@pytest.mark.parametrize("number", ["", "A", "12", "A01B", "<script>", "Z999"])
def test_lookup_refuses_bad_or_unknown_numbers(client: FlaskClient, app: Flask,
                                               number: str) -> None:
    finished()
    response = client.post("/kiosk/rate", data={"number": number, "csrf_token": _token(client)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'role="alert"' in html and "<script>" not in html


def test_lookup_refuses_tickets_not_finished_today(client: FlaskClient, app: Flask) -> None:
    make_service()
    waiting = queue.issue_ticket("gk", check_hours=False).ticket
    token = _token(client)
    response = client.post("/kiosk/rate", data={"number": waiting.number, "csrf_token": token})
    assert response.status_code == 422 and "还没有办结" in response.get_data(as_text=True)
    old = finished(ago=dt.timedelta(days=2))
    refused = client.post("/kiosk/rate/submit", data={"csrf_token": token, "token": old.token,
                                                      "score": "5"})
    assert refused.status_code == 422
    assert db.session.scalar(select(func.count(Rating.id))) == 0


def test_lookup_is_rate_limited_per_terminal(client: FlaskClient, app: Flask) -> None:
    make_service()
    token = _token(client)
    codes = [client.post("/kiosk/rate", data={"number": f"A{n:03d}", "csrf_token": token})
             .status_code for n in range(7)]
    assert codes[:5] == [422] * 5 and codes[5] == 429
    other = app.test_client()
    response = other.post("/kiosk/rate", environ_base={"REMOTE_ADDR": "10.0.0.9"},
                          data={"number": "A001", "csrf_token": _token(other)})
    assert response.status_code == 422  # another kiosk has its own count


def test_window_json_offers_the_rating_then_forgets_it(client: FlaskClient, app: Flask) -> None:
    assert client.get("/api/windows/3").status_code == 404
    assert client.get("/kiosk/window/3").status_code == 404
    ticket = finished()
    state = client.get("/api/windows/3").get_json()
    assert state["window"] == 3 and state["current"] is None
    assert state["rate"] == {"token": ticket.token, "number": ticket.number,
                             "service": "政府信息公开申请",
                             "finished_at": ticket.finished_at.isoformat()}
    window = db.session.scalar(select(Window).where(Window.number == 3))
    queue.issue_ticket("gk", check_hours=False)
    queue.call_next(window.id, "王芳")
    state = client.get("/api/windows/3").get_json()
    assert state["current"]["number"] == "A002" and state["current"]["status"] == "called"
    assert state["rate"]["token"] == ticket.token  # A001 may still rate for a minute

    page = client.get("/kiosk/window/3")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-idle-armed="0"' in html
    assert "/api/windows/3" in html and ticket.token not in html
    csrf = token_in(html)
    url = "/api/windows/3/rating"
    body = {"token": ticket.token, "score": 2, "reasons": ["等候时间长"], "comment": "慢"}
    assert client.post(url, json=body).status_code == 400  # no X-CSRFToken
    headers = {"X-CSRFToken": csrf}
    assert client.post(url, data="x", headers={**headers, "Content-Type": "application/json"}
                       ).status_code == 400
    assert client.post(url, json={**body, "token": "nope"}, headers=headers).status_code == 404
    assert client.post(url, json={**body, "reasons": "等候时间长"}, headers=headers
                       ).status_code == 422
    bad = client.post(url, json={**body, "score": "很好"}, headers=headers)
    assert bad.status_code == 422 and bad.get_json()["code"] == "bad_score"
    elsewhere = client.post("/api/windows/4/rating", json=body, headers=headers)
    assert elsewhere.status_code == 404
    done = client.post(url, json=body, headers=headers)
    assert done.status_code == 201
    assert done.get_json() == {"ok": True, "bad": True,
                               "message": "工作人员将在 15 个工作日内核查整改。"}
    assert db.session.scalar(select(Rating.channel)) == "counter"
    assert client.get("/api/windows/3").get_json()["rate"] is None
    again = client.post(url, json=body, headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "rated"


def test_window_offer_lasts_about_a_minute(client: FlaskClient, app: Flask) -> None:
    finished(ago=dt.timedelta(seconds=90))
    assert client.get("/api/windows/3").get_json()["rate"] is None


def test_window_reset_forgets_the_citizens_choices(client: FlaskClient, app: Flask) -> None:
    make_window(3, make_service())
    with client.session_transaction() as session:
        session["elder"] = True
        session["lang"] = "en"
    response = client.get("/kiosk/window/3/reset")
    assert response.status_code == 302 and response.headers["Location"].endswith("/kiosk/window/3")
    with client.session_transaction() as session:
        assert "elder" not in session and "lang" not in session


def test_phone_page_rates_by_token(client: FlaskClient, app: Flask) -> None:
    ticket = finished()
    assert client.get("/t/not-a-token/rate").status_code == 404
    page = client.get(f"/t/{ticket.token}/rate")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and ticket.number in html and "非常满意" in html
    assert f'href="/t/{ticket.token}"' in html
    csrf = token_in(html)
    url = f"/t/{ticket.token}/rate"
    assert client.post(url, data={"score": "5"}).status_code == 400
    missing = client.post(url, data={"csrf_token": csrf})
    assert missing.status_code == 422 and "请选择一个评价等级" in missing.get_data(as_text=True)
    long = client.post(url, data={"csrf_token": csrf, "score": "3", "comment": "长" * 501})
    assert long.status_code == 422 and "最多 500 个字" in long.get_data(as_text=True)
    done = client.post(url, data={"csrf_token": csrf, "score": "5", "reasons": "解释清楚"})
    assert done.status_code == 200 and "感谢您的评价" in done.get_data(as_text=True)
    assert db.session.scalar(select(Rating.channel)) == "phone"
    again = client.get(url)
    assert again.status_code == 409 and "已经评价过了" in again.get_data(as_text=True)


def test_phone_page_waits_for_the_ticket_to_be_done(client: FlaskClient, app: Flask) -> None:
    make_service()
    ticket = queue.issue_ticket("gk", check_hours=False).ticket
    page = client.get(f"/t/{ticket.token}/rate")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "还没有办结" in html and 'name="score"' not in html
