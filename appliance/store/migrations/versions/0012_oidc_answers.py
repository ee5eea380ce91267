"""OpenID sign-in answers already used, shared by every web process (a replayed
callback is refused whichever process it reaches)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oidc_answers",
        sa.Column("state_hash", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_oidc_answers_expires_at", "oidc_answers", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_oidc_answers_expires_at", table_name="oidc_answers")
    op.drop_table("oidc_answers")
