"""One GGUF model served to many callers, one generation at a time.

llama-cpp-python's ``Llama`` is not safe to call from several threads at once,
so every generation holds the engine's turn from its first token to its last.
Callers wait in FIFO order, and a generation stops early when its caller
cancels it or closes the stream.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, cast

import psutil

from appliance.errors import GenerationCancelled, ModelError, QuestionTooLong
from appliance.models import check_gguf

if TYPE_CHECKING:
    from llama_cpp.llama_types import (
        ChatCompletionRequestMessage,
        CreateChatCompletionStreamResponse,
    )


class ChatMessage(TypedDict):
    role: str
    content: str


@dataclass(frozen=True)
class GenerationParams:
    max_tokens: int = 384
    temperature: float = 0.2
    top_p: float = 0.95
    stop: tuple[str, ...] = ()
    seed: int | None = None
    # llama.cpp's penalty on tokens of the last 64 (1.0: none) and OpenAI's
    # frequency/presence penalties; see Settings.repeat_penalty for the measured default.
    repeat_penalty: float = 1.0
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0


def _context_checked(
    chunks: Iterator[CreateChatCompletionStreamResponse], n_ctx: int
) -> Iterator[CreateChatCompletionStreamResponse]:
    """``chunks``, with llama-cpp-python's ValueError for a prompt over the context
    ("Requested tokens (N) exceed context window of M", llama_cpp/llama.py) raised as
    :class:`QuestionTooLong`."""
    try:
        yield from chunks
    except ValueError as exc:
        if "exceed context window" not in str(exc):
            raise
        raise QuestionTooLong(
            f"the prompt does not fit the model's context of {n_ctx} tokens ({exc}); "
            "shorten the messages or raise n_ctx."
        ) from None


class _FifoTurn:
    """A lock that hands turns out in arrival order (threading.Lock is not fair)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next_ticket = 0
        self._serving = 0
        # Tickets whose callers gave up while waiting; skipped when their turn comes.
        self._abandoned: set[int] = set()

    @contextlib.contextmanager
    def turn(self, cancel: threading.Event | None = None) -> Iterator[None]:
        with self._cond:
            ticket = self._next_ticket
            self._next_ticket += 1
            try:
                while self._serving != ticket:
                    if cancel is not None and cancel.is_set():
                        raise GenerationCancelled("cancelled while waiting for the model")
                    self._cond.wait(timeout=0.1)
            except BaseException:
                # Give the ticket up without blocking those behind it.
                self._abandon(ticket)
                raise
        try:
            yield
        finally:
            with self._cond:
                self._serving += 1
                self._skip_abandoned()
                self._cond.notify_all()

    def _abandon(self, ticket: int) -> None:
        self._abandoned.add(ticket)
        self._skip_abandoned()
        self._cond.notify_all()

    def _skip_abandoned(self) -> None:
        while self._serving in self._abandoned:
            self._abandoned.discard(self._serving)
            self._serving += 1

    @property
    def waiting(self) -> int:
        with self._cond:
            return self._next_ticket - self._serving - len(self._abandoned)


class ChatEngine(Protocol):
    """What the pipeline and the scheduler ask of a generator: the in-process
    :class:`LlamaEngine` or the llama-server backend
    (:class:`~appliance.llm.llama_server.LlamaServerPool`)."""

    model_path: Path

    @property
    def name(self) -> str: ...

    @property
    def n_ctx(self) -> int: ...

    def count_tokens(self, text: str) -> int: ...

    def prompt_tokens(self, messages: list[ChatMessage]) -> int: ...

    def stream_chat(
        self,
        messages: list[ChatMessage],
        params: GenerationParams | None = None,
        cancel: threading.Event | None = None,
        report: dict[str, Any] | None = None,
    ) -> Iterator[str]: ...


@dataclass
class EngineOptions:
    n_ctx: int = 4096
    n_threads: int | None = None
    n_gpu_layers: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def default_threads() -> int:
    return psutil.cpu_count(logical=False) or psutil.cpu_count() or 1


