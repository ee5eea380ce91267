"""Relational tables. Every change here comes with an Alembic migration."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    # Every model is mapped to one Table (none to a join or a select), so Core statements
    # may use ``Model.__table__.insert()`` and ``.delete()``.
    __table__: ClassVar[Table]


class Collection(Base):
    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Bumped on every change of its documents, so caches (the lexical index) know
    # when they are stale, across processes.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    # The privacy policy (policies/<name>.yaml) applied to its documents and questions.
    policy: Mapped[str] = mapped_column(String(64), default="default")
    # For the record of processing (GDPR Art. 30) and subject-access exports.
    purpose: Mapped[str] = mapped_column(Text, default="")
    data_subjects: Mapped[str] = mapped_column(Text, default="")
    # Documents older than this are deleted by `gdpr sweep` (None: kept); a legal hold
    # suspends deletion.
    retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    # The chat model answering from this collection (a ChatModel's name); None: the
    # appliance's default.
    chat_model: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The embedder its vectors come from, and its questions are embedded by (None:
    # all-MiniLM-L6-v2, the only one before embedders could be chosen).
    embedder: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Set while a re-embedding into another embedder's vector space is under way (or
    # was interrupted): `appliance collections reembed` continues it.
    reembed_to: Mapped[str | None] = mapped_column(String(64), nullable=True)

    documents: Mapped[list[Document]] = relationship(back_populates="collection")


class DocumentStatus:
    PENDING = "pending"  # being ingested; invisible to retrieval
    READY = "ready"


class Document(Base):
    """One ingested file. Its name and title are sealed with the document's data key;
    lookups go through keyed hashes (``*_mac``) so no plaintext is needed to find it."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_collection_source", "collection_id", "source_mac"),
        Index("ix_documents_collection_content", "collection_id", "content_mac"),
        Index("ix_documents_parent", "parent_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    source_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    title_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    source_mac: Mapped[str] = mapped_column(String(64))
    content_mac: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    size_bytes: Mapped[int] = mapped_column(Integer)
    page_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=DocumentStatus.PENDING)
    # The policy that decided what was pseudonymised, and what it found (types, counts).
    policy_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    policy_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pii_counts: Mapped[str] = mapped_column(Text, default="{}")
    # How the text was extracted: {"ocr_pages": [2, 3], "pages_without_text": [4],
    # "encoding": "cp1254"} (page numbers and a codec name; no document content).
    extraction: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    # The document this one came attached to (an e-mail); deleted with it.
    parent_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    collection: Mapped[Collection] = relationship(back_populates="documents")
    chunks: Mapped[list[Chunk]] = relationship(
        back_populates="document", cascade="all, delete-orphan", passive_deletes=True
    )


class Chunk(Base):
    __tablename__ = "chunks"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    ordinal: Mapped[int] = mapped_column(Integer)
    page: Mapped[int | None] = mapped_column(Integer, nullable=True)
    section_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    text_sealed: Mapped[bytes] = mapped_column(LargeBinary)

    document: Mapped[Document] = relationship(back_populates="chunks")


class KekVersion(Base):
    """A key-encryption-key version: its KDF parameters and verifier, never the key."""

    __tablename__ = "kek_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    params: Mapped[str] = mapped_column(Text)
    verifier: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DataKeyRow(Base):
    """A data key, wrapped under the KEK (``wrapped_next``: mid-rotation copy)."""

    __tablename__ = "data_keys"
    __table_args__ = (UniqueConstraint("scope", "owner", name="uq_data_keys_scope_owner"),)

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(String(64))
    kek_version: Mapped[int] = mapped_column(Integer)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    wrapped_next: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Identifier(Base):
    """A personal value found in documents (a name, an IBAN, an e-mail...): the data
    subject registry. Looked up by keyed hash; the value is sealed under the
    identifier's own data key (scope ``subject``), so erasure shreds it."""

    __tablename__ = "identifiers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    value_mac: Mapped[str] = mapped_column(String(64), unique=True)
    value_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IdentifierTerm(Base):
    """Keyed hash of one word of a name, so "Wilhelmina" finds "Wilhelmina Quatermass"."""

    __tablename__ = "identifier_terms"
    __table_args__ = (Index("ix_identifier_terms_term", "term_mac"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier_id: Mapped[str] = mapped_column(ForeignKey("identifiers.id", ondelete="CASCADE"))
    term_mac: Mapped[str] = mapped_column(String(64))


class PseudonymRow(Base):
    """Which identifiers a document's placeholder stands for (a full name and the
    shorter mentions that joined it share one placeholder)."""

    __tablename__ = "pseudonyms"
    __table_args__ = (
        UniqueConstraint("document_id", "identifier_id", name="uq_pseudonyms_document_identifier"),
        Index("ix_pseudonyms_identifier", "identifier_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    placeholder: Mapped[str] = mapped_column(String(64))
    identifier_id: Mapped[str] = mapped_column(ForeignKey("identifiers.id", ondelete="CASCADE"))


class Mention(Base):
    """An identifier appears (as a placeholder) in a chunk."""

    __tablename__ = "mentions"
    __table_args__ = (
        Index("ix_mentions_identifier", "identifier_id"),
        Index("ix_mentions_chunk", "chunk_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier_id: Mapped[str] = mapped_column(ForeignKey("identifiers.id", ondelete="CASCADE"))
    chunk_id: Mapped[str] = mapped_column(ForeignKey("chunks.id", ondelete="CASCADE"))
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))


class AuditRecord(Base):
    """One audit event. Append-only; each record chains the hash of the one before.
    Metadata only: never personal values, never raw prompt text."""

    __tablename__ = "audit_records"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(32), unique=True)
    at: Mapped[str] = mapped_column(String(32))  # RFC 3339, UTC, milliseconds
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), index=True)
    resource: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A signed commitment to the chain head (and a Merkle root of the records since
    the previous checkpoint), verifiable offline with the public key."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    merkle_root: Mapped[str] = mapped_column(String(64))
    from_seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[str] = mapped_column(String(32))
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)  # hex


