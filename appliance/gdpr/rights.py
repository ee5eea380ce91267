"""Subject access, erasure, retention and the record of processing."""

from __future__ import annotations

import json
import os
import re
import uuid
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from appliance import __version__
from appliance.caller import Caller
from appliance.errors import StoreError
from appliance.files import crash_point, is_inside
from appliance.privacy import PLACEHOLDER
from appliance.rag.conversations import (
    StoredConversation,
    name_word_pattern,
    name_words,
)
from appliance.store.schema import (
    Chunk,
    Collection,
    Document,
    DocumentStatus,
    Identifier,
    Mention,
    PseudonymRow,
    Role,
    User,
)

if TYPE_CHECKING:
    from appliance.startup import Parts

RECIPIENTS = (
    "None. The appliance processes data on this machine only; nothing is sent to "
    "third parties or third countries, and no cloud service is used."
)


def _now() -> datetime:
    return datetime.now(UTC)


def _retention(col: Collection) -> str:
    if col.legal_hold:
        return "on legal hold: nothing is deleted until the hold is lifted"
    if col.retention_days is None:
        return "kept until deleted (no retention period set)"
    return f"deleted {col.retention_days} days after it was added"


def _subject_documents(app: Parts, identifier_ids: list[str]) -> dict[str, set[str]]:
    """document id -> the subject's placeholders in it."""
    with app.db.session() as s:
        rows = s.execute(
            select(PseudonymRow.document_id, PseudonymRow.placeholder).where(
                PseudonymRow.identifier_id.in_(identifier_ids)
            )
        ).all()
    out: dict[str, set[str]] = {}
    for doc_id, placeholder in rows:
        out.setdefault(doc_id, set()).add(placeholder)
    return out


# -- the person, as the stores know them ----------------------------------------------


@dataclass
class Subject:
    """Everything that names one person: registered identifiers (values opened in
    memory only), the documents and placeholders behind them, and the keyed hashes
    and words by which conversation history is searched."""

    identifiers: list[Identifier]
    values: dict[str, str]  # identifier id -> value
    by_doc: dict[str, set[str]]  # document id -> the person's placeholders there
    keys: dict[str, str]  # value key (keyed hash) -> the value it stands for
    terms: set[str]  # keyed hashes of the words of the person's names
    names: list[str]  # the person's names, fullest first
    # Values and name words as they may be written, each with what replaces it.
    literals: list[tuple[re.Pattern[str], str]]


_NAME_LIKE = re.compile(r"[^\W\d_]+(?:[ .'’-]+[^\W\d_]+)*\.?")  # letters only: a name


def find_subject(app: Parts, subjects: list[str]) -> Subject:
    """The person named by ``subjects`` (names as written, e-mails, IBANs, IDs...)."""
    gate = app.identifiers
    identifiers = gate.find_identifiers(subjects)
    values = {i.id: gate.open_identifier(i) for i in identifiers}
    by_doc = _subject_documents(app, list(values))
    # Other spellings that documents gave the same placeholder ("Ms Thistlewood").
    aliases: list[Identifier] = []
    with app.db.session() as s:
        for doc_id, placeholders in by_doc.items():
            aliases += s.scalars(
                select(Identifier)
                .join(PseudonymRow, PseudonymRow.identifier_id == Identifier.id)
                .where(
                    PseudonymRow.document_id == doc_id,
                    PseudonymRow.placeholder.in_(placeholders),
                )
            )
    keys: dict[str, str] = {}
    for subject in subjects:
        for key in gate.subject_keys([subject]):
            keys[key] = subject
    names = [v for v in subjects if _NAME_LIKE.fullmatch(v.strip())]
    for row in {a.id: a for a in [*identifiers, *aliases]}.values():
        value = values.get(row.id) or gate.open_identifier(row)
        keys[row.value_mac] = value
        if row.entity_type == "PERSON":
            names.append(value)
    names = sorted(dict.fromkeys(n.strip() for n in names if n.strip()), key=len, reverse=True)
    terms = {t for n in names for t in gate.terms("PERSON", n)}
    words = {w for n in names for w in name_words(n)}
    others = [v.strip() for v in dict.fromkeys([*subjects, *keys.values()]) if v not in names]
    literals = [
        (name_word_pattern(w), "[PERSON]") for w in sorted(words, key=len, reverse=True)
    ] + [(re.compile(re.escape(v), re.IGNORECASE), "[REDACTED]") for v in others if v]
    return Subject(identifiers, values, by_doc, keys, terms, names, literals)


