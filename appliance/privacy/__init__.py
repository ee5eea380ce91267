"""The privacy room: offline PII detection, policies as data, pseudonymisation.

* :class:`PiiDetector` (``shared_detector``): Presidio with the offline spaCy
  pipeline and the appliance's European recognizers;
* :func:`load_policy` / :class:`Policy`: YAML policies, validated, hashed;
* :func:`apply_policy`, :class:`PseudonymScope`, :func:`reidentify`: actions
  per stage, consistent placeholders, and the way back for allowed roles.
"""

from typing import TYPE_CHECKING, Any

from appliance.privacy.entities import ENTITY_TYPES, DenyRule, Entity
from appliance.privacy.policy import Policy, PolicyError, available_policies, load_policy
from appliance.privacy.pseudonymise import (
    PLACEHOLDER,
    PiiBlocked,
    Pseudonym,
    PseudonymScope,
    Transformed,
    apply_policy,
    conceal,
    reidentify,
)

if TYPE_CHECKING:
    from appliance.privacy.detector import PiiDetector, shared_detector


def __getattr__(name: str) -> Any:
    """The detector (Presidio and spaCy, seconds to import) loads on first use, so
    commands that never detect (``appliance collections list``) start quickly."""
    if name in ("PiiDetector", "shared_detector"):
        from appliance.privacy import detector

        return getattr(detector, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ENTITY_TYPES",
    "PLACEHOLDER",
    "DenyRule",
    "Entity",
    "PiiBlocked",
    "PiiDetector",
    "Policy",
    "PolicyError",
    "Pseudonym",
    "PseudonymScope",
    "Transformed",
    "apply_policy",
    "available_policies",
    "conceal",
    "load_policy",
    "reidentify",
    "shared_detector",
]
