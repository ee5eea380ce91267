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

**Neighbour join.** A relevant candidate fused within the first ``JOIN_DEPTH`` that
is the next or previous chunk of a passage already chosen (same document, section
and page: chunks never cross a heading or a page, so this is the text that runs on)
joins that passage instead of taking a slot of its own, up to ``JOIN_MAX_CHARS``.
The passage then spans two or three chunks, in document order (:class:`Part`): it
is cited as one source, verified against its whole text, and a sentence quoted from
it is highlighted in the chunk that holds it. Only candidates that passed the same
filters as any hit join (the collection's own ready documents, the relevance gate),
so a join never brings in text the caller could not have been given anyway. Measured
on the GDPR benchmark's dev splits, where the gold passage is often the chunk next to
a hit of the same article (``bench/RESULTS.md``, section 11).

**First hits keep a slot.** Rank fusion prefers a chunk ranked fairly high in both lists
to the first hit of one list that the other ranks low: a passage holding the question's
rare words (BM25's first) can fall out of the k behind passages that are only similar.
So the first hit of the dense list and of the lexical list, when it passes the relevance
gate and the fusion left it out, takes the last slot (two of them: the last two),
displacing the lowest fused passages only; the order of the others is kept. Measured on
the GDPR benchmark's dev splits (dev2 evidence@5 22 -> 24 of 27, dev unchanged) and on the
English retrieval benchmark (recall@5 0.967 -> 0.973, recall@1 unchanged): RESULTS, §11.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy import select

from appliance.embeddings import Embedder
from appliance.errors import ModelError
from appliance.ingest.chunker import context_header, split_sentences
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
# Neighbour join (module docstring): how deep in the fused list a neighbour may come
# from, and the longest text a joined passage may reach (about two chunks of the
# default 700 characters; a third only when they are short). Five such passages take
# about 2,000 tokens of the default 4,096-token context; ``Pipeline._fit_context``
# drops the joined neighbours before whole sources when a prompt does not fit.
JOIN_DEPTH = 30
JOIN_MAX_CHARS = 1600
# Each list's first hit keeps a slot when the fusion left it out (module docstring);
# bench/bench_qa.py --no-first-hits turns it off to measure it.
FIRST_HITS = True


@dataclass(frozen=True)
class Part:
    """One chunk's share of a passage. ``text``: what the passage shows of the chunk
    (a chunk that follows another in a joined passage without the sentences it
    repeats from that one: the chunker's overlap); ``first_sentence``: the ordinal of
    its first sentence among the chunk's own (``split_sentences``), so that a quoted
    sentence is highlighted in its chunk."""

    chunk_id: str
    text: str
    first_sentence: int = 0


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
    # The chunks a joined passage spans, in document order (``text`` is their texts
    # joined by a space); empty for a passage of one chunk. ``chunk_id`` is the
    # chunk that ranked (the anchor), one of them.
    parts: tuple[Part, ...] = ()

    @property
    def chunk_ids(self) -> tuple[str, ...]:
        """Every chunk of the passage, in document order."""
        return tuple(p.chunk_id for p in self.parts) if self.parts else (self.chunk_id,)

    def segments(self) -> tuple[Part, ...]:
        """The passage's chunks with their texts (one part for a passage of one chunk)."""
        return self.parts or (Part(self.chunk_id, self.text),)

    def rewritten(self, rewrite: Callable[[str], str]) -> Hit:
        """The passage with ``rewrite`` applied to its title, section and text (each
        chunk's text apart, so the parts stay the passage's text)."""
        parts = tuple(replace(p, text=rewrite(p.text)) for p in self.parts)
        text = " ".join(p.text for p in parts) if parts else rewrite(self.text)
        return replace(
            self, title=rewrite(self.title), section=rewrite(self.section), text=text, parts=parts
        )

    def anchor_only(self) -> Hit:
        """The passage without the neighbours joined to it: its anchor chunk's part."""
        anchor = next((p for p in self.parts if p.chunk_id == self.chunk_id), None)
        if anchor is None:
            return self
        return replace(self, text=anchor.text, parts=(anchor,) if anchor.first_sentence else ())

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "page": self.page,
            "chunk_id": self.chunk_id,
            "chunk_ids": list(self.chunk_ids),
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
        join: bool = True,
    ) -> list[Hit]:
        """Hybrid search. ``entity_chunks``: passages that mention a person or identifier
        the question names (best first); they join the fusion as a third ranking and
        pass the relevance gate, since the question is about them. ``join``: neighbours
        join the passages they continue (module docstring) instead of taking slots.
        Each list's first hit keeps a slot (``FIRST_HITS``, module docstring)."""
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

        def relevant(cid: str) -> bool:
            lex = lex_hits.get(cid)
            coverage = lex.coverage if lex else 0.0
            sim_ok = dense_counts and dense_sim.get(cid, -1.0) >= floor
            return bool(sim_ok or coverage >= MIN_LEXICAL_COVERAGE or cid in entity_rank)

        def choose(ranked: list[str]) -> list[Hit]:
            hits: list[Hit] = []
            # Per passage: its document, section, page and the ordinals of its chunks.
            spans: list[tuple[str, str, int | None, list[int]]] = []
            for place, cid in enumerate(ranked):
                if len(hits) == k and (not join or place >= JOIN_DEPTH):
                    break
                row = rows.get(cid)
                if row is None or not relevant(cid):  # not (or no longer) ready; gated
                    continue
                chunk, doc = row
                joined = join and place < JOIN_DEPTH
                if joined and self._join(hits, spans, chunk, doc, collection.id):
                    continue
                if len(hits) == k:
                    continue
                info = self.vault.open_document(doc)
                section, text = self.vault.open_chunk(chunk, collection.id)
                spans.append((doc.id, section, chunk.page, [chunk.ordinal]))
                lex = lex_hits.get(cid)
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
                        dense_similarity=dense_sim.get(cid, -1.0),
                        lexical_score=lex.score if lex else 0.0,
                        lexical_coverage=lex.coverage if lex else 0.0,
                    )
                )
            return hits

        ranked = sorted(candidates, key=lambda c: fused[c], reverse=True)
        hits = choose(ranked)
        if not FIRST_HITS or len(hits) < k:
            return hits
        firsts = (dense[0].chunk_id if dense else None, next(iter(lex_rank), None))
        chosen = {c for h in hits for c in h.chunk_ids}
        left_out = [
            c for c in dict.fromkeys(firsts) if c and c in rows and relevant(c) and c not in chosen
        ]
        if not left_out:
            return hits
        left_out.sort(key=lambda c: fused[c], reverse=True)
        order = [c for c in ranked if c not in left_out]
        at = order.index(hits[max(k - len(left_out), 0)].chunk_id)
        order[at:at] = left_out
        return choose(order)

    def _join(
        self,
        hits: list[Hit],
        spans: list[tuple[str, str, int | None, list[int]]],
        chunk: Chunk,
        doc: Document,
        collection_id: int,
    ) -> bool:
        """Join ``chunk`` to the chosen passage it continues or precedes (same
        document, section and page), if the joined text stays within JOIN_MAX_CHARS;
        whether it joined. ``hits`` and ``spans`` are updated in place."""
        for i, (doc_id, section, page, ordinals) in enumerate(spans):
            if doc_id != doc.id or page != chunk.page:
                continue
            if chunk.ordinal not in (ordinals[0] - 1, ordinals[-1] + 1):
                continue
            chunk_section, text = self.vault.open_chunk(chunk, collection_id)
            if chunk_section != section:
                continue
            hit = hits[i]
            parts = list(hit.segments())
            before = chunk.ordinal < ordinals[0]
            if before:  # the passage's first chunk now follows this one
                parts = [Part(chunk.id, text), follow(text, parts[0]), *parts[1:]]
            else:
                parts = [*parts, follow(parts[-1].text, Part(chunk.id, text))]
            joined = " ".join(p.text for p in parts)
            if len(joined) > JOIN_MAX_CHARS:
                continue
            ordinals.insert(0 if before else len(ordinals), chunk.ordinal)
            hits[i] = replace(hit, text=joined, parts=tuple(parts))
            return True
        return False

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


def follow(previous: str, part: Part) -> Part:
    """``part`` (a whole chunk) as it continues ``previous``, the text of the chunk
    before it in the document: without the leading sentences that ``previous`` ends
    with (the chunker repeats up to ``chunk_overlap_chars`` of them), and with the
    ordinal of its first sentence left. At least one sentence always stays."""
    sentences = split_sentences(part.text)
    starts = []
    pos = 0
    for sentence in sentences:
        at = part.text.find(sentence, pos)
        if at < 0:
            return part
        starts.append(at)
        pos = at + len(sentence)
    for m in range(len(sentences) - 1, 0, -1):
        head = part.text[: starts[m]].rstrip()
        rest = previous[: len(previous) - len(head)]
        if previous.endswith(head) and (not rest or rest[-1].isspace()):
            return Part(part.chunk_id, part.text[starts[m] :], part.first_sentence + m)
    return part
