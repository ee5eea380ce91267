"""The ``appliance`` command: a thin layer over :class:`appliance.service.Appliance`.

Errors meant for users (:class:`~appliance.errors.ApplianceError`) print one
clear line to stderr and exit non-zero; nothing else here holds logic. This
module holds the root group and registers the commands; each group of them
lives in its own module (``setup``, ``questions``, ``models``, ``library``,
``summaries``, ``compare``, ``keys``, ``backup``, ``db``, ``privacy``, ``gdpr``, ``audit``,
``serve``, ``users``, ``jobs``, ``usage``, ``gateway``),
their shared helpers in ``common``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from appliance import __version__
from appliance.cli import (
    audit,
    backup,
    chroma,
    compare,
    db,
    gateway,
    gdpr,
    jobs,
    keys,
    library,
    models,
    privacy,
    questions,
    serve,
    setup,
    summaries,
    usage,
    users,
)
from appliance.cli.common import _Context
from appliance.cli.questions import _result_line  # re-exported: tests import it from here
from appliance.cli.serve import check_port_free  # re-exported: public since cli.py
from appliance.errors import ApplianceError


class _Group(click.Group):
    """Turns user-facing errors into one line on stderr and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ApplianceError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="appliance")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="APPLIANCE_DATA_DIR",
    help="Where the appliance keeps its data (env APPLIANCE_DATA_DIR).",
)
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None) -> None:
    """A private AI appliance: ask questions over your own documents, on this machine."""
    ctx.obj = _Context(data_dir)


for _command in (
    setup.init,
    questions.ingest,
    questions.retrieve,
    questions.ask,
    compare.compare,
    models.models,
    gateway.gateway,
    chroma.chroma,
    setup.doctor,
    library.collections,
    library.documents,
    summaries.summarise,
    setup.demo,
    keys.keys,
    backup.backup,
    db.db,
    privacy.pii,
    privacy.policies,
    gdpr.gdpr,
    audit.audit,
    serve.serve,
    serve.tls,
    users.users,
    jobs.jobs,
    usage.usage,
):
    cli.add_command(_command)

__all__ = ["_result_line", "check_port_free", "cli", "main"]


def main() -> None:
    cli(prog_name="appliance")
