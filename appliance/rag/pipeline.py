"""The question and ingestion paths: every question and document passes here.

:class:`Pipeline` holds the opened parts it needs (typed collaborators, wired by
:class:`appliance.startup.Parts`) and records each act in the audit trail itself;
the application layer (:class:`appliance.service.Appliance`) is its only caller.
Access to a collection is checked before any index is queried.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
from sqlalchemy import select

from appliance.audit import AuditTrail
from appliance.caller import Caller
from appliance.config import Settings
from appliance.embeddings import DEFAULT_EMBEDDER, MULTILINGUAL_EMBEDDER, Embedder
from appliance.errors import (
    DocumentNotFound,
    EgressRefused,
    GatewayError,
    NotAllowed,
    QuestionTooLong,
)
from appliance.llm import ChatEngine, GenerationParams
from appliance.llm.engine import ChatMessage
from appliance.llm.external import ExternalReply, post_chat, request_body
from appliance.llm.guard import guarded_sentences
from appliance.llm.registry import ModelChoice, ModelRegistry
from appliance.privacy import (
    PLACEHOLDER,
    PiiBlocked,
    Policy,
    PseudonymScope,
    conceal,
    reidentify,
)
from appliance.rag.answer import (
    NOTHING_FOUND,
    STOP_SEQUENCES,
    Answer,
    build_messages,
    citations_for,
    extractive_text,
)
from appliance.rag.documents import DEFAULT_COLLECTION, DocumentLibrary, IngestResult
from appliance.rag.egress import (
    ExternalUse,
    body_digest,
    cost_of,
    egress_hits,
    egress_policy,
    scan_outgoing,
)
from appliance.rag.extractive import Quote, extract_answer
from appliance.rag.privacy import PrivacyGate, ProtectedQuestion
from appliance.rag.retrieval import Hit, Retriever
from appliance.rag.spaces import space_of
from appliance.rag.summaries import (
    DocumentSummary,
    Summariser,
    SummaryProgress,
    SummaryState,
    reveal_summary,
)
from appliance.rag.summary_sets import SummarySets
from appliance.rag.verify import AnswerChecker, SentenceCheck
from appliance.store.database import Database
from appliance.store.gateways import Gateway, GatewayStore, target_of
from appliance.store.schema import Chunk, Collection, Document, DocumentStatus
from appliance.store.vault import DocumentInfo, DocumentVault
from appliance.store.vectors import VectorIndex

if TYPE_CHECKING:
    from appliance.rag.compare import Comparison

# Tokens kept free in the context window beyond the answer's max_tokens.
_CONTEXT_MARGIN = 32


class _AnswerAudit(TypedDict, total=False):
    """What a question's audit record says of its answer, when there is one."""

    verification: dict[str, int]
    answer_source: str
    stopped: str | None


