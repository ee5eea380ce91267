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

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.crypto import Keyring
from appliance.ingest.loaders import Block, LoadedDocument, Page
from appliance.llm.guard import guarded_sentences
from appliance.privacy import (
    PLACEHOLDER,
    Entity,
    PiiBlocked,
    Policy,
    PseudonymScope,
    apply_policy,
    load_policy,
)
from appliance.privacy.pseudonymise import replacement
from appliance.rag.identifiers import IdentifierRegistry
from appliance.rag.retrieval import Hit

if TYPE_CHECKING:
    from appliance.privacy.detector import PiiDetector

# Small models often drop the angle brackets: "PERSON_1" is still the placeholder.
_LOOSE_PLACEHOLDER = re.compile(r"<?\b([A-Z][A-Z0-9_]*?)_(\d+)\b>?")


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


class PrivacyGate:
    """The privacy stages of both paths under a collection's policy: ingestion
    (pseudonymise before chunking), prompt (a question or chat message), context (the
    passages in the conversation's terms) and answer (sentence by sentence), and the
    history a conversation keeps. Values found go to the identifier registry."""

    def __init__(
        self,
        keyring: Keyring,
        detector: Callable[[], PiiDetector],
        data_dir: Path,
        registry: IdentifierRegistry,
    ) -> None:
        self.keyring = keyring
        self.registry = registry
        self._detector = detector
        self.data_dir = data_dir
        self._policies: dict[str, tuple[tuple[tuple[str, int, int], ...], Policy]] = {}
        self._lock = threading.Lock()

    # -- policies ------------------------------------------------------------------

    def policy(self, name: str) -> Policy:
        """The named policy, reloaded when its file or a file it ``extends`` (at any
        depth) changes, or when the name now finds another file.

        Raises :class:`PolicyError` for a policy that does not load."""
        from appliance.privacy.policy import find_policy

        path = str(find_policy(name, self.data_dir))
        with self._lock:
            cached = self._policies.get(name)
            if (
                cached is None
                or cached[1].source != path
                or cached[0] != _stamps(cached[1], self.data_dir)
            ):
                policy = load_policy(name, self.data_dir)
                cached = (_stamps(policy, self.data_dir), policy)
                self._policies[name] = cached
            return cached[1]

    def detector(self) -> PiiDetector:
        """The loaded detector (Presidio and spaCy load on first use)."""
        return self._detector()

    def new_scope(self) -> PseudonymScope:
        return PseudonymScope(lambda text: self.keyring.mac("pii-value", text))

    def find(self, text: str, policy: Policy, stage: str) -> list[Entity]:
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

        title = protect(document.title, self.find(document.title, policy, "ingest"))
        pages = []
        for page in document.pages:
            joined, spans = _join_blocks(page.blocks)
            entities = self.find(joined, policy, "ingest")
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
            texts, scope.by_placeholder, scope.spellings, scope.by_key, self.registry.terms
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
                words.append((m, base, self.registry.terms("PERSON", base)))
        wanted = {t for _, _, terms in words for t in terms}
        if not wanted:
            return text
        known = self.registry.known_terms(wanted)
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

    # -- questions -------------------------------------------------------------------

    def protect_question(
        self, question: str, policy: Policy, scope: PseudonymScope | None = None
    ) -> ProtectedQuestion:
        """The prompt stage; raises :class:`PiiBlocked` naming the types (never values).
        ``scope``: the placeholders of a conversation already under way."""
        scope = scope or self.new_scope()
        found = self.find(question, policy, "prompt")
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
                for term in self.registry.terms("PERSON", m.group()):
                    macs[term] = m.span()
        if not macs:
            return []
        known = self.registry.known_terms(macs)
        out: list[Entity] = []
        for start, end in sorted(macs[t] for t in known):  # adjacent known words: one name
            if out and text[out[-1].end : start].strip() == "":
                out[-1] = Entity("PERSON", out[-1].start, end, 0.9, "registry")
            else:
                out.append(Entity("PERSON", start, end, 0.9, "registry"))
        return out

    def context_hits(self, hits: list[Hit], question: ProtectedQuestion) -> list[Hit]:
        """Passages as the model may see them (context stage), in the conversation's terms."""
        mapping = self.registry.document_pseudonyms(h.document_id for h in hits)
        out = []
        for hit in hits:
            swap = self.context_swap(mapping.get(hit.document_id, {}), question)
            out.append(hit.rewritten(swap))
        return out

    def context_swap(
        self, known: dict[str, tuple[str, str]], question: ProtectedQuestion
    ) -> Callable[[str], str]:
        """The context stage for one document's texts: its placeholders (``known``:
        placeholder -> (type, value), from :meth:`IdentifierRegistry.document_pseudonyms`)
        rewritten into ``question``'s scope per its policy (raises :class:`PiiBlocked`)."""
        policy, scope = question.policy, question.scope

        def swap(m: re.Match[str]) -> str:
            found = known.get(m.group(0))
            if found is None:
                # Erased (key shredded) or unknown: never let a document's placeholder
                # pass as one of the conversation's, which may stand for someone else.
                return f"[{m.group(1)}]"
            entity_type, value = found
            action = policy.action(entity_type, "context")
            if action == "block":
                raise PiiBlocked([entity_type], "context", policy)
            return replacement(action, entity_type, value, scope)

        return lambda text: PLACEHOLDER.sub(swap, text)

    def answer_filter(self, question: ProtectedQuestion, reveal: bool) -> Callable[[str], str]:
        """What the answer stage does to each sentence the model writes."""
        policy, scope = question.policy, question.scope

        def transform(text: str) -> str:
            result = apply_policy(text, self.find(text, policy, "answer"), policy, "answer", scope)
            text = result.text

            def swap(m: re.Match[str]) -> str:
                p = scope.by_placeholder.get(f"<{m.group(1)}_{m.group(2)}>")
                if p is None:
                    return m.group(0)
                action = policy.action(p.type, "answer")
                if action == "block":
                    raise PiiBlocked([p.type], "answer", policy)
                # The policy's answer actions hold for every role; revealing only
                # resolves what the policy leaves pseudonymised (or keeps).
                if action in ("redact", "mask"):
                    return replacement(action, p.type, p.value, scope)
                return p.value if reveal else m.group(0)

            return _LOOSE_PLACEHOLDER.sub(swap, text)

        return transform


def _stamps(policy: Policy, data_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime in ns, size) of every file ``policy`` was read from and of the
    folders policies are found in (a file added there may now shadow a base); a path
    gone since stamps (path, -1, -1), so the next load says why it no longer loads."""
    from appliance.privacy.policy import policy_dirs

    stamps = []
    for name in (*policy.files, *map(str, policy_dirs(data_dir))):
        try:
            st = Path(name).stat()
            stamps.append((name, st.st_mtime_ns, st.st_size))
        except OSError:
            stamps.append((name, -1, -1))
    return tuple(stamps)


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
