"""documents: how the text was extracted (pages read by OCR, pages without text,
encoding), and the document a file came attached to (an e-mail's attachments)

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
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("extraction", sa.Text, nullable=False, server_default="{}"))
        batch.add_column(sa.Column("parent_id", sa.String(32), nullable=True))
        batch.create_index("ix_documents_parent", ["parent_id"])


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_index("ix_documents_parent")
        batch.drop_column("parent_id")
        batch.drop_column("extraction")
