"""What encryption at rest costs: the same ingestion, retrieval and answers with the
real sealed vault and with a plaintext vault (benchmark-only baseline), same run.

The plaintext vault stores exactly the same fields unsealed (UTF-8 bytes) and
copies the original file as is; everything else (keyed hashes, Chroma, SQLite,
the models) is shared, so the difference is the AES-GCM work and key handling.
Sides are interleaved round by round so both see the same machine load.

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/bench_encryption.py
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from benchkit import (
    CHAT_MODEL,
    interleave,
    make_appliance,
    median,
    model_dir,
    print_footer,
    print_header,
    ratio,
    table,
    timed,
)
from stdlib_corpus import write_pdf_corpus

from appliance.store.schema import Chunk, Document
from appliance.store.vault import DocumentInfo, DocumentVault


class PlaintextVault(DocumentVault):
    """Baseline only: the vault's fields and files with no encryption at all."""

    def seal_document(self, collection_id, document_id, source, title):  # type: ignore[no-untyped-def]
        return {"source_sealed": source.encode(), "title_sealed": title.encode()}

    def seal_chunk(self, collection_id, document_id, chunk_id, section, text):  # type: ignore[no-untyped-def]
        return {"section_sealed": section.encode(), "text_sealed": text.encode()}

    def open_document(self, doc: Document) -> DocumentInfo:
        return DocumentInfo(
            doc.id,
            doc.collection_id,
            doc.source_sealed.decode(),
            doc.title_sealed.decode(),
            doc.kind,
            doc.size_bytes,
            doc.page_count,
            doc.chunk_count,
            doc.status,
            doc.created_at,
            doc.updated_at,
        )

    def open_chunk(self, chunk: Chunk, collection_id: int) -> tuple[str, str]:
        return chunk.section_sealed.decode(), chunk.text_sealed.decode()

    def store_original(self, collection_id: int, document_id: str, path: Path) -> None:
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, self.blob_path(document_id))

    def read_original(self, collection_id: int, document_id: str) -> Iterator[bytes]:
        yield self.blob_path(document_id).read_bytes()

    def destroy(self, document_id: str, reason: str = "deleted") -> None:
        self.delete_original(document_id)


SIDES = {"encrypted": DocumentVault, "plaintext": PlaintextVault}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--questions", type=int, default=8)
    parser.add_argument("--answer-tokens", type=int, default=48)
    args = parser.parse_args()

    from appliance.embeddings import OnnxEmbedder
    from appliance.llm import GenerationParams, LlamaEngine
    from appliance.llm.engine import EngineOptions

    print_header("Encryption at rest: overhead against a plaintext vault")
    with tempfile.TemporaryDirectory(prefix="bench-crypto-") as tmp_name:
        tmp = Path(tmp_name)
        paths = write_pdf_corpus(tmp / "corpus", target_pages=args.pages)
        embedder = OnnxEmbedder(model_dir())
        engine = LlamaEngine(model_dir() / CHAT_MODEL, EngineOptions(n_ctx=4096))
        apps = {}
        counter = iter(range(10_000))

        def ingest_runner(side: str) -> Callable[[], float]:
            def run() -> float:
                app = make_appliance(
                    tmp / f"{side}-{next(counter)}",
                    embedder=embedder,
                    engine=engine,
                    vault_class=SIDES[side],
                )
                with timed() as t:
                    results = app.ingest(paths)
                assert all(r.ok for r in results)
                apps[side] = app
                return t[0]

            return run

        ingest = interleave({s: ingest_runner(s) for s in SIDES}, args.rounds)
        chunks = sum(1 for _ in apps["encrypted"].retriever._ready_chunks(1)[0])
        questions = [
            q
            for q in (
                "How do I parse command-line arguments?",
                "How can I read a CSV file?",
                "How do I compute a SHA-256 digest?",
                "How are dates formatted as strings?",
                "How do I run a subprocess and capture its output?",
                "How can I compress data with gzip?",
                "How do I match a regular expression?",
                "How do I serialise an object to JSON?",
            )
        ][: args.questions]

        def retrieve_runner(side: str, cold: bool) -> Callable[[], float]:
            def run() -> float:
                app = apps[side]
                with timed() as t:
                    for q in questions:
                        if cold:  # as after every change: the lexical index opens every chunk
                            app.retriever._lexical._indexes.clear()
                        app.retrieve(q)
                return t[0]

            return run

        cold = interleave({s: retrieve_runner(s, True) for s in SIDES}, args.rounds)
        warm = interleave({s: retrieve_runner(s, False) for s in SIDES}, args.rounds)

        params = GenerationParams(max_tokens=args.answer_tokens, temperature=0.0, seed=7)

        def answer_runner(side: str) -> Callable[[], float]:
            def run() -> float:
                with timed() as t:
                    for q in questions[:3]:
                        apps[side].ask(q, params=params).result()
                return t[0]

            return run

        answer = interleave({s: answer_runner(s) for s in SIDES}, args.rounds)
        for app in apps.values():
            app.close()

    rows = []
    for name, runs in (
        (f"ingest {len(paths)} PDFs ({chunks} chunks)", ingest),
        (f"retrieve {len(questions)} questions, lexical index rebuilt each", cold),
        (f"retrieve {len(questions)} questions, index warm", warm),
        (f"answer 3 questions ({args.answer_tokens} tokens max)", answer),
    ):
        enc, plain = median(runs["encrypted"]), median(runs["plaintext"])
        rows.append([name, enc, plain, ratio(enc, plain), f"{(enc / plain - 1) * 100:+.1f}%"])
    print(
        table(
            ["work (median of rounds)", "encrypted s", "plaintext s", "ratio", "overhead"],
            rows,
        )
    )
    print_footer()


if __name__ == "__main__":
    main()
