"""The doors of scheduled upkeep: the jobs the web server runs on its own, and the
administrator's view of them.

Each job is an act of the appliance (``SYSTEM``), recorded as ``job.run`` with its
outcome and duration; a failure's reason never quotes personal data (our own words,
or the error's class and a reference into the filtered server log). A job that fell
due while no server ran is recorded once as ``job.missed`` when it next runs. The
schedule, the last runs and the leases that keep several web processes from running
one job twice live in the job table (:mod:`appliance.store.jobs`).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from appliance.caller import Caller
from appliance.errors import ApplianceError, ConfigError
from appliance.models import verify_models
from appliance.service.operations import SYSTEM, Operations
from appliance.store.jobs import JobState, JobTable, describe_interval

log = logging.getLogger("appliance.upkeep")

# In the order a pass runs them.
JOB_NAMES = ("checkpoint", "conversations", "retention", "audit_purge", "backup", "checks")
JOB_PURPOSES = {
    "checkpoint": "sign a checkpoint of the audit trail",
    "conversations": "delete conversations past conversation_retention_days, end old sessions",
    "retention": "delete documents past their collection's retention (gdpr sweep)",
    "audit_purge": "drop audit records past audit_retention_days (not under legal hold)",
    "backup": "write an encrypted backup to backup_dir, keep the newest backup_keep",
    "checks": "model files present, keys readable",
}
# A failed job is tried again after this long (or its interval, if shorter).
RETRY_SECONDS = 15 * 60
BACKUP_PREFIX = "appliance-backup-"
BACKUP_SUFFIX = ".bak"


class UpkeepProblem(Exception):
    """A job found something wrong; its message is our own words (no personal data).
    Internal to the job runner: it becomes a failed run, never an error a user meets."""


@dataclass(frozen=True)
class JobRun:
    """What one attempt at a job came to: ``ok``, ``failed``, or ``busy`` (another
    runner holds it)."""

    name: str
    outcome: str
    reason: str = ""
    duration_ms: int = 0
    missed: int = 0
    detail: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class JobStatus:
    """A job as the administrator sees it: its schedule, last run, next run, warnings."""

    name: str
    purpose: str
    enabled: bool
    interval_minutes: int
    state: JobState | None
    warnings: list[str]

    @property
    def schedule(self) -> str:
        """``hourly``, ``daily``, ``every 15 min``."""
        return describe_interval(self.interval_minutes * 60)

    def as_json(self) -> dict[str, Any]:
        state = self.state
        when = {
            key: (value.isoformat() if isinstance(value, datetime) else value)
            for key, value in (asdict(state).items() if state else ())
        }
        return {
            "name": self.name,
            "purpose": self.purpose,
            "enabled": self.enabled,
            "interval_minutes": self.interval_minutes,
            "schedule": self.schedule if self.enabled else "off",
            "last_started_at": when.get("last_started_at"),
            "last_finished_at": when.get("last_finished_at"),
            "last_outcome": when.get("last_outcome"),
            "last_reason": when.get("last_reason", ""),
            "last_duration_ms": when.get("last_duration_ms"),
            "next_due_at": when.get("next_due_at") if self.enabled else None,
            "lease_holder": when.get("lease_holder"),
            "warnings": self.warnings,
        }


def new_holder(kind: str = "web") -> str:
    """A runner's name in the job table: host, process and a random part (not personal)."""
    return f"{kind}:{socket.gethostname()[:64]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Upkeep(Operations):
    """Scheduled upkeep (part of :class:`appliance.service.Appliance`)."""

    _upkeep_holder: str | None = None

    # -- the schedule ---------------------------------------------------------------

    def _interval_minutes(self, name: str) -> int:
        minutes: int = getattr(self.settings, f"upkeep_{name}_minutes")
        return minutes

    def _enabled(self, name: str) -> bool:
        return name != "backup" or self.settings.backup_dir is not None

    def _jobs(self, now: datetime) -> JobTable:
        table = JobTable(self.db)
        table.ensure(
            {n: self._interval_minutes(n) * 60 for n in JOB_NAMES if self._enabled(n)}, now
        )
        return table

    def upkeep_status(self, now: datetime | None = None) -> list[JobStatus]:
        """Every job: its schedule, last run and outcome, next run and warnings."""
        now = now or datetime.now(UTC)
        states = {s.name: s for s in JobTable(self.db).states()}
        out = []
        for name in JOB_NAMES:
            state = states.get(name)
            enabled = self._enabled(name)
            warnings = state.warnings(now) if state is not None and enabled else []
            out.append(
                JobStatus(
                    name,
                    JOB_PURPOSES[name],
                    enabled,
                    self._interval_minutes(name),
                    state,
                    warnings,
                )
            )
        return out

    # -- running them ---------------------------------------------------------------

    def run_due_jobs(self, holder: str | None = None, now: datetime | None = None) -> list[JobRun]:
        """Run every job that is due and that no other runner holds, one after another;
        a failing job is recorded and the others still run. ``holder`` names this
        runner in the job table (default: one name per process). Returns the runs."""
        holder = holder or self._own_holder()
        now = now or datetime.now(UTC)
        table = self._jobs(now)
        runs = []
        for name in JOB_NAMES:
            if not self._enabled(name):
                continue
            run = self._attempt(table, name, holder, now, SYSTEM, due_only=True)
            if run is not None:
                runs.append(run)
        return runs

    def run_job(self, name: str, who: Caller | None = None) -> JobRun:
        """Run one job now, due or not (``appliance jobs run``); ``busy`` when another
        runner holds it. Raises :class:`ConfigError` for an unknown job or the backup
        job without ``backup_dir``."""
        if name not in JOB_NAMES:
            raise ConfigError(f"no upkeep job {name!r}; the jobs are {', '.join(JOB_NAMES)}.")
        if not self._enabled(name):
            raise ConfigError(
                "the backup job is off: set backup_dir (a folder outside the data directory)."
            )
        who = who or Caller.local()
        now = datetime.now(UTC)
        run = self._attempt(self._jobs(now), name, new_holder("cli"), now, who, due_only=False)
        return run or JobRun(name, "busy", "another runner holds this job; try again later")

    def maintain(self, now: datetime | None = None) -> list[JobRun]:
        """The upkeep that is due (see :meth:`run_due_jobs`); kept for callers of the
        hourly upkeep the web server used to run."""
        return self.run_due_jobs(now=now)

    def _own_holder(self) -> str:
        if self._upkeep_holder is None:
            self._upkeep_holder = new_holder()
        return self._upkeep_holder

    def _attempt(
        self,
        table: JobTable,
        name: str,
        holder: str,
        now: datetime,
        who: Caller,
        *,
        due_only: bool,
    ) -> JobRun | None:
        before = table.get(name)
        if before is None or before.running(now):
            return None
        if due_only and before.next_due_at > now:
            return None  # read first: no write transaction each minute for nothing
        lease = timedelta(minutes=self.settings.upkeep_lease_minutes)
        if not table.acquire(name, holder, now, lease, due_only=due_only):
            return None  # another runner was quicker
        warnings = []
        missed = before.missed_runs(now) if due_only else 0
        if missed:
            self.audit.append(
                "job.missed",
                **SYSTEM.audit_fields(),
                resource=f"job:{name}",
                outcome="failure",
                reason="the server was not running when it fell due",
                job=name,
                missed_runs=missed,
                due_at=before.next_due_at.isoformat(),
            )
            warnings.append(
                f"missed {missed} run(s) while no server ran "
                f"(due {before.next_due_at:%Y-%m-%d %H:%M} UTC)"
            )
        if before.lease_holder is not None:
            warnings.append(f"took over from {before.lease_holder}, whose run did not finish")
        start = time.monotonic()
        detail: dict[str, Any] = {}
        try:
            detail = self._job(name)()
            outcome, reason = "ok", ""
        except UpkeepProblem as exc:
            outcome, reason = "failed", str(exc)
        except Exception as exc:  # one job's fault must not stop the others
            ref = uuid.uuid4().hex[:12]
            log.error("upkeep job %s failed (ref %s)", name, ref, exc_info=exc)
            outcome = "failed"
            reason = f"{type(exc).__name__}; details in the server log (reference {ref})"
        duration_ms = int((time.monotonic() - start) * 1000)
        finished = now + timedelta(milliseconds=duration_ms)
        interval = self._interval_minutes(name) * 60
        wait = interval if outcome == "ok" else min(interval, RETRY_SECONDS)
        self.audit.append(
            "job.run",
            **who.audit_fields(),
            resource=f"job:{name}",
            outcome="success" if outcome == "ok" else "failure",
            reason=reason,
            job=name,
            duration_ms=duration_ms,
            holder=holder,
            **({"took_over_from": before.lease_holder} if before.lease_holder else {}),
            **detail,
        )
        if not table.finish(
            name,
            holder,
            finished=finished,
            outcome=outcome,
            reason=reason,
            duration_ms=duration_ms,
            next_due=now + timedelta(seconds=wait),
            warning="; ".join(warnings),
        ):
            log.warning("upkeep job %s ran past its lease; another runner took it over", name)
        return JobRun(name, outcome, reason, duration_ms, missed, detail)

    def _job(self, name: str) -> Callable[[], dict[str, Any]]:
        jobs: dict[str, Callable[[], dict[str, Any]]] = {
            "checkpoint": self._job_checkpoint,
            "conversations": self._job_conversations,
            "retention": self._job_retention,
            "audit_purge": self._job_audit_purge,
            "backup": self._job_backup,
            "checks": self._job_checks,
        }
        return jobs[name]

    # -- the jobs (each returns the counts its job.run event records) --------------

    def _job_checkpoint(self) -> dict[str, Any]:
        signed = self.audit.checkpoint()
        return {"checkpoint_seq": signed.seq if signed is not None else None}

    def _job_conversations(self) -> dict[str, Any]:
        days = self.settings.conversation_retention_days
        expired = self.conversations.expire(days)
        if expired:
            self.audit.append(
                "conversation.expire", **SYSTEM.audit_fields(), count=expired, retention_days=days
            )
        self.accounts.purge_sessions()
        return {"conversations_expired": expired}

    def _job_retention(self) -> dict[str, Any]:
        report = self.sweep(SYSTEM)
        return {"documents_deleted": len(report.deleted)}

    def _job_audit_purge(self) -> dict[str, Any]:
        report = self.audit_purge()
        return {"records_removed": report.removed_records, "legal_hold": report.held}

    def _job_backup(self) -> dict[str, Any]:
        folder = self.settings.backup_dir
        if folder is None:
            raise UpkeepProblem("backup_dir is not set")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        receipt = self.create_backup(
            Path(folder) / f"{BACKUP_PREFIX}{stamp}{BACKUP_SUFFIX}", SYSTEM
        )
        ours = sorted(
            p
            for p in Path(folder).glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}")
            if p.is_file() and not p.is_symlink()
        )
        old = ours[: max(len(ours) - self.settings.backup_keep, 0)]
        for path in old:
            path.unlink(missing_ok=True)
        return {
            "archive_id": receipt.archive_id,
            "backups_kept": len(ours) - len(old),
            "backups_deleted": len(old),
        }

    def _job_checks(self) -> dict[str, Any]:
        # The chat model in use is the configured one (the default's file may be gone).
        placed = verify_models(self.settings.models_path, full=False)
        bad = [s for s in placed if not s.ok and s.model.role != "chat"]
        if bad:
            raise UpkeepProblem(
                f"model file {bad[0].path.name} is {bad[0].state} (appliance models install)"
            )
        if not self.settings.chat_model_path.is_file():
            raise UpkeepProblem(f"chat model {self.settings.chat_model_path.name} is missing")
        try:
            keys = self.key_status()
        except ApplianceError as exc:
            raise UpkeepProblem(f"key status unreadable ({type(exc).__name__})") from exc
        return {"models_checked": "ok", "kek_version": keys.kek_version}
