"""Two web processes behind one proxy: whichever process a request reaches, the
appliance answers the same.

The test starts two real `appliance serve` processes (A and B) on loopback, sharing
one data directory (sealed files and keys), one database (the data directory's
SQLite file, then the machine's PostgreSQL over its unix socket where there is one),
one Chroma server and one Redis of its own on loopback (for the rate limits);
a person's requests then alternate between them as a round-robin proxy
would send them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from appliance.accounts import Accounts
from appliance.caller import Caller
from tests.conftest import SAMPLES, _wait_for_group_to_die, make_app, store_database
from tests.test_chroma_server import _free_port, chroma_server  # noqa: F401 (a fixture)
from tests.webtools import csrf_of, parse_sse, sign_in

PASSWORDS = {
    "ada": "amber-kettle-orbit-71",
    "sam": "violet-harbour-crane-82",
    "lee": "copper-willow-signal-64",
}
SIGNIN_RATE = 20  # sign-in attempts per minute from one address (the default)
START_SECONDS = 300  # loading the models on a loaded 2-core machine


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int | None]:
    """A Redis of our own on loopback (the suite runs in a network namespace of its
    own, where the machine's Redis is out of reach), nothing saved to disk; None
    where no ``redis-server`` is installed (the rate-limit test then skips)."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = _free_port()
    folder = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not _redis_answers(port):
            assert proc.poll() is None, "redis-server ended at start"
            assert time.monotonic() < deadline, "redis-server did not answer in 30 s"
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@dataclass
class Server:
    name: str
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def client(self, cookies: httpx.Cookies | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, cookies=cookies, timeout=300)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        _wait_for_group_to_die(self.proc.pid)


@dataclass
class Pair:
    a: Server
    b: Server
    app: Any  # the appliance of the data directory, for reading the trail
    shared_limits: bool


def _start(name: str, data_dir: Path, logs: Path) -> Server:
    port = _free_port()
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "appliance.cli", "serve", "--port", str(port)],
            env={**os.environ, "APPLIANCE_DATA_DIR": str(data_dir)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name, f"http://127.0.0.1:{port}", proc, log)


def _wait_until_up(server: Server, deadline: float) -> None:
    while True:
        try:
            if httpx.get(server.url + "/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if server.proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{server.name} did not start: " + server.log.read_text()[-3000:])
        time.sleep(0.5)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def pair(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    chroma_server: tuple[int, Path],  # noqa: F811
    redis_port: int | None,
    embedder,
    engine,
) -> Iterator[Pair]:
    with store_database(request.param) as url:
        yield from _pair(tmp_path_factory, chroma_server[0], redis_port, url, embedder, engine)


def _pair(
    tmp_path_factory: pytest.TempPathFactory,
    chroma_port: int,
    redis_port: int | None,
    database_url: str | None,
    embedder: Any,
    engine: Any,
) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("multiprocess")
    data_dir = root / "data"
    data_dir.mkdir(mode=0o700)
    shared = redis_port is not None
    storage = f"redis://127.0.0.1:{redis_port}/0" if shared else "memory://"
    settings = (
        f'chroma_host = "127.0.0.1"\nchroma_port = {chroma_port}\n'
        f'rate_limit_storage_url = "{storage}"\nsignin_rate_per_minute = {SIGNIN_RATE}\n'
        'trusted_proxies = ["127.0.0.1"]\n'  # the test plays the reverse proxy
    )
    if database_url:
        settings += f'database_url = "{database_url}"\n'
    (data_dir / "appliance.toml").write_text(settings)
    app = make_app(data_dir, embedder, engine)
    results = app.ingest([SAMPLES / "northbridge-bank-record-retention-policy.pdf"])
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    who = Caller.local()
    accounts = Accounts(app.db, app.audit, app.settings)
    accounts.create_user("ada", "admin", who, password=PASSWORDS["ada"])
    accounts.create_user("sam", "staff", who, password=PASSWORDS["sam"])
    accounts.create_user("lee", "staff", who, password=PASSWORDS["lee"])
    accounts.grant("default", who, user="sam", access="contribute")
    servers = [_start("A", data_dir, root), _start("B", data_dir, root)]
    try:
        deadline = time.monotonic() + START_SECONDS
        for server in servers:
            _wait_until_up(server, deadline)
        yield Pair(servers[0], servers[1], app, shared)
    finally:
        for server in servers:
            server.kill()
        app.close()
        _empty_chroma(chroma_port)  # the next pair (the other database) starts afresh


