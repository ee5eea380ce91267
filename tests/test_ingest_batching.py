"""One ingestion call embeds the chunks of its files together (length-sorted batches
across files), and stores exactly what ingesting the files one at a time stores.

The real embedder is only watched: its ``embed`` (one call per flush of the pool)
and ``_run`` (one encoder batch) are wrapped to count calls, then run as usual.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from appliance.store.schema import Chunk, Document, DocumentStatus
from tests.conftest import make_app, run_cli
from tests.docgen import make_pdf

TOPICS = [
    ("badges", "Visitor badges are collected at the front desk and returned by six."),
    ("archive", "The archive room opens at nine. Boxes older than ten years go to the basement."),
    ("parking", "Staff park in the north lot; the south lot is kept for visitors and deliveries."),
    ("canteen", "The canteen serves lunch from noon to two and closes on public holidays."),
    ("laptops", "Laptops are encrypted before they leave the building; IT keeps the keys."),
    ("fire", "Fire drills happen each quarter. Wardens wear yellow vests and count everyone."),
]


class EncoderCounter:
    """Counts the real embedder's ``embed`` calls and encoder batches (``_run``)."""

    def __init__(self, embedder, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
        self.embed_calls: list[int] = []  # texts per call
        self.batches = 0
        embed, run = embedder.embed, embedder._run

        def counted_embed(texts):  # type: ignore[no-untyped-def]
            self.embed_calls.append(len(texts))
            return embed(texts)

        def counted_run(batch):  # type: ignore[no-untyped-def]
            self.batches += 1
            return run(batch)

        monkeypatch.setattr(embedder, "embed", counted_embed)
        monkeypatch.setattr(embedder, "_run", counted_run)


def _write_corpus(folder: Path) -> list[Path]:
    """Short files of uneven length: one to several passages each."""
    folder.mkdir()
    paths = []
    for n, (name, sentence) in enumerate(TOPICS):
        sections = "\n\n".join(
            f"## Part {i + 1}\n\n" + " ".join([sentence] * (1 + (i + n) % 4))
            for i in range(n % 3 + 1)
        )
        path = folder / f"{n}-{name}.md"
        path.write_text(f"# {name.title()}\n\n{sections}\n", encoding="utf-8")
        paths.append(path)
    return paths


def _stored(app) -> dict[tuple[str, int], tuple[int | None, str, str, np.ndarray]]:  # type: ignore[no-untyped-def]
    """Every ready chunk by (file name, ordinal): page, section, text and vector."""
    col = app.library.get_collection("default")
    with app.db.session() as s:
        rows = s.execute(
            select(Chunk, Document).join(Document).where(Document.status == DocumentStatus.READY)
        ).all()
        sources = {d.id: Path(app.library.vault.open_document(d).source).name for _, d in rows}
        opened = {c.id: (c, app.library.vault.open_chunk(c, col.id)) for c, _ in rows}
    vectors = app.index.vectors("default", list(opened))
    return {
        (sources[c.document_id], c.ordinal): (c.page, section, text, vectors[cid])
        for cid, (c, (section, text)) in opened.items()
    }


def _counts(app) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    with app.db.session() as s:
        docs = s.scalar(select(func.count(Document.id))) or 0
        pending = (
            s.scalar(
                select(func.count(Document.id)).where(Document.status == DocumentStatus.PENDING)
            )
            or 0
        )
        chunks = s.scalar(select(func.count(Chunk.id))) or 0
    return docs, pending, chunks, app.index.count("default")


def test_one_call_embeds_its_files_together_and_stores_what_one_by_one_stores(
    tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _write_corpus(tmp_path / "docs")
    counter = EncoderCounter(embedder, monkeypatch)

    alone = make_app(tmp_path / "alone", embedder, None)
    together = make_app(tmp_path / "together", embedder, None)
    try:
        for path in paths:
            assert alone.ingest([path])[0].status == "added"
        assert len(counter.embed_calls) == len(paths)  # one call per file
        batches_alone = counter.batches

        counter.embed_calls.clear()
        counter.batches = 0
        seen: list[str] = []
        results = together.ingest([tmp_path / "docs"], on_result=lambda r: seen.append(r.path.name))
        chunks = sum(r.chunks for r in results)
        # All the call's chunks in one embedding call, cut into batches of 32 across files.
        assert counter.embed_calls == [chunks]
        assert counter.batches == -(-chunks // embedder.batch_size) < batches_alone
        # Results keep the input order, reported as the files are stored.
        assert [r.path.name for r in results] == seen == [p.name for p in paths]
        assert all(r.status == "added" for r in results)

        one_by_one, pooled = _stored(alone), _stored(together)
        assert one_by_one.keys() == pooled.keys() and len(pooled) == chunks
        for key, (page, section, text, vector) in one_by_one.items():
            assert pooled[key][:3] == (page, section, text)
            # Batches padded differently give the same vector up to rounding.
            assert float(vector @ pooled[key][3]) > 0.999, key
        for question in ("When does the canteen close?", "Who keeps the laptop keys?"):
            expect = [(Path(h.source).name, h.text) for h in alone.retrieve(question, k=4)]
            got = [(Path(h.source).name, h.text) for h in together.retrieve(question, k=4)]
            assert got == expect and got
    finally:
        alone.close()
        together.close()


def test_the_pool_is_flushed_every_n_chunks(
    tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for n, (name, sentence) in enumerate(TOPICS):
        (folder / f"{n}-{name}.txt").write_text(sentence, encoding="utf-8")
    app = make_app(tmp_path / "data", embedder, None)
    app.library.pool_chunks = 4
    counter = EncoderCounter(embedder, monkeypatch)
    try:
        results = app.ingest([folder])
        assert [r.chunks for r in results] == [1] * len(TOPICS)
        assert counter.embed_calls == [4, 2]  # never more than four chunks held
        assert _counts(app) == (len(TOPICS), 0, len(TOPICS), len(TOPICS))
    finally:
        app.close()


def test_a_failing_file_among_pooled_ones_fails_alone(
    tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "docs"
    paths = _write_corpus(folder)
    (folder / "2-bad.pdf").write_bytes(b"%PDF-1.4 this is not a pdf at all")
    (folder / "4-empty.txt").write_bytes(b"")
    counter = EncoderCounter(embedder, monkeypatch)
    app = make_app(tmp_path / "data", embedder, None)
    try:
        results = app.ingest([folder])
        by_name = {r.path.name: r for r in results}
        assert [r.path.name for r in results] == sorted(by_name)  # input order kept
        assert by_name["2-bad.pdf"].status == "failed"
        assert "2-bad.pdf" in (by_name["2-bad.pdf"].error or "")
        assert by_name["4-empty.txt"].status == "failed"
        assert "empty" in (by_name["4-empty.txt"].error or "")
        assert all(by_name[p.name].status == "added" for p in paths)
        assert len(counter.embed_calls) == 1  # the good files still went together
        docs, pending, chunks, vectors = _counts(app)
        assert (docs, pending) == (len(paths), 0)
        assert chunks == vectors == sum(by_name[p.name].chunks for p in paths)
        # Nothing of the failed files: no sealed original, no key left behind.
        ready = {d.id for d in app.library.documents("default")}
        assert app.library.vault.blob_ids() == ready
        hits = app.retrieve("Who keeps the laptop keys?", k=1)
        assert hits and Path(hits[0].source).name == "4-laptops.md"
    finally:
        app.close()


def test_same_name_or_content_twice_in_one_call_is_judged_as_one_by_one(
    tmp_path: Path, embedder
) -> None:
    a = tmp_path / "a.txt"
    a.write_text("The archive room opens at nine.", encoding="utf-8")
    copy = tmp_path / "copy.txt"
    shutil.copy(a, copy)
    b = tmp_path / "b.txt"
    b.write_text("Keys are kept at reception.", encoding="utf-8")
    app = make_app(tmp_path / "data", embedder, None)
    try:
        results = app.ingest([a, b, copy, a])
        assert [r.status for r in results] == ["added", "added", "duplicate", "unchanged"]
        assert "a.txt" in (results[2].error or "")
        assert _counts(app) == (2, 0, 2, 2)
    finally:
        app.close()


@pytest.mark.parametrize("crash_at", ["after-vectors", "after-ready"])
def test_a_kill_during_a_pooled_flush_leaves_no_half_document(
    tmp_path: Path, embedder, crash_at: str
) -> None:
    data = tmp_path / "data"
    folder = tmp_path / "docs"
    paths = _write_corpus(folder)[:3]
    for extra in sorted(folder.iterdir())[3:]:
        extra.unlink()
    make_pdf(folder / "9-vault.pdf", ["Page one mentions the vault.", "Page two: vault rules."])
    proc = run_cli("ingest", str(folder), data_dir=data, env={"APPLIANCE_CRASH_AT": crash_at})
    assert proc.returncode == 137, proc.stderr

    app = make_app(data, embedder, None)  # opening runs recovery
    try:
        names = {Path(d.source).name for d in app.library.documents("default")}
        expected = {p.name for p in paths} | {"9-vault.pdf"} if crash_at == "after-ready" else set()
        assert names == expected
        docs, pending, chunks, vectors = _counts(app)
        assert (docs, pending) == (len(expected), 0) and chunks == vectors
        assert app.library.vault.blob_ids() == {d.id for d in app.library.documents("default")}
        again = app.ingest([folder])
        want = "unchanged" if crash_at == "after-ready" else "added"
        assert [r.status for r in again] == [want] * 4
        assert any(h.page == 2 for h in app.retrieve("vault rules", k=3))
    finally:
        app.close()
