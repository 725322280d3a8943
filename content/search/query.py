"""Reading the index: a user's text → a safe match expression → ranked, filtered hits.

Every token is quoted by us (FTS5 strings, tsquery literals), so nothing a user types can
become query syntax. Title hits form the first tier; bm25 / ts_rank order within a tier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from content.search.models import FILTER_INDEX
from content.search.pinyin import query_alternatives
from content.search.tokenize import Term, phrase_terms, query_parts, runs
from hall.extensions import db

TEXT_COLUMNS = ("title", "doc_number", "issuer", "body")
#: The first tier: a hit in the title or the 文号 (someone typing a 文号 wants that document).
TITLE_TEXT = ("title", "doc_number")
INITIAL_COLUMNS = ("title_pyi", "meta_pyi")
FULL_COLUMNS = ("title_py", "meta_py")
#: bm25 weights per column (same order as the FTS5 table's columns).
BM25_WEIGHTS = "10.0, 4.0, 4.0, 1.0, 6.0, 6.0, 2.0, 2.0"


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

def tsquery_literal(terms: list[Term]) -> str:
    """``'政府' <-> '府信'`` with each token quoted as a tsquery literal."""
    return " <-> ".join(
        "'" + t.token.replace("\\", "\\\\").replace("'", "''") + "'" + (":*" if t.prefix else "")
        for t in terms
    )


def pg_condition(parsed: ParsedQuery, params: dict[str, Any], *, title_only: bool) -> str:
    """SQL over ``f`` (fts_search) that is true when every part matches somewhere allowed."""
    text_col, init_col, full_col = (("title", "title_pyi", "title_py") if title_only
                                    else ("all_text", "all_pyi", "all_py"))
    clauses = []
    for n, part in enumerate(parsed.parts):
        params[f"q{n}w"] = tsquery_literal(part.words)
        alts = [f"f.{text_col} @@ CAST(:q{n}w AS tsquery)"]
        if title_only:
            alts.append(f"f.doc_number @@ CAST(:q{n}w AS tsquery)")
        if part.initials:
            params[f"q{n}i"] = tsquery_literal(part.initials)
            alts.append(f"f.{init_col} @@ CAST(:q{n}i AS tsquery)")
        if part.full:
            params[f"q{n}f"] = tsquery_literal(part.full)
            alts.append(f"f.{full_col} @@ CAST(:q{n}f AS tsquery)")
        clauses.append("(" + " OR ".join(alts) + ")")
    return " AND ".join(clauses)


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

_ENTRY_COLUMNS = ("e.id, e.kind, e.object_id, e.title, e.doc_number, e.issuer_name, "
                  "e.issued_on, e.validity, e.body")
#: Above this many hits in a tier, the tier is ordered newest (last indexed) first instead
#: of by relevance: scoring every hit of a very common word costs tens of milliseconds, and
#: among thousands of equally good hits the newest are the useful ones.
RANK_UP_TO = 1000
#: Filter parameters (see ``content.search._filter_sql``) that leave a small share of entries.
SELECTIVE_FILTERS = frozenset({"f_cat", "f_issuer", "f_year"})


@dataclass
class _Tier:
    source: str  # FROM ... WHERE ... (the filters are appended)
    score: str  # ascending = better
    params: dict[str, Any]
    key: str = "e.id"  # the entry id in ``source``


def _sqlite_source(filtered: bool) -> tuple[str, str]:
    """(FROM ... WHERE, id column) over FTS5; the entry table is joined only to filter.

    CROSS JOIN keeps SQLite on the FTS5 side first; ``INDEXED BY`` makes it look each match
    up in the narrow covering index rather than the wide rows (3-4× faster for common words).
    """
    if not filtered:
        return "FROM fts_search WHERE fts_search MATCH :m", "fts_search.rowid"
    hint = f" INDEXED BY {FILTER_INDEX}" if _has_filter_index() else ""
    return (f"FROM fts_search CROSS JOIN search_entry e{hint} ON e.id = fts_search.rowid "
            "WHERE fts_search MATCH :m", "fts_search.rowid")


_FILTER_INDEX_SEEN: dict[str, bool] = {}


def _has_filter_index() -> bool:
    """Whether this database has the covering index (a database made before it has not)."""
    url = str(db.engine.url)
    found = _FILTER_INDEX_SEEN.get(url)
    if found is None:
        found = bool(db.session.execute(text(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = :n"),
            {"n": FILTER_INDEX}).first())
        _FILTER_INDEX_SEEN[url] = found
    return found


def _tiers(parsed: ParsedQuery, filtered: bool) -> tuple[_Tier, _Tier, _Tier]:
    """(title hits, other hits, all hits): the second excludes the first."""
    if db.engine.dialect.name == "postgresql":
        params: dict[str, Any] = {}
        match = pg_condition(parsed, params, title_only=False)
        title = pg_condition(parsed, params, title_only=True)

        def source(condition: str, score: str) -> str:
            # OFFSET 0 keeps the match set apart from the join, so it is found with the GIN
            # bitmaps instead of testing ``@@`` row by row on the (toasted) bodies.
            return (f"FROM (SELECT f.id, {score} AS score FROM fts_search f WHERE {condition} "
                    "OFFSET 0) m JOIN search_entry e ON e.id = m.id WHERE TRUE")

        title_score = " + ".join(
            f"ts_rank(f.{column}, CAST(:q{n}w AS tsquery))"
            for n in range(len(parsed.parts)) for column in ("title", "doc_number"))
        return (
            _Tier(source(title, f"-({title_score})"), "m.score", params),
            _Tier(source(f"({match}) AND NOT ({title})", f"-({pg_score(parsed)})"), "m.score",
                  params),
            _Tier(source(match, "0"), "", params),
        )
    base, key = _sqlite_source(filtered)
    score = f"bm25(fts_search, {BM25_WEIGHTS})"
    title = fts5_expression(parsed, title_only=True)
    everything = fts5_expression(parsed)
    rest = f"({everything}) NOT ({title})"
    return (_Tier(base, score, {"m": title}, key), _Tier(base, score, {"m": rest}, key),
            _Tier(base, "", {"m": everything}, key))


def _count(tier: _Tier, where: str, params: dict[str, Any]) -> int:
    sql = f"SELECT COUNT(*) {tier.source}{where}"
    return int(db.session.execute(text(sql), {**params, **tier.params}).scalar() or 0)


def _page(tier: _Tier, order: str, where: str, params: dict[str, Any], limit: int,
          offset: int) -> list[int]:
    """Entry ids only: sorting narrow rows is what keeps common words fast."""
    sql = f"SELECT {tier.key} {tier.source}{where} ORDER BY {order} LIMIT :lim OFFSET :off"
    values = {**params, **tier.params, "lim": limit, "off": offset}
    return list(db.session.execute(text(sql), values).scalars())


def entries(ids: list[int]) -> list[Any]:
    """The entry rows of these ids, in this order."""
    if not ids:
        return []
    marks = ", ".join(str(int(i)) for i in ids)
    rows = db.session.execute(text(
        f"SELECT {_ENTRY_COLUMNS} FROM search_entry e WHERE e.id IN ({marks})")).all()
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def run(parsed: ParsedQuery, filter_sql: str, params: dict[str, Any], limit: int,
        offset: int) -> tuple[int, list[Any]]:
    """(total, rows) for a non-empty query: title hits first, then the rest."""
    where = f" AND {filter_sql}" if filter_sql else ""
    postgres = db.engine.dialect.name == "postgresql"
    joined = bool(filter_sql)
    if not postgres and SELECTIVE_FILTERS.intersection(params):
        # A category, issuer or year leaves a few thousand entries, found in their own index:
        # testing each match against that set costs half of looking every match up.
        where = f" AND +fts_search.rowid IN (SELECT e.id FROM search_entry e WHERE {filter_sql})"
        joined = False
    if postgres:
        # The planner cannot see that ``@@`` on a body means detoasting it, and picks a
        # sequential scan for common words (several times slower than the GIN bitmaps).
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        # A scan it must still do (no index on doc_number) then costs 10^10, far past
        # jit_above_cost: compiling took 50-130 ms for a query of a millisecond.
        db.session.execute(text("SET LOCAL jit = off"))
    try:
        title, rest, everything = _tiers(parsed, joined)
        total = _count(everything, where, params)
        title_total = _count(title, where, params) if total else 0  # no hit: no second count
        rest_total = total - title_total
        rows: list[int] = []
        newest = f"{title.key} DESC"
        if offset < title_total:
            order = f"{title.score}, {newest}" if title_total <= RANK_UP_TO else newest
            rows = _page(title, order, where, params, limit, offset)
        if not title_total and not postgres:
            # No title hits: "all but the title hits" is all, without evaluating the title
            # expression again (nor bm25's per-phrase passes over it).
            rest = _Tier(everything.source, rest.score, everything.params, everything.key)
        if len(rows) < limit and rest_total:
            order = f"{rest.score}, {newest}" if rest_total <= RANK_UP_TO else newest
            rows += _page(rest, order, where, params, limit - len(rows),
                          max(0, offset - title_total))
    finally:
        if postgres:  # the caller's transaction goes on with the usual planner
            db.session.execute(text("SET LOCAL enable_seqscan = on"))
            db.session.execute(text("SET LOCAL jit = DEFAULT"))
    return title_total + rest_total, entries(rows)


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
