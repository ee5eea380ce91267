"""Summaries of a set of documents, composed from the documents' own summaries.

A set is summarised document by document: each document's summary job runs as a
single document's does (:mod:`appliance.rag.summaries`), a finished one is reused
and a stopped one taken up where it stopped. Nothing is stored for the set itself:
its parts are the documents' summaries, sealed with each document's data key, so a
set's summary is sealed at rest and goes with its documents by construction; a set
one of whose documents was deleted can no longer be read (it answers "no
document").

The set's **overview** is picked, never written, like a document's: from the
documents' verified overview statements (a document without one lends its verified
section statements), embedded with one embedder for all (the first document's
collection's, so every vector is comparable), the most central to the set and none
repeating another (:func:`appliance.rag.overview.pick_central`), grouped by
document so that every document gets its share (:func:`overview_size`), in set
order. Each statement's marker names its document: ``[d2, s3, p. 12]`` is section
3, page 12 of the set's second document; the legend (``d2`` = title, file name)
comes first. A set of one document is that document's summary: its own overview.

Progress is the documents' jobs together (documents done, steps done of the steps
known so far: a document's steps are counted once its job starts). A cancel stops
the running document's job after its step and the set before its next document
(also from another process, see :meth:`SummarySets.cancel`); a resume, or a restart
and a resume, goes on from where each document stands.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from appliance.errors import CollectionNotFound, DocumentError, DocumentNotFound, SummaryBusy
from appliance.rag.overview import copies, pick_central
from appliance.rag.summaries import (
    MAX_STEP_TOKENS,
    OVERVIEW_STATEMENTS,
    DocumentSummary,
    Statement,
    SummaryProgress,
    SummaryState,
)
from appliance.store.schema import Document

if TYPE_CHECKING:
    from appliance.caller import Caller
    from appliance.rag.pipeline import Pipeline

# Documents in one set at most. Each document's summary is a job of its own, run one
# after another on its collection's model queue (a set of 20 ten-page documents is
# some hours on a CPU, bench/RESULTS.md §14: 1.58 pages/min), and the set's overview
# gives every document at least one statement (:func:`overview_size`), so 20
# documents already make an overview of 20 statements and a legend of 20 lines:
# beyond that it is no longer an overview to read at a glance. Summarise larger
# sets in parts.
MAX_SET_DOCUMENTS = 20

# "[d2, s3, p. 12]" or "[d2, s3]": a statement of a set's summary.
SET_MARKER_FORMAT = "[d{document}, s{section}{page}]"


def overview_size(documents: int) -> tuple[int, int]:
    """(statements in a set's overview, at most from one document) for a set of
    ``documents`` documents (>= 1): :data:`OVERVIEW_STATEMENTS` as for one document,
    or one per document when there are more documents than that (every document is
    represented); each document may give an equal share of the total, rounded up
    (2 documents: 8 statements, up to 4 each; 20: 20 statements, 1 each)."""
    total = max(OVERVIEW_STATEMENTS, documents)
    return total, max(1, math.ceil(total / max(1, documents)))


def set_ids(document_ids: Iterable[str]) -> list[str]:
    """The set's document ids in the order given, blanks and duplicates removed.
    Raises :class:`DocumentError` for an empty set or one over
    :data:`MAX_SET_DOCUMENTS`."""
    ids = list(dict.fromkeys(d.strip() for d in document_ids if d and d.strip()))
    if not ids:
        raise DocumentError("no documents chosen: a set summary needs one document or more.")
    if len(ids) > MAX_SET_DOCUMENTS:
        raise DocumentError(
            f"{len(ids)} documents chosen; a set summary takes at most {MAX_SET_DOCUMENTS} "
            "(each is summarised in turn and each gets a share of the overview): "
            "summarise the set in parts."
        )
    return ids


# -- the summary ------------------------------------------------------------------------


@dataclass(frozen=True)
class SetDocument:
    """A line of a set's legend: ``d{index}`` is this document."""

    index: int
    document_id: str
    title: str
    file: str

    @property
    def key(self) -> str:
        return f"d{self.index}"

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "index": self.index,
            "document_id": self.document_id,
            "title": self.title,
            "file": self.file,
        }


@dataclass(frozen=True)
class SetStatement:
    """A statement of a set's summary: one of document ``document``'s (1-based in the
    set) statements, unchanged, cited with the document named."""

    document: int
    document_id: str
    statement: Statement

    @property
    def marker(self) -> str:
        """``[d2, s3, p. 12]``, or ``[d2, s3]`` without a page."""
        st = self.statement
        page = f", p. {st.page}" if st.page is not None else ""
        return SET_MARKER_FORMAT.format(document=self.document, section=st.section, page=page)

    @property
    def text(self) -> str:
        return self.statement.text

    def cited_text(self) -> str:
        body = self.statement.text.rstrip()
        if body and body[-1] in ".!?":
            return f"{body[:-1]} {self.marker}{body[-1]}"
        return f"{body} {self.marker}"

    def as_json(self) -> dict[str, Any]:
        return {
            **self.statement.as_json(),
            "document": self.document,
            "document_id": self.document_id,
            "marker": self.marker,
        }


