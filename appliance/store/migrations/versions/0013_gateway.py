"""hybrid gateway: external OpenAI-compatible endpoints attached to a collection or to
plain chat (API key sealed), and the external model and cost of each counted question

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gateway_endpoints",
        sa.Column("target", sa.String(80), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("key_sealed", sa.LargeBinary, nullable=True),
        sa.Column("price_per_1k", sa.Float, nullable=True),
        sa.Column("timeout_seconds", sa.Float, nullable=False, server_default="60"),
        sa.Column("attached_by", sa.String(128), nullable=False, server_default=""),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("usage_events") as batch:
        batch.add_column(
            sa.Column("external_model", sa.String(128), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("external_cost", sa.Float, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("usage_events") as batch:
        batch.drop_column("external_cost")
        batch.drop_column("external_model")
    op.drop_table("gateway_endpoints")
