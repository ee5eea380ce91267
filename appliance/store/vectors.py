"""The vector index: Chroma, embedded (PersistentClient) or a server (HttpClient).

Chroma holds vectors, chunk ids and access metadata only, never chunk text:
the text lives (and, with encryption at rest, is sealed) in the relational
store. Telemetry is always off and no embedding function is attached, so
Chroma never downloads a model; the appliance supplies every vector.

A Chroma server (``chroma run``, chromadb 1.x) has no authentication of its own
(chroma-core/chroma#4965): the appliance sends ``Authorization: Bearer <token>``
on every request and a proxy in front of the server (nginx, docs/admin-guide.md,
"A Chroma server") refuses requests without it. A refusal (HTTP 401 or 403) or an
unreachable server is a :class:`StoreError` naming the fix, never a traceback.
"""

from __future__ import annotations

import functools
import http.client
import logging
import ssl
import threading
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from appliance.errors import (
    ApplianceError,
    ConfigError,
    CryptoError,
    StoreError,
    StoreUnavailable,
)

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.client import Client as ChromaClient
    from chromadb.api.models.Collection import Collection
    from chromadb.config import Settings as ChromaSettings

_PREFIX = "appl_"
T = TypeVar("T")


@dataclass(frozen=True)
class VectorHit:
    chunk_id: str
    similarity: float  # cosine similarity, 1.0 = same direction
    metadata: dict[str, Any]


def _chroma_settings(ca_file: Path | None = None) -> ChromaSettings:
    from chromadb.config import Settings as ChromaSettings

    if ca_file is not None:
        return ChromaSettings(
            anonymized_telemetry=False, allow_reset=False, chroma_server_ssl_verify=str(ca_file)
        )
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


# The probe behind a failed request: Chroma's own identity route (any route would do;
# the proxy guards them all). Seconds to wait for it.
PROBE_PATH = "/api/v2/auth/identity"
_PROBE_SECONDS = 10.0


# Debian's and Ubuntu's bundle of the system's CAs (package ca-certificates).
DISTRO_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def _system_cas() -> Path:
    """The system's CA certificates as OpenSSL finds them (``ssl.get_default_verify_paths``:
    ``SSL_CERT_FILE``, else OpenSSL's CA file, else ``SSL_CERT_DIR`` or OpenSSL's CA
    directory), else :data:`DISTRO_CA_BUNDLE`: a file or a hashed directory that
    chromadb hands to httpx, which would otherwise trust its own bundle (certifi).

    Raises :class:`ConfigError` naming ``chroma_ca_file`` when there is none."""
    paths = ssl.get_default_verify_paths()
    if paths.cafile:  # set only when the file exists
        return Path(paths.cafile)
    if paths.capath and Path(paths.capath).is_dir():
        return Path(paths.capath)
    if DISTRO_CA_BUNDLE.is_file():
        return DISTRO_CA_BUNDLE
    raise ConfigError(
        "chroma_ssl is on but this system has no CA certificates (no "
        f"{paths.openssl_cafile}, {paths.openssl_capath} or {DISTRO_CA_BUNDLE}): set "
        "chroma_ca_file to the PEM file of the CA that signed the Chroma server's "
        "certificate (or install ca-certificates)."
    )


