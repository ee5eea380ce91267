"""Every setting, command, option and HTTP route is documented, and the docs name
nothing that is gone.

The idea is datasette's tests/test_docs.py: the code is the list of what exists,
the docs must keep up with it. Each check lists everything missing (and everything
stale) in one message, sorted, so one edit fixes the lot. The docs are written by
hand; these tests only read them. Each kind of thing has its own numbered section
below, built on the shared readers (`read_doc`, `section`, `code_spans`,
`table_first_cells`, `report`); another kind is one more section.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import click

from tests.conftest import REPO

DOCS = REPO / "docs"
PROG = "appliance"
HEADING = re.compile(r"^(#{1,6})\s+(.*)$", re.M)
CODE_SPAN = re.compile(r"`([^`\n]+)`")


# -- reading the docs -------------------------------------------------------------


def read_doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def section(text: str, title: str) -> str:
    """The body of the heading titled ``title`` (any level), up to the next heading
    of the same or a higher level."""
    for match in HEADING.finditer(text):
        if match.group(2).strip() == title:
            level = len(match.group(1))
            rest = text[match.end() :]
            end = re.search(rf"^#{{1,{level}}}\s", rest, re.M)
            return rest[: end.start()] if end else rest
    raise AssertionError(f"no heading {title!r}")


def code_spans(text: str) -> list[str]:
    return CODE_SPAN.findall(text)


def table_first_cells(text: str) -> Iterator[str]:
    """The first cell of each row of the Markdown tables in ``text`` (header and
    separator rows included; callers pick what they look for)."""
    for line in text.splitlines():
        if line.lstrip().startswith("|"):
            yield line.strip().strip("|").split("|")[0]


def report(missing: Iterable[str], where: str, stale: Iterable[str] = ()) -> str:
    """One message naming everything to fix."""
    lines = []
    if missing := sorted(set(missing)):
        lines.append(f"undocumented in {where}:")
        lines += [f"  {item}" for item in missing]
    if stale := sorted(set(stale)):
        lines.append(f"documented in {where} but not in the code:")
        lines += [f"  {item}" for item in stale]
    return "\n".join(lines)


# -- 1. settings: docs/admin-guide.md "Settings" -----------------------------------

SETTINGS_DOC = "admin-guide.md"
SETTINGS_SECTION = "Settings"
# The docs may state the environment form once for all settings ...
ENV_RULE = "APPLIANCE_<NAME>"


def documented_settings() -> set[str]:
    """The names in the first column of the settings table(s)."""
    body = section(read_doc(SETTINGS_DOC), SETTINGS_SECTION)
    return {
        name
        for cell in table_first_cells(body)
        for name in code_spans(cell)
        if re.fullmatch(r"[a-z][a-z0-9_]*", name)
    }


def test_every_setting_is_in_the_settings_table() -> None:
    from appliance.config import Settings

    fields = set(Settings.model_fields)
    documented = documented_settings()
    assert fields == documented, report(
        fields - documented, f"docs/{SETTINGS_DOC} ({SETTINGS_SECTION} table)", documented - fields
    )


def test_the_environment_form_of_every_setting_is_stated() -> None:
    """``APPLIANCE_<NAME>`` once, for all; or ``APPLIANCE_N_CTX`` for each setting."""
    from appliance.config import Settings

    body = section(read_doc(SETTINGS_DOC), SETTINGS_SECTION)
    if ENV_RULE in body:
        return
    missing = {f"APPLIANCE_{name.upper()}" for name in Settings.model_fields}
    missing = {env for env in missing if env not in body}
    assert not missing, report(
        missing, f"docs/{SETTINGS_DOC} ({SETTINGS_SECTION}; or state {ENV_RULE} once)"
    )


# -- 2. the command line: docs/cli.md ----------------------------------------------

CLI_DOC = "cli.md"


def commands(
    command: click.Command, path: tuple[str, ...] = (PROG,)
) -> Iterator[tuple[str, click.Command]]:
    """Every visible command and group under ``command``, by full path."""
    yield " ".join(path), command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            if not sub.hidden:
                yield from commands(sub, (*path, name))


def long_options(command: click.Command) -> set[str]:
    return {
        opt
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden
        for opt in (*param.opts, *param.secondary_opts)
        if opt.startswith("--") and opt != "--help"
    }


def cli_sections() -> dict[str, str]:
    """Command path -> its section's text, for each heading of docs/cli.md whose first
    code span is a usage line (``appliance keys rotate [--new-key-file PATH]``): the
    path is its leading lower-case words; the section runs to the next heading."""
    text = read_doc(CLI_DOC)
    headings = list(HEADING.finditer(text))
    sections: dict[str, str] = {}
    for i, match in enumerate(headings):
        spans = code_spans(match.group(2))
        if not spans or not spans[0].startswith(PROG):
            continue
        words: list[str] = []
        for word in spans[0].split():
            if not re.fullmatch(r"[a-z][a-z0-9-]*", word):
                break
            words.append(word)
        end = headings[i + 1].start() if i + 1 < len(headings) else len(text)
        path = " ".join(words)
        assert path not in sections, f"docs/{CLI_DOC}: two sections for `{path}`"
        sections[path] = text[match.start() : end]
    return sections


def test_every_command_and_option_is_in_the_cli_reference() -> None:
    """Each command has a heading with its usage line; each long option appears in
    its command's section (not merely somewhere on the page)."""
    from appliance.cli import cli

    sections = cli_sections()
    found = dict(commands(cli))
    missing = [path for path in found if path not in sections]
    missing += [
        f"{path} {option}"
        for path, command in found.items()
        for option in long_options(command)
        if path in sections and option not in sections[path]
    ]
    stale = [path for path in sections if path not in found]
    assert not missing and not stale, report(missing, f"docs/{CLI_DOC}", stale)


