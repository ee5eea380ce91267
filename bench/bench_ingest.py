"""Ingestion speed (pages/s, chunks/s) and embedding throughput against two baselines.

The corpus is generated PDFs of standard-library documentation (real text of
varied length, about 80 pages). Then ``Appliance.ingest`` embedding the chunks
of a call's files together (its default) against file by file
(``library.pool_chunks = 1``), interleaved: on many short Markdown files and on
text PDFs; and the pages/s of a scanned PDF read by OCR. Embedding is compared
on the very chunks ingestion produces, interleaved so every side sees the same
machine load:

* appliance: ``OnnxEmbedder`` (length-sorted batches padded to their longest);
* direct: onnxruntime called the naive way (every text padded to 256 tokens,
  batches of 32 in input order, mean pooling), same model file;
* chromadb stock: ``ONNXMiniLM_L6_V2`` pointed at a copy of the same files
  (no download: its downloader is replaced by one that refuses).

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/bench_ingest.py
    ... bench_ingest.py --sections batching,ocr   # only the new sections
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from benchkit import (
    EMBEDDING_DIR,
    REPO,
    interleave,
    make_appliance,
    median,
    model_dir,
    print_footer,
    print_header,
    print_truncation,
    ratio,
    table,
    timed,
)
from stdlib_corpus import (
    MODULES,
    module_markdown,
    plain_paragraphs,
    write_markdown_corpus,
    write_pdf_corpus,
)

if TYPE_CHECKING:
    from appliance.embeddings import OnnxEmbedder

Embed = Callable[[list[str]], np.ndarray]
CHROMA_FILES = (
    "config.json",
    "model.onnx",
    "special_tokens_map.json",
    "tokenizer_config.json",
    "tokenizer.json",
)


class NaiveOnnx:
    """What a first attempt looks like: fixed padding to 256, batches in input order."""

    def __init__(self, folder: Path, max_tokens: int = 256, batch_size: int = 32) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]", length=max_tokens)
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(folder / "model.onnx"), sess_options=opts, providers=["CPUExecutionProvider"]
        )

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.concatenate(
            [
                self._batch(texts[i : i + self.batch_size])
                for i in range(0, len(texts), self.batch_size)
            ]
        )

    def _batch(self, texts: list[str]) -> np.ndarray:
        enc = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, feed)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def _refuse_download(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("benchmark must run offline: chromadb tried to download its model")


def chroma_stock(tmp: Path) -> Embed:
    """chromadb's own embedding function on a copy of the appliance's model files."""
    from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2

    src = model_dir() / EMBEDDING_DIR
    dest = tmp / "chroma-onnx" / ONNXMiniLM_L6_V2.EXTRACTED_FOLDER_NAME
    dest.mkdir(parents=True)
    for name in CHROMA_FILES:
        shutil.copy2(src / name, dest / name)
    vocab = json.loads((src / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    words = sorted(vocab, key=vocab.__getitem__)
    (dest / "vocab.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    ef = ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"])
    ef.DOWNLOAD_PATH = dest.parent  # type: ignore[misc]
    ef._download = _refuse_download  # type: ignore[method-assign]
    return lambda texts: np.asarray(ef(texts), dtype=np.float32)


class StageClock:
    """Times ingestion's steps inside the real ``Appliance.ingest`` call by wrapping
    them, so the breakdown and the total come from the same run and the same load.

    Wraps the loader and chunker as the document library imported them, the
    embedder's ``embed`` and the vector index's ``add``; ``restore`` undoes it.
    """

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(("load", "chunk", "embed", "chroma"), 0.0)
        self.texts: list[str] = []
        self._undo: list[tuple[object, str, object]] = []

    def wrap(self, owner: object, attr: str, stage: str) -> None:
        original = getattr(owner, attr)

        def timed_call(*args: object, **kwargs: object) -> object:
            if stage == "embed":
                self.texts += list(args[0])  # type: ignore[call-overload]
            with timed() as t:
                result = original(*args, **kwargs)
            self.seconds[stage] += t[0]
            return result

        self._undo.append((owner, attr, original))
        setattr(owner, attr, timed_call)

    def restore(self) -> None:
        for owner, attr, original in reversed(self._undo):
            setattr(owner, attr, original)
        self._undo.clear()


def full_ingest(
    paths: list[Path], tmp: Path, embedder: OnnxEmbedder, rep: int
) -> tuple[dict[str, float], StageClock]:
    """The real pipeline into a fresh data directory, its steps timed from inside."""
    import appliance.rag.documents as documents

    app = make_appliance(tmp / f"data-{rep}", embedder=embedder)
    clock = StageClock()
    clock.wrap(documents, "load_document", "load")
    clock.wrap(documents, "chunk_document", "chunk")
    clock.wrap(embedder, "embed", "embed")
    clock.wrap(app.index, "add", "chroma")
    try:
        with timed() as t:
            results = app.ingest(paths)
    finally:
        clock.restore()
        app.close()
    failed = [r for r in results if not r.ok]
    if failed:
        raise SystemExit(f"ingestion failed: {failed[0].path}: {failed[0].error}")
    counts = {
        "seconds": t[0],
        "pages": sum(r.pages or 0 for r in results),
        "chunks": sum(r.chunks for r in results),
        "docs": len(results),
    }
    return counts, clock


def report_ingest(runs: list[tuple[dict[str, float], StageClock]]) -> None:
    counts = [r[0] for r in runs]
    secs = median([c["seconds"] for c in counts])
    pages, chunks, docs = counts[0]["pages"], counts[0]["chunks"], counts[0]["docs"]
    print(
        table(
            ["documents", "pages", "chunks", "seconds (median)", "pages/s", "chunks/s"],
            [[int(docs), int(pages), int(chunks), secs, pages / secs, chunks / secs]],
        )
    )
    total, stages = counts[0]["seconds"], runs[0][1].seconds
    names = {
        "load": "load (PDF text extraction)",
        "chunk": "chunk",
        "embed": "embed (appliance, the call's files together)",
        "chroma": "Chroma upsert",
    }
    rows = [[names[k], v, v / total] for k, v in stages.items()]
    rest = total - sum(stages.values())
    rows.append(["remainder: SQLite, file hashing, locking, recovery", rest, rest / total])
    print("\nwhere the time goes (timed inside the first ingest run):")
    print(table(["stage", "seconds", "share of ingest"], rows))


class EncoderMeter:
    """Counts what the encoder computes: token positions fed (each batch padded to its
    longest member) against real tokens, by wrapping the embedder's batch runner."""

    def __init__(self, embedder: OnnxEmbedder) -> None:
        self.positions = 0
        self.tokens = 0
        self.batches = 0
        self._embedder = embedder
        self._run = embedder._run

        def counted(batch: list) -> np.ndarray:  # type: ignore[type-arg]
            self.batches += 1
            self.positions += len(batch) * max(len(e.ids) for e in batch)
            self.tokens += sum(len(e.ids) for e in batch)
            return self._run(batch)

        embedder._run = counted  # type: ignore[method-assign]

    def restore(self) -> None:
        self._embedder._run = self._run  # type: ignore[method-assign]


