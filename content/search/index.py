"""Writing the index: content objects → ``search_entry`` rows + their ``fts_search`` tokens.

Only ``published`` objects are indexed: an object changed into any other state loses its
entry, so searching needs no join or status filter at query time.

The same pre-tokenised text goes to FTS5 columns on SQLite and to ``tsvector`` literals on
PostgreSQL (cast, not ``to_tsvector``, so no parser or locale can re-split the tokens).
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import selectinload

from content.models import Agency, Category, Interpretation, Notice, Policy, PubStatus, ServiceGuide
from content.sanitize import plain_text
from content.search.models import SearchEntry
from content.search.pinyin import index_columns
from content.search.query import sqlite_cursor
from content.search.tokenize import facet_tokens, index_tokens
from hall.db import utcnow
from hall.extensions import db

log = logging.getLogger(__name__)

#: The index's token columns, in this order on both backends.
COLUMNS = ("title", "doc_number", "issuer", "body", "title_py", "title_pyi", "meta_py", "meta_pyi")
#: SQLite: ``fts_search`` holds COLUMNS + ``facets``; the small ``fts_title`` holds these +
#: ``facets`` (migration 0009), so the title tier never reads the bodies' doclists.
TITLE_COLUMNS = ("title", "doc_number", "title_py", "title_pyi")
#: PostgreSQL columns and the fields each holds: the ``all_*`` vectors let a search test
#: three GIN indexes instead of eight; the others rank and find title hits.
PG_COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("title",), "doc_number": ("doc_number",), "issuer": ("issuer",),
    "title_py": ("title_py",), "title_pyi": ("title_pyi",),
    "all_text": ("title", "doc_number", "issuer", "body"),
    "all_py": ("title_py", "meta_py"), "all_pyi": ("title_pyi", "meta_pyi"),
}
_PG_FIELD_GAP = 10
_BATCH = 1000
#: A rebuild of this many objects or more tokenises in a second process, overlapping the
#: database writes (starting the process costs more than a small rebuild takes).
PARALLEL_FROM = 4000
_REBUILD_BATCH = 500
#: Prepare batches in this process while the tokenising one is starting (tests turn it off
#: to take the pipelined path from the first batch).
PREPARE_UNTIL_READY = True
#: Batches queued for the tokenising process beyond the one being written: it never waits
#: for the next one, and a slow batch there does not stall the writes at once.
_IN_FLIGHT = 2
_PG_MAX_POSITION = 16383
_PG_MAX_POSITIONS = 256


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def _category_ids(category: Any) -> tuple[int | None, int | None]:
    if category is None:
        return None, None
    return category.id, category.parent_id or category.id


#: An entry's body before it is finished (``_finish``): text parts, HTML parts marked ``True``.
#: The HTML is turned into text late, in the tokenising process during a large rebuild.
BodyParts = tuple[tuple[str | None, bool], ...]


def _policy(p: Policy) -> dict[str, Any]:
    cat, root = _category_ids(p.category)
    return dict(
        kind="policy", object_id=p.id, title=p.title, doc_number=p.doc_number or "",
        issuer_name=p.issuer.name if p.issuer else "", issuer_id=p.issuer_id,
        category_id=cat, category_root_id=root, issued_on=p.issued_on,
        validity=p.validity.value if p.validity else None,
        body=((p.summary, False), (p.body_html, True)),
    )


def _policy_rows(ids: list[int]) -> Iterator[dict[str, Any]]:
    """What ``_policy`` makes of the published ones of ``ids``, read as plain rows: building
    ORM objects (and loading their issuer and category) was a fifth of a large rebuild."""
    stmt = (select(Policy.id, Policy.title, Policy.doc_number, Policy.summary, Policy.body_html,
                   Agency.name, Policy.issuer_id, Policy.category_id, Category.parent_id,
                   Policy.issued_on, Policy.validity)
            .outerjoin(Agency, Agency.id == Policy.issuer_id)
            .outerjoin(Category, Category.id == Policy.category_id)
            .where(Policy.id.in_(ids), Policy.status == PubStatus.PUBLISHED).order_by(Policy.id))
    for (ident, title, number, summary, html, issuer, issuer_id, cat, root, issued,
         validity) in db.session.execute(stmt):
        yield dict(
            kind="policy", object_id=ident, title=title, doc_number=number or "",
            issuer_name=issuer or "", issuer_id=issuer_id, category_id=cat,
            category_root_id=(root or cat) if cat is not None else None, issued_on=issued,
            validity=validity.value if validity else None,
            body=((summary, False), (html, True)),
        )


def _interpretation(i: Interpretation) -> dict[str, Any]:
    policy = i.policy
    cat, root = _category_ids(policy.category if policy else None)
    return dict(
        kind="interpretation", object_id=i.id, title=i.title, doc_number="",
        issuer_name=policy.issuer.name if policy and policy.issuer else "",
        issuer_id=policy.issuer_id if policy else None, category_id=cat, category_root_id=root,
        issued_on=i.published_on,
        validity=policy.validity.value if policy and policy.validity else None,
        body=((i.body_html, True), (i.image_alt, False)),
    )


def _guide(g: ServiceGuide) -> dict[str, Any]:
    cat, root = _category_ids(g.category)
    materials = [str(m.get("name", "")) if isinstance(m, dict) else str(m)
                 for m in g.materials or []]
    parts = [g.basis, g.conditions, *materials, *(str(s) for s in g.steps or []),
             g.time_limit, g.fee, g.place, g.hours]
    return dict(
        kind="guide", object_id=g.id, title=g.title, doc_number="",
        issuer_name=g.agency.name if g.agency else "", issuer_id=g.agency_id,
        category_id=cat, category_root_id=root, issued_on=None, validity=None,
        body=tuple((x, False) for x in parts),
    )


def _notice(n: Notice) -> dict[str, Any]:
    return dict(
        kind="notice", object_id=n.id, title=n.title, doc_number="",
        issuer_name=n.agency.name if n.agency else "", issuer_id=n.agency_id,
        category_id=None, category_root_id=None, issued_on=n.published_on, validity=None,
        body=((n.body_html, True),),
    )


_SOURCES: dict[str, tuple[type[Any], Callable[[Any], dict[str, Any]], tuple[Any, ...]]] = {
    "policy": (Policy, _policy, (selectinload(Policy.issuer), selectinload(Policy.category))),
    "interpretation": (Interpretation, _interpretation, (
        selectinload(Interpretation.policy).selectinload(Policy.issuer),
        selectinload(Interpretation.policy).selectinload(Policy.category),
    )),
    "guide": (ServiceGuide, _guide,
              (selectinload(ServiceGuide.agency), selectinload(ServiceGuide.category))),
    "notice": (Notice, _notice, (selectinload(Notice.agency),)),
}
KINDS = tuple(_SOURCES)


def _raw_entries(kind: str, ids: list[int]) -> Iterator[dict[str, Any]]:
    """Unfinished index rows (see ``_finish``) of those of ``ids`` that are published."""
    if kind == "policy":
        yield from _policy_rows(ids)
        return
    model, convert, options = _SOURCES[kind]
    stmt = (select(model).options(*options).order_by(model.id)
            .where(model.id.in_(ids), model.status == PubStatus.PUBLISHED))
    for obj in db.session.scalars(stmt):
        yield convert(obj)


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    """The row's body as plain text, and its year (pure: runs in the tokenising process)."""
    parts: BodyParts = row["body"]
    row["body"] = "\n".join(x for x in (plain_text(v or "") if html else v for v, html in parts)
                            if x)
    row["year"] = row["issued_on"].year if row["issued_on"] else None
    return row


