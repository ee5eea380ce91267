"""Prompt building with numbered sources, and citations read back from the answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from appliance.llm import ChatMessage
from appliance.rag.extractive import Quote
from appliance.rag.retrieval import Hit
from appliance.rag.verify import SentenceCheck

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
# The prompt's own layout: a model that writes one of these has stopped answering
# and started continuing the prompt (echo), so generation stops there.
STOP_SEQUENCES = (
    "Question:",
    "\nSources:",
    "Sources:\n",
    "<|im_start|>",
    "<|im_end|>",
    "<|eot_id|>",
)


@dataclass(frozen=True)
class Citation:
    n: int
    source: str
    title: str
    page: int | None
    chunk_id: str
    cited: bool  # what the user is shown rests on it
    # "model" when a verified sentence the model wrote cites [n]; "attributed" when
    # the appliance matched a verified sentence to this source; "quoted" when the
    # answer shown is the extractive one and quotes it; None when only consulted.
    cited_by: str | None = None
    document_id: str = ""
    section: str = ""  # the passage's nearest headings ("Article 17 > Right to erasure")
    # Every chunk the passage spans, in document order: a neighbour joined to a
    # retrieved chunk (retrieval.py) makes one source of two or three chunks.
    chunk_ids: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "document_id": self.document_id,
            "source": self.source,
            "page": self.page,
            "title": self.title,
            "chunk_id": self.chunk_id,
            "chunk_ids": list(self.chunk_ids or (self.chunk_id,)),
            "cited": self.cited,
            "cited_by": self.cited_by,
            "section": self.section,
        }


@dataclass
class Answer:
    """What the user is shown for one question.

    ``text`` is the answer as shown: the generated sentences that passed
    verification, or, when none did, the extractive answer (``answer_source``
    says which). ``sentences`` holds every generated sentence with its verdict
    (unsupported ones included, for display as unverified); ``extract`` the
    sentences quoted verbatim from the passages; ``citations`` every passage
    consulted, cited or not. ``truncated`` is True when the token limit cut the
    generation; ``stopped`` is "loop" when the appliance stopped a repeating one.
    """

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    found: bool = True
    model: str = ""
    sentences: list[SentenceCheck] = field(default_factory=list)
    extract: list[Quote] = field(default_factory=list)
    answer_source: str = "generated"  # "generated" | "extractive" | "none"
    truncated: bool = False
    stopped: str | None = None

    @property
    def unverified(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if not s.supported]

    def verdicts(self) -> dict[str, int]:
        """Counts for the audit trail (never text): sentences supported, unsupported."""
        return {
            "supported": sum(1 for s in self.sentences if s.supported),
            "unsupported": sum(1 for s in self.sentences if not s.supported),
            "quoted": len(self.extract),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "answer_source": self.answer_source,
            "sentences": [s.as_json() for s in self.sentences],
            "extract": [q.as_json() for q in self.extract],
            "citations": [c.as_json() for c in self.citations],
            "found": self.found,
            "truncated": self.truncated,
            "stopped": self.stopped,
            "model": self.model,
        }


def section_tail(section: str, parts: int = 2) -> str:
    """The last ``parts`` headings of a heading path ("Article 17 > Right to erasure"):
    where in the document a passage sits, without the document's own title."""
    return " > ".join(p.strip() for p in section.split(" > ")[-parts:] if p.strip())


def source_label(hit: Hit) -> str:
    """Title, the passage's nearest headings and page: enough for a reader (and the
    model) to tell sources apart; kept short, since small models copy long labels
    into their answers."""
    title = hit.title if len(hit.title) <= 60 else hit.title[:57].rstrip() + "…"
    tail = section_tail(hit.section)
    if tail and tail != hit.title and not hit.title.startswith(tail):
        title = f"{title}, {tail}"
    page = f", page {hit.page}" if hit.page is not None else ""
    return f"{title}{page}"


def build_messages(question: str, hits: list[Hit]) -> list[ChatMessage]:
    sources = "\n\n".join(f"[{n}] {source_label(h)}\n{h.text}" for n, h in enumerate(hits, 1))
    user = _USER_TEMPLATE.format(sources=sources, question=question)
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": user},
    ]


def extractive_text(quotes: list[Quote]) -> str:
    """The extractive answer as text: each quoted sentence with its source's marker."""
    return " ".join(_append_marker(q.text, q.n) for q in quotes)


def _append_marker(sentence: str, n: int) -> str:
    stripped = sentence.rstrip()
    if stripped and stripped[-1] in ".!?":
        return f"{stripped[:-1]} [{n}]{stripped[-1]}"
    return f"{stripped} [{n}]"


def citations_for(answer: Answer, hits: list[Hit]) -> list[Citation]:
    """Every passage consulted, numbered as the model saw them, marked with what the
    shown answer rests on."""
    how: dict[int, str] = {}
    for s in answer.sentences:
        if s.supported and s.cited_by:
            for n in s.sources:
                how.setdefault(n, s.cited_by)
    # The quoted sentences are shown with every answer: their sources are cited too.
    for q in answer.extract:
        how.setdefault(q.n, "quoted")
    return [
        Citation(
            n,
            h.source,
            h.title,
            h.page,
            h.chunk_id,
            n in how,
            how.get(n),
            h.document_id,
            section_tail(h.section),
            h.chunk_ids,
        )
        for n, h in enumerate(hits, 1)
    ]
