"""The staff home: what the hall did today and this month.

Features add panels with :func:`register_panel` from their ``init_app``; the frame draws them.
Charts are SVG drawn on the server, so nothing is fetched and no script is needed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from hall.auth import bp, current_user, login_required
from hall.extensions import db
from hall.models import AuditEntry, Role
from hall.timefmt import HALL_TZ, local_today


@dataclass(frozen=True)
class Period:
    """Today, this month and the last 30 days, in hall time."""

    today: dt.date
    month_start: dt.date
    chart_start: dt.date

    @classmethod
    def ending(cls, today: dt.date) -> Period:
        return cls(today, today.replace(day=1), today - dt.timedelta(days=29))


@dataclass
class Figure:
    label: Any
    today: int
    month: int


@dataclass
class Panel:
    """One capability's figures, an optional 30-day series and optional top lists."""

    title: Any
    figures: list[Figure] = field(default_factory=list)
    series_label: Any = ""
    series: list[tuple[dt.date, int]] = field(default_factory=list)
    lists: list[tuple[Any, list[tuple[str, int]]]] = field(default_factory=list)


PanelProvider = Callable[[Period], Panel]


def register_panel(app: Flask, provider: PanelProvider, *roles: str, order: int = 50) -> None:
    """Show ``provider``'s panel on the staff home to holders of ``roles`` (everyone if none)."""
    app.extensions.setdefault("dashboard_panels", []).append((order, roles, provider))


def bars(series: list[tuple[dt.date, int]], width: int = 600, height: int = 140
         ) -> dict[str, Any]:
    """Geometry for an SVG bar chart of a daily series (pure, for the template)."""
    top = max((v for _, v in series), default=0) or 1
    n = max(len(series), 1)
    step = width / n
    items = []
    for i, (day, value) in enumerate(series):
        h = round((height - 20) * value / top, 1)
        items.append({"x": round(i * step + 1, 1), "y": round(height - 16 - h, 1),
                      "w": round(max(step - 2, 1), 1), "h": h, "day": day, "value": value})
    return {"width": width, "height": height, "items": items, "max": top}


@bp.get("/")
@login_required
def home() -> str:
    period = Period.ending(local_today())
    user = current_user()
    panels = []
    for _order, roles, provider in sorted(current_app.extensions.get("dashboard_panels", []),
                                          key=lambda p: p[0]):
        if roles and (user is None or not user.has_role(*roles)):
            continue
        panel = provider(period)
        panels.append((panel, bars(panel.series) if panel.series else None))
    return render_template("hall/staff/home.html", period=period, panels=panels,
                           title=_l("工作台"))


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), HALL_TZ).astimezone(dt.UTC)


def _audit_count(start: dt.date, end: dt.date, *actions: str, exclude: bool = False) -> int:
    """Audit entries in ``start``..``end`` (hall days) with (or without) those actions."""
    query = select(func.count(AuditEntry.id)).where(
        AuditEntry.at >= _day_start(start), AuditEntry.at < _day_start(end + dt.timedelta(1)))
    if actions:
        chosen = AuditEntry.action.in_(actions)
        query = query.where(~chosen if exclude else chosen)
    return int(db.session.scalar(query) or 0)


def _staff_panel(period: Period) -> Panel:
    """The frame's own panel: sign-ins, failed sign-ins and changes made by staff."""
    def figure(label: Any, *actions: str, exclude: bool = False) -> Figure:
        return Figure(label, _audit_count(period.today, period.today, *actions, exclude=exclude),
                      _audit_count(period.month_start, period.today, *actions, exclude=exclude))

    sign_in = ("login", "logout", "login_failed")
    return Panel(
        title=_l("工作人员操作"),
        figures=[figure(_l("登录次数"), "login"), figure(_l("登录失败"), "login_failed"),
                 figure(_l("修改内容和设置"), *sign_in, exclude=True)],
    )


def init_app(app: Flask) -> None:
    app.extensions.setdefault("dashboard_panels", [])
    register_panel(app, _staff_panel, Role.ADMIN, order=90)
