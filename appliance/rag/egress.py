"""What the hybrid gateway lets leave the machine, and the checks on it.

Before a question or a chat goes to an external model (an endpoint an administrator
attached, :mod:`appliance.store.gateways`):

1. the policy's prompt and context stages run under :func:`egress_policy`: every
   type the policy knows is *pseudonymised* (a ``keep``, ``redact`` or ``mask`` of
   the policy becomes a placeholder; only ``block`` stays), and nothing is revealed;
2. the passages are scanned once more (:func:`egress_hits`), so what the ingest
   stage kept in clear (a place under the default policy) leaves as a placeholder;
3. the exact bytes of the outgoing JSON body are scanned by the detector
   (:func:`scan_outgoing`) for every type, at the policy's thresholds but never above
   the detector's default: anything found refuses the request
   (:class:`~appliance.errors.EgressRefused`);
4. what left is recorded by its sha256 (:func:`body_digest`), never its text.

The answer comes back through the same answer stage, verification and
re-identification (for the roles the policy allows) as a local model's.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from typing import Any

from appliance.privacy import ENTITY_TYPES, PLACEHOLDER, Entity, Policy, apply_policy
from appliance.rag.privacy import PrivacyGate, ProtectedQuestion
from appliance.rag.retrieval import Hit

# The detector's default threshold (appliance.privacy.detector.DEFAULT_THRESHOLD, not
# imported: that module loads Presidio): the final scan never looks less closely.
FINAL_SCAN_THRESHOLD = 0.5
_EGRESS_STAGES = ("prompt", "context")


@dataclass(frozen=True)
class ExternalUse:
    """One answer from an external model: where it went, what it cost.

    ``cost`` = (prompt_tokens + completion_tokens) / 1000 × the administrator's
    ``price_per_1k`` (None when no price is entered)."""

    endpoint: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    body_sha256: str
    cost: float | None

    def as_json(self) -> dict[str, object]:
        return {
            "endpoint": self.endpoint,
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "body_sha256": self.body_sha256,
            "cost": self.cost,
        }


def cost_of(prompt_tokens: int, completion_tokens: int, price_per_1k: float | None) -> float | None:
    """(prompt + completion tokens) / 1000 × ``price_per_1k``; None without a price."""
    if price_per_1k is None:
        return None
    return (prompt_tokens + completion_tokens) / 1000 * price_per_1k


def egress_policy(policy: Policy) -> Policy:
    """``policy`` for what leaves the machine: at the prompt and context stages every
    type is pseudonymised (``keep``, ``redact`` and ``mask`` included), a ``block``
    still blocks. Its other stages, thresholds, allow and deny lists are the policy's."""

    def forced(action: str | None) -> str | None:
        if action is None:
            return None
        return "block" if action == "block" else "pseudonymise"

    stages = dict(policy.stages)
    for stage in _EGRESS_STAGES:
        stages[stage] = "block" if stages.get(stage) == "block" else "pseudonymise"
    entities: dict[str, dict[str, Any]] = {}
    for entity_type, rule in policy.entities.items():
        rule = dict(rule)
        for stage in _EGRESS_STAGES:
            if rule.get(stage) is not None:
                rule[stage] = forced(rule[stage])
        entities[entity_type] = rule
    return replace(policy, stages=stages, entities=entities)


def _outside_placeholders(text: str, found: list[Entity]) -> list[Entity]:
    """Detections that are not the placeholders themselves (``<PERSON_1>`` is the
    appliance's own token, not someone's name)."""
    spans = [m.span() for m in PLACEHOLDER.finditer(text)]
    return [e for e in found if not any(s <= e.start and e.end <= t for s, t in spans)]


def egress_hits(privacy: PrivacyGate, hits: list[Hit], question: ProtectedQuestion) -> list[Hit]:
    """The passages (already through the context stage under :func:`egress_policy`)
    scanned again: what the ingest stage kept in clear becomes a placeholder of the
    conversation's scope. ``question.policy`` must be the egress policy."""
    policy, scope = question.policy, question.scope

    def conceal(text: str) -> str:
        found = _outside_placeholders(text, privacy.find(text, policy, "context"))
        return apply_policy(text, found, policy, "context", scope).text

    return [h.rewritten(conceal) for h in hits]


def _strings(value: object) -> list[str]:
    """Every key and string value of a decoded JSON document, in order."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (str(k), *_strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def scan_outgoing(privacy: PrivacyGate, body: bytes, policy: Policy) -> dict[str, int]:
    """The personal-data types (with counts) the detector finds in the outgoing
    ``body``: its exact text, and its strings decoded (so a JSON escape such as
    ``\\n`` glued to a name hides nothing). Every known type and the policy's deny
    list are looked for, at the policy's thresholds capped at
    :data:`FINAL_SCAN_THRESHOLD`; the policy's allow list holds. Placeholders are not
    findings. Empty: nothing found, the body may leave."""
    types = sorted({*ENTITY_TYPES, *(d.type for d in policy.deny)})
    thresholds = {t: min(policy.threshold_for(t), FINAL_SCAN_THRESHOLD) for t in types}
    raw = body.decode("utf-8")
    texts = [raw, "\n".join(_strings(json.loads(raw)))]
    counts: dict[str, int] = {}
    for text in texts:
        found = privacy.detector().analyze(
            text, types, thresholds, allow=policy.allow, deny=policy.deny
        )
        per_text: dict[str, int] = {}
        for entity in _outside_placeholders(text, found):
            per_text[entity.type] = per_text.get(entity.type, 0) + 1
        for kind, n in per_text.items():  # the larger count of the two readings
            counts[kind] = max(counts.get(kind, 0), n)
    return dict(sorted(counts.items()))


def body_digest(body: bytes) -> str:
    """The sha256 (hex) of the exact bytes sent: what the audit trail records."""
    return hashlib.sha256(body).hexdigest()


_SAFE_URL = re.compile(r"^https?://[^\s/@?#]+(?:/[^\s?#@]*)?$")


def check_endpoint_url(url: str) -> str:
    """``url`` if it is an http(s) base URL without credentials, query or fragment
    (secrets belong in the sealed API key, not in a URL the trail records); else
    ValueError."""
    url = url.strip()
    if not _SAFE_URL.match(url):
        raise ValueError(
            "the endpoint URL must be http:// or https://host[:port][/path], without "
            "user:password@, ?query or #fragment (give the API key with --api-key)."
        )
    return url.rstrip("/")
