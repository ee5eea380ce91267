"""Scheduled upkeep: the web server runs each job when it is due, one runner at a
time, records every run in the audit trail, and tells the administrator how it went."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from appliance.accounts import Accounts
from appliance.caller import Caller
from appliance.doctor import upkeep_checks
from appliance.store.jobs import JobTable
from appliance.web import create_app
from tests.conftest import make_app, run_cli
from tests.test_postgres import pg_url  # noqa: F401 (a fixture)
from tests.webtools import sign_in

pytestmark = pytest.mark.store

DAILY = {"retention", "audit_purge", "checks"}
HOURLY = {"checkpoint", "conversations"}
T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def events(app: Any, action: str) -> list[dict[str, Any]]:
    """The trail's records of ``action``, their detail fields beside the others."""
    return [{**r, **r["detail"]} for r in app.audit.records(action=action)]


def runs(app: Any, **match: Any) -> list[dict[str, Any]]:
    return [r for r in events(app, "job.run") if all(r.get(k) == v for k, v in match.items())]


def job_events(app: Any, action: str, job: str) -> list[dict[str, Any]]:
    return [r for r in events(app, action) if r.get("job") == job]


def by_name(found: list[Any]) -> dict[str, Any]:
    return {run.name: run for run in found}


def test_each_job_runs_when_it_falls_due_and_not_before(app) -> None:
    first = by_name(app.run_due_jobs("web-1", now=T0))
    assert set(first) == HOURLY | DAILY  # no backup_dir: no backup job
    assert all(run.outcome == "ok" for run in first.values()), first
    assert {r["job"] for r in runs(app)} == HOURLY | DAILY
    assert all(r["outcome"] == "success" and "duration_ms" in r for r in runs(app))

    assert app.run_due_jobs("web-1", now=T0 + timedelta(minutes=30)) == []
    hourly = app.run_due_jobs("web-1", now=T0 + timedelta(minutes=61))
    assert {run.name for run in hourly} == HOURLY
    daily = app.run_due_jobs("web-1", now=T0 + timedelta(days=1, minutes=1))
    assert {run.name for run in daily} >= DAILY

    status = {job.name: job for job in app.upkeep_status(now=T0 + timedelta(days=1, minutes=2))}
    assert status["retention"].state.last_outcome == "ok"
    assert status["retention"].state.next_due_at == T0 + timedelta(days=2, minutes=1)
    assert not status["backup"].enabled


def test_maintain_still_runs_the_upkeep_that_is_due(app) -> None:
    assert {run.name for run in app.maintain(now=T0)} == HOURLY | DAILY
    assert events(app, "gdpr.sweep")
    assert app.maintain(now=T0 + timedelta(minutes=5)) == []


