"""Ingestion speed (pages/s, chunks/s) and embedding throughput against two baselines.

The corpus is generated PDFs of standard-library documentation (real text of
varied length, about 80 pages). Embedding is compared on the very chunks
ingestion produces, interleaved so every side sees the same machine load:

* appliance: ``OnnxEmbedder`` (length-sorted batches padded to their longest);
* direct: onnxruntime called the naive way (every text padded to 256 tokens,
  batches of 32 in input order, mean pooling), same model file;
* chromadb stock: ``ONNXMiniLM_L6_V2`` pointed at a copy of the same files
  (no download: its downloader is replaced by one that refuses).

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/bench_ingest.py
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from benchkit import (
    EMBEDDING_DIR,
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
from stdlib_corpus import write_pdf_corpus

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


def chunk_texts(paths: list[Path]) -> tuple[list[str], dict[str, float]]:
    """Load and chunk like ingestion does; returns the embedded texts and stage times."""
    from appliance.ingest import chunk_document, load_document

    texts: list[str] = []
    load_s = chunk_s = 0.0
    for path in paths:
        with timed() as t_load:
            doc = load_document(path, max_bytes=1 << 30)
        with timed() as t_chunk:
            drafts = chunk_document(doc)
        load_s += t_load[0]
        chunk_s += t_chunk[0]
        texts += [d.context_text(doc.title) for d in drafts]
    return texts, {"load": load_s, "chunk": chunk_s}


def full_ingest(paths: list[Path], tmp: Path, embedder: object, rep: int) -> dict[str, float]:
    """The real pipeline into a fresh data directory; returns its counts and time."""
    app = make_appliance(tmp / f"data-{rep}", embedder=embedder)
    try:
        with timed() as t:
            results = app.ingest(paths)
    finally:
        app.close()
    failed = [r for r in results if not r.ok]
    if failed:
        raise SystemExit(f"ingestion failed: {failed[0].path}: {failed[0].error}")
    return {
        "seconds": t[0],
        "pages": sum(r.pages or 0 for r in results),
        "chunks": sum(r.chunks for r in results),
        "docs": len(results),
    }


def report_ingest(runs: list[dict[str, float]], stages: dict[str, float], embed_s: float) -> None:
    secs = median([r["seconds"] for r in runs])
    pages, chunks, docs = runs[0]["pages"], runs[0]["chunks"], runs[0]["docs"]
    print(
        table(
            ["documents", "pages", "chunks", "seconds (median)", "pages/s", "chunks/s"],
            [[int(docs), int(pages), int(chunks), secs, pages / secs, chunks / secs]],
        )
    )
    rest = secs - stages["load"] - stages["chunk"] - embed_s
    print("\nwhere the time goes (stages timed apart, one pass):")
    print(
        table(
            ["stage", "seconds", "share of ingest"],
            [
                ["load (PDF text extraction)", stages["load"], stages["load"] / secs],
                ["chunk", stages["chunk"], stages["chunk"] / secs],
                ["embed (appliance)", embed_s, embed_s / secs],
                ["store: SQLite + Chroma + hashing (remainder)", rest, rest / secs],
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=60, help="approximate corpus size")
    parser.add_argument("--ingest-reps", type=int, default=1)
    parser.add_argument(
        "--embed-chunks", type=int, default=64, help="chunks used for the embedder comparison"
    )
    parser.add_argument("--queries", type=int, default=16, help="short texts for the latency test")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from appliance.embeddings import OnnxEmbedder

    print_header("Ingestion and embedding throughput")
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp_name:
        tmp = Path(tmp_name)
        with timed() as t_gen:
            paths = write_pdf_corpus(tmp / "corpus", target_pages=args.pages)
        with timed() as t_load:
            embedder = OnnxEmbedder(model_dir())
        print(
            f"corpus: {len(paths)} generated PDFs ({t_gen[0]:.1f} s to write, not counted); "
            f"embedding model loaded in {t_load[0]:.2f} s (not counted)\n"
        )
        runs = [full_ingest(paths, tmp, embedder, i) for i in range(args.ingest_reps)]
        texts, stages = chunk_texts(paths)
        with timed() as t_embed:
            embedder.embed(texts)
        report_ingest(runs, stages, t_embed[0])
        print()
        print_truncation(texts)

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
    print_footer()


if __name__ == "__main__":
    main()
