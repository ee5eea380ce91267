"""The scale-out topology on loopback (issue 20, item 6), every part a real process
the test starts: PostgreSQL (a fresh database on the machine's server), a Chroma
server, a Redis, two inference nodes (llama.cpp's ``llama-server`` with the default
GGUF) and two ``appliance serve`` web processes on the ``remote`` backend naming
both nodes. People's questions go through both web processes with the official
``openai`` client, several at once; then

- one inference node is killed (SIGKILL) while it is decoding: the requests waiting
  for a turn, and those it had not started, are answered by the other node; only
  the streams it was writing end, each with a clean ``inference_unavailable`` error
  event; none is lost, none answered twice (the responses, and one ``question.ask``
  event per answered request in the audit trail, none for a failed one);
- one web process is killed: the other serves the same person's API key and
  browser session;
- the audit trail both processes wrote on PostgreSQL verifies, gapless, with the
  appliance's own ``appliance audit verify``.

Each request carries its own ``X-Forwarded-For`` address (the web processes trust
the test as their reverse proxy), which the audit trail records as the event's
``source``: that address is the request's id in the trail.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from appliance.accounts import Accounts
from appliance.caller import Caller
from appliance.llm.llama_server import find_llama_server
from tests.conftest import SAMPLES, fresh_pg_database, make_app, run_cli
from tests.test_chroma_server import _free_port, chroma_server  # noqa: F401 (a fixture)
from tests.test_llama_server import CHAT, Node
from tests.test_multiprocess import (
    START_SECONDS,
    Server,
    _wait_until_up,
    redis_port,  # noqa: F401 (a fixture)
)
from tests.webtools import sign_in

pytestmark = pytest.mark.slow

USER, PASSWORD = "sam", "violet-harbour-crane-82"
SLOTS = 2  # parallel slots of each inference node
MAX_TOKENS = 48  # per answer: short, but long enough to kill a node mid-answer
BURST = 12  # questions at once while a node is killed (6 through each web process)
# Passages in each prompt (the default is 5): two still ground every answer in the
# policy (each answer's audit event lists its chunks), and the nodes, one thread
# each, read shorter prompts; what this module tests is the topology, not retrieval.
TOP_K = 2
# Questions the retention policy answers (the collection's one document).
QUESTIONS = [
    "How long must customer transaction records be kept?",
    "How long is CCTV footage retained at the bank?",
    "How long are customer account records kept after the account is closed?",
    "What is the retention period for customer records?",
    "How long must the bank keep customer transaction records?",
    "Are we retaining CCTV footage or deleting it?",
]


@pytest.fixture(scope="module")
def binary() -> Path:
    found = find_llama_server(None)
    if found is None:
        pytest.skip(
            "llama-server is not built here: run scripts/build-llama-server (make setup does)"
        )
    return found


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL (skipped without one, failed under
    .ci/run's APPLIANCE_TEST_PG_REQUIRED)."""
    with fresh_pg_database() as url:
        yield url


@dataclass
class Stack:
    app: Any  # the appliance of the data directory, in this process: reads the trail
    data_dir: Path
    database_url: str
    nodes: list[Node]  # inference nodes a and b
    webs: list[Server]  # web processes A and B
    api_key: str  # USER's


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    binary: Path,
    model_dir: Path,
    embedder: Any,
    database_url: str,
    chroma_server: tuple[int, Path],  # noqa: F811
    redis_port: int | None,  # noqa: F811
) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("scaleout")
    node_key = secrets.token_urlsafe(16)  # one --api-key for both nodes
    nodes: list[Node] = []
    webs: list[Server] = []
    app = None
    try:
        for name in ("a", "b"):
            log = root / f"node-{name}.log"
            nodes.append(Node(binary, model_dir / CHAT, log, slots=SLOTS, key=node_key))
        data_dir = root / "data"
        data_dir.mkdir(mode=0o700)
        storage = f"redis://127.0.0.1:{redis_port}/0" if redis_port else "memory://"
        urls = json.dumps([n.url for n in nodes])
        (data_dir / "appliance.toml").write_text(
            f'database_url = "{database_url}"\n'
            f'chroma_host = "127.0.0.1"\nchroma_port = {chroma_server[0]}\n'
            f'rate_limit_storage_url = "{storage}"\n'
            'trusted_proxies = ["127.0.0.1"]\n'  # the test plays the reverse proxy
            f'inference_backend = "remote"\nllama_server_urls = {urls}\n'
            f"answer_max_tokens = {MAX_TOKENS}\ntop_k = {TOP_K}\n"
        )
        # The nodes' key from the environment, as the admin guide has it.
        env = {"APPLIANCE_LLAMA_SERVER_API_KEY": node_key}
        app = make_app(
            data_dir, embedder, None, inference_backend="remote", llama_server_api_key=node_key
        )
        results = app.ingest([SAMPLES / "northbridge-bank-record-retention-policy.pdf"])
        assert all(r.ok for r in results), [r.error for r in results if not r.ok]
        who = Caller.local()
        accounts = Accounts(app.db, app.audit, app.settings)
        accounts.create_user(USER, "staff", who, password=PASSWORD)
        accounts.grant("default", who, user=USER)
        key = accounts.create_api_key(USER, "scale-out test", who)
        webs = [_serve(name, data_dir, root, env) for name in ("A", "B")]
        deadline = time.monotonic() + START_SECONDS
        for web in webs:
            _wait_until_up(web, deadline)
        yield Stack(app, data_dir, database_url, nodes, webs, key)
    finally:
        for web in webs:
            web.kill()
        for node in nodes:
            if node.proc.poll() is None:
                node.kill()
        if app is not None:
            app.close()


