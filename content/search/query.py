"""Reading the index: a user's text → a safe match expression → ranked, filtered hits.

Every token is quoted by us (FTS5 strings, tsquery literals), so nothing a user types can
become query syntax. Title hits form the first tier; bm25 / ts_rank order within a tier.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import text

from content.search.pinyin import query_alternatives
from content.search.tokenize import FACET_PREFIXES, Term, phrase_terms, query_parts, runs
from hall.extensions import db

TEXT_COLUMNS = ("title", "doc_number", "issuer", "body")
#: The first tier: a hit in the title or the 文号 (someone typing a 文号 wants that document).
TITLE_TEXT = ("title", "doc_number")
INITIAL_COLUMNS = ("title_pyi", "meta_pyi")
FULL_COLUMNS = ("title_py", "meta_py")
#: bm25 weights per column of ``fts_search`` (index.COLUMNS, then facets).
BM25_WEIGHTS = "10.0, 4.0, 4.0, 1.0, 6.0, 6.0, 2.0, 2.0, 0.0"


@dataclass(frozen=True)
class Part:
    """One whitespace-separated piece of the query and the ways it may match."""

    surface: str
    words: list[Term]
    initials: list[Term] | None = None
    full: list[Term] | None = None


@dataclass
class ParsedQuery:
    parts: list[Part] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.parts


#: More words than this add cost, not precision (the rest of the query is ignored).
MAX_PARTS = 8


def parse(query: str) -> ParsedQuery:
    parsed = ParsedQuery()
    for surface in query_parts(query)[:MAX_PARTS]:
        words = phrase_terms(runs(surface))
        if not words:
            continue
        initials, full = query_alternatives(surface)
        parsed.parts.append(Part(surface, words, initials, full))
    return parsed


# --- SQLite FTS5 -----------------------------------------------------------------------------

def _fts5_phrase(terms: list[Term]) -> str:
    return " + ".join(f'"{t.token}"' + (" *" if t.prefix else "") for t in terms)


def _fts5_part(part: Part, text_cols: tuple[str, ...], init_cols: tuple[str, ...],
               full_cols: tuple[str, ...]) -> str:
    if text_cols == TEXT_COLUMNS and all(not t.token.isascii() for t in part.words):
        # Chinese tokens only live in the text columns; no column filter reads less.
        alts = [f"({_fts5_phrase(part.words)})"]
    else:
        alts = [f"{{{' '.join(text_cols)}}} : ({_fts5_phrase(part.words)})"]
    if part.initials:
        alts.append(f"{{{' '.join(init_cols)}}} : ({_fts5_phrase(part.initials)})")
    if part.full:
        alts.append(f"{{{' '.join(full_cols)}}} : ({_fts5_phrase(part.full)})")
    return "(" + " OR ".join(alts) + ")"


def fts5_expression(parsed: ParsedQuery, *, title_only: bool = False) -> str:
    cols = (TITLE_TEXT, ("title_pyi",), ("title_py",)) if title_only else (
        TEXT_COLUMNS, INITIAL_COLUMNS, FULL_COLUMNS)
    return " AND ".join(_fts5_part(p, *cols) for p in parsed.parts)


# --- PostgreSQL tsquery ----------------------------------------------------------------------

def tsquery_literal(terms: list[Term], op: str = " <-> ") -> str:
    """``'政府' <-> '府信'`` with each token quoted as a tsquery literal (``op`` " & ": the
    same tokens anywhere, which GIN answers without reading the vectors)."""
    return op.join(
        "'" + t.token.replace("\\", "\\\\").replace("'", "''") + "'" + (":*" if t.prefix else "")
        for t in terms
    )


def pg_condition(parsed: ParsedQuery, params: dict[str, Any], *, title_only: bool,
                 loose: bool = False) -> str:
    """SQL over ``f`` (fts_search) that is true when every part matches somewhere allowed.

    ``loose``: each phrase's tokens anywhere (a superset found with the GIN indexes alone;
    the ``<->`` phrases are then tested only where still needed, see ``_pg_rest``).
    """
    text_col, init_col, full_col = (("title", "title_pyi", "title_py") if title_only
                                    else ("all_text", "all_pyi", "all_py"))
    op, suffix = (" & ", "a") if loose else (" <-> ", "")
    clauses = []
    for n, part in enumerate(parsed.parts):
        params[f"q{n}w{suffix}"] = tsquery_literal(part.words, op)
        alts = [f"f.{text_col} @@ CAST(:q{n}w{suffix} AS tsquery)"]
        if title_only:
            alts.append(f"f.doc_number @@ CAST(:q{n}w{suffix} AS tsquery)")
        if part.initials:
            params[f"q{n}i{suffix}"] = tsquery_literal(part.initials, op)
            alts.append(f"f.{init_col} @@ CAST(:q{n}i{suffix} AS tsquery)")
        if part.full:
            params[f"q{n}f{suffix}"] = tsquery_literal(part.full, op)
            alts.append(f"f.{full_col} @@ CAST(:q{n}f{suffix} AS tsquery)")
        clauses.append("(" + " OR ".join(alts) + ")")
    return " AND ".join(clauses)


def has_phrases(parsed: ParsedQuery) -> bool:
    """Whether some alternative of the query is a chain of several tokens (a ``<->``)."""
    return any(len(terms) > 1 for part in parsed.parts
               for terms in (part.words, part.initials or [], part.full or []))


def pg_score(parsed: ParsedQuery) -> str:
    """Relevance of a hit outside the title (higher is better): 文号 and issuer.

    Ranking bodies would detoast every matching body; body-only hits go newest first.
    """
    terms = []
    for n in range(len(parsed.parts)):
        q = f"CAST(:q{n}w AS tsquery)"
        terms.append(f"ts_rank(f.doc_number, {q}) + ts_rank(f.issuer, {q})")
    return " + ".join(terms) or "0"


# --- running it ------------------------------------------------------------------------------

_ENTRY_FIELDS = ("id", "kind", "object_id", "title", "doc_number", "issuer_name", "issued_on",
                 "validity", "body")
_ENTRY_COLUMNS = ", ".join(f"e.{c}" for c in _ENTRY_FIELDS)
#: Above this many hits in a tier, the tier is ordered newest (last indexed) first instead
#: of by relevance: among hundreds of hits that all hold the words the newest are the useful
#: ones, and scoring costs ~3 µs a hit on top of a pass per phrase (at 1,000 the title tier's
#: bm25 was the largest single cost left at 50,000 documents: 1.9 ms on average).
RANK_UP_TO = 200


class EntryRow(NamedTuple):
    id: int
    kind: str
    object_id: int
    title: str
    doc_number: str
    issuer_name: str
    issued_on: Any
    validity: str | None
    body: str


def entries(ids: list[int]) -> list[Any]:
    """The entry rows of these ids, in this order."""
    if not ids:
        return []
    sql = (f"SELECT {_ENTRY_COLUMNS} FROM search_entry e WHERE e.id IN "
           f"({', '.join(str(int(i)) for i in ids)})")
    if db.engine.dialect.name == "postgresql":
        rows: list[Any] = list(db.session.execute(text(sql)))
    else:
        rows = [EntryRow(*r) for r in _sqlite(sql)]
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def run(parsed: ParsedQuery, filter_sql: str, params: dict[str, Any], limit: int,
        offset: int) -> tuple[int, list[Any]]:
    """(total, rows) for a non-empty query: title hits first, then the rest."""
    if db.engine.dialect.name == "postgresql":
        total, ids = _run_postgres(parsed, filter_sql, params, limit, offset)
    else:
        total, ids = _run_sqlite(parsed, params, limit, offset)
    return total, entries(ids)


# --- SQLite: two FTS5 tables, no join ---------------------------------------------------------

#: Filter parameters (see ``content.search._filter_sql``) → the ``search_entry`` column whose
#: value is a token of the ``facets`` column (see ``tokenize.facet_tokens``).
FACET_PARAMS = {"f_cat": "category_id", "f_issuer": "issuer_id", "f_year": "year",
                "f_validity": "validity", "f_kind": "kind"}
#: bm25 weights of ``fts_title`` (title, doc_number, title_py, title_pyi, facets).
TITLE_BM25_WEIGHTS = "10.0, 4.0, 6.0, 6.0, 0.0"


def fts5_facets(params: dict[str, Any]) -> str:
    """``facets : "y2022" AND facets : "v有效"`` for the filters in ``params`` ("" for none)."""
    return " AND ".join(
        'facets : "' + (FACET_PREFIXES[column] + str(params[key])).replace('"', '""') + '"'
        for key, column in FACET_PARAMS.items() if key in params)


def sqlite_cursor() -> sqlite3.Cursor:
    """A cursor of the session's own SQLite connection (in its transaction)."""
    driver = db.session.connection().connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    return driver.cursor()


