"""A data-protection officer answers access and erasure requests, applies retention,
and prints the record of processing."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from appliance.backup import create_backup, restore_backup
from appliance.gdpr import erase_subject, export_subject, record_of_processing, sweep
from appliance.rag.privacy import Caller
from appliance.store.schema import Document, Identifier
from tests.conftest import make_app, run_cli
from tests.test_at_rest import PEOPLE, _record, _values, scan_for_values, write_records

DPO = Caller("dpo", "compliance_officer")
WILHELMINA = PEOPLE[0]["name"]


@pytest.fixture
def registry(tmp_path: Path, embedder, engine):  # type: ignore[no-untyped-def]
    """Two records about one person each, and a meeting note about both."""
    app = make_app(tmp_path / "data", embedder, engine)
    folder = tmp_path / "records"
    write_records(folder)
    (folder / "meeting.txt").write_text(
        f"Minutes: {PEOPLE[0]['name']} and {PEOPLE[1]['name']} met the cardiology team on "
        "Tuesday to agree the treatment plan."
    )
    app.library.ensure_collection("wards", "healthcare")
    app.library.update_collection(
        "wards", purpose="Patient care and referrals", data_subjects="patients"
    )
    assert all(r.ok for r in app.ingest([folder], "wards"))
    yield app
    app.close()


def _docs(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {Path(d.source).name: d.id for d in app.library.documents("wards")}


def test_a_subject_access_export_holds_the_persons_data_and_nobody_elses(
    registry, tmp_path: Path
) -> None:
    out = tmp_path / "sar" / "wilhelmina.zip"
    summary = export_subject(registry, [WILHELMINA, PEOPLE[0]["email"]], out, DPO)
    assert summary["documents"] == 2 and oct(out.stat().st_mode & 0o777) == "0o600"
    record = json.loads(zipfile.ZipFile(out).read("subject.json"))
    values = {i["value"] for i in record["identifiers"]}
    assert {WILHELMINA, PEOPLE[0]["email"]} <= values
    files = {d["file"]: d for d in record["documents"]}
    assert set(files) == {"record-0.txt", "meeting.txt"}
    meeting = files["meeting.txt"]["passages"][0]["text"]
    assert WILHELMINA in meeting and PEOPLE[1]["name"] not in meeting and "<PERSON_" in meeting
    assert files["record-0.txt"]["purpose"] == "Patient care and referrals"
    assert "kept until deleted" in files["record-0.txt"]["retention"]
    inside = registry.settings.data_dir / "x.zip"
    with pytest.raises(Exception, match="inside the data directory"):
        export_subject(registry, [WILHELMINA], inside, DPO)


def test_erasure_removes_the_person_even_from_an_old_backup(registry, tmp_path: Path) -> None:
    backup = tmp_path / "backups" / "before.bak"
    create_backup(registry, backup)
    docs = _docs(registry)
    receipt = erase_subject(registry, [WILHELMINA, PEOPLE[0]["email"], PEOPLE[0]["iban"]], DPO)
    assert receipt.documents_deleted == [docs["record-0.txt"]]
    assert receipt.documents_unlinked == [docs["meeting.txt"]]
    assert receipt.keys_shredded >= 3
    assert WILHELMINA not in json.dumps(receipt.as_json())
    _assert_forgotten(registry, docs)

    # Restore the backup made before the erasure over the live directory.
    settings = registry.settings
    registry.close()
    restore_backup(backup, settings, _key(settings), force=True, embedder=registry._embedder)
    restored = make_app(settings.data_dir, registry._embedder, registry._engine)
    try:
        _assert_forgotten(restored, docs)
        restored.close()
        assert scan_for_values(settings.data_dir, _values()) == []
    finally:
        restored.close()


def _key(settings):  # type: ignore[no-untyped-def]
    from appliance.crypto import resolve_key_source

    return resolve_key_source(settings.key_file, settings.data_dir)


def _assert_forgotten(app, docs: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    assert app.privacy.find_identifiers([WILHELMINA, PEOPLE[0]["email"]]) == []
    assert not app.library.has_document(docs["record-0.txt"])
    hits = app.retrieve("Where does Wilhelmina live?", "wards", who=DPO, reveal=True)
    assert all(WILHELMINA not in h.text and "Larkspur" not in h.text for h in hits)
    meeting = [
        h
        for h in app.retrieve("cardiology treatment plan meeting", "wards", who=DPO, reveal=True)
        if h.document_id == docs["meeting.txt"]
    ]
    assert meeting and PEOPLE[1]["name"] in meeting[0].text  # the other person is intact
    assert WILHELMINA not in meeting[0].text and "[PERSON]" in meeting[0].text
    with pytest.raises(Exception, match="missing"):
        b"".join(app.vault.read_original(1, docs["meeting.txt"]))


def test_erasure_covers_the_shorter_mentions_of_a_name(tmp_path: Path, embedder, engine) -> None:
    app = make_app(tmp_path / "data", embedder, engine)
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "alone.txt").write_text(
        f"Patient {WILHELMINA} was admitted. Later Ms Quatermass-Oyelaran asked for her notes."
    )
    (folder / "shared.txt").write_text(
        f"Dr Quatermass-Oyelaran met patient {PEOPLE[1]['name']} about the results."
    )
    assert all(r.ok for r in app.ingest([folder]))
    docs = {Path(d.source).name: d.id for d in app.library.documents("default")}
    receipt = erase_subject(app, [WILHELMINA, "Quatermass-Oyelaran"], DPO)
    assert receipt.documents_deleted == [docs["alone.txt"]]
    assert receipt.documents_unlinked == [docs["shared.txt"]]
    hits = app.retrieve("Who met the patient about the results?", who=DPO, reveal=True)
    shared = [h for h in hits if h.document_id == docs["shared.txt"]]
    assert shared and "Quatermass" not in shared[0].text and "[PERSON]" in shared[0].text
    assert PEOPLE[1]["name"] in shared[0].text
    assert app.privacy.find_identifiers(["Quatermass-Oyelaran", WILHELMINA]) == []
    app.close()


def test_retention_deletes_old_documents_unless_on_legal_hold(registry) -> None:
    registry.library.update_collection("wards", retention_days=30)
    later = datetime.now(UTC) + timedelta(days=31)
    registry.library.update_collection("wards", legal_hold=True)
    held = sweep(registry, DPO, now=later)
    assert held.deleted == [] and held.held == ["wards"]
    registry.library.update_collection("wards", legal_hold=False)
    preview = sweep(registry, DPO, now=later, dry_run=True)
    assert len(preview.deleted) == 3 and len(registry.library.documents("wards")) == 3
    done = sweep(registry, DPO, now=later)
    assert len(done.deleted) == 3 and registry.library.documents("wards") == []
    with registry.db.session() as s:
        assert s.scalars(select(Identifier)).all() == []  # nobody is left in the registry
        assert s.scalars(select(Document)).all() == []


def test_record_of_processing_comes_from_the_live_configuration(registry) -> None:
    record = record_of_processing(registry)
    (wards,) = record["processing_activities"]
    assert wards["purpose"] == "Patient care and referrals" and wards["data_subjects"] == "patients"
    assert {"PERSON", "IBAN_CODE", "UK_NHS", "EMAIL_ADDRESS"} <= set(
        wards["personal_data_categories"]
    )
    assert wards["privacy_policy"]["name"] == "healthcare"
    assert any("AES-256-GCM" in m for m in record["security_measures"])


def test_gdpr_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "record-0.txt").write_text(_record(PEOPLE[0]))
    assert run_cli("ingest", str(folder), data_dir=data).returncode == 0
    proc = run_cli(
        "collections",
        "set",
        "default",
        "--purpose",
        "Customer service",
        "--retention-days",
        "365",
        data_dir=data,
    )
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "sar.zip"
    proc = run_cli(
        "gdpr", "export", "--subject", PEOPLE[0]["email"], "--out", str(out), data_dir=data
    )
    assert proc.returncode == 0 and "1 documents" in proc.stdout, proc.stderr
    proc = run_cli("gdpr", "erase", "--subject", WILHELMINA, data_dir=data, stdin="n\n")
    assert proc.returncode == 1 and "Aborted" in proc.stderr
    proc = run_cli("gdpr", "erase", "--subject", WILHELMINA, "--yes", data_dir=data)
    receipt = json.loads(proc.stdout)
    assert proc.returncode == 0 and len(receipt["documents_deleted"]) == 1
    proc = run_cli("gdpr", "ropa", data_dir=data)
    assert "Customer service" in proc.stdout and "deleted 365 days after" in proc.stdout
    proc = run_cli("gdpr", "sweep", "--dry-run", data_dir=data)
    assert json.loads(proc.stdout)["deleted"] == []
