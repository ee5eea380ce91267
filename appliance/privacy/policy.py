"""Privacy policies are data: YAML files, validated on load, identified by a hash.

A policy says, per entity type and per stage, what happens to personal data:

* stages: ``ingest`` (documents before chunking and embedding), ``prompt`` (the
  user's question), ``context`` (passages given to the model), ``answer`` (what
  the user sees), ``log`` (anything the appliance logs);
* actions: ``keep``, ``pseudonymise`` (``<PERSON_1>``), ``redact`` (``[PERSON]``),
  ``mask`` (all but the last four characters hidden), ``block`` (refuse the request).

Errors name the file, the line and the fix. Every decision a policy drives
records its name and :attr:`Policy.digest` (SHA-256 of the resolved policy).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from appliance.errors import PolicyError as PolicyError  # defined there, with the table
from appliance.privacy.entities import ENTITY_TYPES, DenyRule

Action = Literal["keep", "pseudonymise", "redact", "mask", "block"]
STAGES = ("ingest", "prompt", "context", "answer", "log")
ROLES = ("staff", "compliance_officer", "admin")


def _shipped_dir() -> Path:
    """The policies shipped with the program: beside the package in a checkout, or
    beside the virtualenv in an installed release (/opt/appliance/releases/V/policies)."""
    checkout = Path(__file__).resolve().parents[2] / "policies"
    release = Path(sys.prefix).resolve().parent / "policies"
    return checkout if checkout.is_dir() or not release.is_dir() else release


SHIPPED_DIR = _shipped_dir()
_TYPE_NAME = re.compile(r"^[A-Z][A-Z0-9_]{1,40}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StageActions(_Strict):
    ingest: Action | None = None
    prompt: Action | None = None
    context: Action | None = None
    answer: Action | None = None
    log: Action | None = None


class EntityRule(StageActions):
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)


class DenyEntry(_Strict):
    type: str
    words: list[str] = []
    regex: str | None = None
    score: float = Field(default=1.0, ge=0.0, le=1.0)

    @field_validator("type")
    @classmethod
    def _type_name(cls, v: str) -> str:
        if not _TYPE_NAME.match(v):
            raise ValueError("use upper-case letters, digits and _ (e.g. CODE_NAME)")
        return v

    @field_validator("regex")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression ({exc})") from None
        return v


class PolicyFile(_Strict):
    name: str
    description: str = ""
    extends: str | None = None
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    stages: StageActions = StageActions()
    entities: dict[str, EntityRule] = {}
    allow: list[str] = []
    deny: list[DenyEntry] = []
    reidentify_roles: list[Literal["staff", "compliance_officer", "admin"]] = []


@dataclass(frozen=True)
class Policy:
    """A resolved policy (``extends`` applied)."""

    name: str
    description: str
    source: str
    threshold: float
    stages: dict[str, str]
    entities: dict[str, dict[str, Any]]
    allow: tuple[str, ...]
    deny: tuple[DenyRule, ...]
    reidentify_roles: tuple[str, ...]
    # Every file it was read from: its own, then the one it extends, and so on.
    files: tuple[str, ...] = ()

    @property
    def digest(self) -> str:
        return hashlib.sha256(
            json.dumps(self.as_json(include_source=False), sort_keys=True).encode()
        ).hexdigest()

    @property
    def types(self) -> list[str]:
        return sorted({*ENTITY_TYPES, *(d.type for d in self.deny)})

    def action(self, entity_type: str, stage: str) -> str:
        rule = self.entities.get(entity_type, {})
        return rule.get(stage) or self.stages.get(stage) or "keep"

    def threshold_for(self, entity_type: str) -> float:
        value = self.entities.get(entity_type, {}).get("threshold")
        return self.threshold if value is None else value

    def thresholds(self) -> dict[str, float]:
        return {t: self.threshold_for(t) for t in self.types}

    def types_for(self, stage: str) -> list[str]:
        """Entity types the stage must look for (those whose action is not ``keep``)."""
        return [t for t in self.types if self.action(t, stage) != "keep"]

    def may_reidentify(self, role: str) -> bool:
        return role in self.reidentify_roles

    def as_json(self, include_source: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "threshold": self.threshold,
            "stages": self.stages,
            "entities": self.entities,
            "allow": list(self.allow),
            "deny": [
                {"type": d.type, "words": list(d.words), "regex": d.regex, "score": d.score}
                for d in self.deny
            ],
            "reidentify_roles": list(self.reidentify_roles),
        }
        if include_source:
            out["source"] = self.source
            out["digest"] = self.digest
        return out


# -- loading -------------------------------------------------------------------------


def policy_dirs(data_dir: Path | None = None) -> list[Path]:
    """Where policies are looked up by name: the data directory's own, then the shipped ones."""
    dirs = [data_dir / "policies"] if data_dir is not None else []
    return [*dirs, SHIPPED_DIR]


def available_policies(data_dir: Path | None = None) -> list[str]:
    names: set[str] = set()
    for folder in policy_dirs(data_dir):
        if folder.is_dir():
            names.update(p.stem for p in folder.glob("*.yaml"))
    return sorted(names)


def find_policy(name: str, data_dir: Path | None = None) -> Path:
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        return candidate
    for folder in policy_dirs(data_dir):
        path = folder / f"{name}.yaml"
        if path.is_file():
            return path
    known = available_policies(data_dir)
    hint = difflib.get_close_matches(name, known, n=1)
    raise PolicyError(
        f"no policy named {name!r}"
        + (f"; did you mean {hint[0]!r}?" if hint else "")
        + f". Available: {', '.join(known) or 'none'} "
        + f"(in {', '.join(map(str, policy_dirs(data_dir)))})."
    )


