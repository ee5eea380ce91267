"""The ``audit`` group: verify, export and purge the audit trail; print its public key."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import cast

import click

from appliance.cli.common import _caller, _Context, _emit_json


@click.group()
def audit() -> None:
    """Verify and export the tamper-evident audit trail."""


@audit.command("verify")
@click.option(
    "--bundle",
    type=click.Path(path_type=Path, exists=True),
    help="Verify an exported bundle offline (no data directory, no passphrase): its "
    "folder or the downloaded ZIP archive itself.",
)
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--role", type=click.Choice(["compliance_officer", "admin"]), default="compliance_officer"
)
@click.pass_obj
def audit_verify(obj: _Context, bundle: Path | None, as_json: bool, role: str) -> None:
    """Exit 0 when the trail is intact, 1 naming the first bad record when not."""
    from appliance.audit import verify_bundle

    if bundle is not None:
        report = verify_bundle(bundle)
    else:
        with obj.appliance() as app:
            report = app.audit_verify(_caller(role))
    if as_json:
        _emit_json(report.as_json())
    elif report.ok:
        click.echo(f"intact: {report.records} records, {report.checkpoints} signed checkpoints")
    else:
        click.secho(f"NOT intact: {report.problems[0]}", fg="red")
        for problem in report.problems[1:10]:
            click.echo(f"  also: {problem}")
    if not report.ok:
        sys.exit(1)


@audit.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv", "cef", "ocsf"]), default="jsonl"
)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--bundle", type=click.Path(path_type=Path, file_okay=False))
@click.option("--since", help="RFC 3339 time, e.g. 2026-11-01T00:00:00Z")
@click.option("--until")
@click.option("--actor")
@click.option("--action")
@click.option(
    "--role", type=click.Choice(["compliance_officer", "admin"]), default="compliance_officer"
)
@click.pass_obj
def audit_export(
    obj: _Context,
    fmt: str,
    out: Path | None,
    bundle: Path | None,
    since: str | None,
    until: str | None,
    actor: str | None,
    action: str | None,
    role: str,
) -> None:
    """Write records (filtered) as JSON Lines or CSV to --out, or everything with
    checkpoints and the public key as a verifiable --bundle folder."""
    if (out is None) == (bundle is None):
        raise click.UsageError("give exactly one of --out FILE or --bundle DIR.")
    if out is not None and out.exists():
        raise click.UsageError(f"{out} already exists; choose a new file name.")
    with obj.appliance() as app:
        try:
            n = app.audit_export(
                cast(Path, bundle or out),  # exactly one of them is given: checked above
                "bundle" if bundle else fmt,
                _caller(role),
                since=since,
                until=until,
                actor=actor,
                action=action,
            )
        except FileExistsError:
            raise click.UsageError(f"{out} already exists; choose a new file name.") from None
    if bundle is not None:
        click.echo(
            f"bundle written: {bundle} ({n} records); verify with "
            f"`appliance audit verify --bundle {bundle}`"
        )
    else:
        click.echo(f"{n} records written to {out}")


@audit.command("purge")
@click.option("--dry-run", is_flag=True, help="Say what would be removed.")
@click.pass_obj
def audit_purge(obj: _Context, dry_run: bool) -> None:
    """Remove records older than `audit_retention_days` (default 365, at least 183),
    up to a signed checkpoint that anchors the rest; nothing while `audit_legal_hold`."""
    with obj.appliance() as app:
        report = app.audit_purge(dry_run=dry_run)
    _emit_json({**report.as_json(), "dry_run": dry_run})


@audit.command("public-key")
@click.pass_obj
def audit_public_key(obj: _Context) -> None:
    """Print the checkpoint-signing public key (PEM) and its fingerprint."""
    from appliance.crypto import public_key_pem

    with obj.appliance() as app:
        raw, fp = app.audit_public_key()
    click.echo(public_key_pem(raw), nl=False)
    click.echo(f"fingerprint: {fp}")