class LlamaEngine:
    """A loaded GGUF chat model. Thread-safe: generations queue for their turn."""

    def __init__(self, model_path: Path, options: EngineOptions | None = None) -> None:
        options = options or EngineOptions()
        check_gguf(model_path)
        # Imported here so that commands which never generate (ingest, retrieve)
        # do not pay for loading the native library.
        from llama_cpp import Llama

        self.model_path = model_path
        self.options = options
        threads = options.n_threads or default_threads()
        try:
            self._llama = Llama(
                model_path=str(model_path),
                n_ctx=options.n_ctx,
                # Without n_threads_batch, prompt processing uses every logical CPU
                # whatever n_threads says.
                n_threads=threads,
                n_threads_batch=threads,
                n_gpu_layers=options.n_gpu_layers,
                verbose=False,
                **options.extra,
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelError(
                f"llama.cpp could not load {model_path} ({exc}). The file may be truncated, "
                "of an unsupported architecture, or too large for this machine's memory."
            ) from exc
        self._turn = _FifoTurn()

    @property
    def n_ctx(self) -> int:
        n: int = self._llama.n_ctx()
        return n

    @property
    def name(self) -> str:
        return self.model_path.name

    @property
    def queue_depth(self) -> int:
        """Generations running or waiting."""
        return self._turn.waiting

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in this model's vocabulary (no BOS)."""
        # Tokenising only reads the vocabulary; safe outside the turn.
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def prompt_tokens(self, messages: list[ChatMessage]) -> int:
        """Tokens ``messages`` take in the context window: their contents plus 8 per
        message for the chat template's role markers (an upper estimate across the
        templates we ship; the prompt is checked against ``n_ctx`` with it)."""
        return sum(self.count_tokens(m["content"]) + 8 for m in messages)

    def stream_chat(
        self,
        messages: list[ChatMessage],
        params: GenerationParams | None = None,
        cancel: threading.Event | None = None,
        report: dict[str, Any] | None = None,
    ) -> Iterator[str]:
        """Yield the answer's text as it is generated, using the GGUF's chat template.

        Closing the iterator or setting ``cancel`` stops generation at the next token.
        ``report`` receives ``completion_tokens`` (tokens generated) and
        ``finish_reason`` ("stop" or "length") as llama.cpp tells them. Raises
        :class:`QuestionTooLong` when the prompt does not fit ``n_ctx`` (as the
        llama-server backend does when its node says so).
        """
        params = params or GenerationParams()
        with self._turn.turn(cancel):
            if params.seed is not None:
                # Reusing a cached prompt prefix changes the logits slightly, so a
                # seeded request re-evaluates its prompt to be reproducible.
                self._llama.reset()
            stream = self._llama.create_chat_completion(
                # Our messages carry the keys llama.cpp reads; its types spell each role.
                messages=cast("list[ChatCompletionRequestMessage]", list(messages)),
                max_tokens=params.max_tokens,
                temperature=params.temperature,
                top_p=params.top_p,
                stop=list(params.stop) or None,
                seed=params.seed,
                repeat_penalty=params.repeat_penalty,
                frequency_penalty=params.frequency_penalty,
                presence_penalty=params.presence_penalty,
                stream=True,
            )
            try:
                # stream=True: an iterator of chunks, not one response.
                for chunk in _context_checked(
                    cast("Iterator[CreateChatCompletionStreamResponse]", stream), self.n_ctx
                ):
                    if cancel is not None and cancel.is_set():
                        raise GenerationCancelled("generation cancelled")
                    choice = chunk["choices"][0]
                    content = choice.get("delta", {}).get("content")
                    delta = content if isinstance(content, str) else None
                    if report is not None:
                        if delta:
                            report["completion_tokens"] = report.get("completion_tokens", 0) + 1
                        if choice.get("finish_reason"):
                            report["finish_reason"] = choice["finish_reason"]
                    if delta:
                        yield delta
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()

    def chat(
        self,
        messages: list[ChatMessage],
        params: GenerationParams | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        return "".join(self.stream_chat(messages, params, cancel))
