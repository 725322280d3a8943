"""Applications for disclosure (依申请公开), their history, attachments, numbering and the
staff-entered part of the annual report.

Personal data is minimal and sealed: the ID number, phone, address and email are stored
encrypted (``*_sealed`` columns, see ``hall.crypto``) beside the masked forms that every page
and slip shows (``*_masked``); only a disclosure officer who opens a case sees them in full,
and each look is logged. The name is kept readable for the staff list but shown masked to
citizens and on slips.

Stages follow Art 45 (接收、登记、审核、办理、答复、归档); the clock is described by dates,
never by a stored count, so a deadline can always be recomputed and explained:
``clock_start`` (the day received, or the day a 补正 supplement arrived), the paused working
days of consultations (Art 32/34), and an approved extension (Art 33, at most 20 working days).
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall.db import UTCDateTime, utcnow
from hall.extensions import db


class Stage(enum.StrEnum):
    RECEIVED = "received"  # 接收
    REGISTERED = "registered"  # 登记
    REVIEWING = "reviewing"  # 审核
    PROCESSING = "processing"  # 办理
    ANSWERED = "answered"  # 答复
    ARCHIVED = "archived"  # 归档
    CLOSED = "closed"  # ended without an answer (no supplement in time: 视为放弃)


class Hold(enum.StrEnum):
    """What the case waits for, on top of its stage ("" = nothing)."""

    NONE = ""
    SUPPLEMENT = "supplement"  # 补正: the applicant must supplement by supplement_due_on
    CONSULTATION = "consultation"  # third party (Art 32) or other agency (Art 34): clock paused


class ApplicantType(enum.StrEnum):
    PERSON = "person"  # 自然人
    BUSINESS = "business"  # 商业企业
    RESEARCH = "research"  # 科研机构
    PUBLIC_INTEREST = "public_interest"  # 社会公益组织
    LEGAL_SERVICE = "legal_service"  # 法律服务机构
    OTHER_ORG = "other_org"  # 其他


class Channel(enum.StrEnum):
    """How the application arrived (Art 31 decides the day received from it)."""

    KIOSK = "kiosk"  # filed at the hall's kiosk: the day filed
    COUNTER = "counter"  # handed in at a window, or filled in by staff (代为填写): that day
    POST = "post"  # the day the post was signed for
    ONLINE = "online"  # the day both sides confirmed
    FAX = "fax"


class Application(db.Model):  # type: ignore[name-defined]
    __tablename__ = "disclosure_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # "2026-000123"
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    #: the random token of the tracking page (the receipt's QR); never the number.
    token: Mapped[str] = mapped_column(String(32), unique=True,
                                       default=lambda: secrets.token_urlsafe(16))
    channel: Mapped[str] = mapped_column(String(10), default=Channel.KIOSK)
    received_on: Mapped[dt.date] = mapped_column(Date, index=True)  # Art 31
    assisted: Mapped[bool] = mapped_column(Boolean, default=False,
                                           server_default="0")  # 代为填写
    created_by: Mapped[str] = mapped_column(String(100), default="")  # staff, or "" (kiosk)
    terminal: Mapped[str] = mapped_column(String(64), default="")
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)  # double submit

    # -- the applicant (Art 29 (一)) ------------------------------------------------------
    applicant_type: Mapped[str] = mapped_column(String(20), default=ApplicantType.PERSON)
    name: Mapped[str] = mapped_column(String(100))  # person's or organisation's name
    contact_person: Mapped[str] = mapped_column(String(50), default="")  # organisations
    id_type: Mapped[str] = mapped_column(String(20), default="resident_id")
    id_sealed: Mapped[str] = mapped_column(Text, default="")
    id_masked: Mapped[str] = mapped_column(String(40), default="")
    phone_sealed: Mapped[str] = mapped_column(Text, default="")
    phone_masked: Mapped[str] = mapped_column(String(20), default="")
    #: the last four digits of the phone: with the number, the citizen's status lookup key.
    phone_last4: Mapped[str] = mapped_column(String(4), default="")
    address_sealed: Mapped[str] = mapped_column(Text, default="")
    address_masked: Mapped[str] = mapped_column(String(100), default="")  # to the township
    email_sealed: Mapped[str] = mapped_column(Text, default="")
    email_masked: Mapped[str] = mapped_column(String(100), default="")
    consent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    # -- what is asked for (Art 29 (二)(三)) ----------------------------------------------
    info_title: Mapped[str] = mapped_column(String(300), default="")
    info_doc_number: Mapped[str] = mapped_column(String(100), default="")  # 文号
    info_description: Mapped[str] = mapped_column(Text, default="")
    info_format: Mapped[str] = mapped_column(String(10), default="paper")  # paper | electronic
    delivery: Mapped[str] = mapped_column(String(10), default="pickup")  # pickup | post | email

    # -- workflow ----------------------------------------------------------------------------
    stage: Mapped[str] = mapped_column(String(12), default=Stage.RECEIVED, index=True)
    hold: Mapped[str] = mapped_column(String(12), default=Hold.NONE)
    assignee: Mapped[str] = mapped_column(String(100), default="")
    #: the day the 20 working days count from (received_on, or the supplement's arrival).
    clock_start: Mapped[dt.date] = mapped_column(Date)
    supplement_requested_on: Mapped[dt.date | None] = mapped_column(Date)
    supplement_due_on: Mapped[dt.date | None] = mapped_column(Date)
    supplement_request: Mapped[str] = mapped_column(Text, default="")  # what to supplement
    supplement_received_on: Mapped[dt.date | None] = mapped_column(Date)
    paused_on: Mapped[dt.date | None] = mapped_column(Date)  # consultation running since
    paused_workdays: Mapped[int] = mapped_column(Integer, default=0)  # finished pauses
    extension_workdays: Mapped[int] = mapped_column(Integer, default=0)  # ≤ 20 (Art 33)
    extension_approved_by: Mapped[str] = mapped_column(String(100), default="")
    #: the current legal reply date (recomputed on every transition; see deadline_note).
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    deadline_note: Mapped[str] = mapped_column(Text, default="")

    # -- answer (Art 36) and the annual report's row ------------------------------------------
    result: Mapped[str] = mapped_column(String(30), default="")  # a report leaf-row code
    reply_text: Mapped[str] = mapped_column(Text, default="")
    reply_extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # where/agency/…
    replied_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    replied_by: Mapped[str] = mapped_column(String(100), default="")
    closed_on: Mapped[dt.date | None] = mapped_column(Date)  # CLOSED without an answer
    archived_on: Mapped[dt.date | None] = mapped_column(Date)
    #: set when the retention period removed the personal data of an archived case.
    purged_on: Mapped[dt.date | None] = mapped_column(Date)

    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    events: Mapped[list[Event]] = relationship(back_populates="application",
                                               order_by="Event.id",
                                               cascade="all, delete-orphan")
    # Module-qualified: content.models has an Attachment too.
    attachments: Mapped[list[Attachment]] = relationship(
        "disclosure.models.Attachment", back_populates="application",
        order_by="disclosure.models.Attachment.id", cascade="all, delete-orphan")


class Event(db.Model):  # type: ignore[name-defined]
    """One transition of a case: who, when, why, and the fields before and after."""

    __tablename__ = "disclosure_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("disclosure_application.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(30))  # file, register, review, supplement, …
    from_stage: Mapped[str] = mapped_column(String(12), default="")
    to_stage: Mapped[str] = mapped_column(String(12), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    old: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    new: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    application: Mapped[Application] = relationship(back_populates="events")


class Attachment(db.Model):  # type: ignore[name-defined]
    """A released document (or the signed reply letter) sent with the answer."""

    __tablename__ = "disclosure_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("disclosure_application.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="attachments")


class NumberCounter(db.Model):  # type: ignore[name-defined]
    """The last application number of a year (numbers restart each year: 2026-000001)."""

    __tablename__ = "disclosure_number"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class ReportFigures(db.Model):  # type: ignore[name-defined]
    """What staff enter for a year's report: table 四 (行政复议、行政诉讼, 15 numbers) and any
    carry-over from before the system was used."""

    __tablename__ = "disclosure_report"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    review_litigation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: 二、上年结转 per applicant column, when the previous year's cases are not in the system.
    carry_in: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
