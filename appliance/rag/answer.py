"""Prompt building with numbered sources, and citations read back from the answer."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from appliance.ingest.chunker import split_sentences
from appliance.llm import ChatMessage
from appliance.rag.lexical import terms
from appliance.rag.retrieval import Hit

NOTHING_FOUND = (
    "I found nothing in the documents of this collection that answers the question, "
    "so I will not guess. Try other words, or ask an administrator whether the "
    "relevant documents have been ingested."
)

SYSTEM_PROMPT = (
    "You answer staff questions using only the numbered sources. Cite sources as [1], [2]."
)
# Measured on the samples with the default 135M model: asking the question both
# before and after the sources, with short source labels, gave the most correct
# and most often cited answers of the layouts tried (figures in docs/architecture.md).
_USER_TEMPLATE = (
    "Question: {question}\n\nSources:\n\n{sources}\n\n"
    "Question: {question}\nAnswer briefly, citing sources like [1]:"
)
# An uncited answer sentence is attributed to the source it is most similar to,
# if the similarity reaches this (cosine, all-MiniLM-L6-v2).
MIN_ATTRIBUTION_SIMILARITY = 0.45
# ...and at least this share of its own content words (those not in the question).
MIN_ATTRIBUTION_OVERLAP = 0.5
_FILLER = frozenset({"answer", "source", "document", "according", "state", "policy"})

_CITATION = re.compile(r"\[(\d{1,2})\]")


@dataclass(frozen=True)
class Citation:
    n: int
    source: str
    title: str
    page: int | None
    chunk_id: str
    cited: bool  # the answer refers to it as [n]
    # "model" when the model wrote [n]; "attributed" when the appliance matched an
    # uncited sentence to this source; None when not cited.
    cited_by: str | None = None
    document_id: str = ""

    def as_json(self) -> dict:  # type: ignore[type-arg]
        return {
            "n": self.n,
            "document_id": self.document_id,
            "source": self.source,
            "page": self.page,
            "title": self.title,
            "chunk_id": self.chunk_id,
            "cited": self.cited,
            "cited_by": self.cited_by,
        }


@dataclass
class Answer:
    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    found: bool = True
    model: str = ""

    def as_json(self) -> dict:  # type: ignore[type-arg]
        return {
            "answer": self.text,
            "citations": [c.as_json() for c in self.citations],
            "found": self.found,
            "model": self.model,
        }


def source_label(hit: Hit) -> str:
    """Title and page only: small models copy long labels into their answers."""
    page = f", page {hit.page}" if hit.page is not None else ""
    return f"{hit.title}{page}"


def build_messages(question: str, hits: list[Hit]) -> list[ChatMessage]:
    sources = "\n\n".join(f"[{n}] {source_label(h)}\n{h.text}" for n, h in enumerate(hits, 1))
    user = _USER_TEMPLATE.format(sources=sources, question=question)
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": user},
    ]


def cited_numbers(text: str, n_sources: int) -> set[int]:
    return {int(m) for m in _CITATION.findall(text) if 1 <= int(m) <= n_sources}


def attribute_sentences(
    question: str,
    text: str,
    hits: list[Hit],
    embed: Callable[[list[str]], np.ndarray],
    hit_vectors: np.ndarray | None = None,
) -> tuple[str, set[int]]:
    """Append [n] to each uncited answer sentence that one source clearly supports.

    Returns the annotated text and the source numbers added. Small local models
    often forget to cite; this keeps every supported statement traceable without
    inventing support for statements no source backs. A sentence is compared
    together with the question it answers ("The answer is: 10 years." means
    nothing alone). ``hit_vectors`` are the sources' stored embeddings, so only
    the short answer sentences need embedding here.
    """
    sentences = split_sentences(text)
    todo = [i for i, s in enumerate(sentences) if not _CITATION.search(s) and len(s) > 3]
    if not todo or not hits:
        return text, set()
    claims = embed([f"{question} {sentences[i]}" for i in todo])
    if hit_vectors is None:
        hit_vectors = embed([h.text for h in hits])
    sims = claims @ hit_vectors.T
    asked = set(terms(question)) | _FILLER
    source_terms = [set(terms(f"{h.title} {h.section} {h.text}")) for h in hits]
    added: set[int] = set()
    for row, i in enumerate(todo):
        best = int(np.argmax(sims[row]))
        # What the sentence adds beyond the question must be in the source too.
        new_terms = set(terms(sentences[i])) - asked
        overlap = len(new_terms & source_terms[best]) / len(new_terms) if new_terms else 1.0
        if sims[row, best] >= MIN_ATTRIBUTION_SIMILARITY and overlap >= MIN_ATTRIBUTION_OVERLAP:
            sentences[i] = _append_marker(sentences[i], best + 1)
            added.add(best + 1)
    return " ".join(sentences), added


def _append_marker(sentence: str, n: int) -> str:
    stripped = sentence.rstrip()
    if stripped and stripped[-1] in ".!?":
        return f"{stripped[:-1]} [{n}]{stripped[-1]}"
    return f"{stripped} [{n}]"


def citations_for(text: str, hits: list[Hit], attributed: set[int] | None = None) -> list[Citation]:
    attributed = attributed or set()
    by_model = cited_numbers(text, len(hits)) - attributed
    out = []
    for n, h in enumerate(hits, 1):
        how = "model" if n in by_model else "attributed" if n in attributed else None
        out.append(
            Citation(n, h.source, h.title, h.page, h.chunk_id, how is not None, how, h.document_id)
        )
    return out