def _entries(kind: str, ids: list[int]) -> Iterator[dict[str, Any]]:
    """Index rows of those of ``ids`` that are published (the others get none)."""
    for row in _raw_entries(kind, ids):
        yield _finish(row)


def _token_columns(row: dict[str, Any]) -> dict[str, list[str]]:
    title_py, title_pyi = index_columns(row["title"])
    meta_py, meta_pyi = index_columns(row["issuer_name"] + " " + row["doc_number"])
    return {
        "title": index_tokens(row["title"]),
        "doc_number": index_tokens(row["doc_number"]),
        "issuer": index_tokens(row["issuer_name"]),
        "body": index_tokens(row["body"]),
        "title_py": title_py.split(), "title_pyi": title_pyi.split(),
        "meta_py": meta_py.split(), "meta_pyi": meta_pyi.split(),
    }


def tsvector_literal(*fields: list[str]) -> str:
    """A ``tsvector`` input string keeping each token's positions (for ``<->`` phrases).

    Several fields go into one vector with a gap between them, so a phrase cannot run from
    the end of one field into the next.
    """
    positions: dict[str, list[int]] = {}
    start = 0
    for tokens in fields:
        for pos, token in enumerate(tokens, start=start + 1):
            found = positions.setdefault(token, [])
            if len(found) < _PG_MAX_POSITIONS:
                found.append(min(pos, _PG_MAX_POSITION))
        start += len(tokens) + _PG_FIELD_GAP
    return " ".join(
        "'" + token.replace("\\", "\\\\").replace("'", "''") + "':"
        + ",".join(str(p) for p in dict.fromkeys(found))
        for token, found in positions.items()
    )


