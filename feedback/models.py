"""Citizens' voice: suggestions (意见箱) with their answers, and public consultations on draft
decisions (征求意见) with their documents and comments.

Contact details are optional and only kept with the citizen's consent; a phone number is stored
encrypted (``feedback.crypto``) and shown masked. A suggestion is found again by its readable
code plus a random lookup key, never by the code alone.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall.db import UTCDateTime, utcnow
from hall.extensions import db


class Category(enum.StrEnum):
    """What a suggestion is about (a fixed list; the labels are in ``feedback.labels``)."""

    SERVICE = "service"  # 服务态度
    PROCESS = "process"  # 办事流程
    POLICY = "policy"  # 政策建议
    FACILITY = "facility"  # 环境设施
    DISCLOSURE = "disclosure"  # 政务公开
    OTHER = "other"  # 其他


class SuggestionStatus(enum.StrEnum):
    NEW = "new"  # not yet given to anyone
    ASSIGNED = "assigned"  # someone is answering it
    ANSWERED = "answered"  # a reply was written
    CLOSED = "closed"  # done (answered, or closed without an answer, e.g. a duplicate)


class ConsultationStatus(enum.StrEnum):
    DRAFT = "draft"  # only staff see it
    OPEN = "open"  # shown; comments taken between opens_at and closes_at
    CLOSED = "closed"  # shown with the summary and 采纳情况; no comments


class _Stamped:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class _Contact:
    """A name and phone the citizen chose to leave, only with ``consent``; the phone is
    Fernet-encrypted text (``feedback.crypto``), never stored in the clear."""

    contact_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    contact_phone_enc: Mapped[str] = mapped_column(String(300), default="")


class Suggestion(_Contact, _Stamped, db.Model):  # type: ignore[name-defined]
    """One suggestion from the kiosk, its handling and its answer."""

    __tablename__ = "feedback_suggestion"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # YJ-2026-000123
    lookup_key: Mapped[str] = mapped_column(String(8))  # printed beside the code
    category: Mapped[str] = mapped_column(String(20), default=Category.OTHER.value)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=SuggestionStatus.NEW.value,
                                        index=True)
    terminal: Mapped[str] = mapped_column(String(64), default="")
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    assignee_name: Mapped[str] = mapped_column(String(100), default="")
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    reply: Mapped[str] = mapped_column(Text, default="")
    #: the reply may be shown to anyone (a published list, a lobby slide) once ``published``;
    #: a private reply is only seen through the code and key.
    reply_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0",
                                            index=True)
    replied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    replied_by: Mapped[str] = mapped_column(String(100), default="")
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def overdue(self, today: dt.date) -> bool:
        """Still waiting for an answer after its deadline."""
        return self.status in (SuggestionStatus.NEW, SuggestionStatus.ASSIGNED) \
            and self.due_on < today


class Consultation(_Stamped, db.Model):  # type: ignore[name-defined]
    """A draft decision put to the public, with its explanation and documents; after it closes,
    the summary of the feedback and how it was taken up (采纳情况)."""

    __tablename__ = "feedback_consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    issuer: Mapped[str] = mapped_column(String(200), default="")  # who asks
    body_html: Mapped[str] = mapped_column(Text, default="")  # the draft, sanitized (nh3)
    explanation: Mapped[str] = mapped_column(Text, default="")  # 起草说明, plain text
    opens_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=ConsultationStatus.DRAFT.value,
                                        index=True)
    summary: Mapped[str] = mapped_column(Text, default="")  # 意见汇总, plain text
    adoption: Mapped[str] = mapped_column(Text, default="")  # 采纳情况, plain text
    created_by: Mapped[str] = mapped_column(String(100), default="")

    documents: Mapped[list[ConsultationDocument]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan",
        order_by="ConsultationDocument.id")

    def accepts_comments(self, now: dt.datetime) -> bool:
        """Open, and ``now`` inside ``[opens_at, closes_at)`` where those are set."""
        return (self.status == ConsultationStatus.OPEN
                and (self.opens_at is None or self.opens_at <= now)
                and (self.closes_at is None or now < self.closes_at))


class ConsultationDocument(db.Model):  # type: ignore[name-defined]
    """An attachment of a consultation (the draft as PDF, a table…), kept in the database so
    every server of a county sees it; type and size were checked on upload."""

    __tablename__ = "feedback_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_consultation.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(100), default="")

    consultation: Mapped[Consultation] = relationship(back_populates="documents")


class Comment(_Contact, db.Model):  # type: ignore[name-defined]
    """One citizen's comment on a consultation; staff may hide an abusive one (kept, not
    deleted, and still in the export with its flag)."""

    __tablename__ = "feedback_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_consultation.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    terminal: Mapped[str] = mapped_column(String(64), default="")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    hidden_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
