"""Nothing leaves the machine, and Chroma never holds document text."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests import conftest


def test_the_egress_guard_blocks_and_records() -> None:
    before = len(conftest._EGRESS_ATTEMPTS)
    with pytest.raises(OSError), socket.socket() as sock:
        sock.settimeout(1)
        sock.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed
    with pytest.raises(OSError):
        socket.getaddrinfo("example.org", 443)
    attempts = conftest._EGRESS_ATTEMPTS[before:]
    del conftest._EGRESS_ATTEMPTS[before:]  # expected here; do not fail this test
    assert len(attempts) == 2


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass


def test_chroma_holds_vectors_not_text(app, tmp_path: Path) -> None:
    marker = "Zanzibarquux"
    doc = tmp_path / "memo.txt"
    doc.write_text(f"The project codename is {marker} and the budget is fixed.")
    assert app.ingest([doc])[0].ok
    for path in app.settings.chroma_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert marker.encode() not in data, path
            assert marker.encode("utf-16-le") not in data, path
