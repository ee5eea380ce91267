"""The house's rules, checked on the code itself.

- Layers: no module imports from a layer above it (``lint-imports`` with the
  contracts in ``pyproject.toml``; import-linter walks every import, those inside
  functions included).
- Entry points (the CLI and the web layer) only translate: they never write an
  audit event nor reach into the opened parts (keyring, database, vault, document
  library, vector index, audit trail, privacy gate, identifier registry); every
  act goes through a door of :class:`appliance.service.Appliance`.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTRY_POINTS = [
    ROOT / "appliance" / "cli",
    ROOT / "appliance" / "cli.py",
    ROOT / "appliance" / "web",
]
# The parts an opened data directory is made of (appliance.startup.Parts): the
# application layer's to use, never an entry point's.
PARTS = {
    "keyring",
    "db",
    "vault",
    "library",
    "index",
    "audit",
    "privacy",
    "identifiers",
    "usage_ledger",
}


def _entry_point_files() -> list[Path]:
    files: list[Path] = []
    for place in ENTRY_POINTS:
        if place.is_file():
            files.append(place)
        elif place.is_dir():
            files.extend(sorted(place.rglob("*.py")))
    return files


def _is_the_appliance(node: ast.expr) -> bool:
    """How entry points name the opened appliance: ``app`` / ``appliance`` (``with
    obj.appliance() as app``) or ``….appliance`` (``web(request).appliance``)."""
    if isinstance(node, ast.Name):
        return node.id in {"app", "appliance"}
    return isinstance(node, ast.Attribute) and node.attr == "appliance"


def _reaches_into_parts(path: Path) -> list[str]:
    """``app.keyring``, ``app.db.session()``, ``state.appliance.audit.append(...)``:
    one of the opened parts read on the appliance."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in PARTS and _is_the_appliance(node.value):
            where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
            found.append(f"{where}:{node.lineno}: .{node.attr}")
    return found


def _hands_the_appliance_on(path: Path, local: set[str]) -> list[str]:
    """``erase_subject(app, ...)``: the appliance passed to a function that is not the
    entry points' own (a lower room's), which would act around the doors."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and any(_is_the_appliance(a) for a in node.args):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "?")
            if name not in local:
                where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
                found.append(f"{where}:{node.lineno}: {name}(appliance, ...)")
    return found


def _defined_in(files: list[Path]) -> set[str]:
    return {
        node.name
        for f in files
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def test_entry_points_never_hand_the_appliance_to_a_lower_room() -> None:
    files = _entry_point_files()
    local = _defined_in(files)
    found = [hit for f in files for hit in _hands_the_appliance_on(f, local)]
    assert not found, "entry points act around the doors:\n" + "\n".join(found)


def test_entry_points_use_only_the_application_layer() -> None:
    files = _entry_point_files()
    assert files, "no entry point found"
    found = [hit for f in files for hit in _reaches_into_parts(f)]
    assert not found, "entry points reach past the application layer:\n" + "\n".join(found)


def test_the_check_sees_a_reach_past_the_doors(tmp_path: Path) -> None:
    """The walk above is not vacuous: the kind of line it exists to refuse is found."""
    sample = tmp_path / "route.py"
    sample.write_text(
        "def view(request, user, plan):\n"
        "    app = web(request).appliance\n"
        "    app.audit.append('x', **user.caller().audit_fields())\n"
        "    n = plan.identifiers + ['a'].index('a')\n"
        "    return web(request).appliance.library.collections(), n\n",
        encoding="utf-8",
    )
    assert len(_reaches_into_parts(sample)) == 2
    around = tmp_path / "command.py"
    around.write_text(
        "def erase(app, subjects, who):\n"
        "    plan = _plan(app)\n"
        "    return erase_subject(app, subjects, who)\n"
        "def _plan(app):\n"
        "    return app.plan_erasure([], None)\n",
        encoding="utf-8",
    )
    assert [
        h.split(": ", 1)[1] for h in _hands_the_appliance_on(around, _defined_in([around]))
    ] == ["erase_subject(appliance, ...)"]


def test_no_module_imports_from_a_layer_above() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
