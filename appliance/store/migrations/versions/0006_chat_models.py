"""chat models added by an administrator; a chat model per collection

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_models",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("architecture", sa.String(64), nullable=False),
        sa.Column("context_length", sa.Integer, nullable=True),
        sa.Column("lora_path", sa.Text, nullable=True),
        sa.Column("lora_sha256", sa.String(64), nullable=True),
        sa.Column("is_default", sa.Boolean, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("collections") as batch:
        batch.add_column(sa.Column("chat_model", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("collections") as batch:
        batch.drop_column("chat_model")
    op.drop_table("chat_models")
