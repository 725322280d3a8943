"""The queue: services (业务类型), windows (窗口), tickets, calls, appointments, ratings
(好差评) and their follow-ups, priority categories and the voice clips of the lobby call.

A ticket's place in line is ``(priority first, then queued_at)``; ``queued_at`` is the time
the ticket was first issued and survives transfers, so a transferred citizen keeps their place.
Numbers come from ``queue_number`` rows (one per service and day) incremented in the same
transaction as the ticket insert; ``(day, number)`` is unique as a second guard.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall.db import UTCDateTime, utcnow
from hall.extensions import db

#: Monday = bit 0 … Sunday = bit 6; 31 is Monday to Friday.
WORKING_WEEK = 0b0011111


class TicketStatus(enum.StrEnum):
    WAITING = "waiting"  # in line (also after a transfer)
    CALLED = "called"  # called to a window, being served
    DONE = "done"  # finished
    NO_SHOW = "no_show"  # called, did not come
    CANCELLED = "cancelled"  # withdrawn by staff


class Score(enum.IntEnum):
    """The five grades of the national 好差评 system; 1 and 2 are 差评."""

    VERY_SATISFIED = 5
    SATISFIED = 4
    FAIRLY_SATISFIED = 3
    DISSATISFIED = 2
    VERY_DISSATISFIED = 1

    @property
    def is_bad(self) -> bool:
        return self <= Score.DISSATISFIED


class FollowupStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


def new_token() -> str:
    """A random, unguessable token for a ticket's phone page (never the ticket number)."""
    return secrets.token_urlsafe(12)


class _Stamped:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


WindowService = db.Table(
    "queue_window_service",
    db.Column("window_id", ForeignKey("queue_window.id", ondelete="CASCADE"), primary_key=True),
    db.Column("service_id", ForeignKey("queue_service.id", ondelete="CASCADE"), primary_key=True),
)


class Service(_Stamped, db.Model):  # type: ignore[name-defined]
    """A kind of business the hall serves (业务类型), with its ticket prefix and its hours."""

    __tablename__ = "queue_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # used by the JSON API
    name: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(String(200), default="")
    prefix: Mapped[str] = mapped_column(String(2), unique=True)  # A, B, … (letters only)
    digits: Mapped[int] = mapped_column(Integer, default=3)  # A001
    first_number: Mapped[int] = mapped_column(Integer, default=1)
    position: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    pause_note: Mapped[str] = mapped_column(String(200), default="")
    opens_at: Mapped[dt.time | None] = mapped_column(Time)  # local time; None: all day
    closes_at: Mapped[dt.time | None] = mapped_column(Time)
    weekdays: Mapped[int] = mapped_column(Integer, default=WORKING_WEEK,
                                          server_default=str(WORKING_WEEK))
    workdays_only: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    daily_limit: Mapped[int | None] = mapped_column(Integer)
    #: minutes one citizen takes, used for the wait estimate until today's figures exist.
    minutes_each: Mapped[int] = mapped_column(Integer, default=10)

    windows: Mapped[list[Window]] = relationship(secondary=WindowService,
                                                 back_populates="services")


