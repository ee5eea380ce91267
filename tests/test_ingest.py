"""Ingestion: duplicates, replacement, mixed batches and atomicity under a kill."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from appliance.store.schema import Chunk, Document
from tests.conftest import SAMPLES, make_app, run_cli
from tests.docgen import make_pdf


def _counts(app) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with app.db.session() as s:
        docs = s.scalar(select(func.count(Document.id)))
        chunks = s.scalar(select(func.count(Chunk.id)))
    return docs, chunks, app.index.count("default")


def test_ingest_dedupe_and_replace(app, tmp_path: Path) -> None:
    src = tmp_path / "notes.md"
    src.write_text("# Notes\n\nThe archive room opens at nine.\n")
    first = app.ingest([src])[0]
    assert first.status == "added" and first.chunks == 1
    assert app.ingest([src])[0].status == "unchanged"
    copy = tmp_path / "copy.md"
    shutil.copy(src, copy)
    dup = app.ingest([copy])[0]
    assert dup.status == "duplicate" and "notes.md" in (dup.error or "")

    src.write_text(
        "# Notes\n\nThe archive room opens at ten.\n\n## Keys\n\nKeys are at reception.\n"
    )
    replaced = app.ingest([src])[0]
    assert replaced.status == "replaced" and replaced.chunks == 2
    docs, chunks, vectors = _counts(app)
    assert (docs, chunks, vectors) == (1, 2, 2)
    hits = app.retrieve("When does the archive room open?")
    assert hits and "ten" in hits[0].text
    assert all("nine" not in h.text for h in hits)


def test_mixed_batch_keeps_good_files(app, tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Visitors sign in at the front desk.")
    (tmp_path / "bad.pdf").write_bytes(b"not a pdf at all")
    (tmp_path / "empty.md").write_bytes(b"")
    (tmp_path / "ignored.bin").write_bytes(b"\x00")  # unsupported: skipped in folders
    results = {r.path.name: r for r in app.ingest([tmp_path, tmp_path / "missing.txt"])}
    assert results["good.txt"].status == "added"
    assert not results["bad.pdf"].ok and "not a PDF" in results["bad.pdf"].error
    assert not results["empty.md"].ok and "empty" in results["empty.md"].error
    assert not results["missing.txt"].ok
    assert "ignored.bin" not in results
    assert _counts(app)[0] == 1


def test_symlink_loop_in_folder(app, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("Alpha document text.")
    (folder / "back").symlink_to(folder)
    (folder / "self.txt").symlink_to(folder / "self.txt")
    results = app.ingest([folder])
    assert [r.status for r in results if r.path.name == "a.txt"] == ["added"]
    assert any(not r.ok and r.path.name == "self.txt" for r in results)


@pytest.mark.parametrize("crash_at", ["after-pending", "after-vectors", "after-ready"])
def test_killed_ingestion_leaves_no_half_document(
    tmp_path: Path, embedder, engine, crash_at
) -> None:
    data = tmp_path / "data"
    first = tmp_path / "first.txt"
    first.write_text("The first document describes the badge office.")
    assert run_cli("ingest", str(first), data_dir=data).returncode == 0
    doc = make_pdf(
        tmp_path / "second.pdf", ["Page one mentions the vault.", "Page two: vault code rules."]
    )
    proc = run_cli("ingest", str(doc), data_dir=data, env={"APPLIANCE_CRASH_AT": crash_at})
    assert proc.returncode == 137, proc.stderr

    app = make_app(data, embedder, engine)  # opening runs recovery
    try:
        docs = {d.source: d for d in app.library.documents("default")}
        assert str(first.resolve()) in docs
        expect_second = crash_at == "after-ready"
        assert (str(doc.resolve()) in docs) is expect_second
        docs_n, chunks, vectors = _counts(app)
        assert chunks == sum(d.chunk_count for d in docs.values()) == vectors
        assert docs_n == len(docs)
        # Re-running the ingestion finishes the job.
        again = app.ingest([doc])[0]
        assert again.status == ("unchanged" if expect_second else "added")
        assert any(h.page == 2 for h in app.retrieve("vault code rules", k=3))
    finally:
        app.close()


def test_cli_ingest_exit_codes_and_lines(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = run_cli("ingest", str(SAMPLES), data_dir=data)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) >= 5 and all(line.startswith("added") for line in lines)
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"garbage")
    good = tmp_path / "fine.txt"
    good.write_text("A fine little document about lunch breaks.")
    proc = run_cli("ingest", str(bad), str(good), data_dir=data)
    assert proc.returncode == 1
    assert "FAILED" in proc.stdout and "bad.pdf" in proc.stdout
    assert "added" in proc.stdout and "fine.txt" in proc.stdout
    assert (data.stat().st_mode & 0o777) == 0o700


def test_path_through_a_file_is_a_clear_error(app, tmp_path: Path) -> None:
    (tmp_path / "plain.txt").write_text("Just text.")
    result = app.ingest([tmp_path / "plain.txt" / "child.txt"])[0]
    assert not result.ok and "cannot be opened" in result.error


def test_collection_names_chroma_would_refuse_are_rejected(app, tmp_path: Path) -> None:
    from appliance.errors import DocumentError

    doc = tmp_path / "a.txt"
    doc.write_text("Text.")
    for bad in ("docs_", "-docs", "Docs", "a" * 64, ""):
        with pytest.raises(DocumentError, match="invalid collection name"):
            app.ingest([doc], collection=bad)
    assert app.ingest([doc], collection="hr-2026")[0].ok


def test_file_changed_to_equal_another_is_replaced_not_duplicate(app, tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("The canteen opens at noon.")
    b.write_text("The library closes at six.")
    app.ingest([a, b])
    a.write_text("The library closes at six.")
    assert app.ingest([a])[0].status == "replaced"
    assert all("canteen" not in h.text for h in app.retrieve("When does the canteen open?"))


def test_pdf_with_odd_metadata_and_non_utf8_name(app, tmp_path: Path) -> None:
    import os

    odd = tmp_path / "odd.pdf"
    make_pdf(odd, ["Fire drills happen every April."])
    data = odd.read_bytes()
    # A /Title that is a number, not a string: pypdf hands back a NumberObject.
    odd.write_bytes(data.replace(b"/Producer", b"/Title 42 /Producer", 1))
    weird = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9.txt"))
    weird.write_text("Coffee machines are descaled monthly.")
    results = {r.path.name: r for r in app.ingest([odd, weird])}
    assert results["odd.pdf"].ok, results["odd.pdf"].error
    assert not results[weird.name].ok and "UTF-8" in results[weird.name].error


def test_reader_does_not_wait_for_a_running_ingestion(app) -> None:
    import fcntl

    with app.library._lock_path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            assert app.library.recover(blocking=False) == 0
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def test_chunks_are_embedded_and_indexed_with_their_heading_and_the_title_once(
    app, embedder, tmp_path: Path
) -> None:
    """Each chunk is embedded and indexed lexically with the document title and the
    headings above it; a title that is the document's first heading is not repeated
    (it was, before: "Visitor Parking Rules — Visitor Parking Rules > ...")."""
    import numpy as np

    from appliance.rag.spaces import space_of

    src = tmp_path / "parking.md"
    src.write_text(
        "# Visitor Parking Rules\n\n## Overnight stays\n\n"
        "Cars may stay in bay C until eight in the morning.\n"
    )
    assert app.ingest([src])[0].chunks == 1
    col = app.library.get_collection("default")
    ids, texts = app.retriever._ready_chunks(col.id)
    assert texts == [
        "Visitor Parking Rules — Overnight stays Cars may stay in bay C until eight in the morning."
    ]
    stored = app.index.vectors(space_of(col), ids)[ids[0]]
    line = "Cars may stay in bay C until eight in the morning."
    want = embedder.embed([f"Visitor Parking Rules — Overnight stays\n{line}"])[0]
    assert float(np.dot(stored, want)) > 0.999
    # The passage shown and cited stays the chunk's own text, under its heading path.
    (hit,) = app.retrieve("Can a visitor leave the car overnight?", "default")
    assert hit.text == "Cars may stay in bay C until eight in the morning."
    assert hit.section == "Visitor Parking Rules > Overnight stays"


def test_a_name_in_a_heading_is_pseudonymised_before_it_is_embedded_or_indexed(
    app, tmp_path: Path
) -> None:
    src = tmp_path / "handover.md"
    src.write_text(
        "# Ward handover\n\n## Notes for Wilhelmina Bartholomew\n\n"
        "Wilhelmina Bartholomew takes the night shift on ward 4 this week.\n"
    )
    assert app.ingest([src])[0].ok
    col = app.library.get_collection("default")
    (text,) = app.retriever._ready_chunks(col.id)[1]
    assert "Wilhelmina" not in text and "Bartholomew" not in text
    assert text.startswith("Ward handover — Notes for <PERSON_1> ")
    with app.db.session() as s:
        (chunk,) = s.scalars(select(Chunk))
        sealed = [bytes(chunk.section_sealed), bytes(chunk.text_sealed)]
    assert all(sealed) and not any(b"Notes for" in v or b"Wilhelmina" in v for v in sealed)
