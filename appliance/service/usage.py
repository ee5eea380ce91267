"""Usage and cost: what the appliance is used for and what it saves.

Every question (``ask``, ``chat``; the web UI, the CLI and ``/v1`` alike) and every
ingested file is counted here, in one place, when it ends: the day (UTC), the
account's id and its groups, the collection, prompt and completion tokens, the time
to the first text and to the end, and whether it was refused or blocked for personal
data. Counts only: no question text, no file name (:mod:`appliance.store.usage`).

The reports sum those rows per user, group, collection or day over a period, and set
the cost per 1,000 questions on this hardware beside what the same tokens would have
cost at a pay-per-token API's prices (the ``cost_*`` settings; formulas in
:class:`~appliance.store.usage.CostComparison`).
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from appliance.caller import Caller
from appliance.errors import (
    ApplianceError,
    EgressRefused,
    GenerationCancelled,
    NotAllowed,
    Overloaded,
    QuestionTooLong,
    StoreError,
)
from appliance.privacy import PiiBlocked
from appliance.rag.documents import IngestResult
from appliance.rag.pipeline import AnswerStream
from appliance.service.admin import Administration
from appliance.store.schema import Role
from appliance.store.usage import (
    BY,
    COLUMNS,
    CostComparison,
    CostInputs,
    UsageFigures,
    UsageRecord,
    UsageRow,
    compare_costs,
    summarise,
    total,
)

log = logging.getLogger("appliance.usage")

# Refusals before any answer: what the row says of them.
_REFUSED_BEFORE = {NotAllowed: "not_allowed", QuestionTooLong: "too_long", Overloaded: "overloaded"}


@dataclass(frozen=True)
class UsageReport:
    """A period's usage (days ``since`` .. ``until``, UTC, both included).

    ``tables``: the figures per "user", "group", "collection" and "day"; ``by``: the
    one :attr:`rows`, the CSV and the CLI show; ``total``: all of them together;
    ``daily``: one entry per day of the period (days without use included, for
    charts); ``cost``: the cost comparison."""

    since: date
    until: date
    by: str
    tables: dict[str, list[UsageFigures]]
    total: UsageFigures
    daily: list[UsageFigures]
    cost: CostComparison

    @property
    def rows(self) -> list[UsageFigures]:
        return self.tables[self.by]

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def as_csv(self) -> str:
        """The rows as CSV (header: ``by`` then :data:`COLUMNS` less the key), then a
        ``total`` line."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([self.by, *COLUMNS[1:]])
        for figures in [*self.rows, self.total]:
            values = figures.as_json()
            writer.writerow(["" if v is None else v for v in values.values()])
        return out.getvalue()

    def as_json(self) -> dict[str, object]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "by": self.by,
            "rows": [f.as_json() for f in self.rows],
            "total": self.total.as_json(),
            "cost": self.cost.as_json(),
        }


@dataclass(frozen=True)
class UsageTotals:
    """All-time figures without anyone's name (``/metrics``): per collection, per
    group, overall, and the cost comparison over the days since the first row."""

    by_collection: list[UsageFigures]
    by_group: list[UsageFigures]
    total: UsageFigures
    cost: CostComparison