def timed_ingest(
    paths: list[Path], data_dir: Path, embedder: OnnxEmbedder, pool_chunks: int | None
) -> dict[str, float]:
    """One ``Appliance.ingest`` call into a fresh data directory; ``pool_chunks`` 1
    embeds file by file, None keeps the appliance's default."""
    app = make_appliance(data_dir, embedder=embedder)
    if pool_chunks is not None:
        app.library.pool_chunks = pool_chunks
    meter = EncoderMeter(embedder)
    try:
        with timed() as t:
            results = app.ingest(paths)
    finally:
        meter.restore()
        app.close()
        shutil.rmtree(data_dir, ignore_errors=True)
    failed = [r for r in results if not r.ok]
    if failed:
        raise SystemExit(f"ingestion failed: {failed[0].path}: {failed[0].error}")
    return {
        "seconds": t[0],
        "docs": len(results),
        "pages": sum(r.pages or 0 for r in results),
        "chunks": sum(r.chunks for r in results),
        "batches": meter.batches,
        "positions": meter.positions,
        "tokens": meter.tokens,
    }


def compare_batching(
    label: str, paths: list[Path], tmp: Path, embedder: OnnxEmbedder, rounds: int
) -> None:
    """File by file vs the call's files together, interleaved, fresh data directory each run."""
    runs: dict[str, list[dict[str, float]]] = {"file by file": [], "across files": []}
    pool = {"file by file": 1, "across files": None}

    def runner(name: str) -> Callable[[], float]:
        def run() -> float:
            # A new folder name each run: Chroma keeps a client per path in the process.
            data_dir = Path(tempfile.mkdtemp(prefix="batching-", dir=tmp))
            got = timed_ingest(paths, data_dir, embedder, pool[name])
            runs[name].append(got)
            return got["seconds"]

        return run

    times = interleave({n: runner(n) for n in runs}, rounds)
    first = runs["across files"][0]
    print(
        f"\n{label}: {int(first['docs'])} files, {int(first['pages'])} pages, "
        f"{int(first['chunks'])} chunks; {rounds} interleaved rounds, fresh data directory each"
    )
    rows = []
    for name, got in runs.items():
        secs = median(times[name])
        c = got[0]
        rows.append(
            [
                name,
                secs,
                c["docs"] / secs,
                c["pages"] / secs if c["pages"] else "-",
                c["chunks"] / secs,
                int(c["batches"]),
                c["positions"] / c["tokens"],
                ratio(median(times["file by file"]), secs),
            ]
        )
    print(
        table(
            [
                "embedding",
                "seconds (median)",
                "files/s",
                "pages/s",
                "chunks/s",
                "encoder batches",
                "positions per real token",
                "speed-up",
            ],
            rows,
        )
    )
    spread = (f"{n} " + ", ".join(f"{t:.1f}" for t in ts) for n, ts in times.items())
    print("seconds per run: " + "; ".join(spread))


