"""search: a GIN index on the 文号 vector (PostgreSQL only)

The title tier (title, 文号 and their pinyin) is found with GIN bitmaps alone: without this
index ``doc_number @@ …`` made every search read the whole ``fts_search`` heap (40-80 ms at
50,000 documents). Built from the stored vectors, so no reindex is needed. SQLite is
unchanged (its title tier is ``fts_title``, migration 0009).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 16:00:00

"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX fts_search_doc_number_gin ON fts_search USING gin (doc_number)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX fts_search_doc_number_gin")
