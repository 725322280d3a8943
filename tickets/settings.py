"""Writes behind the queue's settings pages: services, windows, priority categories and
appointments.

Each write adds an audit entry of the old and new values to the session, commits both
together, then sends ``hall.signals.queue_changed`` (kind ``"service"``) so the lobby boards
and the kiosk see the change at once. Nothing here reads the request.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hall import audit
from hall.extensions import db
from hall.signals import queue_changed
from tickets.models import Appointment, PriorityCategory, Service, Ticket, Window

#: Booking codes: no 0/O, 1/I/L, so a code read over the phone is typed right.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6

audit.register_action("cancel", _l("取消"))
audit.register_action("release", _l("清除窗口签到"))


def snapshot(row: Any) -> dict[str, Any]:
    """The row's columns for the audit log; a window also lists its services' codes."""
    values = audit.snapshot(row)
    if isinstance(row, Window):
        values["services"] = sorted(s.code for s in row.services)
    return values


def _announce(service_ids: Iterable[int]) -> None:
    queue_changed.send(None, kind="service", service_ids=sorted(set(service_ids)))


def _label(row: Any) -> str:
    if isinstance(row, Window):
        return f"{row.number}号窗口" + (f"（{row.name}）" if row.name else "")
    if isinstance(row, Appointment):
        return row.code
    return str(getattr(row, "name", "") or f"#{row.id}")


def save(row: Any, values: Mapping[str, Any], *, services: list[Service] | None = None
         ) -> bool:
    """Set ``values`` on a service, window or priority category (new or stored), record the
    change and commit; for a window ``services`` replaces what it serves.

    :returns: False when nothing changed (no entry, no commit).
    """
    is_new = row.id is None
    before = None if is_new else snapshot(row)
    old_services = {s.id for s in row.services} if isinstance(row, Window) and not is_new \
        else set()
    for key, value in values.items():
        setattr(row, key, value)
    if services is not None and isinstance(row, Window):
        row.services = services
    if is_new:
        db.session.add(row)
    db.session.flush()
    after = snapshot(row)
    old, new = audit.diff(before, after)
    if before is not None and not new:
        db.session.rollback()
        return False
    audit.record("create" if is_new else "update", obj_type=row.__tablename__, obj_id=row.id,
                 label=_label(row), old=old, new=new)
    db.session.commit()
    if isinstance(row, Service):
        touched: set[int] = {row.id}
    elif isinstance(row, Window):
        touched = old_services | {s.id for s in row.services}
    else:
        touched = set()
    _announce(touched)
    return True


def release_window(window: Window) -> None:
    """Sign the clerk out of a window (one who forgot to leave it); a ticket being served
    there stays with the window for whoever signs in next."""
    audit.record("release", obj_type=Window.__tablename__, obj_id=window.id,
                 label=_label(window), old={"clerk": window.clerk_name}, new={"clerk": None})
    window.clerk_id, window.clerk_name, window.opened_at = None, "", None
    db.session.commit()
    queue_changed.send(None, kind="window", service_ids=sorted(s.id for s in window.services))


def prefix_used_today(prefix: str, day: dt.date, service_id: int | None) -> bool:
    """Whether a ticket of ``day`` already carries ``prefix`` from another service (giving the
    prefix to this service now would make its numbers clash with that day's tickets)."""
    query = select(Ticket.id).where(Ticket.day == day, Ticket.number.like(f"{prefix}%"))
    if service_id is not None:
        query = query.where(Ticket.service_id != service_id)
    return db.session.scalar(query.limit(1)) is not None


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def create_appointment(service: Service, day: dt.date, slot_start: dt.time | None,
                       slot_end: dt.time | None, note: str) -> Appointment:
    """A booking with a fresh code (retried on the rare clash), recorded and committed."""
    for _ in range(10):
        appointment = Appointment(code=new_code(), service_id=service.id, day=day,
                                  slot_start=slot_start, slot_end=slot_end, note=note)
        db.session.add(appointment)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            continue
        audit.record("create", obj_type=Appointment.__tablename__, obj_id=appointment.id,
                     label=appointment.code, new=snapshot(appointment))
        db.session.commit()
        _announce([service.id])
        return appointment
    raise RuntimeError("no free booking code after 10 tries")  # 31^6 codes: never in practice


def cancel_appointment(appointment: Appointment) -> bool:
    """Cancel a booking (kept for the record); False if it was cancelled already."""
    if appointment.cancelled:
        return False
    appointment.cancelled = True
    audit.record("cancel", obj_type=Appointment.__tablename__, obj_id=appointment.id,
                 label=appointment.code, old={"cancelled": False}, new={"cancelled": True})
    db.session.commit()
    _announce([appointment.service_id])
    return True


def priorities() -> list[PriorityCategory]:
    return list(db.session.scalars(
        select(PriorityCategory).order_by(PriorityCategory.position, PriorityCategory.id)))


def services() -> list[Service]:
    return list(db.session.scalars(select(Service).order_by(Service.position, Service.id)))


def windows() -> list[Window]:
    return list(db.session.scalars(select(Window).order_by(Window.number)))
