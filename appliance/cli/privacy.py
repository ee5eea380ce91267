"""The ``pii`` and ``policies`` groups: find or replace personal data in text read
from stdin, and list, show or check privacy policies."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from appliance.cli.common import _Context, _emit_json
from appliance.errors import ApplianceError

if TYPE_CHECKING:  # imported where used: keeps `appliance --help` fast
    from appliance.privacy import Entity, PiiDetector, Policy


def _read_stdin_text() -> str:
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApplianceError(
            f"the input is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert it first, e.g. `iconv -f latin1 -t utf-8`."
        ) from None


def _detector(obj: _Context) -> PiiDetector:
    from appliance.models import SPACY_EN_DIR
    from appliance.privacy import shared_detector

    return shared_detector(obj.settings.models_path / SPACY_EN_DIR)


def _policy(obj: _Context, name: str) -> Policy:
    from appliance.privacy import load_policy

    return load_policy(name, obj.settings.data_dir)


def _detect(detector: PiiDetector, policy: Policy, text: str) -> list[Entity]:
    return detector.analyze(
        text, policy.types, policy.thresholds(), allow=policy.allow, deny=policy.deny
    )


@click.group()
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
    from appliance.crypto import ephemeral_mac
    from appliance.privacy import PseudonymScope, apply_policy

    policy = _policy(obj, policy_name)
    detector = _detector(obj)
    text = _read_stdin_text()
    scope = PseudonymScope(ephemeral_mac())
    entities = detector.analyze(
        text, policy.types_for(stage), policy.thresholds(), allow=policy.allow, deny=policy.deny
    )
    click.echo(apply_policy(text, entities, policy, stage, scope).text, nl=False)


@click.group()
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