def _fts_insert_sql(table: str, columns: tuple[str, ...]) -> str:
    """SQLite: one FTS5 row (the DBAPI's named parameters, run with ``executemany``)."""
    return (f"INSERT INTO {table} (rowid, {', '.join(columns)}, facets) "
            f"VALUES (:id, {', '.join(f':{c}' for c in columns)}, :facets)")


#: SQLite's FTS5 tables (migration 0009) and the FTS5 defaults a rebuild restores.
SQLITE_TABLES = ("fts_search", "fts_title")
FTS5_AUTOMERGE = 4
FTS5_CRISISMERGE = 16
FTS5_HASHSIZE = 1024 * 1024
#: Bytes of pending terms an FTS5 table holds in memory during a rebuild before it writes them.
FTS5_REBUILD_HASHSIZE = 32 * 1024 * 1024
_SQLITE_INSERTS = (_fts_insert_sql("fts_search", COLUMNS),
                   _fts_insert_sql("fts_title", TITLE_COLUMNS))


def _fts_values(row: dict[str, Any], postgres: bool) -> dict[str, str]:
    """The index columns of one entry (pure: no database)."""
    columns = _token_columns(row)
    if postgres:
        return {c: tsvector_literal(*(columns[f] for f in PG_COLUMNS[c])) for c in PG_COLUMNS}
    return {**{c: " ".join(columns[c]) for c in COLUMNS}, "facets": facet_tokens(row)}


def _tokenised(rows: list[dict[str, Any]], postgres: bool) -> list[dict[str, str]]:
    return [_fts_values(r, postgres) for r in rows]


def _insert_fts(entry_ids: list[int], values: list[dict[str, str]]) -> None:
    rows = [{"id": i, **v} for i, v in zip(entry_ids, values, strict=True)]
    if not rows:
        return
    if is_postgres():
        cols = ", ".join(PG_COLUMNS)
        casts = ", ".join(f"CAST(:{c} AS tsvector)" for c in PG_COLUMNS)
        db.session.execute(text(f"INSERT INTO fts_search (id, {cols}) VALUES (:id, {casts})"),
                           rows)
        return
    # Straight to the driver, in the session's transaction: no statement is built per call.
    cursor = sqlite_cursor()
    try:
        for sql in _SQLITE_INSERTS:
            cursor.executemany(sql, rows)
    finally:
        cursor.close()


def _delete_fts(entry_ids: list[int]) -> None:
    if not entry_ids:
        return
    postgres = is_postgres()
    key = "id" if postgres else "rowid"
    for start in range(0, len(entry_ids), _BATCH):
        chunk = entry_ids[start : start + _BATCH]
        marks = ", ".join(str(int(i)) for i in chunk)
        for table in ("fts_search",) if postgres else SQLITE_TABLES:
            db.session.execute(text(f"DELETE FROM {table} WHERE {key} IN ({marks})"))


def _entry_ids(kind: str, object_ids: Iterable[int]) -> list[int]:
    ids = list(object_ids)
    found: list[int] = []
    for start in range(0, len(ids), _BATCH):
        found.extend(db.session.scalars(select(SearchEntry.id).where(
            SearchEntry.kind == kind, SearchEntry.object_id.in_(ids[start : start + _BATCH]))))
    return found


def _insert_entries(kind: str, rows: list[dict[str, Any]], first_id: int | None) -> list[int]:
    """Replace the ``search_entry`` rows of these objects; their new ids, in order.

    ``first_id``: the index is empty from there on (a SQLite rebuild), so ids are given
    rather than returned one row at a time, and there is nothing old to delete.
    """
    if first_id is None:
        old = _entry_ids(kind, (r["object_id"] for r in rows))
        _delete_fts(old)
        if old:
            db.session.execute(delete(SearchEntry).where(SearchEntry.id.in_(old)))
    if not rows:
        return []
    if first_id is not None:
        new_ids = list(range(first_id, first_id + len(rows)))
        _sqlite_insert_entries(new_ids, rows)
        return new_ids
    stmt = insert(SearchEntry).returning(SearchEntry.id, sort_by_parameter_order=True)
    return list(db.session.scalars(stmt, rows).all())


#: ``search_entry`` columns a SQLite rebuild writes, straight to the driver.
_ENTRY_INSERT_COLUMNS = ("id", "kind", "object_id", "title", "doc_number", "issuer_name",
                         "issuer_id", "category_id", "category_root_id", "issued_on", "year",
                         "validity", "body", "updated_at")


