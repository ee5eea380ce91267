"""The ``chroma`` group: the bearer token sent to a Chroma server (``chroma_host``)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from appliance.cli.common import _Context, _emit_json
from appliance.errors import EXIT_CONFIG, ApplianceError

if TYPE_CHECKING:  # imported where used: keeps `appliance --help` fast
    from appliance.service.admin import ChromaTokenStatus


@click.group()
def chroma() -> None:
    """The Chroma server holding the vectors (when chroma_host is set)."""


@chroma.group("token")
def token() -> None:
    """The token the proxy in front of the Chroma server requires (sealed here)."""


def _report(status: ChromaTokenStatus, as_json: bool) -> None:
    if as_json:
        _emit_json(status.as_json())
    elif status.server is None:
        click.echo(status.detail)
    else:
        state = "set" if status.set_at else "not set"
        verdict = {True: "accepted", False: "REFUSED", None: "not checked"}[status.accepted]
        click.echo(f"Chroma server {status.server}: token {state}; {verdict} ({status.detail})")
    if status.accepted is False:
        sys.exit(EXIT_CONFIG)


@token.command("set")
@click.option("--token-env", metavar="VAR", help="Read the token from this variable.")
@click.option("--token-stdin", is_flag=True, help="Read the token from standard input.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def token_set(obj: _Context, token_env: str | None, token_stdin: bool, as_json: bool) -> None:
    """Seal the token sent as `Authorization: Bearer` to the Chroma server.

    Never given on the command line: from a variable (--token-env) or standard input
    (--token-stdin). Replaces (and shreds) any token before; recorded in the audit
    trail. Exits 8 when the server refuses it."""
    if bool(token_env) == token_stdin:
        raise click.UsageError("give exactly one of --token-env VAR or --token-stdin.")
    if token_env:
        value = os.environ.get(token_env)
        if not value:
            raise ApplianceError(f"the variable {token_env} is not set or empty.")
    else:
        value = sys.stdin.readline()
    with obj.appliance() as app:
        status = app.set_chroma_token(value)
    _report(status, as_json)


@token.command("clear")
@click.pass_obj
def token_clear(obj: _Context) -> None:
    """Stop sending a token; the sealed token's key is shredded."""
    with obj.appliance() as app:
        gone = app.clear_chroma_token()
    click.echo("the Chroma server's token was cleared" if gone else "no token was set")


@token.command("status")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def token_status(obj: _Context, as_json: bool) -> None:
    """Whether a token is set and the Chroma server accepts it now (exits 8 if not)."""
    with obj.appliance() as app:
        status = app.chroma_token_status()
    _report(status, as_json)
