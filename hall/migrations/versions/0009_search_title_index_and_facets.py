"""search: a small title-tier FTS5 table and filter values as tokens (SQLite only)

``fts_search`` gains a ``facets`` column (filters become an AND in the match) and
``fts_title`` holds the title-tier columns alone, so finding, counting and ranking title hits
reads short doclists instead of the body's. Both are filled from the existing index (its
stored tokens and ``search_entry``), so no reindex is needed. PostgreSQL is unchanged.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 12:00:00

"""
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

COLUMNS = ("title", "doc_number", "issuer", "body", "title_py", "title_pyi", "meta_py", "meta_pyi")
TITLE_COLUMNS = ("title", "doc_number", "title_py", "title_pyi")
OPTIONS = "tokenize = 'unicode61 remove_diacritics 0', prefix = '1'"
# The tokens of content.search.tokenize.facet_tokens, in SQL (a NULL value adds none).
FACETS = ("trim('k' || e.kind || coalesce(' i' || e.issuer_id, '') || "
          "coalesce(' c' || e.category_id, '') || "
          "CASE WHEN e.category_root_id = e.category_id THEN '' "
          "ELSE coalesce(' c' || e.category_root_id, '') END || "
          "coalesce(' y' || e.year, '') || coalesce(' v' || nullif(e.validity, ''), ''))")


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    cols = ", ".join(COLUMNS)
    old = ", ".join(f"f.{c}" for c in COLUMNS)
    op.execute(f"CREATE VIRTUAL TABLE fts_search_new USING fts5({cols}, facets, {OPTIONS})")
    op.execute(f"INSERT INTO fts_search_new (rowid, {cols}, facets) SELECT f.rowid, {old}, "
               f"{FACETS} FROM fts_search f JOIN search_entry e ON e.id = f.rowid")
    op.execute("DROP TABLE fts_search")
    op.execute("ALTER TABLE fts_search_new RENAME TO fts_search")
    title_cols = ", ".join(TITLE_COLUMNS)
    op.execute(f"CREATE VIRTUAL TABLE fts_title USING fts5({title_cols}, facets, {OPTIONS})")
    op.execute(f"INSERT INTO fts_title (rowid, {title_cols}, facets) "
               f"SELECT rowid, {title_cols}, facets FROM fts_search")
    for table in ("fts_search", "fts_title"):
        op.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    cols = ", ".join(COLUMNS)
    op.execute("DROP TABLE fts_title")
    op.execute(f"CREATE VIRTUAL TABLE fts_search_old USING fts5({cols}, {OPTIONS})")
    op.execute(f"INSERT INTO fts_search_old (rowid, {cols}) SELECT rowid, {cols} FROM fts_search")
    op.execute("DROP TABLE fts_search")
    op.execute("ALTER TABLE fts_search_old RENAME TO fts_search")
