"""Vectors on a Chroma server (`chroma run` from the pinned chromadb) behave as the
embedded store does: collections, access metadata, answers, deletion, and no text.

Chroma 1.x's server has no authentication (chroma-core/chroma#4965), so the
appliance sends a bearer token sealed in its key store and Debian's nginx in front
of the server requires it (docs/admin-guide.md, "A Chroma server"). The tests start
`chroma run` on loopback and nginx in front of it, with a configuration they write
(its own pid, log and temporary paths; it never needs root), and stop both at the
end. ``make test`` installs nginx (scripts/install-nginx); without it these tests
are skipped, loudly, except in CI (APPLIANCE_TEST_NGINX_REQUIRED, set by .ci/run),
where they fail.
"""

from __future__ import annotations

import functools
import http.server
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, NamedTuple

import pytest

from appliance.caller import Caller
from appliance.errors import StoreError
from appliance.tls import make_self_signed
from tests.conftest import SAMPLES, make_app, run_cli

CHROMA = Path(sys.executable).parent / "chroma"
NGINX = Path(shutil.which("nginx") or "/usr/sbin/nginx")
# Importing chromadb's CLI takes 10-40 s on a loaded 2-core machine.
START_SECONDS = 240
ADMIN = Caller("root", "admin")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _status(url: str, token: str | None = None, context: object = None) -> int:
    """The HTTP status ``url`` answers a GET with (``token`` sent as a bearer token)."""
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as r:  # type: ignore[arg-type]
            status: int = r.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code


