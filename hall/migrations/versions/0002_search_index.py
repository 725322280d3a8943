"""search index: search_entry + raw fts_search (FTS5 on SQLite, tsvector + GIN on PostgreSQL)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 20:40:00

"""
import sqlalchemy as sa
from alembic import op

import hall.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# SQLite: one FTS5 table with a column per field.
COLUMNS = ("title", "doc_number", "issuer", "body", "title_py", "title_pyi", "meta_py", "meta_pyi")
# PostgreSQL: per-field vectors for ranking and title hits, all_* vectors for matching.
PG_COLUMNS = ("title", "doc_number", "issuer", "title_py", "title_pyi", "all_text", "all_py",
              "all_pyi")
PG_INDEXED = ("title", "title_py", "title_pyi", "all_text", "all_py", "all_pyi")


def upgrade():
    op.create_table(
        'search_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('doc_number', sa.String(length=100), nullable=False),
        sa.Column('issuer_name', sa.String(length=100), nullable=False),
        sa.Column('issuer_id', sa.Integer(), nullable=True),
        sa.Column('category_id', sa.Integer(), nullable=True),
        sa.Column('category_root_id', sa.Integer(), nullable=True),
        sa.Column('issued_on', sa.Date(), nullable=True),
        sa.Column('year', sa.Integer(), nullable=True),
        sa.Column('validity', sa.String(length=10), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('updated_at', hall.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_entry')),
        sa.UniqueConstraint('kind', 'object_id', name=op.f('uq_search_entry_kind')),
    )
    with op.batch_alter_table('search_entry', schema=None) as batch_op:
        for column in ('category_id', 'category_root_id', 'issued_on', 'issuer_id', 'year'):
            batch_op.create_index(batch_op.f(f'ix_search_entry_{column}'), [column], unique=False)
        # Filtered searches join their matches through this narrow covering index.
        batch_op.create_index('ix_search_entry_filters', ['id', 'kind', 'issuer_id', 'category_id',
                              'category_root_id', 'year', 'validity'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        columns = ", ".join(f"{c} tsvector NOT NULL" for c in PG_COLUMNS)
        op.execute(
            "CREATE TABLE fts_search (id integer PRIMARY KEY REFERENCES search_entry (id) "
            f"ON DELETE CASCADE, {columns})"
        )
        for c in PG_INDEXED:
            op.execute(f"CREATE INDEX fts_search_{c}_gin ON fts_search USING gin ({c})")
    else:
        op.execute(
            f"CREATE VIRTUAL TABLE fts_search USING fts5({', '.join(COLUMNS)}, "
            "tokenize = 'unicode61 remove_diacritics 0', prefix = '1')"
        )


def downgrade():
    op.execute("DROP TABLE IF EXISTS fts_search")
    with op.batch_alter_table('search_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_search_entry_filters')
        for column in ('year', 'issuer_id', 'issued_on', 'category_root_id', 'category_id'):
            batch_op.drop_index(batch_op.f(f'ix_search_entry_{column}'))
    op.drop_table('search_entry')
