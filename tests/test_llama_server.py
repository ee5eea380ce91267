"""Answers generated on llama.cpp's llama-server (issue 20): nodes on loopback the test
starts with the default GGUF, a node killed under the appliance, and the child the
appliance supervises itself killed and restarted. The binary is the one
``scripts/build-llama-server`` builds (``make setup``/``make test`` run it)."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from appliance.errors import (
    ApplianceError,
    ConfigError,
    GenerationCancelled,
    InferenceUnavailable,
    QuestionTooLong,
)
from appliance.files import sha256_file
from appliance.llm import GenerationParams
from appliance.llm.llama_server import LlamaServerPool, _free_port, find_llama_server
from tests.conftest import make_app

pytestmark = pytest.mark.slow

CHAT = "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="module")
def binary() -> Path:
    found = find_llama_server(None)
    if found is None:
        pytest.skip(
            "llama-server is not built here: run scripts/build-llama-server (make setup does)"
        )
    return found


class Node:
    """A llama-server the test starts on loopback: 1 thread, ``slots`` slots of 1024
    tokens, the GGUF's sha256 as the model name it reports."""

    def __init__(
        self, binary: Path, model: Path, log: Path, *, slots: int = 2, key: str | None = None
    ) -> None:
        self.port = _free_port()
        self.key = key or secrets.token_urlsafe(16)
        self.sha256 = sha256_file(model)
        with log.open("w") as out:
            self.proc = subprocess.Popen(
                [
                    str(binary),
                    *("--model", str(model), "--alias", self.sha256),
                    *("--host", "127.0.0.1", "--port", str(self.port), "--api-key", self.key),
                    *("--parallel", str(slots), "--ctx-size", str(slots * 1024)),
                    *("--threads", "1", "--threads-batch", "1", "--no-webui"),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, log.read_text()[-2000:]
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise AssertionError(f"llama-server did not start: {log.read_text()[-2000:]}")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


@pytest.fixture
def nodes(binary: Path, model_dir: Path, tmp_path: Path) -> Iterator[list[Node]]:
    started: list[Node] = []
    yield started
    for node in started:
        if node.proc.poll() is None:
            node.kill()


def _doc(tmp_path: Path) -> Path:
    doc = tmp_path / "rules.txt"
    doc.write_text(
        "Visitor rules.\n\nVisitor badges are returned to reception every evening before "
        "six o'clock.\n\nLost badges are reported to the security desk at once.\n"
    )
    return doc


def test_the_appliance_answers_through_a_llama_server_node_and_audits_its_model(
    binary, model_dir, embedder, engine, nodes, tmp_path
) -> None:
    from appliance.doctor import backend_check

    node = Node(binary, model_dir / CHAT, tmp_path / "node.log")
    nodes.append(node)
    app = make_app(
        tmp_path / "data",
        embedder,
        engine,
        inference_backend="remote",
        llama_server_urls=[node.url],
        llama_server_api_key=node.key,
    )
    try:
        app.ingest([_doc(tmp_path)], "visitors")
        stream = app.ask("When are visitor badges returned?", "visitors")
        answer = stream.result()
        assert answer.text.strip()
        assert stream.generation["node"] == node.url
        assert int(stream.generation["completion_tokens"]) > 0
        asked = list(app.audit.records(action="question.ask"))[-1]
        # The node reports the GGUF's sha256 (its --alias): the audit names that model.
        assert asked["detail"]["model_sha256"] == node.sha256 == sha256_file(model_dir / CHAT)
        # ... and the node that wrote the answer.
        assert asked["detail"]["node"] == node.url
        # The pool read the node's slots and context per slot, and routes by them.
        pool = app.engine_loaded()
        assert isinstance(pool, LlamaServerPool)
        assert pool.total_slots == 2 and pool.n_ctx == 1024
        assert len(app.scheduler.engines) == 2

        # Plain chat streams its text and counts its tokens; a wrong key is refused.
        chat = app.chat([{"role": "user", "content": "Say hello."}])
        text = "".join(chat)
        assert text.strip() and int(chat.generation["completion_tokens"]) > 0
        check = backend_check(app.settings)
        assert check.ok and node.url in check.detail and "2 slots" in check.detail
        denied = httpx.post(f"{node.url}/v1/chat/completions", json={"messages": []})
        assert denied.status_code == 401
    finally:
        app.close()


def test_a_stream_the_client_leaves_stops_on_the_node(binary, model_dir, nodes, tmp_path):
    node = Node(binary, model_dir / CHAT, tmp_path / "node.log", slots=1)
    nodes.append(node)
    pool = LlamaServerPool([node.url], node.key, n_ctx=1024)
    try:
        pool.check_health()
        report: dict[str, object] = {}
        deltas = pool.stream_chat(
            [{"role": "user", "content": "Write a very long story about a lighthouse."}],
            GenerationParams(max_tokens=900, temperature=0.8),
            report=report,
        )
        assert next(deltas)
        deltas.close()  # the client went away
        assert pool.nodes[0].outstanding == 0
        # The node's only slot is free again well before 900 tokens could be written.
        slots = []
        for _ in range(50):
            slots = httpx.get(
                f"{node.url}/slots", headers={"Authorization": f"Bearer {node.key}"}
            ).json()
            if not any(s["is_processing"] for s in slots):
                break
            time.sleep(0.1)
        assert slots and not any(s["is_processing"] for s in slots)
        # ... and takes the next request.
        assert pool.chat([{"role": "user", "content": "Say hi."}], GenerationParams(max_tokens=8))
    finally:
        pool.close()


def _in_thread(work: Any, seconds: float = 60.0) -> object:
    """Run ``work()`` in a thread: what it returned or raised; fails if it is still
    running after ``seconds`` (hung)."""
    out: list[object] = []

    def run() -> None:
        try:
            out.append(work())
        except Exception as exc:
            out.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds} s (hung)"
    return out[0]


def test_a_frozen_node_holds_neither_a_cancelled_stream_nor_a_request(
    binary, model_dir, nodes, tmp_path
) -> None:
    """A node that stops answering but keeps its connections open (SIGSTOP: frozen,
    as a node cut off by the network looks to the appliance)."""
    node = Node(binary, model_dir / CHAT, tmp_path / "node.log", slots=1)
    nodes.append(node)
    pool = LlamaServerPool([node.url], node.key, n_ctx=1024, read_timeout_s=3.0)
    try:
        pool.check_health()
        cancel = threading.Event()
        deltas = pool.stream_chat(
            [{"role": "user", "content": "Write a very long story about a lighthouse."}],
            GenerationParams(max_tokens=400, temperature=0.8),
            cancel,
        )
        assert next(deltas)
        node.proc.send_signal(signal.SIGSTOP)
        # The stream reads what the node wrote before it froze, then waits on it ...
        ended: list[object] = []
        reader = threading.Thread(target=lambda: ended.append(_in_thread(lambda: list(deltas))))
        reader.start()
        time.sleep(1.0)
        # ... until it is cancelled (the client left, or the deadline passed): then it
        # ends at once, its turn given back, the node not blamed.
        cancel.set()
        reader.join()
        assert len(ended) == 1 and isinstance(ended[0], GenerationCancelled), ended
        assert pool.nodes[0].outstanding == 0 and pool.nodes[0].failures == 0
        # A request sent to the frozen node waits at most read_timeout_s for it, and is
        # then retried elsewhere (here there is no other node: a clean error).
        failed = _in_thread(
            lambda: pool.chat(
                [{"role": "user", "content": "Say hi."}], GenerationParams(max_tokens=8)
            )
        )
        assert isinstance(failed, InferenceUnavailable), failed
        assert "no inference node answered" in str(failed) and "ReadTimeout" in str(failed)
        assert pool.nodes[0].outstanding == 0
    finally:
        node.proc.send_signal(signal.SIGCONT)
        pool.close()


def test_a_request_the_node_refuses_is_the_callers_error_not_the_nodes(
    binary, model_dir, nodes, tmp_path
) -> None:
    """A 4xx the request caused (a prompt over the context per slot, an invalid
    parameter) marks no node down and is not retried; a wrong key is a ConfigError."""
    key = secrets.token_urlsafe(16)
    first = Node(binary, model_dir / CHAT, tmp_path / "first.log", slots=1, key=key)
    nodes.append(first)
    second = Node(binary, model_dir / CHAT, tmp_path / "second.log", slots=1, key=key)
    nodes.append(second)
    pool = LlamaServerPool([first.url, second.url], key, n_ctx=1024, down_after=2)
    wrong = LlamaServerPool([first.url], "not-the-key", n_ctx=1024)
    try:
        pool.check_health()
        too_long = [{"role": "user", "content": "lighthouse keeper " * 700}]
        for _ in range(3):  # more than down_after
            with pytest.raises(QuestionTooLong, match=r"context of 1024 tokens per request"):
                pool.chat(too_long, GenerationParams(max_tokens=8))
        # llama-server refuses max_tokens below -1 with a 400 invalid_request_error.
        for _ in range(2):
            with pytest.raises(ApplianceError, match="refused the request: Field 'max_tokens'"):
                pool.chat([{"role": "user", "content": "Hi."}], GenerationParams(max_tokens=-5))
        # Neither node was blamed (so neither was retried on the other), none is held.
        assert [(n.up, n.failures, n.outstanding) for n in pool.nodes] == [(True, 0, 0)] * 2
        assert pool.chat([{"role": "user", "content": "Say hi."}], GenerationParams(max_tokens=8))

        # The node refuses the key: a configuration error that names the node.
        wrong.check_health()  # /health needs no key: up
        with pytest.raises(ConfigError, match=f"{first.url} refused the API key") as refused:
            wrong.chat([{"role": "user", "content": "Hi."}], GenerationParams(max_tokens=8))
        assert "llama_server_api_key" in str(refused.value)
        with pytest.raises(ConfigError, match="refused the API key"):
            wrong.count_tokens("Hi.")
        assert wrong.nodes[0].outstanding == 0 and "401" in wrong.nodes[0].last_error
    finally:
        pool.close()
        wrong.close()


def test_a_successful_answer_resets_the_nodes_failures(binary, model_dir, nodes, tmp_path):
    """Failures are counted in a row: an answer in between starts the count again."""
    node = Node(binary, model_dir / CHAT, tmp_path / "node.log", slots=2)
    nodes.append(node)
    pool = LlamaServerPool(
        [node.url], node.key, n_ctx=1024, down_after=2, read_timeout_s=2.0, health_interval_s=300
    )
    hi: list[Any] = [{"role": "user", "content": "Say hi."}]
    try:
        pool.check_health()
        for _ in range(2):
            node.proc.send_signal(signal.SIGSTOP)  # frozen: the read times out
            try:
                failed = _in_thread(lambda: pool.chat(hi, GenerationParams(max_tokens=4)))
            finally:
                node.proc.send_signal(signal.SIGCONT)
            assert isinstance(failed, InferenceUnavailable), failed
            assert pool.nodes[0].failures == 1 and pool.nodes[0].up
            # The node answers again: its count starts again (no health check ran).
            assert pool.chat(hi, GenerationParams(max_tokens=4))
            assert pool.nodes[0].failures == 0 and pool.nodes[0].up
    finally:
        node.proc.send_signal(signal.SIGCONT)
        pool.close()


def test_a_killed_node_is_marked_down_and_its_requests_go_to_the_other(
    binary, model_dir, embedder, engine, nodes, tmp_path
) -> None:
    # One API key for every node, as llama_server_api_key configures them.
    key = secrets.token_urlsafe(16)
    first = Node(binary, model_dir / CHAT, tmp_path / "first.log", slots=1, key=key)
    nodes.append(first)
    second = Node(binary, model_dir / CHAT, tmp_path / "second.log", slots=1, key=key)
    nodes.append(second)
    app = make_app(
        tmp_path / "data",
        embedder,
        engine,
        inference_backend="remote",
        llama_server_urls=[first.url, second.url],
        llama_server_api_key=key,
        # Health checks far apart: the requests themselves find the dead node.
        llama_server_health_s=300,
    )
    try:
        pool = app.engine_loaded()
        assert isinstance(pool, LlamaServerPool)
        assert [n.slots for n in pool.nodes] == [1, 1] and all(n.up for n in pool.nodes)
        assert len(app.scheduler.engines) == 2
        first.kill()
        served = []
        for i in range(3):
            stream = app.chat([{"role": "user", "content": f"Count to {i + 2}."}])
            assert "".join(stream).strip()
            served.append(stream.generation["node"])
        assert served == [second.url] * 3
        dead = pool.nodes[0]
        assert not dead.up and dead.last_error and dead.outstanding == 0
        assert pool.nodes[1].up and pool.nodes[1].served >= 3
    finally:
        app.close()


def test_the_appliance_supervises_its_llama_server_and_restarts_it(
    binary, model_dir, embedder, engine, tmp_path
) -> None:
    app = make_app(
        tmp_path / "data",
        embedder,
        engine,
        inference_backend="llama-server",
        llama_server_binary=binary,
        llama_server_slots=2,
        n_ctx=1024,
        n_threads=1,
        max_tokens=256,
        answer_max_tokens=128,
    )
    pid = None
    try:
        chat = app.chat([{"role": "user", "content": "Say hello."}])
        assert "".join(chat).strip()
        child = app.models.server_child
        assert child is not None and child.pid is not None
        pid = child.pid
        cmd = psutil.Process(pid).cmdline()
        # Loopback only, with a key; 2 slots of 1024 tokens.
        assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and "--api-key" in cmd
        assert cmd[cmd.index("--parallel") + 1] == "2"
        assert cmd[cmd.index("--ctx-size") + 1] == "2048"
        app.ingest([_doc(tmp_path)], "visitors")
        app.ask("When are visitor badges returned?", "visitors").result()
        asked = list(app.audit.records(action="question.ask"))[-1]
        assert asked["detail"]["model_sha256"] == sha256_file(model_dir / CHAT)

        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (
            child.restarts == 1 and child.pid != pid and _healthy(child.url)
        ):
            time.sleep(0.2)
        assert child.restarts == 1 and child.pid != pid
        pid = child.pid
        again = app.chat([{"role": "user", "content": "Say hello again."}])
        assert "".join(again).strip()
    finally:
        app.close()
    # Stopped with the appliance.
    assert pid is not None and not psutil.pid_exists(pid)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _start_default(
    data: Path, log: Path, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `appliance serve` with the default inference_backend ("auto": the suite's
    in-process pin removed) plus ``env``; (process, base URL), not yet waited for."""
    import sys

    port = _free_port()
    base_env = {k: v for k, v in os.environ.items() if k != "APPLIANCE_INFERENCE_BACKEND"}
    small = {"APPLIANCE_N_CTX": "1024", "APPLIANCE_N_THREADS": "1", "APPLIANCE_MAX_TOKENS": "16"}
    serve = ["serve", "--port", str(port)]
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "appliance.cli", "--data-dir", str(data), *serve],
            env=base_env | small | env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return server, f"http://127.0.0.1:{port}"


def _wait_serving(server: subprocess.Popen[bytes], base: str, log: Path) -> None:
    """Wait (at most 120 s) until the server started by :func:`_start_default` answers
    /healthz; killed and failed if it exits or does not answer."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()[-2000:]
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    server.kill()
    raise AssertionError(f"appliance serve did not start: {log.read_text()[-2000:]}")


def _serve_default(
    data: Path, log: Path, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], str]:
    """`appliance serve` with the default inference_backend ("auto": the suite's
    in-process pin removed) plus ``env``; (process, base URL) once /healthz answers."""
    server, base = _start_default(data, log, env)
    _wait_serving(server, base, log)
    return server, base


def _staff_key(data: Path, embedder: Any, engine: Any) -> str:
    from appliance.accounts import Accounts
    from appliance.caller import Caller

    app = make_app(data, embedder, engine)
    accounts = Accounts(app.db, app.audit, app.settings)
    accounts.create_user("nurse", "staff", Caller.local(), password="quiet-harbour-lantern-07")
    key = accounts.create_api_key("nurse", "test", Caller.local())
    app.close()
    return key


def _chat(base: str, key: str) -> str:
    r = httpx.post(
        f"{base}/v1/chat/completions",
        headers={"Authorization": f"Bearer {key}"},
        json={
            "model": CHAT.removesuffix(".gguf"),
            "messages": [{"role": "user", "content": "Hi"}],
        },
        timeout=300,
    )
    assert r.status_code == 200, r.text
    text: str = r.json()["choices"][0]["message"]["content"]
    assert text.strip()
    return text


def test_appliance_serve_answers_through_its_llama_server_by_default_and_stops_it(
    binary, model_dir, embedder, engine, tmp_path
) -> None:
    """The default backend ("auto") of the web server is the supervised llama-server
    when its binary is found (bench/RESULTS.md §13). systemctl stop sends SIGTERM;
    uvicorn re-raises it once shut down, so the child is stopped by the service's own
    shutdown, not left running."""
    data = tmp_path / "data"
    key = _staff_key(data, embedder, engine)
    backend = {"APPLIANCE_LLAMA_SERVER_BINARY": str(binary), "APPLIANCE_LLAMA_SERVER_SLOTS": "1"}
    server, base = _serve_default(data, tmp_path / "serve.log", backend)
    try:
        # Started with the web server, before the first question.
        children = [c for c in psutil.Process(server.pid).children() if c.name() == "llama-server"]
        assert len(children) == 1
        _chat(base, key)
        server.send_signal(signal.SIGTERM)
        server.wait(60)
        psutil.wait_procs(children, timeout=15)
        assert not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_appliance_serve_answers_in_process_and_says_why_without_llama_server(
    model_dir, embedder, engine, tmp_path
) -> None:
    """ "auto" with no llama-server binary (or one that does not start): the web server
    still answers, in-process, and its log says why and how to change it."""
    data = tmp_path / "data"
    key = _staff_key(data, embedder, engine)
    broken = tmp_path / "llama-server"
    broken.write_text("#!/bin/sh\necho 'cannot open the model' >&2\nexit 3\n")
    broken.chmod(0o755)
    # Both servers start at once (each start is mostly one core's work): the same two
    # runs as one after the other, in about the time of one on two cores.
    cases = {"missing": tmp_path / "nowhere" / "llama-server", "broken": broken}
    started: dict[str, tuple[subprocess.Popen[bytes], str, Path]] = {}
    try:
        for name, binary in cases.items():
            log = tmp_path / f"serve-{name}.log"
            env = {"APPLIANCE_LLAMA_SERVER_BINARY": str(binary)}
            started[name] = (*_start_default(data, log, env), log)
        for server, base, log in started.values():
            _wait_serving(server, base, log)
        for name, (server, base, log) in started.items():
            assert not psutil.Process(server.pid).children(), name
            _chat(base, key)
            said = log.read_text()
            assert "answering in-process" in said, (name, said)
            if name == "missing":
                assert "scripts/build-llama-server" in said and str(cases[name]) in said, said
            else:
                assert "did not start" in said and "llama-server.log" in said, said
    finally:
        for server, _, _ in started.values():
            server.terminate()
        stuck = []
        for name, (server, _, _) in started.items():
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
                stuck.append(name)
        assert not stuck, f"appliance serve did not stop on SIGTERM within 60 s: {stuck}"


def test_one_shot_commands_answer_in_process_under_auto(tmp_path, embedder, engine) -> None:
    """Only the web server resolves "auto" to llama-server: `appliance ask` and the
    other one-shot commands answer in-process, with no child to start."""
    app = make_app(tmp_path / "data", embedder, engine, inference_backend="auto")
    try:
        assert app.settings.inference_backend == "auto"
        assert app.models.backend == "in-process"
        assert app.models.engine_loaded() is engine
    finally:
        app.close()