class Usage(Administration):
    """Counting questions and files as they end; the usage reports (administrators)."""

    # -- counting (called by the staff's doors) -------------------------------------

    def _count(self, record: UsageRecord, who: Caller) -> None:
        """Append a row for ``who`` (an account; the machine's shell is counted without
        one). A failure to count never fails the question: it is logged."""
        username = who.actor if who.access is not None else None
        try:
            self.usage_ledger.record(record, username)
        except (SQLAlchemyError, StoreError):
            log.exception("a usage row could not be written")

    def _count_refusal(
        self, kind: str, collection: str, who: Caller, started: float, exc: BaseException
    ) -> None:
        """A question refused before any answer (no grant, blocked for personal data,
        refused by the gateway's final scan, too long, queue full); other errors are
        faults and not counted."""
        # The gateway's final scan refusing what would leave is a block for personal data.
        blocked = isinstance(exc, PiiBlocked | EgressRefused)
        outcome = "pii_blocked" if blocked else None
        if isinstance(exc, EgressRefused):
            outcome = "egress_refused"
        for kind_of, name in _REFUSED_BEFORE.items():
            if isinstance(exc, kind_of):
                outcome = name
        if outcome is None:
            return
        # A name typed by the caller is not copied unless it is a collection's.
        known = collection if collection and self.library.has_collection(collection) else ""
        self._count(
            UsageRecord(
                kind,
                known,
                latency_ms=_ms_since(started),
                refused=not blocked,
                pii_blocked=blocked,
                outcome=outcome,
            ),
            who,
        )

    def _count_when_finished(
        self, stream: AnswerStream, kind: str, collection: str, who: Caller, started: float
    ) -> AnswerStream:
        """Count ``stream`` when it ends (drained, failed or abandoned)."""

        def finished(s: AnswerStream, error: BaseException | None, cancelled: bool) -> None:
            ran = True
            if isinstance(error, Overloaded):
                outcome, ran = "overloaded", False
            elif isinstance(error, PiiBlocked):  # the answer stage blocked what was written
                outcome = "pii_blocked"
            elif isinstance(error, GenerationCancelled):
                outcome = "cancelled"
            elif error is not None:
                outcome = "error"
            elif s.answer is not None and not s.answer.found:
                # No passage was relevant: the model never ran (also when abandoned).
                outcome, ran = "nothing_found", False
            elif cancelled:
                outcome = "cancelled"
            else:
                outcome = "answered"
            first = s.first_text_at
            self._count(
                UsageRecord(
                    kind,
                    collection,
                    prompt_tokens=s.prompt_tokens if ran else 0,
                    completion_tokens=s.completion_tokens if ran else 0,
                    ttft_ms=None if first is None else _ms_since(started, first),
                    latency_ms=_ms_since(started),
                    refused=outcome in ("overloaded", "nothing_found"),
                    pii_blocked=outcome == "pii_blocked",
                    outcome=outcome,
                    external_model=s.external.model if s.external else "",
                    external_cost=s.external.cost if s.external else None,
                ),
                who,
            )

        stream.when_finished(finished)
        return stream

    def _counting_results(
        self,
        collection: str,
        who: Caller,
        on_result: Callable[[IngestResult], None] | None,
    ) -> Callable[[IngestResult], None]:
        """``on_result`` that first counts each file (its time: since the one before)."""
        last = [time.monotonic()]

        def counted(result: IngestResult) -> None:
            now = time.monotonic()
            self._count(
                UsageRecord(
                    "document",
                    collection,
                    latency_ms=round((now - last[0]) * 1000),
                    outcome=result.status,
                ),
                who,
            )
            last[0] = now
            if on_result is not None:
                on_result(result)

        return counted

    # -- reports (administrators) ---------------------------------------------------

    def _check_usage_reader(self, who: Caller) -> None:
        if who.role != Role.ADMIN:
            raise NotAllowed("usage figures are for administrators.")

    def cost_inputs(self) -> CostInputs:
        """The administrator's cost figures (``cost_*`` settings)."""
        s = self.settings
        return CostInputs(
            s.cost_currency,
            s.cost_hardware_price,
            s.cost_hardware_years,
            s.cost_power_watts,
            s.cost_kwh_price,
            s.cost_api_input_per_million,
            s.cost_api_output_per_million,
        )

    def _namers(self) -> tuple[Callable[[int | None], str], Callable[[int | None], str]]:
        users, groups = self.usage_ledger.names()

        def user_name(i: int | None) -> str:
            if i is None:
                return "(this machine)"
            return users.get(i, f"#{i} (deleted)")

        def group_name(i: int | None) -> str:
            if i is None:
                return "(no group)"
            return groups.get(i, f"#{i} (deleted)")

        return user_name, group_name

    def usage_report(
        self,
        *,
        since: date | None = None,
        until: date | None = None,
        by: str = "user",
        who: Caller | None = None,
    ) -> UsageReport:
        """The usage of days ``since`` .. ``until`` (UTC, both included; defaults: the
        first day counted, today) per user, group, collection and day (``by``: the
        table the report's rows and CSV show), with the cost comparison. Recorded as ``usage.read``.

        Raises :class:`NotAllowed` for a caller who is not an administrator,
        :class:`ApplianceError` for an unknown ``by`` or ``since`` after ``until``."""
        who = who or Caller.local()
        if by not in BY:
            raise ApplianceError(f"choose usage by {', '.join(BY)}, not {by!r}.")
        self._check_usage_reader(who)
        until = until or datetime.now(UTC).date()
        since = since or self.usage_ledger.first_day() or until
        if since > until:
            raise ApplianceError(f"the period starts ({since}) after it ends ({until}).")
        rows = self.usage_ledger.rows(since, until)
        user_name, group_name = self._namers()
        figures = total(rows)
        report = UsageReport(
            since,
            until,
            by,
            {b: summarise(rows, b, user_name=user_name, group_name=group_name) for b in BY},
            figures,
            _every_day(rows, since, until),
            compare_costs(figures, (until - since).days + 1, self.cost_inputs()),
        )
        self.audit.append(
            "usage.read",
            **who.audit_fields(),
            resource="usage",
            since=since.isoformat(),
            until=until.isoformat(),
            by=by,
        )
        return report

    def usage_totals(self) -> UsageTotals:
        """All-time figures per collection and per group (no user), for ``/metrics``
        (the caller's role is checked by the metrics route; nothing is recorded: a
        scraper reads it every few seconds)."""
        rows = self.usage_ledger.rows()
        _, group_name = self._namers()
        figures = total(rows)
        today = datetime.now(UTC).date()
        first = rows[0].day if rows else today
        return UsageTotals(
            summarise(rows, "collection"),
            summarise(rows, "group", group_name=group_name),
            figures,
            compare_costs(figures, (today - first).days + 1, self.cost_inputs()),
        )


def _ms_since(started: float, end: float | None = None) -> int:
    return round(((time.monotonic() if end is None else end) - started) * 1000)


def _every_day(rows: list[UsageRow], since: date, until: date) -> list[UsageFigures]:
    """One entry per day from ``since`` to ``until`` (at most the last 366 days)."""
    by_day = {f.key: f for f in summarise(rows, "day")}
    start = max(since, until - timedelta(days=365))
    days = [start + timedelta(days=n) for n in range((until - start).days + 1)]
    return [by_day.get(d.isoformat()) or UsageFigures(d.isoformat()) for d in days]
