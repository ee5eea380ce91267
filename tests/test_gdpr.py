"""A data-protection officer answers access and erasure requests, applies retention,
and prints the record of processing."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from appliance.backup import create_backup, restore_backup
from appliance.caller import Caller
from appliance.gdpr import erase_subject, export_subject, record_of_processing, sweep
from appliance.store.schema import Document, Identifier
from tests.conftest import make_app, run_cli
from tests.test_at_rest import PEOPLE, _record, _values, scan_for_values, write_records

pytestmark = pytest.mark.store

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


@pytest.mark.one_backend  # backups are of SQLite appliances (a server's are its own)
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
    assert app.identifiers.find_identifiers([WILHELMINA, PEOPLE[0]["email"]]) == []
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
    assert app.identifiers.find_identifiers(["Quatermass-Oyelaran", WILHELMINA]) == []
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
    # Without --out: a private folder beside the data directory, never the current one.
    proc = run_cli("gdpr", "export", "--subject", PEOPLE[0]["email"], data_dir=data)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "data-exports"
    (default_out,) = folder.glob("subject-access-*.zip")
    assert str(default_out) in proc.stdout and "in clear" in proc.stderr
    assert folder.stat().st_mode & 0o777 == 0o700
    assert default_out.stat().st_mode & 0o777 == 0o600
    # Before asking, the erasure names what it will delete.
    doc_id = json.loads(run_cli("documents", "list", "--json", data_dir=data).stdout)[0]["id"]
    proc = run_cli("gdpr", "erase", "--subject", WILHELMINA, data_dir=data, stdin="n\n")
    assert proc.returncode == 1 and "Aborted" in proc.stderr
    assert "will be DELETED" in proc.stderr and doc_id in proc.stderr
    proc = run_cli("gdpr", "erase", "--subject", WILHELMINA, "--dry-run", data_dir=data)
    assert json.loads(proc.stdout)["delete"][0]["document_id"] == doc_id
    proc = run_cli("gdpr", "erase", "--subject", WILHELMINA, "--yes", data_dir=data)
    receipt = json.loads(proc.stdout)
    assert proc.returncode == 0 and len(receipt["documents_deleted"]) == 1
    proc = run_cli("gdpr", "ropa", data_dir=data)
    assert "Customer service" in proc.stdout and "deleted 365 days after" in proc.stdout
    proc = run_cli("gdpr", "sweep", "--dry-run", data_dir=data)
    assert json.loads(proc.stdout)["deleted"] == []


# -- conversation history, the erasure plan, compliance without grants -------------------

STAFF_PASSWORD = "violet-harbour-crane-82"
OFFICER_PASSWORD = "granite-meadow-lantern-93"


def _hospital_site(app):  # type: ignore[no-untyped-def]
    """The registry behind the web UI: sam (staff, reads wards) and olga, a compliance
    officer with no grant on any collection."""
    from appliance.accounts import Accounts
    from appliance.web import create_app

    accounts = Accounts(app.db, app.audit, app.settings)
    who = Caller.local()
    accounts.create_user("sam", "staff", who, password=STAFF_PASSWORD)
    accounts.create_user("olga", "compliance_officer", who, password=OFFICER_PASSWORD)
    accounts.grant("wards", who, user="sam")
    return create_app(app, maintenance=False)


def _client(web, user: str, password: str):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from tests.webtools import sign_in

    client = TestClient(web, raise_server_exceptions=False)
    assert sign_in(client, user, password).status_code == 303
    return client


def _history_texts(app) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    from appliance.rag.conversations import ConversationStore

    store = ConversationStore(app.db, app.keyring)
    out = {}
    for conv_id in store.all_ids():
        conv = store.read_any(conv_id)
        out[conv_id] = [conv.title, *(m["text"] for m in conv.messages)]
    return out


def test_history_that_mentions_a_person_is_exported_and_erased_with_them(registry) -> None:
    from tests.webtools import ask_stream, page_csrf

    web = _hospital_site(registry)
    sam = _client(web, "sam", STAFF_PASSWORD)
    # The detector once took only the first name here, leaving the surname in the title.
    question = f"What is {WILHELMINA}'s phone number?"
    events = ask_stream(sam, page_csrf(sam), question, "wards")
    conv_id = dict(events)["done"]["conversation_id"]
    # What the detector found is gone from the history, the title included, also where
    # the question repeats it in another form (a possessive).
    history = _history_texts(registry)[conv_id]
    assert not any("Quatermass" in t or "Wilhelmina" in t for t in history), history

    # A compliance officer, without any grant, exports the person: the conversation
    # is in it, with the person's value, and the request is recorded with its authority.
    olga = _client(web, "olga", OFFICER_PASSWORD)
    csrf = page_csrf(olga, "/compliance/subjects")
    r = olga.post("/compliance/subjects/export", data={"csrf": csrf, "subjects": WILHELMINA})
    assert r.status_code == 200, r.text
    record = json.loads(zipfile.ZipFile(io.BytesIO(r.content)).read("subject.json"))
    (conv,) = record["conversations"]
    assert conv["conversation_id"] == conv_id and conv["user"] == "sam"
    assert WILHELMINA in conv["messages"][0]["text"]
    assert PEOPLE[1]["name"] not in json.dumps(record["conversations"])
    exported = [r for r in registry.audit.records(action="gdpr.export") if r["actor"] == "olga"]
    assert exported[-1]["detail"]["conversations"] == [conv_id]
    assert exported[-1]["detail"]["collections"] == ["wards"]
    assert "compliance officer" in exported[-1]["detail"]["authority"]

    # Erasure, step one: the plan names the documents that go and those that stay.
    docs = _docs(registry)
    r = olga.post("/compliance/subjects/erase", data={"csrf": csrf, "subjects": WILHELMINA})
    assert r.status_code == 200 and 'id="erase-plan"' in r.text
    deleted_part = r.text.split('id="plan-delete"')[1].split("</ul>")[0]
    kept_part = r.text.split('id="plan-unlink"')[1].split("</ul>")[0]
    assert docs["record-0.txt"][:12] in deleted_part
    assert docs["meeting.txt"][:12] in kept_part
    assert registry.library.has_document(docs["record-0.txt"])  # nothing erased yet
    # Step two: confirmed, keeping record-0 with a placeholder only.
    r = olga.post(
        "/compliance/subjects/erase",
        data={
            "csrf": csrf,
            "subjects": WILHELMINA,
            "confirm": "true",
            "keep": docs["record-0.txt"],
        },
    )
    assert r.status_code == 200 and 'id="erase-receipt"' in r.text
    receipt_docs = r.text.split('id="receipt-documents"')[1].split("</ul>")[0]
    assert docs["record-0.txt"][:12] in receipt_docs and docs["meeting.txt"][:12] in receipt_docs
    assert registry.library.has_document(docs["record-0.txt"])
    assert not registry.identifiers.find_identifiers([WILHELMINA])
    erased = list(registry.audit.records(action="gdpr.erase"))[-1]["detail"]
    assert erased["kept_by_choice"] == [docs["record-0.txt"]]
    assert erased["conversations_changed"] == 1
    # The conversation lives on for sam, rewritten under a new key, without the person.
    histories = _history_texts(registry)
    assert conv_id not in histories and not registry.keyring.has_key("conversation", conv_id)
    (rewritten,) = histories.values()
    assert not any("Quatermass" in t or "Wilhelmina" in t for t in rewritten)
    # And a new request finds nothing of them in it.
    r = olga.post("/compliance/subjects/export", data={"csrf": csrf, "subjects": WILHELMINA})
    record = json.loads(zipfile.ZipFile(io.BytesIO(r.content)).read("subject.json"))
    assert record["conversations"] == [] and record["documents"] == []


def test_a_literal_mention_the_detector_missed_is_found_and_erased(registry) -> None:
    """History written before a detector learnt a form (or a value it never catches)
    still answers to the person's name as written."""
    from appliance.accounts import Accounts
    from appliance.rag.conversations import ConversationStore

    account, _ = Accounts(registry.db, registry.audit, registry.settings).create_user(
        "sam", "staff", Caller.local(), password=STAFF_PASSWORD
    )
    user_id = account.id
    store = ConversationStore(registry.db, registry.keyring)
    title = "What is <PERSON_1> Quatermass-Oyelaran's phone number?"
    conv_id = store.start(user_id, "wards", title)
    store.add(conv_id, user_id, "user", {"text": title})
    out = registry.settings.data_dir.parent / "sar.zip"
    summary = export_subject(registry, [WILHELMINA], out, DPO)
    assert summary["conversations"] == 1
    record = json.loads(zipfile.ZipFile(out).read("subject.json"))
    assert "Quatermass-Oyelaran's" in record["conversations"][0]["title"]
    receipt = erase_subject(registry, [WILHELMINA], DPO)
    assert receipt.conversations_changed == 1
    (texts,) = _history_texts(registry).values()
    assert texts[0] == "What is <PERSON_1> [PERSON]'s phone number?"
    assert not any("Quatermass" in t for t in texts)


