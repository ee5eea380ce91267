"""Shared fixtures: the real default models, loaded once per test session.

Every test runs behind a socket guard that records any attempt to reach a
non-loopback address (and any DNS lookup of a non-local name); a test that
triggers one fails. `make test` additionally runs the suite in a network
namespace with only loopback up.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
os.environ.setdefault("APPLIANCE_MODEL_DIR", str(REPO / ".models"))
# Nothing in a test may fall back to the user's real data directory.
os.environ.pop("APPLIANCE_DATA_DIR", None)
os.environ.pop("APPLIANCE_PASSPHRASE", None)
# The suite answers in-process (the default "auto" would have every `appliance serve`
# it starts supervise a llama-server child); the tests of the llama-server backends
# and of "auto" itself (tests/test_llama_server.py, test_scaleout.py) choose theirs.
os.environ.setdefault("APPLIANCE_INFERENCE_BACKEND", "in-process")


def _session_key_file() -> Path:
    """One key file for the run, outside every data directory (tests and the CLI
    subprocesses they start unlock with it, as a container would)."""
    import tempfile

    from appliance.crypto import create_key_file

    folder = Path(tempfile.mkdtemp(prefix="appliance-test-keys-"))
    return create_key_file(folder / "kek.key")


os.environ["APPLIANCE_KEY_FILE"] = str(_session_key_file())

_EGRESS_ATTEMPTS: list[str] = []
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "", None}


def _is_loopback(host: object) -> bool:
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _install_guard() -> None:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket, address: object) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0] if isinstance(address, tuple) else address
            if not _is_loopback(host):
                _EGRESS_ATTEMPTS.append(f"connect to {address}")
                raise OSError(f"test guard: connection to {address} blocked (egress)")

    def connect(self: socket.socket, address: object) -> None:
        check(self, address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        check(self, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        name = host.decode() if isinstance(host, bytes) else host
        if not _is_loopback(name) and not _is_ip(name):
            _EGRESS_ATTEMPTS.append(f"DNS lookup of {name}")
            raise socket.gaierror(f"test guard: DNS lookup of {name} blocked (egress)")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]


def _is_ip(name: object) -> bool:
    try:
        ipaddress.ip_address(str(name))
        return True
    except ValueError:
        return False


_install_guard()


@pytest.fixture(autouse=True)
def no_egress():
    """Fail the test if anything it ran tried to leave the machine."""
    before = len(_EGRESS_ATTEMPTS)
    yield
    attempts = _EGRESS_ATTEMPTS[before:]
    assert not attempts, f"egress attempted: {attempts}"


# -- store backends ---------------------------------------------------------------
# The store-level test modules (``pytestmark = pytest.mark.store``) run once per
# backend: SQLite in the data directory, and a fresh PostgreSQL database per test on the
# machine's server (its unix socket works with the network closed). APPLIANCE_TEST_DB
# picks: "both" (the default), "sqlite" or "postgresql"; APPLIANCE_TEST_PG_REQUIRED=1
# (set by .ci/run) fails instead of skipping when no server answers.
PG_SOCKET = os.environ.get("APPLIANCE_TEST_PG_HOST", "/var/run/postgresql")
PG_ADMIN_URL = f"postgresql+psycopg://postgres@/test?host={PG_SOCKET}"


def store_backends() -> list[str]:
    chosen = os.environ.get("APPLIANCE_TEST_DB", "both").lower()
    if chosen not in ("both", "sqlite", "postgresql"):
        raise pytest.UsageError(f"APPLIANCE_TEST_DB={chosen!r}: both, sqlite or postgresql")
    return ["sqlite", "postgresql"] if chosen == "both" else [chosen]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "store: store-level tests, run on SQLite and on PostgreSQL (APPLIANCE_TEST_DB)"
    )
    config.addinivalue_line(
        "markers",
        "one_backend: a store test that runs once (about SQLite itself, e.g. backups of its "
        "file, or one that names its PostgreSQL database itself)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("store") is None:
        return
    # A one_backend test takes the SQLite run's parameter, so it shares that run's
    # module-scoped fixtures instead of building its own.
    once = metafunc.definition.get_closest_marker("one_backend") is not None
    backends = ["sqlite"] if once else store_backends()
    metafunc.parametrize("store_backend", backends, indirect=True, scope="module")


@pytest.fixture(scope="module", autouse=True)
def store_backend(request: pytest.FixtureRequest) -> str:
    """The relational store this test runs on: "sqlite" (unmarked tests) or
    "postgresql" (a ``store`` test's second run)."""
    return str(getattr(request, "param", "sqlite"))


@contextlib.contextmanager
def fresh_pg_database():  # type: ignore[no-untyped-def]
    """A new, empty PostgreSQL database on the machine's server, dropped afterwards;
    yields its URL (the test is skipped, or fails under APPLIANCE_TEST_PG_REQUIRED, when
    no server answers)."""
    import uuid

    pytest.importorskip("psycopg")
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # no server here
        admin.dispose()
        if os.environ.get("APPLIANCE_TEST_PG_REQUIRED"):
            pytest.fail(f"no PostgreSQL at {PG_SOCKET}: {exc}")
        pytest.skip(f"no PostgreSQL at {PG_SOCKET}: {exc}")
    name = f"appliance_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@/{name}?host={PG_SOCKET}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


@contextlib.contextmanager
def store_database(backend: str):  # type: ignore[no-untyped-def]
    """The ``database_url`` for an appliance on ``backend``: None (SQLite in its data
    directory) or a fresh PostgreSQL database's URL."""
    if backend != "postgresql":
        yield None
        return
    with fresh_pg_database() as url:
        yield url


@pytest.fixture(autouse=True)
def _store_database(store_backend: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """On PostgreSQL, every appliance the test opens (make_app, the CLI and servers it
    starts, which inherit the environment) uses one fresh database."""
    with store_database(store_backend) as url:
        if url is not None:
            monkeypatch.setenv("APPLIANCE_DATABASE_URL", url)
        yield url


def database_text(url: str) -> str:
    """Every value of every table of a server database, as text (bytes decoded
    leniently): what someone reading its tables or dumps would see."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    out = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'select * from "{table}"')):
                for cell in row:
                    if isinstance(cell, bytes | memoryview):
                        out.append(bytes(cell).decode("utf-8", "replace"))
                    else:
                        out.append(str(cell))
    engine.dispose()
    return "\n".join(out)


@contextlib.contextmanager
def _on_sqlite():  # type: ignore[no-untyped-def]
    """Open a shared (session-scoped) appliance on SQLite, whichever test opens it first."""
    saved = os.environ.pop("APPLIANCE_DATABASE_URL", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["APPLIANCE_DATABASE_URL"] = saved


@pytest.fixture(scope="session")
def model_dir() -> Path:
    from appliance.models import verify_models

    path = Path(os.environ["APPLIANCE_MODEL_DIR"])
    bad = [s for s in verify_models(path, full=False) if not s.ok]
    if bad:
        pytest.exit(
            f"default models missing in {path}: run `make models` first "
            f"({bad[0].path}: {bad[0].state})",
            returncode=3,
        )
    return path


@pytest.fixture(scope="session")
def embedder(model_dir: Path):
    from appliance.embeddings import OnnxEmbedder

    return OnnxEmbedder(model_dir)


@pytest.fixture(scope="session")
def engine(model_dir: Path):
    from appliance.llm import LlamaEngine
    from appliance.llm.engine import EngineOptions
    from appliance.models import DEFAULT_MODELS

    chat = next(m for m in DEFAULT_MODELS if m.role == "chat")
    return LlamaEngine(model_dir / chat.filename, EngineOptions(n_ctx=4096))


def make_app(data_dir: Path, embedder, engine, **overrides):  # type: ignore[no-untyped-def]
    from appliance.config import load_settings
    from appliance.service import Appliance

    settings = load_settings(data_dir, **overrides)
    return Appliance(settings, embedder=embedder, engine=engine).open()


@pytest.fixture
def app(tmp_path: Path, embedder, engine):
    appliance = make_app(tmp_path / "data", embedder, engine)
    yield appliance
    appliance.close()


@pytest.fixture(scope="session")
def sample_app(tmp_path_factory: pytest.TempPathFactory, embedder, engine):
    """One data directory with every sample ingested, shared by read-only tests."""
    with _on_sqlite():
        appliance = make_app(tmp_path_factory.mktemp("samples") / "data", embedder, engine)
    results = appliance.ingest([SAMPLES])
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    yield appliance
    appliance.close()


def run_cli(
    *args: str,
    data_dir: Path,
    stdin: str | None = None,
    env: dict | None = None,
    timeout: int = 300,
    unset: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run the real `appliance` command in a subprocess (``unset``: env vars to drop)."""
    full_env = {k: v for k, v in os.environ.items() if k not in unset}
    full_env.update({"APPLIANCE_DATA_DIR": str(data_dir), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "appliance.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )


def run_in_group(
    args: list[str], *, timeout: float, leaves_nothing: bool = False, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """``subprocess.run`` in a process group of its own: when it ends, times out or the
    test is interrupted, the group (background children included, e.g. a server an
    installer started) is killed, so no process outlives the call.

    ``leaves_nothing``: a command that ended by itself must have stopped what it started
    (its group empties within 15 s); AssertionError naming what it left running, which
    is killed all the same."""
    import signal

    proc = subprocess.Popen(
        args,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[call-overload]
    )
    left: list[str] = []
    try:
        out, err = proc.communicate(timeout=timeout)
        if leaves_nothing:
            left = _wait_for_group_to_die(proc.pid, seconds=15.0)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.returncode is None:
            proc.wait()
        _wait_for_group_to_die(proc.pid)
    assert not left, f"{args[0]} ended and left running: {left}"
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def _wait_for_group_to_die(pgid: int, *, seconds: float = 10.0) -> list[str]:
    """SIGKILL is delivered asynchronously: a background child of the group may still
    be listed as running for a moment after ``killpg`` returns. Wait (at most
    ``seconds``) until every member is gone or a zombie awaiting its new parent; the
    command lines of those still running then."""
    import time

    import psutil

    deadline = time.monotonic() + seconds
    while True:
        alive = []
        for p in psutil.process_iter(["pid", "status", "cmdline"]):
            try:
                if os.getpgid(p.pid) == pgid and p.info["status"] != psutil.STATUS_ZOMBIE:
                    alive.append(f"{p.pid}: {' '.join(p.info['cmdline'] or [])[:200]}")
            except (ProcessLookupError, psutil.NoSuchProcess, PermissionError):
                continue
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.05)


def reap_processes(marker: str) -> list[str]:
    """Kill every process of this user whose command line mentions ``marker`` (a test's
    own temporary path) and return what they were: what a test left running."""
    import psutil

    found = []
    for p in psutil.process_iter(["pid", "cmdline", "uids"]):
        try:
            if p.pid == os.getpid() or p.info["uids"].real != os.getuid():
                continue
            cmd = " ".join(p.info["cmdline"] or [])
            if marker in cmd and p.status() != psutil.STATUS_ZOMBIE:
                found.append(f"{p.pid}: {cmd[:200]}")
                p.kill()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


@pytest.fixture
def no_leftover_processes(tmp_path: Path):
    """Fails a test that leaves a process running from its temporary folder (a
    server it started), after killing it, also when the test itself failed."""
    yield
    left = reap_processes(str(tmp_path))
    assert not left, f"the test left processes running: {left}"
