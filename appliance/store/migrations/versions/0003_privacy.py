"""privacy and GDPR: collection policies, purposes and retention; the identifier registry,
pseudonyms, mentions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("collections") as batch:
        batch.add_column(
            sa.Column("policy", sa.String(64), nullable=False, server_default="default")
        )
        batch.add_column(sa.Column("purpose", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("data_subjects", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("retention_days", sa.Integer, nullable=True))
        batch.add_column(
            sa.Column("legal_hold", sa.Boolean, nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("policy_name", sa.String(64), nullable=True))
        batch.add_column(sa.Column("policy_digest", sa.String(64), nullable=True))
        batch.add_column(sa.Column("pii_counts", sa.Text, nullable=False, server_default="{}"))
    op.create_table(
        "identifiers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("entity_type", sa.String(40), nullable=False),
        sa.Column("value_mac", sa.String(64), nullable=False, unique=True),
        sa.Column("value_sealed", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "identifier_terms",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "identifier_id",
            sa.String(32),
            sa.ForeignKey("identifiers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("term_mac", sa.String(64), nullable=False),
    )
    op.create_index("ix_identifier_terms_term", "identifier_terms", ["term_mac"])
    op.create_table(
        "pseudonyms",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "document_id",
            sa.String(32),
            sa.ForeignKey("documents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("placeholder", sa.String(64), nullable=False),
        sa.Column(
            "identifier_id",
            sa.String(32),
            sa.ForeignKey("identifiers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.UniqueConstraint(
            "document_id", "identifier_id", name="uq_pseudonyms_document_identifier"
        ),
    )
    op.create_index("ix_pseudonyms_identifier", "pseudonyms", ["identifier_id"])
    op.create_table(
        "mentions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "identifier_id",
            sa.String(32),
            sa.ForeignKey("identifiers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "chunk_id",
            sa.String(48),
            sa.ForeignKey("chunks.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "document_id",
            sa.String(32),
            sa.ForeignKey("documents.id", ondelete="CASCADE"),
            nullable=False,
        ),
    )
    op.create_index("ix_mentions_identifier", "mentions", ["identifier_id"])
    op.create_index("ix_mentions_chunk", "mentions", ["chunk_id"])


def downgrade() -> None:
    op.drop_table("mentions")
    op.drop_table("pseudonyms")
    op.drop_table("identifier_terms")
    op.drop_table("identifiers")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("pii_counts")
        batch.drop_column("policy_digest")
        batch.drop_column("policy_name")
    with op.batch_alter_table("collections") as batch:
        for column in ("legal_hold", "retention_days", "data_subjects", "purpose", "policy"):
            batch.drop_column(column)