def load_policy(name: str, data_dir: Path | None = None, _seen: tuple[str, ...] = ()) -> Policy:
    """Load and validate a policy by name (or path), resolving ``extends``."""
    path = find_policy(name, data_dir)
    text = _read(path)
    raw = _parse(path, text)
    try:
        parsed = PolicyFile.model_validate(raw)
    except ValidationError as exc:
        raise PolicyError(_explain(path, text, exc)) from None
    _check_entity_names(path, text, parsed)
    if parsed.name != path.stem:
        raise PolicyError(
            f"{path}, line {_line_of(text, ('name',))}: name {parsed.name!r} differs from the "
            f"file name; set `name: {path.stem}` or rename the file."
        )
    base = None
    if parsed.extends:
        if parsed.extends in (*_seen, parsed.name):
            raise PolicyError(f"{path}: `extends: {parsed.extends}` makes a cycle; remove it.")
        base = load_policy(parsed.extends, data_dir, (*_seen, parsed.name))
    policy = _resolve(parsed, base, str(path))
    known = set(ENTITY_TYPES) | {d.type for d in policy.deny}
    for name in parsed.entities:
        if name not in known:
            hint = difflib.get_close_matches(name, sorted(known), n=1)
            raise PolicyError(
                f"{path}, line {_line_of(text, ('entities', name))}: entities.{name}: unknown "
                "entity type" + (f"; did you mean {hint[0]!r}?" if hint else "") + "."
            )
    return policy


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: not UTF-8 text; save it as UTF-8.") from None
    except OSError as exc:
        raise PolicyError(f"{path}: cannot be read ({exc.strerror}).") from None


def _parse(path: Path, text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(
            f"{path}{where}: not valid YAML ({problem}); check indentation and quotes."
        ) from None
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: a policy is a mapping (name:, stages:, entities:...).")
    return data


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """Line (1-based) of the YAML node at ``loc``, or of its deepest existing parent."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


# Keyed like pydantic's error locations (list indexes are ints).
_FIELDS: dict[tuple[int | str, ...], list[str]] = {
    (): list(PolicyFile.model_fields),
    ("stages",): list(StageActions.model_fields),
    ("entities", "*"): list(EntityRule.model_fields),
    ("deny", "*"): list(DenyEntry.model_fields),
}


def _explain(path: Path, text: str, exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        line = _line_of(text, loc)
        where = ".".join(str(p) for p in loc) or "(top level)"
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            parent = tuple(
                "*" if i == 1 and loc[0] in ("entities", "deny") else p
                for i, p in enumerate(loc[:-1])
            )
            allowed = _FIELDS.get(parent, [])
            hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            message = f"unknown key {loc[-1]!r}" + (
                f"; did you mean {hint[0]!r}?" if hint else f"; allowed: {', '.join(allowed)}"
            )
        elif err["type"] == "literal_error":
            options = re.findall(r"'([a-z_]+)'", message)
            hint = difflib.get_close_matches(str(err.get("input")), options, n=1)
            message = f"{err.get('input')!r} is not one of {', '.join(options)}" + (
                f"; did you mean {hint[0]!r}?" if hint else ""
            )
        problems.append(f"{path}, line {line}: {where}: {message}")
    return "; ".join(problems)


def _check_entity_names(path: Path, text: str, parsed: PolicyFile) -> None:
    known = set(ENTITY_TYPES) | {d.type for d in parsed.deny}
    for name in parsed.entities:
        if name not in known and not parsed.extends:
            hint = difflib.get_close_matches(name, sorted(known), n=1)
            raise PolicyError(
                f"{path}, line {_line_of(text, ('entities', name))}: entities.{name}: unknown "
                "entity type"
                + (f"; did you mean {hint[0]!r}?" if hint else "")
                + f" Known types: {', '.join(sorted(ENTITY_TYPES))}, or a type from `deny:`."
            )


def _resolve(parsed: PolicyFile, base: Policy | None, source: str) -> Policy:
    stages = dict(base.stages) if base else {}
    stages.update({k: v for k, v in parsed.stages.model_dump().items() if v is not None})
    entities: dict[str, dict[str, Any]] = {
        k: dict(v) for k, v in (base.entities if base else {}).items()
    }
    for name, rule in parsed.entities.items():
        entities.setdefault(name, {}).update(
            {k: v for k, v in rule.model_dump().items() if v is not None}
        )
    deny = [*(base.deny if base else ())] + [
        DenyRule(d.type, tuple(d.words), d.regex, d.score) for d in parsed.deny
    ]
    threshold = (
        parsed.threshold
        if "threshold" in parsed.model_fields_set or base is None
        else base.threshold
    )
    return Policy(
        name=parsed.name,
        description=parsed.description or (base.description if base else ""),
        source=source,
        threshold=threshold,
        stages={s: stages.get(s, "keep") for s in STAGES},
        entities=dict(sorted(entities.items())),
        allow=tuple([*(base.allow if base else ()), *parsed.allow]),
        deny=tuple(deny),
        reidentify_roles=tuple(
            parsed.reidentify_roles
            if "reidentify_roles" in parsed.model_fields_set or base is None
            else base.reidentify_roles
        ),
        files=(source, *(base.files if base else ())),
    )
