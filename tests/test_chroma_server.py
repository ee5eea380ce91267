"""Vectors on a Chroma server (`chroma run` from the pinned chromadb) behave as the
embedded store does: collections, access metadata, answers, deletion, and no text.

The server is started by the test on loopback and stopped at the end.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.caller import Caller
from tests.conftest import SAMPLES, make_app

CHROMA = Path(sys.executable).parent / "chroma"
# Importing chromadb's CLI takes 10-40 s on a loaded 2-core machine.
START_SECONDS = 240


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
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
        yield port, folder / "db"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_documents_answers_and_deletion_on_a_chroma_server(
    chroma_server: tuple[int, Path], tmp_path: Path, embedder, engine
) -> None:  # type: ignore[no-untyped-def]
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    port, server_dir = chroma_server
    app = make_app(tmp_path / "data", embedder, engine, chroma_host="127.0.0.1", chroma_port=port)
    try:
        admin = Caller("root", "admin")
        files = [
            SAMPLES / "northbridge-bank-record-retention-policy.pdf",
            SAMPLES / "it-acceptable-use.txt",
        ]
        results = app.ingest(files, "policies", who=admin)
        assert results and all(r.ok for r in results), [r.error for r in results if not r.ok]
        # Nothing was written to an embedded store in the data directory.
        assert not app.settings.chroma_path.exists()

        client = chromadb.HttpClient(
            host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False)
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
        raw = b"".join(p.read_bytes() for p in server_dir.rglob("*") if p.is_file())
        assert b"CCTV" not in raw and b"footage" not in raw

        # Deleting a document removes its vectors from the server.
        victim = next(r for r in results if r.chunks)
        app.delete_document(victim.document_id, who=admin)
        assert stored.count() == chunks - victim.chunks
        left = stored.get(where={"document_id": str(victim.document_id)})
        assert left["ids"] == []
    finally:
        app.close()
