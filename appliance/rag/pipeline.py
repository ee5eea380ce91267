"""The appliance: one object through which every question and document passes.

Entry points (CLI, web, API) build one :class:`Appliance` for a data
directory and call :meth:`ingest`, :meth:`retrieve` and :meth:`ask`. Models
load lazily and once; tests and servers can hand in already-loaded ones.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from sqlalchemy import select

from appliance.audit import AuditTrail
from appliance.config import Settings, load_settings
from appliance.crypto import Keyring, KeySource, ShredLog, Signer, resolve_key_source
from appliance.crypto.signing import rotation_entries as signing_rotation_entries
from appliance.embeddings import OnnxEmbedder
from appliance.errors import (
    CollectionNotFound,
    ModelError,
    NotAllowed,
    QuestionTooLong,
    StoreError,
)
from appliance.files import ensure_private_dir
from appliance.llm import GenerationParams, LlamaEngine
from appliance.llm.engine import ChatMessage, EngineOptions
from appliance.llm.guard import guarded_sentences
from appliance.llm.scheduler import Scheduler
from appliance.models import SPACY_EN_DIR
from appliance.privacy import (
    PLACEHOLDER,
    PiiBlocked,
    PiiDetector,
    Policy,
    PseudonymScope,
    conceal,
    reidentify,
    shared_detector,
)
from appliance.rag.answer import (
    NOTHING_FOUND,
    STOP_SEQUENCES,
    Answer,
    build_messages,
    citations_for,
    extractive_text,
)
from appliance.caller import Caller
from appliance.rag.documents import DEFAULT_COLLECTION, DocumentLibrary, IngestResult
from appliance.rag.extractive import Quote, extract_answer
from appliance.rag.privacy import (
    PrivacyGate,
    ProtectedQuestion,
    filter_sentences,
    install_log_filter,
)
from appliance.rag.retrieval import Hit, Retriever
from appliance.rag.verify import AnswerChecker, SentenceCheck
from appliance.store.database import Database
from appliance.store.keys import SqlKeyStore
from appliance.store.schema import ChatModel, Chunk, Collection, Document, DocumentStatus
from appliance.store.vault import DocumentInfo, DocumentVault
from appliance.store.vectors import VectorIndex

# Tokens kept free in the context window beyond the answer's max_tokens.
_CONTEXT_MARGIN = 32
_MODEL_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True)
class ModelChoice:
    """Which chat model answers: its name, GGUF path, optional LoRA adapter, and its
    sha256 when known from ``models add`` (None: the configured ``chat_model``,
    hashed on first use)."""

    name: str
    path: Path
    lora_path: Path | None
    sha256: str | None

    def is_configured_default(self, settings: Settings) -> bool:
        return self.sha256 is None and self.path == settings.chat_model_path


@dataclass(frozen=True)
class ChatModelInfo:
    """An added model as ``appliance models`` and the admin page list it."""

    name: str
    path: str
    sha256: str
    size: int
    architecture: str
    context_length: int | None
    lora_path: str | None
    is_default: bool
    collections: list[str]

    def as_json(self) -> dict[str, object]:
        return dict(self.__dict__)


class AnswerStream:
    """Iterate for the answer's text as it is shown, a verified sentence at a time;
    then read :attr:`answer`.

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
    ):
        self.question = question
        self.hits = hits
        self._deltas = deltas
        self._model = model
        self._checker = checker
        self._conceal = conceal or (lambda text: text)
        self._show = show or (lambda text: text)
        self._on_done = on_done
        self.answer: Answer | None = None
        # The question as the model saw it, PII counts, policy.
        self.protected = protected
        # Placeholders re-identified in what was shown, per type (empty: nothing was).
        self.revealed: dict[str, int] = {}
        self.extract: list[Quote] = [replace(q, text=self._reveal(q.text)) for q in extract or []]
        self.prompt_tokens = 0
        # What llama.cpp reported (completion_tokens, finish_reason) and what the
        # appliance did (stopped: "loop"); empty when nothing ran.
        self.generation: dict[str, object] = {}
        if deltas is None:
            self.answer = Answer(
                question, NOTHING_FOUND, [], found=False, model=model, answer_source="none"
            )

    def __iter__(self) -> Iterator[str]:
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
                yield text + (raw[len(raw.rstrip()) :] or " ")
        source = "generated"
        if not shown and self.extract:
            source = "extractive"
            text = extractive_text(self.extract)
            shown.append(text)
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
        close = getattr(self._deltas, "close", None)
        if close is not None:
            close()

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


