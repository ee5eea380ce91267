"""The ``db`` group: moving the relational store to another database."""

from __future__ import annotations

import click

from appliance.cli.common import _Context, _emit_json


@click.group()
def db() -> None:
    """The relational store (documents, keys, accounts, audit trail...)."""


@db.command("migrate-to")
@click.argument("url")
@click.option(
    "--replace",
    is_flag=True,
    help="Drop what an interrupted earlier run left in the target and start over.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def db_migrate_to(obj: _Context, url: str, replace: bool, as_json: bool) -> None:
    """Copy this appliance's database into the empty database at URL.

    URL is a SQLAlchemy URL, e.g. postgresql+psycopg://appliance@db.example/appliance
    (a password is best kept out of the command line: PGPASSWORD or ~/.pgpass). Stop
    the web service first. The database in use is only read; switch to the copy
    afterwards by setting database_url.
    """
    with obj.appliance() as app:
        move = app.migrate_database_to(url, replace=replace)
    report = move.copy
    if as_json:
        _emit_json(
            {
                "target": report.target,
                "revision": report.revision,
                "tables": {t.name: t.rows for t in report.tables},
                "rows": report.rows,
                "audit": move.trail.as_json(),
            }
        )
        return
    click.echo(
        f"copied {report.rows} rows in {len(report.tables)} tables to {report.target} "
        f"(schema {report.revision}); row counts and contents match."
    )
    click.echo(
        f"the audit trail verifies there: {move.trail.records} records, "
        f"{move.trail.checkpoints} checkpoints."
    )
    click.echo(
        f'to switch: stop the appliance, set database_url = "{report.target}" in '
        "appliance.toml (or APPLIANCE_DATABASE_URL; the password in place of ***), start it "
        "again. Keep the data directory: its key files, blobs and vectors stay there."
    )
