"""Adding documents and asking about them: ``ingest``, ``retrieve`` and ``ask``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from appliance.cli.common import _caller, _Context, _emit_json, _reveal_options
from appliance.rag.documents import DEFAULT_COLLECTION, IngestResult

if TYPE_CHECKING:
    from appliance.rag.answer import Answer
    from appliance.service import Appliance


def _require_documents(app: Appliance, collection: str) -> None:
    """Raise :class:`CollectionEmpty` rather than search a collection with no documents
    (an empty answer would look like "nothing relevant"), naming those that have some."""
    from appliance.errors import CollectionEmpty

    counts = {c.name: n for c, n in app.collections()}
    if counts.get(collection, 0):
        return
    if collection not in counts:
        app.get_collection(collection)  # raises CollectionNotFound
    others = ", ".join(f"{name} ({n})" for name, n in counts.items() if n)
    raise CollectionEmpty(
        f"the collection {collection!r} holds no documents yet: add some with "
        f"`appliance ingest PATH --collection {collection}`"
        + (
            f", or ask another with --collection NAME (with documents: {others})."
            if others
            else "."
        )
    )


def _result_line(result: IngestResult) -> str:
    if not result.ok:
        return f"FAILED     {result.path}: {result.error}"
    pages = f", {result.pages} pages" if result.pages else ""
    note = result.extraction_note()
    pages += f"; {note}" if note else ""
    extra = f" ({result.error})" if result.error else ""
    return f"{result.status:<10} {result.path} [{result.chunks} chunks{pages}]{extra}"


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--collection", "-c", default=DEFAULT_COLLECTION, show_default=True)
@click.option(
    "--policy",
    default=None,
    help="Privacy policy for a new collection (default: default); see `policies list`.",
)
@click.pass_obj
def ingest(obj: _Context, paths: tuple[Path, ...], collection: str, policy: str | None) -> None:
    """Add files or folders (recursively) to a collection.

    Personal data is pseudonymised before anything is indexed, as the
    collection's privacy policy says.
    """
    from appliance.rag.documents import expand_paths

    with obj.appliance() as app:
        show_bar = sys.stderr.isatty()
        total = sum(1 for _ in expand_paths(list(paths))) if show_bar else 0
        lines: list[str] = []
        with click.progressbar(
            length=total, label="ingesting", file=sys.stderr, hidden=not show_bar
        ) as bar:

            def report(result: IngestResult) -> None:
                line = _result_line(result)
                if show_bar:
                    lines.append(line)
                    bar.update(1)
                else:
                    click.echo(line)

            results = app.ingest(list(paths), collection, report, policy=policy)
        for line in lines:
            click.echo(line)
        failed = sum(1 for r in results if not r.ok)
        click.echo(f"{len(results) - failed} ok, {failed} failed", err=True)
        if failed or not results:
            sys.exit(1)


@click.command()
@click.argument("question")
@click.option("--collection", "-c", default=DEFAULT_COLLECTION, show_default=True)
@click.option("-k", "k", type=click.IntRange(1, 100), default=None, help="Hits to return.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per question).")
@_reveal_options
@click.pass_obj
def retrieve(
    obj: _Context,
    question: str,
    collection: str,
    k: int | None,
    as_json: bool,
    reveal: bool,
    role: str,
) -> None:
    """Show the passages that best match QUESTION ('-' reads one question per line).

    Passages show placeholders (<PERSON_1>) as the model sees them; --reveal shows
    the values, if the collection's policy lets --role re-identify (recorded).
    """
    who = _caller(role)
    with obj.appliance() as app:
        _require_documents(app, collection)
        questions = (line.strip() for line in sys.stdin) if question == "-" else [question]
        for q in questions:
            if not q:
                continue
            hits = app.retrieve(q, collection, k, who=who, reveal=reveal)
            if as_json:
                _emit_json({"hits": [h.as_json() for h in hits]})
                sys.stdout.flush()
                continue
            if not hits:
                click.echo("no relevant passages found")
            for n, hit in enumerate(hits, 1):
                page = f" p.{hit.page}" if hit.page is not None else ""
                click.secho(f"[{n}] {hit.source}{page}  score={hit.score:.4f}", bold=True)
                click.echo(f"    {hit.text[:300]}")


@click.command()
@click.argument("question")
@click.option("--collection", "-c", default=DEFAULT_COLLECTION, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the answer and citations as JSON.")
@_reveal_options
@click.pass_obj
def ask(
    obj: _Context, question: str, collection: str, as_json: bool, reveal: bool, role: str
) -> None:
    """Answer QUESTION from the collection's documents, with citations.

    Personal data is handled by the collection's privacy policy: the answer shows
    placeholders unless --reveal is given and --role may re-identify (recorded).
    """
    with obj.appliance() as app:
        _require_documents(app, collection)
        stream = app.ask(question, collection, who=_caller(role), reveal=reveal)
        if as_json:
            _emit_json(stream.result().as_json())
            return
        if stream.extract:
            click.secho("From the documents (quoted):", bold=True)
            for q in stream.extract:
                click.echo(f"  “{q.text}” [{q.n}]")
            click.echo()
            click.secho("Answer:", bold=True)
        try:
            for delta in stream:
                click.echo(delta, nl=False)
                sys.stdout.flush()
        finally:
            stream.close()
        click.echo()
        _echo_answer_notes(stream.result())


def _echo_answer_notes(answer: Answer) -> None:
    """What the streamed text does not say: unverified sentences (marked), the token
    limit or a stopped loop, and every source consulted, cited or not."""
    if answer.answer_source == "extractive":
        click.secho(
            "  (no generated sentence could be verified against the sources; the answer "
            "above is quoted from them)",
            fg="yellow",
        )
    for s in answer.unverified:
        click.secho(f"  [unverified: {s.reason}] {s.text}", fg="yellow")
    if answer.truncated:
        click.secho("  (the answer was cut at the token limit)", fg="yellow")
    if answer.stopped == "loop":
        click.secho("  (the model started repeating itself and was stopped)", fg="yellow")
    if answer.citations:
        click.echo("\nSources:")
        for c in answer.citations:
            page = f", page {c.page}" if c.page is not None else ""
            mark = f"  ({c.cited_by})" if c.cited else "  (consulted, not cited)"
            where = f", {c.section}" if c.section else ""
            click.echo(f"  [{c.n}] {c.title}{where} — {c.source}{page}{mark}")
