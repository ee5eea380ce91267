"""The same store on PostgreSQL: the paths work, nothing personal is in clear in its
tables, and threads and processes appending to the audit trail at once keep it
gapless and verifiable. Uses the machine's PostgreSQL over its unix socket (which
works with the network closed); skipped where there is none."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text, update

from appliance.caller import Caller
from appliance.store.schema import AuditRecord
from tests.conftest import make_app, run_cli
from tests.test_at_rest import PEOPLE, write_records

SOCKET = os.environ.get("APPLIANCE_TEST_PG_HOST", "/var/run/postgresql")
ADMIN_URL = f"postgresql+psycopg://postgres@/test?host={SOCKET}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    pytest.importorskip("psycopg")
    try:
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # no server here
        pytest.skip(f"no PostgreSQL at {SOCKET}: {exc}")
    name = f"appliance_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@/{name}?host={SOCKET}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


def _all_cells(url: str) -> str:
    """Every value of every table, as text (bytes decoded leniently)."""
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


def test_the_appliance_runs_on_postgresql_with_nothing_personal_in_clear(
    pg_url: str, tmp_path: Path, embedder, engine
) -> None:
    app = make_app(tmp_path / "data", embedder, engine, database_url=pg_url)
    try:
        results = app.ingest(write_records(tmp_path / "records"))
        assert all(r.ok for r in results)
        hits = app.retrieve(f"Where are refunds for {PEOPLE[0]['name']} paid?")
        assert hits and "<PERSON_" in hits[0].text
        revealed = app.retrieve(
            f"Where are refunds for {PEOPLE[0]['name']} paid?",
            who=Caller("olga", "compliance_officer"),
            reveal=True,
        )
        assert any(PEOPLE[0]["iban"] in h.text for h in revealed)
        assert app.audit.verify().ok
    finally:
        app.close()
    cells = _all_cells(pg_url).lower()
    for person in PEOPLE:
        for value in (person["name"], person["email"], person["iban"], person["address"]):
            assert value.lower() not in cells, value


def test_threads_and_processes_append_at_once_without_gaps(
    pg_url: str, tmp_path: Path, embedder, engine
) -> None:
    data = tmp_path / "data"
    app = make_app(data, embedder, engine, database_url=pg_url, audit_checkpoint_every=25)
    script = (
        "import sys\n"
        "from appliance.config import load_settings\n"
        "from appliance.service import Appliance\n"
        "s = load_settings(sys.argv[1], database_url=sys.argv[3], audit_checkpoint_every=25)\n"
        "app = Appliance(s).open()\n"
        "for i in range(60):\n"
        "    app.audit.append('question.ask', sys.argv[2], 'staff', i=i)\n"
        "app.close()\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(data), f"process{n}", pg_url], env=os.environ.copy()
        )
        for n in range(3)
    ]

    def worker(n: int) -> None:
        for i in range(50):
            app.audit.append("question.retrieve", f"thread{n}", "staff", i=i)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [p.wait(timeout=180) for p in procs] == [0, 0, 0]
    try:
        seqs = [r["seq"] for r in app.audit.records()]
        assert seqs == list(range(1, 3 * 60 + 4 * 50 + 1))
        report = app.audit.verify()
        assert report.ok and report.checkpoints >= 10
        # Tampering is caught on PostgreSQL as on SQLite, by the command an officer runs.
        with app.db.session() as s:
            s.execute(update(AuditRecord).where(AuditRecord.seq == 77).values(role="admin"))
            assert s.scalar(select(AuditRecord.role).where(AuditRecord.seq == 77)) == "admin"
    finally:
        app.close()
    proc = run_cli(
        "audit", "verify", "--json", data_dir=data, env={"APPLIANCE_DATABASE_URL": pg_url}
    )
    report = json.loads(proc.stdout)
    assert proc.returncode == 1 and report["first_bad_seq"] == 77, proc.stderr
