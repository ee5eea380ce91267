"""Subject access, erasure, retention and the record of processing."""

from __future__ import annotations

import json
import os
import re
import uuid
import zipfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from appliance import __version__
from appliance.errors import StoreError
from appliance.files import is_inside
from appliance.privacy import PLACEHOLDER
from appliance.rag.privacy import Caller
from appliance.store.schema import (
    Chunk,
    Collection,
    Document,
    DocumentStatus,
    Identifier,
    Mention,
    PseudonymRow,
)

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


def _subject_documents(app, identifier_ids: list[str]) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
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


# -- access (Art. 15 / 20) --------------------------------------------------------


def export_subject(app, subjects: list[str], out: Path, who: Caller) -> dict[str, Any]:  # type: ignore[no-untyped-def]
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
    identifiers = app.privacy.find_identifiers(subjects)
    values = {i.id: app.privacy.open_identifier(i) for i in identifiers}
    by_doc = _subject_documents(app, list(values))
    _check_export_role(app, by_doc, who)
    documents = []
    with app.db.session() as s:
        for doc_id, placeholders in sorted(by_doc.items()):
            doc = s.get(Document, doc_id)
            if doc is None or doc.status != DocumentStatus.READY:
                continue
            col = s.get(Collection, doc.collection_id)
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
        "recipients": RECIPIENTS,
        "source": "documents added to the appliance by the controller's staff",
        "automated_decision_making": "none: answers are generated for staff, who decide",
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("subject.json", json.dumps(record, ensure_ascii=False, indent=2))
        zf.writestr("README.txt", _EXPORT_README)
    app.privacy.events.record(
        "gdpr.export",
        **who.audit_fields(),
        identifiers=[{"id": i.id, "type": i.entity_type} for i in identifiers],
        documents=[d["document_id"] for d in documents],
    )
    return {
        "out": str(out),
        "identifiers": len(identifiers),
        "documents": len(documents),
        "passages": sum(len(d["passages"]) for d in documents),
    }


def _check_grants(app, collections: set[str], who: Caller, act: str) -> None:  # type: ignore[no-untyped-def]
    """A subject request spans collections: the caller needs a grant on each one that
    holds the person (the shell, holding the key, has them all). Otherwise it is
    refused as a whole, naming the collections, so no answer is silently partial."""
    from appliance.errors import NotAllowed

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


def _check_export_role(app, by_doc: dict[str, set[str]], who: Caller) -> None:  # type: ignore[no-untyped-def]
    """An export re-identifies: every collection involved must let the role do that."""
    from appliance.errors import NotAllowed

    with app.db.session() as s:
        rows = s.execute(
            select(Collection.name, Collection.policy)
            .join(Document, Document.collection_id == Collection.id)
            .where(Document.id.in_(list(by_doc)))
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


_EXPORT_README = """\
Subject access export (GDPR Articles 15 and 20)

subject.json holds, in a machine-readable form:
- identifiers: the personal data about you the appliance found in documents
  (names as written, e-mail addresses, account and identity numbers...);
- documents: each document that mentions you, with its purpose, how long it is
  kept, and the passages that mention you. Other people mentioned in the same
  passages appear as placeholders such as <PERSON_2>, to protect their data;
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

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def erase_subject(app, subjects: list[str], who: Caller) -> ErasureReceipt:  # type: ignore[no-untyped-def]
    """Erase the person named by ``subjects`` (see the module docstring).

    Works by placeholder: in each document, every spelling behind the person's
    placeholders goes ("Ms Quatermass" with "Wilhelmina Quatermass"). Runs under the
    ingestion lock, so no ingestion can reuse an identifier half-way.
    """
    receipt = ErasureReceipt(
        uuid.uuid4().hex, _now().isoformat(timespec="seconds"), who.actor, who.role
    )
    with app.library.exclusive():
        identifiers = app.privacy.find_identifiers(subjects)
        receipt.identifiers = [{"id": i.id, "type": i.entity_type} for i in identifiers]
        ids = [i.id for i in identifiers]
        by_doc = _subject_documents(app, ids)
        if by_doc:
            with app.db.session() as s:
                held = set(
                    s.scalars(
                        select(Collection.name)
                        .join(Document, Document.collection_id == Collection.id)
                        .where(Document.id.in_(list(by_doc)))
                    )
                )
            _check_grants(app, held, who, "erase")
        shredded_before = len(app.keyring.shred_log.entries())
        for doc_id, placeholders in sorted(by_doc.items()):
            with app.db.session() as s:
                rows = s.execute(
                    select(PseudonymRow.placeholder, Identifier.entity_type)
                    .join(Identifier, Identifier.id == PseudonymRow.identifier_id)
                    .where(PseudonymRow.document_id == doc_id)
                ).all()
            others = {p for p, t in rows if t == "PERSON" and p not in placeholders}
            if not others:  # about the person alone: the whole document goes
                # Each document is judged alone: a mail's attachments about others stay.
                app.library.delete_document_locked(doc_id, "erased", attachments=False)
                receipt.documents_deleted.append(doc_id)
                continue
            # Concerns others: the raw original goes; the person's placeholders lose
            # every identifier behind them, so they can never be resolved again.
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
        app.privacy.forget_identifiers(
            [i for i in ids if app.keyring.has_key("subject", i)], "erased"
        )
        app.privacy.drop_orphan_identifiers("erased")  # the spellings that went with them
        receipt.keys_shredded = len(app.keyring.shred_log.entries()) - shredded_before
    detail = {k: v for k, v in receipt.as_json().items() if k not in ("actor", "role")}
    app.privacy.events.record("gdpr.erase", **who.audit_fields(), **detail)
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


def sweep(app, who: Caller, *, dry_run: bool = False, now: datetime | None = None) -> SweepReport:  # type: ignore[no-untyped-def]
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
        if not dry_run:
            if not app.library.has_document(doc.id):
                continue  # an attachment that went with its expired e-mail
            app.library.delete_document(doc.id, reason="retention")  # takes the lock
        report.deleted.append(
            {
                "document_id": doc.id,
                "collection": col.name,
                "age_days": (now - _aware(doc.created_at)).days,
            }
        )
    if not dry_run:
        app.privacy.events.record("gdpr.sweep", **who.audit_fields(), **report.as_json())
    return report


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- record of processing (Art. 30) -----------------------------------------------------


def record_of_processing(app) -> dict[str, Any]:  # type: ignore[no-untyped-def]
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
