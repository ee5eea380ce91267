"""The same store on PostgreSQL: the migrations run there from empty and match the
models, the paths work, nothing personal is in clear in its tables, threads and
processes appending to the audit trail at once keep it gapless and verifiable, and an
appliance on SQLite moves there with ``appliance db migrate-to``. Uses the machine's
PostgreSQL over its unix socket (which works with the network closed); skipped where
there is none. The store-level modules (``pytest.mark.store``) run on it as well."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, update

from appliance.caller import Caller
from appliance.store.schema import AuditRecord
from tests.conftest import database_text, fresh_pg_database, make_app, run_cli
from tests.test_at_rest import PEOPLE, write_records


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_pg_database() as url:
        yield url


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
    cells = database_text(pg_url).lower()
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


def _schema_drift(url: str) -> list[object]:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from appliance.store.schema import Base

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))
    finally:
        engine.dispose()


def test_the_migrations_run_on_postgresql_from_empty_down_and_up_again(pg_url: str) -> None:
    """Up from empty, the schema the models describe; down as far as a downgrade may go
    (0002, encryption at rest, refuses to be undone) and up again, the same schema."""
    from alembic import command

    from appliance.errors import StoreError
    from appliance.store.database import alembic_config, current_revision, make_engine, migrate

    engine = make_engine(pg_url)
    try:
        migrate(engine)
        head = current_revision(engine)
        assert head is not None
        assert _schema_drift(pg_url) == []
        command.downgrade(alembic_config(engine), "0002")
        assert current_revision(engine) == "0002"
        assert "users" not in inspect(engine).get_table_names()
        with pytest.raises(StoreError, match="cannot be undone"):
            command.downgrade(alembic_config(engine), "base")
        migrate(engine)
        assert current_revision(engine) == head
        assert _schema_drift(pg_url) == []
    finally:
        engine.dispose()


def _sqlite_appliance(data: Path, records: Path, embedder, engine):  # type: ignore[no-untyped-def]
    """An appliance on SQLite with documents, accounts, a conversation and a trail."""
    from appliance.accounts import Accounts

    app = make_app(data, embedder, engine, audit_checkpoint_every=20)
    who = Caller.local()
    app.create_collection("records", "default")
    assert all(r.ok for r in app.ingest(write_records(records), "records"))
    accounts = Accounts(app.db, app.audit, app.settings)
    accounts.create_user("ada", "admin", who, password="first-of-the-admins-pw")
    accounts.create_user("sam", "staff", who, password="a-clerk-in-claims-pw")
    accounts.grant("records", who, user="sam")
    sam = accounts.get("sam")
    conv = app.conversations.start(sam.id, "records", f"Refunds for {PEOPLE[0]['name']}?")
    app.conversations.add(conv, sam.id, "user", {"text": f"Refunds for {PEOPLE[0]['name']}?"})
    app.retrieve(f"Where are refunds for {PEOPLE[0]['name']} paid?", "records")
    return app, conv


def test_a_sqlite_appliance_moves_to_postgresql_and_works_there(
    pg_url: str, tmp_path: Path, embedder, engine
) -> None:
    from appliance.accounts import Accounts
    from appliance.errors import NotAllowed, StoreError

    data = tmp_path / "data"
    app, conv = _sqlite_appliance(data, tmp_path / "records", embedder, engine)
    try:
        with pytest.raises(NotAllowed):
            app.migrate_database_to(pg_url, Caller("sam", "staff"))
        before = [r["seq"] for r in app.audit.records()]
        move = app.migrate_database_to(pg_url)
        assert move.trail.ok and move.trail.records == len(before) + 1 and move.trail.checkpoints
        counts = {t.name: t.rows for t in move.copy.tables}
        assert counts["documents"] == 2 and counts["users"] == 2 and counts["conversations"] == 1
        assert counts["chunks"] > 0 and counts["data_keys"] > 0 and counts["messages"] == 1
        # A finished copy is never overwritten, --replace or not.
        for replace in (False, True):
            with pytest.raises(StoreError, match="not empty"):
                app.migrate_database_to(pg_url, replace=replace)
        # The source is untouched but for its own record of the move (and the refusals).
        after = list(app.audit.records())
        assert [r["seq"] for r in after][: len(before)] == before
        assert [r["action"] for r in after[len(before) :]] == ["database.migrate"] * 3
        assert [r["outcome"] for r in after[len(before) :]] == ["success", "failure", "failure"]
    finally:
        app.close()

    moved = make_app(data, embedder, engine, database_url=pg_url)
    try:
        assert moved.db.engine.dialect.name == "postgresql"
        assert len(moved.documents("records")) == 2
        hits = moved.retrieve(f"Where are refunds for {PEOPLE[0]['name']} paid?", "records")
        assert hits and "<PERSON_" in hits[0].text
        revealed = moved.retrieve(
            f"Where are refunds for {PEOPLE[0]['name']} paid?",
            "records",
            who=Caller("olga", "compliance_officer"),
            reveal=True,
        )
        assert any(PEOPLE[0]["iban"] in h.text for h in revealed)
        accounts = Accounts(moved.db, moved.audit, moved.settings)
        sam = accounts.authenticate("sam", "a-clerk-in-claims-pw", "127.0.0.1")
        _info, messages = moved.conversations.messages(conv, sam.id)
        assert messages[0]["text"] == f"Refunds for {PEOPLE[0]['name']}?"
        # New rows take fresh ids after the copied ones (sequences were reset).
        accounts.create_user("lee", "staff", Caller.local(), password="another-clerk-pw-here")
        moved.conversations.start(sam.id, "records", "A second question")
        report = moved.audit.verify()
        assert report.ok, report.problems
        seqs = [r["seq"] for r in moved.audit.records()]
        assert seqs == list(range(1, len(seqs) + 1))
        migrate_records = [r for r in moved.audit.records() if r["action"] == "database.migrate"]
        assert len(migrate_records) == 1 and "***" not in migrate_records[0]["resource"]
    finally:
        moved.close()
    cells = database_text(pg_url).lower()
    for person in PEOPLE:
        for value in (person["name"], person["email"], person["iban"], person["address"]):
            assert value.lower() not in cells, value


def test_an_interrupted_move_leaves_the_source_as_it_was_and_is_recognised(
    pg_url: str, tmp_path: Path, embedder, engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from appliance.store import transfer

    data = tmp_path / "data"
    app, _conv = _sqlite_appliance(data, tmp_path / "records", embedder, engine)
    app.close()
    source_file = data / "appliance.db"
    real_copy = transfer._copy_table
    copied: list[str] = []

    def killed_half_way(src, dst, table, batch_rows):  # type: ignore[no-untyped-def]
        if len(copied) == 5:
            raise KeyboardInterrupt  # as a Ctrl-C or a kill would stop it
        copied.append(table.name)
        return real_copy(src, dst, table, batch_rows)

    digest_before = _row_digests(source_file)
    monkeypatch.setattr(transfer, "_copy_table", killed_half_way)
    app = make_app(data, embedder, engine)
    try:
        with pytest.raises(KeyboardInterrupt):
            app.migrate_database_to(pg_url)
    finally:
        app.close()
    monkeypatch.setattr(transfer, "_copy_table", real_copy)
    assert _row_digests(source_file) == digest_before
    assert set(inspect(create_engine(pg_url)).get_table_names()) == {transfer.MARKER_TABLE}

    # Through the command an administrator runs: refused, then replaced.
    proc = run_cli("db", "migrate-to", pg_url, data_dir=data)
    assert proc.returncode == 8 and "did not finish" in proc.stderr and "--replace" in proc.stderr
    proc = run_cli("db", "migrate-to", pg_url, "--replace", "--json", data_dir=data)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["audit"]["ok"] and out["tables"]["documents"] == 2
    assert transfer.MARKER_TABLE not in inspect(create_engine(pg_url)).get_table_names()
    # Opening the source again changes nothing in its rows but the trail's own records.
    app = make_app(data, embedder, engine)
    try:
        assert len(app.documents("records")) == 2 and app.audit.verify().ok
    finally:
        app.close()


def _row_digests(db_file: Path) -> dict[str, tuple[int, str]]:
    """Each table's rows and digest (the signed checkpoints aside: closing signs the tail)."""
    from appliance.store import transfer
    from appliance.store.schema import Base

    engine = create_engine(f"sqlite:///{db_file}")
    try:
        with engine.connect() as conn:
            return {
                t.name: transfer._digest(conn, t)
                for t in Base.metadata.sorted_tables
                if t.name != "audit_checkpoints"
            }
    finally:
        engine.dispose()
