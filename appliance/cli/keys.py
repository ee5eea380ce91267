"""The ``keys`` group: key status, new key files and key rotation."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from appliance.cli.common import _Context, _emit_json


@click.group()
def keys() -> None:
    """Key status, rotation and key files."""


@keys.command("status")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def keys_status(obj: _Context, as_json: bool) -> None:
    """Show the key-encryption key version, data keys and shredded keys."""
    with obj.appliance() as app:
        status = app.key_status()
    if as_json:
        _emit_json(status.as_json())
        return
    created = status.kek_created_at.isoformat(timespec="seconds") if status.kek_created_at else "?"
    click.echo(f"key-encryption key: version {status.kek_version} ({status.kek_kind}), {created}")
    for scope, n in sorted(status.data_keys.items()):
        click.echo(f"  {scope:<12} {n} data keys")
    click.echo(f"  shredded     {status.shredded} data keys")
    if status.rotation_pending:
        click.secho(
            f"rotation interrupted: {status.rotation_remaining} data keys still to move; "
            "run `appliance keys rotate` again with the same new key.",
            fg="yellow",
        )


@keys.command("new-key-file")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
def keys_new_key_file(path: Path) -> None:
    """Create a random key file (mode 0600) at PATH, outside any data directory."""
    from appliance.crypto import create_key_file

    click.echo(f"created {create_key_file(path)}")


@keys.command("rotate")
@click.option(
    "--new-key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Move to this key file (create it first with `keys new-key-file`).",
)
@click.option("--restart", is_flag=True, help="Abandon an interrupted rotation and start over.")
@click.option("--batch", type=click.IntRange(1, 100000), default=200, hidden=True)
@click.pass_obj
def keys_rotate(obj: _Context, new_key_file: Path | None, restart: bool, batch: int) -> None:
    """Move every data key to a new key-encryption key version.

    The new secret is --new-key-file, else APPLIANCE_NEW_PASSPHRASE, else a new
    passphrase typed at a terminal; with none of them, the same secret with a
    fresh salt. An interrupted rotation resumes when run again with the same new
    secret; the data stays readable with the old secret until it completes.
    """
    import os

    from appliance.config import remember_setting

    def typed() -> str:
        return str(
            click.prompt(
                "New passphrase (12+ characters)",
                hide_input=True,
                confirmation_prompt=True,
                err=True,
            )
        )

    with obj.appliance() as app:
        current = app.key_status().kek_kind
        choice = app.new_key_source(
            new_key_file=new_key_file,
            typed=typed if sys.stdin.isatty() else None,
            current=obj.key_source,
        )
        new_source = choice.source
        if choice.origin == "same":
            click.echo("no new secret given: re-deriving the key from the same secret, new salt")

        def progress(done: int, total: int) -> None:
            click.echo(f"  re-wrapped {done}/{total} data keys", err=True)

        crash_after = batch if os.environ.get("APPLIANCE_CRASH_AT") == "rotation" else None
        version = app.rotate_keys(
            new_source,
            on_progress=progress,
            batch=batch,
            crash_after=crash_after,
            restart=restart,
        )
        click.echo(f"rotated: every data key is now wrapped under key version {version}")
        if new_key_file is not None:
            if os.environ.get("APPLIANCE_KEY_FILE"):
                click.echo(f"now set APPLIANCE_KEY_FILE={new_source.origin}")
            else:
                remember_setting(app.settings.data_dir, "key_file", new_source.origin)
                click.echo(f"appliance.toml now names the key file {new_source.origin}")
        if new_source.kind == "passphrase" and current == "key_file":
            from appliance.config import forget_setting

            if forget_setting(app.settings.data_dir, "key_file"):
                click.echo("appliance.toml no longer names a key file")
            if os.environ.get("APPLIANCE_KEY_FILE"):
                click.echo("now unset APPLIANCE_KEY_FILE")
        if new_source.origin == "APPLIANCE_NEW_PASSPHRASE":
            click.echo("from now on unlock with the new passphrase (set APPLIANCE_PASSPHRASE)")
