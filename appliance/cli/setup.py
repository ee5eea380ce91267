"""Setting up and checking an installation: ``init``, ``demo`` and ``doctor``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from appliance.cli.common import _accounts, _Context, _emit_json
from appliance.cli.questions import _result_line, ask
from appliance.cli.serve import _serve
from appliance.rag.documents import DEFAULT_COLLECTION

if TYPE_CHECKING:
    from appliance.service import Appliance


@click.command()
@click.option(
    "--key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Unlock with this key file (kept outside the data directory); remembered in "
    "appliance.toml.",
)
@click.option("--new-key-file", is_flag=True, help="Create the --key-file first (mode 0600).")
@click.pass_obj
def init(obj: _Context, key_file: Path | None, new_key_file: bool) -> None:
    """Create the data directory, its keys and database (safe to run again).

    The data directory is encrypted under a key-encryption key derived from a
    passphrase (typed, or APPLIANCE_PASSPHRASE) or from a key file
    (--key-file, or APPLIANCE_KEY_FILE).
    """
    from appliance.config import remember_setting
    from appliance.crypto import create_key_file

    if new_key_file and key_file is None:
        raise click.UsageError("--new-key-file needs --key-file PATH.")
    fresh = (
        not obj.settings.sqlalchemy_url.startswith("sqlite")
        or not (obj.settings.data_dir / "appliance.db").exists()
    )
    if key_file is not None:
        key_file = key_file.expanduser().resolve()
        if new_key_file:
            # Everything that would refuse the new key file is checked before it exists.
            _check_new_key_file(key_file, obj.settings.data_dir, fresh)
            create_key_file(key_file)
            click.echo(f"created key file {key_file} (mode 0600): keep a copy in a safe place")
        obj._settings = obj.settings.model_copy(update={"key_file": key_file})
    with obj.appliance(new=fresh) as app:
        status = app.initialise()
        if key_file is not None:
            remember_setting(app.settings.data_dir, "key_file", str(key_file))
        click.echo(f"data directory ready: {app.settings.data_dir}")
        click.echo(f"encrypted at rest; unlocked by a {status.kek_kind.replace('_', ' ')}")


def _check_new_key_file(key_file: Path, data_dir: Path, fresh: bool) -> None:
    """Raise :class:`ConfigError` if ``init --new-key-file`` could not use ``key_file``
    (so it is never created and then refused)."""
    import os

    from appliance.crypto import PASSPHRASE_ENV
    from appliance.errors import ConfigError
    from appliance.files import is_inside

    if os.environ.get(PASSPHRASE_ENV):
        raise ConfigError(
            f"{PASSPHRASE_ENV} is set, and a key file replaces the passphrase: unset it "
            "and run the command again (nothing was created)."
        )
    if is_inside(key_file, data_dir):
        raise ConfigError(
            f"{key_file} lies inside the data directory {data_dir}; keep the key file apart "
            "from the data it unlocks (e.g. /etc/appliance/kek.key). Nothing was created."
        )
    if key_file.exists():
        raise ConfigError(
            f"{key_file} already exists; a key file is never overwritten. Use it with "
            "--key-file alone, or name a new file. Nothing was created."
        )
    if not fresh:
        raise ConfigError(
            f"{data_dir} already exists and is unlocked by its current secret. To move it "
            f"to a new key file: `appliance keys new-key-file {key_file}`, then "
            f"`appliance keys rotate --new-key-file {key_file}`. Nothing was created."
        )


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--checksums", is_flag=True, help="Also verify model checksums (slower).")
@click.option("--no-audit", is_flag=True, help="Skip verifying the audit trail.")
@click.pass_obj
def doctor(obj: _Context, as_json: bool, checksums: bool, no_audit: bool) -> None:
    """Check hardware, models, data directory, keys, network routes, certificate,
    audit trail and scheduled upkeep; recommend a model size."""
    from appliance.doctor import run_doctor

    report = run_doctor(obj.settings, verify_checksums=checksums, audit=not no_audit, upkeep=True)
    if as_json:
        _emit_json(report.as_json())
    else:
        click.echo(
            f"CPU: {report.cores_physical} physical / {report.cores_logical} logical cores, "
            f"flags: {' '.join(report.cpu_flags) or 'none'}"
        )
        click.echo(f"RAM: {report.ram_gib} GiB")
        click.echo(
            f"GPU: {report.gpu}; llama.cpp GPU offload "
            f"{'available' if report.gpu_offload_supported else 'not in this build'}"
        )
        colours = {"ok": "green", "FAIL": "red", "not checked": "yellow"}
        for check in report.checks:
            mark = click.style(f"{check.mark:<4}", fg=colours[check.mark])
            click.echo(f"  {mark} {check.name}: {check.detail}")
        click.echo(f"Recommended model: {report.recommendation}")
    if not report.ok:
        sys.exit(1)


@click.command()
@click.option(
    "--question",
    default="How long must a bank keep customer transaction records?",
    show_default=True,
)
@click.option("--serve", "then_serve", is_flag=True, help="Then run the web UI.")
@click.pass_context
def demo(ctx: click.Context, question: str, then_serve: bool) -> None:
    """Ingest the bundled sample documents and answer a sample question; with --serve,
    make sure an administrator can use them in the web UI and start it."""
    samples = Path(__file__).resolve().parents[2] / "samples"
    if not samples.is_dir():
        raise click.ClickException(f"sample folder {samples} not found")
    obj: _Context = ctx.obj
    _demo_key(obj)
    with obj.appliance() as app:
        click.echo(f"Ingesting the samples from {samples} ...")
        for result in app.ingest([samples], DEFAULT_COLLECTION):
            click.echo("  " + _result_line(result))
    click.echo(f"\nQuestion: {question}\n")
    ctx.invoke(ask, question=question, collection=DEFAULT_COLLECTION, as_json=False)
    if not then_serve:
        return
    with obj.appliance() as app:
        _demo_admin(app)
        _serve(app, None, None)


def _demo_admin(app: Appliance) -> None:
    """The first administrator ("admin") with access to the samples; a one-time
    password is printed once, when the account is made."""
    from appliance.caller import Caller

    accounts = _accounts(app)
    click.echo("")
    if accounts.has_users():
        click.echo(
            "Sign in with your existing account. A forgotten password is replaced with "
            "`appliance users reset-password NAME`."
        )
        return
    who = Caller.local()
    account, password = accounts.create_user("admin", "admin", who)
    accounts.grant(DEFAULT_COLLECTION, who, user=account.username, access="contribute")
    click.secho("First administrator created:", bold=True)
    click.echo("  username: admin")
    click.echo(f"  one-time password: {password}")
    click.echo(
        "  Shown once; choose your own password at the first sign-in. The administrator "
        f"may use the {DEFAULT_COLLECTION!r} collection; open collections to others under "
        "Administration > Collections."
    )


def _demo_key(obj: _Context) -> None:
    """With no key configured, the demo uses (and on first run creates) a key file in
    the user's configuration folder, outside the data directory."""
    import os

    import platformdirs

    from appliance.crypto import PASSPHRASE_ENV, create_key_file

    if os.environ.get(PASSPHRASE_ENV) or obj.settings.key_file is not None:
        return
    path = Path(platformdirs.user_config_dir("appliance", appauthor=False)) / "demo.key"
    if not path.exists():
        if (obj.settings.data_dir / "appliance.db").exists():
            return  # set up by `appliance init` with its own key: ask for that one
        create_key_file(path)
        click.echo(f"No key configured: created the demo key file {path} (mode 0600).")
        # Later commands on this data directory find the key through appliance.toml.
        from appliance.config import remember_setting
        from appliance.files import ensure_private_dir

        ensure_private_dir(obj.settings.data_dir)
        remember_setting(obj.settings.data_dir, "key_file", str(path))
    obj._settings = obj.settings.model_copy(update={"key_file": path})
