"""per-collection embedder: the embedder a collection's vectors come from, and the
one a re-embedding is moving it to

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("collections") as batch:
        batch.add_column(sa.Column("embedder", sa.String(64), nullable=True))
        batch.add_column(sa.Column("reembed_to", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("collections") as batch:
        batch.drop_column("reembed_to")
        batch.drop_column("embedder")
