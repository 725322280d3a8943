"""One row per searchable object; the raw ``fts_search`` index (migrations 0002 and 0009, which
adds SQLite's ``fts_title``) points here."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hall.db import UTCDateTime, utcnow
from hall.extensions import db

#: The covering index of the filter columns (PostgreSQL's filtered searches join through it;
#: SQLite's filter in the FTS5 match, see ``tokenize.facet_tokens``).
FILTER_INDEX = "ix_search_entry_filters"


class SearchEntry(db.Model):  # type: ignore[name-defined]
    """What a hit shows and what filters need, copied from the content so search is one query."""

    __tablename__ = "search_entry"
    __table_args__ = (
        UniqueConstraint("kind", "object_id"),
        # Keyed by id and holding every filter column: a filtered search joins each match
        # through this narrow index instead of reading the wide row (bodies are inline).
        Index(FILTER_INDEX, "id", "kind", "issuer_id", "category_id", "category_root_id", "year",
              "validity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300), default="")
    doc_number: Mapped[str] = mapped_column(String(100), default="")
    issuer_name: Mapped[str] = mapped_column(String(100), default="")
    issuer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    category_id: Mapped[int | None] = mapped_column(Integer, index=True)
    category_root_id: Mapped[int | None] = mapped_column(Integer, index=True)
    issued_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    validity: Mapped[str | None] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text, default="")  # plain text, for snippets
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
