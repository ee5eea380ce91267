"""The ``collections`` and ``documents`` groups: list, create and describe
collections, bind their privacy policy, open them to users or groups (``grant``),
and list or delete documents."""

from __future__ import annotations

import click

from appliance.cli.common import _accounts, _Context, _emit_json
from appliance.models import EMBEDDERS
from appliance.rag.documents import DEFAULT_COLLECTION
from appliance.rag.spaces import embedder_of


@click.group()
def collections() -> None:
    """List collections."""


@collections.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def collections_list(obj: _Context, as_json: bool) -> None:
    with obj.appliance() as app:
        rows = app.collections()
    if as_json:
        _emit_json(
            [
                {
                    "name": c.name,
                    "documents": n,
                    "policy": c.policy,
                    "embedder": embedder_of(c),
                    "reembed_to": c.reembed_to,
                }
                for c, n in rows
            ]
        )
        return
    for col, n in rows:
        moving = f" (re-embedding to {col.reembed_to} unfinished)" if col.reembed_to else ""
        click.echo(
            f"{col.name:<32} {n:>5} documents  policy {col.policy}  "
            f"embedder {embedder_of(col)}{moving}"
        )


@collections.command("create")
@click.argument("name")
@click.option("--policy", default="default", show_default=True)
@click.pass_obj
def collections_create(obj: _Context, name: str, policy: str) -> None:
    """Create a collection bound to a privacy policy."""
    with obj.appliance() as app:
        col = app.create_collection(name, policy)
    click.echo(f"collection {col.name} (policy {col.policy})")


@collections.command("set-policy")
@click.argument("name")
@click.argument("policy")
@click.pass_obj
def collections_set_policy(obj: _Context, name: str, policy: str) -> None:
    """Bind a collection to another policy (applies to documents ingested from now on)."""
    with obj.appliance() as app:
        before, held = app.set_collection_policy(name, policy)
    click.echo(f"collection {name}: policy {before} -> {policy}")
    if held:
        click.echo(
            f"{held} documents were ingested under {before!r}; re-ingest them to apply "
            f"{policy!r} to their text.",
            err=True,
        )


@collections.command("reembed")
@click.argument("name")
@click.option(
    "--embedder",
    "embedder",
    required=True,
    type=click.Choice(EMBEDDERS),
    help="The embedder the collection moves to.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def collections_reembed(obj: _Context, name: str, embedder: str, as_json: bool) -> None:
    """Embed collection NAME again with another embedder, then answer its questions with
    it (use-multilingual-v3 reads German, French, Polish...). Resumable: if it is
    stopped, run it again. Ingestion waits meanwhile. Recorded in the audit trail."""

    def progress(done: int, total: int) -> None:
        if not as_json:
            click.echo(f"\r{done}/{total} documents", nl=done == total, err=True)

    with obj.appliance() as app:
        result = app.reembed_collection(name, embedder, on_document=progress)
    if as_json:
        _emit_json(result.as_json())
        return
    if not result.changed:
        click.echo(f"collection {name} already uses {embedder}")
        return
    resumed = f", {result.resumed} done by an earlier run" if result.resumed else ""
    click.echo(
        f"collection {name}: embedder {result.before} -> {result.after} "
        f"({result.embedded} documents, {result.chunks} chunks embedded{resumed})"
    )


@collections.command("set")
@click.argument("name")
@click.option("--purpose", help="Why the documents are processed (record of processing).")
@click.option("--subjects", "data_subjects", help="Whose data it holds, e.g. 'patients, staff'.")
@click.option(
    "--retention-days",
    help="Delete documents this many days after they were added ('none': keep).",
)
@click.option("--legal-hold/--no-legal-hold", default=None, help="Suspend retention deletion.")
@click.pass_obj
def collections_set(
    obj: _Context,
    name: str,
    purpose: str | None,
    data_subjects: str | None,
    retention_days: str | None,
    legal_hold: bool | None,
) -> None:
    """Record a collection's purpose, data subjects, retention and legal hold."""
    from appliance.gdpr.rights import parse_days

    changes: dict[str, object] = {}
    if purpose is not None:
        changes["purpose"] = purpose
    if data_subjects is not None:
        changes["data_subjects"] = data_subjects
    if retention_days is not None:
        try:
            changes["retention_days"] = parse_days(retention_days)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--retention-days") from None
    if legal_hold is not None:
        changes["legal_hold"] = legal_hold
    with obj.appliance() as app:
        col = app.update_collection(name, who=None, **changes)  # None: the local caller
    click.echo(
        f"collection {col.name}: purpose {col.purpose!r}, subjects {col.data_subjects!r}, "
        f"retention {col.retention_days if col.retention_days is not None else 'none'} days, "
        f"legal hold {'on' if col.legal_hold else 'off'}"
    )


@collections.command("grant")
@click.argument("name")
@click.option("--user", "username", help="The user to grant it to.")
@click.option("--group", help="The group to grant it to.")
@click.option("--access", type=click.Choice(["read", "contribute"]), default="read")
@click.option("--revoke", is_flag=True, help="Withdraw the grant instead.")
@click.pass_obj
def collections_grant(
    obj: _Context, name: str, username: str | None, group: str | None, access: str, revoke: bool
) -> None:
    """Open collection NAME to a user or group of the web UI (or withdraw it)."""
    from appliance.caller import Caller

    with obj.appliance() as app:
        accounts = _accounts(app)
        if revoke:
            accounts.revoke(name, Caller.local(), user=username, group=group)
        else:
            accounts.grant(name, Caller.local(), user=username, group=group, access=access)
    grantee = f"user {username}" if username else f"group {group}"
    click.echo(
        f"{'withdrew' if revoke else 'granted'} {name} {'from' if revoke else 'to'} {grantee}"
    )


@click.group()
def documents() -> None:
    """List or delete documents."""


@documents.command("list")
@click.option("--collection", "-c", default=DEFAULT_COLLECTION, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def documents_list(obj: _Context, collection: str, as_json: bool) -> None:
    with obj.appliance() as app:
        docs = app.documents(collection)
    if as_json:
        _emit_json([d.as_json() for d in docs])
        return
    for d in docs:
        notes = []
        if d.ocr_pages:
            notes.append(f"OCR: pages {', '.join(map(str, d.ocr_pages))}")
        if d.pages_without_text:
            notes.append(f"no text: pages {', '.join(map(str, d.pages_without_text))}")
        note = f"  ({'; '.join(notes)})" if notes else ""
        click.echo(f"{d.id}  {d.kind:<8} {d.chunk_count:>4} chunks  {d.source}{note}")


@documents.command("delete")
@click.argument("document_id")
@click.pass_obj
def documents_delete(obj: _Context, document_id: str) -> None:
    with obj.appliance() as app:
        doc = app.delete_document(document_id)
    click.echo(f"deleted {doc.source} (its keys are shredded; restoring a backup deletes it again)")
