"""A stolen copy of the data directory reveals no personal data; tampering is caught."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import select, update

from appliance.errors import KeyShredded, TamperedData
from appliance.store.schema import Chunk
from tests.conftest import database_text
from tests.docgen import make_docx, make_pdf

pytestmark = pytest.mark.store

# Fictional people with values found nowhere else, so any hit is a leak.
PEOPLE = [
    {
        "name": "Wilhelmina Quatermass-Oyelaran",
        "email": "w.quatermass.oyelaran@kestrelmail.example",
        "iban": "DE89370400440532013000",
        "phone": "+44 7700 900461",
        "nhs": "943 476 5919",
        "address": "14 Larkspur Crescent, Bexhill",
    },
    {
        "name": "Bartholomew Szczepanski-Ndlovu",
        "email": "bart.szczepanski@fennimore-clinic.example",
        "iban": "FR7630006000011234567890189",
        "phone": "+33 6 12 98 47 03",
        "nhs": "401 023 2137",
        "address": "7 Rue des Glycines, Villeurbanne",
    },
]


def _record(person: dict[str, str]) -> str:
    return (
        f"Patient {person['name']} lives at {person['address']}. Contact by e-mail at "
        f"{person['email']} or by phone on {person['phone']}. NHS number {person['nhs']}. "
        f"Refunds for {person['name']} are paid to IBAN {person['iban']}. "
        f"{person['name']} was referred to the cardiology clinic in March."
    )


def write_records(folder: Path) -> list[Path]:
    """One text file per person (``record-<n>.txt``) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, person in enumerate(PEOPLE):
        path = folder / f"record-{i}.txt"
        path.write_text(_record(person))
        paths.append(path)
    return paths


def _values() -> list[str]:
    out = []
    for person in PEOPLE:
        out += list(person.values())
        out += person["name"].replace("-", " ").split()  # surnames alone too
    return [v for v in out if len(v) > 5]


def scan_for_values(folder: Path, values: list[str]) -> list[str]:
    """Every (file, value, encoding) where a value appears in raw bytes, any case."""
    found = []
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files
    for path in files:
        raw = path.read_bytes()
        lowered = raw.lower()
        for value in values:
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                for variant in {value, value.lower(), value.upper()}:
                    needle = variant.encode(encoding)
                    if needle in raw or needle.lower() in lowered:
                        found.append(f"{path}: {value!r} ({encoding})")
    return found


@pytest.fixture
def personal_docs(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "records"
    folder.mkdir()
    txt = folder / "referral-letters.txt"
    txt.write_text("\n\n".join(_record(p) for p in PEOPLE))
    docx = folder / "patient-register.docx"
    make_docx(
        docx, "Patient register", [(f"Patient {i}", _record(p)) for i, p in enumerate(PEOPLE)]
    )
    pdf = folder / "refunds.pdf"
    make_pdf(pdf, [_record(p) for p in PEOPLE])
    return [txt, docx, pdf]


def test_no_personal_value_is_readable_anywhere_in_the_data_directory(
    app, personal_docs: list[Path]
) -> None:
    results = app.ingest(personal_docs)
    assert all(r.ok for r in results), [r.error for r in results]
    hits = app.retrieve("Where does Wilhelmina Quatermass-Oyelaran live?")
    assert hits and all("Larkspur" not in h.text for h in hits)  # placeholders only
    assert any("<POSTAL_ADDRESS_" in h.text for h in hits)
    revealed = app.retrieve("Where does Wilhelmina Quatermass-Oyelaran live?", reveal=True)
    assert any("Larkspur Crescent" in h.text for h in revealed)  # an allowed role can read it
    answer = app.ask("Which IBAN are refunds for Bartholomew Szczepanski-Ndlovu paid to?").result()
    assert answer.found
    app.close()
    data_dir = app.settings.data_dir
    assert scan_for_values(personal_docs[0].parent, _values())  # the scan does find plaintext
    assert scan_for_values(data_dir, _values()) == []
    assert scan_for_values(data_dir, [p.name for p in personal_docs]) == []
    if app.settings.database_url:  # on a server the tables are elsewhere: read them all
        cells = database_text(app.settings.database_url).lower()
        assert [
            v for v in (*_values(), *(p.name for p in personal_docs)) if v.lower() in cells
        ] == []


def test_the_data_directory_is_private_to_its_owner(app, personal_docs: list[Path]) -> None:
    app.ingest(personal_docs)
    app.close()
    data_dir = app.settings.data_dir
    for path in [data_dir, *data_dir.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is mode {mode:o}"


def test_a_swapped_or_altered_chunk_is_reported_by_name(app, personal_docs: list[Path]) -> None:
    app.ingest(personal_docs)
    with app.db.session() as s:
        first, second = s.scalars(select(Chunk).order_by(Chunk.ordinal).limit(2)).all()
        s.execute(update(Chunk).where(Chunk.id == first.id).values(text_sealed=second.text_sealed))
    with pytest.raises(TamperedData, match=f"chunk/{first.id}/text"):
        app.retrieve("Where does Wilhelmina live?")


def test_the_original_upload_is_kept_sealed_and_readable(app, personal_docs: list[Path]) -> None:
    docx = personal_docs[1]
    (result,) = app.ingest([docx])
    col = app.library.get_collection("default")
    blob = app.vault.blob_path(result.document_id)
    assert docx.read_bytes() not in blob.read_bytes()
    assert b"".join(app.vault.read_original(col.id, result.document_id)) == docx.read_bytes()
    damaged = bytearray(blob.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    blob.write_bytes(bytes(damaged))
    with pytest.raises(TamperedData, match=result.document_id):
        b"".join(app.vault.read_original(col.id, result.document_id))


def test_deleting_a_document_shreds_its_key(app, personal_docs: list[Path]) -> None:
    (result,) = app.ingest(personal_docs[:1])
    with app.db.session() as s:
        stolen = s.scalars(select(Chunk).where(Chunk.document_id == result.document_id)).first()
    app.library.delete_document(result.document_id)
    assert not app.vault.blob_path(result.document_id).exists()
    with pytest.raises(KeyShredded):
        app.vault.key(result.document_id)
    assert stolen is not None and stolen.text_sealed  # a copy taken before is now noise
    shredded = {(e.scope, e.owner) for e in app.keyring.shred_log.entries()}
    assert ("document", result.document_id) in shredded
    assert any(scope == "subject" for scope, _ in shredded)  # its people, mentioned nowhere else
    app.close()
    assert scan_for_values(app.settings.data_dir, _values()) == []