def _sqlite_insert_entries(new_ids: list[int], rows: list[dict[str, Any]]) -> None:
    """Rebuild rows through the driver, dates bound as SQLAlchemy binds them (its own type
    processors): building the statement's parameters per row was a second of a rebuild."""
    table = SearchEntry.__table__
    dialect = db.engine.dialect
    day = table.c.issued_on.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
    stamp = (table.c.updated_at.type.dialect_impl(dialect).bind_processor(dialect)
             or (lambda v: v))
    now = stamp(utcnow())
    values = [
        (i, r["kind"], r["object_id"], r["title"], r["doc_number"], r["issuer_name"],
         r["issuer_id"], r["category_id"], r["category_root_id"], day(r["issued_on"]),
         r["year"], r["validity"], r["body"], now)
        for i, r in zip(new_ids, rows, strict=True)]
    cursor = sqlite_cursor()
    try:
        cursor.executemany(
            f"INSERT INTO search_entry ({', '.join(_ENTRY_INSERT_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(_ENTRY_INSERT_COLUMNS))})", values)
    finally:
        cursor.close()


def _write(kind: str, rows: list[dict[str, Any]]) -> None:
    """Replace the entries of these objects (delete + bulk insert keeps both sides in step)."""
    new_ids = _insert_entries(kind, rows, None)
    if rows:
        _insert_fts(new_ids, _tokenised(rows, is_postgres()))


def index_objects(kind: str, ids: list[int]) -> None:
    """Upsert the entries of these objects, then commit; objects that are gone or not
    published (draft, scheduled, withdrawn) lose their entries."""
    if kind not in _SOURCES or not ids:
        return
    for start in range(0, len(ids), _BATCH):  # an import announces thousands at once
        chunk = ids[start : start + _BATCH]
        rows = list(_entries(kind, chunk))
        found = {r["object_id"] for r in rows}
        _remove(kind, [i for i in chunk if i not in found])
        _write(kind, rows)
    db.session.commit()


def _remove(kind: str, ids: list[int]) -> None:
    old = _entry_ids(kind, ids)
    _delete_fts(old)
    if old:
        db.session.execute(delete(SearchEntry).where(SearchEntry.id.in_(old)))


def remove_objects(kind: str, ids: list[int]) -> None:
    """Drop the entries of deleted objects, then commit."""
    if kind not in _SOURCES or not ids:
        return
    _remove(kind, ids)
    db.session.commit()


