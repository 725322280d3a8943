"""Showing stored UTC times in the hall's time zone (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask

HALL_TZ = ZoneInfo("Asia/Shanghai")


def local(value: dt.datetime) -> dt.datetime:
    """An aware datetime in the hall's zone; naive values are taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(HALL_TZ)


def local_time(value: dt.datetime | None) -> str:
    return local(value).strftime("%H:%M") if value else ""


def local_datetime(value: dt.datetime | None) -> str:
    return local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def local_today(now: dt.datetime | None = None) -> dt.date:
    return local(now or dt.datetime.now(dt.UTC)).date()


def init_app(app: Flask) -> None:
    """Template filters: ``{{ t|local_datetime }}``, ``{{ t|local_time }}``."""
    env = app.jinja_env
    env.filters["local_datetime"] = local_datetime
    env.filters["local_time"] = local_time
