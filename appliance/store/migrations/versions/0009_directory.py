"""directory sign-in: where an account comes from (local, LDAP, OpenID), its
subject at the provider, and the provider's last word on a web session

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("source", sa.String(16), nullable=False, server_default="local"))
        batch.add_column(sa.Column("external_subject", sa.String(255), nullable=True))
        batch.create_unique_constraint("uq_users_source_subject", ["source", "external_subject"])
    with op.batch_alter_table("web_sessions") as batch:
        batch.add_column(sa.Column("directory_state", sa.LargeBinary, nullable=True))
        batch.add_column(sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_sessions") as batch:
        batch.drop_column("checked_at")
        batch.drop_column("directory_state")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_source_subject", type_="unique")
        batch.drop_column("external_subject")
        batch.drop_column("source")
