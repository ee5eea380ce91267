"""The audit trail of real use (ingestion, questions, sign-ins, account changes, a
subject-access export...) a few hundred records long: every kind of tampering is
caught by `verify`, at the right sequence number."""

from __future__ import annotations

import contextlib
import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from appliance.accounts import Accounts
from appliance.audit.chain import record_hash, verify_chain
from appliance.caller import Caller
from appliance.errors import SignInFailed
from appliance.gdpr import export_subject
from appliance.store.schema import AuditRecord
from tests.conftest import SAMPLES, make_app, run_cli, store_database
from tests.test_at_rest import PEOPLE, write_records

pytestmark = pytest.mark.store

QUESTIONS = [
    "How long must customer transaction records be kept?",
    "Who may access patient records?",
    "How do I make a freedom of information request?",
    "What is pseudonymisation?",
    "May I install software on my work laptop?",
    f"Where are refunds for {PEOPLE[0]['name']} paid?",
]


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory, embedder, engine, store_backend: str):  # type: ignore[no-untyped-def]
    with store_database(store_backend) as url:
        yield from _real_trail(tmp_path_factory, embedder, engine, url)


def _real_trail(tmp_path_factory, embedder, engine, url):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("real-trail")
    app = make_app(root / "data", embedder, engine, audit_checkpoint_every=40, database_url=url)
    who = Caller.local()
    app.ingest([SAMPLES])
    app.create_collection("records", "default")
    app.ingest(write_records(root / "records"), "records")
    accounts = Accounts(app.db, app.audit, app.settings)
    names = [f"clerk{i}" for i in range(6)]
    for name in names:
        accounts.create_user(name, "staff", who, password=f"{name[::-1]}-long-secret-words")
        accounts.grant("default", who, user=name)
    accounts.create_group("ward-7", who)
    accounts.set_membership("ward-7", names[0], True, who)
    accounts.grant("records", who, group="ward-7")
    for i in range(48):
        name = names[i % len(names)]
        password = f"{name[::-1]}-long-secret-words" if i % 4 else "a-wrong-password-here"
        with contextlib.suppress(SignInFailed):
            accounts.authenticate(name, password, f"10.0.0.{i % 5}")
    for i in range(240):
        name = names[i % len(names)]
        access = accounts.session(accounts.open_session(accounts.get(name))[0]).access
        collection = "records" if i % 6 == 5 and "records" in access else "default"
        asker = Caller(name, "staff", f"10.0.0.{i % 5}", access)
        app.retrieve(QUESTIONS[i % len(QUESTIONS)], collection, who=asker)
    export_subject(
        app, [PEOPLE[1]["email"]], root / "sar.zip", Caller("olga", "compliance_officer")
    )
    app.audit.verify_as(Caller("olga", "compliance_officer"))
    app.audit.checkpoint()
    records = list(app.audit.records())
    checkpoints = app.audit.checkpoints()
    public = app.audit.public_key()[0]
    assert len(records) >= 300 and len(checkpoints) >= 7
    assert len({r["action"] for r in records}) >= 10
    assert verify_chain(records, checkpoints, public).ok
    yield app, records, checkpoints, public
    app.close()


def _first(records: list[dict[str, Any]], checkpoints: list[dict[str, Any]], public: bytes):  # type: ignore[no-untyped-def]
    report = verify_chain(records, checkpoints, public)
    assert not report.ok
    return report.problems[0]


POSITIONS = [2, 57, 150, -3]  # early, inside, a checkpoint's neighbourhood, in the tail


@pytest.mark.parametrize("at", POSITIONS)
def test_an_edited_field_is_named(real, at: int) -> None:
    _, records, checkpoints, public = real
    records = copy.deepcopy(records)
    target = records[at]
    target["detail"] = {**target["detail"], "note": "edited by hand"}
    problem = _first(records, checkpoints, public)
    assert (problem.seq, problem.what.split(" ")[0]) == (target["seq"], "modified")


@pytest.mark.parametrize("at", POSITIONS)
def test_a_deleted_record_is_named(real, at: int) -> None:
    _, records, checkpoints, public = real
    records = copy.deepcopy(records)
    gone = records.pop(at)
    problem = _first(records, checkpoints, public)
    assert (problem.seq, problem.what.split(" ")[0]) == (gone["seq"], "missing")


@pytest.mark.parametrize("at", POSITIONS)
def test_an_inserted_record_is_named(real, at: int) -> None:
    """A forged record, consistent with the one before it, put in place; the records
    after it renumbered to make room."""
    _, records, checkpoints, public = real
    records = copy.deepcopy(records)
    at = at % len(records)
    seq = records[at]["seq"]
    forged = {
        **records[at],
        "event_id": "f" * 32,
        "actor": "mallory",
        "action": "auth.signin",
        "prev_hash": records[at - 1]["hash"],
    }
    forged["hash"] = record_hash(forged)
    for r in records[at:]:
        r["seq"] += 1
    records.insert(at, forged)
    problem = _first(records, checkpoints, public)
    assert (problem.seq, problem.what.split(" ")[0]) == (seq, "inserted")


@pytest.mark.parametrize("at", POSITIONS)
def test_two_swapped_records_are_named(real, at: int) -> None:
    _, records, checkpoints, public = real
    records = copy.deepcopy(records)
    at = at % (len(records) - 1)
    a, b = records[at], records[at + 1]
    a["seq"], b["seq"] = b["seq"], a["seq"]
    records[at], records[at + 1] = b, a
    problem = _first(records, checkpoints, public)
    assert (problem.seq, problem.what.split(" ")[0]) == (b["seq"], "reordered")


def test_truncation_after_the_last_checkpoint_is_named(real) -> None:
    """Records removed from the end, back past what the last checkpoint signed."""
    _, records, checkpoints, public = real
    last = checkpoints[-1]["seq"]
    cut = [r for r in records if r["seq"] < last - 5]
    problem = _first(cut, checkpoints, public)
    assert problem.seq == last - 5 and problem.what.startswith("truncated")


@pytest.mark.parametrize("which", [0, 3, -1])
def test_a_replaced_checkpoint_signature_is_named(real, which: int) -> None:
    _, records, checkpoints, public = real
    checkpoints = copy.deepcopy(checkpoints)
    other = checkpoints[which - 1]["signature"]
    checkpoints[which]["signature"] = other
    problem = _first(records, checkpoints, public)
    assert problem.seq == checkpoints[which]["seq"] and "bad signature" in problem.what


@pytest.mark.one_backend  # copies the data directory, database file included
def test_audit_verify_on_a_tampered_copy_names_the_record(real, tmp_path: Path) -> None:
    """The same, end to end: the database of a copied data directory edited by hand,
    `appliance audit verify` exits 1 naming the record."""
    app, records, _, _ = real
    app.db.engine.dispose()  # the WAL into the file, so a copy is whole
    data = tmp_path / "data"
    shutil.copytree(app.settings.data_dir, data)
    target = records[120]
    from appliance.store.database import Database

    db = Database(f"sqlite:///{data / 'appliance.db'}")
    with db.session() as s:
        s.execute(
            update(AuditRecord).where(AuditRecord.seq == target["seq"]).values(actor="someone-else")
        )
    db.dispose()
    proc = run_cli("audit", "verify", "--json", data_dir=data)
    report = json.loads(proc.stdout)
    assert proc.returncode == 1 and report["first_bad_seq"] == target["seq"], proc.stderr