@dataclass
class ConversationHit:
    conversation: StoredConversation
    username: str
    own: list[dict[str, str]]  # per message: the person's placeholder -> their value


def _own_placeholders(message: dict[str, Any], subject: Subject) -> dict[str, str]:
    own = {}
    for placeholder, info in (message.get("pseudonyms") or {}).items():
        matched = [k for k in info.get("keys", []) if k in subject.keys]
        if matched:
            own[placeholder] = subject.keys[matched[0]]
        elif (
            info.get("type") == "PERSON"
            and info.get("terms")
            and set(info["terms"]) <= subject.terms
            and subject.names
        ):
            own[placeholder] = subject.names[0]  # a shorter mention of the person's name
    return own


def subject_conversations(app: Parts, subject: Subject) -> list[ConversationHit]:
    """Conversations whose title, questions or answers mention the person: a
    placeholder that stood for one of their values (or for words of their name), or
    one of their values or name words written out (a mention the detector missed).
    A first name alone matches everyone of that first name: the officer reviews."""
    if not subject.keys and not subject.literals:
        return []
    store = app.conversations
    hits = []
    for conv_id in store.all_ids():
        conv = store.read_any(conv_id)
        own = [_own_placeholders(m, subject) for m in conv.messages]
        texts = [conv.title, *(m.get("text", "") for m in conv.messages)]
        literal = any(p.search(t) for p, _ in subject.literals for t in texts)
        if literal or any(own):
            with app.db.session() as s:
                username = s.scalar(select(User.username).where(User.id == conv.user_id))
            hits.append(ConversationHit(conv, username or "", own))
    return hits


def _erase_from_conversation(hit: ConversationHit, subject: Subject) -> StoredConversation:
    """The conversation with the person gone: their placeholders stay but lose what
    they stood for (unresolvable, like a document's); their values or name words
    written out become ``[PERSON]`` (or ``[REDACTED]``), in the title too."""

    def scrub(text: str) -> str:
        for pattern, replacement in subject.literals:
            text = pattern.sub(replacement, text)
        return text

    conv = hit.conversation
    messages = []
    for message, own in zip(conv.messages, hit.own, strict=True):
        pseudonyms = {
            p: info for p, info in (message.get("pseudonyms") or {}).items() if p not in own
        }
        messages.append(
            {**message, "text": scrub(message.get("text", "")), "pseudonyms": pseudonyms}
        )
    return replace(conv, title=scrub(conv.title), messages=messages)


# -- access (Art. 15 / 20) --------------------------------------------------------


def private_export_path(data_dir: Path, now: datetime | None = None) -> Path:
    """Where a subject-access export goes when no ``--out`` is given: a folder beside
    the data directory (exports hold values in clear, so never inside it), created
    0700, e.g. ``~/.local/share/appliance-exports/subject-access-20260101T120000Z.zip``."""
    from appliance.files import ensure_private_dir

    folder = data_dir.with_name(data_dir.name + "-exports")
    ensure_private_dir(folder)
    return folder / f"subject-access-{(now or _now()):%Y%m%dT%H%M%SZ}.zip"