def test_a_refused_subject_request_keeps_what_was_typed(registry) -> None:
    from tests.webtools import page_csrf

    (registry.settings.data_dir / "policies").mkdir(exist_ok=True)
    (registry.settings.data_dir / "policies" / "sealed.yaml").write_text(
        "name: sealed\nextends: default\nreidentify_roles: [admin]\n"
    )
    registry.set_collection_policy("wards", "sealed", Caller.local())
    web = _hospital_site(registry)
    olga = _client(web, "olga", OFFICER_PASSWORD)
    typed = f"{WILHELMINA}\n{PEOPLE[0]['email']}"
    r = olga.post(
        "/compliance/subjects/export",
        data={"csrf": page_csrf(olga, "/compliance/subjects"), "subjects": typed},
    )
    assert r.status_code == 403 and 'id="subject-error"' in r.text and "sealed" in r.text
    textarea = r.text.split('id="subjects-x"')[1].split("</textarea>")[0]
    assert WILHELMINA in textarea and PEOPLE[0]["email"] in textarea


def test_others_need_a_grant_on_every_collection_involved(registry) -> None:
    from appliance.errors import NotAllowed

    clerk = Caller("clerk", "admin", access={"elsewhere": "read"})
    with pytest.raises(NotAllowed, match="wards"):
        erase_subject(registry, [WILHELMINA], clerk)
    assert registry.library.documents("wards")


def test_the_cli_lists_what_an_erasure_deletes_and_keeps_before_asking(registry) -> None:
    from appliance.gdpr import plan_erasure

    docs = _docs(registry)
    plan = plan_erasure(registry, [WILHELMINA], DPO)
    assert [d["document_id"] for d in plan.delete] == [docs["record-0.txt"]]
    assert [d["document_id"] for d in plan.unlink] == [docs["meeting.txt"]]
    assert registry.library.has_document(docs["record-0.txt"])
