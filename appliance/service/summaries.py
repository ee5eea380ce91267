"""The doors of summarising a document, or a set of documents: start (or resume) a
summary, follow its progress, cancel it and read it. Whoever may read a document may
summarise it (a set: every document of it); the request, its end, a cancel and each
reading are recorded (:mod:`appliance.rag.pipeline`, :mod:`appliance.rag.summaries`,
:mod:`appliance.rag.summary_sets`)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from appliance.caller import Caller
from appliance.rag.summaries import DocumentSummary, SummaryProgress, SummaryState
from appliance.rag.summary_sets import SetProgress, SetState, SetSummary
from appliance.startup import Parts


class Summaries(Parts):
    def summarise(
        self,
        document_id: str,
        *,
        who: Caller | None = None,
        resume: bool = False,
        on_progress: Callable[[SummaryProgress], None] | None = None,
        cancel: threading.Event | None = None,
        max_tokens: int | None = None,
    ) -> tuple[SummaryState, int, int]:
        """Summarise a document section by section, then as a whole, every statement
        citing its section and page; runs here until done or cancelled.

        Returns (the job's state, steps reused, steps computed). ``resume`` takes up
        a cancelled, failed or interrupted job where it stopped (a finished one is
        returned as it is); without it any earlier summary is replaced.
        ``on_progress`` is called after each step; ``max_tokens`` bounds each step's
        output (default :data:`appliance.rag.summaries.MAX_STEP_TOKENS`).

        Raises :class:`CollectionNotFound` for a document the caller may not read,
        :class:`SummaryBusy` while another job on it runs, :class:`PiiBlocked`,
        :class:`Overloaded` or :class:`ModelError` from the model."""
        return self.pipeline.summarise(
            document_id,
            who or Caller.local(),
            resume=resume,
            on_progress=on_progress,
            cancel=cancel,
            max_tokens=max_tokens,
        )

    def start_summary(
        self, document_id: str, *, who: Caller | None = None, resume: bool = False
    ) -> SummaryState:
        """:meth:`summarise` on a background thread (web and API): the job's state at
        once; follow it with :meth:`summary_state`."""
        state, _, _ = self.pipeline.summarise(
            document_id, who or Caller.local(), resume=resume, background=True
        )
        return state

    def summary_state(self, document_id: str, *, who: Caller | None = None) -> SummaryState | None:
        """Where the document's summary job stands (steps done of total), or None if
        it was never summarised. No text, so not recorded."""
        return self.pipeline.summary_state(document_id, who or Caller.local())

    def cancel_summary(self, document_id: str, *, who: Caller | None = None) -> SummaryState:
        """Stop the document's running summary after its current step (any process);
        the finished steps stay stored for a resume. Raises :class:`SummaryNotFound`."""
        return self.pipeline.cancel_summary(document_id, who or Caller.local())

    def read_summary(
        self, document_id: str, *, who: Caller | None = None, reveal: bool = False
    ) -> DocumentSummary:
        """The finished summary, with placeholders, or with the values when ``reveal``
        and the policy lets the caller's role re-identify (:class:`NotAllowed`
        otherwise). Raises :class:`SummaryNotFound` when none is finished."""
        return self.pipeline.read_summary(document_id, who or Caller.local(), reveal=reveal)

    def summary_states(
        self, collection: str, *, who: Caller | None = None
    ) -> dict[str, SummaryState]:
        """The summary jobs of ``collection``'s documents, by document id (a document
        never summarised is absent). Raises :class:`NotAllowed` without read access."""
        return self.pipeline.summary_states(collection, who or Caller.local())

    # -- sets of documents -----------------------------------------------------------

    def summarise_set(
        self,
        document_ids: list[str],
        *,
        who: Caller | None = None,
        resume: bool = False,
        on_progress: Callable[[SetProgress], None] | None = None,
        cancel: threading.Event | None = None,
        max_tokens: int | None = None,
    ) -> SetState:
        """Summarise a set of documents (see :mod:`appliance.rag.summary_sets`): each
        document's summary in turn (finished ones reused, stopped ones taken up), here
        until all are done or one stops; the set's state.

        Raises :class:`DocumentError` for an empty set or one of more than
        :data:`~appliance.rag.summary_sets.MAX_SET_DOCUMENTS` documents,
        :class:`CollectionNotFound` naming a document that is gone or that the caller
        may not read, :class:`SummaryBusy`, and what :meth:`summarise` raises."""
        return self.pipeline.summary_sets.summarise(
            document_ids,
            who or Caller.local(),
            resume=resume,
            on_progress=on_progress,
            cancel=cancel,
            max_tokens=max_tokens,
        )

    def start_summary_set(
        self, document_ids: list[str], *, who: Caller | None = None, resume: bool = False
    ) -> SetState:
        """:meth:`summarise_set` on a background thread (web and API): the set's state
        at once; follow it with :meth:`summary_set_state`."""
        return self.pipeline.summary_sets.summarise(
            document_ids, who or Caller.local(), resume=resume, background=True
        )

    def summary_set_state(self, document_ids: list[str], *, who: Caller | None = None) -> SetState:
        """Where each document's summary of the set stands (no text, not recorded);
        raises as :meth:`summarise_set` checks."""
        return self.pipeline.summary_sets.state(document_ids, who or Caller.local())

    def cancel_summary_set(self, document_ids: list[str], *, who: Caller | None = None) -> SetState:
        """Stop the set: its running document after the current step (any process),
        and the documents after it; a resume goes on from there."""
        return self.pipeline.summary_sets.cancel(document_ids, who or Caller.local())

    def read_summary_set(
        self, document_ids: list[str], *, who: Caller | None = None, reveal: bool = False
    ) -> SetSummary:
        """The set's summary (legend, overview picked across the documents, each
        document's summary) once every document's is finished; raises
        :class:`SummaryNotFound` before, :class:`NotAllowed` for a ``reveal`` a
        document's policy does not allow the caller's role."""
        return self.pipeline.summary_sets.read(document_ids, who or Caller.local(), reveal=reveal)
