"""The identifier registry: every personal value the privacy stages replaced,
once per value across the data directory.

An *identifier* is looked up by keyed hash (HMAC under a system key, never the
value), its value sealed under its own data key (scope ``subject``), so erasing a
person shreds one key. A document's placeholders point to identifiers
(``pseudonyms``); mentions record which passages mention which identifier; a
name's words are kept as keyed hashes too (``identifier_terms``), so "Wilhelmina"
alone finds "Wilhelmina Quatermass-Oyelaran".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from appliance.crypto import Keyring
from appliance.errors import KeyShredded
from appliance.privacy import PLACEHOLDER, PseudonymScope
from appliance.privacy.pseudonymise import normalise
from appliance.store.database import Database
from appliance.store.schema import Identifier, IdentifierTerm, Mention, PseudonymRow

# The key scope of an identifier's sealed value (one data key per identifier).
SUBJECT_SCOPE = "subject"


def _identifier_place(identifier_id: str) -> tuple[str, ...]:
    return ("identifier", identifier_id, "value")


class IdentifierRegistry:
    """The registry over one data directory's database and keyring."""

    def __init__(self, db: Database, keyring: Keyring) -> None:
        self.db = db
        self.keyring = keyring

    def known_terms(self, terms: Iterable[str]) -> set[str]:
        """Those of ``terms`` (keyed hashes of name words) that a registered name has."""
        wanted = list(terms)
        if not wanted:
            return set()
        with self.db.session() as s:
            return set(
                s.scalars(
                    select(IdentifierTerm.term_mac).where(IdentifierTerm.term_mac.in_(wanted))
                )
            )

    def register(self, scope: PseudonymScope) -> dict[str, list[str]]:
        """Make an identifier for every value the scope replaced (before the document's
        transaction: data keys are written through their own sessions). Returns
        placeholder -> identifier ids. Unused ones are dropped by recovery."""
        by_placeholder: dict[str, list[str]] = {}
        for key, (entity_type, value) in scope.spellings.items():
            pseudonym = scope.by_key.get(key)
            if pseudonym is None:
                continue
            identifier_id = self._identifier(entity_type, key, value)
            ids = by_placeholder.setdefault(pseudonym.placeholder, [])
            if identifier_id not in ids:
                ids.append(identifier_id)
        return by_placeholder

    def record_document(
        self,
        session: Session,
        document_id: str,
        identifiers: dict[str, list[str]],
        chunks: Iterable[tuple[str, str]],
    ) -> None:
        """The document's placeholders and mentions, in the ingestion's transaction."""
        for placeholder, ids in identifiers.items():
            for identifier_id in ids:
                session.add(
                    PseudonymRow(
                        document_id=document_id,
                        placeholder=placeholder,
                        identifier_id=identifier_id,
                    )
                )
        for chunk_id, text in chunks:
            for placeholder in dict.fromkeys(m.group(0) for m in PLACEHOLDER.finditer(text)):
                for identifier_id in identifiers.get(placeholder, []):
                    session.add(
                        Mention(
                            identifier_id=identifier_id, chunk_id=chunk_id, document_id=document_id
                        )
                    )

    def _identifier(self, entity_type: str, key: str, value: str) -> str:
        with self.db.session() as s:
            found = s.scalar(select(Identifier.id).where(Identifier.value_mac == key))
        if found is not None:
            return found
        identifier_id = uuid.uuid4().hex
        sealed = self.keyring.data_key(SUBJECT_SCOPE, identifier_id).seal(
            value, *_identifier_place(identifier_id)
        )
        with self.db.session() as s:
            s.add(
                Identifier(
                    id=identifier_id, entity_type=entity_type, value_mac=key, value_sealed=sealed
                )
            )
            s.flush()
            s.add_all(
                IdentifierTerm(identifier_id=identifier_id, term_mac=term)
                for term in self.terms(entity_type, value)
            )
        return identifier_id

    def terms(self, entity_type: str, value: str) -> list[str]:
        """Keyed hashes of the words of a name (a first or last name alone finds it)."""
        if entity_type != "PERSON":
            return []
        words = {w for w in normalise("PERSON", value).split() if len(w) >= 3}
        return [self.keyring.mac("pii-term", f"PERSON:{w}") for w in sorted(words)]

    def subject_keys(self, values: Iterable[str]) -> set[str]:
        """Value keys (keyed hashes) of ``values`` under every entity type: what a scope
        or an identifier holds for the same value."""
        from appliance.privacy import ENTITY_TYPES

        return {
            self.keyring.mac("pii-value", f"{t}:{normalise(t, v)}")
            for v in values
            for t in ENTITY_TYPES
            if v.strip()
        }

    def open_identifier(self, row: Identifier) -> str:
        key = self.keyring.data_key(SUBJECT_SCOPE, row.id, create=False)
        return key.open_text(row.value_sealed, *_identifier_place(row.id))

    def forget_identifiers(self, identifier_ids: list[str], reason: str) -> int:
        """Delete identifiers (their placeholders, mentions and terms go with them) and
        shred their data keys: what they stood for can never be read again."""
        if not identifier_ids:
            return 0
        keys = self.keyring.announce_shred(SUBJECT_SCOPE, identifier_ids, reason)
        with self.db.session() as s:
            s.execute(delete(Identifier).where(Identifier.id.in_(identifier_ids)))
        self.keyring.shred_keys(keys, reason, logged=True)
        return len(keys)

    def find_identifiers(self, values: Iterable[str]) -> list[Identifier]:
        """Registered identifiers equal to any of ``values``, of whatever type (a name, an
        e-mail, an IBAN... are compared in their normalised form, by keyed hash)."""
        macs = self.subject_keys(values)
        with self.db.session() as s:
            return list(s.scalars(select(Identifier).where(Identifier.value_mac.in_(list(macs)))))

    def drop_orphan_identifiers(self, reason: str) -> int:
        """Identifiers no document mentions any more: rows deleted, data keys shredded
        (``reason`` "superseded" after a replacement or a rolled-back ingestion, so an
        older backup that still uses them keeps them)."""
        with self.db.session() as s:
            orphans = list(
                s.scalars(
                    select(Identifier.id).where(
                        ~select(PseudonymRow.id)
                        .where(PseudonymRow.identifier_id == Identifier.id)
                        .exists()
                    )
                )
            )
        return self.forget_identifiers(orphans, reason)

    def chunks_mentioning(self, question_scope: PseudonymScope, collection_id: int) -> list[str]:
        """Chunks that mention an identifier named in the question, most matches first."""
        keys = list(question_scope.by_key)
        if not keys:
            return []
        terms = [
            t
            for etype, value in question_scope.spellings.values()
            for t in self.terms(etype, value)
        ]
        from appliance.store.schema import Document, DocumentStatus

        with self.db.session() as s:
            named = select(Identifier.id).where(Identifier.value_mac.in_(keys))
            by_part = select(IdentifierTerm.identifier_id).where(IdentifierTerm.term_mac.in_(terms))
            rows = s.execute(
                select(Mention.chunk_id, func.count(func.distinct(Mention.identifier_id)))
                .join(Document, Document.id == Mention.document_id)
                .where(
                    Mention.identifier_id.in_(named.union(by_part)),
                    Document.collection_id == collection_id,
                    Document.status == DocumentStatus.READY,
                )
                .group_by(Mention.chunk_id)
            ).all()
        return [cid for cid, _n in sorted(rows, key=lambda r: -r[1])]

    def document_pseudonyms(
        self, document_ids: Iterable[str]
    ) -> dict[str, dict[str, tuple[str, str]]]:
        """document id -> placeholder -> (type, value): values opened in memory only."""
        ids = list(dict.fromkeys(document_ids))
        if not ids:
            return {}
        with self.db.session() as s:
            rows = s.execute(
                select(PseudonymRow.document_id, PseudonymRow.placeholder, Identifier)
                .join(Identifier, Identifier.id == PseudonymRow.identifier_id)
                .where(PseudonymRow.document_id.in_(ids))
            ).all()
        out: dict[str, dict[str, tuple[str, str]]] = {}
        for doc_id, placeholder, identifier in rows:
            try:
                value = self.open_identifier(identifier)
            except KeyShredded:
                continue  # erased: the placeholder stays unresolvable
            current = out.setdefault(doc_id, {}).get(placeholder)
            if current is None or len(value) > len(current[1]):  # the fullest spelling
                out[doc_id][placeholder] = (identifier.entity_type, value)
        return out
