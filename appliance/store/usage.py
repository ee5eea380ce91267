"""Usage and cost: one counted row per question or ingested file, and their sums.

The ledger keeps counts only: the day (UTC), the kind of act, the account's id and
the ids of its groups at the time, the collection's name, tokens, times and how it
ended. Never a question, an answer, a file name or an address: the usage page and
``/metrics`` can be shown to anyone who runs the machine.

:func:`summarise` groups rows by user, group, collection or day; :func:`compare_costs`
turns the sums and the administrator's figures (``cost_*`` settings) into a cost per
1,000 questions on this hardware beside what a pay-per-token API would have charged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
from sqlalchemy import ColumnElement, select

from appliance.store.database import Database
from appliance.store.schema import Group, GroupMember, UsageEvent, UsageEventGroup, User

QUESTION_KINDS = ("question", "chat")
DOCUMENT_KIND = "document"
# Ingestion results that put a document (or a new version of one) in the index.
DOCUMENT_INGESTED = ("added", "replaced")
BY = ("user", "group", "collection", "day")
# Days in a year, for amortisation over a lifetime given in years.
YEAR_DAYS = 365.25


@dataclass(frozen=True)
class UsageRecord:
    """What one act adds to the ledger (who did it is passed beside it).

    Times in milliseconds: ``ttft_ms`` from the request to the first text shown (None
    when nothing was shown), ``latency_ms`` from the request to the end of the answer
    (for a file: the time its ingestion took)."""

    kind: str  # "question", "chat" or "document"
    collection: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ttft_ms: int | None = None
    latency_ms: int = 0
    refused: bool = False
    pii_blocked: bool = False
    outcome: str = ""
    # The external model that answered through the hybrid gateway ("" : a local one),
    # and its cost at the administrator's price (None: no price, or local).
    external_model: str = ""
    external_cost: float | None = None


@dataclass(frozen=True)
class UsageRow:
    """One row of the ledger, as read back (``groups``: group ids; ``user_id`` None:
    the machine's own shell)."""

    day: date
    kind: str
    user_id: int | None
    groups: tuple[int, ...]
    collection: str
    prompt_tokens: int
    completion_tokens: int
    ttft_ms: int | None
    latency_ms: int
    refused: bool
    pii_blocked: bool
    outcome: str
    external_model: str = ""
    external_cost: float | None = None


class UsageLedger:
    """The ``usage_events`` table: append a row, read the rows of a period."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, record: UsageRecord, username: str | None, *, day: date | None = None) -> None:
        """Append ``record`` for account ``username`` (None, or a name no account has:
        counted without a user) with the account's groups as they are now; ``day``
        defaults to today in UTC."""
        with self.db.session() as s:
            user_id = None
            groups: list[int] = []
            if username is not None:
                user_id = s.scalar(select(User.id).where(User.username == username))
            if user_id is not None:
                groups = list(
                    s.scalars(select(GroupMember.group_id).where(GroupMember.user_id == user_id))
                )
            event = UsageEvent(
                day=day or datetime.now(UTC).date(),
                kind=record.kind,
                user_id=user_id,
                collection=record.collection[:64],
                prompt_tokens=max(record.prompt_tokens, 0),
                completion_tokens=max(record.completion_tokens, 0),
                ttft_ms=record.ttft_ms,
                latency_ms=max(record.latency_ms, 0),
                refused=record.refused,
                pii_blocked=record.pii_blocked,
                outcome=record.outcome[:16],
                external_model=record.external_model[:128],
                external_cost=record.external_cost,
            )
            s.add(event)
            s.flush()  # the row's id, for its groups
            s.add_all(UsageEventGroup(event_id=event.id, group_id=g) for g in sorted(groups))

    def rows(self, since: date | None = None, until: date | None = None) -> list[UsageRow]:
        """The rows of days ``since`` .. ``until`` (both included; None: no bound),
        oldest first."""
        bounds: list[ColumnElement[bool]] = []
        if since is not None:
            bounds.append(UsageEvent.day >= since)
        if until is not None:
            bounds.append(UsageEvent.day <= until)
        with self.db.session() as s:
            events = list(
                s.scalars(select(UsageEvent).where(*bounds).order_by(UsageEvent.day, UsageEvent.id))
            )
            groups: dict[int, list[int]] = {}
            if events:
                links = select(UsageEventGroup.event_id, UsageEventGroup.group_id).where(
                    UsageEventGroup.event_id.in_(select(UsageEvent.id).where(*bounds))
                )
                for event_id, group_id in s.execute(links):
                    groups.setdefault(event_id, []).append(group_id)
        return [
            UsageRow(
                e.day,
                e.kind,
                e.user_id,
                tuple(sorted(groups.get(e.id, ()))),
                e.collection,
                e.prompt_tokens,
                e.completion_tokens,
                e.ttft_ms,
                e.latency_ms,
                e.refused,
                e.pii_blocked,
                e.outcome,
                e.external_model,
                e.external_cost,
            )
            for e in events
        ]

    def first_day(self) -> date | None:
        """The day of the oldest row (None: the ledger is empty)."""
        with self.db.session() as s:
            return s.scalar(select(UsageEvent.day).order_by(UsageEvent.day).limit(1))

    def names(self) -> tuple[dict[int, str], dict[int, str]]:
        """(account id -> username, group id -> group name), for display."""
        with self.db.session() as s:
            users = {i: n for i, n in s.execute(select(User.id, User.username))}
            groups = {i: n for i, n in s.execute(select(Group.id, Group.name))}
        return users, groups


# -- sums -----------------------------------------------------------------------------


@dataclass
class UsageFigures:
    """The sums of one user, group, collection or day (``key``) over a period.

    Latency percentiles (milliseconds, None when there is nothing to measure) are over
    the questions that were answered; ``busy_ms`` is the time spent answering and
    ingesting, everything included."""

    key: str
    questions: int = 0
    documents: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    refusals: int = 0
    pii_blocks: int = 0
    busy_ms: int = 0
    # Questions an external model answered (hybrid gateway), their tokens and cost.
    external_questions: int = 0
    external_tokens: int = 0
    external_cost: float = 0.0
    ttft_p50_ms: float | None = None
    ttft_p95_ms: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    _ttft: list[int] = field(default_factory=list, repr=False)
    _latency: list[int] = field(default_factory=list, repr=False)

    def add(self, row: UsageRow) -> None:
        self.busy_ms += row.latency_ms
        if row.kind == DOCUMENT_KIND:
            self.documents += row.outcome in DOCUMENT_INGESTED
            return
        self.questions += 1
        self.prompt_tokens += row.prompt_tokens
        self.completion_tokens += row.completion_tokens
        self.refusals += row.refused
        self.pii_blocks += row.pii_blocked
        if row.external_model:
            self.external_questions += 1
            self.external_tokens += row.prompt_tokens + row.completion_tokens
            self.external_cost += row.external_cost or 0.0
        if row.outcome == "answered":
            self._latency.append(row.latency_ms)
            if row.ttft_ms is not None:
                self._ttft.append(row.ttft_ms)

    def finish(self) -> UsageFigures:
        self.ttft_p50_ms, self.ttft_p95_ms = _percentiles(self._ttft)
        self.latency_p50_ms, self.latency_p95_ms = _percentiles(self._latency)
        return self

    def as_json(self) -> dict[str, object]:
        """The figures as a flat dict (the CSV's and the CLI's columns)."""
        return {
            "key": self.key,
            "questions": self.questions,
            "documents": self.documents,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "ttft_p50_ms": _rounded(self.ttft_p50_ms),
            "ttft_p95_ms": _rounded(self.ttft_p95_ms),
            "latency_p50_ms": _rounded(self.latency_p50_ms),
            "latency_p95_ms": _rounded(self.latency_p95_ms),
            "refusals": self.refusals,
            "pii_blocks": self.pii_blocks,
            "busy_seconds": round(self.busy_ms / 1000, 3),
            "external_questions": self.external_questions,
            "external_tokens": self.external_tokens,
            "external_cost": round(self.external_cost, 6),
        }


def _rounded(value: float | None) -> int | None:
    return None if value is None else round(value)


def _percentiles(values: list[int]) -> tuple[float | None, float | None]:
    """p50 and p95 (numpy's linear interpolation between the closest ranks)."""
    if not values:
        return None, None
    p50, p95 = np.percentile(np.asarray(values, dtype=float), [50, 95])
    return float(p50), float(p95)


# The columns of a table of figures (the CSV's header, after the key).
COLUMNS = tuple(UsageFigures("").as_json())


def summarise(
    rows: Iterable[UsageRow],
    by: str,
    *,
    user_name: Callable[[int | None], str] = lambda i: "(this machine)" if i is None else f"#{i}",
    group_name: Callable[[int | None], str] = lambda i: "(no group)" if i is None else f"#{i}",
) -> list[UsageFigures]:
    """The figures per ``by`` ("user", "group", "collection" or "day"; ValueError
    otherwise), sorted by key. A row counts once in each group of its user (so the
    groups' sums may exceed the total), in "(no group)" when there is none; plain
    chat's collection is "(plain chat)"."""
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}, not {by!r}")
    table: dict[str, UsageFigures] = {}
    for row in rows:
        if by == "user":
            keys = [user_name(row.user_id)]
        elif by == "group":
            keys = [group_name(g) for g in row.groups] or [group_name(None)]
        elif by == "collection":
            keys = [row.collection or "(plain chat)"]
        else:
            keys = [row.day.isoformat()]
        for key in keys:
            table.setdefault(key, UsageFigures(key)).add(row)
    return [table[k].finish() for k in sorted(table)]


def total(rows: Iterable[UsageRow], key: str = "total") -> UsageFigures:
    """Every row's figures together."""
    figures = UsageFigures(key)
    for row in rows:
        figures.add(row)
    return figures.finish()


# -- cost -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CostInputs:
    """What the administrator entered (``cost_*`` settings); None: not entered.

    ``hardware_price`` and the prices in ``currency``; ``lifetime_years`` the years the
    hardware is written off over; ``power_watts`` its draw while answering;
    ``kwh_price`` per kWh; ``api_input_per_million`` / ``api_output_per_million`` a
    pay-per-token API's price per million prompt / completion tokens."""

    currency: str = ""
    hardware_price: float | None = None
    lifetime_years: float | None = None
    power_watts: float | None = None
    kwh_price: float | None = None
    api_input_per_million: float | None = None
    api_output_per_million: float | None = None

    def missing(self) -> tuple[str, ...]:
        """The settings not entered yet (by their setting names)."""
        names = {
            "hardware_price": "cost_hardware_price",
            "lifetime_years": "cost_hardware_years",
            "power_watts": "cost_power_watts",
            "kwh_price": "cost_kwh_price",
            "api_input_per_million": "cost_api_input_per_million",
            "api_output_per_million": "cost_api_output_per_million",
        }
        return tuple(setting for attr, setting in names.items() if getattr(self, attr) is None)


@dataclass(frozen=True)
class CostComparison:
    """Cost per 1,000 questions over one period, on this hardware and at API prices.

    On this hardware (``hardware_per_1000``)::

        amortisation = hardware_price × days / (lifetime_years × 365.25)
        energy       = power_watts / 1000 × busy_hours × kwh_price
        per 1,000    = 1000 × (amortisation + energy) / questions

    where ``days`` is the period's length in calendar days (the hardware is paid for
    whether it is used or not) and ``busy_hours`` the measured time spent answering
    questions and ingesting files. At API prices (``api_per_1000``)::

        per 1,000    = 1000 × (prompt_tokens × api_input_per_million
                               + completion_tokens × api_output_per_million)
                       / 1,000,000 / questions

    for the same questions' tokens. A figure is None when a setting it needs is not
    entered, or there were no questions."""

    currency: str
    questions: int
    days: int
    busy_hours: float
    prompt_tokens: int
    completion_tokens: int
    amortisation: float | None
    energy: float | None
    hardware_per_1000: float | None
    api_total: float | None
    api_per_1000: float | None
    missing: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "currency": self.currency,
            "questions": self.questions,
            "days": self.days,
            "busy_hours": round(self.busy_hours, 6),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "amortisation": _money(self.amortisation),
            "energy": _money(self.energy),
            "hardware_per_1000_questions": _money(self.hardware_per_1000),
            "api_total": _money(self.api_total),
            "api_per_1000_questions": _money(self.api_per_1000),
            "missing_settings": list(self.missing),
        }


