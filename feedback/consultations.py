"""Public consultation on draft decisions (征求意见): staff write, open, close and summarise a
consultation and attach its documents; citizens read it and comment while it is open.

A comment is refused on the server unless the consultation is open and inside its dates, so a
page left on screen past the closing time cannot slip one in. Every write commits before it
returns, staff writes with their audit entry.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import nh3
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from feedback.crypto import decrypt_phone, encrypt_phone, mask_phone
from feedback.errors import FeedbackError
from feedback.models import Comment, Consultation, ConsultationDocument, ConsultationStatus
from feedback.text import clean_contact, clean_text
from hall import audit
from hall.db import utcnow
from hall.extensions import db
from hall.timefmt import local_datetime

#: The draft's HTML: the same allow-list as content's editor (kept here: feedback imports
#: ``hall`` only), without images (a draft's pictures are documents).
ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "ul", "ol", "li",
    "blockquote", "table", "thead", "tbody", "tr", "th", "td", "a", "span", "div", "section",
}
ALLOWED_ATTRIBUTES = {"*": {"id", "class"}, "a": {"href", "title"},
                      "th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}


@dataclass(frozen=True)
class DocumentType:
    content_type: str
    magic: tuple[bytes, ...]


#: Allowed attachments by extension, with the bytes each must start with (the name alone is
#: not trusted). OFD is China's standard layout format (a zip, like docx and xlsx).
DOCUMENT_TYPES: dict[str, DocumentType] = {
    ".pdf": DocumentType("application/pdf", (b"%PDF-",)),
    ".ofd": DocumentType("application/ofd", (b"PK\x03\x04",)),
    ".docx": DocumentType("application/vnd.openxmlformats-officedocument"
                          ".wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": DocumentType("application/vnd.openxmlformats-officedocument"
                          ".spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".doc": DocumentType("application/msword", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    ".xls": DocumentType("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    ".png": DocumentType("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": DocumentType("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": DocumentType("image/jpeg", (b"\xff\xd8\xff",)),
}


def clean_html(html: str) -> str:
    """Allow-list sanitisation of the draft: no scripts, handlers, styles or javascript: links."""
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto", "tel"},
                     link_rel="noopener noreferrer")


# -- reading ----------------------------------------------------------------------------------

def public_list() -> Sequence[Consultation]:
    """Consultations citizens may see: open ones first (closing soonest first), then closed
    ones, newest first; drafts never."""
    still_open = case((Consultation.status == ConsultationStatus.OPEN.value, 0), else_=1)
    return db.session.scalars(
        select(Consultation).where(Consultation.status != ConsultationStatus.DRAFT.value)
        .order_by(still_open, Consultation.closes_at.desc(), Consultation.id.desc())).all()


def public_or_none(consultation_id: int) -> Consultation | None:
    row = db.session.get(Consultation, consultation_id)
    if row is None or row.status == ConsultationStatus.DRAFT:
        return None
    return row


def comment_counts(ids: Sequence[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(Comment.consultation_id, func.count()).where(Comment.consultation_id.in_(ids))
        .group_by(Comment.consultation_id)).all()
    return {cid: int(n) for cid, n in rows}


def comments(row: Consultation, *, limit: int = 200, offset: int = 0) -> Sequence[Comment]:
    return db.session.scalars(select(Comment).where(Comment.consultation_id == row.id)
                              .order_by(Comment.created_at, Comment.id)
                              .limit(limit).offset(offset)).all()


# -- citizens ---------------------------------------------------------------------------------

def add_comment(row: Consultation, text: str, *, consent: bool = False, name: str = "",
                phone: str = "", terminal: str = "", now: dt.datetime | None = None) -> Comment:
    """Store a citizen's comment and commit it.

    :raises FeedbackError: ``"closed"`` when the consultation takes no comments (now), or the
        text / contact problems of :mod:`feedback.text`.
    """
    now = now or utcnow()
    if not row.accepts_comments(now):
        if row.opens_at is not None and now < row.opens_at \
                and row.status == ConsultationStatus.OPEN:
            raise FeedbackError(_l("这项征求意见还没有开始，开始后才能提交意见。"),
                                "not_yet")
        raise FeedbackError(_l("这项征求意见已经结束，不再接收意见。感谢您的关注。"),
                            "closed")
    body = clean_text(text, max_chars=int(current_app.config["COMMENT_MAX_CHARS"]))
    name, phone = clean_contact(consent, name, phone)
    comment = Comment(consultation_id=row.id, text=body, terminal=terminal[:64],
                      contact_consent=bool(name or phone), contact_name=name,
                      contact_phone_enc=encrypt_phone(phone), created_at=now)
    db.session.add(comment)
    db.session.commit()
    return comment


# -- staff ------------------------------------------------------------------------------------

def save(row: Consultation, fields: dict[str, Any], *, by: str = "") -> bool:
    """Create or update a consultation from the form's fields (``body_html`` is sanitized
    here); returns whether anything changed."""
    if row.status == ConsultationStatus.CLOSED and "body_html" in fields \
            and fields["body_html"] != row.body_html:
        raise FeedbackError(_l("征求意见已结束，征求意见稿不能再修改。"), "closed")
    new = row.id is None
    before = None if new else audit.snapshot(row)
    if "body_html" in fields:
        fields = {**fields, "body_html": clean_html(fields["body_html"] or "")}
    for key, value in fields.items():
        setattr(row, key, value)
    if new:
        row.created_by = by[:100]
        db.session.add(row)
    elif not db.session.is_modified(row):
        return False
    audit.record_change("create" if new else "update", row, before, label=row.title)
    db.session.commit()
    return True


def _set_status(row: Consultation, status: str, action: str) -> None:
    before = audit.snapshot(row)
    row.status = status
    audit.record_change(action, row, before, label=row.title)
    db.session.commit()


def open_(row: Consultation, now: dt.datetime | None = None) -> None:
    """Start taking comments (from ``opens_at`` if that is later)."""
    now = now or utcnow()
    if row.status == ConsultationStatus.OPEN:
        return
    if not row.body_html.strip() and not row.documents:
        raise FeedbackError(_l("请先填写征求意见稿正文或上传文件，再开始征求意见。"), "empty")
    if row.closes_at is not None and row.closes_at <= now:
        raise FeedbackError(_l("截止时间已过，请先把截止时间改到以后。"), "past")
    if row.opens_at is None:
        row.opens_at = now
    _set_status(row, ConsultationStatus.OPEN.value, "open")


def close(row: Consultation, now: dt.datetime | None = None) -> None:
    """Stop taking comments now (the closing time becomes now if it was later or unset)."""
    now = now or utcnow()
    if row.status == ConsultationStatus.CLOSED:
        return
    if row.status == ConsultationStatus.DRAFT:
        raise FeedbackError(_l("草稿还没有开始征求意见，不能结束。"), "draft")
    if row.closes_at is None or row.closes_at > now:
        row.closes_at = now
    _set_status(row, ConsultationStatus.CLOSED.value, "close")


def summarise(row: Consultation, summary: str, adoption: str) -> bool:
    """Write the summary of the feedback and 采纳情况 (shown once the consultation is closed)."""
    limit = int(current_app.config["CONSULTATION_SUMMARY_MAX_CHARS"])
    summary = clean_text(summary, max_chars=limit) if summary.strip() else ""
    adoption = clean_text(adoption, max_chars=limit) if adoption.strip() else ""
    return save(row, {"summary": summary, "adoption": adoption})


def delete(row: Consultation) -> None:
    if row.status != ConsultationStatus.DRAFT:
        raise FeedbackError(_l("只能删除草稿；已公开的征求意见请结束它。"), "not_draft")
    audit.record_change("delete", row, audit.snapshot(row), label=row.title)
    db.session.delete(row)
    db.session.commit()


def document_type(filename: str, data: bytes) -> DocumentType:
    """The allowed type of an upload, checked by its extension and its first bytes.

    :raises FeedbackError: not allowed (``"bad_type"``), too large (``"too_large"``), empty.
    """
    suffix = PurePath(filename).suffix.lower()
    kind = DOCUMENT_TYPES.get(suffix)
    if kind is None:
        allowed = "、".join(sorted({s.lstrip(".").upper() for s in DOCUMENT_TYPES}))
        raise FeedbackError(_l("不支持这种文件，只能上传 %(types)s 文件。", types=allowed),
                            "bad_type")
    if not data:
        raise FeedbackError(_l("文件是空的。"), "empty")
    limit = int(current_app.config["CONSULTATION_DOCUMENT_MAX_BYTES"])
    if len(data) > limit:
        raise FeedbackError(_l("文件太大了，不能超过 %(mb)s MB。",
                               mb=f"{limit / 1024 / 1024:g}"), "too_large")
    if not any(data.startswith(m) for m in kind.magic):
        raise FeedbackError(_l("文件内容与扩展名不符，请检查后重新上传。"), "bad_type")
    return kind


def add_document(row: Consultation, title: str, filename: str, data: bytes, *,
                 by: str = "") -> ConsultationDocument:
    kind = document_type(filename, data)
    name = PurePath(filename.replace("\\", "/")).name[-200:] or "document"
    doc = ConsultationDocument(consultation_id=row.id, title=(title.strip() or name)[:200],
                               filename=name, content_type=kind.content_type, size=len(data),
                               data=data, uploaded_by=by[:100])
    db.session.add(doc)
    db.session.flush()
    audit.record("upload", obj_type="feedback_document", obj_id=doc.id,
                 label=f"{row.title} · {doc.title}",
                 new={"filename": doc.filename, "size": doc.size})
    db.session.commit()
    return doc


def remove_document(doc: ConsultationDocument) -> None:
    audit.record("delete", obj_type="feedback_document", obj_id=doc.id, label=doc.title,
                 old={"filename": doc.filename, "size": doc.size})
    db.session.delete(doc)
    db.session.commit()


def hide_comment(comment: Comment, hidden: bool, *, by: str) -> None:
    """Hide an abusive comment from the summary's working list (it is kept, and exported
    with its flag)."""
    before = audit.snapshot(comment)
    comment.hidden, comment.hidden_by = hidden, by[:100] if hidden else ""
    audit.record_change("hide" if hidden else "unhide", comment, before,
                        label=comment.text[:60])
    db.session.commit()


def _cell(value: str) -> str:
    """A spreadsheet cannot take a citizen's ``=…`` for a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def comments_csv(row: Consultation) -> bytes:
    """All comments of a consultation as CSV (UTF-8 with BOM, so Excel reads Chinese), phone
    numbers masked; the export itself is audited."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(h) for h in (_l("序号"), _l("提交时间"), _l("意见内容"), _l("称呼"),
                                      _l("联系电话"), _l("已屏蔽"), _l("终端"))])
    for n, c in enumerate(comments(row, limit=1_000_000), 1):
        phone = decrypt_phone(c.contact_phone_enc)
        shown = mask_phone(phone) if phone else (str(_l("（无法读取）")) if phone is None else "")
        writer.writerow([n, local_datetime(c.created_at), _cell(c.text), _cell(c.contact_name),
                         shown, str(_l("是")) if c.hidden else "", c.terminal])
    audit.record("export", obj_type="feedback_consultation", obj_id=row.id, label=row.title)
    db.session.commit()
    return ("\ufeff" + out.getvalue()).encode("utf-8")
