"""documents: how the text was extracted (pages read by OCR, pages without text,
encoding), and the document a file came attached to (an e-mail's attachments)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
# Branch docs15 was cut before 0006 (chat models) existed on main; when both are in
# one tree this must read "0006", or Alembic finds two heads.
down_revision = "0006"
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
