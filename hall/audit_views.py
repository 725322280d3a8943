"""The audit log page: filter by who, what, which object and when. Read-only by design."""

from __future__ import annotations

import datetime as dt

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from hall import audit
from hall.auth import bp, role_required
from hall.extensions import db
from hall.models import AuditEntry, Role
from hall.timefmt import HALL_TZ

PAGE_SIZE = 50


def _day(name: str) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
    return day if dt.MINYEAR < day.year < dt.MAXYEAR else None  # no overflow at the edges


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), HALL_TZ).astimezone(dt.UTC)


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit_log() -> str:
    args = request.args
    query = select(AuditEntry)
    filters = {
        "actor": args.get("actor", "").strip()[:100],
        "action": args.get("action", "").strip()[:50],
        "object_type": args.get("object_type", "").strip()[:50],
        "object_id": args.get("object_id", "").strip()[:50],
    }
    if filters["actor"]:
        query = query.where(AuditEntry.actor_name == filters["actor"])
    if filters["action"]:
        query = query.where(AuditEntry.action == filters["action"])
    if filters["object_type"]:
        query = query.where(AuditEntry.object_type == filters["object_type"])
    if filters["object_id"]:
        query = query.where(AuditEntry.object_id == filters["object_id"])
    start, end = _day("from"), _day("to")
    if start:
        query = query.where(AuditEntry.at >= _start_of(start))
    if end:
        query = query.where(AuditEntry.at < _start_of(end + dt.timedelta(days=1)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    try:
        page = max(1, min(int(args.get("page", 1)), 10**6))
    except ValueError:
        page = 1
    entries = db.session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    choices = {
        "actions": db.session.scalars(select(AuditEntry.action).distinct()
                                      .order_by(AuditEntry.action)).all(),
        "object_types": db.session.scalars(select(AuditEntry.object_type).distinct()
                                           .order_by(AuditEntry.object_type)).all(),
        "actors": db.session.scalars(select(AuditEntry.actor_name).distinct()
                                     .order_by(AuditEntry.actor_name)).all(),
    }
    return render_template(
        "hall/staff/audit.html", entries=entries, total=total, page=page,
        pages=max(1, -(-total // PAGE_SIZE)), filters=filters, start=start, end=end,
        choices=choices, title=_l("操作日志"), action_label=audit.action_label,
        query_args={k: v for k, v in args.items() if k != "page"},
    )
