"""The job table of scheduled upkeep: schedules, last runs, and leases.

Several web processes may share one database; each looks for due jobs every
minute. A job is taken with one conditional ``UPDATE`` (due, and no live lease)
in one transaction, so on SQLite and PostgreSQL alike exactly one process wins it;
a lease outlives a runner that died only until ``lease_until``, then the next
runner takes the job over. What a job does is the application layer's business
(:mod:`appliance.service.upkeep`); this module only keeps the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import CursorResult, Update, inspect, or_, select, update
from sqlalchemy.exc import IntegrityError

from appliance.store.database import Database, sqlite_file
from appliance.store.schema import UpkeepJob


def describe_interval(seconds: int) -> str:
    """``hourly``, ``daily``, ``every 6 h``, ``every 15 min``: a schedule in words."""
    named = {3600: "hourly", 86400: "daily", 7 * 86400: "weekly"}
    if seconds in named:
        return named[seconds]
    if seconds % 86400 == 0:
        return f"every {seconds // 86400} days"
    if seconds % 3600 == 0:
        return f"every {seconds // 3600} h"
    return f"every {max(seconds // 60, 1)} min"


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time in this table is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class JobState:
    """One row of the job table, times in UTC."""

    name: str
    interval_seconds: int
    next_due_at: datetime
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_outcome: str | None
    last_reason: str
    last_duration_ms: int | None
    warning: str
    lease_holder: str | None
    lease_until: datetime | None

    @classmethod
    def of(cls, row: UpkeepJob) -> JobState:
        next_due = as_utc(row.next_due_at)
        assert next_due is not None
        return cls(
            name=row.name,
            interval_seconds=row.interval_seconds,
            next_due_at=next_due,
            last_started_at=as_utc(row.last_started_at),
            last_finished_at=as_utc(row.last_finished_at),
            last_outcome=row.last_outcome,
            last_reason=row.last_reason or "",
            last_duration_ms=row.last_duration_ms,
            warning=row.warning or "",
            lease_holder=row.lease_holder,
            lease_until=as_utc(row.lease_until),
        )

    def running(self, now: datetime) -> bool:
        """Held by a runner whose lease has not run out."""
        return self.lease_until is not None and self.lease_until > now

    def missed_runs(self, now: datetime) -> int:
        """Whole intervals that passed after the job fell due without it running
        (0 when it is at most one interval late: an ordinary wait for the runner)."""
        late = (now - self.next_due_at).total_seconds()
        return int(late // self.interval_seconds) if late > self.interval_seconds else 0

    def warnings(self, now: datetime) -> list[str]:
        """What an administrator should look at, in words (no personal data)."""
        found = []
        if self.last_outcome == "failed":
            found.append(f"last run failed: {self.last_reason}")
        if self.warning:
            found.append(self.warning)
        if self.lease_holder is not None and not self.running(now):
            found.append(
                f"a run by {self.lease_holder} did not finish; the next runner takes it over"
            )
        elif not self.running(now) and self.missed_runs(now):
            found.append(
                f"overdue since {self.next_due_at:%Y-%m-%d %H:%M} UTC: is the web server "
                "(appliance serve) running?"
            )
        return found


class JobTable:
    """The ``upkeep_jobs`` table of one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def ensure(self, intervals: Mapping[str, int], now: datetime) -> None:
        """A row for each job (due at once when new); a changed interval is taken up,
        and a job is not left waiting longer than its new interval."""
        table = UpkeepJob.__table__
        with self.db.session() as s:
            rows = {r.name: r for r in s.scalars(select(UpkeepJob))}
            for name, seconds in intervals.items():
                row = rows.get(name)
                if row is not None and row.interval_seconds != seconds:
                    started = as_utc(row.last_started_at) or now
                    due = min(as_utc(row.next_due_at) or now, started + timedelta(seconds=seconds))
                    s.execute(
                        update(table)
                        .where(table.c.name == name)
                        .values(interval_seconds=seconds, next_due_at=due)
                    )
        for name, seconds in intervals.items():
            if name in rows:
                continue
            try:
                with self.db.session() as s:
                    s.execute(
                        table.insert().values(
                            name=name,
                            interval_seconds=seconds,
                            next_due_at=now,
                            last_reason="",
                            warning="",
                        )
                    )
            except IntegrityError:  # another process added it first
                pass

    def get(self, name: str) -> JobState | None:
        with self.db.session() as s:
            row = s.get(UpkeepJob, name)
            return JobState.of(row) if row is not None else None

    def states(self) -> list[JobState]:
        with self.db.session() as s:
            return [JobState.of(r) for r in s.scalars(select(UpkeepJob).order_by(UpkeepJob.name))]

    def acquire(
        self, name: str, holder: str, now: datetime, lease: timedelta, *, due_only: bool = True
    ) -> bool:
        """Take the job's lease for ``holder`` if nobody holds a live one (and, with
        ``due_only``, if the job is due): one conditional UPDATE, so of runners racing
        for it exactly one gets True."""
        table = UpkeepJob.__table__
        stmt = (
            update(table)
            .where(table.c.name == name)
            .where(or_(table.c.lease_until.is_(None), table.c.lease_until <= now))
            .values(lease_holder=holder, lease_until=now + lease, last_started_at=now)
        )
        if due_only:
            stmt = stmt.where(table.c.next_due_at <= now)
        return self._changed_one(stmt)

    def finish(
        self,
        name: str,
        holder: str,
        *,
        finished: datetime,
        outcome: str,
        reason: str,
        duration_ms: int,
        next_due: datetime,
        warning: str,
    ) -> bool:
        """Record the run and give the lease back; False when ``holder`` had lost it
        (it ran past its lease and another runner took the job over)."""
        table = UpkeepJob.__table__
        return self._changed_one(
            update(table)
            .where(table.c.name == name, table.c.lease_holder == holder)
            .values(
                last_finished_at=finished,
                last_outcome=outcome,
                last_reason=reason,
                last_duration_ms=duration_ms,
                next_due_at=next_due,
                warning=warning,
                lease_holder=None,
                lease_until=None,
            )
        )

    def _changed_one(self, stmt: Update) -> bool:
        """Run one UPDATE in its own transaction; True when it changed the row."""
        with self.db.session() as s:
            result = s.execute(stmt)
            assert isinstance(result, CursorResult)
            return result.rowcount == 1


def read_job_states(database_url: str) -> list[JobState] | None:
    """The job table of a database, read without a key and without migrating it; None
    when there is no database or it has no job table yet (for ``appliance doctor``)."""
    path = sqlite_file(database_url)
    if path is not None and not Path(path).exists():
        return None
    db = Database(database_url)
    try:
        if not inspect(db.engine).has_table(UpkeepJob.__tablename__):
            return None
        return JobTable(db).states()
    finally:
        db.dispose()