def _listening(port: int) -> set[str]:
    """The local addresses of the TCP sockets listening on ``port`` (Linux /proc)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if fields[3] != "0A" or int(hex_port, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            if len(raw) == 4:
                found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:  # four host-order 32-bit words
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


class ChromaRun(NamedTuple):
    """``chroma run`` on loopback: its port and its folder (a tuple: test_multiprocess
    uses the fixture as ``(port, folder)``)."""

    port: int
    db: Path


@dataclass(frozen=True)
class Proxy:
    """nginx in front of the Chroma server: plain http on ``port``, https on
    ``tls_port`` (certificate ``cert`` for 127.0.0.1), both requiring ``token``."""

    port: int
    tls_port: int
    token: str
    cert: Path


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaRun]:
    folder = tmp_path_factory.mktemp("chroma-server")
    port = _free_port()
    log = (folder / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            str(CHROMA),
            "run",
            "--path",
            str(folder / "db"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + START_SECONDS
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.close()
                    raise RuntimeError(
                        "chroma run did not start: " + (folder / "server.log").read_text()[-2000:]
                    ) from None
                time.sleep(0.5)
        yield ChromaRun(port, folder / "db")
    finally:
        _stop(proc)
        log.close()


NGINX_CONF = """\
# Written by tests/test_chroma_server.py: the admin guide's configuration, on loopback.
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
daemon off;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    # The token(s) accepted, matched case-sensitively (~); two during a change.
    map $http_authorization $chroma_token_ok {{
        default 0;
        "~^Bearer {token}$" 1;
    }}
    server {{
        listen 127.0.0.1:{port};
        listen 127.0.0.1:{tls_port} ssl;
        ssl_certificate {d}/proxy.crt;
        ssl_certificate_key {d}/proxy.key;
        client_max_body_size 64m;
        location / {{
            if ($chroma_token_ok = 0) {{
                return 401;
            }}
            proxy_pass http://127.0.0.1:{chroma_port};
            proxy_http_version 1.1;
            proxy_set_header Authorization "";
            proxy_request_buffering off;
            proxy_buffering off;
        }}
    }}
}}
"""


def _require_nginx() -> None:
    if NGINX.is_file():
        return
    message = (
        "nginx is not installed (/usr/sbin/nginx): the Chroma server tests put it in front "
        "of the server; run scripts/install-nginx (make test does)."
    )
    if os.environ.get("APPLIANCE_TEST_NGINX_REQUIRED"):
        pytest.fail(message)
    print(f"\n*** SKIPPING: {message} ***", file=sys.stderr)
    warnings.warn(message, stacklevel=1)
    pytest.skip(message)


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory, chroma_server: ChromaRun) -> Iterator[Proxy]:
    _require_nginx()
    folder = tmp_path_factory.mktemp("nginx")
    token = secrets.token_hex(32)
    cert, _ = make_self_signed(folder / "proxy.crt", folder / "proxy.key", ["127.0.0.1"])
    port, tls_port = _free_port(), _free_port()
    conf = folder / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            d=folder, port=port, tls_port=tls_port, token=token, chroma_port=chroma_server.port
        )
    )
    proc = subprocess.Popen(
        [str(NGINX), "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if _status(f"http://127.0.0.1:{port}/api/v2/heartbeat", token) == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("nginx did not start: " + (folder / "error.log").read_text())
            time.sleep(0.2)
        yield Proxy(port, tls_port, token, cert)
    finally:
        _stop(proc)


def test_documents_answers_and_deletion_behind_the_token(
    chroma_server: ChromaRun, proxy: Proxy, tmp_path: Path, embedder, engine
) -> None:  # type: ignore[no-untyped-def]
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    # Chroma itself listens on loopback only; only the proxy is meant to be reached.
    assert _listening(chroma_server.port) == {"127.0.0.1"}
    assert _listening(proxy.port) == {"127.0.0.1"}
    # The proxy refuses a request without the token, or with another one.
    base = f"http://127.0.0.1:{proxy.port}"
    assert _status(f"{base}/api/v2/collections") == 401
    assert _status(f"{base}/api/v2/heartbeat", "not-" + proxy.token) == 401
    assert _status(f"{base}/api/v2/heartbeat", proxy.token.upper()) == 401
    assert _status(f"{base}/api/v2/heartbeat", proxy.token) == 200

    app = make_app(
        tmp_path / "data", embedder, engine, chroma_host="127.0.0.1", chroma_port=proxy.port
    )
    try:
        status = app.set_chroma_token(proxy.token + "\n")  # as read from a file or stdin
        assert status.accepted is True, status
        files = [
            SAMPLES / "northbridge-bank-record-retention-policy.pdf",
            SAMPLES / "it-acceptable-use.txt",
        ]
        results = app.ingest(files, "policies", who=ADMIN)
        assert results and all(r.ok for r in results), [r.error for r in results if not r.ok]
        # Nothing was written to an embedded store in the data directory.
        assert not app.settings.chroma_path.exists()

        client = chromadb.HttpClient(
            host="127.0.0.1",
            port=proxy.port,
            headers={"Authorization": f"Bearer {proxy.token}"},
            settings=ChromaSettings(anonymized_telemetry=False),
        )
        names = {c.name for c in client.list_collections()}
        assert "appl_policies" in names
        stored = client.get_collection("appl_policies")
        chunks = sum(r.chunks for r in results)
        assert stored.count() == chunks

        answer = app.ask("How long is CCTV footage retained at the bank?", "policies").result()
        assert answer.found and "30 days" in " ".join(q.text for q in answer.extract)

        # Staff without a grant reach nothing, the server notwithstanding.
        clerk = Caller("clerk", "staff", "10.0.0.9", access={})
        with pytest.raises(Exception, match="policies"):
            app.retrieve("CCTV footage", "policies", who=clerk)

        # The server holds vectors, ids and access metadata, never the text.
        raw = b"".join(p.read_bytes() for p in chroma_server.db.rglob("*") if p.is_file())
        assert b"CCTV" not in raw and b"footage" not in raw

        # Deleting a document removes its vectors from the server.
        victim = next(r for r in results if r.chunks)
        app.delete_document(victim.document_id, who=ADMIN)
        assert stored.count() == chunks - victim.chunks
        left = stored.get(where={"document_id": str(victim.document_id)})
        assert left["ids"] == []

        # The token is sealed: not in the database in clear.
        database = app.settings.data_dir / "appliance.db"
        with sqlite3.connect(database) as db:
            (sealed,) = db.execute("SELECT sealed FROM service_secrets").fetchone()
        assert proxy.token.encode() not in sealed
        assert proxy.token.encode() not in database.read_bytes()
        assert list(app.audit.records(action="chroma.token.set"))
    finally:
        app.close()


def test_a_wrong_or_missing_token_is_a_clear_error_and_loses_nothing(
    proxy: Proxy, tmp_path: Path, embedder, engine
) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    where = {"chroma_host": "127.0.0.1", "chroma_port": proxy.port}
    app = make_app(data, embedder, engine, **where)
    try:
        app.set_chroma_token(proxy.token)
        kept = app.ingest([SAMPLES / "it-acceptable-use.txt"], "handbook", who=ADMIN)
        assert all(r.ok for r in kept)
        chunks = app.index.count("handbook")
        assert chunks == sum(r.chunks for r in kept) > 0
        before = app.retrieve("password", "handbook", who=ADMIN)

        status = app.set_chroma_token("not-" + proxy.token)
        assert status.accepted is False and "refused the token" in status.detail
        refused = "Chroma server refused the token"
        with pytest.raises(StoreError, match=refused):
            app.retrieve("password", "handbook", who=ADMIN)
        with pytest.raises(StoreError, match=refused):
            app.ingest([SAMPLES / "harrowgate-council-foi-process.md"], "handbook", who=ADMIN)
        with pytest.raises(StoreError, match=refused):
            app.delete_document(kept[0].document_id, who=ADMIN)

        assert app.clear_chroma_token()
        with pytest.raises(StoreError, match=refused + r".*no token is set"):
            app.retrieve("password", "handbook", who=ADMIN)
        documents = [d.id for d in app.documents("handbook")]

        # From the command line (another process): one line saying so, never a
        # traceback; the token is set there too, never on the command line.
        env = {"APPLIANCE_CHROMA_HOST": "127.0.0.1", "APPLIANCE_CHROMA_PORT": str(proxy.port)}
        out = run_cli("chroma", "token", "status", data_dir=data, env=env)
        assert out.returncode == 8 and "REFUSED" in out.stdout, out
        out = run_cli("documents", "delete", str(kept[0].document_id), data_dir=data, env=env)
        assert out.returncode == 8, out
        assert "error: Chroma server refused the token" in out.stderr
        assert "Traceback" not in out.stderr
        out = run_cli(
            "chroma",
            "token",
            "set",
            "--token-env",
            "CHROMA_TOKEN",
            data_dir=data,
            env={**env, "CHROMA_TOKEN": proxy.token},
        )
        assert out.returncode == 0 and "accepted" in out.stdout, out
        # This process, refused once more, reads the token the other one set.
        again = app.retrieve("password", "handbook", who=ADMIN)
        assert [h.chunk_id for h in again] == [h.chunk_id for h in before]
    finally:
        app.close()

    # Reopened with the token from the key store: nothing was lost, nothing half-added.
    app = make_app(data, embedder, engine, **where)
    try:
        assert [d.id for d in app.documents("handbook")] == documents
        assert documents == [kept[0].document_id]
        assert app.index.count("handbook") == chunks
        again = app.retrieve("password", "handbook", who=ADMIN)
        assert [h.chunk_id for h in again] == [h.chunk_id for h in before]
    finally:
        app.close()


def test_the_token_over_tls(proxy: Proxy, tmp_path: Path, embedder, engine) -> None:  # type: ignore[no-untyped-def]
    tls = {"chroma_host": "127.0.0.1", "chroma_port": proxy.tls_port, "chroma_ssl": True}
    app = make_app(tmp_path / "data", embedder, engine, chroma_ca_file=proxy.cert, **tls)
    try:
        assert app.set_chroma_token(proxy.token).accepted is True
        results = app.ingest([SAMPLES / "it-acceptable-use.txt"], "handbook", who=ADMIN)
        assert all(r.ok for r in results)
        assert app.index.count("handbook") == sum(r.chunks for r in results) > 0
    finally:
        app.close()
    # A certificate the appliance cannot verify is an unreachable server, said so.
    app = make_app(tmp_path / "data", embedder, engine, **tls)
    try:
        with pytest.raises(StoreError, match=r"cannot be reached.*CERTIFICATE_VERIFY_FAILED"):
            app.index.count("handbook")
    finally:
        app.close()


def test_doctor_reports_the_chroma_server_and_its_token(
    chroma_server: ChromaRun, proxy: Proxy, tmp_path: Path, embedder, engine
) -> None:  # type: ignore[no-untyped-def]
    from appliance.config import load_settings
    from appliance.doctor import chroma_check

    data = tmp_path / "data"
    direct = {"chroma_host": "127.0.0.1", "chroma_port": chroma_server.port}
    guarded = {"chroma_host": "127.0.0.1", "chroma_port": proxy.port}
    make_app(data, embedder, engine, **guarded).close()

    check = chroma_check(load_settings(data, **direct))
    assert check.ok and "answers without a token" in check.detail, check
    check = chroma_check(load_settings(data, **guarded))
    assert not check.ok and "requires a token; none set" in check.detail, check

    app = make_app(data, embedder, engine, **guarded)
    try:
        app.set_chroma_token(proxy.token)
    finally:
        app.close()
    check = chroma_check(load_settings(data, **guarded))
    assert check.ok and "requires a token" in check.detail and "a token is set" in check.detail
    # The token is set, but this server answers without it: nothing enforces it.
    check = chroma_check(load_settings(data, **direct))
    assert not check.ok and "does not require it" in check.detail, check
    check = chroma_check(load_settings(data, chroma_host="127.0.0.1", chroma_port=_free_port()))
    assert not check.ok and "did not answer" in check.detail, check

    # Something that is not Chroma (a 404 for every path) neither answers nor refuses:
    # the old code said it "answers without a token" (its proxy does not require it).
    empty = tmp_path / "empty"
    empty.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(empty))
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        other = {"chroma_host": "127.0.0.1", "chroma_port": web.server_address[1]}
        for where in (data, tmp_path / "no-token"):
            check = chroma_check(load_settings(where, **other))
            assert not check.ok and "answered HTTP 404" in check.detail, check
            assert "without a token" not in check.detail, check
    finally:
        web.shutdown()
        web.server_close()


def test_a_token_is_checked_before_it_is_sealed(app) -> None:  # type: ignore[no-untyped-def]
    from appliance.errors import ApplianceError, NotAllowed

    for bad, why in [("", "empty"), ("two words", "visible ASCII"), ("é" * 8, "visible ASCII")]:
        with pytest.raises(ApplianceError, match=why):
            app.set_chroma_token(bad)
    with pytest.raises(ApplianceError, match="longer than 4096"):
        app.set_chroma_token("x" * 4097)
    with pytest.raises(NotAllowed):
        app.set_chroma_token("a" * 64, who=Caller("clerk", "staff"))
    assert app.service_secrets.info("chroma_token") is None
    # Embedded, the token is kept (for a server configured later) and nothing is asked.
    status = app.set_chroma_token("a" * 64)
    assert status.server is None and status.accepted is None and status.set_at
    assert app.chroma_token_status().set_at == status.set_at
    assert app.clear_chroma_token() and not app.clear_chroma_token()


def test_a_token_another_process_set_is_read_at_once(
    proxy: Proxy, tmp_path: Path, embedder, engine
) -> None:  # type: ignore[no-untyped-def]
    """The first process keeps the token's data key in memory (60 s); the second
    shreds it and seals the new token under a new key. The first, refused, reads the
    new token at once: the key it kept does not open it, so it reads the key again."""
    from appliance.store.secrets import CHROMA_TOKEN

    data = tmp_path / "data"
    where = {"chroma_host": "127.0.0.1", "chroma_port": proxy.port}
    first = make_app(data, embedder, engine, **where)
    try:
        assert first.set_chroma_token("not-" + proxy.token).accepted is False
        assert first.service_secrets.get(CHROMA_TOKEN) == "not-" + proxy.token  # key kept
        second = make_app(data, embedder, engine, **where)
        try:
            assert second.set_chroma_token(proxy.token).accepted is True
        finally:
            second.close()
        # Refused, the first reads the token again: the old code opened the new one
        # with the shredded key it kept (TamperedData, a 500 in the web server).
        results = first.ingest([SAMPLES / "it-acceptable-use.txt"], "handbook", who=ADMIN)
        assert all(r.ok for r in results), [r.error for r in results]
        assert first.index.count("handbook") == sum(r.chunks for r in results) > 0
        assert first.service_secrets.get(CHROMA_TOKEN) == proxy.token
    finally:
        first.close()


def test_a_collection_handle_from_a_replaced_client_is_not_kept(proxy: Proxy) -> None:
    """A thread that fetched a collection's handle from the client of the token before
    (use_token, by another thread, in between) must not keep it: the old code kept it,
    and it was sent with the old token until a restart."""
    from appliance.store.vectors import VectorIndex

    index = VectorIndex(host="127.0.0.1", port=proxy.port, token=proxy.token)
    old = index._client
    fetch = old.get_or_create_collection

    def token_changed_meanwhile(**kwargs):  # type: ignore[no-untyped-def]
        col = fetch(**kwargs)  # a real request, on the old client
        index.use_token(proxy.token)  # another thread: a new client from now on
        return col

    old.get_or_create_collection = token_changed_meanwhile  # type: ignore[method-assign]
    assert index.count("race") == 0
    assert "race" not in index._collections
    assert index._client is not old
    assert index.count("race") == 0  # a handle from the new client, kept
    assert "race" in index._collections


def test_tls_without_a_ca_file_uses_the_system_cas_never_httpx_bundle(
    proxy: Proxy, tmp_path: Path, embedder, engine, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """With no CA file known to OpenSSL (common on Debian: cafile None), the CA
    directory is used, else Debian's bundle, else a ConfigError naming chroma_ca_file;
    never httpx's certifi bundle (the old code left ca_file None)."""
    from appliance.errors import ConfigError
    from appliance.store import vectors

    cas = tmp_path / "cas"
    cas.mkdir()
    subject_hash = subprocess.run(
        ["openssl", "x509", "-hash", "-noout", "-in", str(proxy.cert)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (cas / f"{subject_hash}.0").symlink_to(proxy.cert)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-file.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(cas))
    tls = {"chroma_host": "127.0.0.1", "chroma_port": proxy.tls_port, "chroma_ssl": True}
    app = make_app(tmp_path / "data", embedder, engine, **tls)
    try:
        assert app.index.server is not None and app.index.server.ca_file == cas
        assert app.set_chroma_token(proxy.token).accepted is True
        results = app.ingest([SAMPLES / "it-acceptable-use.txt"], "handbook", who=ADMIN)
        assert all(r.ok for r in results), [r.error for r in results]
    finally:
        app.close()

    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "no-such-dir"))
    bundle = tmp_path / "ca-certificates.crt"
    bundle.write_bytes(proxy.cert.read_bytes())
    monkeypatch.setattr(vectors, "DISTRO_CA_BUNDLE", bundle)
    assert vectors.ChromaServer("127.0.0.1", proxy.tls_port, ssl=True).ca_file == bundle
    monkeypatch.setattr(vectors, "DISTRO_CA_BUNDLE", tmp_path / "none.crt")
    with pytest.raises(ConfigError, match="chroma_ca_file"):
        vectors.ChromaServer("127.0.0.1", proxy.tls_port, ssl=True)


