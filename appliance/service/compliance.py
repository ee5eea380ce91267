"""The doors of compliance officers' acts: the audit trail (verify, search, export,
purge, public key) and data subjects' rights (export, erasure, retention sweep,
record of processing). Each is recorded here or by :mod:`appliance.gdpr`, which
works on the opened parts for these doors only."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from appliance.audit.chain import PurgeReport, VerifyReport
from appliance.caller import Caller
from appliance.errors import ApplianceError
from appliance.gdpr import rights
from appliance.gdpr.rights import ErasurePlan, ErasureReceipt, SweepReport
from appliance.service.questions import Questions
from appliance.store.schema import Collection, Document

_DOCUMENT_REF = re.compile(r"document:([0-9a-f]{8,64})")


class Compliance(Questions):
    """Compliance officers' acts (part of :class:`appliance.service.Appliance`)."""

    # -- the audit trail -----------------------------------------------------------

    def audit_verify(self, who: Caller | None = None) -> VerifyReport:
        """Verify the whole chain (hashes, signed checkpoints, Merkle roots) and record
        that ``who`` did (``audit.verify``)."""
        return self.audit.verify_as(who or Caller.local())

    def audit_search(
        self, *, limit: int = 50, offset: int = 0, **filters: str | None
    ) -> tuple[list[dict[str, Any]], int]:
        """Records matching ``filters`` (since, until, actor, action, outcome), newest
        first: (a page of at most ``limit`` records as dicts, the total matching)."""
        return self.audit.search(limit=limit, offset=offset, **filters)

    def audit_read(
        self, who: Caller, *, page: int = 1, page_size: int = 50, **filters: str | None
    ) -> tuple[list[dict[str, Any]], int]:
        """Page ``page`` (from 1) of the records matching ``filters``, newest first, and
        the total; reading the trail is itself recorded (``audit.read``)."""
        records, total = self.audit.search(
            **filters, offset=(page - 1) * page_size, limit=page_size
        )
        self.audit.append(
            "audit.read",
            **who.audit_fields(),
            filters={k: v for k, v in filters.items() if v},
            page=page,
        )
        return records, total

    def audit_document_titles(self, records: list[dict[str, Any]], who: Caller) -> dict[str, str]:
        """document id -> title (as stored, with placeholders) for the documents the
        records name, where ``who`` may read the document's collection; others stay ids."""
        ids = {m.group(1) for r in records for m in _DOCUMENT_REF.finditer(r.get("resource") or "")}
        if not ids:
            return {}
        out = {}
        with self.db.session() as s:
            rows = s.execute(
                select(Document, Collection.name)
                .join(Collection, Collection.id == Document.collection_id)
                .where(Document.id.in_(ids))
            ).all()
        for doc, collection in rows:
            if who.may(collection):
                try:
                    out[doc.id] = self.vault.open_document(doc).title
                except ApplianceError:  # deleted or erased since: the id is all there is
                    continue
        return out

    def audit_count(self) -> int:
        """How many records the trail holds."""
        return self.audit.count()

    def audit_export(
        self, out: Path, fmt: str, who: Caller | None = None, **filters: str | None
    ) -> int:
        """Write matching records to ``out`` as ``fmt`` (jsonl, csv, cef, ocsf); returns
        how many. Recorded as ``audit.export`` with the filters."""
        return self.audit.export_as(who or Caller.local(), out, fmt, **filters)

    def audit_purge(self, *, dry_run: bool = False) -> PurgeReport:
        """Drop records older than ``audit_retention_days`` (never under legal hold);
        the purge is recorded and the chain stays verifiable."""
        return self.audit.purge(
            self.settings.audit_retention_days,
            legal_hold=self.settings.audit_legal_hold,
            dry_run=dry_run,
        )

    def audit_public_key(self) -> tuple[bytes, str]:
        """The trail's Ed25519 public key (raw 32 bytes) and its fingerprint."""
        return self.audit.public_key()

    # -- data subjects ---------------------------------------------------------------

    def export_subject(self, subjects: list[str], out: Path, who: Caller) -> dict[str, Any]:
        """Subject access (GDPR Art. 15): everything held about the person named by
        ``subjects`` (names, e-mails, identifiers) written to ``out``; returns the
        summary. Raises :class:`NotAllowed` for a role without the right."""
        return rights.export_subject(self, subjects, out, who)

    def plan_erasure(self, subjects: list[str], who: Caller) -> ErasurePlan:
        """What :meth:`erase_subject` would delete and unlink, changing nothing."""
        return rights.plan_erasure(self, subjects, who)

    def erase_subject(
        self, subjects: list[str], who: Caller, *, keep_documents: Iterable[str] = ()
    ) -> ErasureReceipt:
        """Erasure (GDPR Art. 17) of the person named by ``subjects``; see
        :func:`appliance.gdpr.rights.erase_subject`."""
        return rights.erase_subject(self, subjects, who, keep_documents=keep_documents)

    def sweep(
        self, who: Caller, *, dry_run: bool = False, now: datetime | None = None
    ) -> SweepReport:
        """Delete documents past their collection's retention (not under legal hold)."""
        return rights.sweep(self, who, dry_run=dry_run, now=now)

    def record_of_processing(self, who: Caller | None = None) -> dict[str, Any]:
        """The record of processing activities (GDPR Art. 30) as a dict; recorded as
        ``gdpr.ropa`` whichever entry point asked."""
        record = rights.record_of_processing(self)
        self.audit.append("gdpr.ropa", **(who or Caller.local()).audit_fields())
        return record
