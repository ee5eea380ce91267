"""Retrieval quality on a corpus nobody on the team wrote: standard-library docs.

Each of ~110 modules' documentation is one Markdown document, ingested by the
real pipeline. ~90 questions (retrieval_questions.py) each target one module;
a question scores at the document level: recall@1 if the first hit comes from
the target module, recall@5 if any of the first five does. Compared on the
same chunks and vectors:

* appliance: ``app.retrieve(q, k=5)`` (dense + BM25 fused, relevance gate);
* dense + gate: ``Retriever.retrieve(..., hybrid=False)``;
* dense, no gate: Chroma's top 5, and an exact cosine top 5 over all vectors;
* BM25 only: the appliance's lexical index over the same texts, no gate.

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/bench_retrieval.py
"""

from __future__ import annotations

import argparse
import hashlib
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from benchkit import (
    make_appliance,
    median,
    print_footer,
    print_header,
    print_padding,
    print_truncation,
    table,
    timed,
    token_counts,
)
from retrieval_questions import QUESTIONS, check_questions
from stdlib_corpus import MODULES, write_markdown_corpus

K = 5
Search = Callable[[str], list[str]]  # question -> chunk ids, best first


@dataclass
class Score:
    """Document-level results of one method over all questions."""

    top1: int = 0
    top5: int = 0
    rr: float = 0.0
    empty: int = 0
    short: int = 0
    seconds: list[float] = field(default_factory=list)
    misses: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, question: str, target: str, modules: list[str], secs: float) -> None:
        self.seconds.append(secs)
        self.empty += not modules
        self.short += 0 < len(modules) < K
        docs = list(dict.fromkeys(modules[:K]))
        self.top1 += bool(docs) and docs[0] == target
        self.top5 += target in docs
        self.rr += 1.0 / (docs.index(target) + 1) if target in docs else 0.0
        if not docs or docs[0] != target:
            self.misses.append((question, target, docs[0] if docs else "(no hits)"))


class Corpus:
    """The ingested chunks: ids, module of each, the texts the lexical index sees, vectors."""

    def __init__(self, app, collection) -> None:  # type: ignore[no-untyped-def]
        from sqlalchemy import select

        from appliance.ingest.chunker import ChunkDraft, context_header
        from appliance.store.schema import Chunk, Document, DocumentStatus

        with app.db.session() as s:
            found_rows = s.execute(
                select(Chunk, Document)
                .join(Document)
                .where(
                    Document.collection_id == collection.id, Document.status == DocumentStatus.READY
                )
            ).all()
        # Titles, sources and passages are sealed at rest: opened here, in memory.
        infos = {d.id: app.vault.open_document(d) for _, d in found_rows}
        rows = []
        for chunk, doc in found_rows:
            section, text = app.vault.open_chunk(chunk, collection.id)
            rows.append((chunk.id, text, section, infos[doc.id].title, infos[doc.id].source))
        self.ids = [r[0] for r in rows]
        # Same text the appliance's retriever hands its BM25 index.
        self.texts = [f"{context_header(r[3], r[2])} {r[1]}" for r in rows]
        # Same text ingestion embedded (ChunkDraft.context_text).
        self.embedded = [ChunkDraft(0, None, r[2], r[1]).context_text(r[3]) for r in rows]
        self.module = {r[0]: Path(r[4]).stem for r in rows}
        self.ids_of: dict[str, list[int]] = {}
        for i, cid in enumerate(self.ids):
            self.ids_of.setdefault(self.module[cid], []).append(i)
        from appliance.rag.spaces import space_of

        found = app.index.vectors(space_of(collection), self.ids)
        self.matrix = np.stack([found[i] for i in self.ids])


def methods(app, collection, corpus: Corpus) -> dict[str, Search]:  # type: ignore[no-untyped-def]
    """Every retrieval method under test, as question -> chunk ids."""
    from appliance.rag import retrieval
    from appliance.rag.lexical import LexicalIndex
    from appliance.rag.spaces import space_of

    embed = app.library.embedder_for(collection).embed_one
    lexical = LexicalIndex(corpus.ids, corpus.texts)

    def exact(q: str) -> list[str]:
        sims = corpus.matrix @ embed(q)
        return [corpus.ids[i] for i in np.argsort(-sims)[:K]]

    def without_join(q: str) -> list[str]:
        """app.retrieve as before the neighbour join (retrieval.JOIN_DEPTH 0)."""
        depth = retrieval.JOIN_DEPTH
        retrieval.JOIN_DEPTH = 0
        try:
            return [h.chunk_id for h in app.retrieve(q, k=K)]
        finally:
            retrieval.JOIN_DEPTH = depth

    return {
        "appliance hybrid (app.retrieve)": lambda q: [h.chunk_id for h in app.retrieve(q, k=K)],
        "appliance hybrid, no neighbour join": without_join,
        "dense + gate (hybrid=False)": lambda q: [
            h.chunk_id for h in app.retriever.retrieve(q, collection, K, hybrid=False)
        ],
        "dense, Chroma top-5, no gate": lambda q: [
            h.chunk_id for h in app.index.query(space_of(collection), embed(q), K)
        ],
        "dense, exact cosine, no gate": exact,
        "BM25 only, no gate": lambda q: [h.chunk_id for h in lexical.search(q, K)],
    }


