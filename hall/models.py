"""The frame's own tables."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hall.db import UTCDateTime, utcnow
from hall.extensions import db


class CalendarOverride(db.Model):  # type: ignore[name-defined]
    """A staff entry that makes a day a workday or a holiday, over the holiday package.

    Used for a year the package does not know yet (the State Council publishes each new year's
    arrangement in November) and for local days off.
    """

    __tablename__ = "calendar_override"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool]
    note: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Role(enum.StrEnum):
    """Staff roles. An admin may do everything; the others see only their own pages."""

    ADMIN = "admin"
    EDITOR = "editor"
    CLERK = "clerk"  # window staff
    OFFICER = "officer"  # disclosure officer (信息公开工作人员)


class StaffUser(db.Model):  # type: ignore[name-defined]
    """A member of staff who logs in at ``/staff``."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def has_role(self, *roles: str) -> bool:
        """True if the user holds any of ``roles``; admins hold every role."""
        return Role.ADMIN in self.roles or any(r in self.roles for r in roles)

    @property
    def label(self) -> str:
        return self.display_name or self.username


class AuditEntry(db.Model):  # type: ignore[name-defined]
    """One staff action, append-only (the migration adds triggers that refuse UPDATE/DELETE).

    The actor is copied by name so the entry outlives the account.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(50), index=True)
    object_type: Mapped[str] = mapped_column(String(50), default="", index=True)
    object_id: Mapped[str] = mapped_column(String(50), default="")
    object_label: Mapped[str] = mapped_column(String(300), default="")
    old: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    new: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    remote_addr: Mapped[str] = mapped_column(String(45), default="")


class UsageCount(db.Model):  # type: ignore[name-defined]
    """A daily counter (searches, pages read, slips printed ...) for the staff dashboard.

    Counts only: no person, no session, nothing that could tell who did what.
    """

    __tablename__ = "usage_count"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    metric: Mapped[str] = mapped_column(String(50), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True, default="")
    count: Mapped[int] = mapped_column(Integer, default=0)
