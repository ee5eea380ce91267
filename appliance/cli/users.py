"""The ``users`` group: accounts of the web UI (the first administrator, users,
roles, passwords) and their API keys."""

from __future__ import annotations

import sys

import click

from appliance.cli.common import _accounts, _Context, _emit_json


@click.group()
def users() -> None:
    """Accounts of the web UI: the first administrator, users, roles, API keys."""


def _password_from_stdin() -> str:
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise click.UsageError("no password on standard input.")
    return password


@users.command("create-admin")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_obj
def users_create_admin(obj: _Context, username: str, password_stdin: bool) -> None:
    """Create an administrator; prints a one-time password unless --password-stdin."""
    _create_user(obj, username, "admin", password_stdin)


@users.command("create")
@click.argument("username")
@click.option(
    "--role", type=click.Choice(["staff", "compliance_officer", "admin"]), default="staff"
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_obj
def users_create(obj: _Context, username: str, role: str, password_stdin: bool) -> None:
    """Create a user; prints a one-time password unless --password-stdin."""
    _create_user(obj, username, role, password_stdin)


def _create_user(obj: _Context, username: str, role: str, password_stdin: bool) -> None:
    from appliance.caller import Caller

    password = _password_from_stdin() if password_stdin else None
    with obj.appliance() as app:
        account, one_time = _accounts(app).create_user(
            username, role, Caller.local(), password=password
        )
    click.echo(f"created {account.role} {account.username}")
    if one_time:
        click.echo(f"one-time password: {one_time}")
        click.echo("It is shown once; a new password must be chosen at the first sign-in.")


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def users_list(obj: _Context, as_json: bool) -> None:
    """List users, roles, groups and state."""
    with obj.appliance() as app:
        accounts = _accounts(app).users()
    if as_json:
        _emit_json(
            [
                {
                    "username": a.username,
                    "role": a.role,
                    "groups": list(a.groups),
                    "disabled": a.disabled,
                    "must_change_password": a.must_change_password,
                }
                for a in accounts
            ]
        )
        return
    for a in accounts:
        state = (
            "disabled"
            if a.disabled
            else "must change password"
            if a.must_change_password
            else "active"
        )
        click.echo(f"{a.username:<24} {a.role:<20} {state:<22} {', '.join(a.groups)}")


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(["staff", "compliance_officer", "admin"]))
@click.pass_obj
def users_set_role(obj: _Context, username: str, role: str) -> None:
    """Change a user's role (their sessions end)."""
    from appliance.caller import Caller

    with obj.appliance() as app:
        _accounts(app).set_role(username, role, Caller.local())
    click.echo(f"{username} is now {role}")


@users.command("reset-password")
@click.argument("username")
@click.pass_obj
def users_reset_password(obj: _Context, username: str) -> None:
    """Give a user a new one-time password (also unlocks a locked account)."""
    from appliance.caller import Caller

    with obj.appliance() as app:
        password = _accounts(app).reset_password(username, Caller.local())
    click.echo(f"one-time password for {username}: {password}")


@users.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the account again.")
@click.pass_obj
def users_disable(obj: _Context, username: str, enable: bool) -> None:
    """Disable an account (sessions and API keys end), or --enable it."""
    from appliance.caller import Caller

    with obj.appliance() as app:
        _accounts(app).set_disabled(username, not enable, Caller.local())
    click.echo(f"{username} {'enabled' if enable else 'disabled'}")


@users.group("api-key")
def users_api_key() -> None:
    """API keys for the OpenAI-compatible API (shown once; stored hashed)."""


@users_api_key.command("create")
@click.argument("username")
@click.option("--name", default="", help="What the key is for.")
@click.pass_obj
def users_api_key_create(obj: _Context, username: str, name: str) -> None:
    """Create a key for USERNAME and print it once."""
    from appliance.caller import Caller

    with obj.appliance() as app:
        key = _accounts(app).create_api_key(username, name, Caller.local())
    click.echo(key)
    click.echo("Shown once; only a hash of it is kept.", err=True)


@users_api_key.command("revoke")
@click.argument("key_id")
@click.pass_obj
def users_api_key_revoke(obj: _Context, key_id: str) -> None:
    """Revoke a key (by its id, or the whole key)."""
    from appliance.caller import Caller

    with obj.appliance() as app:
        _accounts(app).revoke_api_key(key_id, Caller.local())
    click.echo("revoked")


@users_api_key.command("list")
@click.argument("username", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def users_api_key_list(obj: _Context, username: str | None, as_json: bool) -> None:
    """List keys (ids, owners, names, use; never the secrets)."""
    with obj.appliance() as app:
        keys = _accounts(app).api_keys(username)
    if as_json:
        _emit_json(
            [
                {
                    **k,
                    "created_at": str(k["created_at"]),
                    "last_used_at": str(k["last_used_at"] or ""),
                }
                for k in keys
            ]
        )
        return
    for k in keys:
        state = "revoked" if k["revoked"] else "active"
        click.echo(f"apk_{k['id']}  {k['user']:<20} {state:<8} {k['name']}")
