"""The frame's own tables."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, String
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