class AnswerStream:
    """Iterate for the answer's text as it is shown, a verified sentence at a time;
    then read :attr:`answer` (or :attr:`text` and the token counts, OpenAI's ``usage``).

    The one stream type of both paths: an answer from documents (``ask``) and plain
    chat (``chat``: no passages, so no checker and no extract; every sentence that
    passes the loop guard and the answer stage is shown).

    :attr:`extract` (the sentences quoted verbatim from the passages) is ready before
    the first sentence is generated, so entry points can show it at once. Generated
    sentences pass, in order: the loop guard, the policy's answer stage (placeholders
    kept), verification against the cited passages, and re-identification when the
    caller asked and may. Unsupported sentences are not streamed; they are listed in
    ``answer.sentences`` as unverified. When no sentence survives, the extractive
    answer is streamed as the answer.
    """

    def __init__(
        self,
        question: str,
        hits: list[Hit],
        deltas: Iterator[str] | None,
        model: str,
        *,
        checker: AnswerChecker | None = None,
        extract: list[Quote] | None = None,
        conceal: Callable[[str], str] | None = None,
        show: Callable[[str], str] | None = None,
        on_done: Callable[[AnswerStream], None] | None = None,
        protected: ProtectedQuestion | None = None,
        count_tokens: Callable[[str], int] | None = None,
    ):
        self.question = question
        self.hits = hits
        self._deltas = deltas
        self._model = model
        self._checker = checker
        self._conceal = conceal or (lambda text: text)
        self._show = show or (lambda text: text)
        self._on_done = on_done
        self._count_tokens = count_tokens
        self._yielded: list[str] = []
        self.answer: Answer | None = None
        # The question as the model saw it, PII counts, policy.
        self.protected = protected
        # Placeholders re-identified in what was shown, per type (empty: nothing was).
        self.revealed: dict[str, int] = {}
        self.extract: list[Quote] = [replace(q, text=self._reveal(q.text)) for q in extract or []]
        self.prompt_tokens = 0
        # Set when an external model answered through the hybrid gateway.
        self.external: ExternalUse | None = None
        # What llama.cpp reported (completion_tokens, finish_reason) and what the
        # appliance did (stopped: "loop"); empty when nothing ran.
        self.generation: dict[str, object] = {}
        # When (time.monotonic()) the first text was handed out; None: not yet.
        self.first_text_at: float | None = None
        self._on_finish: list[Callable[[AnswerStream, BaseException | None, bool], None]] = []
        self._finished = False
        if deltas is None:
            self.answer = Answer(
                question, NOTHING_FOUND, [], found=False, model=model, answer_source="none"
            )

    def when_finished(
        self, callback: Callable[[AnswerStream, BaseException | None, bool], None]
    ) -> None:
        """Call ``callback(stream, error, cancelled)`` once when the stream ends: drained
        (error None, cancelled False), failed (the exception, which still propagates),
        or abandoned before its end (closed, or its iterator dropped: cancelled True)."""
        self._on_finish.append(callback)

    def _finish(self, error: BaseException | None, cancelled: bool) -> None:
        if self._finished:
            return
        self._finished = True
        for callback in self._on_finish:
            callback(self, error, cancelled)

    def __iter__(self) -> Iterator[str]:
        done = False
        error: BaseException | None = None
        try:
            for text in self._texts():
                if self.first_text_at is None:
                    self.first_text_at = time.monotonic()
                yield text
            done = True
        except GeneratorExit:
            raise
        except BaseException as exc:
            error = exc
            raise
        finally:
            self._finish(error, cancelled=not done and error is None)

    def _texts(self) -> Iterator[str]:
        if self._deltas is None:
            yield NOTHING_FOUND
            return
        checks: list[SentenceCheck] = []
        shown: list[str] = []
        for raw in guarded_sentences(self._deltas, self.generation):
            sentence = self._conceal(raw)
            check = self._checker.check(sentence.strip()) if self._checker else None
            if check is None:
                check = SentenceCheck(sentence.strip(), (), None, True)
            checks.append(check)
            if check.supported:
                text = self._reveal(check.text)
                shown.append(text)
                self._yielded.append(text + (raw[len(raw.rstrip()) :] or " "))
                yield self._yielded[-1]
        source = "generated"
        if not shown and self.extract:
            source = "extractive"
            text = extractive_text(self.extract)
            shown.append(text)
            self._yielded.append(text)
            yield text
        finish = self.generation.get("finish_reason")
        self.answer = Answer(
            self.question,
            " ".join(shown).strip(),
            found=True,
            model=self._model,
            sentences=[replace(c, text=self._reveal(c.text)) for c in checks],
            extract=self.extract,
            answer_source=source,
            truncated=finish == "length" and "stopped" not in self.generation,
            stopped=str(self.generation["stopped"]) if "stopped" in self.generation else None,
        )
        self.answer.citations = citations_for(self.answer, self.hits)
        if self._on_done is not None:
            self._on_done(self)

    def _reveal(self, text: str) -> str:
        """``text`` as the caller may see it; counts what was re-identified."""
        out = self._show(text)
        if out != text and self.protected is not None:
            for kind, n in reidentify(text, self.protected.scope)[1].items():
                self.revealed[kind] = self.revealed.get(kind, 0) + n
        return out

    def close(self) -> None:
        """Stop the generation (the client went away); frees the model's turn."""
        close = getattr(self._deltas, "close", None)
        if close is not None:
            close()
        self._finish(None, cancelled=True)

    @property
    def model(self) -> str:
        """The name of the model that answers (an external one's through the gateway)."""
        return self._model

    @property
    def model_used(self) -> dict[str, object]:
        """Which model answered, as the API names it: ``{"name", "external"}``."""
        return {"name": self._model, "external": self.external is not None}

    @property
    def text(self) -> str:
        """What was shown, as streamed (paragraph breaks kept), once iterated."""
        return "".join(self._yielded).strip()

    @property
    def completion_tokens(self) -> int:
        """Tokens generated, as llama.cpp reported them (else counted in what was shown)."""
        reported = self.generation.get("completion_tokens")
        if reported is not None:
            return int(str(reported))
        if self._count_tokens is None or not self.text:
            return 0
        return self._count_tokens(self.text)

    @property
    def pii_counts(self) -> dict[str, int]:
        return dict(self.protected.counts) if self.protected else {}

    def for_history(self, text: str) -> tuple[str, str]:
        """(question, answer) as the model saw them: placeholders, never revealed values;
        what conversation history keeps."""
        if self.protected is None:
            return self.question, text
        if self.revealed:
            text = conceal(text, self.protected.scope)
        return self.protected.text, text

    def result(self) -> Answer:
        """Drain the stream (if not done yet) and return the answer."""
        if self.answer is None:
            for _ in self:
                pass
        assert self.answer is not None
        return self.answer


