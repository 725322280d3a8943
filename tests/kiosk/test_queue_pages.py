"""Kiosk 取号 pages through the Flask client: the tiles in Chinese with waiting counts and
closed services greyed with their reason, the no-script form (CSRF, a re-sent form gives the
same ticket), check-in, the QR image, and a ticket's phone page in each state."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hall.extensions import db
from hall.timefmt import local_today
from tests.staff_support import token_in
from tests.tickets.support import make_priority, make_service, make_window
from tickets import queue
from tickets.models import Appointment, Rating, Ticket

KEY = re.compile(r'name="key-(\w+)" value="([^"]+)"')


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"KIOSK_PRINTERS": {}, "TICKET_RATE_LIMIT": "1000 per minute"}


def no_inline_code(html: str) -> None:
    """The CSP forbids inline script and style: every script has a src, no style attribute."""
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"\son[a-z]+=", html)
    assert "http://" not in html.replace("http://hall.example.test", "")
    assert "https://" not in html


def _page(client: FlaskClient) -> tuple[str, str, dict[str, str]]:
    html = client.get("/kiosk/queue").get_data(as_text=True)
    return html, token_in(html), dict(KEY.findall(html))


def test_the_tiles_show_waiting_wait_and_why_a_service_is_closed(client: FlaskClient) -> None:
    make_service("gk", prefix="A", minutes_each=5)
    make_service("zc", name="政策咨询", prefix="B", paused=True, pause_note="系统升级中。")
    make_service("sb", name="社保", prefix="C", daily_limit=0)
    make_priority("老年人")
    make_priority("军人")
    queue.issue_ticket("gk")
    queue.issue_ticket("gk")
    response = client.get("/kiosk/queue")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    no_inline_code(html)
    assert '<html lang="zh-CN"' in html and "<h1>取号</h1>" in html
    assert 'action="/kiosk/queue/take"' in html and 'data-api="/api/tickets"' in html
    assert 'name="service" value="gk"' in html
    assert "政府信息公开申请" in html and "等候 2 人" in html and "预计等候 10 分钟" in html
    # closed ones are no buttons: greyed text saying why, and when the next tickets come
    assert 'name="service" value="zc"' not in html and 'name="service" value="sb"' not in html
    assert html.count("暂不能取号") == 2
    assert "该业务暂停取号。系统升级中。" in html
    assert "今天的号已取完。下次取号：" in html
    assert "普通取号" in html and "老年人" in html and "军人" in html
    assert 'href="/kiosk/queue/checkin"' in html and "预约签到" in html
    assert html.count('type="radio" name="priority"') == 3
    assert set(dict(KEY.findall(html))) == {"gk"}
    assert 'src="/kiosk/static/kiosk/js/queue.js"' in html
    assert 'href="/kiosk/static/kiosk/queue.css"' in html


def test_elder_mode_enlarges_the_page(client: FlaskClient) -> None:
    make_service()
    with client.session_transaction() as session:
        session["elder"] = True
    html = client.get("/kiosk/queue").get_data(as_text=True)
    assert '<html lang="zh-CN" class="elder">' in html


def test_no_script_form_takes_one_ticket_even_when_sent_twice(client: FlaskClient) -> None:
    make_service()
    _, token, keys = _page(client)
    form = {"csrf_token": token, "service": "gk", "priority": "", "key-gk": keys["gk"]}
    response = client.post("/kiosk/queue/take", data=form)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    no_inline_code(html)
    assert "取号成功" in html and '<p class="taken-number" id="taken-number">A001</p>' in html
    assert "您前面没有人等候，请留意叫号。" in html
    assert "凭条暂时无法打印" in html  # this terminal has no printer
    ticket = db.session.scalar(select(Ticket))
    assert ticket is not None and ticket.source == "kiosk"
    assert f'src="/kiosk/queue/qr/{ticket.token}.svg"' in html
    again = client.post("/kiosk/queue/take", data=form).get_data(as_text=True)
    assert "A001" in again and "您刚才已取过号，这是您的号码。" in again
    assert db.session.scalar(select(func.count(Ticket.id))) == 1
    _, token, keys = _page(client)  # a new page, a new key: the next person's ticket
    client.post("/kiosk/queue/take", data={"csrf_token": token, "service": "gk",
                                           "key-gk": keys["gk"]})
    assert db.session.scalar(select(func.count(Ticket.id))) == 2


def test_no_script_priority_and_refusals(client: FlaskClient) -> None:
    make_service()
    make_service("zc", name="政策咨询", prefix="B", paused=True)
    elder = make_priority("老年人")
    _, token, _ = _page(client)
    taken = client.post("/kiosk/queue/take", data={"csrf_token": token, "service": "gk",
                                                   "priority": str(elder.id)})
    assert taken.status_code == 200 and "优先：老年人" in taken.get_data(as_text=True)
    cases = [({"service": ""}, 400, "请选择要办理的业务。"),
             ({"service": "x" * 500}, 400, "请选择要办理的业务。"),
             ({"service": "nope"}, 404, "没有这项业务，请重新选择。"),
             ({"service": "zc"}, 409, "该业务暂停取号。"),
             ({"service": "gk", "priority": "abc"}, 400, "没有这个优先类别，请重新选择。"),
             ({"service": "gk", "priority": "99999999999"}, 400, "没有这个优先类别"),
             ({"service": "gk", "priority": "777"}, 400, "没有这个优先类别")]
    for form, status, message in cases:
        response = client.post("/kiosk/queue/take", data={"csrf_token": token, **form})
        assert response.status_code == status, form
        html = response.get_data(as_text=True)
        assert message in html and 'role="alert"' in html and "<h1>取号</h1>" in html
    assert client.post("/kiosk/queue/take", data={"service": "gk"}).status_code == 400  # CSRF
    assert db.session.scalar(select(func.count(Ticket.id))) == 1


def test_check_in_page_and_no_script_check_in(client: FlaskClient) -> None:
    service = make_service()
    db.session.add(Appointment(code="AB12CD", service_id=service.id, day=local_today()))
    db.session.commit()
    page = client.get("/kiosk/queue/checkin")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    no_inline_code(html)
    assert "<h1>预约签到</h1>" in html and 'data-api="/api/checkin"' in html
    assert 'id="code-pad"' in html and 'data-key="Z"' in html and "签到取号" in html
    token = token_in(html)
    empty = client.post("/kiosk/queue/checkin", data={"csrf_token": token, "code": " "})
    assert empty.status_code == 400 and "请输入预约号。" in empty.get_data(as_text=True)
    wrong = client.post("/kiosk/queue/checkin", data={"csrf_token": token, "code": "ZZ9"})
    assert wrong.status_code == 404
    assert "没有找到这个预约号" in wrong.get_data(as_text=True)
    assert 'value="ZZ9"' in wrong.get_data(as_text=True)  # kept for correcting
    done = client.post("/kiosk/queue/checkin", data={"csrf_token": token, "code": "ab12cd",
                                                     "request_key": "ck-1"})
    assert done.status_code == 200 and "A001" in done.get_data(as_text=True)
    ticket = db.session.scalar(select(Ticket))
    assert ticket is not None and ticket.appointment_id is not None


def test_the_qr_image_opens_the_phone_page(client: FlaskClient) -> None:
    make_service()
    ticket = queue.issue_ticket("gk").ticket
    response = client.get(f"/kiosk/queue/qr/{ticket.token}.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).startswith("<svg ")
    assert client.get("/kiosk/queue/qr/nope.svg").status_code == 404


def test_the_phone_page_in_each_state(client: FlaskClient) -> None:
    gk = make_service()
    window = make_window(3, gk)
    first = queue.issue_ticket("gk").ticket
    mine = queue.issue_ticket("gk").ticket
    url = f"/t/{mine.token}"
    html = client.get(url).get_data(as_text=True)
    no_inline_code(html)
    assert '<html lang="zh-CN">' in html and "排队进度" in html
    assert '<p class="phone-number" id="phone-number">A002</p>' in html
    assert ">等候中</p>" in html and '<span id="phone-ahead">1</span>' in html
    assert f'data-api="/api/tickets/{mine.token}"' in html
    assert 'src="/screens/static/screens/vendor/socket.io.min.js"' in html
    assert 'id="phone-rate" hidden' in html
    assert "窗口暂未叫号。" in html
    queue.call_next(window.id)
    html = client.get(url).get_data(as_text=True)
    assert f"{first.number} 号 → 3 号窗口" in html
    queue.call_next(window.id)
    assert "请到 3 号窗口办理" in client.get(url).get_data(as_text=True)
    queue.finish(window.id)
    html = client.get(url).get_data(as_text=True)
    assert "已完成" in html and f'href="/t/{mine.token}/rate"' in html and "评价本次服务" in html
    db.session.add(Rating(ticket_id=mine.id, score=4, channel="phone"))
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert 'id="phone-rate" hidden' in html and f'href="/t/{mine.token}/rate"' not in html


def test_an_unknown_ticket_page_is_a_calm_404(client: FlaskClient) -> None:
    response = client.get("/t/not-a-token")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "没有找到这张号票" in html and "data-api" not in html
    no_inline_code(html)


def test_the_page_and_form_share_the_rate_limit(app: Flask, client: FlaskClient) -> None:
    app.config["TICKET_RATE_LIMIT"] = "2 per minute"
    make_service()
    _, token, _ = _page(client)
    assert client.post("/api/tickets", json={"service": "gk"}).status_code == 201
    assert client.post("/kiosk/queue/take", data={"csrf_token": token, "service": "gk"}
                       ).status_code == 200
    refused = client.post("/kiosk/queue/take", data={"csrf_token": token, "service": "gk"})
    assert refused.status_code == 429
    assert "操作太频繁了，请稍等片刻再试。" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Ticket.id))) == 2