# -- accounts (the web UI and API) -----------------------------------------------


class Role:
    STAFF = "staff"
    COMPLIANCE = "compliance_officer"
    ADMIN = "admin"
    ALL = (STAFF, COMPLIANCE, ADMIN)


class User(Base):
    """An account. Usernames are kept in clear: the audit trail names them."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("source", "external_subject", name="uq_users_source_subject"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))  # Argon2id, PHC string
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # "local" (a password here), "ldap" or "oidc" (the organisation's directory signs
    # the user in; the password hash is then unusable), and the user's stable subject
    # there (LDAP DN, OpenID issuer + "|" + sub).
    source: Mapped[str] = mapped_column(String(16), default="local", server_default="local")
    external_subject: Mapped[str | None] = mapped_column(String(255), nullable=True)


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class Access:
    READ = "read"  # ask and retrieve, open cited passages
    CONTRIBUTE = "contribute"  # also upload and delete documents
    ALL = (READ, CONTRIBUTE)


class CollectionGrant(Base):
    """A collection opened to one user or one group; nobody has access without one."""

    __tablename__ = "collection_grants"
    __table_args__ = (UniqueConstraint("collection_id", "user_id", "group_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), nullable=True
    )
    access: Mapped[str] = mapped_column(String(16), default=Access.READ)


class WebSession(Base):
    """A signed-in browser. Only the token's SHA-256 is stored."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # For a directory account: what its provider needs to confirm the user again (an
    # OpenID refresh token, sealed by the provider's module), and when it last did.
    directory_state: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class OidcAnswer(Base):
    """An OpenID sign-in answer already used (the SHA-256 of its ``state``), kept until
    its pending sign-in would have expired: each answer signs in once, whichever web
    process it reaches."""

    __tablename__ = "oidc_answers"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class ApiKey(Base):
    """A user's key for the OpenAI-compatible API. Only the secret's SHA-256 is stored."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # shown as the key's prefix
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Conversation(Base):
    """Chat history, sealed with the conversation's own data key (shredded on delete)."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    title_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("conversation_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(16))  # "user" or "assistant"
    body_sealed: Mapped[bytes] = mapped_column(LargeBinary)  # JSON: text, citations, notes
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ChatModel(Base):
    """A GGUF chat model an administrator added (``appliance models add``): what its
    header said and the sha256 it had, so the audit trail can name exactly which
    weights answered."""

    __tablename__ = "chat_models"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    architecture: Mapped[str] = mapped_column(String(64))
    context_length: Mapped[int | None] = mapped_column(Integer, nullable=True)
    lora_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    lora_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The model every collection without its own uses (at most one row).
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UpkeepJob(Base):
    """One scheduled upkeep job (``checkpoint``, ``retention``...): when it last ran and
    how, when it is due, and who holds it. With several web processes on one database
    the lease (holder, until) lets exactly one of them run a job at a time; a lease
    past ``lease_until`` belongs to a runner that died and may be taken over."""

    __tablename__ = "upkeep_jobs"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    interval_seconds: Mapped[int] = mapped_column(Integer)
    next_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_finished_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    # "ok" or "failed", and for a failure a short reason that never quotes personal data.
    last_outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    last_reason: Mapped[str] = mapped_column(Text, default="")
    last_duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # What the last run met on its way in: runs missed while the server was down, a
    # run before it that never finished.
    warning: Mapped[str] = mapped_column(Text, default="")
    lease_holder: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class UsageEvent(Base):
    """One question or one ingested file, counted for the usage and cost page.

    Counts only: no question text, no file name, no answer; the user is the account's
    id (None: the machine's own shell), the groups are in :class:`UsageEventGroup`.
    """

    __tablename__ = "usage_events"
    __table_args__ = (Index("ix_usage_events_day", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)  # UTC
    # "question" (ask from documents), "chat" (plain chat, the API), "document".
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The collection's name ("" for plain chat); kept when the collection goes.
    collection: Mapped[str] = mapped_column(String(64), default="")
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    ttft_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[bool] = mapped_column(Boolean, default=False)
    pii_blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    # How it ended: "answered", "nothing_found", "not_allowed", "too_long", "overloaded",
    # "cancelled", "pii_blocked", "egress_refused" (the hybrid gateway's final scan),
    # "error"; for a file its ingestion status ("added"...).
    outcome: Mapped[str] = mapped_column(String(16), default="")
    # Answered by an external model through the hybrid gateway: its model name ("" for
    # the appliance's own models) and the cost the administrator's price gave (None:
    # no price entered, or not external).
    external_model: Mapped[str] = mapped_column(String(128), default="")
    external_cost: Mapped[float | None] = mapped_column(Float, nullable=True)


class UsageEventGroup(Base):
    """The groups the user belonged to when the event happened (group ids, kept after
    a group is deleted, so past figures do not change)."""

    __tablename__ = "usage_event_groups"
    __table_args__ = (Index("ix_usage_event_groups_group", "group_id"),)

    event_id: Mapped[int] = mapped_column(
        ForeignKey("usage_events.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class GatewayEndpoint(Base):
    """An external OpenAI-compatible endpoint an administrator attached to a collection
    or to plain chat (the hybrid gateway, off unless a row exists). The API key is
    sealed with the data key of (``gateway``, target), shredded on detach."""

    __tablename__ = "gateway_endpoints"

    # "collection:<name>" or "chat" (plain chat).
    target: Mapped[str] = mapped_column(String(80), primary_key=True)
    url: Mapped[str] = mapped_column(Text)  # the base URL, e.g. https://host/v1
    model: Mapped[str] = mapped_column(String(128))
    key_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # The administrator's price per 1,000 tokens (prompt and completion), in the
    # usage page's currency; None: not entered.
    price_per_1k: Mapped[float | None] = mapped_column(Float, nullable=True)
    timeout_seconds: Mapped[float] = mapped_column(Float, default=60.0)
    attached_by: Mapped[str] = mapped_column(String(128), default="")
    attached_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ServiceSecret(Base):
    """A credential the appliance presents to a service it uses (today: the bearer
    token of a Chroma server's proxy, ``chroma_token``), sealed with the data key of
    (``service``, name); replacing or clearing it shreds that key."""

    __tablename__ = "service_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    set_by: Mapped[str] = mapped_column(String(128), default="")
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SummaryStatus:
    RUNNING = "running"
    CANCELLED = "cancelled"
    FAILED = "failed"
    DONE = "done"


class Summary(Base):
    """A document's summary job and, once done, its result: statements with their
    section and page, sealed (JSON) with the document's data key, so the summary goes
    when the document's key is shredded and its row with the document (cascade)."""

    __tablename__ = "summaries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(16), default=SummaryStatus.RUNNING)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[str] = mapped_column(String(128), default="")
    # "<host>:<pid>" of the process running it: a running job whose process is gone
    # was interrupted (a restart) and may be resumed.
    runner: Mapped[str] = mapped_column(String(128), default="")
    model: Mapped[str] = mapped_column(String(64), default="")
    total_steps: Mapped[int] = mapped_column(Integer, default=0)
    done_steps: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[str] = mapped_column(Text, default="{}")  # JSON: numbers, never text
    result_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SummaryStep(Base):
    """One finished step of a summary job (a section part's statements, or one reduce
    group's), sealed like the summary: what a resumed job does not compute again."""

    __tablename__ = "summary_steps"
    __table_args__ = (UniqueConstraint("summary_id", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    summary_id: Mapped[str] = mapped_column(
        ForeignKey("summaries.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[str] = mapped_column(String(32))  # "map:3:0", "reduce:1:2"
    result_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