def reindex_all(progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole index from the content tables; returns how many entries it holds."""
    if is_postgres():
        return _reindex_all(progress, postgres=True)
    # One transaction of bulk writes with no fsync (a crash only loses the rebuild, which is
    # simply run again), then the usual setting for this pooled connection.
    db.session.execute(text("PRAGMA synchronous=OFF"))
    try:
        count = _reindex_all(progress, postgres=False)
    finally:
        db.session.rollback()  # nothing is pending after a success; after a failure, unlock
        db.session.execute(text("PRAGMA synchronous=NORMAL"))
    # The rebuild left the whole index (about 1 GB at 50,000 documents) in the write-ahead
    # log, which every read then looks through until a checkpoint: copy it into the database
    # and empty the log now (queries right after a rebuild were ~50 % slower).
    db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    db.session.commit()
    return count


def _tokeniser() -> ProcessPoolExecutor | None:
    """A second process for tokenising (not a thread: pure-Python tokenising would hold the
    GIL that the database driver gives up while it writes). Started with ``spawn``, never
    ``fork``: a rebuild may run inside a threaded server, where forking can deadlock."""
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


def _ready() -> bool:
    """A first task for the tokenising process: done once it has started and imported this."""
    return True


def _prepared(rows: list[dict[str, Any]], postgres: bool) -> tuple[list[dict[str, Any]],
                                                                  list[dict[str, str]]]:
    """Finished rows and their index columns (pure: runs in the tokenising process, where
    turning bodies' HTML into text overlaps the database writes too)."""
    finished = [_finish(r) for r in rows]
    return finished, _tokenised(finished, postgres)


def _clear_index(postgres: bool) -> None:
    """Empty the index, in the rebuild's transaction."""
    if postgres:  # the index rows first: deleting the entries would delete them one by one
        db.session.execute(text("DELETE FROM fts_search"))
        db.session.execute(delete(SearchEntry))
        return
    db.session.execute(delete(SearchEntry))  # first: it opens the transaction the DDL joins
    # Deleting from an FTS5 table that keeps its text removes each row's tokens one by one
    # (12-15 s at 50,000 documents); dropping the tables and creating them again as they
    # were (the migrations' own statements, kept by SQLite) empties them at once.
    for table in SQLITE_TABLES:
        create = db.session.execute(text(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
            {"name": table}).scalar_one()
        db.session.execute(text(f"DROP TABLE {table}"))
        db.session.execute(text(create))


def _reindex_all(progress: Callable[[int], None] | None, *, postgres: bool) -> int:
    pool = _tokeniser() if total_objects() >= PARALLEL_FROM else None
    # Starting the process takes a second or two (it overlaps emptying the index): until it
    # is ready, batches are prepared here, only while none is pending in the other process,
    # so entries keep their order.
    started = pool.submit(_ready) if pool and PREPARE_UNTIL_READY else None
    pending: deque[tuple[str, Future[Any]]] = deque()
    count = 0

    def write(kind: str, prepared: tuple[list[dict[str, Any]], list[dict[str, str]]]) -> None:
        nonlocal count
        rows, values = prepared
        # PostgreSQL's ids come from a sequence; SQLite's restart at 1 when empty.
        new_ids = _insert_entries(kind, rows, None if postgres else count + 1)
        _insert_fts(new_ids, values)
        count += len(rows)

    try:
        _clear_index(postgres)
        if not postgres:
            # No merging while the rows go in (with the default automerge each batch's
            # segments were merged again and again: the FTS5 inserts of 50,000 documents took
            # 31-35 s, then ~16 s), merging once a level holds 64 segments, and one optimize
            # at the end. Larger in-memory term lists (default 1 MB) flush fewer segments.
            _fts_settings(automerge=0, crisismerge=64, hashsize=FTS5_REBUILD_HASHSIZE)
        # Listed in the rebuild's transaction (opened by emptying): nothing published since
        # can be missed.
        work = [(kind, list(db.session.scalars(select(model.id).where(
                    model.status == PubStatus.PUBLISHED).order_by(model.id))))
                for kind, (model, _, _) in _SOURCES.items()]
        for kind, ids in work:
            for start in range(0, len(ids), _REBUILD_BATCH):
                # A few batches of objects at a time keep memory flat (bodies are large; up
                # to three are in flight when tokenising runs beside the writes).
                batch = list(_raw_entries(kind, ids[start : start + _REBUILD_BATCH]))
                db.session.expunge_all()
                if pool is None or (not pending and started and not started.done()):
                    write(kind, _prepared(batch, postgres))
                else:  # write earlier batches while this one is being prepared
                    pending.append((kind, pool.submit(_prepared, batch, postgres)))
                    if len(pending) > _IN_FLIGHT:
                        done_kind, future = pending.popleft()
                        write(done_kind, future.result())
                if progress:
                    progress(len(batch))
        while pending:
            done_kind, future = pending.popleft()
            write(done_kind, future.result())
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    db.session.commit()
    if postgres:
        # Move the bulk of new entries out of the GIN pending lists (searched linearly on
        # every query until vacuum) and give the planner fresh statistics.
        db.session.execute(text(
            "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
            "WHERE i.indrelid = 'fts_search'::regclass AND a.amname = 'gin'"))
        db.session.execute(text("ANALYZE fts_search"))
    else:  # one merged b-tree: fewer segments to read per query; upserts merge as usual
        _fts_settings(automerge=FTS5_AUTOMERGE, crisismerge=FTS5_CRISISMERGE,
                      hashsize=FTS5_HASHSIZE)
        for table in SQLITE_TABLES:
            db.session.execute(text(f"INSERT INTO {table}({table}) VALUES ('optimize')"))
    db.session.commit()
    if postgres:
        # Statistics, and the visibility map of the new entries: filtered searches join their
        # hits through an index-only scan of ix_search_entry_filters, which fetched every row
        # from the heap until autovacuum came by (~0.5 s at 50,000 documents; outside any
        # transaction, as VACUUM must be).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE) search_entry"))
    log.info("search index rebuilt: %d entries", count)
    return count


def _fts_settings(**values: int) -> None:
    """Set FTS5 options of both SQLite tables (kept in the table, until set again)."""
    for table in SQLITE_TABLES:
        for name, value in values.items():
            db.session.execute(text(
                f"INSERT INTO {table}({table}, rank) VALUES (:name, :value)"),
                {"name": name, "value": value})


def total_objects() -> int:
    """How many objects a full rebuild will index (for a progress bar): the published ones."""
    return sum(
        db.session.scalar(select(db.func.count()).select_from(model).where(
            model.status == PubStatus.PUBLISHED)) or 0
        for model, _, _ in _SOURCES.values()
    )
