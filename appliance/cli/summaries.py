"""The ``summarise`` command: a document summarised section by section, with citations;
several documents summarised as a set."""

from __future__ import annotations

import sys

import click

from appliance.caller import Caller
from appliance.cli.common import _caller, _Context, _emit_json, _reveal_options
from appliance.errors import EXIT_INTERRUPTED, SummaryNotFound
from appliance.rag.documents import DEFAULT_COLLECTION
from appliance.rag.summaries import DocumentSummary, SummaryProgress
from appliance.rag.summary_sets import SetProgress, SetState, SetSummary
from appliance.service import Appliance


def _document_id(app: Appliance, document: str, collection: str) -> str:
    """``document`` as an id, or the id of the one document of ``collection`` whose
    file name or title it is."""
    docs = app.documents(collection)
    if any(d.id == document for d in docs):
        return document
    named = [d for d in docs if document in (d.source, d.source.rsplit("/", 1)[-1], d.title)]
    if len(named) == 1:
        return named[0].id
    if len(named) > 1:
        ids = ", ".join(d.id for d in named)
        raise SummaryNotFound(f"{len(named)} documents are named {document!r} ({ids}); give an id.")
    return document  # an id of another collection: the access check decides


def _print_summary(summary: DocumentSummary) -> None:
    click.echo(f"Summary of {summary.title} ({summary.model})")
    click.echo("")
    for s in summary.overview:
        if s.supported:
            click.echo(f"- {s.cited_text()}")
    for sec in summary.sections:
        shown = [s for s in sec.statements if s.supported]
        if not shown:
            continue
        pages = f" (pp. {sec.pages[0]}-{sec.pages[-1]})" if len(sec.pages) > 1 else ""
        pages = pages or (f" (p. {sec.pages[0]})" if sec.pages else "")
        click.echo("")
        click.secho(f"s{sec.index}. {sec.title or '(untitled)'}{pages}", bold=True)
        for s in shown:
            click.echo(f"- {s.cited_text()}")
    unverified = [s for s in summary.statements() if not s.supported]
    if unverified:
        click.echo("")
        click.secho(f"Not shown ({len(unverified)} unverified):", fg="yellow")
        for s in unverified:
            click.secho(f"  ? {s.cited_text()} — {s.reason}", fg="yellow")


def _print_set(summary: SetSummary) -> None:
    click.echo(f"Summary of {len(summary.documents)} documents")
    click.echo("")
    for d in summary.legend:
        click.echo(f"{d.key} = {d.title} ({d.file})")
    click.echo("")
    for s in summary.overview:
        click.echo(f"- {s.cited_text()}")
    for d in summary.legend:
        own = summary.document_overview(d.index)
        if own:
            click.echo("")
            click.secho(f"{d.key}. {d.title}", bold=True)
            for s in own:
                click.echo(f"- {s.cited_text()}")


def _set_stopped(state: SetState) -> str:
    return (
        f"set of {len(state.document_ids)} documents: {state.status} after "
        f"{state.documents_done} of {len(state.document_ids)} documents; `--resume` "
        "goes on from there"
    )


@click.command()
@click.argument("documents", nargs=-1, required=True)
@click.option("--collection", "-c", default=DEFAULT_COLLECTION, show_default=True)
@click.option("--resume", is_flag=True, help="Take up a cancelled or interrupted summary.")
@click.option("--cancel", is_flag=True, help="Stop the summary under way (after its step).")
@click.option("--max-tokens", type=click.IntRange(16, 2048), help="Output limit per step.")
@click.option("--json", "as_json", is_flag=True)
@_reveal_options
@click.pass_obj
def summarise(
    obj: _Context,
    documents: tuple[str, ...],
    collection: str,
    resume: bool,
    cancel: bool,
    max_tokens: int | None,
    as_json: bool,
    role: str,
    reveal: bool,
) -> None:
    """Summarise DOCUMENTS (ids, or file names in --collection) section by section.

    Every statement cites its section and page, as [s3, p. 12], and is checked against
    that text; unverified ones are listed apart. Several documents are summarised as a
    set: each document's summary (a finished one reused), then an overview across
    them whose markers name the document, as [d2, s3, p. 12]. Progress goes to
    stderr; Ctrl-C cancels, and --resume goes on from the last finished step.
    """
    who = _caller(role)
    with obj.appliance() as app:
        ids = list(dict.fromkeys(_document_id(app, d, collection) for d in documents))
        if len(ids) > 1:
            _summarise_set(app, ids, who, resume, cancel, max_tokens, as_json, reveal)
            return
        doc_id = ids[0]
        if cancel:
            state = app.cancel_summary(doc_id, who=who)
            if as_json:
                _emit_json(state.as_json())
            else:
                click.echo(f"summary of {doc_id}: {state.status} (cancel requested)")
            return

        def progress(p: SummaryProgress) -> None:
            how = "stored" if p.reused else "done"
            click.echo(f"[{p.done}/{p.total}] {p.step} {how}", err=True)

        try:
            state, reused, computed = app.summarise(
                doc_id, who=who, resume=resume, on_progress=progress, max_tokens=max_tokens
            )
        except KeyboardInterrupt:
            click.echo("cancelled; `--resume` goes on from the last finished step", err=True)
            sys.exit(EXIT_INTERRUPTED)
        if state.status != "done":
            click.echo(
                f"summary of {doc_id}: {state.status} after {state.done_steps} of "
                f"{state.total_steps} steps; `--resume` goes on from there",
                err=True,
            )
            sys.exit(EXIT_INTERRUPTED)
        summary = app.read_summary(doc_id, who=who, reveal=reveal)
    if as_json:
        _emit_json({**summary.as_json(), "reused_steps": reused, "computed_steps": computed})
        return
    _print_summary(summary)


def _summarise_set(
    app: Appliance,
    ids: list[str],
    who: Caller,
    resume: bool,
    cancel: bool,
    max_tokens: int | None,
    as_json: bool,
    reveal: bool,
) -> None:
    if cancel:
        state = app.cancel_summary_set(ids, who=who)
        if as_json:
            _emit_json(state.as_json())
        else:
            click.echo(f"set of {len(ids)} documents: {state.status} (cancel requested)")
        return

    def progress(p: SetProgress) -> None:
        where = f"d{p.document}/{p.documents}"
        if p.step is None:
            click.echo(f"[{where}] {p.document_id}: summary stored", err=True)
            return
        how = "stored" if p.step.reused else "done"
        click.echo(f"[{where} {p.step.done}/{p.step.total}] {p.step.step} {how}", err=True)

    try:
        state = app.summarise_set(
            ids, who=who, resume=resume, on_progress=progress, max_tokens=max_tokens
        )
    except KeyboardInterrupt:
        click.echo("cancelled; `--resume` goes on from the last finished step", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if state.status != "done":
        click.echo(_set_stopped(state), err=True)
        sys.exit(EXIT_INTERRUPTED)
    summary = app.read_summary_set(ids, who=who, reveal=reveal)
    if as_json:
        _emit_json({"object": "summary.set", **state.as_json(), "summary": summary.as_json()})
        return
    _print_set(summary)