@dataclass
class SetSummary:
    """A set's summary: the ``legend`` (``d1`` .. ``dn``), the set's ``overview`` and
    each document's own summary (``documents``, in set order). Statements carry the
    documents' placeholders unless revealed for the reader."""

    legend: list[SetDocument]
    overview: list[SetStatement]
    documents: list[DocumentSummary]

    def document_overview(self, index: int) -> list[SetStatement]:
        """Document ``index``'s (1-based) own verified overview, with set markers."""
        doc = self.documents[index - 1]
        return [
            SetStatement(index, doc.document_id, s) for s in _candidates(doc) if s in doc.overview
        ]

    def counts(self) -> dict[str, int]:
        return {
            "documents": len(self.documents),
            "overview": len(self.overview),
            "supported": sum(d.counts()["supported"] for d in self.documents),
            "unsupported": sum(d.counts()["unsupported"] for d in self.documents),
        }

    def text(self) -> str:
        """The legend, the set's overview, then each document's overview, every
        statement with its marker."""
        lines = [f"Summary of {len(self.documents)} documents", ""]
        lines += [f"{d.key} = {d.title} ({d.file})" for d in self.legend]
        lines += [""] + [f"- {s.cited_text()}" for s in self.overview]
        for d in self.legend:
            own = self.document_overview(d.index)
            if own:
                lines += ["", f"{d.key}. {d.title}"]
                lines += [f"- {s.cited_text()}" for s in own]
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "legend": [d.as_json() for d in self.legend],
            "overview": [s.as_json() for s in self.overview],
            "documents": [d.as_json() for d in self.documents],
            "counts": self.counts(),
        }


def _candidates(summary: DocumentSummary) -> list[Statement]:
    """A document's statements the set's overview may pick: its verified overview, or
    its verified section statements when its overview has none."""
    shown = [s for s in summary.overview if s.supported]
    return shown or [s for sec in summary.sections for s in sec.statements if s.supported]


def compose_overview(
    summaries: Sequence[DocumentSummary],
    embed: Callable[[list[str]], Any],
) -> list[SetStatement]:
    """The set's overview from its documents' summaries (set order): see the module's
    text. ``embed``: texts -> unit vectors (n, dim), one embedder for all. A set of
    one is that document's own verified overview."""
    pool = [
        SetStatement(i, s.document_id, st)
        for i, s in enumerate(summaries, start=1)
        for st in _candidates(s)
    ]
    if len(summaries) == 1:
        return [p for p in pool if p.statement in summaries[0].overview] or pool
    # Two versions of one policy say the same things: a copy is left out.
    pool = [p for p, repeat in zip(pool, copies([p.text for p in pool]), strict=True) if not repeat]
    if not pool:
        return []
    total, per_document = overview_size(len(summaries))
    vectors = embed([p.text for p in pool])
    picked = pick_central(vectors, total, [p.document for p in pool], per_group=per_document)
    return [pool[i] for i in picked]


# -- progress ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SetState:
    """Where a set's summary stands (no text): each document's job (None: not
    started) and whether a set run is under way in this process.

    ``status``: "done" (every document's summary finished), "running", "cancelled",
    "failed" or "interrupted" (the first stopped document's, in set order), or
    "pending" (documents left that were never started, none stopped)."""

    document_ids: tuple[str, ...]
    jobs: tuple[SummaryState | None, ...]
    running: bool = False

    @property
    def status(self) -> str:
        known = [j.status if j is not None else "pending" for j in self.jobs]
        if all(s == "done" for s in known):
            return "done"
        if self.running or "running" in known:
            return "running"
        stopped = [s for s in known if s in ("cancelled", "failed", "interrupted")]
        return stopped[0] if stopped else "pending"

    @property
    def resumable(self) -> bool:
        return self.status in ("cancelled", "failed", "interrupted", "pending")

    @property
    def cancel_requested(self) -> bool:
        return any(j is not None and j.cancel_requested for j in self.jobs)

    @property
    def documents_done(self) -> int:
        return sum(1 for j in self.jobs if j is not None and j.status == "done")

    @property
    def done_steps(self) -> int:
        return sum(j.done_steps for j in self.jobs if j is not None)

    @property
    def total_steps(self) -> int:
        return sum(max(j.total_steps, j.done_steps) for j in self.jobs if j is not None)

    @property
    def percent(self) -> int:
        """Documents done count whole; the running one by its steps."""
        if self.status == "done":
            return 100
        parts = [
            (1.0 if j.status == "done" else j.done_steps / max(1, j.total_steps))
            if j is not None
            else 0.0
            for j in self.jobs
        ]
        return int(100 * sum(parts) / max(1, len(parts)))

    def as_json(self) -> dict[str, Any]:
        return {
            "document_ids": list(self.document_ids),
            "status": self.status,
            "documents": len(self.document_ids),
            "documents_done": self.documents_done,
            "done_steps": self.done_steps,
            "total_steps": self.total_steps,
            "percent": self.percent,
            "cancel_requested": self.cancel_requested,
            "jobs": [
                j.as_json()
                if j is not None
                else {"document_id": d, "status": "pending", "done_steps": 0, "total_steps": 0}
                for d, j in zip(self.document_ids, self.jobs, strict=True)
            ],
        }


