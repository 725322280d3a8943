"""The staff home: panels per role, figures for today and this month, a local SVG chart."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient

from content import stats
from hall import usage
from hall.dashboard import Period, bars
from hall.models import Role
from hall.timefmt import local_today
from tests.staff_support import create_staff, login


def test_usage_counters_add_up_per_day_and_key(app: Flask) -> None:
    today = local_today()
    yesterday = today - dt.timedelta(days=1)
    for _ in range(3):
        usage.count("search")
    usage.count("search", day=yesterday)
    usage.count("search_empty", "  社保  卡 ")
    usage.count("search_empty", "社保 卡")
    assert usage.total("search", today, today) == 3
    assert usage.total("search", yesterday, today) == 4
    assert usage.top_keys("search_empty", today, today) == [("社保  卡", 1), ("社保 卡", 1)]
    series = usage.daily("search", yesterday, today)
    assert series == [(yesterday, 1), (today, 3)]


def test_bars_scale_to_the_highest_day() -> None:
    day = dt.date(2026, 11, 1)
    chart = bars([(day, 0), (day + dt.timedelta(1), 5), (day + dt.timedelta(2), 10)],
                 width=300, height=120)
    heights = [item["h"] for item in chart["items"]]
    assert heights[0] == 0 and heights[2] == 100 and heights[1] == 50
    assert chart["max"] == 10


def test_period_knows_today_month_and_thirty_days() -> None:
    period = Period.ending(dt.date(2026, 11, 25))
    assert period.month_start == dt.date(2026, 11, 1)
    assert period.chart_start == dt.date(2026, 10, 27)


def test_home_shows_kiosk_figures_to_editors_and_staff_figures_to_admins(
        app: Flask, client: FlaskClient, login_as: object) -> None:
    stats.record_search("政府信息公开", 12)
    stats.record_search("𠮷祥 补贴（试行）", 0)
    stats.record_search("𠮷祥  补贴（试行）", 0)
    stats.record_read("policy", 7, "关于〇〇的通知")
    login_as(Role.EDITOR)  # type: ignore[operator]
    page = client.get("/staff/").get_data(as_text=True)
    assert "政策查询" in page and "<svg" in page
    assert "𠮷祥 补贴（试行）" in page  # the empty search, normalised once
    assert "关于〇〇的通知" in page
    assert "工作人员操作" not in page  # the admin's panel
    clerk = app.test_client()
    create_staff("clerk9", Role.CLERK)
    login(clerk, "clerk9")
    clerk_page = clerk.get("/staff/").get_data(as_text=True)
    assert "政策查询" not in clerk_page
    admin = app.test_client()
    create_staff("boss", Role.ADMIN)
    login(admin, "boss")
    admin_page = admin.get("/staff/").get_data(as_text=True)
    assert "工作人员操作" in admin_page and "政策查询" in admin_page
