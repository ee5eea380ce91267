"""The privacy layer: detection, policies, placeholders, and personal data through the paths."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from appliance.caller import Caller
from appliance.errors import NotAllowed
from appliance.privacy import (
    PiiBlocked,
    PiiDetector,
    PolicyError,
    PseudonymScope,
    apply_policy,
    load_policy,
)
from appliance.privacy.detector import windows
from appliance.rag.privacy import filter_sentences
from appliance.store.schema import Document
from tests.conftest import run_cli

TEXT = (
    "Dear Mr Kowalski, patient Wilhelmina Quatermass-Oyelaran (born 3 March 1970, NHS number "
    "943 476 5919) lives at 14 Larkspur Crescent, Bexhill. E-mail w.q@kestrelmail.example, "
    "phone +44 20 7946 0958. IBAN DE89 3704 0044 0532 0130 00, card 4111 1111 1111 1111, "
    "Steuer-ID 86095742719, BSN 111222333, codice fiscale RSSMRA85T10A562S, NIE X1234567L, "
    "PESEL 44051401359, NIR 1 84 12 76 451 089 46, VAT DE136695976, IP 192.168.10.23. "
    "Later, Quatermass-Oyelaran wrote to Dr Kowalski."
)


@pytest.fixture(scope="session")
def detector(model_dir: Path):
    from appliance.models import SPACY_EN_DIR
    from appliance.privacy import shared_detector

    return shared_detector(model_dir / SPACY_EN_DIR)


def _found(detector, text: str, policy: str = "default") -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    p = load_policy(policy)
    out: dict[str, list[str]] = {}
    for e in detector.analyze(text, p.types, p.thresholds(), allow=p.allow, deny=p.deny):
        out.setdefault(e.type, []).append(text[e.start : e.end])
    return out


def test_european_identifiers_names_and_contacts_are_found(detector) -> None:
    found = _found(detector, TEXT)
    assert found["PERSON"] == [
        "Kowalski",
        "Wilhelmina Quatermass-Oyelaran",
        "Quatermass-Oyelaran",
        "Kowalski",
    ]
    expected = {
        "DATE_OF_BIRTH": "3 March 1970",
        "UK_NHS": "943 476 5919",
        "POSTAL_ADDRESS": "14 Larkspur Crescent, Bexhill",
        "EMAIL_ADDRESS": "w.q@kestrelmail.example",
        "PHONE_NUMBER": "+44 20 7946 0958",
        "IBAN_CODE": "DE89 3704 0044 0532 0130 00",
        "CREDIT_CARD": "4111 1111 1111 1111",
        "DE_TAX_ID": "86095742719",
        "NL_BSN": "111222333",
        "IT_FISCAL_CODE": "RSSMRA85T10A562S",
        "ES_NIE": "X1234567L",
        "PL_PESEL": "44051401359",
        "FR_NIR": "1 84 12 76 451 089 46",
        "EU_VAT": "DE136695976",
        "IP_ADDRESS": "192.168.10.23",
    }
    for entity, value in expected.items():
        assert found.get(entity) == [value], (entity, found.get(entity))


def test_wrong_check_digits_and_organisations_are_not_personal_data(detector) -> None:
    text = (
        "IBAN DE89 3704 0044 0532 0130 01 failed validation. NHS number 943 476 5918 is "
        "mistyped. The NHS, IBM and the GDPR apply; Northbridge Savings Bank keeps records "
        "for 7 years. Backups run at 02:00. Version 3.2.1 shipped in March 2023."
    )
    assert _found(detector, text) == {}


def test_allow_and_deny_lists_come_from_the_policy(detector) -> None:
    text = "Account NSB-12345678 at Northbridge Savings Bank was reviewed by Anna Schmidt."
    found = _found(detector, text, "banking")
    assert found == {"ACCOUNT_REFERENCE": ["NSB-12345678"], "PERSON": ["Anna Schmidt"]}


def test_bad_input_is_handled(detector) -> None:
    assert _found(detector, "") == {}
    assert _found(detector, "\x00\x01\x1b[31m control characters \x7f") == {}
    rtl = "المريض أحمد في الغرفة 12 — contact anna.schmidt@example.org"
    assert _found(detector, rtl) == {"EMAIL_ADDRESS": ["anna.schmidt@example.org"]}
    blob = "x" * 1_000_000  # 1 MB without a space: analysed in bounded windows
    pieces = list(windows(blob))
    assert len(pieces) > 100 and max(len(p) for _, p in pieces) <= 8000
    assert _found(detector, blob + " IBAN DE89370400440532013000") == {
        "IBAN_CODE": ["DE89370400440532013000"]
    }


def test_placeholders_are_consistent_and_names_join_their_shorter_mentions(detector) -> None:
    policy = load_policy("default")
    scope = PseudonymScope(lambda v: f"mac:{v}")
    entities = detector.analyze(TEXT, policy.types_for("ingest"), policy.thresholds())
    result = apply_policy(TEXT, entities, policy, "ingest", scope)
    assert result.text.startswith("Dear Mr <PERSON_1>, patient <PERSON_2> (born <DATE_OF_BIRTH_1>")
    assert result.text.endswith("Later, <PERSON_2> wrote to Dr <PERSON_1>.")
    assert "card **** **** **** 1111" in result.text  # the default policy masks cards
    assert result.counts()["PERSON"] == 4
    for value in ("Kowalski", "Wilhelmina", "943 476 5919", "DE89", "Larkspur"):
        assert value not in result.text


def test_the_english_model_runs_only_what_recognition_reads(detector) -> None:
    """en_core_web_sm's NER has its own tok2vec: the shared one, the tagger and the
    attribute ruler cost a third of the detector's time and change no entity (RESULTS
    §6); the frozen holdout gates in test_pii_forms.py hold the figures."""
    nlp = detector._engine.nlp_engine.nlp["en"]
    assert nlp.pipe_names == ["ner"]
    found = _found(detector, "Please ask Agnieszka Wiśniewska in Gdańsk.")
    assert found == {"PERSON": ["Agnieszka Wiśniewska"], "LOCATION": ["Gdańsk"]}


def test_a_window_read_once_is_not_read_again_and_keeps_no_text(model_dir: Path) -> None:
    """A chat re-sends its earlier messages with each turn: their windows are read
    once per detector (the spans remembered under a digest of the text, never the
    text), and found again at whatever offset they come back."""
    from appliance.models import SPACY_EN_DIR
    from appliance.privacy.detector import WINDOW_CHARS

    detector = PiiDetector(model_dir / SPACY_EN_DIR)
    reads: list[str] = []
    read_piece = detector._read_piece

    def counted(piece: str, entities: list[str]) -> list[Any]:
        reads.append(piece)
        return read_piece(piece, entities)

    detector._read_piece = counted  # type: ignore[method-assign]
    turn = "Please call Agnieszka Wiśniewska on +48 22 123 45 67 about her loan.\n"
    first = detector.analyze(turn)
    assert {e.type for e in first} == {"PERSON", "PHONE_NUMBER"}
    assert detector.analyze(turn) == first and len(reads) == 1
    # The same text as the second window of a longer one: found, shifted, not re-read.
    lead = ("The branch opens at nine. " * (WINDOW_CHARS // 26))[: WINDOW_CHARS - 2] + "\n\n"
    longer = detector.analyze(lead + turn)
    assert [(e.type, e.start - len(lead), e.end - len(lead)) for e in longer] == [
        (e.type, e.start, e.end) for e in first
    ]
    assert reads == [turn, lead]
    # Another list of entity types is another reading.
    assert [e.type for e in detector.analyze(turn, ["PHONE_NUMBER"])] == ["PHONE_NUMBER"]
    assert len(reads) == 3
    remembered = repr(detector._read)
    assert "Wiśniewska" not in remembered and "123 45 67" not in remembered
    # remember=0 (the benchmarks of the reading itself), and forget(): read anew.
    detector.forget()
    detector.analyze(turn)
    assert len(reads) == 4
    fresh = PiiDetector(model_dir / SPACY_EN_DIR, remember=0)
    assert fresh.analyze(turn) == first and fresh.analyze(turn) == first
    assert not fresh._read


def test_policies_are_validated_with_file_line_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("name: typo\nstages:\n  ingest: pseudonymize\n  promt: keep\n")
    with pytest.raises(PolicyError) as err:
        load_policy(str(path))
    message = str(err.value)
    assert f"{path}, line 3: stages.ingest" in message and "did you mean 'pseudonymise'" in message
    assert f"{path}, line 4: stages.promt: unknown key 'promt'; did you mean 'prompt'" in message
    path.write_text("name: typo\nentities:\n  PERSN:\n    threshold: 0.7\n")
    with pytest.raises(
        PolicyError, match=r"line 3: entities\.PERSN: unknown entity type; did you mean 'PERSON'"
    ):
        load_policy(str(path))
    with pytest.raises(PolicyError, match="no policy named 'helthcare'; did you mean 'healthcare'"):
        load_policy("helthcare")
    for name in ("default", "banking", "healthcare", "government"):
        policy = load_policy(name)
        assert len(policy.digest) == 64 and policy.action("PERSON", "ingest") == "pseudonymise"


def test_the_answer_stage_sees_every_sentence_before_the_reader() -> None:
    deltas = iter(["The pat", "ient is <PERSON_1>. She li", "ves at no", " 4.\nDone"])
    seen: list[str] = []

    def transform(text: str) -> str:
        seen.append(text)
        return text.upper()

    out = "".join(filter_sentences(deltas, transform))
    assert out == "THE PATIENT IS <PERSON_1>. SHE LIVES AT NO 4.\nDONE"
    assert seen == ["The patient is <PERSON_1>. ", "She lives at no 4.\n", "Done"]


# -- through the appliance ---------------------------------------------------------


@pytest.fixture
def hospital(tmp_path: Path, embedder, engine):  # type: ignore[no-untyped-def]
    from tests.conftest import make_app
    from tests.test_at_rest import write_records

    app = make_app(tmp_path / "data", embedder, engine)
    folder = tmp_path / "records"
    write_records(folder)
    app.library.ensure_collection("wards", "healthcare")
    results = app.ingest([folder], "wards")
    assert all(r.ok for r in results)
    yield app
    app.close()


def test_ingestion_indexes_placeholders_and_records_the_policy(hospital) -> None:
    hits = hospital.retrieve("Where does Wilhelmina live?", "wards")
    assert hits and "<PERSON_1>" in hits[0].text and "Larkspur" not in hits[0].text
    assert hits[0].source.endswith("record-0.txt")  # found through the registry of names
    texts = hospital.retriever._ready_chunks(hospital.library.get_collection("wards").id)[1]
    assert all("Wilhelmina" not in t and "Bartholomew" not in t for t in texts)
    with hospital.db.session() as s:
        doc = s.scalars(select(Document)).first()
    assert doc.policy_name == "healthcare"
    assert doc.policy_digest == load_policy("healthcare").digest
    counts = json.loads(doc.pii_counts)
    assert counts["PERSON"] >= 2 and counts["IBAN_CODE"] == 1


def test_reidentification_needs_an_allowed_role_and_is_recorded(hospital) -> None:
    with pytest.raises(NotAllowed, match="role 'admin' may not re-identify"):
        hospital.retrieve("Where does Wilhelmina live?", "wards", reveal=True)
    officer = Caller("dpo", "compliance_officer")
    hits = hospital.retrieve("Where does Wilhelmina live?", "wards", who=officer, reveal=True)
    assert "14 Larkspur Crescent, Bexhill" in hits[0].text
    events = list(hospital.audit.records(action="pii.reidentified"))
    assert len(events) == 1 and events[0]["actor"] == "dpo"
    detail = events[0]["detail"]
    assert detail["policy"] == "healthcare" and "PERSON" in detail["types"]
    assert "Wilhelmina" not in json.dumps(events) and "Larkspur" not in json.dumps(events)


def test_a_blocked_type_stops_the_question_naming_the_type_only(hospital) -> None:
    with pytest.raises(PiiBlocked) as err:
        hospital.ask("Who holds passport 502135326?", "wards")
    assert "PASSPORT" in str(err.value) and "502135326" not in str(err.value)
    (event,) = hospital.audit.records(action="pii.blocked")
    assert event["detail"]["types"] == ["PASSPORT"] and event["outcome"] == "failure"
    assert "5021" not in json.dumps(event)


def test_answers_show_placeholders_unless_revealed(hospital) -> None:
    answer = hospital.ask("Which IBAN are refunds for Wilhelmina paid to?", "wards").result()
    assert "DE89" not in answer.text and "Wilhelmina" not in answer.text
    officer = Caller("dpo", "compliance_officer")
    revealed = hospital.ask(
        "Where does Wilhelmina live?", "wards", who=officer, reveal=True
    ).result()
    assert "<PERSON_1>" not in revealed.text  # well-formed placeholders are re-identified


def test_sample_documents_leave_no_raw_identifier_in_vectors_or_chunks(sample_app) -> None:
    col = sample_app.library.get_collection("default")
    texts = sample_app.retriever._ready_chunks(col.id)[1]
    detector = sample_app.detector_loaded()
    policy = load_policy("default")
    leftovers = [
        (e.type, t[e.start : e.end])
        for t in texts
        for e in detector.analyze(t, policy.types_for("ingest"), policy.thresholds())
    ]
    assert leftovers == []


def test_pii_cli_analyze_and_redact(tmp_path: Path) -> None:
    data = tmp_path / "unused"
    proc = run_cli("pii", "analyze", data_dir=data, stdin="Call Anna Schmidt on +49 30 901820.")
    assert proc.returncode == 0, proc.stderr
    entities = json.loads(proc.stdout)["entities"]
    assert [(e["type"], e["start"], e["end"]) for e in entities] == [
        ("PERSON", 5, 17),
        ("PHONE_NUMBER", 21, 34),
    ]
    lines = '{"text": "Mail anna@example.org"}\nnot json\n{"text": "nothing here"}\n'
    proc = run_cli("pii", "analyze", "--jsonl", data_dir=data, stdin=lines)
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 1 and out[0]["entities"][0]["type"] == "EMAIL_ADDRESS"
    assert "line 2" in out[1]["error"] and out[2] == {"entities": []}
    proc = run_cli(
        "pii",
        "redact",
        "--policy",
        "banking",
        data_dir=data,
        stdin="Anna Schmidt paid with 4111 1111 1111 1111; Schmidt confirmed.",
    )
    assert proc.stdout == "<PERSON_1> paid with **** **** **** 1111; <PERSON_1> confirmed."
    proc = run_cli("pii", "analyze", "--policy", "nope", data_dir=data, stdin="x")
    assert proc.returncode == 3 and "no policy named 'nope'" in proc.stderr
    proc = subprocess_bytes(data, b"\xff\xfe bad")
    assert proc.returncode == 3 and b"not valid UTF-8" in proc.stderr


def subprocess_bytes(data: Path, payload: bytes):  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "appliance.cli", "pii", "analyze"],
        input=payload,
        capture_output=True,
        env={**os.environ, "APPLIANCE_DATA_DIR": str(data)},
        check=False,
    )


def test_logs_never_carry_personal_values(hospital, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    caplog.set_level(logging.WARNING)
    logging.getLogger("appliance.rag.documents").warning(
        "could not read the file of %s (%s)", "Anna Schmidt", "anna.schmidt@example.org"
    )
    assert "anna.schmidt@example.org" not in caplog.text and "Anna Schmidt" not in caplog.text
    assert "[EMAIL_ADDRESS]" in caplog.text and "[PERSON]" in caplog.text


def test_a_policy_is_reloaded_when_the_policy_it_extends_changes(app) -> None:  # type: ignore[no-untyped-def]
    """An administrator tightens a base policy that others extend: every policy built
    on it follows at once, at any depth, and a file added to the data directory's
    policies that shadows a shipped base is taken up. The old cache watched only the
    named policy's own file, so a derived policy kept the old base until a restart."""
    import os

    folder = app.settings.data_dir / "policies"
    folder.mkdir(exist_ok=True)
    (folder / "ward.yaml").write_text("name: ward\nextends: clinic\n")
    clinic = folder / "clinic.yaml"
    clinic.write_text("name: clinic\nextends: default\nthreshold: 0.5\n")
    assert app.privacy.policy("ward").threshold == 0.5

    clinic.write_text("name: clinic\nextends: default\nthreshold: 0.75\n")
    later = clinic.stat().st_mtime_ns + 2_000_000_000  # coarse file-system clocks
    os.utime(clinic, ns=(later, later))
    assert app.privacy.policy("ward").threshold == 0.75

    # A `default` of the site's own now shadows the shipped one under clinic.
    (folder / "default.yaml").write_text(
        "name: default\ndescription: the site's\nstages: {prompt: pseudonymise}\n"
        "reidentify_roles: [admin]\n"
    )
    assert app.privacy.policy("ward").reidentify_roles == ("admin",)


def test_stop_words_are_read_without_importing_spacys_french_package() -> None:
    """Importing ``spacy.lang.fr`` compiles its tokenizer's exceptions (2.8 s on 2 cores):
    every CLI command and web process paid it for a list of words."""
    code = (
        "import sys\n"
        "from appliance.privacy.names import stop_words, stop_words_by_language\n"
        "from appliance.rag.lexical import language_of\n"
        "assert 'le' in stop_words_by_language()['fr'] and 'und' in stop_words()\n"
        "assert language_of('le chat est sur la table et il dort') == 'fr'\n"
        "print(sorted(m for m in sys.modules if m.startswith('spacy.lang.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "spacy.lang.fr" not in out, out
