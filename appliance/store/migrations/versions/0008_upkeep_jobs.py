"""scheduled upkeep: one row per job (schedule, last run and outcome, lease)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upkeep_jobs",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("interval_seconds", sa.Integer, nullable=False),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_outcome", sa.String(16), nullable=True),
        sa.Column("last_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("last_duration_ms", sa.Integer, nullable=True),
        sa.Column("warning", sa.Text, nullable=False, server_default=""),
        sa.Column("lease_holder", sa.String(128), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("upkeep_jobs")