def _empty_chroma(port: int) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.HttpClient(
        host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False)
    )
    for collection in client.list_collections():
        client.delete_collection(collection.name)


def _signed_in(server: Server, user: str) -> httpx.Client:
    client = server.client()
    r = sign_in(client, user, PASSWORDS[user])
    assert r.status_code == 303 and r.headers["location"] == "/chat", r.text
    return client


def _on(server: Server, client: httpx.Client) -> httpx.Client:
    """The same browser (its cookies), its next request sent to ``server``."""
    return server.client(client.cookies)


def _ask(client: httpx.Client, question: str, collection: str) -> list[tuple[str, Any]]:
    csrf = csrf_of(client.get("/chat").text)
    with client.stream(
        "POST",
        "/chat/ask",
        data={"question": question, "collection": collection, "csrf": csrf},
        headers={"Accept": "text/event-stream"},
    ) as response:
        assert response.status_code == 200, response.read()
        return parse_sse("".join(response.iter_text()))


# -- sessions and sign-in ---------------------------------------------------------------


def test_a_session_opened_on_one_process_works_on_the_other_until_signed_out(
    pair: Pair,
) -> None:
    on_a = _signed_in(pair.a, "sam")
    on_b = _on(pair.b, on_a)
    assert on_b.get("/chat", follow_redirects=False).status_code == 200
    # Signing out through B ends the session for A at once.
    r = on_b.post("/signout", data={"csrf": csrf_of(on_b.get("/chat").text)})
    assert r.status_code in (200, 303)
    again_on_a = pair.a.client(on_a.cookies)
    r = again_on_a.get("/chat", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")


def test_behind_the_proxy_the_trail_records_the_persons_address(pair: Pair) -> None:
    client = pair.b.client()
    client.headers["X-Forwarded-For"] = "198.51.100.7"
    r = sign_in(client, "sam", PASSWORDS["sam"])
    assert r.status_code == 303, r.text
    last = [e for e in pair.app.audit.records(action="auth.signin") if e["actor"] == "sam"][-1]
    assert last["source"] == "198.51.100.7"


def test_failed_sign_ins_on_both_processes_add_up_to_one_lockout(pair: Pair) -> None:
    limit = pair.app.settings.signin_max_failures
    for i in range(limit):
        server = (pair.a, pair.b)[i % 2]
        r = sign_in(server.client(), "lee", "not-the-password-at-all")
        assert r.status_code == 401, (server.name, r.text)
    # Neither process alone saw the limit; the right password is refused on both.
    for server in (pair.a, pair.b):
        r = sign_in(server.client(), "lee", PASSWORDS["lee"])
        assert r.status_code == 401 and "locked" in r.text, server.name
    reasons = [
        r["reason"]
        for r in pair.app.audit.records(action="auth.signin")
        if r["actor"] == "lee" and r["outcome"] == "failure"
    ]
    assert reasons == ["wrong password"] * limit + ["account locked"] * 2


# -- documents, grants and policies -----------------------------------------------------


def test_a_document_uploaded_through_one_process_is_found_through_the_other(
    pair: Pair,
) -> None:
    on_a = _signed_in(pair.a, "sam")
    on_b = _on(pair.b, on_a)
    question = "Which log is filed under the code QZ-7731-LK?"
    # B answers once first: its lexical index of the collection is built now, before
    # the upload, and must be rebuilt when the collection's revision moves.
    before = next(d for e, d in _ask(on_b, question, "default") if e == "done")
    csrf = csrf_of(on_a.get("/documents").text)
    note = (
        b"# Harbour crane inspections\n\n"
        b"Every harbour crane is inspected every 45 days by the maintenance team; "
        b"the inspection log is filed under the code QZ-7731-LK.\n"
    )
    r = on_a.post(
        "/documents/upload",
        data={"csrf": csrf, "collection": "default"},
        files={"files": ("cranes.md", note, "text/markdown")},
        headers={"Accept": "application/json"},
    )
    result = r.json()["results"][0]
    assert result["ok"], result
    assert result["document_id"] not in {c["document_id"] for c in before["citations"]}
    # Through B at once: the passage comes from the shared Chroma server (dense) and
    # from B's lexical index rebuilt from the database (the code is one rare word).
    done = next(d for e, d in _ask(on_b, question, "default") if e == "done")
    cited = {c["document_id"] for c in done["citations"]}
    assert result["document_id"] in cited, done


def test_a_grant_revoked_on_one_process_is_enforced_on_the_other(pair: Pair) -> None:
    sam_b = _signed_in(pair.b, "sam")
    assert sam_b.get("/documents?collection=default").status_code == 200
    # Both processes appended to one audit trail: gapless, and it verifies.
    assert pair.app.audit.verify().ok
    admin_a = _signed_in(pair.a, "ada")
    csrf = csrf_of(admin_a.get("/admin/collections").text)
    r = admin_a.post(
        "/admin/collections/default/grants",
        data={"csrf": csrf, "grantee": "user:sam", "revoke": "true"},
    )
    assert r.status_code in (200, 303), r.text
    events = _ask(sam_b, "How long are customer records kept?", "default")
    assert not [d for e, d in events if e == "done"], events
    assert any(e == "failure" for e, _ in events), events
    refused = [
        r
        for r in pair.app.audit.records(action="access.denied")
        if r["actor"] == "sam" and r["resource"] == "collection:default"
    ]
    assert refused, "the refusal on B is in the trail"
    # Given back, for the tests after this one.
    r = admin_a.post(
        "/admin/collections/default/grants",
        data={"csrf": csrf, "grantee": "user:sam", "access": "contribute"},
    )
    assert r.status_code in (200, 303), r.text


def test_a_policy_changed_on_one_process_applies_on_the_other(pair: Pair) -> None:
    sam_b = _signed_in(pair.b, "sam")
    question = "What does the record of Priya Raman (JH 12 34 56 C) say?"
    # Under the default policy a national insurance number is pseudonymised ...
    assert not any(e == "blocked" for e, _ in _ask(sam_b, question, "default"))
    admin_a = _signed_in(pair.a, "ada")
    csrf = csrf_of(admin_a.get("/admin/collections").text)
    r = admin_a.post(
        "/admin/collections/default/policy", data={"csrf": csrf, "policy": "government"}
    )
    assert r.status_code in (200, 303), r.text
    # ... under the government policy set through A, B blocks the question.
    events = _ask(sam_b, question, "default")
    assert any(e == "blocked" for e, _ in events), events


# -- rate limits --------------------------------------------------------------------------


def test_sign_in_attempts_are_rate_limited_across_both_processes(pair: Pair) -> None:
    if not pair.shared_limits:
        pytest.skip("no redis-server installed: rate limits count per process")
    statuses = []
    for i in range(SIGNIN_RATE + 1):
        server = (pair.a, pair.b)[i % 2]
        r = sign_in(server.client(), "nobody-at-all", "not-the-password-at-all")
        statuses.append(r.status_code)
        if r.status_code == 429:
            break
    # Each process saw about half the attempts, fewer than its limit: the 429 comes
    # from the count they share.
    assert statuses[-1] == 429, statuses
    assert len(statuses) <= SIGNIN_RATE + 1
    assert set(statuses[:-1]) <= {401}
    assert int(r.headers["retry-after"]) >= 1


# -- one process gone ---------------------------------------------------------------------


def test_the_other_process_serves_when_one_is_killed(pair: Pair) -> None:
    sam_a = pair.a.client()
    # Another address than the test before's, whose sign-ins reached the limit.
    sam_a.headers["X-Forwarded-For"] = "198.51.100.8"
    # A session opened before the crash (through A) goes on through B.
    r = sign_in(sam_a, "sam", PASSWORDS["sam"])
    assert r.status_code == 303, r.text
    pair.a.kill()
    with pytest.raises(httpx.ConnectError):
        httpx.get(pair.a.url + "/healthz", timeout=5)
    sam_b = _on(pair.b, sam_a)
    assert sam_b.get("/chat", follow_redirects=False).status_code == 200
    assert sam_b.get("/documents?collection=default").status_code == 200


# -- settings -----------------------------------------------------------------------------


def test_a_shared_rate_limit_store_is_checked_at_start(tmp_path: Path) -> None:
    from appliance.config import load_settings
    from appliance.errors import ConfigError
    from appliance.web.security import RateLimits

    with pytest.raises(ConfigError, match="rate_limit_storage_url"):
        load_settings(tmp_path, rate_limit_storage_url="mongodb://127.0.0.1/limits")
    with pytest.raises(ConfigError, match="trusted_proxies"):
        load_settings(tmp_path, trusted_proxies=["proxy.example.org"])
    # A Redis that does not answer stops the start, the password kept out of the message.
    closed = _free_port()
    with pytest.raises(ConfigError, match="does not answer") as refused:
        RateLimits(f"redis://:s3cret-word@127.0.0.1:{closed}/0")
    assert "s3cret-word" not in str(refused.value) and "rate_limit_storage_url" in str(
        refused.value
    )
