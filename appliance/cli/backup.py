"""The ``backup`` group: create, inspect and restore encrypted backups."""

from __future__ import annotations

from pathlib import Path

import click

from appliance.cli.common import _Context, _emit_json


@click.group()
def backup() -> None:
    """Encrypted backups and restores."""


@backup.command("create")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def backup_create(obj: _Context, out: Path, as_json: bool) -> None:
    """Write an encrypted archive of the data directory to OUT (outside it)."""
    with obj.appliance() as app:
        receipt = app.create_backup(out)
    if as_json:
        _emit_json(receipt.as_json())
        return
    click.echo(
        f"backup written: {receipt.path} ({receipt.bytes} bytes, {receipt.documents} documents)"
    )
    click.echo("restoring it needs the passphrase or key file in use today; keep them together.")


@backup.command("info")
@click.argument("archive", type=click.Path(path_type=Path, dir_okay=False, exists=True))
def backup_info_cmd(archive: Path) -> None:
    """Show a backup's public header (no secret needed)."""
    from appliance.backup import backup_info

    _emit_json(backup_info(archive))


@backup.command("restore")
@click.argument("archive", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--force", is_flag=True, help="Move a non-empty data directory aside first.")
@click.option(
    "--shred-log",
    "shred_logs",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="More shred logs to apply (e.g. a copy kept off this machine).",
)
@click.option(
    "--key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The key file in use when the backup was made (default: APPLIANCE_KEY_FILE, "
    "APPLIANCE_PASSPHRASE or a typed passphrase).",
)
@click.pass_obj
def backup_restore(
    obj: _Context, archive: Path, force: bool, shred_logs: tuple[Path, ...], key_file: Path | None
) -> None:
    """Restore ARCHIVE into the data directory; keys shredded since stay shredded.

    The backup opens with the secret that was current when it was made (the
    current data directory's key_file setting is not used for it).
    """
    import os

    from appliance.backup import restore_backup
    from appliance.crypto import KEY_FILE_ENV

    if key_file is None and os.environ.get(KEY_FILE_ENV):
        key_file = Path(os.environ[KEY_FILE_ENV])
    backup_settings = obj.settings.model_copy(update={"key_file": key_file})
    source = _Context(obj.data_dir)
    source._settings = backup_settings
    receipt = restore_backup(
        archive,
        obj.settings,
        source.key_source(),
        force=force,
        extra_shred_logs=list(shred_logs),
    )
    click.echo(f"restored backup of {receipt.backup_created_at} into {receipt.data_dir}")
    if receipt.shred_log_entries == 0:
        click.secho(
            "warning: no shred log was found (a new data directory and no --shred-log), so "
            "deletions and erasures made after this backup were NOT re-applied. Run the "
            "restore again with --force --shred-log OLD_DATA_DIR/shredded.jsonl (or its "
            "off-machine copy).",
            fg="yellow",
            err=True,
        )
    else:
        click.echo(
            f"re-applied deletions and erasures from the shred log: "
            f"{receipt.reshredded_documents} documents, {receipt.reshredded_keys} keys"
        )
    if receipt.previous_moved_to:
        click.echo(
            f"the previous data directory was moved to {receipt.previous_moved_to}; "
            "delete it once the restore is checked."
        )