def ocr_ingest(tmp: Path, embedder: OnnxEmbedder, pages: int, rounds: int) -> None:
    """A scanned PDF (pages are images, no text layer) through ``Appliance.ingest``:
    PDFium renders, Tesseract reads (all claimed languages), then the usual path.
    Pages are the tests' own renders of standard-library documentation text."""
    sys.path.insert(0, str(REPO))
    from appliance.ingest import ocr
    from tests.docgen import make_mixed_pdf  # the tests' own page renderer

    if not ocr.ocr_available():
        print("\nscanned PDF: skipped, Tesseract is not installed (scripts/install-ocr)")
        return
    texts = [" ".join(plain_paragraphs(module_markdown(m, 1400))[:6])[:1400] for m in MODULES]
    pdf = make_mixed_pdf(tmp / "scanned.pdf", [("scan", t) for t in texts[:pages]])
    got: list[dict[str, float]] = []
    clock = StageClock()
    clock.seconds = {"ocr": 0.0, "embed": 0.0}
    for rep in range(rounds):
        clock.wrap(ocr, "read_pdf_pages", "ocr")
        clock.wrap(embedder, "embed", "embed")
        try:
            got.append(timed_ingest([pdf], tmp / f"ocr-{rep}", embedder, None))
        finally:
            clock.restore()
    secs = median([g["seconds"] for g in got])
    total = sum(g["seconds"] for g in got)
    c = got[0]
    print(
        f"\nscanned PDF, {int(c['pages'])} pages rendered at {ocr.RENDER_DPI} dpi, "
        f"Tesseract languages {ocr.languages()}; {rounds} run(s)"
    )
    print(
        table(
            [
                *("document", "pages", "chunks", "seconds (median)", "pages/s", "chunks/s"),
                *("OCR share", "embed share"),
            ],
            [
                [
                    "scanned PDF (OCR)",
                    int(c["pages"]),
                    int(c["chunks"]),
                    secs,
                    c["pages"] / secs,
                    c["chunks"] / secs,
                    clock.seconds["ocr"] / total,
                    clock.seconds["embed"] / total,
                ]
            ],
        )
    )


def compare_embedders(sides: dict[str, Embed], texts: list[str], rounds: int) -> None:
    """Throughput on chunk texts, interleaved; then agreement of the vectors."""
    vectors: dict[str, np.ndarray] = {}

    def runner(name: str) -> Callable[[], float]:
        def run() -> float:
            with timed() as t:
                vectors[name] = sides[name](texts)
            return t[0]

        return run

    times = interleave({n: runner(n) for n in sides}, rounds)
    rate = {n: len(texts) / median(ts) for n, ts in times.items()}
    print(
        table(
            ["embedder", "chunks/s (median)", "seconds per pass (median)", "appliance / this"],
            [[n, rate[n], median(times[n]), ratio(rate["appliance"], rate[n])] for n in sides],
        )
    )
    for other in [n for n in sides if n != "appliance"]:
        cos = np.sum(vectors["appliance"] * vectors[other], axis=1)
        verdict = "OK" if cos.min() > 0.99 else "BELOW 0.99"
        print(
            f"cosine appliance vs {other}: min {cos.min():.5f}, mean {cos.mean():.5f} ({verdict})"
        )


