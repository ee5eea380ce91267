"""Summaries of documents longer than the model's context, every statement cited.

A document is read as it is stored: its pseudonymised passages, grouped into
sections (consecutive passages under one heading, the chunker's overlap removed,
pages kept). The summary is hierarchical:

1. **map**: each section (a long one in parts that fit the prompt budget) is asked
   for a few short factual bullet statements, each ending with its marker
   ``[s3, p. 12]`` (section 3, page 12);
2. **overview**, from the sections' verified statements together. By default
   (``overview="extractive"``) it is *picked* from them, never written
   (:mod:`appliance.rag.overview`: the statements most central to the document, one
   per section, in reading order): a small model asked to write the overview writes
   sentences that pass the word check while saying something the document does not
   (``bench/RESULTS.md`` §14). With ``overview="model"`` (a larger model) the
   statements, with their markers, are **reduced** by the model: asked for the most
   important points; when they do not fit one prompt they are reduced in groups
   first, level by level, so every prompt fits the model's ``n_ctx``.

Every statement is checked like an answer's sentence (:mod:`appliance.rag.verify`):
the numbers, quantities, named terms and placeholders it holds must occur in the
text of the section and page it cites, and it must share enough of that text's
content words. A statement without a usable marker is attributed to the page that
passes the check; one that no page supports is kept *unverified*, with the reason,
and never shown as verified. Generation is bounded per step
(:data:`MAX_STEP_TOKENS`) and stopped at the first repeat (:mod:`appliance.llm.guard`).

A job is resumable: each finished step is stored sealed with the document's data
key (``summary_steps``), the finished summary too (``summaries``), so deleting the
document, or shredding its key, takes the summary with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from appliance.audit import AuditTrail
from appliance.caller import Caller
from appliance.embeddings import Embedder
from appliance.errors import (
    DocumentError,
    GenerationCancelled,
    QuestionTooLong,
    SummaryBusy,
    SummaryNotFound,
)
from appliance.ingest.chunker import split_sentences
from appliance.llm import GenerationParams
from appliance.llm.engine import ChatMessage
from appliance.llm.guard import guarded_sentences
from appliance.llm.registry import ModelChoice, ModelRegistry
from appliance.privacy import PLACEHOLDER, PiiBlocked, Policy
from appliance.privacy.pseudonymise import replacement
from appliance.rag.answer import section_tail
from appliance.rag.lexical import language_of
from appliance.rag.lexical import stems as terms
from appliance.rag.overview import copies, pick_central
from appliance.rag.privacy import PrivacyGate
from appliance.rag.sections import PageText, Section, document_sections, sections_from_chunks
from appliance.rag.verify import MIN_CITED_OVERLAP, specifics
from appliance.store.database import Database
from appliance.store.schema import Document, Summary, SummaryStatus, SummaryStep
from appliance.store.vault import DocumentVault

# Tokens one step may generate: a few short statements; bounded so that a step that
# starts rambling ends (the loop guard ends one that repeats itself sooner).
MAX_STEP_TOKENS = 192
# A section part's text at most, in the model's tokens: small models lose the thread
# in long prompts, and a smaller part gives a finer page citation.
MAX_PART_TOKENS = 1200
# Statements asked of each section part, and of the whole document's overview.
STATEMENTS_PER_PART = 5
OVERVIEW_STATEMENTS = 8
# How the overview is made (see the module's text); "extractive" by default.
OVERVIEW_MODES = ("extractive", "model")
# Document ids in one query's IN list.
_IDS_PER_QUERY = 500
# Reduce levels at most; beyond them the overview is picked from the statements left.
MAX_REDUCE_LEVELS = 4
# Tokens kept free in the context beyond the prompt and the step's max_tokens.
_CONTEXT_MARGIN = 48
# Content words a statement needs at least to say anything.
_MIN_TERMS = 2
# A statement must take at least this share of its word trigrams from the page it
# cites. The word check alone let through sentences that reuse a page's words and
# say something else: on 25 verified statements of the GDPR drawn at random (bench
# RESULTS.md §14, second run, judged by reading each beside its page), 14 misstated
# the page or said nothing, all with a trigram share of 0.55 or less; 7 of the 11
# sound ones share 0.68 or more (close paraphrases share 0.28-0.36 and are lost).
# Chosen on that sample: to be confirmed on a document not used to choose it.
MIN_COPIED_SHARE = 0.6
GRAM = 3
_WORD = re.compile(r"[^\W_]+")

SUMMARY_STOPS = ("<|im_start|>", "<|im_end|>", "<|eot_id|>")

MAP_SYSTEM = (
    "You summarise one section of a document as short factual bullet points, using only "
    "its text. Copy numbers, dates and names exactly as written."
)
_MAP_TEMPLATE = (
    "Section text:\n\n{text}\n\n"
    "Write up to {n} short bullet points with the key facts of the section "
    "“{title}”. End each bullet with its marker, like {marker}."
)
REDUCE_SYSTEM = (
    "You pick the most important points of a document from its verified statements. "
    "Keep the wording, numbers and markers of the statements you use."
)
_REDUCE_TEMPLATE = (
    "Statements:\n\n{statements}\n\n"
    "Write the {n} most important points as short bullet points. End each bullet with "
    "the marker of the statement it comes from, like {marker}."
)

# "[s3, p. 12]", "[S3 p12]", "[s3, page 12]", "[s3]"; and a bare "[p. 12]".
MARKER = re.compile(
    r"\[\s*s(?:ection)?\.?\s*(\d{1,4})\s*(?:[,;]?\s*p(?:age|\.|p\.)?\s*(\d{1,5}))?\s*\]",
    re.IGNORECASE,
)
_PAGE_ONLY = re.compile(r"[\[(]\s*p(?:age|\.)?\s*(\d{1,5})\s*[\])]", re.IGNORECASE)
_NUMBERED = re.compile(r"\[(\d{1,3})\]")
_ITEM_LETTER = re.compile(r"[;,]\s+[a-z][.)]$")
_BULLET = re.compile(r"^\s*(?:[-*•·–]+|\(?\d{1,2}[.)]|[a-z][.)])\s+")


# -- sections -------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionPart:
    """A section, or the part of a long one, that one map prompt reads."""

    section: int
    part: int
    title: str
    pieces: tuple[PageText, ...]

    @property
    def step(self) -> str:
        return f"map:{self.section}:{self.part}"

    @property
    def pages(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(p.page for p in self.pieces if p.page is not None))


def build_sections(
    rows: Iterable[tuple[int | None, str, str]],
) -> list[tuple[Section, tuple[PageText, ...]]]:
    """Sections from a document's passages in reading order, given as (page, heading
    path, text) (:func:`appliance.rag.sections.sections_from_chunks`): see
    :func:`numbered`."""
    return numbered(sections_from_chunks(rows))


def numbered(sections: Iterable[Section]) -> list[tuple[Section, tuple[PageText, ...]]]:
    """Sections numbered from 1 as the summary's markers cite them and titled by their
    last heading, each with its text page by page (empty sections left out)."""
    out: list[tuple[Section, tuple[PageText, ...]]] = []
    for sec in sections:
        if not sec.pieces:
            continue
        renamed = replace(sec, index=len(out) + 1, title=section_tail(sec.title, 1))
        out.append((renamed, sec.pieces))
    return out


def split_parts(
    section: Section,
    pieces: Sequence[PageText],
    count_tokens: Callable[[str], int],
    budget: int,
) -> list[SectionPart]:
    """``section`` in parts whose text takes at most ``budget`` tokens, cut between
    sentences (inside one only when a sentence alone is longer), pages kept."""
    parts: list[list[PageText]] = [[]]
    used = 0
    for piece in pieces:
        for sentence in split_sentences(piece.text) or [piece.text]:
            cost = count_tokens(sentence) + 1
            while cost > budget:  # a sentence longer than a part: cut at words
                words = sentence.split()
                head = " ".join(words[: max(1, len(words) // 2)])
                sentence = " ".join(words[max(1, len(words) // 2) :])
                _add(parts, piece.page, head, new_part=used > 0)
                used = count_tokens(head) + 1
                cost = count_tokens(sentence) + 1
            if used and used + cost > budget:
                parts.append([])
                used = 0
            _add(parts, piece.page, sentence, new_part=False)
            used += cost
    return [
        SectionPart(section.index, i, section.title, tuple(p))
        for i, p in enumerate(x for x in parts if x)
    ]


def _add(parts: list[list[PageText]], page: int | None, sentence: str, new_part: bool) -> None:
    if new_part:
        parts.append([])
    current = parts[-1]
    if current and current[-1].page == page:
        current[-1] = PageText(page, f"{current[-1].text} {sentence}")
    else:
        current.append(PageText(page, sentence))


# -- statements -------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """One statement of a summary and its verdict.

    ``text`` holds no marker (see :meth:`marker`); ``section`` and ``page`` are what it
    cites (``page`` None for formats without pages). ``cited_by``: "model" when the
    model's own marker was confirmed, "attributed" when the appliance found the page
    that supports it, None when unsupported (``reason`` says why).
    """

    text: str
    section: int
    page: int | None
    supported: bool
    cited_by: str | None = None
    reason: str = ""

    @property
    def marker(self) -> str:
        """``[s3, p. 12]``, or ``[s3]`` without a page."""
        page = f", p. {self.page}" if self.page is not None else ""
        return f"[s{self.section}{page}]"

    def cited_text(self) -> str:
        """The statement with its marker, as shown."""
        body = self.text.rstrip()
        if body and body[-1] in ".!?":
            return f"{body[:-1]} {self.marker}{body[-1]}"
        return f"{body} {self.marker}"

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "section": self.section,
            "page": self.page,
            "marker": self.marker,
            "supported": self.supported,
            "cited_by": self.cited_by,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Statement:
        return cls(
            data["text"],
            int(data["section"]),
            data["page"],
            bool(data["supported"]),
            data.get("cited_by"),
            data.get("reason", ""),
        )


@dataclass(frozen=True)
class SectionSummary:
    index: int
    title: str
    pages: tuple[int, ...]
    statements: tuple[Statement, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "title": self.title,
            "pages": list(self.pages),
            "statements": [s.as_json() for s in self.statements],
        }


@dataclass
class DocumentSummary:
    """A document's summary: the ``overview`` and each section's statements. The
    overview's ``overview_source``: "extractive" (verified section statements picked
    by :func:`appliance.rag.overview.pick_central`), "model" (the reduce steps'
    statements) or "sections" (the model gave none that verified: the first verified
    statement of evenly spread sections stands in).
    Statements carry the document's placeholders unless revealed for the reader."""

    document_id: str
    title: str
    model: str
    overview: list[Statement]
    sections: list[SectionSummary]
    overview_source: str = "model"
    pages: int | None = None

    def statements(self) -> list[Statement]:
        return [*self.overview, *(s for sec in self.sections for s in sec.statements)]

    def counts(self) -> dict[str, int]:
        """Numbers for the audit trail and the job's record (never text)."""
        every = self.statements()
        return {
            "sections": len(self.sections),
            "overview": sum(1 for s in self.overview if s.supported),
            "supported": sum(1 for s in every if s.supported),
            "unsupported": sum(1 for s in every if not s.supported),
        }

    def text(self) -> str:
        """The verified statements as plain text with their markers (overview first)."""
        lines = [f"Summary of {self.title}", ""]
        lines += [f"- {s.cited_text()}" for s in self.overview if s.supported]
        for sec in self.sections:
            shown = [s for s in sec.statements if s.supported]
            if shown:
                lines += ["", f"s{sec.index}. {sec.title or '(untitled)'}"]
                lines += [f"- {s.cited_text()}" for s in shown]
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "document_id": self.document_id,
            "title": self.title,
            "model": self.model,
            "pages": self.pages,
            "overview_source": self.overview_source,
            "overview": [s.as_json() for s in self.overview],
            "sections": [s.as_json() for s in self.sections],
            "counts": self.counts(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DocumentSummary:
        return cls(
            data["document_id"],
            data["title"],
            data["model"],
            [Statement.from_json(s) for s in data["overview"]],
            [
                SectionSummary(
                    s["index"],
                    s["title"],
                    tuple(s["pages"]),
                    tuple(Statement.from_json(x) for x in s["statements"]),
                )
                for s in data["sections"]
            ],
            data.get("overview_source", "model"),
            data.get("pages"),
        )


def parse_statement(raw: str) -> tuple[str, list[tuple[int, int | None]], list[int]] | None:
    """A generated line as (text without markers, its (section, page) markers, its bare
    ``[n]`` numbers), or None for what is no statement (a preamble ending in a
    colon, a lone marker, a heading, a fragment starting in lower case)."""
    markers = [(int(s), int(p) if p else None) for s, p in MARKER.findall(raw)]
    pages = [int(p) for p in _PAGE_ONLY.findall(raw)]
    numbers = [int(n) for n in _NUMBERED.findall(raw)]
    text = _NUMBERED.sub(" ", _PAGE_ONLY.sub(" ", MARKER.sub(" ", raw)))
    text = _BULLET.sub("", text.strip())
    text = re.sub(r"\s+([.,;!?])", r"\1", " ".join(text.split())).strip(" -*•|")
    text = _ITEM_LETTER.sub(".", text)  # "...; e." the next list item's letter
    if markers == [] and pages:
        markers = [(0, p) for p in pages]  # a page without a section: this section's
    if len(re.findall(r"[^\W\d_]{2,}", text)) < 3 or text.endswith(":"):
        return None
    if text[:1].islower():  # the middle of a sentence or list, copied from the page
        return None
    return text, markers, numbers


def word_grams(text: str, n: int = GRAM) -> set[tuple[str, ...]]:
    """The runs of ``n`` consecutive words of ``text`` (letters and digits, case
    folded, punctuation ignored)."""
    words = _WORD.findall(text.casefold())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def copied_share(text: str, page_grams: set[tuple[str, ...]], n: int = GRAM) -> float:
    """Share (0-1) of ``text``'s word ``n``-grams that occur in the cited page's
    (``page_grams`` from :func:`word_grams`); 1.0 for a text shorter than ``n`` words."""
    own = word_grams(text, n)
    return len(own & page_grams) / len(own) if own else 1.0


def complete_statements(sentences: list[str], report: dict[str, object]) -> list[str]:
    """``sentences`` of one step without the last when generation was cut at the step's
    token limit (``report["finish_reason"] == "length"``) in the middle of it: a
    statement cut short ("... which is locked outside office") can pass the word
    check while saying less, or the opposite, of what its page says."""
    if sentences and report.get("finish_reason") == "length":
        last = sentences[-1].rstrip()
        if not re.search(r"[.!?;]\)?$|\]\.?$", last):
            return sentences[:-1]
    return sentences


class StatementChecker:
    """Checks statements against the text of the section and page they cite."""

    def __init__(self, pages: dict[tuple[int, int | None], str]) -> None:
        self._pages = pages
        self._language = language_of(" ".join(list(pages.values())[:20]))
        self._terms: dict[tuple[int, int | None], set[str]] = {}
        self._grams: dict[tuple[int, int | None], set[tuple[str, ...]]] = {}

    def has(self, section: int, page: int | None) -> bool:
        return (section, page) in self._pages

    def text(self, section: int, page: int | None) -> str:
        return self._pages[(section, page)]

    def _page_terms(self, where: tuple[int, int | None]) -> set[str]:
        if where not in self._terms:
            self._terms[where] = set(terms(self._pages[where], self._language))
        return self._terms[where]

    def reason(self, text: str, section: int, page: int | None) -> str:
        """Why ``text`` is not supported by section ``section``, page ``page`` ("" if it is)."""
        where = (section, page)
        if where not in self._pages:
            return "cites a section or page the document does not have"
        passage = self._pages[where]
        missing = specifics(text).missing_from(passage)
        if missing:
            shown = ", ".join(f"“{m}”" for m in missing[:3])
            return f"{shown} not in the cited text"
        said = set(terms(text, self._language))
        if len(said) < _MIN_TERMS:
            return "says nothing on its own"
        if len(said & self._page_terms(where)) / len(said) < MIN_CITED_OVERLAP:
            return "the cited text does not say this"
        if copied_share(text, self._page_grams(where)) < MIN_COPIED_SHARE:
            return "the cited text does not say this in these words"
        return ""

    def _page_grams(self, where: tuple[int, int | None]) -> set[tuple[str, ...]]:
        if where not in self._grams:
            self._grams[where] = word_grams(self._pages[where])
        return self._grams[where]

    def overlap(self, text: str, section: int, page: int | None) -> float:
        said = set(terms(text, self._language))
        if not said or (section, page) not in self._pages:
            return 0.0
        return len(said & self._page_terms((section, page))) / len(said)

    def judge(
        self,
        text: str,
        cited: Sequence[tuple[int, int | None]],
        candidates: Sequence[tuple[int, int | None]],
    ) -> Statement:
        """``text`` as a statement: supported by the first of ``cited`` that passes
        (cited_by "model"), else by the best of ``candidates`` that does
        ("attributed"), else unsupported, citing what it cited or the closest."""
        first_reason = ""
        for section, page in cited:
            why = self.reason(text, section, page)
            if not why:
                return Statement(text, section, page, True, "model")
            first_reason = first_reason or why
        ranked = sorted(
            dict.fromkeys(candidates), key=lambda w: self.overlap(text, *w), reverse=True
        )
        for section, page in ranked:
            if not self.reason(text, section, page):
                return Statement(text, section, page, True, "attributed")
        where = next((w for w in cited if self.has(*w)), ranked[0] if ranked else (0, None))
        why = first_reason or (
            self.reason(text, *where) if self.has(*where) else "no page says this"
        )
        return Statement(text, where[0], where[1], False, None, why or "no page says this")


# -- prompts ----------------------------------------------------------------------------


def _marker(section: int, page: int | None) -> str:
    return f"[s{section}, p. {page}]" if page is not None else f"[s{section}]"


def map_messages(part: SectionPart, n: int = STATEMENTS_PER_PART) -> list[ChatMessage]:
    """The map prompt of one section part: its text page by page, each page headed by
    the marker its statements should end with."""
    text = "\n\n".join(f"{_marker(part.section, p.page)}\n{p.text}" for p in part.pieces)
    example = _marker(part.section, part.pieces[0].page)
    user = _MAP_TEMPLATE.format(text=text, n=n, title=part.title or "untitled", marker=example)
    return [{"role": "system", "content": MAP_SYSTEM}, {"role": "user", "content": user}]


def reduce_messages(statements: Sequence[Statement], n: int) -> list[ChatMessage]:
    """The reduce prompt: verified statements with their markers, asking for ``n``."""
    listed = "\n".join(f"- {s.cited_text()}" for s in statements)
    example = statements[0].marker if statements else "[s1, p. 1]"
    user = _REDUCE_TEMPLATE.format(statements=listed, n=n, marker=example)
    return [{"role": "system", "content": REDUCE_SYSTEM}, {"role": "user", "content": user}]


# -- jobs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryState:
    """Where a document's summary job stands (no text): ``status`` "running",
    "cancelled", "failed", "interrupted" (running, but its process is gone) or "done";
    ``done_steps`` of ``total_steps`` (the total grows once the reduce steps are
    known)."""

    summary_id: str
    document_id: str
    status: str
    done_steps: int
    total_steps: int
    cancel_requested: bool
    requested_by: str
    model: str
    counts: dict[str, int]
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @property
    def resumable(self) -> bool:
        return self.status in ("cancelled", "failed", "interrupted")

    @property
    def percent(self) -> int:
        return (
            100 if self.status == "done" else int(100 * self.done_steps / max(1, self.total_steps))
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "summary_id": self.summary_id,
            "document_id": self.document_id,
            "status": self.status,
            "done_steps": self.done_steps,
            "total_steps": self.total_steps,
            "percent": self.percent,
            "cancel_requested": self.cancel_requested,
            "requested_by": self.requested_by,
            "model": self.model,
            "counts": self.counts,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


@dataclass(frozen=True)
class SummaryProgress:
    """One finished step: ``step`` ("map:3:0", "reduce:1:0"), ``reused`` when a resumed
    job found it stored, ``done``/``total`` steps so far."""

    document_id: str
    step: str
    done: int
    total: int
    reused: bool


@dataclass
class _Job:
    summary_id: str
    document_id: str
    collection: str
    collection_id: int
    title: str
    policy: Policy
    choice: ModelChoice
    who: Caller
    stored: dict[str, list[Statement]] = field(default_factory=dict)
    done: int = 0
    total: int = 0
    reused: int = 0
    computed: int = 0


def _this_runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _runner_alive(runner: str) -> bool:
    host, _, pid = runner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's: assume it runs (its own restart marks it)
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Summariser:
    """Runs, stores, cancels and reads document summaries (see the module's text).

    Collaborators are the pipeline's: the database, the vault (the document's data
    key), the privacy gate (policies, the answer stage's detector, the document's
    placeholders), the model registry (the collection's model through its fair
    queue) and the audit trail. Callers check access first (:class:`Pipeline`).
    """

    def __init__(
        self,
        *,
        db: Database,
        vault: DocumentVault,
        privacy: PrivacyGate,
        models: ModelRegistry,
        audit: AuditTrail,
        temperature: float = 0.2,
        repeat_penalty: float = 1.1,
        step_timeout_s: float = 900.0,
        overview: str = "extractive",
        embedder_for: Callable[[str], Embedder] | None = None,
    ) -> None:
        if overview not in OVERVIEW_MODES:
            raise ValueError(f"overview {overview!r} is not one of {', '.join(OVERVIEW_MODES)}")
        if overview == "extractive" and embedder_for is None:
            raise ValueError("an extractive overview needs embedder_for")
        self.overview = overview
        self._embedder_for = embedder_for
        self.db = db
        self.vault = vault
        self.privacy = privacy
        self.models = models
        self.audit = audit
        self.temperature = temperature
        self.repeat_penalty = repeat_penalty
        self.step_timeout_s = step_timeout_s
        self._lock = threading.Lock()
        self._running: set[str] = set()  # summary ids this process is running

    # -- sections ------------------------------------------------------------------

    def sections(self, document_id: str) -> list[tuple[Section, tuple[PageText, ...]]]:
        """The document's sections from its stored passages (pseudonymised), with
        their text page by page. Raises :class:`SummaryNotFound` for no document."""
        try:
            return numbered(document_sections(self.db, self.vault, document_id))
        except DocumentError as exc:
            raise SummaryNotFound(f"no document {document_id!r}.") from exc

    # -- state -----------------------------------------------------------------------

    def state(self, document_id: str) -> SummaryState | None:
        with self.db.session() as s:
            row = s.scalar(select(Summary).where(Summary.document_id == document_id))
            return self._state(row) if row is not None else None

    def states(self, document_ids: Sequence[str]) -> dict[str, SummaryState]:
        """The jobs of ``document_ids`` in one query, by document id (a document never
        summarised is absent)."""
        ids = list(document_ids)
        out: dict[str, SummaryState] = {}
        with self.db.session() as s:
            # In slices: one IN list of a large collection's ids passes the driver's
            # limit on bound parameters (32,766 in SQLite, 65,535 in PostgreSQL).
            for start in range(0, len(ids), _IDS_PER_QUERY):
                chunk = ids[start : start + _IDS_PER_QUERY]
                rows = s.scalars(select(Summary).where(Summary.document_id.in_(chunk)))
                out.update({row.document_id: self._state(row) for row in rows})
        return out

    def mark_cancelled(self, document_id: str, who: Caller, model: str) -> None:
        """Record a job that was cancelled before it started (a set cancelled before
        reaching the document): nothing done, resumable. Nothing if the document has
        a job already."""
        with self._lock, contextlib.suppress(IntegrityError), self.db.session() as s:
            # IntegrityError: another process created its job a moment ago.
            if s.scalar(select(Summary.id).where(Summary.document_id == document_id)):
                return
            s.add(
                Summary(
                    id=uuid.uuid4().hex,
                    document_id=document_id,
                    status=SummaryStatus.CANCELLED,
                    cancel_requested=False,
                    requested_by=who.actor,
                    runner=_this_runner(),
                    model=model,
                    total_steps=0,
                    done_steps=0,
                    counts="{}",
                    created_at=_now(),
                    updated_at=_now(),
                )
            )

    def _state(self, row: Summary) -> SummaryState:
        status = row.status
        gone = row.runner == _this_runner() or not _runner_alive(row.runner)
        if status == SummaryStatus.RUNNING and row.id not in self._running and gone:
            status = "interrupted"
        return SummaryState(
            row.id,
            row.document_id,
            status,
            row.done_steps,
            row.total_steps,
            row.cancel_requested,
            row.requested_by,
            row.model,
            json.loads(row.counts or "{}"),
            _aware(row.created_at),
            _aware(row.updated_at),
            _aware(row.finished_at) if row.finished_at else None,
        )

    def request_cancel(self, document_id: str) -> SummaryState:
        """Ask a running job to stop after its current step (any process sees it)."""
        with self.db.session() as s:
            row = s.scalar(select(Summary).where(Summary.document_id == document_id))
            if row is None:
                raise SummaryNotFound(f"document {document_id!r} has no summary.")
            if row.status == SummaryStatus.RUNNING:
                row.cancel_requested = True
                if row.id not in self._running and not _runner_alive(row.runner):
                    row.status = SummaryStatus.CANCELLED
            return self._state(row)

    def read(self, document_id: str) -> DocumentSummary:
        """The finished summary (placeholders). :class:`SummaryNotFound` if none is."""
        with self.db.session() as s:
            row = s.scalar(select(Summary).where(Summary.document_id == document_id))
            doc = s.get(Document, document_id)
            if row is None or doc is None or row.result_sealed is None:
                raise SummaryNotFound(
                    f"document {document_id!r} has no finished summary; run `appliance "
                    "summarise` (or resume the one under way)."
                )
            text = self.vault.open_summary(
                doc.collection_id, document_id, row.id, "result", row.result_sealed
            )
        return DocumentSummary.from_json(json.loads(text))

    # -- running -----------------------------------------------------------------------

    def begin(
        self,
        document_id: str,
        collection: str,
        policy: Policy,
        choice: ModelChoice,
        who: Caller,
        *,
        resume: bool,
    ) -> tuple[str, bool]:
        """Create (or, with ``resume``, take up) the document's job; (summary id,
        whether it was already done). Raises :class:`SummaryBusy` while one runs."""
        try:
            with self._lock, self.db.session() as s:
                row = s.scalar(select(Summary).where(Summary.document_id == document_id))
                if row is not None:
                    state = self._state(row)
                    if state.status == SummaryStatus.RUNNING:
                        raise SummaryBusy(
                            f"a summary of document {document_id!r} is under way "
                            f"({state.done_steps} of {state.total_steps} steps); wait for it, "
                            "or cancel it first."
                        )
                    if resume and state.status == SummaryStatus.DONE:
                        return row.id, True
                    if resume:
                        row.status = SummaryStatus.RUNNING
                        row.cancel_requested = False
                        row.runner = _this_runner()
                        row.updated_at = _now()
                        self._running.add(row.id)
                        return row.id, False
                    s.execute(delete(Summary).where(Summary.id == row.id))
                    s.flush()
                summary_id = uuid.uuid4().hex
                s.add(
                    Summary(
                        id=summary_id,
                        document_id=document_id,
                        status=SummaryStatus.RUNNING,
                        cancel_requested=False,
                        requested_by=who.actor,
                        runner=_this_runner(),
                        model=choice.name,
                        total_steps=0,
                        done_steps=0,
                        counts="{}",
                        created_at=_now(),
                        updated_at=_now(),
                    )
                )
                self._running.add(summary_id)
                return summary_id, False
        except IntegrityError as exc:  # another process created the job a moment ago
            raise SummaryBusy(
                f"a summary of document {document_id!r} was started a moment ago by another "
                "process; wait for it, or cancel it first."
            ) from exc

    def run(
        self,
        summary_id: str,
        document_id: str,
        collection: str,
        policy: Policy,
        choice: ModelChoice,
        who: Caller,
        *,
        on_progress: Callable[[SummaryProgress], None] | None = None,
        cancel: threading.Event | None = None,
        max_tokens: int = MAX_STEP_TOKENS,
    ) -> tuple[SummaryState, int, int]:
        """Run the job to its end, or to a cancel; (its state, steps reused, steps
        computed). The job is marked failed (resumable) if anything raises."""
        job = _Job(summary_id, document_id, collection, 0, "", policy, choice, who)
        try:
            job = self._job(summary_id, document_id, collection, policy, choice, who)
            self._run(job, on_progress, cancel, max_tokens)
        except BaseException as exc:
            stopped = isinstance(exc, (KeyboardInterrupt, GenerationCancelled))
            self._end(summary_id, SummaryStatus.CANCELLED if stopped else SummaryStatus.FAILED)
            self._record_stop(job, "cancelled" if stopped else type(exc).__name__)
            raise
        finally:
            self._running.discard(summary_id)
        state = self.state(document_id)
        assert state is not None
        return state, job.reused, job.computed

    def _job(
        self,
        summary_id: str,
        document_id: str,
        collection: str,
        policy: Policy,
        choice: ModelChoice,
        who: Caller,
    ) -> _Job:
        with self.db.session() as s:
            doc = s.get(Document, document_id)
            if doc is None:
                raise SummaryNotFound(f"no document {document_id!r}.")
            title = self.vault.open_document(doc).title
            steps = list(s.scalars(select(SummaryStep).where(SummaryStep.summary_id == summary_id)))
            stored = {
                st.step: [
                    Statement.from_json(x)
                    for x in json.loads(
                        self.vault.open_summary(
                            doc.collection_id, document_id, summary_id, st.step, st.result_sealed
                        )
                    )
                ]
                for st in steps
            }
            collection_id = doc.collection_id
        return _Job(
            summary_id, document_id, collection, collection_id, title, policy, choice, who, stored
        )

    def _run(
        self,
        job: _Job,
        on_progress: Callable[[SummaryProgress], None] | None,
        cancel: threading.Event | None,
        max_tokens: int,
    ) -> bool:
        engine = self.models.engine_loaded(job.choice)
        params = GenerationParams(
            max_tokens=max_tokens,
            temperature=self.temperature,
            repeat_penalty=self.repeat_penalty,
            stop=SUMMARY_STOPS,
            seed=0,
        )
        mapping = self.privacy.registry.document_pseudonyms([job.document_id]).get(
            job.document_id, {}
        )

        def model_view(text: str) -> str:
            return _context_view(text, mapping, job.policy)

        sections = [
            (sec, tuple(PageText(p.page, model_view(p.text)) for p in pieces))
            for sec, pieces in self.sections(job.document_id)
        ]
        # What a prompt may hold: the context less the answer and the instructions.
        frame = engine.prompt_tokens(map_messages(SectionPart(1, 0, "x" * 40, (PageText(1, ""),))))
        budget = engine.n_ctx - max_tokens - _CONTEXT_MARGIN - frame
        if budget < 64:
            raise QuestionTooLong(
                f"the model's context (n_ctx = {engine.n_ctx}) leaves no room for a section "
                f"after {max_tokens} tokens of output; raise n_ctx or lower max_tokens."
            )
        part_budget = min(budget, MAX_PART_TOKENS)
        parts = [
            part
            for sec, pieces in sections
            for part in split_parts(sec, pieces, engine.count_tokens, part_budget)
        ]
        pages: dict[tuple[int, int | None], str] = {}
        for sec, pieces in sections:
            for p in pieces:
                key = (sec.index, p.page)
                pages[key] = f"{pages[key]} {p.text}" if key in pages else p.text
        checker = StatementChecker(pages)
        job.total = len(parts) + (1 if self.overview == "model" else 0)
        self._set_total(job)

        def generate(messages: list[ChatMessage]) -> list[str]:
            report: dict[str, object] = {}
            deltas = self.models.scheduler_for(job.choice).stream_chat(
                messages,
                params,
                cancel,
                user=job.who.actor,
                timeout_s=self.step_timeout_s,
                report=report,
            )
            return complete_statements(list(guarded_sentences(deltas, report)), report)

        conceal = self._answer_stage(job.policy)

        def step(name: str, compute: Callable[[], list[Statement]]) -> list[Statement] | None:
            if name in job.stored:
                out, reused = job.stored[name], True
                job.reused += 1
            else:
                if self._cancelled(job, cancel):
                    return None
                out, reused = compute(), False
                job.computed += 1
                self._save_step(job, name, out)
            job.done += 1
            self._set_done(job)
            if on_progress is not None:
                on_progress(SummaryProgress(job.document_id, name, job.done, job.total, reused))
            return out

        by_section: dict[int, list[Statement]] = {}
        for part in parts:

            def mapped(part: SectionPart = part) -> list[Statement]:
                return self._map(part, generate, checker, conceal)

            got = step(part.step, mapped)
            if got is None:
                self._end(job.summary_id, SummaryStatus.CANCELLED)
                self._record_stop(job, "cancelled")
                return False
            by_section.setdefault(part.section, []).extend(got)

        current = [s for sec, _ in sections for s in by_section.get(sec.index, []) if s.supported]
        overview: list[Statement] = []
        source = self.overview
        level = 0
        if self.overview == "extractive":
            overview = self.pick_overview(current, job.collection)
        # Reduce, level by level, until one prompt holds the statements.
        while self.overview == "model":
            if len(current) <= OVERVIEW_STATEMENTS and level > 0:
                overview = current
                break
            groups = _groups(
                current, lambda g: engine.prompt_tokens(reduce_messages(g, 1)), budget + frame
            )
            if not groups or level >= MAX_REDUCE_LEVELS:
                overview = _spread(current, OVERVIEW_STATEMENTS)
                source = "sections"
                break
            job.total = job.done + len(groups) + (0 if len(groups) == 1 else 1)
            self._set_total(job)
            nxt: list[Statement] = []
            for g, group in enumerate(groups):
                want = OVERVIEW_STATEMENTS if len(groups) == 1 else max(2, OVERVIEW_STATEMENTS // 2)

                def reduced(group: list[Statement] = group, want: int = want) -> list[Statement]:
                    return self._reduce(group, want, generate, checker, conceal)

                got = step(f"reduce:{level}:{g}", reduced)
                if got is None:
                    self._end(job.summary_id, SummaryStatus.CANCELLED)
                    self._record_stop(job, "cancelled")
                    return False
                kept = [s for s in got if s.supported][:want]
                nxt.extend(kept or group[: max(1, want // 2)])
                if len(groups) == 1:
                    overview = kept + [s for s in got if not s.supported]
            level += 1
            if len(groups) == 1:
                if not any(s.supported for s in overview):
                    overview = _spread(current, OVERVIEW_STATEMENTS)
                    source = "sections"
                break
            if len(nxt) >= len(current):  # no progress: pick rather than loop
                overview = _spread(nxt, OVERVIEW_STATEMENTS)
                source = "sections"
                break
            current = nxt

        summary = DocumentSummary(
            job.document_id,
            job.title,
            job.choice.name,
            overview,
            [
                SectionSummary(
                    sec.index, sec.title, sec.pages, tuple(by_section.get(sec.index, []))
                )
                for sec, _ in sections
            ],
            source,
            max((p for sec, _ in sections for p in sec.pages), default=None),
        )
        self._finish(job, summary)
        return True

    def pick_overview(
        self, statements: Sequence[Statement], collection: str, n: int = OVERVIEW_STATEMENTS
    ) -> list[Statement]:
        """Up to ``n`` of the verified ``statements``, at most one per section, none a
        copy of another (:func:`appliance.rag.overview.copies`), the most
        central to the whole (:func:`appliance.rag.overview.pick_central`, embedded
        with the collection's embedder), in reading order."""
        shown = [s for s in statements if s.supported]
        shown = [
            s
            for s, repeat in zip(shown, copies([s.text for s in shown]), strict=True)
            if not repeat
        ]
        if not shown or self._embedder_for is None:
            return []
        vectors = self._embedder_for(collection).embed([s.text for s in shown])
        picked = pick_central(vectors, n, [s.section for s in shown])
        return [shown[i] for i in picked]

    def _map(
        self,
        part: SectionPart,
        generate: Callable[[list[ChatMessage]], list[str]],
        checker: StatementChecker,
        conceal: Callable[[str], str],
    ) -> list[Statement]:
        candidates = [(part.section, p.page) for p in part.pieces]
        out: list[Statement] = []
        seen: set[str] = set()
        for raw in generate(map_messages(part)):
            parsed = parse_statement(conceal(raw))
            if parsed is None:
                continue
            text, markers, _ = parsed
            if text.casefold() in seen:
                continue
            seen.add(text.casefold())
            cited = [
                (part.section if s == 0 else s, p)
                for s, p in markers
                if (part.section if s == 0 else s) == part.section
            ]
            out.append(checker.judge(text, cited, candidates))
        return out

    def _reduce(
        self,
        group: list[Statement],
        want: int,
        generate: Callable[[list[ChatMessage]], list[str]],
        checker: StatementChecker,
        conceal: Callable[[str], str],
    ) -> list[Statement]:
        candidates = [(s.section, s.page) for s in group]
        out: list[Statement] = []
        seen: set[str] = set()
        for raw in generate(reduce_messages(group, want)):
            parsed = parse_statement(conceal(raw))
            if parsed is None:
                continue
            text, markers, numbers = parsed
            if text.casefold() in seen:
                continue
            seen.add(text.casefold())
            cited = [(s, p) for s, p in markers if s > 0]
            cited += [candidates[n - 1] for n in numbers if 1 <= n <= len(candidates)]
            out.append(checker.judge(text, cited, candidates))
        return out

    def _answer_stage(self, policy: Policy) -> Callable[[str], str]:
        """The answer stage on what the model wrote: a personal value it wrote that is
        no placeholder of the document is redacted (``[TYPE]``); a blocked type stops
        the job (:class:`PiiBlocked`)."""

        def conceal(text: str) -> str:
            found = self.privacy.find(text, policy, "answer")
            keep = [(m.start(), m.end()) for m in PLACEHOLDER.finditer(text)]
            for e in sorted(found, key=lambda e: e.start, reverse=True):
                if any(e.start < b and a < e.end for a, b in keep):
                    continue
                if policy.action(e.type, "answer") == "block":
                    raise PiiBlocked([e.type], "answer", policy)
                text = f"{text[: e.start]}[{e.type}]{text[e.end :]}"
            return text

        return conceal

    # -- records -----------------------------------------------------------------------

    def _cancelled(self, job: _Job, cancel: threading.Event | None) -> bool:
        if cancel is not None and cancel.is_set():
            return True
        with self.db.session() as s:
            return bool(
                s.scalar(select(Summary.cancel_requested).where(Summary.id == job.summary_id))
            )

    def _save_step(self, job: _Job, name: str, statements: list[Statement]) -> None:
        sealed = self.vault.seal_summary(
            job.collection_id,
            job.document_id,
            job.summary_id,
            name,
            json.dumps([s.as_json() for s in statements]),
        )
        with self.db.session() as s:
            s.add(SummaryStep(summary_id=job.summary_id, step=name, result_sealed=sealed))

    def _set_done(self, job: _Job) -> None:
        with self.db.session() as s:
            s.execute(
                update(Summary)
                .where(Summary.id == job.summary_id)
                .values(
                    done_steps=job.done, total_steps=max(job.total, job.done), updated_at=_now()
                )
            )

    def _set_total(self, job: _Job) -> None:
        with self.db.session() as s:
            s.execute(
                update(Summary)
                .where(Summary.id == job.summary_id)
                .values(total_steps=job.total, done_steps=job.done, updated_at=_now())
            )

    def _end(self, summary_id: str, status: str) -> None:
        with self.db.session() as s:
            s.execute(
                update(Summary)
                .where(Summary.id == summary_id, Summary.status == SummaryStatus.RUNNING)
                .values(status=status, updated_at=_now(), cancel_requested=False)
            )

    def _finish(self, job: _Job, summary: DocumentSummary) -> None:
        sealed = self.vault.seal_summary(
            job.collection_id,
            job.document_id,
            job.summary_id,
            "result",
            json.dumps(summary.as_json()),
        )
        counts = summary.counts()
        with self.db.session() as s:
            s.execute(
                update(Summary)
                .where(Summary.id == job.summary_id)
                .values(
                    status=SummaryStatus.DONE,
                    result_sealed=sealed,
                    counts=json.dumps(counts),
                    done_steps=job.done,
                    total_steps=job.done,
                    cancel_requested=False,
                    updated_at=_now(),
                    finished_at=_now(),
                )
            )
            # The steps are what a resumed job needs; the summary holds them now.
            s.execute(delete(SummaryStep).where(SummaryStep.summary_id == job.summary_id))
        self.audit.append(
            "summary.complete",
            **job.who.audit_fields(),
            resource=f"collection:{job.collection}/document:{job.document_id}",
            model=job.choice.name,
            model_sha256=self.models.digest(job.choice),
            policy=job.policy.name,
            policy_digest=job.policy.digest,
            steps=job.done,
            reused=job.reused,
            verification=counts,
        )

    def _record_stop(self, job: _Job, reason: str) -> None:
        self.audit.append(
            "summary.stopped",
            **job.who.audit_fields(),
            resource=f"collection:{job.collection}/document:{job.document_id}",
            outcome="failure",
            reason=reason,
            steps=job.done,
        )


def _groups(
    statements: list[Statement], cost: Callable[[list[Statement]], int], budget: int
) -> list[list[Statement]]:
    """``statements`` in consecutive groups whose reduce prompt fits ``budget`` tokens."""
    groups: list[list[Statement]] = []
    current: list[Statement] = []
    for s in statements:
        if current and cost([*current, s]) > budget:
            groups.append(current)
            current = []
        current.append(s)
    if current:
        groups.append(current)
    return groups


def _spread(statements: list[Statement], n: int) -> list[Statement]:
    """Up to ``n`` statements picked evenly through the document: one per section
    first, in reading order."""
    firsts = list({s.section: s for s in reversed(statements)}.values())[::-1]
    if len(firsts) <= n:
        return sorted(firsts, key=lambda s: s.section)
    step = len(firsts) / n
    return [firsts[int(i * step)] for i in range(n)]


def _context_view(text: str, mapping: dict[str, tuple[str, str]], policy: Policy) -> str:
    """A stored passage as the model may read it: the document's placeholders stay
    placeholders (the model never sees a value), a type the context stage redacts or
    masks is redacted or masked, one it blocks stops the job; an erased one's
    placeholder becomes its bare type."""

    def swap(m: re.Match[str]) -> str:
        found = mapping.get(m.group(0))
        if found is None:
            return f"[{m.group(1)}]"
        entity_type, value = found
        action = policy.action(entity_type, "context")
        if action == "block":
            raise PiiBlocked([entity_type], "context", policy)
        if action in ("redact", "mask"):
            return replacement(action, entity_type, value, None)
        return m.group(0)

    return PLACEHOLDER.sub(swap, text)


def reveal_summary(
    summary: DocumentSummary,
    mapping: dict[str, tuple[str, str]],
    policy: Policy,
    reveal: bool,
) -> tuple[DocumentSummary, dict[str, int]]:
    """``summary`` as a reader is shown it (the answer stage's actions): a type the
    policy redacts or masks in answers is, for every role; other placeholders become
    their values only when ``reveal`` (the caller checked the role may). Returns the
    counts of what was re-identified, per type."""
    counts: dict[str, int] = {}

    def swap(m: re.Match[str]) -> str:
        found = mapping.get(m.group(0))
        if found is None:
            return m.group(0)
        entity_type, value = found
        action = policy.action(entity_type, "answer")
        if action in ("redact", "mask"):
            return replacement(action, entity_type, value, None)
        if not reveal or action == "block":
            return m.group(0)
        counts[entity_type] = counts.get(entity_type, 0) + 1
        return value

    def show(st: Statement) -> Statement:
        return replace(st, text=PLACEHOLDER.sub(swap, st.text))

    shown = DocumentSummary(
        summary.document_id,
        PLACEHOLDER.sub(swap, summary.title),
        summary.model,
        [show(s) for s in summary.overview],
        [
            replace(
                sec,
                title=PLACEHOLDER.sub(swap, sec.title),
                statements=tuple(show(s) for s in sec.statements),
            )
            for sec in summary.sections
        ],
        summary.overview_source,
        summary.pages,
    )
    return shown, counts


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)