class _RecordingProxy(http.server.BaseHTTPRequestHandler):
    """An HTTP proxy that records what reaches it and carries nothing (502)."""

    seen: ClassVar[list[str]] = []

    def _refuse(self) -> None:
        self.seen.append(f"{self.command} {self.path}")
        self.send_error(502)

    do_GET = do_POST = do_PUT = do_DELETE = do_CONNECT = _refuse

    def log_message(self, *args: object) -> None:
        pass


def test_requests_to_the_chroma_server_never_go_through_the_environments_proxy(
    proxy: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ``http(s)_proxy`` in the environment (set system-wide for package updates,
    say) must not carry the appliance's vectors and access metadata anywhere: chromadb's
    own client honoured it (the old code sent every request, the first included, to the
    proxy, here one that records and refuses). The llama-server client and the probe
    already went straight."""
    import numpy as np

    from appliance.store import vectors

    _RecordingProxy.seen = []
    recorder = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RecordingProxy)
    threading.Thread(target=recorder.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{recorder.server_address[1]}"
    for var in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(var, url)
        monkeypatch.setenv(var.upper(), url)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    try:
        index = vectors.VectorIndex(host="127.0.0.1", port=proxy.port, token=proxy.token)
        unit = np.eye(3, 384, dtype=np.float32)
        meta = [{"document_id": "d1", "collection": "direct"}] * 3
        index.add("direct", ["c1", "c2", "c3"], unit, meta)
        hits = index.query("direct", unit[1], 2)
        assert hits[0].chunk_id == "c2"
        session = index._client._server._session  # type: ignore[attr-defined]
        assert session.timeout.read == vectors.CHROMA_REQUEST_SECONDS
        index.drop("direct")
    finally:
        recorder.shutdown()
        recorder.server_close()
    assert _RecordingProxy.seen == []


def test_a_refused_token_is_a_503_naming_no_secret_and_logged_for_the_admin(
    proxy: Proxy, tmp_path: Path, embedder, engine, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    """Staff asking while the Chroma server refuses the token read that the document
    store is unavailable (nothing searched, try later), the /v1 API answers 503
    ``store_unavailable``, and the server log names the fix. The old code answered a
    500 "could not complete this request" with a reference number."""
    from fastapi.testclient import TestClient

    from appliance.accounts import Accounts
    from appliance.web import create_app
    from tests.webtools import ask_stream, page_csrf, sign_in

    where = {"chroma_host": "127.0.0.1", "chroma_port": proxy.port}
    app = make_app(tmp_path / "data", embedder, engine, **where)
    try:
        app.set_chroma_token(proxy.token)
        assert all(r.ok for r in app.ingest([SAMPLES / "it-acceptable-use.txt"], who=ADMIN))
        accounts = Accounts(app.db, app.audit, app.settings)
        accounts.create_user("sam", "staff", ADMIN, password="correct horse battery 9")
        accounts.grant("default", ADMIN, user="sam", access="contribute")
        key = accounts.create_api_key("sam", "bench", ADMIN)
        web = create_app(app, maintenance=False)
        with TestClient(web) as client:
            assert sign_in(client, "sam", "correct horse battery 9").status_code == 303
            app.set_chroma_token("not-" + proxy.token)
            events = ask_stream(client, page_csrf(client), "May I install software?", "default")
            failure = [data for name, data in events if name == "failure"]
            assert failure and "document store does not answer" in failure[0]["message"]
            assert "Reference" not in failure[0]["message"]
            answer = client.post(
                "/v1/chat/completions",
                headers={"Authorization": f"Bearer {key}"},
                json={"model": "rag:default", "messages": [{"role": "user", "content": "Hi?"}]},
            )
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"]["code"] == "store_unavailable"
        logged = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert any("refused the token" in m and "chroma token set" in m for m in logged)
        assert not any(proxy.token in m for m in logged)
    finally:
        app.close()
