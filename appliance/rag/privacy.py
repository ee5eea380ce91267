"""The privacy steps of the two paths, and the registry of identifiers they fill.

Ingestion: the document's text is scanned and pseudonymised (per its
collection's policy) *before* chunking and embedding, so vectors, the lexical
index and the stored passages carry ``<PERSON_1>``, not the person. Each value
found becomes (or joins) an *identifier*: looked up by keyed hash, its value
sealed under its own data key. A document's placeholders point to identifiers;
mentions record which passages mention which identifier.

Questions: the prompt stage pseudonymises (or blocks) the question into a
conversation scope; the identifiers it names lead retrieval to the passages
that mention them; document placeholders in those passages are rewritten into
the conversation's placeholders (or values, or redactions) per the context
stage; the answer stage filters what the model wrote, sentence by sentence,
and re-identifies placeholders only for roles the policy allows.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from appliance.audit import AuditTrail
from appliance.crypto import Keyring
from appliance.errors import KeyShredded
from appliance.ingest.loaders import Block, LoadedDocument, Page
from appliance.llm.guard import guarded_sentences
from appliance.privacy import (
    PLACEHOLDER,
    Entity,
    PiiBlocked,
    PiiDetector,
    Policy,
    PseudonymScope,
    apply_policy,
    load_policy,
)
from appliance.privacy.pseudonymise import mask, normalise
from appliance.rag.retrieval import Hit
from appliance.store.database import Database
from appliance.store.schema import Identifier, IdentifierTerm, Mention, PseudonymRow

SUBJECT_SCOPE = "subject"
# Small models often drop the angle brackets: "PERSON_1" is still the placeholder.
_LOOSE_PLACEHOLDER = re.compile(r"<?\b([A-Z][A-Z0-9_]*?)_(\d+)\b>?")


def _identifier_place(identifier_id: str) -> tuple[str, ...]:
    return ("identifier", identifier_id, "value")


@dataclass
class ProtectedDocument:
    document: LoadedDocument
    scope: PseudonymScope
    counts: dict[str, int]
    policy: Policy


@dataclass
class ProtectedQuestion:
    text: str  # as the index and the model see it
    scope: PseudonymScope  # the conversation's placeholders
    counts: dict[str, int]
    policy: Policy


class EventLog:
    """Privacy events into the audit trail (metadata only: types and counts, never values)."""

    def __init__(self, audit: AuditTrail) -> None:
        self.audit = audit

    def record(
        self, kind: str, actor: str, role: str, source: str = "local", **detail: Any
    ) -> None:
        outcome = "failure" if kind.endswith(".blocked") else "success"
        self.audit.append(kind, actor, role, outcome=outcome, source=source, **detail)


class PrivacyGate:
    def __init__(
        self,
        db: Database,
        keyring: Keyring,
        detector: Callable[[], PiiDetector],
        data_dir: Path,
        audit: AuditTrail,
    ) -> None:
        self.db = db
        self.keyring = keyring
        self._detector = detector
        self.data_dir = data_dir
        self.events = EventLog(audit)
        self._policies: dict[str, tuple[float, Policy]] = {}
        self._lock = threading.Lock()

    # -- policies ------------------------------------------------------------------

    def policy(self, name: str) -> Policy:
        """The named policy, reloaded when its file changes."""
        from appliance.privacy.policy import find_policy

        path = find_policy(name, self.data_dir)
        mtime = path.stat().st_mtime
        with self._lock:
            cached = self._policies.get(name)
            if cached is None or cached[0] != mtime:
                cached = (mtime, load_policy(name, self.data_dir))
                self._policies[name] = cached
            return cached[1]

    def new_scope(self) -> PseudonymScope:
        return PseudonymScope(lambda text: self.keyring.mac("pii-value", text))

    def _find(self, text: str, policy: Policy, stage: str) -> list[Entity]:
        types = policy.types_for(stage)
        if not types or not text.strip():
            return []
        return self._detector().analyze(
            text, types, policy.thresholds(), allow=policy.allow, deny=policy.deny
        )

    # -- ingestion -----------------------------------------------------------------

    def protect_document(self, document: LoadedDocument, policy: Policy) -> ProtectedDocument:
        """The document with the ingest stage's actions applied, page by page."""
        scope = self.new_scope()
        counts: dict[str, int] = {}

        def protect(text: str, entities: list[Entity]) -> str:
            result = apply_policy(text, entities, policy, "ingest", scope)
            for k, v in result.counts().items():
                counts[k] = counts.get(k, 0) + v
            return result.text

        title = protect(document.title, self._find(document.title, policy, "ingest"))
        pages = []
        for page in document.pages:
            joined, spans = _join_blocks(page.blocks)
            entities = self._find(joined, policy, "ingest")
            blocks = []
            for block, (start, end) in zip(page.blocks, spans, strict=True):
                inside = [
                    Entity(e.type, max(e.start, start) - start, min(e.end, end) - start, e.score)
                    for e in entities
                    if e.start < end and start < e.end
                ]
                blocks.append(Block(protect(block.text, inside), block.heading_level))
            pages.append(Page(page.number, blocks))
        protected = LoadedDocument(title=title, kind=document.kind, pages=pages)
        return ProtectedDocument(protected, scope, dict(sorted(counts.items())), policy)

    def register_identifiers(self, scope: PseudonymScope) -> dict[str, list[str]]:
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
                for term in self._terms(entity_type, value)
            )
        return identifier_id

    def _terms(self, entity_type: str, value: str) -> list[str]:
        """Keyed hashes of the words of a name (a first or last name alone finds it)."""
        if entity_type != "PERSON":
            return []
        words = {w for w in normalise("PERSON", value).split() if len(w) >= 3}
        return [self.keyring.mac("pii-term", f"PERSON:{w}") for w in sorted(words)]

    def name_terms(self, entity_type: str, value: str) -> list[str]:
        """Keyed hashes of a name's words (empty for other types)."""
        return self._terms(entity_type, value)

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

    def for_history(
        self, question: ProtectedQuestion | None, texts: list[str]
    ) -> tuple[list[str], dict[str, dict[str, Any]]]:
        """``texts`` (question, answer) as conversation history keeps them, and what their
        placeholders stand for as keyed hashes (see :mod:`appliance.rag.conversations`).
        Words of a name found in the question that were left elsewhere are hidden too."""
        from appliance.rag.conversations import conceal_name_words, history_pseudonyms

        if question is None:
            return texts, {}
        scope = question.scope
        names = {
            value: scope.by_key[key].placeholder
            for key, (etype, value) in scope.spellings.items()
            if etype == "PERSON" and key in scope.by_key
        }
        texts = [self._conceal_registered(conceal_name_words(t, names), scope) for t in texts]
        pseudonyms = history_pseudonyms(
            texts, scope.by_placeholder, scope.spellings, scope.by_key, self._terms
        )
        return texts, pseudonyms

    def _conceal_registered(self, text: str, scope: PseudonymScope) -> str:
        """Capitalised words left in ``text`` that are words of a name found in the
        documents (the registry's terms), possessives included: "<PERSON_1>
        Thistlewood's" becomes "<PERSON_1>'s" (joined to the name before it), a lone
        "Thistlewood's" a placeholder of the scope."""
        words = []
        for m in re.finditer(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", text):
            base = re.sub(r"['’]s?$", "", m.group())
            if len(base) >= 3 and base[0].isupper():
                words.append((m, base, self._terms("PERSON", base)))
        wanted = {t for _, _, terms in words for t in terms}
        if not wanted:
            return text
        with self.db.session() as s:
            known = set(
                s.scalars(
                    select(IdentifierTerm.term_mac).where(IdentifierTerm.term_mac.in_(wanted))
                )
            )
        for m, base, terms in reversed(words):  # from the end: offsets stay valid
            if not terms or not set(terms) <= known:
                continue
            suffix = m.group()[len(base) :]
            before = text[: m.start()]
            joined = re.search(r"(<PERSON_\d+>)\s+$", before)
            if joined:
                before, placeholder = before[: joined.start()], joined.group(1)
            else:
                placeholder = scope.placeholder("PERSON", base)
            text = before + placeholder + suffix + text[m.end() :]
        return text

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

    # -- questions -------------------------------------------------------------------

    def protect_question(
        self, question: str, policy: Policy, scope: PseudonymScope | None = None
    ) -> ProtectedQuestion:
        """The prompt stage; raises :class:`PiiBlocked` naming the types (never values).
        ``scope``: the placeholders of a conversation already under way."""
        scope = scope or self.new_scope()
        found = self._find(question, policy, "prompt")
        if "PERSON" in policy.types_for("prompt"):
            found = _merge(found, self._registered_names(question))
        result = apply_policy(question, found, policy, "prompt", scope)
        return ProtectedQuestion(result.text, scope, result.counts(), policy)

    def _registered_names(self, text: str) -> list[Entity]:
        """Capitalised words that are part of a name found in the documents: a question
        says "Wilhelmina" where the documents say "Wilhelmina Quatermass-Oyelaran"."""
        macs: dict[str, tuple[int, int]] = {}
        for m in re.finditer(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", text):
            if len(m.group()) >= 3 and m.group()[0].isupper():
                for term in self._terms("PERSON", m.group()):
                    macs[term] = m.span()
        if not macs:
            return []
        with self.db.session() as s:
            known = set(
                s.scalars(
                    select(IdentifierTerm.term_mac).where(IdentifierTerm.term_mac.in_(list(macs)))
                )
            )
        out: list[Entity] = []
        for start, end in sorted(macs[t] for t in known):  # adjacent known words: one name
            if out and text[out[-1].end : start].strip() == "":
                out[-1] = Entity("PERSON", out[-1].start, end, 0.9, "registry")
            else:
                out.append(Entity("PERSON", start, end, 0.9, "registry"))
        return out

    def chunks_mentioning(self, question_scope: PseudonymScope, collection_id: int) -> list[str]:
        """Chunks that mention an identifier named in the question, most matches first."""
        keys = list(question_scope.by_key)
        if not keys:
            return []
        terms = [
            t
            for etype, value in question_scope.spellings.values()
            for t in self._terms(etype, value)
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

    def context_hits(self, hits: list[Hit], question: ProtectedQuestion) -> list[Hit]:
        """Passages as the model may see them (context stage), in the conversation's terms."""
        policy, scope = question.policy, question.scope
        mapping = self.document_pseudonyms(h.document_id for h in hits)
        out = []
        for hit in hits:
            known = mapping.get(hit.document_id, {})

            def swap(m: re.Match[str], known: dict[str, tuple[str, str]] = known) -> str:
                found = known.get(m.group(0))
                if found is None:
                    # Erased (key shredded) or unknown: never let a document's placeholder
                    # pass as one of the conversation's, which may stand for someone else.
                    return f"[{m.group(1)}]"
                entity_type, value = found
                action = policy.action(entity_type, "context")
                if action == "block":
                    raise PiiBlocked([entity_type], "context", policy)
                if action == "keep":
                    return value
                if action == "redact":
                    return f"[{entity_type}]"
                if action == "mask":
                    return mask(value)
                return scope.placeholder(entity_type, value)

            out.append(
                replace(
                    hit,
                    text=PLACEHOLDER.sub(swap, hit.text),
                    title=PLACEHOLDER.sub(swap, hit.title),
                    section=PLACEHOLDER.sub(swap, hit.section),
                )
            )
        return out

    def answer_filter(self, question: ProtectedQuestion, reveal: bool) -> Callable[[str], str]:
        """What the answer stage does to each sentence the model writes."""
        policy, scope = question.policy, question.scope

        def transform(text: str) -> str:
            result = apply_policy(text, self._find(text, policy, "answer"), policy, "answer", scope)
            text = result.text

            def swap(m: re.Match[str]) -> str:
                p = scope.by_placeholder.get(f"<{m.group(1)}_{m.group(2)}>")
                if p is None:
                    return m.group(0)
                action = policy.action(p.type, "answer")
                # The policy's answer actions hold for every role; revealing only
                # resolves what the policy leaves pseudonymised (or keeps).
                if action == "redact":
                    return f"[{p.type}]"
                if action == "mask":
                    return mask(p.value)
                if action == "block":
                    raise PiiBlocked([p.type], "answer", policy)
                return p.value if reveal else m.group(0)

            return _LOOSE_PLACEHOLDER.sub(swap, text)

        return transform


def _merge(found: list[Entity], extra: list[Entity]) -> list[Entity]:
    """``found`` plus the ``extra`` entities that overlap none of it."""
    kept = [e for e in extra if not any(e.start < f.end and f.start < e.end for f in found)]
    return sorted([*found, *kept], key=lambda e: e.start)


def _join_blocks(blocks: list[Block]) -> tuple[str, list[tuple[int, int]]]:
    parts, spans, pos = [], [], 0
    for block in blocks:
        spans.append((pos, pos + len(block.text)))
        parts.append(block.text)
        pos += len(block.text) + 2
    return "\n\n".join(parts), spans


def filter_sentences(
    deltas: Iterator[str],
    transform: Callable[[str], str],
    report: dict[str, Any] | None = None,
) -> Iterator[str]:
    """Stream ``deltas`` sentence by sentence, each passed through ``transform`` first,
    so nothing reaches the reader before the answer stage has seen it; a generation
    that starts repeating itself is stopped (see :mod:`appliance.llm.guard`)."""
    for sentence in guarded_sentences(deltas, report):
        yield transform(sentence)


class PiiLogFilter(logging.Filter):
    """Applies a policy's ``log`` stage to every record of the appliance's loggers,
    so an exception message quoting a document never writes a value to a log.

    A record with nothing personal in it passes unchanged (its ``msg`` and ``args``,
    so a formatter that re-formats, such as uvicorn's coloured one with its
    ``color_message``, still prints "Uvicorn running on http://127.0.0.1:8080").
    A record with personal values is rewritten as the policy says; one the check
    itself cannot judge is withheld, naming the logger and level only.
    """

    def __init__(self, gate: PrivacyGate, policy_name: str = "default") -> None:
        super().__init__()
        self.gate = gate
        self.policy_name = policy_name

    def _clean(self, message: str) -> str:
        try:
            policy = self.gate.policy(self.policy_name)
            found = [
                e
                for e in self.gate._find(message, policy, "log")
                if not _machine_address(e, message)
            ]
            if not found:
                return message
            try:
                return apply_policy(message, found, policy, "log", self.gate.new_scope()).text
            except PiiBlocked as exc:
                return f"[log message withheld by policy {policy.name!r}: {', '.join(exc.types)}]"
        except Exception as exc:  # a logging filter must never break the caller
            return f"[log message withheld: the privacy check failed ({type(exc).__name__})]"

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # malformed: logging's own report would print the raw args
            record.msg, record.args = "[log message withheld: it could not be formatted]", ()
            record.__dict__.pop("color_message", None)
            return True
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
            # uvicorn formats ``color_message`` with the record's args: it would show
            # the raw value again (or, with the args gone, "%s://%s:%d").
            record.__dict__.pop("color_message", None)
        if record.exc_info and not record.exc_text:
            # A traceback quotes exception messages (a document's text, a question):
            # formatted here, filtered, and handed to the formatter ready-made.
            record.exc_text = self._clean(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def _machine_address(entity: Entity, text: str) -> bool:
    """An IP address that cannot point to a person: loopback or "any" (the server's own
    "Uvicorn running on http://127.0.0.1:8080"). Clients' addresses stay withheld."""
    import ipaddress

    if entity.type != "IP_ADDRESS":
        return False
    try:
        address = ipaddress.ip_address(text[entity.start : entity.end].strip("[]"))
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def install_log_filter(
    gate: PrivacyGate, policy_name: str = "default", logger_name: str = "appliance"
) -> None:
    """Attach the filter to the appliance's loggers (once per process; the last
    appliance opened sets the policy)."""
    logger = logging.getLogger(logger_name)
    for f in list(logger.filters):
        if isinstance(f, PiiLogFilter):
            logger.removeFilter(f)
    logger.addFilter(gate_filter := PiiLogFilter(gate, policy_name))
    for child in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(child, logging.Logger) and child.name.startswith(logger_name + "."):
            for f in list(child.filters):
                if isinstance(f, PiiLogFilter):
                    child.removeFilter(f)
            child.addFilter(gate_filter)