def identifier_questions(paths: dict[str, Path]) -> list[tuple[str, str]]:
    """Questions naming a function, as a developer searching the docs would ask.

    For each module, one snake_case callable that the documentation of no other
    module mentions; picked deterministically (the middle one, sorted). Exact
    names are where an embedding model alone is weakest.
    """
    texts = {module: path.read_text(encoding="utf-8") for module, path in paths.items()}
    questions = []
    for module, text in sorted(texts.items()):
        names = sorted(set(re.findall(r"\b([a-z][a-z0-9]*_[a-z0-9_]+)\(", text)))
        unique = [n for n in names if sum(n in other for other in texts.values()) == 1]
        if unique:
            questions.append((f"What does {unique[len(unique) // 2]} do?", module))
    return questions


def evaluate(
    searches: dict[str, Search], corpus: Corpus, questions: list[tuple[str, str]]
) -> dict[str, Score]:
    scores = {name: Score() for name in searches}
    for question, target in questions:
        for name, search in searches.items():
            with timed() as t:
                ids = search(question)
            scores[name].add(question, target, [corpus.module[i] for i in ids], t[0])
    return scores


def print_gate_margin(corpus: Corpus, embed: Callable[[str], np.ndarray], gate: float) -> None:
    """Cosine of each question to its best target chunk, against the relevance gate."""
    best = []
    for question, target in QUESTIONS:
        sims = corpus.matrix[corpus.ids_of[target]] @ embed(question)
        best.append(float(sims.max()))
    arr = np.array(best)
    print(
        f"cosine of each question to its target's best chunk: min {arr.min():.3f}, "
        f"10th percentile {np.percentile(arr, 10):.3f}, median {np.median(arr):.3f}; "
        f"{int((arr < gate).sum())} of {len(arr)} below the gate ({gate})"
    )


def _merge(a: Score, b: Score) -> Score:
    return Score(
        a.top1 + b.top1,
        a.top5 + b.top5,
        a.rr + b.rr,
        a.empty + b.empty,
        a.short + b.short,
        a.seconds + b.seconds,
        a.misses + b.misses,
    )


def report(scores: dict[str, Score], min_sim: float, n: int, show_misses: bool = True) -> None:
    rows = [
        [name, s.top1 / n, s.top5 / n, s.rr / n, s.empty, s.short, median(s.seconds) * 1000]
        for name, s in scores.items()
    ]
    print(
        table(
            [
                "method",
                "recall@1",
                "recall@5",
                "MRR@5",
                "questions with 0 hits",
                f"with 1-{K - 1} hits",
                "ms/query (median)",
            ],
            rows,
        )
    )
    print(
        f"\n{n} questions; the gate drops a hit whose cosine is below min_dense_similarity "
        f"= {min_sim} unless it covers >= 60% of the question's content words."
    )
    if not show_misses:
        return
    misses = next(iter(scores.values())).misses
    print(f"\nappliance hybrid: {len(misses)} questions whose first hit is not the target:")
    print(
        table(["question", "target", "first hit from"], [[q[:70], t, got] for q, t, got in misses])
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--max-chars", type=int, default=5000, help="documentation characters kept per module"
    )
    parser.add_argument(
        "--embedder",
        default="all-MiniLM-L6-v2",
        choices=["all-MiniLM-L6-v2", "use-multilingual-v3"],
        help="embedding_model of the collection (the default: the appliance's default)",
    )
    args = parser.parse_args()
    check_questions()

    print_header(f"Retrieval quality: standard-library documentation ({args.embedder})")
    with tempfile.TemporaryDirectory(prefix="bench-retrieval-") as tmp_name:
        tmp = Path(tmp_name)
        paths = write_markdown_corpus(tmp / "corpus", MODULES, args.max_chars)
        app = make_appliance(tmp / "data", embedding_model=args.embedder)
        try:
            with timed() as t_ingest:
                results = app.ingest(list(paths.values()))
            bad = [r for r in results if not r.ok]
            collection = app.library.get_collection("default")
            corpus = Corpus(app, collection)
            digest = hashlib.sha256(b"".join(p.read_bytes() for p in paths.values())).hexdigest()[
                :12
            ]
            print(
                f"corpus sha256 {digest}: {len(paths)} modules (Python's own docstrings, up to "
                f"{args.max_chars} characters each), {len(corpus.ids)} chunks, ingested in "
                f"{t_ingest[0]:.1f} s; {len(bad)} files failed"
            )
            multilingual = args.embedder != "all-MiniLM-L6-v2"
            if not multilingual:  # token statistics of all-MiniLM-L6-v2's tokenizer
                print_truncation(corpus.embedded)
                tokens = token_counts(corpus.embedded)
                print_padding([[tokens[i] for i in idx] for idx in corpus.ids_of.values()])
            gate = (
                app.settings.multilingual_min_dense_similarity
                if multilingual
                else app.settings.min_dense_similarity
            )
            print_gate_margin(corpus, app.library.embedder_for(collection).embed_one, gate)
            print()
            searches = methods(app, collection, corpus)
            print("### Paraphrased questions (retrieval_questions.py, no module names)\n")
            paraphrased = evaluate(searches, corpus, list(QUESTIONS))
            report(paraphrased, gate, len(QUESTIONS))
            named = identifier_questions(paths)
            print(f"\n### Questions naming a function ({len(named)}, generated from the docs)\n")
            by_name = evaluate(searches, corpus, named)
            report(by_name, gate, len(named), show_misses=False)
            print(f"\n### Both sets together ({len(QUESTIONS) + len(named)} questions)\n")
            both = {name: _merge(paraphrased[name], by_name[name]) for name in paraphrased}
            report(both, gate, len(QUESTIONS) + len(named), show_misses=False)
        finally:
            app.close()
    print_footer()


if __name__ == "__main__":
    main()
