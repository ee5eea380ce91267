"""The doors of staff's acts: ingest, delete, retrieve, ask, chat, embed, open a
cited source or download an original. Each checks the caller's grants and is
recorded by the question and ingestion paths (:mod:`appliance.rag.pipeline`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from appliance.caller import Caller
from appliance.errors import ApplianceError
from appliance.llm import ChatEngine, GenerationParams
from appliance.llm.engine import ChatMessage
from appliance.llm.registry import ModelChoice
from appliance.llm.scheduler import Scheduler
from appliance.rag.compare import Comparison
from appliance.rag.documents import DEFAULT_COLLECTION, IngestResult
from appliance.rag.pipeline import AnswerStream
from appliance.rag.privacy import ProtectedQuestion
from appliance.rag.retrieval import Hit, Retriever
from appliance.service.usage import Usage
from appliance.store.vault import DocumentInfo


class Questions(Usage):
    """Staff's acts on documents and questions (built on the administrators' doors,
    which create a collection a first upload names). Each question and each file is
    counted for the usage report when it ends (:mod:`appliance.service.usage`)."""

    def ingest(
        self,
        paths: list[Path],
        collection: str = DEFAULT_COLLECTION,
        on_result: Callable[[IngestResult], None] | None = None,
        who: Caller | None = None,
        names: Mapping[Path, str] | None = None,
        *,
        policy: str | None = None,
    ) -> list[IngestResult]:
        """Add files or folders (recursively) to ``collection``; one result per file,
        in order, also passed to ``on_result`` as each finishes.

        A collection that does not exist yet is created first (bound to ``policy``,
        default "default"), recorded as ``collection.create`` like any other creation.
        ``names``: the file names to record instead of the paths' (uploads).

        Raises :class:`NotAllowed` without a contribute grant,
        :class:`DocumentError` when ``policy`` differs from the collection's.
        Each file is recorded (``document.ingest``), a failed one with its outcome."""
        who = who or Caller.local()
        self.check_access(collection, who, "contribute")
        if not self.library.has_collection(collection):
            self.create_collection(collection, policy or "default", who=who)
        else:
            self.library.ensure_collection(collection, policy)
        counted = self._counting_results(collection, who, on_result)
        return self.pipeline.ingest(paths, collection, counted, who, names)

    def delete_document(self, document_id: str, who: Caller | None = None) -> DocumentInfo:
        """Delete a document: its passages, vectors, sealed original and data key
        (shredded). Raises :class:`CollectionNotFound` for an unknown document or
        one of a collection the caller may not contribute to."""
        return self.pipeline.delete_document(document_id, who)

    def compare_documents(
        self,
        old_id: str,
        new_id: str,
        who: Caller | None = None,
        *,
        reveal: bool = False,
        summarise: bool = True,
        cancel: threading.Event | None = None,
    ) -> Comparison:
        """Compare two versions of a document (ids ``old_id``, ``new_id``): the sections
        added, removed, changed (with the sentences removed and added) and moved, found
        by aligning sections, not by the model; each change summarised by the model in
        one or two sentences citing both versions when the summary passes verification
        (``summarise``: False skips the model). Placeholders are shown unless ``reveal``
        and both collections' policies let the caller's role re-identify.

        Raises :class:`CollectionNotFound` for a document that does not exist or whose
        collection the caller may not read (recorded as ``access.denied``),
        :class:`NotAllowed` for a reveal the role may not make, :class:`DocumentError`
        when both ids are the same, :class:`PiiBlocked` when a policy's context stage
        blocks a value the documents hold. Recorded as ``document.compare`` (ids and
        counts, never text)."""
        return self.pipeline.compare_documents(
            old_id,
            new_id,
            who or Caller.local(),
            reveal=reveal,
            summarise=summarise,
            cancel=cancel,
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
        """The ``k`` (default ``top_k``) passages an answer would use, best first, as
        the model would see them (placeholders), or with the values when ``reveal``
        and the caller's role may re-identify (:class:`NotAllowed` otherwise).
        Raises :class:`PiiBlocked` when the policy blocks the question."""
        return self.pipeline.retrieve(question, collection, k, who=who, reveal=reveal)

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
        """Answer ``question`` from ``collection``'s documents: iterate the returned
        stream for the verified sentences as they are generated, then read its
        ``answer`` (text, citations, unverified sentences, quotes).

        Raises :class:`NotAllowed`, :class:`PiiBlocked`, :class:`QuestionTooLong`,
        :class:`Overloaded` (queue full) or :class:`ModelError`."""
        who = who or Caller.local()
        started = time.monotonic()
        try:
            stream = self.pipeline.ask(
                question, collection, k=k, params=params, cancel=cancel, who=who, reveal=reveal
            )
        except ApplianceError as exc:
            self._count_refusal("question", collection, who, started, exc)
            raise
        return self._count_when_finished(stream, "question", collection, who, started)

    def chat(
        self,
        messages: list[ChatMessage],
        *,
        params: GenerationParams | None = None,
        cancel: threading.Event | None = None,
        who: Caller | None = None,
    ) -> AnswerStream:
        """Chat without documents (the API's plain model) under ``chat_policy``."""
        who = who or Caller.local()
        started = time.monotonic()
        try:
            stream = self.pipeline.chat(messages, params=params, cancel=cancel, who=who)
        except ApplianceError as exc:
            self._count_refusal("chat", "", who, started, exc)
            raise
        return self._count_when_finished(stream, "chat", "", who, started)

    def embed(self, texts: list[str], who: Caller | None = None) -> tuple[np.ndarray, int]:
        """Embeddings for the API: (vectors of shape (len(texts), dim), tokens read)."""
        return self.pipeline.embed(texts, who)

    def check_access(self, collection: str, who: Caller, need: str = "read") -> None:
        """Raise :class:`NotAllowed` (and record the refusal) unless ``who`` holds a
        ``need`` ("read" or "contribute") grant on ``collection``."""
        self.pipeline.check_access(collection, who, need)

    def document_collection(self, document_id: str) -> str:
        """The name of the collection holding a ready document (CollectionNotFound)."""
        return self.pipeline.document_collection(document_id)

    def document_page(
        self, document_id: str, page: int | None, who: Caller
    ) -> tuple[DocumentInfo, list[tuple[str, int | None, str, str]]]:
        """A cited page as the index holds it: the document and its passages on that
        page (all when ``page`` is None) as (chunk id, page, section, text)."""
        return self.pipeline.document_page(document_id, page, who)

    def read_original(self, document_id: str, who: Caller) -> tuple[DocumentInfo, Iterator[bytes]]:
        """The original file in clear, for a role the policy lets re-identify."""
        return self.pipeline.read_original(document_id, who)

    def for_history(
        self, protected: ProtectedQuestion | None, texts: list[str]
    ) -> tuple[list[str], dict[str, dict[str, Any]]]:
        """``texts`` of one answer as conversation history keeps them (placeholders,
        never values), with what each placeholder stood for as keyed hashes, so
        subject requests find the conversation."""
        return self.privacy.for_history(protected, texts)

    def answer_params(self) -> GenerationParams:
        """Generation settings for answers from documents (see ``Settings``)."""
        return self.pipeline.answer_params()

    # -- the loaded models (read-only views for servers, metrics and tests) ----

    @property
    def retriever(self) -> Retriever:
        return self.pipeline.retriever

    def model_for(self, collection: str | None = None) -> ModelChoice:
        """The chat model answering from ``collection`` (None: plain chat)."""
        return self.models.model_for(collection)

    def engine_loaded(self, choice: ModelChoice | None = None) -> ChatEngine:
        """The loaded engine for ``choice`` (None: the configured ``chat_model``)."""
        return self.models.engine_loaded(choice)

    @property
    def scheduler(self) -> Scheduler:
        """The fair queue in front of the default model's instances."""
        return self.models.scheduler

    @property
    def scheduler_started(self) -> Scheduler | None:
        """The default model's queue if a request has made it, else None (metrics)."""
        return self.models.scheduler_started

    def scheduler_for(self, choice: ModelChoice) -> Scheduler:
        return self.models.scheduler_for(choice)

    def model_digest(self) -> str:
        """The configured ``chat_model``'s sha256 (hex), hashed once."""
        return self.models.digest()
