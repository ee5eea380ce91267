"""``compare``: two versions of a document, section by section."""

from __future__ import annotations

import click

from appliance.cli.common import _caller, _Context, _emit_json, _reveal_options
from appliance.rag.documents import DEFAULT_COLLECTION


@click.command()
@click.argument("old")
@click.argument("new")
@click.option("--collection", "-c", default=DEFAULT_COLLECTION, show_default=True)
@click.option(
    "--old-collection",
    default=None,
    help="The collection holding OLD, when it is not --collection's.",
)
@click.option(
    "--no-summaries", is_flag=True, help="Skip the model: list the changed sentences only."
)
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@_reveal_options
@click.pass_obj
def compare(
    obj: _Context,
    old: str,
    new: str,
    collection: str,
    old_collection: str | None,
    no_summaries: bool,
    as_json: bool,
    reveal: bool,
    role: str,
) -> None:
    """Compare two versions of a document: the sections added, removed, changed and
    moved, each change summarised by the model when the summary passes verification.

    OLD and NEW are document ids or file names as ingested (see `documents list`).
    Sections are matched by title and text, not by the model; unchanged sections are
    only counted. Placeholders (<PERSON_1>) are shown unless --reveal and the policy
    lets --role re-identify (recorded).
    """
    from appliance.rag.compare import pick_document

    who = _caller(role)
    with obj.appliance() as app:
        old_doc = pick_document(old, app.documents(old_collection or collection))
        new_doc = pick_document(new, app.documents(collection))
        result = app.compare_documents(
            old_doc.id, new_doc.id, who, reveal=reveal, summarise=not no_summaries
        )
    if as_json:
        _emit_json(result.as_json())
        return
    counts = result.counts()
    click.echo(f"old: {result.old.source} ({result.old.id})")
    click.echo(f"new: {result.new.source} ({result.new.id})")
    click.echo(
        f"{counts['changed']} changed, {counts['added']} added, {counts['removed']} removed, "
        f"{counts['moved']} moved, {counts['unchanged']} unchanged"
    )
    for change in result.changes:
        click.echo("")
        cited = " | ".join(
            f"{side}: {ref.label()}"
            for side, ref in (("old", change.old), ("new", change.new))
            if ref is not None
        )
        moved = ", moved" if change.moved else ""
        click.echo(f"{change.kind.upper()}{moved}  [{cited}]")
        if change.summary:
            click.echo(f"  {change.summary}")
        elif change.reason and not no_summaries:
            click.echo(f"  (summary withheld: {change.reason})")
        for sentence in change.removed:
            click.echo(f"  - {sentence}")
        for sentence in change.added:
            click.echo(f"  + {sentence}")
    for before, after in result.moved:
        click.echo(f"\nMOVED  [old: {before.label()} | new: {after.label()}] (text unchanged)")