@dataclass(frozen=True)
class ChromaServer:
    """Where a Chroma server is reached and how (the ``chroma_*`` settings)."""

    host: str
    port: int = 8000
    ssl: bool = False
    # PEM CA certificate(s) the server's certificate is checked on (a file, or an
    # OpenSSL hashed directory); None: the system's CAs (_system_cas), never httpx's
    # own bundle (certifi) instead.
    ca_file: Path | None = None

    def __post_init__(self) -> None:
        if self.ssl and self.ca_file is None:
            object.__setattr__(self, "ca_file", _system_cas())

    @property
    def where(self) -> str:
        """The server's base URL, e.g. ``https://10.0.0.5:8443``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.ssl else 'http'}://{host}:{self.port}"

    def status(self, token: str | None) -> int:
        """The HTTP status the server (its proxy) answers ``GET /api/v2/auth/identity``
        with, sending ``token`` as a bearer token when given: 200 accepted, 401 or 403
        refused.

        Raises :class:`OSError` when nothing answers within 10 s (refused connection,
        unknown host, a TLS certificate that does not verify)."""
        request = urllib.request.Request(self.where + PROBE_PATH)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
        if self.ssl:  # never through an http(s)_proxy of the environment: straight there
            cas = self.ca_file
            context = ssl.create_default_context(
                cafile=str(cas) if cas and not cas.is_dir() else None,
                capath=str(cas) if cas and cas.is_dir() else None,
            )
            handlers.append(urllib.request.HTTPSHandler(context=context))
        opener = urllib.request.build_opener(*handlers)
        try:
            with opener.open(request, timeout=_PROBE_SECONDS) as r:
                status: int = r.status
                return status
        except urllib.error.HTTPError as exc:
            return exc.code
        except http.client.HTTPException as exc:  # not HTTP at all (https to plain http)
            raise OSError(f"{type(exc).__name__}: {exc}") from exc


def refused(server: ChromaServer, status: int, token: str | None) -> StoreUnavailable:
    """The error for a server that answered ``status`` (401 or 403) to ``token``."""
    fix = (
        "no token is set: set the one its proxy requires with `appliance chroma token set`"
        if not token
        else "set the one its proxy requires with `appliance chroma token set`"
    )
    return StoreUnavailable(
        f"Chroma server refused the token (HTTP {status} from {server.where}); {fix}."
    )


# Seconds a request to a Chroma server may take: to connect, and in all (a query of a
# large collection, an upsert of a big document's vectors). chromadb's own client
# waits for ever.
CHROMA_CONNECT_SECONDS = 10.0
CHROMA_REQUEST_SECONDS = 300.0


def _direct_client(server: ChromaServer) -> type[ChromaClient]:
    """chromadb's client class, its HTTP session replaced before the first request by
    one that never goes through an ``http(s)_proxy`` of the environment (an appliance
    sends vectors and access metadata to its own server only: nothing leaves the
    machine unless an administrator configured where) and gives up after
    :data:`CHROMA_REQUEST_SECONDS`. chromadb 1.5's own session honours the proxy
    variables and has no timeout, and its settings can change neither.

    Raises :class:`StoreError` when the pinned chromadb no longer has the session
    this replaces (an upgrade changed its client)."""
    import httpx
    from chromadb.api.client import Client

    class DirectClient(Client):
        def get_user_identity(self):  # type: ignore[no-untyped-def]
            # The first request of Client.__init__, made on the server API just built.
            _go_direct(self._server, server)
            return super().get_user_identity()

        def _validate_tenant_database(self, tenant: str, database: str) -> None:
            # Then the admin client's, a server API of its own (a system of its own).
            _go_direct(self._admin_client._server, server)  # type: ignore[attr-defined]
            super()._validate_tenant_database(tenant, database)

    def _go_direct(api: object, where: ChromaServer) -> None:
        session = getattr(api, "_session", None)
        if getattr(api, "_appliance_direct", False):
            return
        if not isinstance(session, httpx.Client):
            raise StoreError(
                "this chromadb's HTTP client has no httpx session to replace: the "
                "appliance cannot keep its requests off the environment's proxy; "
                "install the chromadb version in constraints.txt."
            )
        verify: ssl.SSLContext | bool = False
        if where.ssl:
            cas = where.ca_file
            verify = ssl.create_default_context(
                cafile=str(cas) if cas and not cas.is_dir() else None,
                capath=str(cas) if cas and cas.is_dir() else None,
            )
        direct = httpx.Client(
            timeout=httpx.Timeout(CHROMA_REQUEST_SECONDS, connect=CHROMA_CONNECT_SECONDS),
            limits=api.http_limits,  # type: ignore[attr-defined]
            verify=verify,
            headers=session.headers,
            trust_env=False,
        )
        api._session = direct  # type: ignore[attr-defined]
        api._appliance_direct = True  # type: ignore[attr-defined]
        session.close()

    return DirectClient


class _Refused(Exception):
    """A refusal inside :meth:`VectorIndex._call`, before the token is read again."""

    def __init__(self, error: StoreError) -> None:
        super().__init__(str(error))
        self.error = error


class VectorIndex:
    """One Chroma collection per vector space: a document collection's vectors from one
    embedder (``appliance.rag.documents.vector_space`` names it).

    Embedded (``path``) the store opens here and now; on a server (``host``) the
    client connects on first use, sending ``token`` (see the module's docstring), so a
    server that is down or refuses the token fails each use with a :class:`StoreError`
    rather than the appliance's start. ``token_source`` reads the token as the key
    store holds it now: a process whose token was replaced by another (``appliance
    chroma token set`` while the web server runs) takes the new one on its first
    refusal."""

    def __init__(
        self,
        path: Path | None = None,
        host: str | None = None,
        port: int = 8000,
        *,
        ssl: bool = False,
        ca_file: Path | None = None,
        token: str | None = None,
        token_source: Callable[[], str | None] | None = None,
    ):
        self._server = ChromaServer(host, port, ssl, ca_file) if host else None
        self._token = token
        self._token_source = token_source
        # Re-entrant: a refused connection, made under it, takes a new token under it.
        self._lock = threading.RLock()
        self._client_now: ClientAPI | None = None
        self._collections: dict[str, Collection] = {}
        if self._server is None:
            import chromadb

            assert path is not None
            try:
                path.mkdir(parents=True, exist_ok=True)
                self._client_now = chromadb.PersistentClient(
                    path=str(path), settings=_chroma_settings()
                )
            except Exception as exc:  # chromadb raises many untyped errors on a bad store
                raise StoreError(
                    f"the vector index at {path} cannot be opened ({exc}). Restore the data "
                    "directory from a backup (`appliance backup restore ARCHIVE`)."
                ) from exc

    @property
    def server(self) -> ChromaServer | None:
        """The Chroma server in use; None: the embedded store."""
        return self._server

    def use_token(self, token: str | None) -> None:
        """Send ``token`` (None: none) from the next request on."""
        with self._lock:
            self._token = token
            self._client_now = None
            self._collections.clear()

    @property
    def _client(self) -> ClientAPI:
        with self._lock:
            if self._client_now is None:
                server = self._server
                assert server is not None
                # The token as it is when tried: a refusal may bring a new one.
                self._client_now = self._call(lambda: self._connect(server, self._token))
            return self._client_now

    @staticmethod
    def _connect(server: ChromaServer, token: str | None) -> ClientAPI:
        """A client of ``server`` whose every request, the first included, goes straight
        to it (see :func:`_direct_client`)."""
        settings = _chroma_settings(server.ca_file if server.ssl else None)
        # What chromadb.HttpClient does, with the client class of our own.
        settings.chroma_api_impl = "chromadb.api.fastapi.FastAPI"
        settings.chroma_server_host = server.host
        settings.chroma_server_http_port = server.port
        settings.chroma_server_ssl_enabled = server.ssl
        settings.chroma_server_headers = {"Authorization": f"Bearer {token}"} if token else None
        with warnings.catch_warnings():
            # chromadb 1.5 hands the CA file's path to httpx, which (0.28) deprecates
            # a path there in favour of an SSLContext chromadb's settings cannot hold.
            warnings.filterwarnings("ignore", "`verify=<str>` is deprecated", DeprecationWarning)
            return _direct_client(server)(settings=settings)

    def _call(self, act: Callable[[], T]) -> T:
        """``act()``; on a server, a failure that is not Chroma's own answer (a proxy's
        refusal, no answer at all) becomes a :class:`StoreError` saying which. On a
        refusal, the token is read again from ``token_source``: when another process
        has set a new one since, ``act()`` is tried once more with it; when this
        process's token changed during the call, or collection handles were kept (one
        may come from the client of a token since replaced), once more on new handles."""
        if self._server is None:
            return act()
        tried = self._token
        try:
            return self._attempt(act)
        except _Refused as refusal:
            fresh = self._fresh_token()
            with self._lock:
                if fresh is not None and fresh != self._token:
                    self.use_token(fresh)
                elif self._token == tried and not self._collections:
                    raise refusal.error from refusal.__cause__
                else:
                    # The handle (or client) used may predate a token change made by
                    # another thread: take new ones.
                    self._collections.clear()
            try:
                return self._attempt(act)
            except _Refused as again:
                raise again.error from again.__cause__

    def _fresh_token(self) -> str | None:
        """The token as the key store holds it now (None: unknown, or none set)."""
        if self._token_source is None:
            return None
        try:
            return self._token_source()
        except (StoreError, CryptoError) as exc:
            # Destroyed since a restore, or sealed under a key replaced as it was read:
            # the refusal says the rest.
            log.warning("%s", exc)
            return None

    def _attempt(self, act: Callable[[], T]) -> T:
        from chromadb.errors import AuthorizationError, ChromaAuthError, ChromaError

        assert self._server is not None
        try:
            return act()
        except ApplianceError:
            raise  # explained already (the client's connection, made on first use)
        except (ChromaAuthError, AuthorizationError) as exc:
            raise _Refused(refused(self._server, 403, self._token)) from exc
        except ChromaError:
            raise  # Chroma's own answer (a collection not found, a bad request)
        except Exception as exc:  # chromadb raises a bare Exception for a non-Chroma answer
            error, was_refused = self._explain(exc)
            if was_refused:
                raise _Refused(error) from exc
            raise error from exc

    def _explain(self, exc: Exception) -> tuple[StoreError, bool]:
        """Why a request to the server failed, asked of the server once more; True
        with it when the server refuses the token."""
        assert self._server is not None
        try:
            status = self._server.status(self._token)
        except OSError as probe:
            return StoreUnavailable(
                f"the Chroma server at {self._server.where} cannot be reached ({probe}); "
                "check chroma_host, chroma_port and chroma_ssl, and that it runs."
            ), False
        if status in (401, 403):
            return refused(self._server, status, self._token), True
        return StoreError(
            f"the Chroma server at {self._server.where} failed a request "
            f"({type(exc).__name__}: {str(exc)[:300]})."
        ), False

    def check(self) -> None:
        """Nothing for the embedded store; on a server, one request (the number of
        collections), so a caller about to change the relational store first learns
        that the server refuses the token or does not answer.

        Raises :class:`StoreError` saying which."""
        if self._server is not None:
            self._call(lambda: self._client.count_collections())

    def _collection(self, name: str) -> Collection:
        """The Chroma collection of vector space ``name``, its handle kept. Another
        process may have dropped and made it again since (a re-embedding, a deleted
        collection): :meth:`_use` then takes a new handle. A handle is kept only when
        its client is still the one in use (a token change since, by another thread,
        made a new one)."""
        with self._lock:
            col = self._collections.get(name)
            if col is not None:
                return col
            client = self._client
        col = client.get_or_create_collection(
            name=_PREFIX + name,
            metadata={"hnsw:space": "cosine"},
            embedding_function=None,
        )
        with self._lock:
            if self._client_now is client:
                col = self._collections.setdefault(name, col)
        return col

    def _use(self, name: str, act: Callable[[Collection], T]) -> T:
        """``act`` on the collection of ``name``; once more on a new handle when the kept
        one names a collection another process has dropped since."""
        from chromadb.errors import NotFoundError

        try:
            return self._call(lambda: act(self._collection(name)))
        except NotFoundError:
            self._collections.pop(name, None)
            return self._call(lambda: act(self._collection(name)))

    def add(
        self,
        collection: str,
        ids: list[str],
        vectors: np.ndarray,
        metadatas: list[dict[str, Any]],
    ) -> None:
        if not ids:
            return

        def upsert(col: Collection, part: slice) -> None:
            col.upsert(
                ids=ids[part], embeddings=vectors[part].tolist(), metadatas=list(metadatas[part])
            )

        # Chroma limits one call's size; stay well below it.
        step = 2000
        for i in range(0, len(ids), step):
            self._use(collection, functools.partial(upsert, part=slice(i, i + step)))

    def query(
        self,
        collection: str,
        vector: np.ndarray,
        n: int,
        where: dict[str, Any] | None = None,
    ) -> list[VectorHit]:
        def ask(col: Collection) -> Any:
            count = col.count()
            if count == 0:
                return None
            return col.query(
                query_embeddings=[vector.tolist()],
                n_results=min(n, count),
                where=where,
                include=["distances", "metadatas"],
            )

        result = self._use(collection, ask)
        if result is None:
            return []
        ids = result["ids"][0]
        got_distances, got_metas = result.get("distances"), result.get("metadatas")
        distances = got_distances[0] if got_distances else [1.0] * len(ids)
        metas = got_metas[0] if got_metas else [{}] * len(ids)
        return [
            VectorHit(cid, 1.0 - float(dist), dict(meta or {}))
            for cid, dist, meta in zip(ids, distances, metas, strict=True)
        ]

    def vectors(self, collection: str, ids: list[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        got = self._use(collection, lambda col: col.get(ids=ids, include=["embeddings"]))
        embeddings = got["embeddings"]
        if embeddings is None:  # only when not asked for
            return {}
        return {
            cid: np.asarray(vec, dtype=np.float32)
            for cid, vec in zip(got["ids"], embeddings, strict=True)
        }

    def delete_document(self, collection: str, document_id: str) -> None:
        self._use(collection, lambda col: col.delete(where={"document_id": document_id}))

    def document_ids(self, collection: str) -> set[str]:
        """Every document id that has vectors (used by crash recovery)."""
        got = self._use(collection, lambda col: col.get(include=["metadatas"]))
        return {str(m.get("document_id")) for m in got["metadatas"] or [] if m}

    def chunk_counts(self, collection: str) -> dict[str, int]:
        """Vectors per document id (a re-embedding skips documents already complete)."""
        got = self._use(collection, lambda col: col.get(include=["metadatas"]))
        counts: dict[str, int] = {}
        for meta in got["metadatas"] or []:
            if meta:
                doc = str(meta.get("document_id"))
                counts[doc] = counts.get(doc, 0) + 1
        return counts

    def count(self, collection: str) -> int:
        n: int = self._use(collection, lambda col: col.count())
        return n

    def drop(self, collection: str) -> None:
        self._collections.pop(collection, None)
        try:
            self._call(lambda: self._client.delete_collection(_PREFIX + collection))
        except StoreError:
            raise  # a server that refuses or does not answer: nothing was dropped
        except Exception:  # absent already
            pass
