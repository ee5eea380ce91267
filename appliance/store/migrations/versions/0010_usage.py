"""usage and cost: one row per question or ingested file (counts only), its groups

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=True),
        sa.Column("collection", sa.String(64), nullable=False, server_default=""),
        sa.Column("prompt_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("completion_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("ttft_ms", sa.Integer, nullable=True),
        sa.Column("latency_ms", sa.Integer, nullable=False, server_default="0"),
        sa.Column("refused", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("pii_blocked", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("outcome", sa.String(16), nullable=False, server_default=""),
    )
    op.create_index("ix_usage_events_day", "usage_events", ["day"])
    op.create_table(
        "usage_event_groups",
        sa.Column(
            "event_id",
            sa.Integer,
            sa.ForeignKey("usage_events.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("group_id", sa.Integer, primary_key=True),
    )
    op.create_index("ix_usage_event_groups_group", "usage_event_groups", ["group_id"])


def downgrade() -> None:
    op.drop_table("usage_event_groups")
    op.drop_table("usage_events")
