"""Which chat model answers, and its loaded engines: the models an administrator
added (``appliance models add``, table ``chat_models``), the default, each
collection's choice, and the llama.cpp instances and fair queues in front of them.

Engines load lazily, once per model, under a lock; nothing here writes an audit
event (the application layer records ``model.add`` and ``model.change``).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from appliance.config import Settings
from appliance.errors import CollectionNotFound, ModelError
from appliance.files import sha256_file
from appliance.llm.engine import EngineOptions, LlamaEngine
from appliance.llm.gguf import check_adapter, check_chat_model
from appliance.llm.scheduler import Scheduler
from appliance.store.database import Database
from appliance.store.schema import ChatModel, Collection

MODEL_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


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


class ModelRegistry:
    """The chat models of one data directory and their loaded engines.

    ``engine`` is an already-loaded engine for the configured ``chat_model`` (tests
    and servers hand one in); otherwise it is loaded on first use.
    """

    def __init__(self, settings: Settings, db: Database, engine: LlamaEngine | None = None):
        self.settings = settings
        self.db = db
        self._engine = engine
        self._engine_lock = threading.Lock()
        self._scheduler: Scheduler | None = None
        self._model_sha256: str | None = None
        # Added models (``appliance models add``) loaded on first use, by name.
        self._engines: dict[str, LlamaEngine] = {}
        self._schedulers: dict[str, Scheduler] = {}

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

    def digest(self, choice: ModelChoice | None = None) -> str:
        """The sha256 (hex) of ``choice``'s GGUF; None: the configured ``chat_model``,
        hashed once on first use."""
        if choice is not None and choice.sha256:
            return choice.sha256
        if self._model_sha256 is None:
            self._model_sha256 = sha256_file(self.settings.chat_model_path)
        return self._model_sha256

    def engine_loaded(self, choice: ModelChoice | None = None) -> LlamaEngine:
        """The loaded engine for ``choice`` (None: the configured ``chat_model``).
        Raises :class:`ModelError` when the GGUF is missing or fails to load."""
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
                extra: dict[str, object] = (
                    {"lora_path": str(choice.lora_path)} if choice.lora_path else {}
                )
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

    @property
    def scheduler_started(self) -> Scheduler | None:
        """The default model's queue if a request has made it, else None (metrics)."""
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

    # -- the records of added models ------------------------------------------

    def add(self, path: Path, *, name: str | None = None, lora: Path | None = None) -> ChatModel:
        """Record a GGUF chat model (and optionally a LoRA adapter in GGUF) found on
        this machine, after reading its header; returns the row (sha256 included).

        Raises :class:`ModelError` for a file that is not a GGUF, is an adapter, has
        no chat template, or an adapter of another architecture;
        or for a name already taken or not of [A-Za-z0-9._-]{1,64}.
        """
        path = path.expanduser().resolve()
        info = check_chat_model(path)
        adapter = check_adapter(lora.expanduser().resolve(), info) if lora else None
        name = name or path.stem
        if not MODEL_NAME.fullmatch(name):
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
        return row

    def added(self) -> dict[str, ChatModelInfo]:
        """Every added model by name, with the collections that use it."""
        with self.db.session() as s:
            uses: dict[str, list[str]] = {}
            for col_name, model in s.execute(
                select(Collection.name, Collection.chat_model).where(
                    Collection.chat_model.is_not(None)
                )
            ):
                if model is not None:
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

    def use(self, name: str | None, *, collection: str | None = None) -> str | None:
        """Make model ``name`` the default (``collection`` None) or ``collection``'s
        model; ``name`` None goes back to the configured ``chat_model`` (default) or
        to the default (collection). Returns the model chosen before.

        Raises :class:`ModelError` for an unknown model, :class:`CollectionNotFound`
        for an unknown collection."""
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
        return before