def export_subject(app: Parts, subjects: list[str], out: Path, who: Caller) -> dict[str, Any]:
    """Write a ZIP (``subject.json`` + ``README.txt``) of everything held about the
    person named by ``subjects``. Other people in the same passages stay placeholders."""
    out = out.expanduser().resolve()
    if is_inside(out, app.settings.data_dir):
        raise StoreError(
            f"{out} lies inside the data directory; exports hold personal data in clear, "
            "write them elsewhere."
        )
    if out.exists():
        raise StoreError(f"{out} already exists; choose a new file name.")
    subject = find_subject(app, subjects)
    identifiers, values, by_doc = subject.identifiers, subject.values, subject.by_doc
    conversations = subject_conversations(app, subject)
    collections = _check_export_role(app, by_doc, conversations, who)
    documents = []
    with app.db.session() as s:
        for doc_id, placeholders in sorted(by_doc.items()):
            doc = s.get(Document, doc_id)
            if doc is None or doc.status != DocumentStatus.READY:
                continue
            col = s.get(Collection, doc.collection_id)
            assert col is not None  # documents.collection_id is a foreign key
            info = app.vault.open_document(doc)
            own = {
                p: values[i]
                for p, i in s.execute(
                    select(PseudonymRow.placeholder, PseudonymRow.identifier_id).where(
                        PseudonymRow.document_id == doc_id,
                        PseudonymRow.identifier_id.in_(list(values)),
                    )
                ).all()
            }

            def reveal_own(text: str, own: dict[str, str] = own) -> str:
                return PLACEHOLDER.sub(lambda m: own.get(m.group(0), m.group(0)), text)

            passages = []
            for chunk in s.scalars(
                select(Chunk).where(Chunk.document_id == doc_id).order_by(Chunk.ordinal)
            ):
                section, text = app.vault.open_chunk(chunk, doc.collection_id)
                if any(p in text for p in placeholders):
                    passages.append(
                        {
                            "chunk_id": chunk.id,
                            "page": chunk.page,
                            "section": reveal_own(section),
                            "text": reveal_own(text),
                        }
                    )
            documents.append(
                {
                    "document_id": doc.id,
                    "collection": col.name,
                    "title": reveal_own(info.title),
                    "file": Path(info.source).name,
                    "added": doc.created_at.isoformat(),
                    "purpose": col.purpose or "(not recorded: set it with `collections set`)",
                    "retention": _retention(col),
                    "privacy_policy": {"name": doc.policy_name, "digest": doc.policy_digest},
                    "passages": passages,
                }
            )
    record = {
        "format": "appliance subject access export 1",
        "generated_at": _now().isoformat(timespec="seconds"),
        "generated_by": {"actor": who.actor, "role": who.role},
        "appliance_version": __version__,
        "controller": app.settings.organisation or "(set `organisation` in appliance.toml)",
        "identifiers": [
            {"type": i.entity_type, "value": values[i.id], "first_seen": i.created_at.isoformat()}
            for i in identifiers
        ],
        "documents": documents,
        "conversations": [_export_conversation(hit) for hit in conversations],
        "recipients": RECIPIENTS,
        "source": "documents added to the appliance by the controller's staff",
        "automated_decision_making": "none: answers are generated for staff, who decide",
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("subject.json", json.dumps(record, ensure_ascii=False, indent=2))
        zf.writestr("README.txt", _EXPORT_README)
    app.audit.append(
        "gdpr.export",
        **who.audit_fields(),
        identifiers=[{"id": i.id, "type": i.entity_type} for i in identifiers],
        documents=[d["document_id"] for d in documents],
        conversations=[h.conversation.id for h in conversations],
        collections=collections,
        **_authority(who),
    )
    return {
        "out": str(out),
        "identifiers": len(identifiers),
        "documents": len(documents),
        "passages": sum(len(d["passages"]) for d in documents),
        "conversations": len(conversations),
    }


def _export_conversation(hit: ConversationHit) -> dict[str, Any]:
    """A conversation as the person may read it: their placeholders show their value;
    other people's stay placeholders."""

    def reveal(text: str, own: dict[str, str]) -> str:
        return PLACEHOLDER.sub(lambda m: own.get(m.group(0), m.group(0)), text)

    conv = hit.conversation
    first = hit.own[0] if hit.own else {}
    return {
        "conversation_id": conv.id,
        "user": hit.username,
        "collection": conv.collection,
        "last_used": conv.updated_at.isoformat(timespec="seconds"),
        "title": reveal(conv.title, first),
        "messages": [
            {"from": m["sender"], "text": reveal(m.get("text", ""), own)}
            for m, own in zip(conv.messages, hit.own, strict=True)
        ],
        "purpose": "chat history, kept for its user until deleted or expired",
    }


def _authority(who: Caller) -> dict[str, str]:
    """What let the caller act on every collection involved (recorded with the act)."""
    if who.access is None:
        return {"authority": "the data directory's key (this machine's shell)"}
    if who.role == Role.COMPLIANCE:
        return {"authority": "compliance officer: subject requests span every collection"}
    return {"authority": "grants on every collection involved"}


def _check_grants(app: Parts, collections: set[str], who: Caller, act: str) -> None:
    """A subject request spans collections. A compliance officer runs it over every
    collection without grants: carrying out the controller's duty under Art. 15 and 17
    is their role, and each request is recorded with the collections it touched (see
    docs/compliance-guide.md). The shell, holding the key, has them all. Anyone else
    needs a grant on each collection that holds the person, or the request is refused
    as a whole, naming the collections, so no answer is silently partial."""
    from appliance.errors import NotAllowed

    if who.role == Role.COMPLIANCE:
        return
    missing = sorted(c for c in collections if not who.may(c))
    if missing:
        app.audit.append(
            f"gdpr.{act}",
            **who.audit_fields(),
            outcome="failure",
            reason="no grant on " + ", ".join(missing),
        )
        raise NotAllowed(
            f"the person appears in collections you have no access to ({', '.join(missing)}); "
            "ask an administrator for read access to them, then repeat the request."
        )


def _check_export_role(
    app: Parts, by_doc: dict[str, set[str]], conversations: list[ConversationHit], who: Caller
) -> list[str]:
    """An export re-identifies: every collection involved must let the role do that.
    Returns the collections involved."""
    from appliance.errors import NotAllowed

    with app.db.session() as s:
        rows = list(
            s.execute(
                select(Collection.name, Collection.policy)
                .join(Document, Document.collection_id == Collection.id)
                .where(Document.id.in_(list(by_doc)))
            ).all()
        )
        held = {h.conversation.collection for h in conversations}
        rows += s.execute(
            select(Collection.name, Collection.policy).where(Collection.name.in_(held))
        ).all()
    _check_grants(app, {c for c, _ in rows}, who, "export")
    names = {p for _, p in rows}
    for name in sorted(names):
        policy = app.privacy.policy(name)
        if not policy.may_reidentify(who.role):
            raise NotAllowed(
                f"role {who.role!r} may not re-identify personal data under the {name!r} "
                f"policy, so it cannot export it (allowed: {', '.join(policy.reidentify_roles)})."
            )
    return sorted({c for c, _ in rows})


_EXPORT_README = """\
Subject access export (GDPR Articles 15 and 20)

subject.json holds, in a machine-readable form:
- identifiers: the personal data about you the appliance found in documents
  (names as written, e-mail addresses, account and identity numbers...);
- documents: each document that mentions you, with its purpose, how long it is
  kept, and the passages that mention you. Other people mentioned in the same
  passages appear as placeholders such as <PERSON_2>, to protect their data;
- conversations: questions staff asked the appliance, and its answers, that
  mention you (other people again as placeholders);
- recipients: who else receives this data (nobody: it is processed on the
  controller's own machine).
"""


# -- erasure (Art. 17) --------------------------------------------------------------


@dataclass
class ErasureReceipt:
    receipt_id: str
    erased_at: str
    actor: str
    role: str
    identifiers: list[dict[str, str]] = field(default_factory=list)  # id and type, no values
    documents_deleted: list[str] = field(default_factory=list)
    documents_unlinked: list[str] = field(default_factory=list)
    keys_shredded: int = 0
    conversations_changed: int = 0
    # The documents by name (as stored: pseudonymised titles), for the officer; the audit
    # trail keeps the ids only.
    documents: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ErasurePlan:
    """What an erasure would do, shown before it is confirmed.

    ``delete``: documents about the person alone (no other person named), deleted
    whole unless the officer keeps them; ``unlink``: documents that also concern
    others, kept with the person's placeholders made unresolvable and the original
    file deleted. Each entry: document_id, collection, title (pseudonymised).
    """

    identifiers: int
    delete: list[dict[str, str]] = field(default_factory=list)
    unlink: list[dict[str, str]] = field(default_factory=list)
    conversations: int = 0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _outcomes(app: Parts, by_doc: dict[str, set[str]]) -> dict[str, str]:
    """document id -> "delete" (about the person alone) or "unlink" (others too)."""
    out = {}
    for doc_id, placeholders in sorted(by_doc.items()):
        with app.db.session() as s:
            rows = s.execute(
                select(PseudonymRow.placeholder, Identifier.entity_type)
                .join(Identifier, Identifier.id == PseudonymRow.identifier_id)
                .where(PseudonymRow.document_id == doc_id)
            ).all()
        others = {p for p, t in rows if t == "PERSON" and p not in placeholders}
        out[doc_id] = "unlink" if others else "delete"
    return out


def _describe(app: Parts, doc_ids: list[str]) -> dict[str, dict[str, str]]:
    """document id -> id, collection and title (as stored, with placeholders)."""
    out = {}
    with app.db.session() as s:
        for doc_id in doc_ids:
            doc = s.get(Document, doc_id)
            if doc is None:
                continue
            col = s.get(Collection, doc.collection_id)
            out[doc_id] = {
                "document_id": doc_id,
                "collection": col.name if col else "",
                "title": app.vault.open_document(doc).title,
            }
    return out


def _held_collections(app: Parts, by_doc: dict[str, set[str]]) -> set[str]:
    if not by_doc:
        return set()
    with app.db.session() as s:
        return set(
            s.scalars(
                select(Collection.name)
                .join(Document, Document.collection_id == Collection.id)
                .where(Document.id.in_(list(by_doc)))
            )
        )


def plan_erasure(app: Parts, subjects: list[str], who: Caller) -> ErasurePlan:
    """What :func:`erase_subject` would delete and unlink, changing nothing."""
    subject = find_subject(app, subjects)
    _check_grants(app, _held_collections(app, subject.by_doc), who, "erase")
    described = _describe(app, list(subject.by_doc))
    plan = ErasurePlan(len(subject.identifiers))
    for doc_id, outcome in _outcomes(app, subject.by_doc).items():
        if doc_id in described:
            (plan.delete if outcome == "delete" else plan.unlink).append(described[doc_id])
    plan.conversations = len(subject_conversations(app, subject))
    return plan


def erase_subject(
    app: Parts, subjects: list[str], who: Caller, *, keep_documents: Iterable[str] = ()
) -> ErasureReceipt:
    """Erase the person named by ``subjects`` (see the module docstring).

    Works by placeholder: in each document, every spelling behind the person's
    placeholders goes ("Ms Quatermass" with "Wilhelmina Quatermass"). A document about
    the person alone is deleted, unless its id is in ``keep_documents`` (a procedure
    that merely names them: the officer decides, having seen :func:`plan_erasure`);
    then, like a document that concerns others, it keeps an unresolvable placeholder.
    Conversation history that mentions the person is rewritten under a new key without
    them. Runs under the ingestion lock, so no ingestion can reuse an identifier.
    """
    keep = set(keep_documents)
    receipt = ErasureReceipt(
        uuid.uuid4().hex, _now().isoformat(timespec="seconds"), who.actor, who.role
    )
    with app.library.exclusive():
        subject = find_subject(app, subjects)
        identifiers, by_doc = subject.identifiers, subject.by_doc
        receipt.identifiers = [{"id": i.id, "type": i.entity_type} for i in identifiers]
        ids = [i.id for i in identifiers]
        collections = _held_collections(app, by_doc)
        conversations = subject_conversations(app, subject)
        collections |= {h.conversation.collection for h in conversations}
        _check_grants(app, collections, who, "erase")
        described = _describe(app, list(by_doc))
        shredded_before = len(app.keyring.shred_log.entries())
        for doc_id, outcome in _outcomes(app, by_doc).items():
            placeholders = by_doc[doc_id]
            if outcome == "delete" and doc_id not in keep:
                # Each document is judged alone: a mail's attachments about others stay.
                app.library.delete_document_locked(doc_id, "erased", attachments=False)
                receipt.documents_deleted.append(doc_id)
                if doc_id in described:
                    receipt.documents.append({**described[doc_id], "outcome": "deleted"})
                continue
            # Concerns others (or kept by choice): the raw original goes; the person's
            # placeholders lose every identifier behind them, for good.
            app.vault.erase_original(doc_id)
            with app.db.session() as s:
                behind = list(
                    s.scalars(
                        select(PseudonymRow.identifier_id).where(
                            PseudonymRow.document_id == doc_id,
                            PseudonymRow.placeholder.in_(placeholders),
                        )
                    )
                )
                s.execute(
                    delete(Mention).where(
                        Mention.document_id == doc_id, Mention.identifier_id.in_(behind)
                    )
                )
                s.execute(
                    delete(PseudonymRow).where(
                        PseudonymRow.document_id == doc_id,
                        PseudonymRow.placeholder.in_(placeholders),
                    )
                )
            receipt.documents_unlinked.append(doc_id)
            if doc_id in described:
                receipt.documents.append(
                    {**described[doc_id], "outcome": "kept with an unresolvable placeholder"}
                )
        store = app.conversations
        for hit in conversations:
            store.rewrite(_erase_from_conversation(hit, subject), "erased")
        receipt.conversations_changed = len(conversations)
        app.identifiers.forget_identifiers(
            [i for i in ids if app.keyring.has_key("subject", i)], "erased"
        )
        app.identifiers.drop_orphan_identifiers("erased")  # the spellings that went with them
        receipt.keys_shredded = len(app.keyring.shred_log.entries()) - shredded_before
    detail = {k: v for k, v in receipt.as_json().items() if k not in ("actor", "role", "documents")}
    app.audit.append(
        "gdpr.erase",
        **who.audit_fields(),
        **detail,
        kept_by_choice=sorted(keep & set(receipt.documents_unlinked)),
        collections=sorted(collections),
        **_authority(who),
    )
    return receipt


# -- retention -----------------------------------------------------------------------


@dataclass
class SweepReport:
    swept_at: str
    deleted: list[dict[str, Any]] = field(default_factory=list)  # document id, collection, age
    held: list[str] = field(
        default_factory=list
    )  # collections on legal hold with expired documents

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def sweep(
    app: Parts, who: Caller, *, dry_run: bool = False, now: datetime | None = None
) -> SweepReport:
    """Delete documents past their collection's retention period (not under legal hold)."""
    now = now or _now()
    report = SweepReport(now.isoformat(timespec="seconds"))
    with app.db.session() as s:
        cols = list(s.scalars(select(Collection).where(Collection.retention_days.is_not(None))))
        expired = []
        for col in cols:
            cutoff = now - timedelta(days=col.retention_days or 0)
            docs = list(
                s.scalars(
                    select(Document).where(
                        Document.collection_id == col.id,
                        Document.status == DocumentStatus.READY,
                    )
                )
            )
            old = [d for d in docs if _aware(d.created_at) < cutoff]
            if old and col.legal_hold:
                report.held.append(col.name)
                continue
            expired += [(col, d) for d in old]
    for col, doc in expired:
        age_days = (now - _aware(doc.created_at)).days
        if not dry_run:
            if not app.library.has_document(doc.id):
                continue  # an attachment that went with its expired e-mail
            app.library.delete_document(doc.id, reason="retention")  # takes the lock
            # Each deletion is recorded as it happens: a sweep killed half-way leaves
            # no deleted document without its record (the summary below may be lost).
            app.audit.append(
                "document.delete",
                **who.audit_fields(),
                resource=f"collection:{col.name}/document:{doc.id}",
                reason="retention",
                age_days=age_days,
            )
            crash_point("sweep-after-delete")
        report.deleted.append({"document_id": doc.id, "collection": col.name, "age_days": age_days})
    if not dry_run:
        app.audit.append("gdpr.sweep", **who.audit_fields(), **report.as_json())
    return report


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- record of processing (Art. 30) -----------------------------------------------------


def record_of_processing(app: Parts) -> dict[str, Any]:
    """The Art. 30 record, generated from the live configuration and data."""
    status = app.keyring.status()
    activities = []
    with app.db.session() as s:
        cols = list(s.scalars(select(Collection).order_by(Collection.name)))
        for col in cols:
            counts: Counter[str] = Counter()
            docs = list(
                s.scalars(
                    select(Document).where(
                        Document.collection_id == col.id,
                        Document.status == DocumentStatus.READY,
                    )
                )
            )
            for d in docs:
                counts.update(json.loads(d.pii_counts or "{}"))
            policy = app.privacy.policy(col.policy)
            activities.append(
                {
                    "collection": col.name,
                    "purpose": col.purpose or "(not recorded)",
                    "data_subjects": col.data_subjects or "(not recorded)",
                    "personal_data_categories": sorted(counts),
                    "documents": len(docs),
                    "retention": _retention(col),
                    "privacy_policy": {"name": policy.name, "digest": policy.digest},
                    "recipients": RECIPIENTS,
                    "transfers_to_third_countries": "none",
                }
            )
    return {
        "generated_at": _now().isoformat(timespec="seconds"),
        "controller": app.settings.organisation or "(set `organisation` in appliance.toml)",
        "dpo_contact": app.settings.dpo_contact or "(set `dpo_contact` in appliance.toml)",
        "processing_activities": activities,
        "security_measures": [
            "Processing on the controller's own hardware; no network connection leaves "
            "the machine (telemetry off, no downloads at run time).",
            "Encryption at rest: AES-256-GCM per document and per identifier, data keys "
            f"wrapped by a key-encryption key from a {status.kek_kind.replace('_', ' ')} "
            f"(version {status.kek_version}); the data directory never holds it.",
            "Pseudonymisation before indexing: names and identifiers are replaced by "
            "placeholders in the search index and in what the language model reads.",
            "Re-identification only for roles named by the privacy policy, each time recorded.",
            "Crypto-shredding on deletion and erasure; backups are encrypted and restores "
            "re-apply erasures made since.",
            "Data directory readable by its owner only (0700, files 0600).",
        ],
    }


def ropa_markdown(record: dict[str, Any]) -> str:
    lines = [
        "# Record of processing activities (GDPR Art. 30)",
        "",
        f"Generated {record['generated_at']} from the appliance's live configuration.",
        "",
        f"- Controller: {record['controller']}",
        f"- Data protection officer: {record['dpo_contact']}",
        "",
    ]
    for a in record["processing_activities"]:
        lines += [
            f"## Collection `{a['collection']}`",
            "",
            f"- Purpose: {a['purpose']}",
            f"- Categories of data subjects: {a['data_subjects']}",
            "- Categories of personal data found: "
            + (", ".join(a["personal_data_categories"]) or "none detected"),
            f"- Documents: {a['documents']}",
            f"- Retention: {a['retention']}",
            f"- Privacy policy: {a['privacy_policy']['name']} "
            f"(sha256 {a['privacy_policy']['digest'][:16]}…)",
            f"- Recipients: {a['recipients']}",
            f"- Transfers to third countries: {a['transfers_to_third_countries']}",
            "",
        ]
    lines += ["## Technical and organisational security measures", ""]
    lines += [f"- {m}" for m in record["security_measures"]]
    return "\n".join(lines) + "\n"


def parse_days(value: str) -> int | None:
    if value.lower() in ("none", "forever", "keep"):
        return None
    if not re.fullmatch(r"\d{1,6}", value):
        raise ValueError("a number of days, or 'none'")
    return int(value)
