"""Queue statistics on a constructed day: known tickets give known counts, p50/p90, no-shows,
grades and satisfaction; the CSV exports parse and carry the BOM; the staff page and guards."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Flask
from flask.testing import FlaskClient

from hall.extensions import db
from hall.models import Role
from tests.staff_support import create_staff, login
from tests.tickets.support import make_service, make_window
from tickets import stats
from tickets.models import Rating, Ticket, TicketStatus

DAY = dt.date(2026, 11, 25)
#: 09:00 in the hall (Asia/Shanghai) on DAY.
NINE = dt.datetime(2026, 11, 25, 1, 0, tzinfo=dt.UTC)


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def build_day() -> list[Ticket]:
    """政府信息公开申请 (A): ten tickets issued 09:00–09:09, ticket i waited i minutes;
    1–8 were served for 2·i minutes, 9 and 10 did not come. Four ratings: 5, 4, 3, 1.
    政策咨询 (B): one ticket still waiting, issued 11:30. One ticket the day before."""
    gk = make_service("gk", prefix="A")
    zc = make_service("zc", name="政策咨询", prefix="B")
    window = make_window(3, gk, zc)
    tickets = []
    for i in range(1, 11):
        issued = NINE + minutes(i - 1)
        called = issued + minutes(i)
        done = i <= 8
        tickets.append(Ticket(
            day=DAY, service_id=gk.id, seq=i, number=f"A{i:03d}",
            status=TicketStatus.DONE if done else TicketStatus.NO_SHOW, issued_at=issued,
            queued_at=issued, called_at=called, window_id=window.id, served_by="王芳",
            finished_at=called + minutes(2 * i) if done else called + minutes(3),
            terminal="10.0.0.7", priority_name="老年人" if i == 2 else ""))
    waiting = NINE + minutes(150)
    tickets.append(Ticket(day=DAY, service_id=zc.id, seq=1, number="B001",
                          status=TicketStatus.WAITING, issued_at=waiting, queued_at=waiting))
    before = NINE - dt.timedelta(days=1)
    tickets.append(Ticket(day=DAY - dt.timedelta(days=1), service_id=gk.id, seq=1,
                          number="A001", status=TicketStatus.DONE, issued_at=before,
                          queued_at=before, called_at=before + minutes(100),
                          finished_at=before + minutes(200)))
    db.session.add_all(tickets)
    db.session.flush()
    for ticket, score in zip(tickets[:4], (5, 4, 3, 1), strict=True):
        db.session.add(Rating(ticket_id=ticket.id, score=score, comment="私人留言13800000000",
                              service_id=gk.id, window_number=3))
    db.session.commit()
    return tickets


def test_percentile_interpolates_between_ranks() -> None:
    values = [float(v) for v in range(10, 0, -1)]
    assert stats.percentile(values, 0.5) == 5.5
    assert round(stats.percentile(values, 0.9) or 0, 6) == 9.1
    assert stats.percentile([7.0], 0.9) == 7.0
    assert stats.percentile([], 0.5) is None


def test_figures_of_a_constructed_day(app: Flask) -> None:
    build_day()
    report = stats.report(DAY, DAY)
    total = report.total
    assert (total.issued, total.served, total.no_shows) == (11, 8, 2)
    assert (total.wait_p50, total.wait_p90) == (5.5, 9.1)  # waits 1..10 minutes
    assert (total.service_p50, total.service_p90) == (9.0, 14.6)  # 2, 4, … 16 minutes
    assert dict(total.grades) == {5: 1, 4: 1, 3: 1, 1: 1}
    assert (total.rated, total.bad, total.satisfaction) == (4, 1, 75.0)
    by_code = {service.code: figures for service, figures in report.services}
    assert by_code["gk"].issued == 10 and by_code["zc"].issued == 1
    assert by_code["zc"].wait_p50 is None and by_code["zc"].satisfaction is None
    hours = dict(report.per_hour)
    assert hours[9] == 10 and hours[11] == 1 and hours[10] == 0
    assert min(hours) == 8 and max(hours) == 18
    assert report.per_day == [(DAY, 11)]
    two_days = stats.report(DAY - dt.timedelta(days=1), DAY)
    assert two_days.per_day == [(DAY - dt.timedelta(days=1), 1), (DAY, 11)]
    assert two_days.total.issued == 12 and two_days.total.wait_p90 == 10.0


def _parse(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_daily_csv_has_one_row_per_service_per_day(app: Flask) -> None:
    build_day()
    rows = _parse(stats.daily_csv(DAY - dt.timedelta(days=1), DAY))
    header = rows[0]
    assert header[:5] == ["日期", "业务", "取号", "办结", "过号"]
    assert header[-1] == "满意率（%）" and "非常满意" in header
    body = {(r[0], r[1]): dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert set(body) == {("2026-11-24", "政府信息公开申请"), ("2026-11-25", "政府信息公开申请"),
                         ("2026-11-25", "政策咨询")}
    day = body[("2026-11-25", "政府信息公开申请")]
    assert (day["取号"], day["办结"], day["过号"]) == ("10", "8", "2")
    assert (day["等候中位数（分钟）"], day["等候P90（分钟）"]) == ("5.5", "9.1")
    assert (day["办理中位数（分钟）"], day["办理P90（分钟）"]) == ("9.0", "14.6")
    assert (day["评价数"], day["非常满意"], day["非常不满意"], day["满意率（%）"]) == \
        ("4", "1", "1", "75.0")
    assert body[("2026-11-25", "政策咨询")]["等候中位数（分钟）"] == ""


def test_tickets_csv_has_no_personal_data(app: Flask) -> None:
    tickets = build_day()
    text = stats.tickets_csv(DAY, DAY)
    rows = _parse(text)
    assert len(rows) == 1 + 11
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    assert first["号码"] == "A001" and first["状态"] == "已办结"
    assert (first["取号时间"], first["叫号时间"], first["办结时间"]) == \
        ("09:00:00", "09:01:00", "09:03:00")
    assert (first["窗口"], first["等候（分钟）"], first["评价"]) == ("3", "1.0", "5")
    assert dict(zip(header, rows[2], strict=True))["优先"] == ""  # a category name: not kept
    for secret in (tickets[0].token, "10.0.0.7", "王芳", "13800000000", "老年人"):
        assert secret not in text


def test_stats_page_csv_downloads_and_guards(app: Flask, client: FlaskClient) -> None:
    build_day()
    create_staff("clerk1", Role.CLERK)
    login(client, "clerk1")
    assert client.get("/staff/queue/stats").status_code == 403
    assert client.get("/staff/queue/stats.csv").status_code == 403
    client = app.test_client()  # a fresh browser for the admin
    create_staff("boss", Role.ADMIN)
    login(client, "boss")
    page = client.get("/staff/queue/stats?start=2026-11-25&end=2026-11-25")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "5.5 / 9.1" in html and "9.0 / 14.6" in html and "75.0%" in html
    assert "<svg" in html and 'class="bar"' in html and "<script" not in html.split("</head>")[1]
    default = client.get("/staff/queue/stats")
    assert default.status_code == 200
    for query, message in (("start=2026-13-01", "日期格式不对"),
                           ("start=2026-11-26&end=2026-11-25", "结束日期不能早于开始日期"),
                           ("start=2020-01-01&end=2026-11-25", "一次最多统计")):
        bad = client.get(f"/staff/queue/stats?{query}")
        assert bad.status_code == 400 and message in bad.get_data(as_text=True)
        assert client.get(f"/staff/queue/stats.csv?{query}").status_code == 400
    daily = client.get("/staff/queue/stats.csv?start=2026-11-25&end=2026-11-25")
    assert daily.status_code == 200 and daily.mimetype == "text/csv"
    assert daily.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in daily.headers["Content-Disposition"]
    assert len(_parse(daily.data.decode("utf-8"))) == 3
    tickets = client.get("/staff/queue/stats/tickets.csv?start=2026-11-25&end=2026-11-25")
    assert tickets.status_code == 200 and tickets.data.startswith(b"\xef\xbb\xbf")
    assert len(_parse(tickets.data.decode("utf-8"))) == 12
