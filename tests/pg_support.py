"""PostgreSQL databases of a test's own: made on the run's server, dropped after."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text


@contextmanager
def scratch_database(server: str, prefix: str) -> Iterator[str]:
    """A new empty database ``<prefix>_<hex>`` on ``server`` (a URL without the database, e.g.
    ``postgresql+psycopg://postgres@127.0.0.1:5432``); yields its URL and drops it after the
    block, with whatever connections are still open to it."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield f"{server}/{name}"
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