def _sqlite(sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Rows straight from the driver: building and compiling a statement through SQLAlchemy
    cost more than a short FTS5 query itself."""
    cursor = sqlite_cursor()
    try:
        return cursor.execute(sql, args).fetchall()
    finally:
        cursor.close()


def _run_sqlite(parsed: ParsedQuery, params: dict[str, Any], limit: int,
                offset: int) -> tuple[int, list[int]]:
    """Title hits come from the small ``fts_title`` (short doclists: counting and ranking
    them is cheap), the rest from ``fts_search``; filters are ANDed in as facet tokens."""
    facets = fts5_facets(params)
    title = fts5_expression(parsed, title_only=True)
    everything = fts5_expression(parsed)
    if facets:
        title, everything = f"{title} AND {facets}", f"{everything} AND {facets}"
    total = _sqlite("SELECT count(*) FROM fts_search WHERE fts_search MATCH ?", everything)[0][0]
    if not total:
        return 0, []
    # Title hits are counted only as far as it matters: to where ranking stops and the page
    # ends. A tier that reaches the cap fills the page by itself, newest first.
    cap = max(RANK_UP_TO, offset + limit) + 1
    # The newest title hits up to the cap, in one pass that also counts them: a tier that
    # reaches the cap (ordered newest first) or holds one hit needs no second query.
    newest = [r[0] for r in _sqlite("SELECT rowid FROM fts_title WHERE fts_title MATCH ? "
                                    "ORDER BY rowid DESC LIMIT ?", title, cap)]
    title_total = len(newest)
    ids: list[int] = []
    if offset < title_total:
        if title_total > RANK_UP_TO or title_total == 1:
            ids = newest[offset : offset + limit]
        else:
            ids = [r[0] for r in _sqlite(
                "SELECT rowid FROM fts_title WHERE fts_title MATCH ? ORDER BY "
                f"bm25(fts_title, {TITLE_BM25_WEIGHTS}), rowid DESC LIMIT ? OFFSET ?",
                title, limit, offset)]
    rest_total = total - title_total  # exact whenever the page is not full yet
    if len(ids) < limit and rest_total:
        score = f"bm25(fts_search, {BM25_WEIGHTS}), " if rest_total <= RANK_UP_TO else ""
        # Without title hits "the rest" is everything: no second expression to evaluate.
        exclude = (" AND rowid NOT IN (SELECT rowid FROM fts_title WHERE fts_title MATCH ?)"
                   if title_total else "")
        args = (everything, title) if title_total else (everything,)
        ids += [r[0] for r in _sqlite(
            f"SELECT rowid FROM fts_search WHERE fts_search MATCH ?{exclude} "
            f"ORDER BY {score}rowid DESC LIMIT ? OFFSET ?",
            *args, limit - len(ids), max(0, offset - title_total))]
    return total, ids


# --- PostgreSQL: tsvector columns, joined to the entries only to filter -----------------------

def _pg_title(parsed: ParsedQuery, params: dict[str, Any]) -> str:
    """Title-tier hits: the small title, 文号 and title pinyin vectors (GIN-indexed, stored
    in the row): finding, counting and ranking them never reads a body's vector."""
    return pg_condition(parsed, params, title_only=True)


def _pg_rest(parsed: ParsedQuery, params: dict[str, Any], title: str) -> str:
    """Hits outside the title tier.

    A phrase (``<->``) on GIN means reading each candidate's whole vector again (``all_text``
    holds the body: ~8 KB, in TOAST) to check positions. The candidates are found with the
    phrase's tokens anywhere (no vector is read), title hits are dropped first (their small
    vectors are in the row), and only the others are checked for the phrase.
    """
    match = pg_condition(parsed, params, title_only=False)
    if not has_phrases(parsed):
        return f"({match}) AND NOT ({title})"
    loose = pg_condition(parsed, params, title_only=False, loose=True)
    # CASE evaluates in order: the exact test runs only for rows that are not title hits.
    return f"({loose}) AND CASE WHEN {title} THEN FALSE ELSE {_pg_exact(parsed)} END"


def _pg_exact(parsed: ParsedQuery) -> str:
    """``pg_condition(…, title_only=False)`` tested row by row at the least cost: the small
    pinyin vectors (in the row) first, a body phrase last; a single body token is looked up
    once in the GIN index (a hashed subplan) instead of reading each row's body vector."""
    clauses = []
    for n, part in enumerate(parsed.parts):
        alts = []
        if part.initials:
            alts.append(f"f.all_pyi @@ CAST(:q{n}i AS tsquery)")
        if part.full:
            alts.append(f"f.all_py @@ CAST(:q{n}f AS tsquery)")
        if len(part.words) > 1:
            alts.append(f"f.all_text @@ CAST(:q{n}w AS tsquery)")
        else:
            alts.append(f"f.id IN (SELECT g.id FROM fts_search g "
                        f"WHERE g.all_text @@ CAST(:q{n}w AS tsquery))")
        clauses.append("(" + " OR ".join(alts) + ")")
    return " AND ".join(clauses)


def _pg_title_score(parsed: ParsedQuery) -> str:
    return "-(" + " + ".join(
        f"ts_rank(f.{column}, CAST(:q{n}w AS tsquery))"
        for n in range(len(parsed.parts)) for column in ("title", "doc_number")) + ")"


def _pg_source(condition: str, score: str, filter_sql: str) -> str:
    """FROM … for the hits of ``condition``; the entries are joined only when filtering."""
    # OFFSET 0 keeps the match set (and its join to the filters) apart from the ORDER BY and
    # LIMIT, so it is found with the GIN bitmaps and one hash join instead of testing ``@@``
    # row by row in id order or a nested loop over every pair.
    join = f" JOIN search_entry e ON e.id = f.id AND {filter_sql}" if filter_sql else ""
    return (f"FROM (SELECT f.id, {score} AS score FROM fts_search f{join} WHERE {condition} "
            "OFFSET 0) m")


def _count(source: str, params: dict[str, Any]) -> int:
    return int(db.session.execute(text(f"SELECT COUNT(*) {source}"), params).scalar() or 0)


def _page(source: str, ranked: bool, params: dict[str, Any], limit: int,
          offset: int) -> list[int]:
    """Entry ids only: sorting narrow rows is what keeps common words fast."""
    order = "m.score, m.id DESC" if ranked else "m.id DESC"
    sql = f"SELECT m.id {source} ORDER BY {order} LIMIT :lim OFFSET :off"
    return list(db.session.execute(text(sql), {**params, "lim": limit, "off": offset})
                .scalars())


#: A tier this dense is paged by walking the index newest first and testing each row (about
#: 10 µs a row: a body vector is read) instead of finding all its hits (under 1 µs a hit, but
#: every hit): when hits² ≥ DENSE_FACTOR × rows wanted × rows in the index. At 50,000
#: documents a page of 10 walks the index from ~2,800 hits on.
DENSE_FACTOR = 16


def _dense(total: int, wanted: int) -> bool:
    rows = db.session.execute(text(
        "SELECT reltuples FROM pg_class WHERE oid = 'fts_search'::regclass")).scalar()
    return bool(rows and rows > 0 and total * total >= DENSE_FACTOR * wanted * rows)


def _walk(condition: str, filter_sql: str, params: dict[str, Any], limit: int,
          offset: int) -> list[int]:
    """Newest hits first by walking the primary key backwards; CASE hides ``condition`` from
    the GIN indexes and keeps its order of evaluation (cheap vectors first)."""
    join = f" JOIN search_entry e ON e.id = f.id AND {filter_sql}" if filter_sql else ""
    sql = (f"SELECT f.id FROM fts_search f{join} WHERE CASE WHEN {condition} THEN TRUE "
           "ELSE FALSE END ORDER BY f.id DESC LIMIT :lim OFFSET :off")
    return list(db.session.execute(text(sql), {**params, "lim": limit, "off": offset})
                .scalars())


def _run_postgres(parsed: ParsedQuery, filter_sql: str, params: dict[str, Any], limit: int,
                  offset: int) -> tuple[int, list[int]]:
    # The planner cannot see that ``@@`` on a body means detoasting it, and picks a
    # sequential scan for common words (several times slower than the GIN bitmaps).
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    # A plan it still costs at 10^10 would pass jit_above_cost: compiling took 50-130 ms
    # for a query of a millisecond.
    db.session.execute(text("SET LOCAL jit = off"))
    try:
        values = dict(params)
        title = _pg_title(parsed, values)
        rest = _pg_rest(parsed, values, title)
        title_total = _count(_pg_source(title, "0", filter_sql), values)
        if has_phrases(parsed):
            rest_total = _count(_pg_source(rest, "0", filter_sql), values)
        else:  # GIN answers single tokens exactly: counting all hits reads no column
            match = pg_condition(parsed, values, title_only=False)
            rest_total = _count(_pg_source(match, "0", filter_sql), values) - title_total
        ids: list[int] = []
        if offset < title_total:
            ranked = title_total <= RANK_UP_TO
            if not ranked and _dense(title_total, offset + limit):
                ids = _walk(title, filter_sql, values, limit, offset)
            else:
                source = _pg_source(title, _pg_title_score(parsed) if ranked else "0",
                                    filter_sql)
                ids = _page(source, ranked, values, limit, offset)
        if len(ids) < limit and rest_total:
            ranked = rest_total <= RANK_UP_TO
            wanted, skip = limit - len(ids), max(0, offset - title_total)
            if not ranked and _dense(rest_total, wanted + skip):
                exact = pg_condition(parsed, values, title_only=False)
                ids += _walk(f"CASE WHEN {title} THEN FALSE ELSE {exact} END", filter_sql,
                             values, wanted, skip)
            else:
                source = _pg_source(rest, f"-({pg_score(parsed)})" if ranked else "0",
                                    filter_sql)
                ids += _page(source, ranked, values, wanted, skip)
    finally:  # the caller's transaction goes on with the usual planner
        db.session.execute(text("SET LOCAL enable_seqscan = on"))
        db.session.execute(text("SET LOCAL jit = DEFAULT"))
    return title_total + rest_total, ids


def browse(filter_sql: str, params: dict[str, Any], limit: int, offset: int) -> tuple[
    int, list[Any]
]:
    """Newest first, for an empty query (browsing a category, an issuer, a year)."""
    where = f"WHERE {filter_sql}" if filter_sql else ""
    nulls = " NULLS LAST" if db.engine.dialect.name == "postgresql" else ""
    total = db.session.execute(
        text(f"SELECT COUNT(*) FROM search_entry e {where}"), params).scalar() or 0
    ids = db.session.execute(text(
        f"SELECT e.id FROM search_entry e {where} "
        f"ORDER BY e.issued_on DESC{nulls}, e.id DESC LIMIT :lim OFFSET :off"
    ), {**params, "lim": limit, "off": offset}).scalars()
    return int(total), entries(list(ids))
