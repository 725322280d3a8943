"""Queue fixtures shared by the tickets tests: services and windows made directly."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hall.extensions import db
from tickets.models import PriorityCategory, Service, Window

#: A Wednesday at 10:00 in the hall (02:00 UTC), a working day.
WORKDAY_10AM = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)


def make_service(code: str = "gk", name: str = "政府信息公开申请", prefix: str = "A",
                 **fields: Any) -> Service:
    fields.setdefault("weekdays", 127)
    fields.setdefault("workdays_only", False)
    service = Service(code=code, name=name, prefix=prefix, **fields)
    db.session.add(service)
    db.session.commit()
    return service


def make_window(number: int, *services: Service, clerk_id: int | None = None,
                **fields: Any) -> Window:
    window = Window(number=number, name=f"{number}号窗口", services=list(services),
                    clerk_id=clerk_id, **fields)
    db.session.add(window)
    db.session.commit()
    return window


def make_priority(name: str = "老年人") -> PriorityCategory:
    category = PriorityCategory(name=name)
    db.session.add(category)
    db.session.commit()
    return category
