"""Generation on llama.cpp's ``llama-server``: one or more nodes over its OpenAI-style
HTTP API, or a child process this appliance starts and supervises on loopback.

llama-cpp-python's ``Llama`` decodes one sequence at a time; llama-server decodes
its parallel slots in one batch (continuous batching) on the same GGUF and cores
(issue 20; bench/RESULTS.md). The appliance's fair per-user queue
(:class:`~appliance.llm.scheduler.Scheduler`) stays in front: it hands out as many
turns as the nodes have slots, and :class:`LlamaServerPool` sends each turn to a node.

Routing: the healthy node with the fewest requests under way; ``/health`` polled
every ``health_interval_s``; a node is marked down after ``down_after`` failures in a
row (at once when it refuses connections or answers 5xx) and tried again
``retry_down_s`` later; a successful answer (or ``/health`` 200) resets that count and
marks the node up. A request whose node fails before the first token is retried once
on another node. What counts as the node failing: no connection, a read timeout, a 5xx,
408 or 429, a stream cut short. A 4xx the request caused (a prompt longer than the
node's context, an invalid parameter) is not the node's fault: it is not counted, not
retried, and reaches the caller as :class:`QuestionTooLong` (context) or an
:class:`ApplianceError` (400) with the node's message; a 401/403 (the node refuses
``llama_server_api_key``) is a :class:`ConfigError` naming the node.
A node that stops answering without closing its connections (frozen, or cut off by
the network) cannot hold a request for ever: a cancelled request (the client left,
or the scheduler's deadline passed) has its connection shut at once, and no read
waits longer than ``read_timeout_s``.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

from appliance.errors import (
    ApplianceError,
    ConfigError,
    GenerationCancelled,
    InferenceUnavailable,
    ModelError,
    QuestionTooLong,
)
from appliance.llm.engine import ChatMessage, GenerationParams

# A node slower than this to connect is treated as failed; reading a stream waits as
# long as a generation may take (the scheduler's deadline cancels it).
_CONNECT_TIMEOUT_S = 3.0
_HEALTH_TIMEOUT_S = 2.0
# How often cancelled streams are looked for (their connections then shut).
_CANCEL_POLL_S = 0.25
# 4xx answers that are the node's (or its configuration's) fault, not the request's:
# a wrong API key (401, 403), the node timing the request out (408) or busy (429).
# Any other 4xx is the request's fault: not counted against the node, not retried.
_KEY_REFUSED = frozenset({401, 403})
_NODE_4XX = frozenset({408, 429})


@dataclass
class NodeState:
    """One llama-server node as the pool sees it."""

    url: str
    up: bool = True
    failures: int = 0
    down_since: float | None = None
    outstanding: int = 0
    served: int = 0  # answers whose first token came from this node
    # From /v1/models and /props, read on the first successful contact.
    model_id: str | None = None
    n_ctx: int | None = None
    slots: int | None = None
    last_error: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "up": self.up,
            "outstanding": self.outstanding,
            "served": self.served,
            "model": self.model_id,
            "n_ctx_per_slot": self.n_ctx,
            "slots": self.slots,
            "last_error": self.last_error,
        }


class _NodeFailed(Exception):
    """The node did not answer, or answered with an error, before the first token."""


class LlamaServerPool:
    """Route generations across llama-server nodes (an engine for the scheduler).

    Has the parts of :class:`~appliance.llm.engine.LlamaEngine` the pipeline uses:
    ``name``, ``n_ctx``, ``count_tokens``, ``prompt_tokens`` and ``stream_chat``.
    ``urls``: base URLs (``http://host:port``); ``api_key``: the nodes' ``--api-key``;
    ``read_timeout_s``: the longest wait for any read from a node (response headers,
    or the next piece of a stream), None for no limit; a read that waits longer
    counts as the node failing.
    """

    def __init__(
        self,
        urls: list[str],
        api_key: str | None,
        *,
        n_ctx: int,
        health_interval_s: float = 5.0,
        down_after: int = 2,
        retry_down_s: float = 10.0,
        read_timeout_s: float | None = None,
        name: str = "llama-server",
    ) -> None:
        if not urls:
            raise ModelError("the llama-server backend needs at least one node URL")
        self.nodes = [NodeState(u.rstrip("/")) for u in urls]
        self.name = name
        self.model_path = Path(name)
        self._n_ctx = n_ctx
        self.down_after = down_after
        self.retry_down_s = retry_down_s
        self.health_interval_s = health_interval_s
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(read_timeout_s, connect=_CONNECT_TIMEOUT_S),
            limits=httpx.Limits(max_connections=512, max_keepalive_connections=64),
            trust_env=False,
        )
        self._lock = threading.Lock()
        self._turn = 0
        self._closed = threading.Event()
        self._health_thread: threading.Thread | None = None
        # Streams under way with a cancel event: their sockets, shut when it is set.
        self._watched: dict[int, tuple[threading.Event, socket.socket]] = {}
        self._watcher: threading.Thread | None = None

    # -- health ------------------------------------------------------------------

    def start_health_checks(self) -> None:
        """Poll every node's ``/health`` in a daemon thread until :meth:`close`."""
        if self._health_thread is None:
            self._health_thread = threading.Thread(
                target=self._health_loop, name="llama-server-health", daemon=True
            )
            self._health_thread.start()

    def _health_loop(self) -> None:
        while not self._closed.wait(self.health_interval_s):
            self.check_health()

    def check_health(self) -> None:
        """Ask each node's ``/health`` once; mark it up or count a failure."""
        for node in self.nodes:
            try:
                r = self._client.get(f"{node.url}/health", timeout=_HEALTH_TIMEOUT_S)
                ok = r.status_code == 200
                error = "" if ok else f"/health answered {r.status_code}"
            except httpx.HTTPError as exc:
                ok, error = False, f"{type(exc).__name__}: {exc}"
            if ok:
                self._mark_up(node)
                if node.model_id is None:
                    self._describe(node)
            else:
                self._mark_failed(node, error, definitive=False)

    def _describe(self, node: NodeState) -> None:
        """Read the node's model identity (/v1/models) and slots and context (/props)."""
        with contextlib.suppress(httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
            data = self._client.get(f"{node.url}/v1/models", timeout=_HEALTH_TIMEOUT_S).json()
            node.model_id = str(data["data"][0]["id"])
        with contextlib.suppress(httpx.HTTPError, ValueError, KeyError, TypeError):
            props = self._client.get(f"{node.url}/props", timeout=_HEALTH_TIMEOUT_S).json()
            node.slots = int(props["total_slots"])
            node.n_ctx = int(props["default_generation_settings"]["n_ctx"])

    def _mark_up(self, node: NodeState) -> None:
        with self._lock:
            node.up, node.failures, node.down_since, node.last_error = True, 0, None, ""

    def _mark_failed(self, node: NodeState, error: str, *, definitive: bool) -> None:
        with self._lock:
            node.failures += 1
            node.last_error = error
            if node.up and (definitive or node.failures >= self.down_after):
                node.up = False
                node.down_since = time.monotonic()

    def _pick(self, exclude: list[NodeState]) -> NodeState:
        """The up node with the fewest requests under way (round robin among equals);
        a down node whose ``retry_down_s`` has passed counts as up for one try."""
        now = time.monotonic()
        with self._lock:
            candidates = [
                n
                for n in self.nodes
                if n not in exclude
                and (n.up or (n.down_since is not None and now - n.down_since >= self.retry_down_s))
            ]
            if not candidates:
                down = ", ".join(f"{n.url} ({n.last_error or 'down'})" for n in self.nodes)
                raise InferenceUnavailable(f"no inference node is answering: {down}")
            self._turn += 1
            order = {id(n): (i - self._turn) % len(self.nodes) for i, n in enumerate(self.nodes)}
            node = min(candidates, key=lambda n: (n.outstanding, order[id(n)]))
            if not node.up:
                node.down_since = now  # one retry now; the next after retry_down_s again
            node.outstanding += 1
            return node

    # -- what the pipeline asks ----------------------------------------------------

    @property
    def n_ctx(self) -> int:
        """Tokens of context each request may use: the nodes' context per slot (the
        smallest any node reported), else the ``n_ctx`` setting."""
        known = [n.n_ctx for n in self.nodes if n.n_ctx]
        return min(known) if known else self._n_ctx

    @property
    def model_identity(self) -> str | None:
        """The model the nodes report (/v1/models id; the supervised child reports the
        GGUF's sha256), the first node's that answered; None before any answered."""
        for node in self.nodes:
            if node.model_id:
                return node.model_id
        return None

    @property
    def total_slots(self) -> int:
        return sum(n.slots or 1 for n in self.nodes)

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in the nodes' vocabulary (no BOS), from ``/tokenize``."""
        body = {"content": text, "add_special": False, "parse_special": True}
        for attempt in range(2):
            node = self._pick([])
            try:
                r = self._client.post(f"{node.url}/tokenize", json=body, timeout=30.0)
                refused = self._request_error(node, r)
                if refused is not None:
                    raise refused
                r.raise_for_status()
                tokens = len(r.json()["tokens"])
                self._mark_up(node)
                return tokens
            except httpx.HTTPError as exc:
                self._mark_failed(node, f"{type(exc).__name__}: {exc}", definitive=True)
                if attempt:
                    raise InferenceUnavailable(f"{node.url} could not tokenize: {exc}") from exc
            finally:
                with self._lock:
                    node.outstanding -= 1
        raise AssertionError("unreachable")

    def prompt_tokens(self, messages: list[ChatMessage]) -> int:
        """As :meth:`LlamaEngine.prompt_tokens`: contents plus 8 per message."""
        return sum(self.count_tokens(m["content"]) + 8 for m in messages)

    def stream_chat(
        self,
        messages: list[ChatMessage],
        params: GenerationParams | None = None,
        cancel: threading.Event | None = None,
        report: dict[str, Any] | None = None,
    ) -> Iterator[str]:
        """Yield the answer's text as a node streams it (``/v1/chat/completions``).

        Closing the iterator or setting ``cancel`` closes the connection, which stops
        the node's generation. ``report`` receives ``completion_tokens``,
        ``finish_reason`` and ``node`` (the URL that answered). Raises
        :class:`InferenceUnavailable` when no node answers (after one retry on
        another node), or when the node fails mid-answer; :class:`QuestionTooLong`
        when the node says the prompt and answer exceed its context per slot;
        :class:`ApplianceError` (a 400) for another request the node refuses (4xx);
        :class:`ConfigError` when the node refuses the API key (401/403). None of
        these three counts against the node or is retried on another.
        """
        params = params or GenerationParams()
        body: dict[str, Any] = {
            "messages": list(messages),
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "repeat_penalty": params.repeat_penalty,
            "frequency_penalty": params.frequency_penalty,
            "presence_penalty": params.presence_penalty,
        }
        if params.stop:
            body["stop"] = list(params.stop)
        if params.seed is not None:
            # As the in-process engine resets its cache: a seeded request re-evaluates
            # its prompt, to be reproducible.
            body["seed"] = params.seed
            body["cache_prompt"] = False
        tried: list[NodeState] = []
        last_error = ""
        for _ in range(2):
            try:
                node = self._pick(tried)
            except InferenceUnavailable:
                if not tried:
                    raise
                break
            tried.append(node)
            started = False
            try:
                for delta in self._stream_from(node, body, cancel, report):
                    if not started:
                        started = True
                        with self._lock:
                            node.served += 1
                    yield delta
                # A whole answer: the node works, whatever failures came before.
                self._mark_up(node)
                return
            except _NodeFailed as exc:
                last_error = str(exc)
                if started:
                    raise InferenceUnavailable(
                        f"the inference node {node.url} failed during the answer ({exc})"
                    ) from None
            finally:
                with self._lock:
                    node.outstanding -= 1
        raise InferenceUnavailable(
            f"no inference node answered ({', '.join(n.url for n in tried)}): {last_error}"
        )

    def _stream_from(
        self,
        node: NodeState,
        body: dict[str, Any],
        cancel: threading.Event | None,
        report: dict[str, Any] | None,
    ) -> Iterator[str]:
        try:
            with self._client.stream("POST", f"{node.url}/v1/chat/completions", json=body) as r:
                if r.status_code != 200:
                    r.read()
                    refused = self._request_error(node, r)
                    if refused is not None:
                        raise refused
                    error = f"HTTP {r.status_code}: {r.text[:200]}"
                    self._mark_failed(node, error, definitive=r.status_code >= 500)
                    raise _NodeFailed(error)
                if report is not None:
                    report["node"] = node.url
                watch = self._watch(cancel, r)
                try:
                    yield from self._deltas(r, cancel, report)
                except _NodeFailed as exc:  # an error event, or no [DONE]: the node's
                    self._mark_failed(node, str(exc), definitive=False)
                    raise
                finally:
                    self._unwatch(watch)
        except httpx.HTTPError as exc:
            if cancel is not None and cancel.is_set():
                # Its connection was shut because it was cancelled: not the node's fault.
                raise GenerationCancelled("generation cancelled") from None
            definitive = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
            self._mark_failed(node, f"{type(exc).__name__}: {exc}", definitive=definitive)
            raise _NodeFailed(f"{type(exc).__name__}: {exc}") from exc

    def _request_error(self, node: NodeState, r: httpx.Response) -> ApplianceError | None:
        """The error to raise for a 4xx that is not the node's failure, else None.

        llama-server's errors are ``{"error": {"code", "message", "type"}}``; a prompt
        over its context per slot is ``type: exceed_context_size_error`` with
        ``n_prompt_tokens`` and ``n_ctx`` (llama.cpp's tools/server). A refused API key
        is noted on the node (``last_error``) but not counted as a failure."""
        status = r.status_code
        if not 400 <= status < 500 or status in _NODE_4XX:
            return None
        try:
            data = r.json()
        except ValueError:
            data = None
        error = data.get("error") if isinstance(data, dict) else None
        if not isinstance(error, dict):
            error = {"message": str(error)} if error else {}
        message = str(error.get("message") or r.text[:200] or f"HTTP {status}")
        if status in _KEY_REFUSED:
            with self._lock:
                node.last_error = f"HTTP {status}: {message}"
            return ConfigError(
                f"the inference node {node.url} refused the API key (HTTP {status}: "
                f"{message}); set llama_server_api_key to the key it was started with "
                "(its --api-key)."
            )
        if error.get("type") == "exceed_context_size_error":
            # The caller sees it (a 400): the message names no node.
            return QuestionTooLong(
                f"the prompt takes {error.get('n_prompt_tokens', '?')} tokens, more than "
                f"the model's context of {error.get('n_ctx', '?')} tokens per request; "
                "shorten the messages or raise n_ctx."
            )
        return ApplianceError(f"the inference node refused the request: {message}")

    @staticmethod
    def _deltas(
        r: httpx.Response, cancel: threading.Event | None, report: dict[str, Any] | None
    ) -> Iterator[str]:
        """The text pieces of one streamed response, up to its ``[DONE]``; raises
        :class:`_NodeFailed` for an error event, or a stream that ends without it."""
        for line in r.iter_lines():
            if cancel is not None and cancel.is_set():
                raise GenerationCancelled("generation cancelled")
            if not line.startswith("data: "):
                continue
            payload = line[6:].strip()
            if payload == "[DONE]":
                return
            chunk = json.loads(payload)
            if "error" in chunk:
                raise _NodeFailed(str(chunk["error"])[:200])
            usage = chunk.get("usage")
            if report is not None and usage:
                report["completion_tokens"] = usage.get("completion_tokens", 0)
            for choice in chunk.get("choices") or []:
                content = (choice.get("delta") or {}).get("content")
                if report is not None and choice.get("finish_reason"):
                    report["finish_reason"] = choice["finish_reason"]
                if isinstance(content, str) and content:
                    if report is not None and not usage:
                        report["completion_tokens"] = report.get("completion_tokens", 0) + 1
                    yield content
        if cancel is not None and cancel.is_set():
            raise GenerationCancelled("generation cancelled")
        raise _NodeFailed("the stream ended without its [DONE]")

    # -- cancelled streams --------------------------------------------------------------

    def _watch(self, cancel: threading.Event | None, r: httpx.Response) -> int | None:
        """Shut ``r``'s socket when ``cancel`` is set (a read blocked on a node that
        stopped answering then ends); returns the key for :meth:`_unwatch`."""
        if cancel is None:
            return None
        stream = r.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return None
        key = id(r)
        with self._lock:
            self._watched[key] = (cancel, sock)
            if self._watcher is None:
                self._watcher = threading.Thread(
                    target=self._watch_loop, name="llama-server-cancel", daemon=True
                )
                self._watcher.start()
        return key

    def _unwatch(self, key: int | None) -> None:
        if key is not None:
            with self._lock:
                self._watched.pop(key, None)

    def _watch_loop(self) -> None:
        while not self._closed.wait(_CANCEL_POLL_S):
            # Under the lock: a stream that ends meanwhile waits in _unwatch, so a
            # socket is never shut after its connection went back to the pool.
            with self._lock:
                for key, (cancel, sock) in list(self._watched.items()):
                    if cancel.is_set():
                        del self._watched[key]
                        with contextlib.suppress(OSError):
                            sock.shutdown(socket.SHUT_RDWR)

    def chat(
        self,
        messages: list[ChatMessage],
        params: GenerationParams | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        return "".join(self.stream_chat(messages, params, cancel))

    def close(self) -> None:
        self._closed.set()
        self._client.close()


# -- the supervised child ------------------------------------------------------------


def find_llama_server(configured: Path | None) -> Path | None:
    """The llama-server binary: ``configured``, else next to this Python (the venv's
    ``bin``, where ``make setup`` and the installer put it), else on ``PATH``."""
    import shutil
    import sys

    if configured is not None:
        return configured if configured.is_file() else None
    beside = Path(sys.executable).parent / "llama-server"
    if beside.is_file():
        return beside
    found = shutil.which("llama-server")
    return Path(found) if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class LlamaServerProcess:
    """A llama-server child on 127.0.0.1 with a random API key, restarted when it
    exits unexpectedly, stopped by :meth:`stop` (and with the appliance).

    ``slots`` parallel sequences of ``ctx_per_slot`` tokens each (``--ctx-size`` is
    their product); ``alias`` is what /v1/models reports (the GGUF's sha256).
    """

    binary: Path
    model_path: Path
    slots: int
    ctx_per_slot: int
    threads: int
    alias: str
    log_path: Path
    n_gpu_layers: int = 0
    extra_args: tuple[str, ...] = ()  # settings.llama_server_args
    port: int = 0
    api_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    restarts: int = 0
    _proc: subprocess.Popen[bytes] | None = None
    _log: TextIO | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)
    _watcher: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def command(self) -> list[str]:
        return [
            str(self.binary),
            "--model",
            str(self.model_path),
            "--alias",
            self.alias,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--api-key",
            self.api_key,
            "--parallel",
            str(self.slots),
            "--ctx-size",
            str(self.slots * self.ctx_per_slot),
            "--threads",
            str(self.threads),
            "--threads-batch",
            str(self.threads),
            "--n-gpu-layers",
            str(self.n_gpu_layers),
            "--no-webui",
            *self.extra_args,
        ]

    def start(self, timeout_s: float = 120.0) -> None:
        """Start the child and wait until its ``/health`` answers 200.

        Raises :class:`ModelError` when it exits or does not become ready in time
        (its log, ``log_path``, says why)."""
        if not self.port:
            self.port = _free_port()
        # Stopped with the appliance: by close(), else at interpreter exit. (Under
        # systemd the unit's control group ends it in any case; PR_SET_PDEATHSIG is not
        # used: it fires when the spawning *thread* ends, and request threads come and go.)
        atexit.register(self.stop)
        self._spawn()
        self._wait_ready(timeout_s)
        if self._watcher is None:
            self._watcher = threading.Thread(
                target=self._watch, name="llama-server-supervisor", daemon=True
            )
            self._watcher.start()

    def _spawn(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self._log is None:
            self._log = self.log_path.open("a", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("APPLIANCE_")}
        self._proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        with httpx.Client(trust_env=False, timeout=_HEALTH_TIMEOUT_S) as client:
            while time.monotonic() < deadline:
                proc = self._proc
                if proc is None or proc.poll() is not None:
                    code = proc.returncode if proc is not None else None
                    raise ModelError(
                        f"llama-server exited with status {code} while starting; see "
                        f"{self.log_path}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"{self.url}/health").status_code == 200:
                        return
                time.sleep(0.2)
        raise ModelError(
            f"llama-server did not become ready in {timeout_s:.0f} s; see {self.log_path}"
        )

    def _watch(self) -> None:
        while not self._stopping.wait(0.5):
            proc = self._proc
            if proc is None or proc.poll() is None:
                continue
            if self._stopping.is_set():
                return
            self.restarts += 1
            if self._log is not None:
                self._log.write(
                    f"\n== appliance: llama-server exited ({proc.returncode}); restart "
                    f"{self.restarts}\n"
                )
                self._log.flush()
            with contextlib.suppress(ModelError, OSError):
                self._spawn()
                self._wait_ready(120.0)
            if self.restarts > 1:
                # Back off a little, so a child that cannot start does not spin.
                self._stopping.wait(min(30.0, 2.0 * self.restarts))

    def stop(self) -> None:
        """Stop the child (SIGTERM, then SIGKILL after 10 s) and its supervisor."""
        self._stopping.set()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None
        atexit.unregister(self.stop)