@dataclass(frozen=True)
class SetProgress:
    """A step of a set's run: document ``document`` of ``documents`` (1-based),
    ``step`` its job's step, or None when its summary was found finished."""

    document: int
    documents: int
    document_id: str
    step: SummaryProgress | None


# -- running ----------------------------------------------------------------------------


@dataclass
class _Run:
    cancel: threading.Event = field(default_factory=threading.Event)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))


class SummarySets:
    """Runs, follows, cancels and reads set summaries through the pipeline's document
    summaries, with the same access checks (see the module's text)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self._lock = threading.Lock()
        self._runs: dict[tuple[str, ...], _Run] = {}  # sets this process is running
        # Overviews already composed, by the statements they were picked from: a
        # client polling a finished set does not re-embed them on every request.
        self._overviews: dict[tuple[str, ...], list[SetStatement]] = {}

    def check(self, document_ids: Iterable[str], who: Caller) -> tuple[list[str], list[str]]:
        """(the set's ids, their collections) after :func:`set_ids`; every document
        must exist and be readable by ``who``, else :class:`CollectionNotFound`
        naming it (:class:`DocumentNotFound`; a document the caller may not read is
        answered like a missing one, and the refusal recorded)."""
        ids = set_ids(document_ids)
        collections = []
        for i, doc_id in enumerate(ids, start=1):
            try:
                collections.append(self.pipeline._document_for(doc_id, who))
            except CollectionNotFound:
                raise DocumentNotFound(
                    f"no document {doc_id!r} (d{i} of the set): it was deleted, or never "
                    "was. Leave it out of the set and try again."
                ) from None
        return ids, collections

    @staticmethod
    def _key(ids: Sequence[str]) -> tuple[str, ...]:
        return tuple(sorted(ids))

    def state(self, document_ids: Iterable[str], who: Caller) -> SetState:
        """Each document's job, after the access checks of :meth:`check`."""
        ids, _ = self.check(document_ids, who)
        return self._state(ids)

    def _state(self, ids: list[str]) -> SetState:
        jobs = self.pipeline.summaries.states(ids)
        with self._lock:
            running = self._key(ids) in self._runs
        return SetState(tuple(ids), tuple(jobs.get(d) for d in ids), running)

    def summarise(
        self,
        document_ids: Iterable[str],
        who: Caller,
        *,
        resume: bool = False,
        on_progress: Callable[[SetProgress], None] | None = None,
        cancel: threading.Event | None = None,
        max_tokens: int | None = None,
        background: bool = False,
    ) -> SetState:
        """Summarise every document of the set in turn (finished ones reused, stopped
        ones taken up; ``resume`` changes nothing for a set, whose documents always
        go on from where they stand) until all are done or one stops; the set's
        state. With ``background`` on a thread, the state returned at once. The
        request is recorded (``summary.set.request``: the document ids, no text).
        Raises what :meth:`check` raises, :class:`SummaryBusy` while this process
        runs the same set, and what a document's job raises."""
        ids, collections = self.check(document_ids, who)
        key = self._key(ids)
        run = _Run(cancel if cancel is not None else threading.Event())
        with self._lock:
            if key in self._runs:
                raise SummaryBusy(
                    f"a summary of this set of {len(ids)} documents is under way; wait for "
                    "it, or cancel it first."
                )
            self._runs[key] = run
        try:
            self.pipeline.audit.append(
                "summary.set.request",
                **who.audit_fields(),
                resource="summary-set",
                document_ids=ids,
                collections=sorted(set(collections)),
                resume=resume,
            )
        except BaseException:
            with self._lock:
                self._runs.pop(key, None)
            raise

        def work() -> SetState:
            try:
                self._run(ids, who, run, on_progress, max_tokens)
            finally:
                with self._lock:
                    self._runs.pop(key, None)
            return self._state(ids)

        if not background:
            return work()

        def quietly() -> None:
            with contextlib.suppress(Exception):  # each document's job records its end
                work()

        threading.Thread(target=quietly, name=f"summary-set-{ids[0]}", daemon=True).start()
        return self._state(ids)

    def _run(
        self,
        ids: list[str],
        who: Caller,
        run: _Run,
        on_progress: Callable[[SetProgress], None] | None,
        max_tokens: int | None,
    ) -> None:
        summaries = self.pipeline.summaries
        for i, doc_id in enumerate(ids, start=1):
            if run.cancel.is_set():
                return
            job = summaries.state(doc_id)
            if job is not None and job.status == "cancelled" and job.updated_at >= run.started:
                return  # cancelled (by :meth:`cancel`, maybe from another process) since
            if job is not None and job.status == "done":
                if on_progress is not None:
                    on_progress(SetProgress(i, len(ids), doc_id, None))
                continue

            def step(p: SummaryProgress, i: int = i, doc_id: str = doc_id) -> None:
                if on_progress is not None:
                    on_progress(SetProgress(i, len(ids), doc_id, p))

            state, _, _ = self.pipeline.summarise(
                doc_id,
                who,
                resume=True,
                on_progress=step,
                cancel=run.cancel,
                max_tokens=max_tokens if max_tokens is not None else MAX_STEP_TOKENS,
            )
            if state.status != "done":
                return

    def cancel(self, document_ids: Iterable[str], who: Caller) -> SetState:
        """Stop the set: the running document's job after its current step (in any
        process), and the set before its next document. Documents never started are
        marked cancelled, so that a set run in another process stops at them too;
        a resume takes them up. Recorded (``summary.set.cancel``, and each running
        document's ``summary.cancel``)."""
        ids, collections = self.check(document_ids, who)
        with self._lock:
            run = self._runs.get(self._key(ids))
        if run is not None:
            run.cancel.set()
        jobs = self.pipeline.summaries.states(ids)
        for doc_id, collection in zip(ids, collections, strict=True):
            job = jobs.get(doc_id)
            if job is None:
                self.pipeline.summaries.mark_cancelled(
                    doc_id, who, self.pipeline.models.model_for(collection).name
                )
            elif job.status == "running":
                self.pipeline.cancel_summary(doc_id, who)
        self.pipeline.audit.append(
            "summary.set.cancel",
            **who.audit_fields(),
            resource="summary-set",
            document_ids=ids,
        )
        return self._state(ids)

    def read(self, document_ids: Iterable[str], who: Caller, *, reveal: bool = False) -> SetSummary:
        """The set's summary once every document's is finished; each document's
        reading is recorded as for one document (``summary.view``), placeholders
        re-identified only when ``reveal`` and every document's policy lets the
        caller's role (:class:`NotAllowed` otherwise). Raises what :meth:`check`
        raises, and :class:`SummaryNotFound` while a document's summary is not
        finished."""
        ids, collections = self.check(document_ids, who)
        plain = [self.pipeline.summaries.read(d) for d in ids]  # placeholders: picked on
        shown = [self.pipeline.read_summary(d, who, reveal=reveal) for d in ids]
        picked = self._overview(plain, collections[0])
        # The same statements as the reader is shown them (placeholders revealed or not).
        overview = []
        for p in picked:
            doc_plain, doc_shown = plain[p.document - 1], shown[p.document - 1]
            where = _candidates(doc_plain).index(p.statement)
            overview.append(SetStatement(p.document, p.document_id, _candidates(doc_shown)[where]))
        legend = []
        with self.pipeline.db.session() as s:
            for i, (doc_id, summary) in enumerate(zip(ids, shown, strict=True), start=1):
                doc = s.get(Document, doc_id)
                source = self.pipeline.vault.open_document(doc).source if doc else ""
                legend.append(SetDocument(i, doc_id, summary.title, _basename(source)))
        return SetSummary(legend, overview, shown)

    def _overview(self, plain: list[DocumentSummary], collection: str) -> list[SetStatement]:
        """:func:`compose_overview` of ``plain``, remembered by the statements it picks
        from (a summary redone gives other statements, hence another key; at most 64
        sets are remembered)."""
        key = tuple(
            f"{i}\x1f{s.document_id}\x1f{st.text}"
            for i, s in enumerate(plain, start=1)
            for st in _candidates(s)
        )
        with self._lock:
            known = self._overviews.get(key)
        if known is not None:
            return known
        embedder = self.pipeline.library.embedder_for(
            self.pipeline.library.get_collection(collection)
        )
        picked = compose_overview(plain, lambda texts: embedder.embed(texts))
        with self._lock:
            if len(self._overviews) >= 64:
                self._overviews.pop(next(iter(self._overviews)))
            self._overviews[key] = picked
        return picked


def _basename(source: str) -> str:
    return source.replace("\\", "/").rsplit("/", 1)[-1]