def test_every_command_the_code_names_exists() -> None:
    """Error messages, hints and docstrings name commands (`appliance x y`) for the
    administrator to run: each must exist, as a command or a command group followed by
    something that is not a subcommand (an argument). One error named `appliance
    reindex`, which never existed."""
    from appliance.cli import cli

    found = set(dict(commands(cli)))
    named = re.compile(r"`appliance ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?")
    wrong = []
    for source in sorted((REPO / "appliance").rglob("*.py")):
        for match in named.finditer(source.read_text(encoding="utf-8")):
            group, sub = match.group(1), match.group(2)
            if f"appliance {group}" not in found:
                wrong.append(f"{source.relative_to(REPO)}: `appliance {group}`")
                continue
            subcommands = {p for p in found if p.startswith(f"appliance {group} ")}
            if sub and subcommands and f"appliance {group} {sub}" not in found:
                wrong.append(f"{source.relative_to(REPO)}: `appliance {group} {sub}`")
    assert not wrong, "commands named in the code that do not exist:\n" + "\n".join(wrong)


# -- 3. HTTP routes: docs/api.md (/v1) and docs/web.md (everything else) ----------

API_DOC = "api.md"
WEB_DOC = "web.md"
API_PREFIX = "/v1"
ENDPOINT = re.compile(r"(GET|POST|PUT|PATCH|DELETE) (/\S*)")
# Not routes of ours, so not in the tables: app.mount("/static") serves the UI's CSS
# and script files; FastAPI's /docs, /redoc and /openapi.json are switched off
# (docs_url=None etc. in create_app: they load scripts from a CDN).


def routes() -> set[str]:
    """``METHOD /path`` of every route of every router in appliance/web/routes (the
    routers create_app includes), path converters (``{x:path}``) shown as ``{x}``."""
    from fastapi import APIRouter
    from fastapi.routing import APIRoute

    import appliance.web.routes as package

    found: set[str] = set()
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for router in vars(module).values():
            if not isinstance(router, APIRouter):
                continue
            for route in router.routes:
                if isinstance(route, APIRoute):
                    path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
                    found |= {f"{method} {path}" for method in route.methods or ()}
    return found


def documented_endpoints(name: str) -> set[str]:
    return {
        span
        for span in code_spans(read_doc(name))
        if ENDPOINT.fullmatch(span) and span.split()[1].startswith(API_PREFIX) == (name == API_DOC)
    }


def test_every_api_route_is_in_the_api_reference() -> None:
    found = {r for r in routes() if r.split()[1].startswith(API_PREFIX)}
    documented = documented_endpoints(API_DOC)
    assert found == documented, report(found - documented, f"docs/{API_DOC}", documented - found)


def test_every_web_route_is_in_the_web_ui_routes_table() -> None:
    found = {r for r in routes() if not r.split()[1].startswith(API_PREFIX)}
    documented = documented_endpoints(WEB_DOC)
    assert found == documented, report(found - documented, f"docs/{WEB_DOC}", documented - found)


# -- 4. error codes ----------------------------------------------------------------------
# Every error class of the one error table (appliance.errors.ERROR_TABLE) is listed
# with its exit code in docs/cli.md ("Exit codes") and with its HTTP status, OpenAI
# type and code in docs/api.md ("Errors by class").


def _markdown_rows(path: Path, heading: str) -> list[list[str]]:
    """The table rows (cells) under ``heading`` in a docs page."""
    text = path.read_text(encoding="utf-8")
    part = text.split(heading, 1)[1].split("\n#", 1)[0]
    rows = [line for line in part.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def test_every_error_class_and_exit_code_is_in_the_docs() -> None:
    from appliance.errors import ERROR_TABLE, EXIT_CODES

    docs = Path(__file__).resolve().parent.parent / "docs"
    by_exit: dict[str, int] = {}
    cli_rows = _markdown_rows(docs / "cli.md", "## Exit codes")
    assert {int(row[0]) for row in cli_rows} == set(EXIT_CODES), "docs/cli.md: exit codes"
    for row in cli_rows:
        for name in re.findall(r"`(\w+)`", row[2]):
            by_exit[name] = int(row[0])
    by_api: dict[str, tuple[int, str, str]] = {}
    for row in _markdown_rows(docs / "api.md", "### Errors by class"):
        for name in re.findall(r"`(\w+)`", row[0]):
            by_api[name] = (int(row[1]), row[2].strip("`"), row[3].strip("`"))
    wrong = sorted(
        cls.__name__
        for cls, kind in ERROR_TABLE.items()
        if by_exit.get(cls.__name__) != kind.exit_code
        or by_api.get(cls.__name__) != (kind.http_status, kind.type, kind.code or "null")
    )
    assert not wrong, report(wrong, "docs/cli.md (Exit codes) or docs/api.md (Errors by class)")
