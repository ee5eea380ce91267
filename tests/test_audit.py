"""A compliance officer proves to an auditor that nobody altered or removed a record."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import delete, update

from appliance.audit import verify_bundle, write_bundle, write_csv
from appliance.audit.chain import record_hash
from appliance.caller import Caller
from appliance.store.schema import AuditCheckpoint, AuditRecord
from tests.conftest import make_app, run_cli

pytestmark = pytest.mark.store


@pytest.fixture
def trail(tmp_path: Path, embedder, engine):  # type: ignore[no-untyped-def]
    app = make_app(tmp_path / "data", embedder, engine, audit_checkpoint_every=5)
    for i in range(12):
        app.audit.append("question.ask", f"user{i % 3}", "staff", resource="collection:hr", n=i)
    yield app
    app.close()


def _problem(app) -> str:  # type: ignore[no-untyped-def]
    report = app.audit.verify()
    assert not report.ok
    return str(report.problems[0])


def test_an_untouched_trail_verifies(trail) -> None:
    report = trail.audit.verify()
    assert report.ok and report.records == 12 and report.checkpoints == 2


def test_a_modified_record_is_named(trail) -> None:
    with trail.db.session() as s:
        s.execute(update(AuditRecord).where(AuditRecord.seq == 7).values(actor="someone-else"))
    assert _problem(trail) == "record 7: modified (its hash does not match its content)"


def test_a_removed_record_is_named(trail) -> None:
    with trail.db.session() as s:
        s.execute(delete(AuditRecord).where(AuditRecord.seq == 4))
    assert _problem(trail).startswith("record 4: missing")


def test_a_rewritten_chain_is_caught_by_the_signed_checkpoints(trail) -> None:
    """An administrator edits record 3 and recomputes every hash after it."""
    records = list(trail.audit.records())
    records[2]["actor"] = "nobody"
    prev = "0" * 64
    with trail.db.session() as s:
        for r in records:
            r["prev_hash"] = prev
            r["hash"] = record_hash(r)
            prev = r["hash"]
            s.execute(
                update(AuditRecord)
                .where(AuditRecord.seq == r["seq"])
                .values(actor=r["actor"], prev_hash=r["prev_hash"], hash=r["hash"])
            )
    assert "rewritten" in _problem(trail)


def test_truncation_after_a_checkpoint_and_forged_signatures_are_caught(trail) -> None:
    with trail.db.session() as s:
        s.execute(delete(AuditRecord).where(AuditRecord.seq >= 9))
    assert _problem(trail).startswith("record 9: truncated")
    with trail.db.session() as s:
        s.execute(update(AuditCheckpoint).values(signature="00" * 64))
    assert "bad signature" in _problem(trail)


def test_a_bundle_verifies_offline_and_spreadsheets_are_safe(trail, tmp_path: Path) -> None:
    trail.audit.append("login.failure", '=HYPERLINK("http://x")', "staff", outcome="failure")
    trail.audit.checkpoint()
    bundle = tmp_path / "bundle"
    write_bundle(
        trail.audit.records(), trail.audit.checkpoints(), trail.audit.public_key()[0], bundle
    )
    proc = run_cli(
        "audit",
        "verify",
        "--bundle",
        str(bundle),
        data_dir=tmp_path / "nowhere",
        unset=("APPLIANCE_KEY_FILE",),
    )
    assert proc.returncode == 0 and "intact: 13 records" in proc.stdout, proc.stderr
    lines = (bundle / "records.jsonl").read_text().splitlines()
    record = json.loads(lines[5])
    record["role"] = "admin"
    lines[5] = json.dumps(record)
    (bundle / "records.jsonl").write_text("\n".join(lines) + "\n")
    report = verify_bundle(bundle)
    assert not report.ok and report.problems[0].seq == 6
    proc = run_cli("audit", "verify", "--bundle", str(bundle), data_dir=tmp_path / "nowhere")
    assert proc.returncode == 1 and "record 6: modified" in proc.stdout
    out = tmp_path / "trail.csv"
    write_csv(trail.audit.records(), out)
    rows = list(csv.DictReader(out.open()))
    assert rows[-1]["actor"].startswith("'=HYPERLINK")
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_questions_and_ingestion_are_recorded_without_their_text(app, tmp_path: Path) -> None:
    doc = tmp_path / "cctv.txt"
    doc.write_text("CCTV recordings are kept for 31 days and then overwritten.")
    app.ingest([doc], who=Caller("alice", "staff"))
    app.retrieve("How long are CCTV recordings kept?", who=Caller("bob", "staff"))
    events = list(app.audit.records())
    # The first upload names a collection that does not exist yet: its creation is an
    # act of its own, recorded through the same door as `collections create`.
    assert [e["action"] for e in events] == [
        "collection.create",
        "document.ingest",
        "question.retrieve",
    ]
    assert events[0]["actor"] == "alice" and events[0]["resource"] == "collection:default"
    asked = events[2]
    assert asked["actor"] == "bob" and asked["detail"]["chunks"] and asked["detail"]["policy"]
    assert "CCTV" not in json.dumps(asked)


def test_an_inserted_or_swapped_record_is_named(trail) -> None:
    records = list(trail.audit.records())
    with trail.db.session() as s:  # swap the contents of records 3 and 4
        for a, b in ((records[2], records[3]), (records[3], records[2])):
            s.execute(
                update(AuditRecord)
                .where(AuditRecord.seq == a["seq"])
                .values(actor=b["actor"], detail=json.dumps(b["detail"], sort_keys=True))
            )
    assert _problem(trail).startswith("record 3: modified")


def test_an_inserted_record_is_named(trail) -> None:
    with trail.db.session() as s:  # make room at 5, then forge a consistent record there
        for seq in range(12, 4, -1):
            s.execute(update(AuditRecord).where(AuditRecord.seq == seq).values(seq=seq + 1))
    records = {r["seq"]: r for r in trail.audit.records()}
    forged = {
        **records[6],
        "seq": 5,
        "event_id": "f" * 32,
        "actor": "mallory",
        "prev_hash": records[4]["hash"],
    }
    forged["hash"] = record_hash(forged)
    with trail.db.session() as s:
        s.add(AuditRecord(**{**forged, "detail": json.dumps(forged["detail"])}))
    report = trail.audit.verify()
    assert not report.ok and report.problems[0].seq == 5


def test_concurrent_appenders_keep_the_chain_gapless(trail) -> None:
    import threading

    def worker(n: int) -> None:
        for i in range(40):
            trail.audit.append("question.ask", f"thread{n}", "staff", i=i)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = trail.audit.verify()
    assert report.ok and report.records == 12 + 160
    assert [r["seq"] for r in trail.audit.records()] == list(range(1, 173))


def test_no_personal_value_reaches_the_trail_or_its_exports(
    tmp_path: Path, embedder, engine
) -> None:
    from tests.test_at_rest import PEOPLE, _values, scan_for_values, write_records

    app = make_app(tmp_path / "data", embedder, engine)
    folder = tmp_path / "records"
    write_records(folder)
    app.ingest([folder])
    broken = tmp_path / f"{PEOPLE[0]['name'].replace(' ', '_')}.pdf"
    broken.write_bytes(b"%PDF-1.4 not really")
    assert not app.ingest([broken])[0].ok  # its error message names the file
    app.retrieve(f"Where does {PEOPLE[0]['name']} live?", reveal=True)
    app.retrieve(f"Who holds IBAN {PEOPLE[1]['iban']}?")
    bundle = tmp_path / "bundle"
    app.audit.checkpoint()
    write_bundle(app.audit.records(), app.audit.checkpoints(), app.audit.public_key()[0], bundle)
    write_csv(app.audit.records(), tmp_path / "bundle-csv" / "trail.csv")
    app.close()
    assert scan_for_values(bundle, _values()) == []
    assert scan_for_values(tmp_path / "bundle-csv", _values()) == []
    assert verify_bundle(bundle).ok


@pytest.mark.one_backend  # export formats: the same rows whichever store held them
def test_siem_formats_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert (
        run_cli("collections", "create", "hr", "--policy", "banking", data_dir=data).returncode == 0
    )
    assert run_cli("collections", "set-policy", "hr", "default", data_dir=data).returncode == 0
    for fmt in ("cef", "ocsf", "csv", "jsonl"):
        out = tmp_path / f"trail.{fmt}"
        proc = run_cli(
            "audit",
            "export",
            "--format",
            fmt,
            "--out",
            str(out),
            "--action",
            "policy.change",
            data_dir=data,
        )
        assert proc.returncode == 0, proc.stderr
        assert "1 records written" in proc.stdout
    cef = (tmp_path / "trail.cef").read_text()
    assert cef.startswith("CEF:0|Private AI Appliance|appliance|") and "act=policy.change" in cef
    ocsf = json.loads((tmp_path / "trail.ocsf").read_text())
    assert ocsf["class_uid"] == 6003 and ocsf["unmapped"]["detail"]["before"] == "banking"
    again = run_cli(
        "audit", "export", "--format", "csv", "--out", str(tmp_path / "trail.csv"), data_dir=data
    )
    assert again.returncode == 2 and "already exists" in again.stderr
    exports = run_cli(
        "audit",
        "export",
        "--out",
        str(tmp_path / "e.jsonl"),
        "--action",
        "audit.export",
        data_dir=data,
    )
    assert exports.returncode == 0 and "5 records written" in exports.stdout  # exports are audited


def test_retention_purges_up_to_a_signed_anchor_and_the_rest_still_verifies(trail) -> None:
    from datetime import UTC, datetime, timedelta

    later = datetime.now(UTC) + timedelta(days=400)
    assert trail.audit.purge(365, legal_hold=True, now=later).removed_records == 0
    preview = trail.audit.purge(365, now=later, dry_run=True)
    assert preview.anchor_seq == 10 and preview.removed_records == 10 and trail.audit.count() == 12
    report = trail.audit.purge(365, now=later)
    assert report.removed_records == 10
    seqs = [r["seq"] for r in trail.audit.records()]
    assert seqs[0] == 11 and seqs[-1] == 13  # 11, 12 kept; 13 records the purge itself
    assert trail.audit.verify().ok
    assert trail.audit.purge(365).removed_records == 0  # nothing is old enough today
    with trail.db.session() as s:  # someone removes a kept record at the start
        s.execute(delete(AuditRecord).where(AuditRecord.seq == 11))
    assert not trail.audit.verify().ok


def test_deleting_old_records_by_hand_is_not_a_purge(trail) -> None:
    with trail.db.session() as s:
        s.execute(delete(AuditRecord).where(AuditRecord.seq <= 5))
    assert _problem(trail) == "record 6: records before it are gone without a recorded purge"


def test_audit_retention_cannot_be_set_below_six_months(tmp_path: Path) -> None:
    from appliance.config import load_settings
    from appliance.errors import ConfigError

    with pytest.raises(ConfigError, match="audit_retention_days"):
        load_settings(tmp_path, audit_retention_days=30)


def test_several_processes_append_without_gaps(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    data = tmp_path / "data"
    assert run_cli("init", data_dir=data).returncode == 0
    script = (
        "import sys\n"
        "from appliance.config import load_settings\n"
        "from appliance.service import Appliance\n"
        "app = Appliance(load_settings(sys.argv[1], audit_checkpoint_every=25)).open()\n"
        "for i in range(100):\n"
        "    app.audit.append('question.ask', sys.argv[2], 'staff', i=i)\n"
        "app.close()\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(data), f"p{n}"], env=os.environ.copy())
        for n in range(3)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    proc = run_cli("audit", "verify", "--json", data_dir=data)
    report = json.loads(proc.stdout)
    # 300 appended here, and `init`'s creation of the default collection.
    assert proc.returncode == 0 and report["ok"] and report["records"] == 301
