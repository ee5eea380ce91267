"""The ``gateway`` group: attach, detach and list the hybrid gateway's external models."""

from __future__ import annotations

import os
import sys

import click

from appliance.cli.common import _Context, _emit_json
from appliance.errors import ApplianceError


def _where(collection: str | None, chat: bool) -> str | None:
    """The collection (None: plain chat); exactly one of the two must be given."""
    if bool(collection) == chat:
        raise click.UsageError("give exactly one of --collection NAME or --chat.")
    return collection


@click.group()
def gateway() -> None:
    """External OpenAI-compatible models behind pseudonymisation (off by default)."""


@gateway.command("attach")
@click.option("--collection", help="The collection whose questions it answers.")
@click.option("--chat", is_flag=True, help="Plain chat (the API's plain model) instead.")
@click.option("--url", required=True, help="The endpoint's base URL, e.g. https://host/v1.")
@click.option("--model", required=True, help="The model name the endpoint expects.")
@click.option("--api-key-env", metavar="VAR", help="Read the API key from this variable.")
@click.option("--api-key-stdin", is_flag=True, help="Read the API key from standard input.")
@click.option("--price-per-1k", type=float, help="Price per 1,000 tokens, for the usage figures.")
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def attach(
    obj: _Context,
    collection: str | None,
    chat: bool,
    url: str,
    model: str,
    api_key_env: str | None,
    api_key_stdin: bool,
    price_per_1k: float | None,
    timeout: float,
    as_json: bool,
) -> None:
    """Let an external model answer a collection (or plain chat).

    Only placeholders leave: every identifier is pseudonymised, the outgoing request
    is scanned once more and refused if anything is found. The API key is sealed in
    the key store (never given on the command line). Recorded in the audit trail.
    """
    where = _where(collection, chat)
    api_key = None
    if api_key_env:
        api_key = os.environ.get(api_key_env)
        if not api_key:
            raise ApplianceError(f"the variable {api_key_env} is not set or empty.")
    elif api_key_stdin:
        api_key = sys.stdin.readline().strip() or None
    with obj.appliance() as app:
        gw = app.attach_gateway(
            where,
            url,
            model,
            api_key=api_key,
            price_per_1k=price_per_1k,
            timeout_seconds=timeout,
        )
    if as_json:
        _emit_json(gw.as_json())
        return
    label = f"collection {where!r}" if where else "plain chat"
    click.echo(f"{label} is now answered by {gw.model} at {gw.url} (external)")
    click.echo("only pseudonymised text leaves; see `appliance audit` for gateway.request")


@gateway.command("detach")
@click.option("--collection", help="The collection.")
@click.option("--chat", is_flag=True, help="Plain chat instead.")
@click.pass_obj
def detach(obj: _Context, collection: str | None, chat: bool) -> None:
    """Stop using the external model; the appliance's own model answers again."""
    where = _where(collection, chat)
    with obj.appliance() as app:
        gone = app.detach_gateway(where)
    label = f"collection {where!r}" if where else "plain chat"
    click.echo(f"{label}: detached {gone.model} at {gone.url}; its API key was shredded")


@gateway.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def gateway_list(obj: _Context, as_json: bool) -> None:
    """The external models attached (none: nothing ever leaves the machine)."""
    with obj.appliance() as app:
        attached = app.gateways_attached()
    if as_json:
        _emit_json([g.as_json() for g in attached])
        return
    if not attached:
        click.echo("no external model attached: nothing leaves this machine")
        return
    for g in attached:
        label = f"collection {g.collection}" if g.collection else "plain chat"
        price = f", {g.price_per_1k:g} per 1k tokens" if g.price_per_1k is not None else ""
        key = "key sealed" if g.has_key else "no key"
        click.echo(f"{label}: {g.model} at {g.url} ({key}{price}, timeout {g.timeout_seconds:g} s)")
