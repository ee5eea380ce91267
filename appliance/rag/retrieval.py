"""Hybrid retrieval: dense (Chroma) and lexical (BM25) lists fused by rank.

Reciprocal rank fusion (Cormack et al., 2009) needs no score calibration
between the two lists. A hit counts as relevant when its cosine similarity to
the question clears ``min_dense_similarity`` (a floor per embedder), or when it
contains most of the question's content words (exact identifiers, names of forms,
article numbers).
The cosine counts only for a question the embedder can read (its words in few
pieces of the embedder's vocabulary): an English-only encoder finds every Greek
passage "similar" to every Greek question, so in languages it does not know the
words themselves must match. The question is embedded by the collection's own
embedder and compared with the vectors of that embedder's space only. When
nothing clears a bar the caller is told there is nothing to cite.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from appliance.embeddings import Embedder
from appliance.errors import ModelError
from appliance.ingest.chunker import context_header
from appliance.rag.lexical import LexicalCache, terms, words
from appliance.rag.spaces import embedder_of, space_of
from appliance.store.database import Database
from appliance.store.schema import Chunk, Collection, Document, DocumentStatus
from appliance.store.vault import DocumentVault
from appliance.store.vectors import VectorIndex

RRF_K = 60
# Weights of the two lists in the fusion. Equal weights: on bench/bench_retrieval.py
# other weights moved recall by a question or two either way, i.e. noise.
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 1.0
# How deep each list is read before fusion: max(8 k, 40) candidates per list. On the
# GDPR benchmark's dev questions (bench/RESULTS.md, section 11) a passage ranked
# 20-40th in one list and in the top 20 of the other was cut before fusion at the
# old depth, max(4 k, 20); depths 30-100 gave the same hits.
CANDIDATES_PER_HIT = 8
MIN_CANDIDATES = 40
# Passages mentioning someone the question names weigh as much as both searches.
ENTITY_WEIGHT = 2.0
# A lexical-only hit must contain this share of the question's content words.
MIN_LEXICAL_COVERAGE = 0.6
# Vocabulary pieces per content word of the question above which the cosine does
# not count (OnnxEmbedder.pieces_per_word). With all-MiniLM-L6-v2 the 94 English
# questions of bench/retrieval_questions.py measure 1.0-2.25; Greek, Bulgarian,
# Polish and Czech questions 3.0-9.0 (tests/test_extraction.py); German, French,
# Spanish, Italian and Dutch ones 1.9-3.4, on either side.
MAX_PIECES_PER_WORD = 2.5


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    document_id: str
    source: str
    title: str
    page: int | None
    section: str
    text: str
    score: float  # fused score, higher is better
    dense_similarity: float
    lexical_score: float
    lexical_coverage: float

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "page": self.page,
            "chunk_id": self.chunk_id,
            "score": round(self.score, 6),
            "dense_similarity": round(self.dense_similarity, 4),
            "lexical_score": round(self.lexical_score, 4),
            "title": self.title,
            "section": self.section,
            "text": self.text,
        }


class Retriever:
    def __init__(
        self,
        db: Database,
        index: VectorIndex,
        embedder: Embedder,
        vault: DocumentVault,
        *,
        min_dense_similarity: float,
        embedder_named: Callable[[str], Embedder] | None = None,
        min_similarity_by_embedder: Mapping[str, float] | None = None,
    ) -> None:
        self.db = db
        self.index = index
        self.vault = vault
        self.embedder = embedder
        self._embedder_named = embedder_named
        self.min_dense_similarity = min_dense_similarity
        # Embedders' cosines run on different scales: a floor per embedder name.
        self.min_similarity_by_embedder = dict(min_similarity_by_embedder or {})
        self._lexical = LexicalCache()

    def _ready_chunks(self, collection_id: int) -> tuple[list[str], list[str]]:
        """Every ready chunk's id and searchable text (opened in memory only)."""
        with self.db.session() as s:
            rows = s.execute(
                select(Chunk, Document)
                .join(Document)
                .where(
                    Document.collection_id == collection_id,
                    Document.status == DocumentStatus.READY,
                )
            ).all()
        titles: dict[str, str] = {}
        ids, texts = [], []
        for chunk, doc in rows:
            if doc.id not in titles:
                titles[doc.id] = self.vault.open_document(doc).title
            section, text = self.vault.open_chunk(chunk, collection_id)
            ids.append(chunk.id)
            texts.append(f"{context_header(titles[doc.id], section)} {text}")
        return ids, texts

    def retrieve(
        self,
        question: str,
        collection: Collection,
        k: int,
        *,
        hybrid: bool = True,
        entity_chunks: list[str] | None = None,
    ) -> list[Hit]:
        """Hybrid search. ``entity_chunks``: passages that mention a person or identifier
        the question names (best first); they join the fusion as a third ranking and
        pass the relevance gate, since the question is about them."""
        pool = max(CANDIDATES_PER_HIT * k, MIN_CANDIDATES)
        embedder = self.embedder_for(collection)
        space = space_of(collection)
        qvec = embedder.embed_one(question)
        dense = self.index.query(space, qvec, pool)
        dense_rank = {h.chunk_id: i for i, h in enumerate(dense)}
        dense_sim = {h.chunk_id: h.similarity for h in dense}
        lex_rank: dict[str, int] = {}
        lex_hits = {}
        if hybrid and terms(question):
            with self.db.session() as s:
                revision = s.scalar(
                    select(Collection.revision).where(Collection.id == collection.id)
                )
            lexical = self._lexical.get(
                collection.name, revision or 0, lambda: self._ready_chunks(collection.id)
            )
            for i, hit in enumerate(lexical.search(question, pool)):
                lex_rank[hit.chunk_id] = i
                lex_hits[hit.chunk_id] = hit
        entity_rank = {cid: i for i, cid in enumerate((entity_chunks or [])[:pool])}
        dense_counts = self._embedder_reads(embedder, question)
        floor = self.min_similarity_by_embedder.get(embedder.name, self.min_dense_similarity)
        candidates = list(dict.fromkeys([*entity_rank, *dense_rank, *lex_rank]))
        if not candidates:
            return []
        missing = [c for c in candidates if c not in dense_sim]
        if missing:
            for cid, vec in self.index.vectors(space, missing).items():
                dense_sim[cid] = float(np.dot(vec, qvec))
        fused = {
            cid: sum(
                weight / (RRF_K + 1 + rank[cid])
                for rank, weight in (
                    (dense_rank, DENSE_WEIGHT),
                    (lex_rank, LEXICAL_WEIGHT),
                    (entity_rank, ENTITY_WEIGHT),
                )
                if cid in rank
            )
            for cid in candidates
        }
        rows = self._chunk_rows(candidates, collection.id)
        hits = []
        for cid in sorted(candidates, key=lambda c: fused[c], reverse=True):
            row = rows.get(cid)
            if row is None:  # vectors of a document not (or no longer) ready
                continue
            sim = dense_sim.get(cid, -1.0)
            lex = lex_hits.get(cid)
            coverage = lex.coverage if lex else 0.0
            relevant = (dense_counts and sim >= floor) or coverage >= MIN_LEXICAL_COVERAGE
            if not relevant and cid not in entity_rank:
                continue
            chunk, doc = row
            info = self.vault.open_document(doc)
            section, text = self.vault.open_chunk(chunk, collection.id)
            hits.append(
                Hit(
                    chunk_id=cid,
                    document_id=doc.id,
                    source=info.source,
                    title=info.title,
                    page=chunk.page,
                    section=section,
                    text=text,
                    score=fused[cid],
                    dense_similarity=sim,
                    lexical_score=lex.score if lex else 0.0,
                    lexical_coverage=coverage,
                )
            )
            if len(hits) == k:
                break
        return hits

    def embedder_for(self, collection: Collection) -> Embedder:
        """The embedder of ``collection``'s vectors (:class:`ModelError` if this
        retriever cannot load it)."""
        name = embedder_of(collection)
        if self.embedder.name == name:
            return self.embedder
        if self._embedder_named is None:
            raise ModelError(
                f"collection {collection.name!r} is embedded by {name!r}, which this "
                f"retriever (with {self.embedder.name!r}) cannot load."
            )
        return self._embedder_named(name)

    def _embedder_reads(self, embedder: Embedder, question: str) -> bool:
        """Whether the embedder reads the question's language: its plain words (letters
        only; identifiers such as ``copy_file`` or ``IG-DIS-2`` belong to no language)
        cost few pieces of the embedder's vocabulary."""
        plain = [p for w in words(question) for p in w.split("-") if p.isalpha()]
        return embedder.pieces_per_word(plain) <= MAX_PIECES_PER_WORD

    def _chunk_rows(self, ids: list[str], collection_id: int) -> dict[str, tuple[Chunk, Document]]:
        with self.db.session() as s:
            rows = s.execute(
                select(Chunk, Document)
                .join(Document)
                .where(
                    Chunk.id.in_(ids),
                    Document.collection_id == collection_id,
                    Document.status == DocumentStatus.READY,
                )
            ).all()
        return {c.id: (c, d) for c, d in rows}