def _serve(name: str, data_dir: Path, logs: Path, env: dict[str, str]) -> Server:
    port = _free_port()
    log = logs / f"web-{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "appliance.cli", "serve", "--port", str(port)],
            # The backend is appliance.toml's ("remote"), not the suite's pin.
            env={k: v for k, v in os.environ.items() if k != "APPLIANCE_INFERENCE_BACKEND"}
            | {"APPLIANCE_DATA_DIR": str(data_dir), **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name, f"http://127.0.0.1:{port}", proc, log)


# -- asking ---------------------------------------------------------------------------


@dataclass
class Asked:
    """One streamed question and what came back."""

    web: str
    source: str  # its X-Forwarded-For address: its id in the audit trail
    text: str = ""
    finishes: int = 0  # chunks with a finish_reason
    error: BaseException | None = None
    done_at: float = 0.0  # time.monotonic() when the stream ended
    chunks: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


def _client(web: Server, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=web.url + "/v1", api_key=key, max_retries=0, timeout=240)


def _ask(web: Server, key: str, question: str, source: str) -> Asked:
    """Stream a question from the collection through ``web``; never raises."""
    asked = Asked(web.name, source)
    try:
        stream = _client(web, key).chat.completions.create(
            model="rag:default",
            messages=[{"role": "user", "content": question}],
            max_tokens=MAX_TOKENS,
            temperature=0,
            stream=True,
            extra_headers={"X-Forwarded-For": source},
        )
        for chunk in stream:
            asked.chunks.append(chunk)
            for choice in chunk.choices:
                asked.text += choice.delta.content or ""
                asked.finishes += choice.finish_reason is not None
    except Exception as exc:  # recorded, and judged by the test
        asked.error = exc
    asked.done_at = time.monotonic()
    return asked


def _ask_at_once(jobs: list[tuple[Server, str, str]], key: str) -> list[Asked]:
    """Ask every (web, question, source) of ``jobs`` at once, in threads."""
    out: list[Asked | None] = [None] * len(jobs)

    def run(i: int) -> None:
        web, question, source = jobs[i]
        out[i] = _ask(web, key, question, source)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(jobs))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 600
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    hung = [jobs[i][2] for i, t in enumerate(threads) if t.is_alive()]
    assert not hung, f"requests never ended (hung): {hung}"
    return [a for a in out if a is not None]


def _answered_events(app: Any, sources: set[str]) -> dict[str, list[dict[str, Any]]]:
    """The ``question.ask`` events of ``sources`` (the requests' ids), by source."""
    events: dict[str, list[dict[str, Any]]] = {s: [] for s in sources}
    for record in app.audit.records(action="question.ask"):
        if record["source"] in events:
            events[record["source"]].append(record)
    return events


def _decoding(node: Node) -> bool:
    """True while one of ``node``'s slots is writing an answer, well past its first
    tokens and well before ``MAX_TOKENS`` (what its ``/slots`` reports)."""
    try:
        slots = httpx.get(
            f"{node.url}/slots", headers={"Authorization": f"Bearer {node.key}"}, timeout=2
        ).json()
    except (httpx.HTTPError, ValueError):
        return False
    for slot in slots:
        nxt = slot.get("next_token")
        nxt = nxt[0] if isinstance(nxt, list) and nxt else nxt
        decoded = int((nxt or {}).get("n_decoded", 0))
        if slot.get("is_processing") and 8 <= decoded <= MAX_TOKENS - 16:
            return True
    return False


# -- the tests, in order ------------------------------------------------------------------


def test_questions_through_both_web_processes_are_answered_and_audited_once(
    stack: Stack,
) -> None:
    a, b = stack.webs
    jobs = [(web, QUESTIONS[i], f"203.0.113.{i + 1}") for i, web in enumerate([a, b, a, b])]
    answers = _ask_at_once(jobs, stack.api_key)
    assert all(x.ok for x in answers), [repr(x.error) for x in answers if not x.ok]
    assert all(x.text.strip() and x.finishes == 1 for x in answers), answers
    assert {x.web for x in answers} == {"A", "B"}
    events = _answered_events(stack.app, {x.source for x in answers})
    node_urls = {n.url for n in stack.nodes}
    for source, found in events.items():
        assert len(found) == 1, (source, found)
        detail = found[0]["detail"]
        # The answer names the node that wrote it, and the weights it reports.
        assert detail["node"] in node_urls and detail["model_sha256"] == stack.nodes[0].sha256
        assert found[0]["actor"] == USER and detail["chunks"]


