"""Database base classes and column types shared by every feature's models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, DateTime, MetaData, create_engine, event
from sqlalchemy.engine import URL, Dialect, Engine, make_url
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware datetime stored in UTC on every backend.

    SQLite keeps no offset, so values are normalised to UTC on the way in and marked UTC
    on the way out; naive datetimes are refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware values only")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


#: Tables whose name starts with this are made by raw SQL in migrations (full-text indexes,
#: dialect-specific) and are left out of Alembic's autogenerate comparison.
RAW_TABLE_PREFIX = "fts_"


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter: skip the raw full-text tables and their shadow tables."""
    if type_ == "table" and name and name.startswith(RAW_TABLE_PREFIX):
        return False
    table = getattr(obj, "table", None)
    return not (table is not None and str(table.name).startswith(RAW_TABLE_PREFIX))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL for concurrent readers beside one writer, foreign keys on, a short busy wait."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@contextmanager
def own_connection(url: str | URL, timeout: float) -> Iterator[Connection]:
    """A connection of its own (no pool, never the server's) that gives up connecting after
    ``timeout`` seconds; statement parameters stay out of its error messages.

    :raises SQLAlchemyError: when the database cannot be reached.
    :raises FileNotFoundError: for a SQLite file that does not exist (never created here).
    """
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:" and not Path(url.database).is_file():
            raise FileNotFoundError(url.database)
        args: dict[str, Any] = {"timeout": timeout}
    else:
        args = {"connect_timeout": timeout}
    engine = create_engine(url, poolclass=NullPool, connect_args=args, hide_parameters=True)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def first_line(error: BaseException, limit: int = 200) -> str:
    """An error's reason in one line for a report (its class name when it says nothing)."""
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:limit]
