"""The ``gdpr`` group: subject access export, erasure, retention sweeps and the
record of processing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from appliance.cli.common import _caller, _Context, _emit_json

if TYPE_CHECKING:  # imported where used: keeps `appliance --help` fast
    from appliance.gdpr import ErasurePlan


@click.group()
def gdpr() -> None:
    """Data-subject rights: export, erasure, retention sweeps, record of processing."""


_SUBJECT = click.option(
    "--subject",
    "subjects",
    multiple=True,
    required=True,
    help="An identifier of the person as found in documents (name, e-mail, IBAN, ID...); "
    "repeat for several.",
)


@gdpr.command("export")
@_SUBJECT
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The ZIP to write (default: a new file in the private folder beside the data "
    "directory, DATA_DIR-exports/, mode 0700).",
)
@click.option(
    "--role", type=click.Choice(["compliance_officer", "admin"]), default="compliance_officer"
)
@click.pass_obj
def gdpr_export(obj: _Context, subjects: tuple[str, ...], out: Path | None, role: str) -> None:
    """Everything held about a person (Art. 15/20), as a ZIP of JSON, decrypted:
    documents and conversation history that mention them."""
    import stat

    from appliance.gdpr import private_export_path

    if out is None:
        out = private_export_path(obj.settings.data_dir)
    else:
        folder = out.expanduser().resolve().parent
        if folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) & 0o077:
            click.secho(
                f"warning: {folder} can be read by other users of this machine; the "
                "file itself is private (0600), but prefer a private folder.",
                fg="yellow",
                err=True,
            )
    with obj.appliance() as app:
        summary = app.export_subject(list(subjects), out, _caller(role))
    click.echo(
        f"exported {summary['identifiers']} identifiers, {summary['documents']} documents, "
        f"{summary['passages']} passages, {summary['conversations']} conversations to "
        f"{summary['out']}"
    )
    click.secho(
        "warning: the file holds the person's data in clear (mode 0600): hand it over "
        "securely, then delete it.",
        fg="yellow",
        err=True,
    )


def _plan_lines(plan: ErasurePlan) -> list[str]:
    lines = [f"{plan.identifiers} identifier(s) of the person were found."]
    if plan.delete:
        lines.append("These documents are about the person alone and will be DELETED:")
        lines += [f"  {d['document_id']}  [{d['collection']}] {d['title']}" for d in plan.delete]
    if plan.unlink:
        lines.append(
            "These documents also concern others; they are kept, the person becomes an "
            "unresolvable placeholder and the original file is deleted:"
        )
        lines += [f"  {d['document_id']}  [{d['collection']}] {d['title']}" for d in plan.unlink]
    if plan.conversations:
        lines.append(f"{plan.conversations} conversation(s) mentioning the person are rewritten.")
    return lines


@gdpr.command("erase")
@_SUBJECT
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--keep-document",
    "keep",
    multiple=True,
    metavar="ID",
    help="A document about the person alone that is not about them (a procedure naming "
    "them): keep it, with an unresolvable placeholder, instead of deleting it. Repeatable.",
)
@click.option(
    "--dry-run", is_flag=True, help="List what would be deleted and kept; change nothing."
)
@click.option(
    "--role", type=click.Choice(["compliance_officer", "admin"]), default="compliance_officer"
)
@click.pass_obj
def gdpr_erase(
    obj: _Context,
    subjects: tuple[str, ...],
    yes: bool,
    keep: tuple[str, ...],
    dry_run: bool,
    role: str,
) -> None:
    """Erase a person (Art. 17) and print the erasure receipt (JSON).

    First lists the documents that will be deleted (about the person alone) and those
    that keep an unresolvable placeholder (they concern others too; their original
    files are deleted); --keep-document keeps one of the former the same way.
    Conversation history that mentions the person is rewritten without them. Old
    backups cannot revive any of it.
    """

    with obj.appliance() as app:
        plan = app.plan_erasure(list(subjects), _caller(role))
        unknown = sorted(set(keep) - {d["document_id"] for d in plan.delete + plan.unlink})
        if unknown:
            raise click.UsageError(
                f"--keep-document {unknown[0]} is not among the person's documents listed."
            )
        kept = [d for d in plan.delete if d["document_id"] in keep]
        plan.delete = [d for d in plan.delete if d["document_id"] not in keep]
        plan.unlink += kept
        for line in _plan_lines(plan):
            click.echo(line, err=True)
        if dry_run:
            _emit_json(plan.as_json())
            return
        if not yes:
            click.confirm("Erase the person as listed? This cannot be undone", abort=True, err=True)
        receipt = app.erase_subject(list(subjects), _caller(role), keep_documents=keep)
    _emit_json(receipt.as_json())
    if not receipt.identifiers and not receipt.conversations_changed:
        click.echo("no data held about this subject was found", err=True)


@gdpr.command("sweep")
@click.option("--dry-run", is_flag=True, help="List what would be deleted.")
@click.pass_obj
def gdpr_sweep(obj: _Context, dry_run: bool) -> None:
    """Apply each collection's retention period (legal holds respected)."""

    with obj.appliance() as app:
        report = app.sweep(_caller("admin"), dry_run=dry_run)
    _emit_json({**report.as_json(), "dry_run": dry_run})


@gdpr.command("ropa")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_obj
def gdpr_ropa(obj: _Context, fmt: str, out: Path | None) -> None:
    """The record of processing activities (Art. 30), from the live configuration."""
    from appliance.gdpr import ropa_markdown

    with obj.appliance() as app:
        record = app.record_of_processing()
    text = ropa_markdown(record) if fmt == "md" else json.dumps(record, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text)
        click.echo(f"written {out}")
