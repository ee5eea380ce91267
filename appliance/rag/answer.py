"""Prompt building with numbered sources, and citations read back from the answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from appliance.llm import ChatMessage
from appliance.rag.retrieval import Hit

NOTHING_FOUND = (
    "I found nothing in the documents of this collection that answers the question, "
    "so I will not guess. Try other words, or ask an administrator whether the "
    "relevant documents have been ingested."
)

SYSTEM_PROMPT = (
    "You answer staff questions using only the numbered sources provided. "
    "After each statement, cite the source it comes from as [1], [2] and so on. "
    "If the sources do not contain the answer, say that the documents do not say. "
    "Be concise and factual."
)

_CITATION = re.compile(r"\[(\d{1,2})\]")


@dataclass(frozen=True)
class Citation:
    n: int
    source: str
    title: str
    page: int | None
    chunk_id: str
    cited: bool  # the answer referred to it as [n]

    def as_json(self) -> dict:  # type: ignore[type-arg]
        return {"n": self.n, "source": self.source, "page": self.page, "title": self.title,
                "chunk_id": self.chunk_id, "cited": self.cited}


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
    page = f", page {hit.page}" if hit.page is not None else ""
    section = f", section {hit.section}" if hit.section else ""
    return f"{hit.title}{page}{section}"


def build_messages(question: str, hits: list[Hit]) -> list[ChatMessage]:
    sources = "\n\n".join(f"[{n}] {source_label(h)}\n{h.text}" for n, h in enumerate(hits, 1))
    user = f"Sources:\n\n{sources}\n\nQuestion: {question}\nAnswer with citations:"
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": user},
    ]


def cited_numbers(text: str, n_sources: int) -> set[int]:
    return {int(m) for m in _CITATION.findall(text) if 1 <= int(m) <= n_sources}


def citations_for(text: str, hits: list[Hit]) -> list[Citation]:
    used = cited_numbers(text, len(hits))
    return [
        Citation(n, h.source, h.title, h.page, h.chunk_id, n in used)
        for n, h in enumerate(hits, 1)
    ]
