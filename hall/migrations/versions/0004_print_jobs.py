"""print jobs: the print spool's table (printer/spool.py)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 00:29:51.192918

"""
from alembic import op
import sqlalchemy as sa

import hall.db


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('print_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('printer', sa.String(length=50), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('slip', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('next_attempt_at', hall.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', hall.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', hall.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('reprint_of', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['reprint_of'], ['print_job.id'], name=op.f('fk_print_job_reprint_of_print_job'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_print_job')),
    sa.UniqueConstraint('token', name=op.f('uq_print_job_token'))
    )
    with op.batch_alter_table('print_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_print_job_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_print_job_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_print_job_printer'), ['printer'], unique=False)


def downgrade():
    with op.batch_alter_table('print_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_print_job_printer'))
        batch_op.drop_index('ix_print_job_due')
        batch_op.drop_index(batch_op.f('ix_print_job_created_at'))

    op.drop_table('print_job')