class Window(_Stamped, db.Model):  # type: ignore[name-defined]
    """A service window (counter) with the services it serves and the clerk at it now."""

    __tablename__ = "queue_window"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)  # spoken "三号窗口"
    name: Mapped[str] = mapped_column(String(50), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    clerk_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    clerk_name: Mapped[str] = mapped_column(String(100), default="")
    opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    services: Mapped[list[Service]] = relationship(secondary=WindowService,
                                                   back_populates="windows",
                                                   order_by="Service.position")


class PriorityCategory(db.Model):  # type: ignore[name-defined]
    """Who may take a priority ticket (老年人, 残疾人, 军人, …); staff keep the list."""

    __tablename__ = "queue_priority"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")


class NumberCounter(db.Model):  # type: ignore[name-defined]
    """The last number given for a service on a day (the daily reset is a new row)."""

    __tablename__ = "queue_number"

    service_id: Mapped[int] = mapped_column(
        ForeignKey("queue_service.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Appointment(_Stamped, db.Model):  # type: ignore[name-defined]
    """A booking made elsewhere (phone, the provincial platform); checked in by its code."""

    __tablename__ = "queue_appointment"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("queue_service.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date)
    slot_start: Mapped[dt.time | None] = mapped_column(Time)
    slot_end: Mapped[dt.time | None] = mapped_column(Time)
    note: Mapped[str] = mapped_column(String(100), default="")  # never a full name or ID
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    service: Mapped[Service] = relationship()


class Ticket(db.Model):  # type: ignore[name-defined]
    __tablename__ = "queue_ticket"
    __table_args__ = (
        UniqueConstraint("day", "number"),  # prefixes are unique, so numbers are too
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(24), unique=True, default=new_token)
    day: Mapped[dt.date] = mapped_column(Date, index=True)  # the hall's local date
    service_id: Mapped[int] = mapped_column(ForeignKey("queue_service.id"))
    seq: Mapped[int] = mapped_column(Integer)  # from the counter of the service that issued it
    number: Mapped[str] = mapped_column(String(10))  # "A012"
    status: Mapped[str] = mapped_column(String(10), default=TicketStatus.WAITING, index=True)
    priority_id: Mapped[int | None] = mapped_column(
        ForeignKey("queue_priority.id", ondelete="SET NULL"))
    priority_name: Mapped[str] = mapped_column(String(30), default="")
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("queue_appointment.id", ondelete="SET NULL"))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the ticket's place in line: the first issue time, kept across transfers.
    queued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: a transfer to a particular window: only that window calls it (None: any window).
    target_window_id: Mapped[int | None] = mapped_column(
        ForeignKey("queue_window.id", ondelete="SET NULL"))
    window_id: Mapped[int | None] = mapped_column(
        ForeignKey("queue_window.id", ondelete="SET NULL"))  # the window that called it
    called_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    call_count: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    served_by: Mapped[str] = mapped_column(String(100), default="")
    transfers: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(20), default="kiosk")  # kiosk, api, staff, …
    terminal: Mapped[str] = mapped_column(String(64), default="")
    #: the client's idempotency key: a repeated request (double tap) returns the same ticket.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    service: Mapped[Service] = relationship()
    window: Mapped[Window | None] = relationship(foreign_keys=[window_id])
    target_window: Mapped[Window | None] = relationship(foreign_keys=[target_window_id])


class Call(db.Model):  # type: ignore[name-defined]
    """One announcement on the lobby board (a call or a recall); the id orders the board."""

    __tablename__ = "queue_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("queue_ticket.id", ondelete="CASCADE"),
                                           index=True)
    window_id: Mapped[int | None] = mapped_column(
        ForeignKey("queue_window.id", ondelete="SET NULL"))
    number: Mapped[str] = mapped_column(String(10))
    window_number: Mapped[int] = mapped_column(Integer)
    service_name: Mapped[str] = mapped_column(String(50))
    recall: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Rating(db.Model):  # type: ignore[name-defined]
    """A citizen's rating of a finished ticket (one per ticket)."""

    __tablename__ = "queue_rating"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("queue_ticket.id", ondelete="CASCADE"),
                                           unique=True)
    score: Mapped[int] = mapped_column(Integer)  # Score
    reasons: Mapped[str] = mapped_column(Text, default="")  # one reason per line
    comment: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(20), default="kiosk")  # kiosk, counter, phone
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("queue_service.id", ondelete="SET NULL"))
    window_number: Mapped[int | None] = mapped_column(Integer)
    clerk_name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship()
    followup: Mapped[Followup | None] = relationship(back_populates="rating", uselist=False)


class Followup(_Stamped, db.Model):  # type: ignore[name-defined]
    """The follow-up a 差评 opens: staff check, fix and answer it by ``due_on``."""

    __tablename__ = "queue_followup"

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("queue_rating.id", ondelete="CASCADE"),
                                           unique=True)
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10), default=FollowupStatus.OPEN, index=True)
    assignee: Mapped[str] = mapped_column(String(100), default="")
    finding: Mapped[str] = mapped_column(Text, default="")  # what staff found and fixed
    answer: Mapped[str] = mapped_column(Text, default="")  # the answer given to the citizen
    answered_by: Mapped[str] = mapped_column(String(100), default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    rating: Mapped[Rating] = relationship(back_populates="followup")


class VoiceClip(db.Model):  # type: ignore[name-defined]
    """A staff recording that replaces one of the shipped clips of the lobby call."""

    __tablename__ = "queue_voice_clip"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)  # "qing", "d3", "A", …
    data: Mapped[bytes] = mapped_column(LargeBinary)  # WAV
    uploaded_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
