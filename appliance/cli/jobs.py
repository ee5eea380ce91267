"""The ``jobs`` group: the scheduled upkeep the web server runs, listed or run now."""

from __future__ import annotations

import sys

import click

from appliance.cli.common import _Context, _emit_json
from appliance.errors import EXIT_BUSY, EXIT_FAULT
from appliance.service.upkeep import JOB_NAMES


@click.group()
def jobs() -> None:
    """Scheduled upkeep: checkpoints, expiry, retention, audit purge, backups, checks."""


@jobs.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def jobs_list(obj: _Context, as_json: bool) -> None:
    """Each job's schedule, last run and outcome, next run and warnings."""
    with obj.appliance() as app:
        status = app.upkeep_status()
    if as_json:
        _emit_json([job.as_json() for job in status])
        return
    for job in status:
        info = job.as_json()
        if not job.enabled:
            click.echo(f"{job.name:<14} off (set backup_dir)")
            continue
        last = (
            f"last {info['last_started_at'][:16]} {info['last_outcome'] or 'unfinished'}"
            if info["last_started_at"]
            else "never run"
        )
        next_due = info["next_due_at"][:16] if info["next_due_at"] else "-"
        click.echo(f"{job.name:<14} {job.schedule}; {last}; next {next_due}")
        for warning in job.warnings:
            click.secho(f"{'':<14} warning: {warning}", fg="yellow")


@jobs.command("run")
@click.argument("name", type=click.Choice(JOB_NAMES))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def jobs_run(obj: _Context, name: str, as_json: bool) -> None:
    """Run job NAME now, due or not (recorded like a scheduled run)."""
    with obj.appliance() as app:
        run = app.run_job(name)
    if as_json:
        _emit_json(run.as_json())
    elif run.outcome == "ok":
        click.echo(f"{name}: ok ({run.duration_ms} ms)")
    else:
        click.secho(f"{name}: {run.outcome}: {run.reason}", fg="red", err=True)
    if run.outcome != "ok":
        sys.exit(EXIT_BUSY if run.outcome == "busy" else EXIT_FAULT)