def test_two_runners_racing_for_the_jobs_run_each_job_once(app) -> None:
    """Two web processes (two runners, two threads) on one database: a job's lease
    goes to exactly one of them."""
    barrier = threading.Barrier(2)
    results: dict[str, list[Any]] = {}

    def runner(holder: str) -> None:
        barrier.wait()
        results[holder] = app.run_due_jobs(holder, now=T0)

    threads = [threading.Thread(target=runner, args=(h,)) for h in ("web-a", "web-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    names = [run.name for found in results.values() for run in found]
    assert sorted(names) == sorted(HOURLY | DAILY)
    assert len(runs(app)) == len(HOURLY | DAILY)

    # The lease itself: one conditional UPDATE, one winner.
    table = JobTable(app.db)
    later = T0 + timedelta(hours=2)
    lease = timedelta(minutes=10)
    assert table.acquire("checkpoint", "web-a", later, lease)
    assert not table.acquire("checkpoint", "web-b", later, lease)
    assert not table.acquire("checkpoint", "web-b", later, lease, due_only=False)


def race(apps: list[Any], now: datetime) -> list[str]:
    """Each appliance (a web process of its own) runs the due jobs at the same moment;
    the names of the jobs that ran, over all of them."""
    barrier = threading.Barrier(len(apps))
    found: list[Any] = []

    def runner(app: Any, holder: str) -> None:
        barrier.wait()
        found.extend(app.run_due_jobs(holder, now=now))

    threads = [
        threading.Thread(target=runner, args=(app, f"web-{i}")) for i, app in enumerate(apps)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return sorted(run.name for run in found)


def test_two_server_processes_on_one_data_directory_share_the_jobs(app, embedder, engine) -> None:
    other = make_app(app.settings.data_dir, embedder, engine)
    try:
        assert race([app, other], T0) == sorted(HOURLY | DAILY)
        assert race([app, other], T0 + timedelta(minutes=61)) == sorted(HOURLY)
        assert len(runs(app)) == len(HOURLY | DAILY) + len(HOURLY)
    finally:
        other.close()


@pytest.mark.one_backend  # two data directories on one PostgreSQL database
def test_on_postgresql_too_one_runner_gets_each_job(
    pg_url: str,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
    embedder,
    engine,
) -> None:
    apps = [make_app(tmp_path / f"data{i}", embedder, engine, database_url=pg_url) for i in (1, 2)]
    try:
        assert race(apps, T0) == sorted(HOURLY | DAILY)
        table = JobTable(apps[0].db)
        later = T0 + timedelta(hours=2)
        assert table.acquire("checkpoint", "web-a", later, timedelta(minutes=10))
        assert not table.acquire("checkpoint", "web-b", later, timedelta(minutes=10))
    finally:
        for app in apps:
            app.close()


def test_a_failing_job_is_recorded_the_others_still_run_and_it_is_tried_again(
    app, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom() -> dict[str, Any]:
        raise RuntimeError("could not delete the file of Wilhelmina Quatermass")

    monkeypatch.setattr(app, "_job_retention", boom)
    found = by_name(app.run_due_jobs("web-1", now=T0))
    assert found["retention"].outcome == "failed"
    assert all(run.outcome == "ok" for name, run in found.items() if name != "retention")
    (failed,) = runs(app, job="retention")
    assert failed["outcome"] == "failure"
    assert "RuntimeError" in failed["reason"] and "reference" in failed["reason"]
    assert "Wilhelmina" not in json.dumps(failed)  # the reason quotes nothing personal
    status = {job.name: job for job in app.upkeep_status(now=T0)}
    assert status["retention"].state.last_outcome == "failed"
    assert any("last run failed" in w for w in status["retention"].warnings)

    assert app.run_due_jobs("web-1", now=T0 + timedelta(minutes=5)) == []
    monkeypatch.undo()
    retried = by_name(app.run_due_jobs("web-1", now=T0 + timedelta(minutes=16)))
    assert retried["retention"].outcome == "ok"
    status = {job.name: job for job in app.upkeep_status(now=T0 + timedelta(minutes=17))}
    assert status["retention"].warnings == []


def test_runs_missed_while_no_server_ran_are_recorded_once(app) -> None:
    app.run_due_jobs("web-1", now=T0)
    # The server was down for three hours.
    back = T0 + timedelta(hours=3, minutes=30)
    status = {job.name: job for job in app.upkeep_status(now=back)}
    assert any("overdue" in w for w in status["checkpoint"].warnings)
    found = by_name(app.run_due_jobs("web-2", now=back))
    assert found["checkpoint"].missed == 2 and "retention" not in found  # a day: not due
    (missed,) = job_events(app, "job.missed", "checkpoint")
    assert missed["missed_runs"] == 2 and missed["outcome"] == "failure"
    assert not job_events(app, "job.missed", "retention")
    status = {job.name: job for job in app.upkeep_status(now=back + timedelta(minutes=1))}
    assert any("missed 2 run(s)" in w for w in status["checkpoint"].warnings)

    app.run_due_jobs("web-2", now=back + timedelta(minutes=5))
    app.run_due_jobs("web-2", now=back + timedelta(minutes=61))
    assert len(job_events(app, "job.missed", "checkpoint")) == 1
    status = {job.name: job for job in app.upkeep_status(now=back + timedelta(minutes=62))}
    assert status["checkpoint"].warnings == []


def test_a_runner_killed_mid_job_loses_it_to_the_next_when_its_lease_ends(app) -> None:
    app.run_due_jobs("web-1", now=T0)
    due = T0 + timedelta(minutes=61)
    # web-1 takes the checkpoint job and dies before finishing it.
    assert JobTable(app.db).acquire("checkpoint", "web-1", due, timedelta(minutes=60))
    found = by_name(app.run_due_jobs("web-2", now=due + timedelta(minutes=1)))
    assert "checkpoint" not in found and "conversations" in found
    status = {job.name: job for job in app.upkeep_status(now=due + timedelta(minutes=2))}
    assert status["checkpoint"].state.lease_holder == "web-1"

    after = due + timedelta(minutes=61)  # the lease has run out
    status = {job.name: job for job in app.upkeep_status(now=after)}
    assert any("did not finish" in w for w in status["checkpoint"].warnings)
    found = by_name(app.run_due_jobs("web-2", now=after))
    assert found["checkpoint"].outcome == "ok"
    (taken,) = [r for r in runs(app, job="checkpoint") if r.get("took_over_from")]
    assert taken["took_over_from"] == "web-1" and taken["holder"] == "web-2"
    state = JobTable(app.db).get("checkpoint")
    assert state is not None and state.lease_holder is None and state.last_outcome == "ok"
    assert "took over from web-1" in state.warning


def test_a_retention_sweep_killed_half_way_loses_nothing_and_the_next_run_completes(
    tmp_path: Path, embedder, engine
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from appliance.store.schema import Document

    data = tmp_path / "data"
    folder = tmp_path / "minutes"
    folder.mkdir()
    for n in range(3):
        (folder / f"minutes-{n}.txt").write_text(f"Minutes of board meeting {n}: budget approved.")
    app = make_app(data, embedder, engine)
    try:
        assert all(r.ok for r in app.ingest([folder], "board"))
        app.library.update_collection("board", retention_days=1)
        with app.db.session() as s:  # written three days ago
            s.execute(update(Document).values(created_at=datetime.now(UTC) - timedelta(days=3)))
    finally:
        app.close()

    killed = run_cli(
        "jobs", "run", "retention", data_dir=data, env={"APPLIANCE_CRASH_AT": "sweep-after-delete"}
    )
    assert killed.returncode == 137, killed.stderr

    app = make_app(data, embedder, engine)
    try:
        left = app.documents("board")
        assert len(left) == 2  # one deleted before the kill, the others whole
        assert app.retrieve("budget approved", "board")  # the others still answer
        (deleted,) = [r for r in events(app, "document.delete") if r["reason"] == "retention"]
        assert deleted["resource"].startswith("collection:board/document:")
        assert not events(app, "gdpr.sweep")  # the summary died with the process
        assert app.audit_verify().ok
        # The killed run still holds the job; after its lease another runner completes it.
        after = datetime.now(UTC) + timedelta(minutes=app.settings.upkeep_lease_minutes + 1)
        status = {job.name: job for job in app.upkeep_status(now=after)}
        assert any("did not finish" in w for w in status["retention"].warnings)
        found = by_name(app.run_due_jobs("web-2", now=after))
        assert found["retention"].outcome == "ok"
        assert app.documents("board") == []
        assert len([r for r in events(app, "document.delete") if r["reason"] == "retention"]) == 3
        (summary,) = events(app, "gdpr.sweep")
        assert len(summary["deleted"]) == 2
        assert app.audit_verify().ok
    finally:
        app.close()


@pytest.mark.one_backend  # backups are of SQLite appliances
def test_the_backup_job_keeps_only_the_newest_backups(tmp_path: Path, embedder, engine) -> None:
    backups = tmp_path / "backups"
    app = make_app(tmp_path / "data", embedder, engine, backup_dir=backups, backup_keep=2)
    try:
        stray = backups / "notes.txt"  # not ours: never deleted
        backups.mkdir()
        stray.write_text("keep me")
        made = []
        for _ in range(3):
            run = app.run_job("backup")
            assert run.outcome == "ok", run
            made.append(run.detail["archive_id"])
        kept = sorted(p.name for p in backups.glob("appliance-backup-*.bak"))
        assert len(kept) == 2 and stray.exists()
        assert len(events(app, "backup.create")) == 3
        assert runs(app, job="backup")[-1]["backups_deleted"] == 1
        status = {job.name: job for job in app.upkeep_status()}
        assert status["backup"].enabled and status["backup"].state.last_outcome == "ok"
        # The two kept are the newest: their ids are the last two made.
        from appliance.backup import backup_info

        ids = {backup_info(backups / name)["archive_id"] for name in kept}
        assert ids == set(made[1:])
    finally:
        app.close()


def test_backups_inside_the_data_directory_are_refused_at_start_up(tmp_path: Path) -> None:
    from appliance.config import load_settings
    from appliance.errors import ConfigError

    with pytest.raises(ConfigError, match="backup_dir"):
        load_settings(tmp_path / "data", backup_dir=tmp_path / "data" / "backups")
    with pytest.raises(ConfigError, match="absolute"):
        load_settings(tmp_path / "data", backup_dir=Path("backups"))


def test_the_admin_page_shows_the_scheduled_upkeep(
    tmp_path: Path, embedder, engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(tmp_path / "data", embedder, engine)
    try:
        Accounts(app.db, app.audit, app.settings).create_user(
            "ada", "admin", Caller.local(), password="amber-kettle-orbit-71"
        )
        monkeypatch.setattr(app, "_job_audit_purge", lambda: 1 / 0)
        app.run_due_jobs("web-1")
        web = create_app(app, maintenance=False)
        with TestClient(web) as client:
            assert sign_in(client, "ada", "amber-kettle-orbit-71").status_code == 303
            page = client.get("/admin").text
        assert "Scheduled upkeep" in page
        for name in ("checkpoint", "conversations", "retention", "audit_purge", "checks"):
            assert f"<strong>{name}</strong>" in page
        assert "failed: ZeroDivisionError" in page and "hourly" in page and "daily" in page
        assert "off (set <code>backup_dir</code>)" in page
    finally:
        app.close()


def test_the_web_server_runs_due_jobs_on_its_own(tmp_path: Path, embedder, engine) -> None:
    app = make_app(tmp_path / "data", embedder, engine, upkeep_tick_seconds=1)
    try:
        with TestClient(create_app(app)):
            deadline = time.monotonic() + 60
            while not runs(app, job="checkpoint") and time.monotonic() < deadline:
                time.sleep(0.2)
        assert runs(app, job="checkpoint")
    finally:
        app.close()


def test_an_operator_lists_and_runs_jobs_from_the_command_line_and_the_doctor(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    assert run_cli("init", data_dir=data).returncode == 0
    ran = run_cli("jobs", "run", "checkpoint", "--json", data_dir=data)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["outcome"] == "ok"
    listed = run_cli("jobs", "list", "--json", data_dir=data)
    assert listed.returncode == 0, listed.stderr
    jobs = {j["name"]: j for j in json.loads(listed.stdout)}
    assert jobs["checkpoint"]["last_outcome"] == "ok" and jobs["checkpoint"]["schedule"] == "hourly"
    assert jobs["backup"]["enabled"] is False
    text = run_cli("jobs", "list", data_dir=data)
    assert "checkpoint" in text.stdout and "off (set backup_dir)" in text.stdout
    off = run_cli("jobs", "run", "backup", data_dir=data)
    assert off.returncode == 8 and "backup_dir" in off.stderr

    from appliance.config import load_settings

    checks = {c.name: c for c in upkeep_checks(load_settings(data))}
    assert checks["job checkpoint"].ok and "ok" in checks["job checkpoint"].detail