def _money(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def compare_costs(figures: UsageFigures, days: int, inputs: CostInputs) -> CostComparison:
    """The cost comparison of ``figures`` (a period's totals) over ``days`` calendar
    days (at least 1); see :class:`CostComparison` for the formulas."""
    days = max(days, 1)
    busy_hours = figures.busy_ms / 3_600_000
    amortisation = energy = hardware = api_total = api = None
    if inputs.hardware_price is not None and inputs.lifetime_years:
        amortisation = inputs.hardware_price * days / (inputs.lifetime_years * YEAR_DAYS)
    if inputs.power_watts is not None and inputs.kwh_price is not None:
        energy = inputs.power_watts / 1000 * busy_hours * inputs.kwh_price
    if amortisation is not None and energy is not None and figures.questions:
        hardware = 1000 * (amortisation + energy) / figures.questions
    if inputs.api_input_per_million is not None and inputs.api_output_per_million is not None:
        api_total = (
            figures.prompt_tokens * inputs.api_input_per_million
            + figures.completion_tokens * inputs.api_output_per_million
        ) / 1_000_000
        if figures.questions:
            api = 1000 * api_total / figures.questions
    return CostComparison(
        inputs.currency,
        figures.questions,
        days,
        busy_hours,
        figures.prompt_tokens,
        figures.completion_tokens,
        amortisation,
        energy,
        hardware,
        api_total,
        api,
        inputs.missing(),
    )