def test_a_node_killed_mid_answer_loses_no_request_and_answers_none_twice(
    stack: Stack,
) -> None:
    a, b = stack.webs
    doomed, survivor = stack.nodes
    jobs = [
        ((a, b)[i % 2], QUESTIONS[i % len(QUESTIONS)], f"198.51.100.{i + 1}") for i in range(BURST)
    ]
    killed_at: list[float] = []
    stop = threading.Event()

    def kill_when_decoding() -> None:
        while not stop.wait(0.05):
            if _decoding(doomed):
                killed_at.append(time.monotonic())
                doomed.kill()
                return

    killer = threading.Thread(target=kill_when_decoding, daemon=True)
    killer.start()
    try:
        answers = _ask_at_once(jobs, stack.api_key)
    finally:
        stop.set()
        killer.join()
    if not killed_at:  # every answer came and went between two looks at /slots
        doomed.kill()
        pytest.fail("node a was never seen decoding an answer; nothing was tested")
    assert doomed.proc.poll() is not None

    failed = [x for x in answers if not x.ok]
    answered = [x for x in answers if x.ok]
    # Errors only for the streams the killed node was writing (at most its slots),
    # each a clean OpenAI-shaped error event naming it, after the stream had begun.
    assert 1 <= len(failed) <= SLOTS, [repr(x.error) for x in failed]
    for x in failed:
        error = x.error
        assert isinstance(error, openai.APIError), repr(error)
        assert not isinstance(error, openai.APIConnectionError | openai.APIStatusError), error
        assert error.code == "inference_unavailable", error.body
        assert doomed.url in error.message and "during the answer" in error.message
        assert x.chunks and x.finishes == 0  # the stream had started, and never "finished"
    for x in answered:
        assert x.text.strip() and x.finishes == 1, x

    # The trail: one answer event for each answered request, none for a failed one.
    events = _answered_events(stack.app, {x.source for x in answers})
    for x in answered:
        assert len(events[x.source]) == 1, (x.source, events[x.source])
    for x in failed:
        assert events[x.source] == [], (x.source, events[x.source])
    # Requests still waiting when the node died were answered by the other node.
    late = [events[x.source][0] for x in answered if x.done_at > killed_at[0]]
    assert any(e["detail"]["node"] == survivor.url for e in late), late

    # And the next questions go straight to the node left, through both processes.
    after = _ask_at_once(
        [(web, QUESTIONS[0], f"198.51.100.{101 + i}") for i, web in enumerate([a, b])],
        stack.api_key,
    )
    assert all(x.ok and x.finishes == 1 for x in after), [repr(x.error) for x in after]
    events = _answered_events(stack.app, {x.source for x in after})
    assert [e[0]["detail"]["node"] for e in events.values()] == [survivor.url] * 2


def test_a_web_process_killed_leaves_the_other_serving_the_same_person(stack: Stack) -> None:
    a, b = stack.webs
    browser = httpx.Client(base_url=a.url, timeout=120)
    r = sign_in(browser, USER, PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/chat", r.text
    a.kill()
    with pytest.raises(openai.APIConnectionError):
        _client(a, stack.api_key).models.list()
    # The API key and the browser session, both made before the crash, work on B.
    asked = _ask(b, stack.api_key, QUESTIONS[1], "192.0.2.10")
    assert asked.ok and asked.text.strip() and asked.finishes == 1, repr(asked.error)
    assert len(_answered_events(stack.app, {asked.source})[asked.source]) == 1
    on_b = httpx.Client(base_url=b.url, cookies=browser.cookies, timeout=120)
    assert on_b.get("/chat", follow_redirects=False).status_code == 200


def test_afterwards_the_audit_trail_on_postgresql_verifies_gapless(stack: Stack) -> None:
    from sqlalchemy import create_engine, func, select

    from appliance.store.schema import AuditRecord

    assert stack.database_url.startswith("postgresql")
    seqs = [r["seq"] for r in stack.app.audit.records()]
    assert seqs == list(range(1, len(seqs) + 1))
    done = run_cli("audit", "verify", "--json", data_dir=stack.data_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] and report["problems"] == [], report
    # Every record is in PostgreSQL's table (the verify itself is the last one).
    engine = create_engine(stack.database_url)
    try:
        with engine.connect() as conn:
            stored = conn.scalar(select(func.count()).select_from(AuditRecord.__table__))
            last = conn.scalar(select(func.max(AuditRecord.__table__.c.seq)))
    finally:
        engine.dispose()
    assert stored == last == report["records"] + 1 and report["records"] >= len(seqs)