class Pipeline:
    """The question path (retrieve, ask, chat, embed, open a cited source) and the
    ingestion path (ingest, delete) over one opened data directory."""

    def __init__(
        self,
        settings: Settings,
        *,
        db: Database,
        index: VectorIndex,
        vault: DocumentVault,
        audit: AuditTrail,
        privacy: PrivacyGate,
        library: DocumentLibrary,
        models: ModelRegistry,
        embedder_loaded: Callable[[], Embedder],
        gateways: GatewayStore | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.index = index
        self.vault = vault
        self.audit = audit
        self.privacy = privacy
        self.library = library
        self.models = models
        self._embedder_loaded = embedder_loaded
        self.gateways = gateways
        self._lock = threading.Lock()
        self._retriever: Retriever | None = None
        self.summaries = Summariser(
            db=db,
            vault=vault,
            privacy=privacy,
            models=models,
            audit=audit,
            temperature=settings.temperature,
            repeat_penalty=settings.repeat_penalty,
            # A background job, not a person waiting: each step may take longer than
            # an answer (a long part on a busy machine), up to three answers' limit.
            step_timeout_s=3 * settings.request_timeout_s,
            overview=settings.summary_overview,
            embedder_for=lambda name: library.embedder_for(library.get_collection(name)),
        )
        self.summary_sets = SummarySets(self)

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            embedder = self._embedder_loaded()
            with self._lock:
                if self._retriever is None:
                    self._retriever = Retriever(
                        self.db,
                        self.index,
                        embedder,
                        self.vault,
                        min_dense_similarity=self.settings.min_dense_similarity,
                        embedder_named=self.library.embedder_named,
                        min_similarity_by_embedder={
                            DEFAULT_EMBEDDER: self.settings.min_dense_similarity,
                            MULTILINGUAL_EMBEDDER: self.settings.multilingual_min_dense_similarity,
                        },
                    )
        return self._retriever

    def check_access(self, collection: str, who: Caller, need: str = "read") -> None:
        """Raise :class:`NotAllowed` (and record the refusal) unless ``who`` holds a
        grant on ``collection``. Checked before any index is queried."""
        if who.may(collection, need):
            return
        self.audit.append(
            "access.denied",
            **who.audit_fields(),
            resource=f"collection:{collection}",
            outcome="failure",
            reason=f"no {need} grant",
        )
        raise NotAllowed(f"you have no {need} access to the collection {collection!r}.")

    def document_collection(self, document_id: str) -> str:
        """The name of the collection holding a document (DocumentNotFound if none)."""
        with self.db.session() as s:
            name = s.scalar(
                select(Collection.name)
                .join(Document, Document.collection_id == Collection.id)
                .where(Document.id == document_id, Document.status == DocumentStatus.READY)
            )
        if name is None:
            raise DocumentNotFound(f"no document {document_id!r}.")
        return name

    def _document_for(self, document_id: str, who: Caller, need: str = "read") -> str:
        """The collection of a document ``who`` may use; a document of a collection
        without a grant is answered like a missing one (the refusal is recorded)."""
        collection = self.document_collection(document_id)
        try:
            self.check_access(collection, who, need)
        except NotAllowed:
            raise DocumentNotFound(f"no document {document_id!r}.") from None
        return collection

    def document_page(
        self, document_id: str, page: int | None, who: Caller
    ) -> tuple[DocumentInfo, list[tuple[str, int | None, str, str]]]:
        """A cited page as the index holds it (placeholders): the document and its
        passages on that page (all when ``page`` is None) as (chunk id, page, section,
        text). Opening a source is recorded."""
        collection = self._document_for(document_id, who)
        with self.db.session() as s:
            doc = s.get(Document, document_id)
            assert doc is not None
            query = select(Chunk).where(Chunk.document_id == document_id)
            if page is not None:
                query = query.where(Chunk.page == page)
            chunks = list(s.scalars(query.order_by(Chunk.ordinal)))
            info = self.vault.open_document(doc)
            passages = [
                (c.id, c.page, *self.vault.open_chunk(c, doc.collection_id)) for c in chunks
            ]
        self.audit.append(
            "document.view",
            **who.audit_fields(),
            resource=f"collection:{collection}/document:{document_id}",
            page=page,
        )
        return info, passages

    def read_original(self, document_id: str, who: Caller) -> tuple[DocumentInfo, Iterator[bytes]]:
        """The original file, in clear: it holds the personal data the index does not,
        so only a role the collection's policy lets re-identify may download it."""
        collection = self._document_for(document_id, who)
        col = self.library.get_collection(collection)
        policy = self.privacy.policy(col.policy)
        try:
            self._check_reveal(policy, who)
        except NotAllowed:
            self.audit.append(
                "document.download",
                **who.audit_fields(),
                resource=f"collection:{collection}/document:{document_id}",
                outcome="failure",
                reason="role may not re-identify",
            )
            raise
        with self.db.session() as s:
            doc = s.get(Document, document_id)
            assert doc is not None
            info = self.vault.open_document(doc)
        self.audit.append(
            "document.download",
            **who.audit_fields(),
            resource=f"collection:{collection}/document:{document_id}",
            policy=policy.name,
            policy_digest=policy.digest,
        )
        return info, self.vault.read_original(col.id, document_id)

    def compare_documents(
        self,
        old_id: str,
        new_id: str,
        who: Caller,
        *,
        reveal: bool = False,
        summarise: bool = True,
        cancel: threading.Event | None = None,
    ) -> Comparison:
        """Two versions of a document compared section by section (see
        :mod:`appliance.rag.compare`); recorded as ``document.compare``."""
        from appliance.rag.compare import DocumentComparer

        return DocumentComparer(self).compare(
            old_id, new_id, who, reveal=reveal, summarise=summarise, cancel=cancel
        )

    def delete_document(self, document_id: str, who: Caller | None = None) -> DocumentInfo:
        who = who or Caller.local()
        if who.access is not None:
            collection = self._document_for(document_id, who, "contribute")
        else:
            collection = self.document_collection(document_id)
        info = self.library.delete_document(document_id)
        self.audit.append(
            "document.delete",
            **who.audit_fields(),
            resource=f"collection:{collection}/document:{document_id}",
        )
        return info

    # -- summaries -------------------------------------------------------------------

    def summarise(
        self,
        document_id: str,
        who: Caller,
        *,
        resume: bool = False,
        on_progress: Callable[[SummaryProgress], None] | None = None,
        cancel: threading.Event | None = None,
        max_tokens: int | None = None,
        background: bool = False,
    ) -> tuple[SummaryState, int, int]:
        """Summarise a document the caller may read (see :mod:`appliance.rag.summaries`):
        (the job's state, steps reused from a stored run, steps computed). With
        ``background`` the job runs on a thread and its state is returned at once.
        The request is recorded (``summary.request``), the end by the job."""
        collection = self._document_for(document_id, who)
        col = self.library.get_collection(collection)
        policy = self.privacy.policy(col.policy)
        choice = self.models.model_for(collection)
        summary_id, done = self.summaries.begin(
            document_id, collection, policy, choice, who, resume=resume
        )
        self.audit.append(
            "summary.request",
            **who.audit_fields(),
            resource=f"collection:{collection}/document:{document_id}",
            resume=resume,
            model=choice.name,
            policy=policy.name,
            policy_digest=policy.digest,
        )
        kwargs: dict[str, object] = {"on_progress": on_progress, "cancel": cancel}
        if max_tokens is not None:
            kwargs["max_tokens"] = max_tokens
        if done:
            state = self.summaries.state(document_id)
            assert state is not None
            return state, 0, 0
        args = (summary_id, document_id, collection, policy, choice, who)
        if not background:
            return self.summaries.run(*args, **kwargs)  # type: ignore[arg-type]

        def work() -> None:
            with contextlib.suppress(Exception):  # recorded as failed by the job itself
                self.summaries.run(*args, **kwargs)  # type: ignore[arg-type]

        threading.Thread(target=work, name=f"summary-{document_id}", daemon=True).start()
        state = self.summaries.state(document_id)
        assert state is not None
        return state, 0, 0

    def summary_state(self, document_id: str, who: Caller) -> SummaryState | None:
        """Where the document's summary job stands (None: never summarised)."""
        self._document_for(document_id, who)
        return self.summaries.state(document_id)

    def summary_states(self, collection: str, who: Caller) -> dict[str, SummaryState]:
        """The summary jobs of a collection's documents the caller may read, by
        document id (documents never summarised are absent)."""
        self.check_access(collection, who)
        col = self.library.get_collection(collection)
        with self.db.session() as s:
            ids = list(s.scalars(select(Document.id).where(Document.collection_id == col.id)))
        return self.summaries.states(ids)

    def cancel_summary(self, document_id: str, who: Caller) -> SummaryState:
        """Ask the document's running summary job to stop after its current step;
        recorded (``summary.cancel``)."""
        collection = self._document_for(document_id, who)
        state = self.summaries.request_cancel(document_id)
        self.audit.append(
            "summary.cancel",
            **who.audit_fields(),
            resource=f"collection:{collection}/document:{document_id}",
            status=state.status,
        )
        return state

    def read_summary(
        self, document_id: str, who: Caller, *, reveal: bool = False
    ) -> DocumentSummary:
        """The document's finished summary, placeholders re-identified only when
        ``reveal`` and the policy lets the caller's role (:class:`NotAllowed`
        otherwise); recorded (``summary.view``, and ``pii.reidentified`` with the
        types and counts when a value was shown)."""
        collection = self._document_for(document_id, who)
        col = self.library.get_collection(collection)
        policy = self.privacy.policy(col.policy)
        if reveal:
            self._check_reveal(policy, who)
        summary = self.summaries.read(document_id)
        mapping = self.privacy.registry.document_pseudonyms([document_id]).get(document_id, {})
        shown, counts = reveal_summary(summary, mapping, policy, reveal)
        self.audit.append(
            "summary.view",
            **who.audit_fields(),
            resource=f"collection:{collection}/document:{document_id}",
            policy=policy.name,
            policy_digest=policy.digest,
        )
        if counts:
            self.audit.append(
                "pii.reidentified",
                **who.audit_fields(),
                collection=collection,
                types=counts,
                policy=policy.name,
                policy_digest=policy.digest,
            )
        return shown

    def ingest(
        self,
        paths: list[Path],
        collection: str = DEFAULT_COLLECTION,
        on_result: Callable[[IngestResult], None] | None = None,
        who: Caller | None = None,
        names: Mapping[Path, str] | None = None,
    ) -> list[IngestResult]:
        who = who or Caller.local()
        self.check_access(collection, who, "contribute")
        results = self.library.ingest(paths, collection, on_result, names)
        for r in results:
            self.audit.append(
                "document.ingest",
                **who.audit_fields(),
                resource=f"collection:{collection}/document:{r.document_id or '-'}",
                outcome="failure" if not r.ok else "success",
                # Not the error text: it quotes the file's path, which may name a person.
                reason="failed" if not r.ok else r.status,
                chunks=r.chunks,
            )
        return results

    def _search(
        self, question: str, collection: str, k: int | None, who: Caller, *, egress: bool = False
    ) -> tuple[ProtectedQuestion, list[Hit]]:
        """Prompt stage, retrieval (helped by the identifiers the question names) and
        context stage: the passages in the conversation's terms. ``egress``: for an
        external model, both stages pseudonymise every identifier and the passages are
        scanned again (:mod:`appliance.rag.egress`); the result carries the
        collection's own policy for the answer stage."""
        self.check_access(collection, who)
        col = self.library.get_collection(collection)
        own = self.privacy.policy(col.policy)
        policy = egress_policy(own) if egress else own
        protected = self._prompt_stage([question], policy, who, collection=collection)[0]
        mentioned = self.privacy.registry.chunks_mentioning(protected.scope, col.id)
        # Placeholders say nothing about content (every document has a <PERSON_1>);
        # who is asked about is matched through the registry instead.
        search_text = PLACEHOLDER.sub(" ", protected.text)
        hits = self.retriever.retrieve(
            search_text, col, k or self.settings.top_k, entity_chunks=mentioned
        )
        hits = self.privacy.context_hits(hits, protected)
        if egress:
            hits = egress_hits(self.privacy, hits, protected)
            protected = replace(protected, policy=own)
        return protected, hits

    def _record_question(
        self,
        action: str,
        protected: ProtectedQuestion,
        hits: list[Hit],
        who: Caller,
        collection: str,
        model: ModelChoice | None = None,
        answer: Answer | None = None,
        external: Gateway | None = None,
        node: str | None = None,
    ) -> None:
        """Who asked what of which collection, and which sources answered: ids, model,
        policy, PII counts and the answer's verification counts; never any text.
        ``node``: the llama-server node (its URL) that generated the answer, on the
        llama-server backends."""
        answered: _AnswerAudit = (
            {
                "verification": answer.verdicts(),
                "answer_source": answer.answer_source,
                "stopped": answer.stopped or ("length" if answer.truncated else None),
            }
            if answer is not None
            else {}
        )
        self.audit.append(
            action,
            **who.audit_fields(),
            resource=f"collection:{collection}",
            documents=sorted({h.document_id for h in hits}),
            # Every chunk a passage spans (a joined one spans two or three), once.
            chunks=list(dict.fromkeys(c for h in hits for c in h.chunk_ids)),
            model=external.model if external else model.name if model else None,
            model_sha256=self.models.digest(model) if model else None,
            policy=protected.policy.name,
            policy_digest=protected.policy.digest,
            pii=protected.counts,
            **answered,
            **({"endpoint": external.url} if external else {}),
            **({"node": node} if node else {}),
        )

    def _check_reveal(self, policy: Policy, who: Caller) -> None:
        if not policy.may_reidentify(who.role):
            allowed = ", ".join(policy.reidentify_roles) or "no role"
            raise NotAllowed(
                f"role {who.role!r} may not re-identify personal data under the "
                f"{policy.name!r} policy (allowed: {allowed})."
            )

    def _record_reveal(
        self, types: dict[str, int], protected: ProtectedQuestion, who: Caller, collection: str
    ) -> None:
        """A re-identification, with the types and counts of what was shown."""
        self.audit.append(
            "pii.reidentified",
            **who.audit_fields(),
            collection=collection,
            types=types,
            policy=protected.policy.name,
            policy_digest=protected.policy.digest,
        )

    def retrieve(
        self,
        question: str,
        collection: str = DEFAULT_COLLECTION,
        k: int | None = None,
        *,
        who: Caller | None = None,
        reveal: bool = False,
    ) -> list[Hit]:
        """The passages an answer would use, as the model would see them (placeholders),
        or with the values when ``reveal`` and the caller's role may re-identify."""
        who = who or Caller.local()
        protected, hits = self._search(question, collection, k, who)
        self._record_question("question.retrieve", protected, hits, who, collection)
        if not reveal:
            return hits
        self._check_reveal(protected.policy, who)
        counts: dict[str, int] = {}

        def show(text: str) -> str:
            out, found = reidentify(text, protected.scope)
            for kind, n in found.items():
                counts[kind] = counts.get(kind, 0) + n
            return out

        shown = [h.rewritten(show) for h in hits]
        if counts:
            self._record_reveal(counts, protected, who, collection)
        return shown

    def ask(
        self,
        question: str,
        collection: str = DEFAULT_COLLECTION,
        *,
        k: int | None = None,
        params: GenerationParams | None = None,
        cancel: threading.Event | None = None,
        who: Caller | None = None,
        reveal: bool = False,
    ) -> AnswerStream:
        who = who or Caller.local()
        gateway = self.gateway_for(collection)
        protected, hits = self._search(question, collection, k, who, egress=gateway is not None)
        if reveal:
            self._check_reveal(protected.policy, who)
        if gateway is not None and hits:
            return self._ask_external(
                gateway, question, collection, protected, hits, params, who, reveal
            )
        if not hits:
            self._record_question("question.ask", protected, [], who, collection)
            return AnswerStream(question, [], None, self.settings.chat_model, protected=protected)
        choice = self.models.model_for(collection)
        engine = self.models.engine_loaded(choice)
        params = params or self.answer_params()
        if not params.stop:
            params = replace(params, stop=STOP_SEQUENCES)
        hits, messages = self._fit_context(engine, protected.text, hits, params.max_tokens)
        # Answers are checked against the sources in the collection's own vector space.
        col = self.library.get_collection(collection)
        embed = self.library.embedder_for(col).embed
        report: dict[str, object] = {}
        deltas = self.models.scheduler_for(choice).stream_chat(
            messages, params, cancel, user=who.actor, report=report
        )

        def show(text: str) -> str:
            return reidentify(text, protected.scope)[0] if reveal else text

        def done(stream: AnswerStream) -> None:
            # Recorded once the answer is shown, with what verification found; a
            # reveal only when a placeholder was re-identified in what was shown.
            if stream.revealed:
                self._record_reveal(stream.revealed, protected, who, collection)
            assert stream.answer is not None
            node = report.get("node")
            self._record_question(
                "question.ask",
                protected,
                hits,
                who,
                collection,
                choice,
                stream.answer,
                node=str(node) if node else None,
            )

        stream = AnswerStream(
            question,
            hits,
            deltas,
            choice.name,
            checker=AnswerChecker(
                protected.text, hits, embed, self._stored_vectors(collection, hits)
            ),
            extract=extract_answer(protected.text, hits, embed),
            conceal=self.privacy.answer_filter(protected, False),
            show=show,
            on_done=done,
            protected=protected,
        )
        stream.prompt_tokens = engine.prompt_tokens(messages)
        stream.generation = report
        return stream

    def gateway_for(self, collection: str | None) -> Gateway | None:
        """The external endpoint attached to ``collection`` (None: plain chat), if any;
        None when the hybrid gateway is off for it (the default)."""
        if self.gateways is None:
            return None
        return self.gateways.get(target_of(collection))

    def _ask_external(
        self,
        gateway: Gateway,
        question: str,
        collection: str,
        protected: ProtectedQuestion,
        hits: list[Hit],
        params: GenerationParams | None,
        who: Caller,
        reveal: bool,
    ) -> AnswerStream:
        """``ask`` answered by the collection's external model: the pseudonymised
        question and passages leave (after the final scan), the reply passes the same
        answer stage, verification and re-identification as a local answer."""
        params = params or self.answer_params()
        messages = build_messages(protected.text, hits)
        reply, use = self._send_external(
            gateway, messages, params, protected, who, f"collection:{collection}"
        )
        col = self.library.get_collection(collection)
        embed = self.library.embedder_for(col).embed

        def show(text: str) -> str:
            return reidentify(text, protected.scope)[0] if reveal else text

        def done(stream: AnswerStream) -> None:
            if stream.revealed:
                self._record_reveal(stream.revealed, protected, who, collection)
            assert stream.answer is not None
            self._record_question(
                "question.ask",
                protected,
                hits,
                who,
                collection,
                answer=stream.answer,
                external=gateway,
            )

        stream = AnswerStream(
            question,
            hits,
            iter([reply.text]),
            gateway.model,
            checker=AnswerChecker(
                protected.text, hits, embed, self._stored_vectors(collection, hits)
            ),
            extract=extract_answer(protected.text, hits, embed),
            conceal=self.privacy.answer_filter(protected, False),
            show=show,
            on_done=done,
            protected=protected,
        )
        self._external_stream(stream, reply, use)
        return stream

    @staticmethod
    def _external_stream(stream: AnswerStream, reply: ExternalReply, use: ExternalUse) -> None:
        stream.prompt_tokens = reply.prompt_tokens
        stream.generation = {
            "completion_tokens": reply.completion_tokens,
            "finish_reason": reply.finish_reason,
        }
        stream.external = use

    def _send_external(
        self,
        gateway: Gateway,
        messages: list[ChatMessage],
        params: GenerationParams,
        protected: ProtectedQuestion,
        who: Caller,
        resource: str,
    ) -> tuple[ExternalReply, ExternalUse]:
        """Scan the outgoing body once more, send it, record what left.

        Recorded as ``gateway.request`` (endpoint, model, token counts, the body's
        sha256 and size; never its text), also when the endpoint failed after the body
        left; a body the final scan refuses is recorded as ``gateway.refused`` (the
        types found) and never sent. Raises :class:`EgressRefused`, :class:`GatewayError`."""
        assert self.gateways is not None
        policy = protected.policy
        body = request_body(
            [{"role": m["role"], "content": m["content"]} for m in messages],
            gateway.model,
            max_tokens=params.max_tokens,
            temperature=params.temperature,
        )
        fields: dict[str, Any] = {
            **who.audit_fields(),
            "resource": resource,
            "endpoint": gateway.url,
            "model": gateway.model,
            "body_sha256": body_digest(body),
            "body_bytes": len(body),
            "policy": policy.name,
            "policy_digest": policy.digest,
            "pii": protected.counts,
        }
        found = scan_outgoing(self.privacy, body, policy)
        if found:
            self.audit.append("gateway.refused", **fields, outcome="failure", types=found)
            raise EgressRefused(
                "not sent to the external model: the final check of the outgoing request "
                f"still found personal data ({', '.join(found)}) after pseudonymisation. "
                "Nothing left the machine. Rephrase the question, or ask an administrator "
                "to review the policy's thresholds or detach the external model."
            )
        api_key = self.gateways.api_key(gateway.target)  # nothing has left yet if this fails
        try:
            reply = post_chat(gateway.url, body, api_key, timeout_s=gateway.timeout_seconds)
        except GatewayError:
            self.audit.append(
                "gateway.request",
                **fields,
                outcome="failure",
                reason="endpoint failed",
                prompt_tokens=0,
                completion_tokens=0,
            )
            raise
        use = ExternalUse(
            gateway.url,
            gateway.model,
            reply.prompt_tokens,
            reply.completion_tokens,
            str(fields["body_sha256"]),
            cost_of(reply.prompt_tokens, reply.completion_tokens, gateway.price_per_1k),
        )
        self.audit.append(
            "gateway.request",
            **fields,
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
            cost=use.cost,
        )
        return reply, use

    def answer_params(self) -> GenerationParams:
        """Generation settings for answers from documents (see ``Settings``)."""
        return GenerationParams(
            max_tokens=self.settings.answer_max_tokens,
            temperature=self.settings.temperature,
            repeat_penalty=self.settings.repeat_penalty,
            stop=STOP_SEQUENCES,
        )

    def chat(
        self,
        messages: list[ChatMessage],
        *,
        params: GenerationParams | None = None,
        cancel: threading.Event | None = None,
        who: Caller | None = None,
    ) -> AnswerStream:
        """Chat without documents (the API's plain model), under ``chat_policy``: every
        message passes the prompt stage with one conversation's placeholders, the
        answer passes the answer stage; recorded like a question."""
        who = who or Caller.local()
        policy = self.privacy.policy(self.settings.chat_policy)
        scope = self.privacy.new_scope()
        gateway = self.gateway_for(None)
        stage_policy = egress_policy(policy) if gateway is not None else policy
        texts, counts = self._protect_texts(
            [m["content"] for m in messages], stage_policy, who, scope
        )
        protected_messages: list[ChatMessage] = [
            {"role": m["role"], "content": text} for m, text in zip(messages, texts, strict=True)
        ]
        assert texts, "no messages"
        answer_scope = ProtectedQuestion(texts[-1], scope, counts, policy)
        if gateway is not None:
            return self._chat_external(gateway, protected_messages, answer_scope, params, who)
        choice = self.models.model_for(None)
        engine = self.models.engine_loaded(choice)
        params = params or GenerationParams(
            max_tokens=self.settings.max_tokens, temperature=self.settings.temperature
        )
        prompt_tokens = engine.prompt_tokens(protected_messages)
        if prompt_tokens + params.max_tokens > engine.n_ctx:
            raise QuestionTooLong(
                f"the messages take {prompt_tokens} tokens and the answer up to "
                f"{params.max_tokens}; together more than the model's context of {engine.n_ctx}. "
                "Shorten the messages or lower max_tokens."
            )
        self.audit.append(
            "chat.completion",
            **who.audit_fields(),
            resource=f"model:{choice.name}",
            model=choice.name,
            model_sha256=self.models.digest(choice),
            policy=policy.name,
            policy_digest=policy.digest,
            messages=len(messages),
            pii=counts,
        )
        report: dict[str, object] = {}
        deltas = self.models.scheduler_for(choice).stream_chat(
            protected_messages, params, cancel, user=who.actor, report=report
        )
        stream = AnswerStream(
            answer_scope.text,
            [],
            deltas,
            choice.name,
            conceal=self.privacy.answer_filter(answer_scope, False),
            protected=answer_scope,
            count_tokens=engine.count_tokens,
        )
        stream.prompt_tokens = prompt_tokens
        stream.generation = report
        return stream

    def _chat_external(
        self,
        gateway: Gateway,
        messages: list[ChatMessage],
        protected: ProtectedQuestion,
        params: GenerationParams | None,
        who: Caller,
    ) -> AnswerStream:
        """Plain chat answered by the external model attached to it (messages already
        through the prompt stage under the egress policy); recorded like a local chat
        (``chat.completion``) and as ``gateway.request``."""
        params = params or GenerationParams(
            max_tokens=self.settings.max_tokens, temperature=self.settings.temperature
        )
        policy = protected.policy
        self.audit.append(
            "chat.completion",
            **who.audit_fields(),
            resource=f"model:{gateway.model}",
            model=gateway.model,
            endpoint=gateway.url,
            policy=policy.name,
            policy_digest=policy.digest,
            messages=len(messages),
            pii=protected.counts,
        )
        reply, use = self._send_external(gateway, messages, params, protected, who, "chat")
        stream = AnswerStream(
            protected.text,
            [],
            iter([reply.text]),
            gateway.model,
            conceal=self.privacy.answer_filter(protected, False),
            protected=protected,
        )
        self._external_stream(stream, reply, use)
        return stream

    def _protect_texts(
        self, texts: list[str], policy: Policy, who: Caller, scope: PseudonymScope | None = None
    ) -> tuple[list[str], dict[str, int]]:
        """The prompt stage over several texts (one ``scope``: one conversation's
        placeholders; None: each its own); a block is recorded and raised."""
        counts: dict[str, int] = {}
        out = []
        for result in self._prompt_stage(texts, policy, who, scope):
            out.append(result.text)
            for kind, n in result.counts.items():
                counts[kind] = counts.get(kind, 0) + n
        return out, counts

    def _prompt_stage(
        self,
        texts: list[str],
        policy: Policy,
        who: Caller,
        scope: PseudonymScope | None = None,
        *,
        collection: str | None = None,
    ) -> list[ProtectedQuestion]:
        """The policy's prompt stage over ``texts`` (``scope``: one conversation's
        placeholders; None: each its own). A block is recorded (``pii.blocked``, the
        types only) and :class:`PiiBlocked` raised."""
        try:
            return [self.privacy.protect_question(text, policy, scope) for text in texts]
        except PiiBlocked as exc:
            self.audit.append(
                "pii.blocked",
                **who.audit_fields(),
                outcome="failure",
                stage=exc.stage,
                types=exc.types,
                **({"collection": collection} if collection is not None else {}),
                policy=policy.name,
                policy_digest=policy.digest,
            )
            raise

    def embed(self, texts: list[str], who: Caller | None = None) -> tuple[np.ndarray, int]:
        """Embeddings for the API, of the texts as ``chat_policy``'s prompt stage leaves
        them (pseudonymised, as the index holds its passages); (vectors, tokens read)."""
        who = who or Caller.local()
        policy = self.privacy.policy(self.settings.chat_policy)
        protected, counts = self._protect_texts(texts, policy, who)
        embedder = self._embedder_loaded()
        vectors = embedder.embed(protected)
        self.audit.append(
            "embeddings.create",
            **who.audit_fields(),
            resource=f"model:{embedder.name}",
            inputs=len(texts),
            policy=policy.name,
            policy_digest=policy.digest,
            pii=counts,
        )
        return vectors, embedder.count_tokens(protected)

    def _stored_vectors(self, collection: str, hits: list[Hit]) -> np.ndarray | None:
        """The sources' embeddings as indexed (None if any is missing); a joined
        passage's is the normalised mean of its chunks' vectors."""
        space = space_of(self.library.get_collection(collection))
        ids = [c for h in hits for c in h.chunk_ids]
        found = self.index.vectors(space, ids)
        if any(c not in found for c in ids):
            return None
        rows = []
        for h in hits:
            mean = np.mean([found[c] for c in h.chunk_ids], axis=0)
            rows.append(mean / (np.linalg.norm(mean) or 1.0))
        return np.stack(rows)

    def _fit_context(
        self, engine: ChatEngine, question: str, hits: list[Hit], max_tokens: int
    ) -> tuple[list[Hit], list[ChatMessage]]:
        """Drop the lowest-ranked sources until prompt and answer fit the context; the
        neighbours joined to a source (``retrieval.JOIN_MAX_CHARS``) go first, lowest-
        ranked source first."""
        budget = engine.n_ctx - max_tokens - _CONTEXT_MARGIN
        while True:
            messages = build_messages(question, hits)
            used = engine.prompt_tokens(messages)
            if used <= budget:
                return hits, messages
            joined = [i for i, h in enumerate(hits) if len(h.chunk_ids) > 1]
            if joined:
                i = joined[-1]
                hits = [*hits[:i], hits[i].anchor_only(), *hits[i + 1 :]]
                continue
            if len(hits) == 1:
                raise QuestionTooLong(
                    f"the question and its best source need {used} tokens, more than the "
                    f"{budget} the model's context window (n_ctx = {engine.n_ctx}) leaves "
                    "after the answer; shorten the question or raise n_ctx."
                )
            hits = hits[:-1]