class ChatStream:
    """Iterate for the answer's text as it is generated; then read ``text`` and the
    token counts (OpenAI's ``usage``)."""

    def __init__(
        self,
        deltas: Iterator[str],
        engine: LlamaEngine,
        prompt_tokens: int,
        pii: dict[str, int],
        generation: dict[str, object] | None = None,
    ) -> None:
        self._deltas = deltas
        self.generation = generation if generation is not None else {}
        self._engine = engine
        self.prompt_tokens = prompt_tokens
        self.pii_counts = pii
        self.text = ""
        self.completion_tokens = 0

    def __iter__(self) -> Iterator[str]:
        parts = []
        for delta in self._deltas:
            parts.append(delta)
            yield delta
        self.text = "".join(parts).strip()
        reported = self.generation.get("completion_tokens")
        self.completion_tokens = (
            int(reported)  # type: ignore[call-overload]
            if reported is not None
            else (self._engine.count_tokens(self.text) if self.text else 0)
        )

    def close(self) -> None:
        close = getattr(self._deltas, "close", None)
        if close is not None:
            close()


class Appliance:
    # The benchmark swaps in a plaintext vault to measure what encryption costs.
    vault_class: type[DocumentVault] = DocumentVault

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: OnnxEmbedder | None = None,
        engine: LlamaEngine | None = None,
        key_source: KeySource | None = None,
        create_keyring: bool = True,
    ) -> None:
        self.settings = settings or load_settings()
        self._key_source = key_source
        self._create_keyring = create_keyring
        self._signer: Signer | None = None
        self._model_sha256: str | None = None
        self._embedder = embedder
        self._engine = engine
        self._embedder_lock = threading.Lock()
        self._engine_lock = threading.Lock()
        self._scheduler: Scheduler | None = None
        # Added models (``appliance models add``) loaded on first use, by name.
        self._engines: dict[str, LlamaEngine] = {}
        self._schedulers: dict[str, Scheduler] = {}
        self._opened = False

    # -- lifecycle -----------------------------------------------------------

    def open(self) -> Appliance:
        """Create the data directory (0700) and schema if needed, unlock the keyring
        and recover. A wrong passphrase or key file fails before anything is written."""
        if self._opened:
            return self
        data_dir = self.settings.data_dir
        if data_dir.exists() and not data_dir.is_dir():
            raise StoreError(f"data directory {data_dir} exists and is not a folder.")
        source = self._key_source or resolve_key_source(self.settings.key_file, data_dir)
        ensure_private_dir(data_dir)
        # Every file the appliance creates is readable by its owner only.
        os.umask(0o077)
        self.db = Database(self.settings.sqlalchemy_url)
        self.db.open()
        try:
            self.keyring = Keyring.unlock(
                SqlKeyStore(self.db),
                source,
                ShredLog(self.settings.shred_log_path),
                after_shred=self.db.flush_deleted,
                create=self._create_keyring,
            )
        except BaseException:
            self.db.dispose()
            raise
        self.vault = self.vault_class(self.keyring, self.settings.blob_dir)
        self.index = VectorIndex(
            path=self.settings.chroma_path,
            host=self.settings.chroma_host,
            port=self.settings.chroma_port,
        )
        self.audit = AuditTrail(
            self.db,
            self.audit_signer,
            checkpoint_every=self.settings.audit_checkpoint_every,
        )
        self.privacy = PrivacyGate(
            self.db, self.keyring, self.detector_loaded, self.settings.data_dir, self.audit
        )
        install_log_filter(self.privacy, self.settings.log_policy)
        self.library = DocumentLibrary(
            self.db,
            self.index,
            self.vault,
            self.privacy,
            self.embedder_loaded,
            data_dir / "ingest.lock",
            max_bytes=self.settings.max_upload_bytes,
            chunk_chars=self.settings.chunk_chars,
            overlap_chars=self.settings.chunk_overlap_chars,
        )
        self.library.recover(blocking=False)
        self._retriever: Retriever | None = None
        self._opened = True
        return self

    def close(self) -> None:
        if self._opened:
            self.audit.checkpoint()  # at shutdown: the tail is committed and signed
            self.db.dispose()
            self._opened = False

    def audit_signer(self) -> Signer:
        """The audit trail's Ed25519 key (created on first use, wrapped under the KEK)."""
        if self._signer is None:
            self._signer = Signer.load_or_create(self.keyring, self.settings.keys_dir, "audit")
        return self._signer

    def __enter__(self) -> Appliance:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- keys ------------------------------------------------------------------

    def rotate_keys(
        self,
        new_source: KeySource,
        *,
        on_progress: Callable[[int, int], None] | None = None,
        batch: int = 200,
        crash_after: int | None = None,
    ) -> int:
        """Move every data key and signing key to a new KEK version (resumable)."""
        with self.library.exclusive():
            version = self.keyring.rotate(
                new_source,
                secrets=signing_rotation_entries(self.settings.keys_dir),
                batch=batch,
                on_progress=on_progress,
                crash_after=crash_after,
            )
        who = Caller.local()
        self.audit.append(
            "keys.rotate", **who.audit_fields(), kek_version=version, kek_source=new_source.kind
        )
        return version

    # -- access ----------------------------------------------------------------

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
        """The name of the collection holding a document (CollectionNotFound if none)."""
        with self.db.session() as s:
            name = s.scalar(
                select(Collection.name)
                .join(Document, Document.collection_id == Collection.id)
                .where(Document.id == document_id, Document.status == DocumentStatus.READY)
            )
        if name is None:
            raise CollectionNotFound(f"no document {document_id!r}.")
        return name

    def _document_for(self, document_id: str, who: Caller, need: str = "read") -> str:
        """The collection of a document ``who`` may use; a document of a collection
        without a grant is answered like a missing one (the refusal is recorded)."""
        collection = self.document_collection(document_id)
        try:
            self.check_access(collection, who, need)
        except NotAllowed:
            raise CollectionNotFound(f"no document {document_id!r}.") from None
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

    # -- collections (configuration changes are audited) ----------------------

    def create_collection(self, name: str, policy: str, who: Caller | None = None):  # type: ignore[no-untyped-def]
        who = who or Caller.local()
        col = self.library.ensure_collection(name, policy)
        self.audit.append(
            "collection.create", **who.audit_fields(), resource=f"collection:{name}", policy=policy
        )
        return col

    def set_collection_policy(self, name: str, policy: str, who: Caller | None = None):  # type: ignore[no-untyped-def]
        who = who or Caller.local()
        before, held = self.library.set_policy(name, policy)
        digest = self.privacy.policy(policy).digest
        self.audit.append(
            "policy.change",
            **who.audit_fields(),
            resource=f"collection:{name}",
            before=before,
            after=policy,
            policy_digest=digest,
            documents_held=held,
        )
        return before, held

    def update_collection(self, name: str, who: Caller | None = None, **changes: object):  # type: ignore[no-untyped-def]
        who = who or Caller.local()
        col = self.library.update_collection(name, **changes)
        self.audit.append(
            "collection.configure",
            **who.audit_fields(),
            resource=f"collection:{name}",
            changes={k: v for k, v in changes.items() if k != "purpose"}
            | ({"purpose": "changed"} if "purpose" in changes else {}),
        )
        return col

    def delete_document(self, document_id: str, who: Caller | None = None) -> DocumentInfo:
        who = who or Caller.local()
        if who.access is not None:
            self._document_for(document_id, who, "contribute")
        info = self.library.delete_document(document_id)
        self.audit.append(
            "document.delete",
            **who.audit_fields(),
            resource=f"collection:{info.collection_id}/document:{document_id}",
        )
        return info

    # -- models --------------------------------------------------------------

    def embedder_loaded(self) -> OnnxEmbedder:
        if self._embedder is not None:
            return self._embedder
        with self._embedder_lock:
            if self._embedder is None:
                self._embedder = OnnxEmbedder(
                    self.settings.models_path,
                    max_tokens=self.settings.embedding_max_tokens,
                    batch_size=self.settings.embedding_batch_size,
                    n_threads=self.settings.n_threads,
                )
            return self._embedder

    def detector_loaded(self) -> PiiDetector:
        """The PII detector (spaCy + Presidio), shared by every Appliance in the process."""
        return shared_detector(self.settings.models_path / SPACY_EN_DIR)

    def model_for(self, collection: str | None = None) -> ModelChoice:
        """The chat model answering from ``collection`` (None: plain chat): the
        collection's own, else the added model marked default, else ``chat_model``."""
        with self.db.session() as s:
            name = None
            if collection is not None:
                name = s.scalar(select(Collection.chat_model).where(Collection.name == collection))
            row = (
                s.get(ChatModel, name)
                if name
                else s.scalar(select(ChatModel).where(ChatModel.is_default.is_(True)))
            )
            if row is not None:
                return ModelChoice(
                    row.name,
                    Path(row.path),
                    Path(row.lora_path) if row.lora_path else None,
                    row.sha256,
                )
        return ModelChoice(self.settings.chat_model, self.settings.chat_model_path, None, None)

    def engine_loaded(self, choice: ModelChoice | None = None) -> LlamaEngine:
        """The loaded engine for ``choice`` (None: the configured ``chat_model``)."""
        if choice is None or choice.is_configured_default(self.settings):
            if self._engine is not None:
                return self._engine
            with self._engine_lock:
                if self._engine is None:
                    self._engine = LlamaEngine(
                        self.settings.chat_model_path, self._engine_options()
                    )
                return self._engine
        with self._engine_lock:
            engine = self._engines.get(choice.name)
            if engine is None or engine.model_path != choice.path:
                extra = {"lora_path": str(choice.lora_path)} if choice.lora_path else {}
                engine = LlamaEngine(choice.path, self._engine_options(extra))
                self._engines[choice.name] = engine
                self._schedulers.pop(choice.name, None)
            return engine

    def _engine_options(self, extra: dict[str, object] | None = None) -> EngineOptions:
        return EngineOptions(
            n_ctx=self.settings.n_ctx,
            n_threads=self.settings.n_threads,
            n_gpu_layers=self.settings.n_gpu_layers,
            extra=dict(extra or {}),
        )

    @property
    def scheduler(self) -> Scheduler:
        """The fair queue in front of the default model's instances (made on first use)."""
        if self._scheduler is None:
            first = self.engine_loaded()
            with self._engine_lock:
                if self._scheduler is None:
                    self._scheduler = self._new_scheduler(first)
        return self._scheduler

    def scheduler_for(self, choice: ModelChoice) -> Scheduler:
        """The fair queue in front of ``choice``'s instances."""
        if choice.is_configured_default(self.settings):
            return self.scheduler
        engine = self.engine_loaded(choice)
        with self._engine_lock:
            scheduler = self._schedulers.get(choice.name)
            if scheduler is None:
                scheduler = self._schedulers[choice.name] = self._new_scheduler(engine)
            return scheduler

    def _new_scheduler(self, first: LlamaEngine) -> Scheduler:
        engines = [first] + [
            LlamaEngine(first.model_path, first.options)
            for _ in range(self.settings.engine_instances - 1)
        ]
        return Scheduler(
            engines, max_queue=self.settings.queue_max, timeout_s=self.settings.request_timeout_s
        )

    # -- models an administrator adds (audited) ---------------------------------

    def add_model(
        self,
        path: Path,
        *,
        name: str | None = None,
        lora: Path | None = None,
        make_default: bool = False,
        who: Caller | None = None,
    ) -> ChatModelInfo:
        """Register a GGUF chat model (and optionally a LoRA adapter in GGUF) found on
        this machine, after reading its header; record its sha256.

        Raises :class:`ModelError` for a file that is not a GGUF, is an adapter, has
        no chat template, or an adapter of another architecture;
        or for a name already taken or not of [A-Za-z0-9._-]{1,64}.
        """
        from appliance.files import sha256_file
        from appliance.llm.gguf import check_adapter, check_chat_model

        who = who or Caller.local()
        path = path.expanduser().resolve()
        info = check_chat_model(path)
        adapter = check_adapter(lora.expanduser().resolve(), info) if lora else None
        name = name or path.stem
        if not _MODEL_NAME.fullmatch(name):
            raise ModelError(f"model name {name!r}: use 1-64 letters, digits, '.', '_' or '-'.")
        row = ChatModel(
            name=name,
            path=str(path),
            sha256=sha256_file(path),
            size=info.size,
            architecture=info.architecture,
            context_length=info.context_length,
            lora_path=str(adapter.path) if adapter else None,
            lora_sha256=sha256_file(adapter.path) if adapter else None,
            is_default=False,
        )
        with self.db.session() as s:
            if s.get(ChatModel, name) is not None:
                raise ModelError(f"a model named {name!r} exists; choose another --name.")
            s.add(row)
            s.commit()
        self.audit.append(
            "model.add",
            **who.audit_fields(),
            resource=f"model:{name}",
            model=name,
            model_sha256=row.sha256,
            architecture=info.architecture,
            context_length=info.context_length,
            lora_sha256=row.lora_sha256,
        )
        if make_default:
            self.use_model(name, who=who)
        return self.models_added()[name]

    def models_added(self) -> dict[str, ChatModelInfo]:
        """Every added model by name, with where it is used."""
        with self.db.session() as s:
            uses: dict[str, list[str]] = {}
            for col_name, model in s.execute(
                select(Collection.name, Collection.chat_model).where(
                    Collection.chat_model.is_not(None)
                )
            ):
                uses.setdefault(model, []).append(col_name)
            return {
                r.name: ChatModelInfo(
                    r.name,
                    r.path,
                    r.sha256,
                    r.size,
                    r.architecture,
                    r.context_length,
                    r.lora_path,
                    r.is_default,
                    sorted(uses.get(r.name, [])),
                )
                for r in s.scalars(select(ChatModel).order_by(ChatModel.name))
            }

    def use_model(
        self, name: str | None, *, collection: str | None = None, who: Caller | None = None
    ) -> None:
        """Make model ``name`` the default (``collection`` None) or ``collection``'s
        model. ``name`` None goes back to the configured ``chat_model`` (default) or
        to the default (collection). Raises :class:`ModelError` for an unknown model,
        :class:`CollectionNotFound` for an unknown collection."""
        who = who or Caller.local()
        with self.db.session() as s:
            if name is not None and s.get(ChatModel, name) is None:
                raise ModelError(
                    f"no model named {name!r}: add it first with `appliance models add FILE.gguf`."
                )
            if collection is not None:
                col = s.scalar(select(Collection).where(Collection.name == collection))
                if col is None:
                    raise CollectionNotFound(f"no collection named {collection!r}.")
                before = col.chat_model
                col.chat_model = name
            else:
                current = s.scalar(select(ChatModel).where(ChatModel.is_default.is_(True)))
                before = current.name if current else None
                for row in s.scalars(select(ChatModel)):
                    row.is_default = row.name == name
            s.commit()
        choice = self.model_for(collection)
        self.audit.append(
            "model.change",
            **who.audit_fields(),
            resource=f"collection:{collection}" if collection else "model:default",
            model=choice.name,
            model_sha256=choice.sha256 or self._model_digest(),
            previous=before,
        )

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            embedder = self.embedder_loaded()
            with self._embedder_lock:
                if self._retriever is None:
                    self._retriever = Retriever(
                        self.db,
                        self.index,
                        embedder,
                        self.vault,
                        min_dense_similarity=self.settings.min_dense_similarity,
                    )
        return self._retriever

    # -- the paths -----------------------------------------------------------

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
        self, question: str, collection: str, k: int | None, who: Caller
    ) -> tuple[ProtectedQuestion, list[Hit]]:
        """Prompt stage, retrieval (helped by the identifiers the question names) and
        context stage: the passages in the conversation's terms."""
        self.check_access(collection, who)
        col = self.library.get_collection(collection)
        policy = self.privacy.policy(col.policy)
        try:
            protected = self.privacy.protect_question(question, policy)
        except PiiBlocked as exc:
            self.privacy.events.record(
                "pii.blocked",
                **who.audit_fields(),
                stage=exc.stage,
                types=exc.types,
                collection=collection,
                policy=policy.name,
                policy_digest=policy.digest,
            )
            raise
        mentioned = self.privacy.chunks_mentioning(protected.scope, col.id)
        # Placeholders say nothing about content (every document has a <PERSON_1>);
        # who is asked about is matched through the registry instead.
        search_text = PLACEHOLDER.sub(" ", protected.text)
        hits = self.retriever.retrieve(
            search_text, col, k or self.settings.top_k, entity_chunks=mentioned
        )
        return protected, self.privacy.context_hits(hits, protected)

    def _record_question(
        self,
        action: str,
        protected: ProtectedQuestion,
        hits: list[Hit],
        who: Caller,
        collection: str,
        model: ModelChoice | None = None,
        answer: Answer | None = None,
    ) -> None:
        """Who asked what of which collection, and which sources answered: ids, model,
        policy, PII counts and the answer's verification counts; never any text."""
        self.audit.append(
            action,
            **who.audit_fields(),
            resource=f"collection:{collection}",
            documents=sorted({h.document_id for h in hits}),
            chunks=[h.chunk_id for h in hits],
            model=model.name if model else None,
            model_sha256=(model.sha256 or self._model_digest()) if model else None,
            policy=protected.policy.name,
            policy_digest=protected.policy.digest,
            pii=protected.counts,
            **(
                {
                    "verification": answer.verdicts(),
                    "answer_source": answer.answer_source,
                    "stopped": answer.stopped or ("length" if answer.truncated else None),
                }
                if answer is not None
                else {}
            ),
        )

    def _model_digest(self) -> str:
        from appliance.files import sha256_file

        if self._model_sha256 is None:
            self._model_sha256 = sha256_file(self.settings.chat_model_path)
        return self._model_sha256

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
        self.privacy.events.record(
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

        shown = [
            replace(h, text=show(h.text), title=show(h.title), section=show(h.section))
            for h in hits
        ]
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
        protected, hits = self._search(question, collection, k, who)
        if reveal:
            self._check_reveal(protected.policy, who)
        if not hits:
            self._record_question("question.ask", protected, [], who, collection)
            return AnswerStream(question, [], None, self.settings.chat_model, protected=protected)
        choice = self.model_for(collection)
        engine = self.engine_loaded(choice)
        params = params or self.answer_params()
        if not params.stop:
            params = replace(params, stop=STOP_SEQUENCES)
        hits, messages = self._fit_context(engine, protected.text, hits, params.max_tokens)
        embed = self.embedder_loaded().embed
        report: dict[str, object] = {}
        deltas = self.scheduler_for(choice).stream_chat(
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
            self._record_question(
                "question.ask", protected, hits, who, collection, choice, stream.answer
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
        stream.prompt_tokens = sum(engine.count_tokens(m["content"]) + 8 for m in messages)
        stream.generation = report
        return stream

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
    ) -> ChatStream:
        """Chat without documents (the API's plain model), under ``chat_policy``: every
        message passes the prompt stage with one conversation's placeholders, the
        answer passes the answer stage; recorded like a question."""
        who = who or Caller.local()
        policy = self.privacy.policy(self.settings.chat_policy)
        scope = self.privacy.new_scope()
        texts, counts = self._protect_texts([m["content"] for m in messages], policy, who, scope)
        protected_messages: list[ChatMessage] = [
            {"role": m["role"], "content": text} for m, text in zip(messages, texts, strict=True)
        ]
        assert texts, "no messages"
        answer_scope = ProtectedQuestion(texts[-1], scope, counts, policy)
        choice = self.model_for(None)
        engine = self.engine_loaded(choice)
        params = params or GenerationParams(
            max_tokens=self.settings.max_tokens, temperature=self.settings.temperature
        )
        prompt_tokens = sum(engine.count_tokens(m["content"]) + 8 for m in protected_messages)
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
            model_sha256=choice.sha256 or self._model_digest(),
            policy=policy.name,
            policy_digest=policy.digest,
            messages=len(messages),
            pii=counts,
        )
        report: dict[str, object] = {}
        deltas = filter_sentences(
            self.scheduler_for(choice).stream_chat(
                protected_messages, params, cancel, user=who.actor, report=report
            ),
            self.privacy.answer_filter(answer_scope, False),
            report,
        )
        return ChatStream(deltas, engine, prompt_tokens, counts, report)

    def _protect_texts(
        self, texts: list[str], policy: Policy, who: Caller, scope: PseudonymScope | None = None
    ) -> tuple[list[str], dict[str, int]]:
        """The prompt stage over several texts (one ``scope``: one conversation's
        placeholders; None: each its own); a block is recorded and raised."""
        counts: dict[str, int] = {}
        out = []
        try:
            for text in texts:
                result = self.privacy.protect_question(text, policy, scope)
                out.append(result.text)
                for kind, n in result.counts.items():
                    counts[kind] = counts.get(kind, 0) + n
        except PiiBlocked as exc:
            self.privacy.events.record(
                "pii.blocked",
                **who.audit_fields(),
                stage=exc.stage,
                types=exc.types,
                policy=policy.name,
                policy_digest=policy.digest,
            )
            raise
        return out, counts

    def embed(self, texts: list[str], who: Caller | None = None) -> tuple[np.ndarray, int]:
        """Embeddings for the API, of the texts as ``chat_policy``'s prompt stage leaves
        them (pseudonymised, as the index holds its passages); (vectors, tokens read)."""
        who = who or Caller.local()
        policy = self.privacy.policy(self.settings.chat_policy)
        protected, counts = self._protect_texts(texts, policy, who)
        embedder = self.embedder_loaded()
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
        """The sources' embeddings as indexed (None if any is missing)."""
        found = self.index.vectors(collection, [h.chunk_id for h in hits])
        if len(found) != len(hits):
            return None
        return np.stack([found[h.chunk_id] for h in hits])

    def _fit_context(self, engine: LlamaEngine, question: str, hits: list[Hit], max_tokens: int):  # type: ignore[no-untyped-def]
        """Drop the lowest-ranked sources until prompt and answer fit the context."""
        budget = engine.n_ctx - max_tokens - _CONTEXT_MARGIN
        while True:
            messages = build_messages(question, hits)
            used = sum(engine.count_tokens(m["content"]) + 8 for m in messages)
            if used <= budget:
                return hits, messages
            if len(hits) == 1:
                raise QuestionTooLong(
                    f"the question and its best source need {used} tokens, more than the "
                    f"{budget} the model's context window (n_ctx = {engine.n_ctx}) leaves "
                    "after the answer; shorten the question or raise n_ctx."
                )
            hits = hits[:-1]