def compare_queries(sides: dict[str, Embed], queries: list[str], rounds: int) -> None:
    """Latency for one short text per call, as retrieval embeds a question."""

    def runner(name: str) -> Callable[[], float]:
        def run() -> float:
            with timed() as t:
                for q in queries:
                    sides[name]([q])
            return t[0] / len(queries)

        return run

    times = interleave({n: runner(n) for n in sides}, rounds)
    print(
        table(
            ["embedder", "ms per query (median)", "this / appliance"],
            [
                [n, median(ts) * 1000, ratio(median(ts), median(times["appliance"]))]
                for n, ts in times.items()
            ],
        )
    )


SECTIONS = ("ingest", "embedders", "batching", "ocr")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=60, help="approximate corpus size")
    parser.add_argument("--ingest-reps", type=int, default=1)
    parser.add_argument(
        "--embed-chunks", type=int, default=64, help="chunks used for the embedder comparison"
    )
    parser.add_argument("--queries", type=int, default=16, help="short texts for the latency test")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"any of {', '.join(SECTIONS)}"
    )
    parser.add_argument("--short-files", type=int, default=40, help="short Markdown files")
    parser.add_argument("--short-chars", type=int, default=2500, help="size of a short file")
    parser.add_argument("--batch-pages", type=int, default=8, help="text PDF pages, batching")
    parser.add_argument("--batch-rounds", type=int, default=2)
    parser.add_argument("--scan-pages", type=int, default=2, help="scanned PDF pages (OCR)")
    parser.add_argument("--scan-rounds", type=int, default=1)
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    if sections - set(SECTIONS):
        parser.error(f"unknown section(s): {', '.join(sorted(sections - set(SECTIONS)))}")

    from appliance.embeddings import OnnxEmbedder

    print_header("Ingestion and embedding throughput")
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp_name:
        tmp = Path(tmp_name)
        with timed() as t_load:
            embedder = OnnxEmbedder(model_dir())
        print(f"embedding model loaded in {t_load[0]:.2f} s (not counted)\n")
        if sections & {"ingest", "embedders"}:
            with timed() as t_gen:
                paths = write_pdf_corpus(tmp / "corpus", target_pages=args.pages)
            print(f"corpus: {len(paths)} generated PDFs ({t_gen[0]:.1f} s to write, not counted)")
            runs = [full_ingest(paths, tmp, embedder, i) for i in range(args.ingest_reps)]
            report_ingest(runs)
            texts = runs[0][1].texts
            print()
            print_truncation(texts)
        if "embedders" in sections:
            sample = texts[:: max(1, len(texts) // args.embed_chunks)][: args.embed_chunks]
            print(f"\nembedding {len(sample)} of those chunks, {args.rounds} interleaved rounds:")
            sides: dict[str, Embed] = {
                "appliance": embedder.embed,
                "direct (pad 256)": NaiveOnnx(model_dir() / EMBEDDING_DIR).embed,
                "chromadb stock": chroma_stock(tmp),
            }
            compare_embedders(sides, sample, args.rounds)
            queries = [" ".join(t.split("\n", 1)[-1].split()[:12]) for t in sample[: args.queries]]
            print(
                f"\nembedding {len(queries)} short queries one at a time (~12 words), "
                f"{args.rounds} interleaved rounds:"
            )
            compare_queries(sides, queries, args.rounds)
        if "batching" in sections and args.short_files:
            short = write_markdown_corpus(
                tmp / "short", MODULES[: args.short_files], max_chars=args.short_chars
            )
            compare_batching(
                f"many short Markdown files (standard-library docs, up to {args.short_chars} "
                "characters each)",
                list(short.values()),
                tmp,
                embedder,
                args.batch_rounds,
            )
        if "batching" in sections and args.batch_pages:
            pdfs = write_pdf_corpus(tmp / "pdfs", target_pages=args.batch_pages, per_pdf=4)
            compare_batching(
                "text PDFs, no OCR (generated, about 4 pages each)",
                pdfs,
                tmp,
                embedder,
                args.batch_rounds,
            )
        if "ocr" in sections:
            ocr_ingest(tmp, embedder, args.scan_pages, args.scan_rounds)
    print_footer()


if __name__ == "__main__":
    main()
