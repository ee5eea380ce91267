"""Applying a policy's actions to text: placeholders, redaction, masking, blocking.

Placeholders are consistent within a *scope* (a document, a conversation):
the same value always gets the same ``<PERSON_1>``. Values are compared by a
keyed hash (HMAC) of their normalised form, so the scope's lookup table never
holds the value itself; a shorter mention of a name already seen ("Dr
Szczepanski" after "Bartholomew Szczepanski") joins the same placeholder.

Replacement itself runs on presidio-anonymizer with one operator per entity
type.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from appliance.errors import PiiBlocked as PiiBlocked  # defined there, with the table
from appliance.privacy.entities import TITLES, Entity
from appliance.privacy.policy import Policy

if TYPE_CHECKING:  # Presidio loads spaCy: imported when first used, not with the module
    from presidio_anonymizer import AnonymizerEngine
    from presidio_anonymizer.entities import OperatorConfig

PLACEHOLDER = re.compile(r"<([A-Z][A-Z0-9_]*)_(\d+)>")
_TITLE_WORDS = frozenset(TITLES)


def normalise(entity_type: str, value: str) -> str:
    """The form two mentions of one value share (case, spacing, titles, separators)."""
    text = unicodedata.normalize("NFKC", value).strip()
    if entity_type == "PERSON":
        words = [w for w in re.findall(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", text.casefold())]
        return " ".join(w for w in words if w.rstrip(".") not in _TITLE_WORDS)
    if entity_type == "EMAIL_ADDRESS":
        return text.casefold()
    if entity_type == "PHONE_NUMBER":
        digits = re.sub(r"\D", "", text)
        if text.startswith("00"):
            digits = digits[2:]
        return ("+" if text.startswith(("+", "00")) else "") + digits
    if entity_type in ("POSTAL_ADDRESS",):
        return re.sub(r"[\s,]+", " ", text.casefold())
    return re.sub(r"[\s.\-/]", "", text).upper()


@dataclass
class Pseudonym:
    placeholder: str
    type: str
    value: str = field(repr=False)  # in memory only; persisted sealed, never in plaintext
    key: str  # keyed hash of (type, normalised value)


class PseudonymScope:
    """Placeholders of one document or conversation."""

    def __init__(self, mac: Callable[[str], str], existing: list[Pseudonym] | None = None) -> None:
        self._mac = mac
        self.by_key: dict[str, Pseudonym] = {}
        self.by_placeholder: dict[str, Pseudonym] = {}
        self._counts: dict[str, int] = {}
        self._names: list[tuple[frozenset[str], Pseudonym]] = []
        # Every spelling seen: key -> (type, value as written); aliases included.
        self.spellings: dict[str, tuple[str, str]] = {}
        for p in existing or []:
            self._add(p)

    def key_of(self, entity_type: str, value: str) -> str:
        return self._mac(f"{entity_type}:{normalise(entity_type, value)}")

    def _add(self, p: Pseudonym) -> None:
        self.by_key[p.key] = p
        self.spellings.setdefault(p.key, (p.type, p.value))
        self.by_placeholder[p.placeholder] = p
        m = PLACEHOLDER.fullmatch(p.placeholder)
        if m:
            self._counts[p.type] = max(self._counts.get(p.type, 0), int(m.group(2)))
        if p.type == "PERSON":
            self._names.append((frozenset(normalise("PERSON", p.value).split()), p))

    def placeholder(self, entity_type: str, value: str) -> str:
        key = self.key_of(entity_type, value)
        self.spellings.setdefault(key, (entity_type, value))
        found = self.by_key.get(key)
        if found is None and entity_type == "PERSON":
            words = frozenset(normalise("PERSON", value).split())
            found = next(
                (p for names, p in self._names if words and (words <= names or names <= words)),
                None,
            )
            if found is not None:
                self.by_key[key] = found  # this spelling is now a known alias
                if len(value) > len(found.value):
                    found.value = value  # re-identify to the fullest spelling
        if found is not None:
            return found.placeholder
        n = self._counts.get(entity_type, 0) + 1
        pseudonym = Pseudonym(f"<{entity_type}_{n}>", entity_type, value, key)
        self._add(pseudonym)
        return pseudonym.placeholder

    @property
    def pseudonyms(self) -> list[Pseudonym]:
        return list(self.by_placeholder.values())


@dataclass(frozen=True)
class Applied:
    """One decision, without the value: for counts, events and the audit trail."""

    type: str
    action: str
    start: int
    end: int


@dataclass
class Transformed:
    text: str
    applied: list[Applied]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for a in self.applied:
            if a.action != "keep":
                out[a.type] = out.get(a.type, 0) + 1
        return dict(sorted(out.items()))


def mask(value: str) -> str:
    """All letters and digits but the last four become ``*`` (separators stay)."""
    shown = 4
    chars = list(value)
    alnum = [i for i, c in enumerate(chars) if c.isalnum()]
    for i in alnum[: max(0, len(alnum) - shown)]:
        chars[i] = "*"
    return "".join(chars)


_anonymizer: AnonymizerEngine | None = None


def _engine() -> AnonymizerEngine:
    global _anonymizer
    if _anonymizer is None:
        from presidio_anonymizer import AnonymizerEngine

        _anonymizer = AnonymizerEngine()
    return _anonymizer


def apply_policy(
    text: str,
    entities: list[Entity],
    policy: Policy,
    stage: str,
    scope: PseudonymScope | None,
) -> Transformed:
    """Apply ``policy``'s actions for ``stage`` to the ``entities`` found in ``text``.

    Raises :class:`PiiBlocked` (naming types, never values) when any is blocked.
    """
    actions = [(e, policy.action(e.type, stage)) for e in entities]
    blocked = sorted({e.type for e, a in actions if a == "block"})
    if blocked:
        raise PiiBlocked(blocked, stage, policy)
    applied = [Applied(e.type, a, e.start, e.end) for e, a in actions]
    todo = [(e, a) for e, a in actions if a != "keep"]
    if not todo:
        return Transformed(text, applied)
    if any(a == "pseudonymise" for _, a in todo):
        if scope is None:
            raise ValueError("pseudonymisation needs a scope")
        # Number placeholders in reading order (the anonymizer works from the end).
        for e, a in sorted(todo, key=lambda pair: pair[0].start):
            if a == "pseudonymise":
                scope.placeholder(e.type, text[e.start : e.end])
    from presidio_anonymizer.entities import RecognizerResult

    operators: dict[str, OperatorConfig] = {}
    for entity_type in {e.type for e, _ in todo}:
        action = policy.action(entity_type, stage)
        operators[entity_type] = _operator(entity_type, action, scope)
    result = _engine().anonymize(
        text=text,
        analyzer_results=[RecognizerResult(e.type, e.start, e.end, e.score) for e, _ in todo],
        operators=operators,
    )
    return Transformed(result.text, applied)


def replacement(action: str, entity_type: str, value: str, scope: PseudonymScope | None) -> str:
    """The text one personal ``value`` becomes under a policy ``action``: "keep" the
    value, "redact" ``[TYPE]``, "mask" the value masked, "pseudonymise" the scope's
    placeholder. The one place an action becomes text (ingestion, every stage).

    Raises :class:`ValueError` for "block" (the caller raises :class:`PiiBlocked`)
    or for "pseudonymise" without a scope."""
    if action == "keep":
        return value
    if action == "redact":
        return f"[{entity_type}]"
    if action == "mask":
        return mask(value)
    if action != "pseudonymise" or scope is None:
        raise ValueError(f"no replacement for action {action!r} (scope: {scope is not None})")
    return scope.placeholder(entity_type, value)


def _operator(entity_type: str, action: str, scope: PseudonymScope | None) -> OperatorConfig:
    from presidio_anonymizer.entities import OperatorConfig

    return OperatorConfig(
        "custom", {"lambda": lambda value: replacement(action, entity_type, value, scope)}
    )


def conceal(text: str, scope: PseudonymScope) -> str:
    """The inverse of :func:`reidentify`: the scope's values back to placeholders
    (longest first, so a full name wins over its surname)."""
    pairs = sorted(
        ((p.value, p.placeholder) for p in scope.by_placeholder.values() if p.value),
        key=lambda pair: len(pair[0]),
        reverse=True,
    )
    for value, placeholder in pairs:
        text = text.replace(value, placeholder)
    return text


def reidentify(text: str, scope: PseudonymScope) -> tuple[str, dict[str, int]]:
    """Placeholders of ``scope`` in ``text`` replaced by their values; counts per type."""
    counts: dict[str, int] = {}

    def swap(m: re.Match[str]) -> str:
        p = scope.by_placeholder.get(m.group(0))
        if p is None:
            return m.group(0)
        counts[p.type] = counts.get(p.type, 0) + 1
        return p.value

    return PLACEHOLDER.sub(swap, text), counts
