"""encryption at rest: keyring tables; sealed document and chunk fields

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Data directories made before encryption hold chunk text in plaintext, which
cannot be sealed here (migrations have no key). They are refused with a clear
message rather than silently left readable.
"""

import sqlalchemy as sa
from alembic import op

from appliance.errors import StoreError

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _document_table() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "collection_id",
            sa.Integer,
            sa.ForeignKey("collections.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("source_sealed", sa.LargeBinary, nullable=False),
        sa.Column("title_sealed", sa.LargeBinary, nullable=False),
        sa.Column("source_mac", sa.String(64), nullable=False),
        sa.Column("content_mac", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("page_count", sa.Integer, nullable=True),
        sa.Column("chunk_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_documents_collection_source", "documents", ["collection_id", "source_mac"])
    op.create_index(
        "ix_documents_collection_content", "documents", ["collection_id", "content_mac"]
    )


def _chunk_table() -> None:
    op.create_table(
        "chunks",
        sa.Column("id", sa.String(48), primary_key=True),
        sa.Column(
            "document_id",
            sa.String(32),
            sa.ForeignKey("documents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("page", sa.Integer, nullable=True),
        sa.Column("section_sealed", sa.LargeBinary, nullable=False),
        sa.Column("text_sealed", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_chunks_document_id", "chunks", ["document_id"])


def upgrade() -> None:
    held = op.get_bind().execute(sa.text("SELECT count(*) FROM documents")).scalar()
    if held:
        raise StoreError(
            f"this data directory holds {held} documents ingested before encryption at rest, "
            "with their text in plaintext. Move it aside, create a new data directory and "
            "ingest the source files again."
        )
    op.drop_table("chunks")
    op.drop_table("documents")
    _document_table()
    _chunk_table()
    op.create_table(
        "kek_versions",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("verifier", sa.LargeBinary, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "data_keys",
        sa.Column("key_id", sa.String(32), primary_key=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("kek_version", sa.Integer, nullable=False),
        sa.Column("wrapped", sa.LargeBinary, nullable=False),
        sa.Column("wrapped_next", sa.LargeBinary, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("scope", "owner", name="uq_data_keys_scope_owner"),
    )


def downgrade() -> None:
    raise StoreError("encryption at rest cannot be undone by a downgrade.")
