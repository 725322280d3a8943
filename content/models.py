"""Published content of the zone: agencies, the catalog, policies and what explains them."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Date, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall.db import UTCDateTime, utcnow
from hall.extensions import db


class Validity(enum.StrEnum):
    """Legal force of a policy (有效 / 失效 / 废止)."""

    VALID = "有效"
    EXPIRED = "失效"
    REPEALED = "废止"


class InterpretationKind(enum.StrEnum):
    TEXT = "文字解读"
    GRAPHIC = "图解"
    VIDEO = "短视频"


def _str_enum(enum_class: type[enum.StrEnum]) -> Enum:
    """Stored as the Chinese value in a VARCHAR with a CHECK, the same on every backend."""
    return Enum(enum_class, native_enum=False, length=10,
                values_callable=lambda e: [m.value for m in e])


class PubStatus(enum.StrEnum):
    """Where an item is in its life: only ``published`` items reach citizens and screens.

    ``scheduled`` becomes ``published`` at ``publish_at``; ``published`` becomes ``withdrawn``
    at ``expire_at`` (see ``content.schedule``).
    """

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class _Stamped:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class _Published(_Stamped):
    """Publication state shared by policies, interpretations, guides and notices."""

    status: Mapped[PubStatus] = mapped_column(
        _str_enum(PubStatus), default=PubStatus.PUBLISHED,
        server_default=PubStatus.PUBLISHED.value, index=True,
    )
    publish_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    expire_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Agency(db.Model):  # type: ignore[name-defined]
    """An issuing body: a government, a department or a town (乡镇)."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # government / department / town
    kind: Mapped[str] = mapped_column(String(20), default="department")
    region: Mapped[str] = mapped_column(String(50), default="")


class Category(db.Model):  # type: ignore[name-defined]
    """A catalog category: 一级事项 (level 1) with its 二级事项 (level 2) children."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    parent: Mapped[Category | None] = relationship(
        remote_side="Category.id", back_populates="children"
    )
    children: Mapped[list[Category]] = relationship(
        back_populates="parent", order_by="Category.position"
    )

    @property
    def level(self) -> int:
        return 1 if self.parent_id is None else 2


class Policy(_Published, db.Model):  # type: ignore[name-defined]
    """A policy document (政策文件) as published."""

    __tablename__ = "policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    doc_number: Mapped[str] = mapped_column(String(100), default="", index=True)  # 文号
    issuer_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    issued_on: Mapped[dt.date] = mapped_column(Date, index=True)
    effective_on: Mapped[dt.date | None] = mapped_column(Date)
    validity: Mapped[Validity] = mapped_column(_str_enum(Validity), default=Validity.VALID)
    summary: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")  # sanitized on the way in
    # What the editor typed (Markdown, raw HTML allowed); body_html is rendered from it.
    body_md: Mapped[str] = mapped_column(Text, default="", server_default="")
    source_url: Mapped[str] = mapped_column(String(500), default="")
    # The policy that replaces this one (shown on 失效 / 废止 policies).
    replaced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("policy.id", ondelete="SET NULL"), index=True
    )

    issuer: Mapped[Agency] = relationship()
    replaced_by: Mapped[Policy | None] = relationship(remote_side="Policy.id")
    category: Mapped[Category | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="policy", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    interpretations: Mapped[list[Interpretation]] = relationship(
        back_populates="policy", order_by="Interpretation.published_on"
    )


class Attachment(db.Model):  # type: ignore[name-defined]
    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policy.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))  # under the media folder
    media_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer, default=0)

    policy: Mapped[Policy] = relationship(back_populates="attachments")


class Interpretation(_Published, db.Model):  # type: ignore[name-defined]
    """A policy interpretation (政策解读): text, 图解 image or 短视频 video."""

    __tablename__ = "interpretation"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("policy.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[InterpretationKind] = mapped_column(
        _str_enum(InterpretationKind), default=InterpretationKind.TEXT
    )
    author: Mapped[str] = mapped_column(String(100), default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    body_md: Mapped[str] = mapped_column(Text, default="", server_default="")
    image: Mapped[str] = mapped_column(String(200), default="")  # media file name
    image_alt: Mapped[str] = mapped_column(Text, default="")
    video: Mapped[str] = mapped_column(String(200), default="")
    published_on: Mapped[dt.date] = mapped_column(Date)

    policy: Mapped[Policy | None] = relationship(back_populates="interpretations")


class ServiceGuide(_Published, db.Model):  # type: ignore[name-defined]
    """A service guide (办事指南): what to bring, the steps, where and when."""

    __tablename__ = "service_guide"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    basis: Mapped[str] = mapped_column(Text, default="")  # 设定依据
    conditions: Mapped[str] = mapped_column(Text, default="")  # 受理条件
    materials: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"name", "copies", "note"}]
    steps: Mapped[list[Any]] = mapped_column(JSON, default=list)  # ["..."]
    time_limit: Mapped[str] = mapped_column(String(100), default="")  # 办理时限
    fee: Mapped[str] = mapped_column(String(200), default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    hours: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")

    agency: Mapped[Agency] = relationship()
    category: Mapped[Category | None] = relationship()


class Notice(_Published, db.Model):  # type: ignore[name-defined]
    """A notice (通知公告) of the hall or an agency."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    body_html: Mapped[str] = mapped_column(Text, default="")
    body_md: Mapped[str] = mapped_column(Text, default="", server_default="")
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    published_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)

    agency: Mapped[Agency | None] = relationship()


class CatalogItem(db.Model):  # type: ignore[name-defined]
    """One row of the 事项标准目录 (catalog of disclosure items), with the standard columns."""

    __tablename__ = "catalog_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)  # 序号
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)  # 二级事项
    content: Mapped[str] = mapped_column(Text)  # 公开内容（要素）
    basis: Mapped[str] = mapped_column(Text, default="")  # 公开依据
    time_limit: Mapped[str] = mapped_column(String(200), default="")  # 公开时限
    subject: Mapped[str] = mapped_column(String(200), default="")  # 公开主体
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)  # 公开渠道和载体
    audience: Mapped[str] = mapped_column(String(20), default="全社会")  # 公开对象
    mode: Mapped[str] = mapped_column(String(20), default="主动")  # 公开方式: 主动 / 依申请
    tier: Mapped[str] = mapped_column(String(20), default="县级")  # 公开层级: 县级 / 乡级

    category: Mapped[Category] = relationship()


class MediaFile(db.Model):  # type: ignore[name-defined]
    """An uploaded image, video or document, kept under ``instance/media/uploads``.

    The type is what the bytes are (checked on upload), not what the name or browser said.
    """

    __tablename__ = "media_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200), unique=True)  # under instance/media
    original_name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20))  # image / video / document
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    thumbnail: Mapped[str] = mapped_column(String(200), default="")  # under instance/media
    alt: Mapped[str] = mapped_column(Text, default="")
    uploaded_by: Mapped[str] = mapped_column(String(100), default="")
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
