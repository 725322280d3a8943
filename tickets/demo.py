"""Demo queue for ``gongkai demo``: five services, six windows and the priority categories.

Runs only when no service exists yet, so running ``gongkai demo`` again changes nothing. No
tickets (they would belong to another day by the time anyone looks) and no accounts (no
default passwords anywhere: clerks sign in with their own accounts and pick a window).

Hours: whoever runs the demo, at whatever hour, must be able to take a ticket, so every
service is open all day every day, except 不动产 (D) with real hours (09:00–17:00 on working
days) and a daily limit, to show what the kiosk says when a service is closed or full.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click
from flask import Flask
from sqlalchemy import select

from hall.extensions import db
from hall.signals import queue_changed
from tickets.models import WORKING_WEEK, PriorityCategory, Service, Window

#: Where ``content/demo.py`` looks for extra steps to run after its own.
DEMO_STEPS_KEY = "demo_steps"
EVERY_DAY = 0b1111111

SERVICES: list[dict[str, Any]] = [
    {"code": "gk", "name": "政府信息公开申请", "prefix": "A", "minutes_each": 15,
     "description": "依申请公开政府信息：填写申请、提交材料、咨询办理进度。"},
    {"code": "zx", "name": "政策咨询", "prefix": "B", "minutes_each": 8,
     "description": "咨询政策文件、政策解读和办事流程。"},
    {"code": "sb", "name": "社保", "prefix": "C", "minutes_each": 10,
     "description": "社会保险参保登记、缴费查询、待遇申领。"},
    {"code": "bdc", "name": "不动产", "prefix": "D", "minutes_each": 20,
     "description": "不动产登记信息查询、登记资料查阅。",
     "opens_at": dt.time(9, 0), "closes_at": dt.time(17, 0), "weekdays": WORKING_WEEK,
     "workdays_only": True, "daily_limit": 100},
    {"code": "bb", "name": "帮办代办", "prefix": "E", "minutes_each": 12,
     "description": "老年人、残疾人等办事有困难的群众，由工作人员帮办代办。"},
]
#: Window number, name, and the codes of the services it serves.
WINDOWS: list[tuple[int, str, list[str]]] = [
    (1, "政务公开", ["gk"]),
    (2, "政务公开", ["gk"]),
    (3, "政策咨询", ["zx"]),
    (4, "社保", ["sb"]),
    (5, "不动产", ["bdc"]),
    (6, "综合窗口", ["gk", "zx", "sb", "bdc", "bb"]),
]
PRIORITIES = ["老年人", "残疾人", "军人", "孕妇"]


def seed_queue() -> int:
    """Create the demo services, windows and priority categories; how many services (0 if a
    service already exists)."""
    if db.session.scalar(select(Service.id).limit(1)) is not None:
        return 0
    services: dict[str, Service] = {}
    for position, spec in enumerate(SERVICES):
        fields = {"weekdays": EVERY_DAY, "workdays_only": False, **spec}
        services[spec["code"]] = Service(position=position, **fields)
    db.session.add_all(services.values())
    db.session.add_all(Window(number=number, name=name, services=[services[c] for c in codes])
                       for number, name, codes in WINDOWS)
    existing = set(db.session.scalars(select(PriorityCategory.name)))
    db.session.add_all(PriorityCategory(name=name, position=i)
                       for i, name in enumerate(PRIORITIES) if name not in existing)
    db.session.commit()
    queue_changed.send(None, kind="service", service_ids=[s.id for s in services.values()])
    return len(services)


def demo_step() -> None:
    """The ``gongkai demo`` step: seed the demo queue and say so."""
    made = seed_queue()
    if made:
        click.echo(f"排队叫号 queue: {made} services, {len(WINDOWS)} windows "
                   "(/kiosk, /staff/counter)")


def init_app(app: Flask) -> None:
    """Add the queue step to the steps ``gongkai demo`` runs after the content demo."""
    steps = app.extensions.setdefault(DEMO_STEPS_KEY, [])
    if demo_step not in steps:
        steps.append(demo_step)
