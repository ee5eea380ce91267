"""The privacy room: offline PII detection, policies as data, pseudonymisation.

* :class:`PiiDetector` (``shared_detector``): Presidio with the offline spaCy
  pipeline and the appliance's European recognizers;
* :func:`load_policy` / :class:`Policy`: YAML policies, validated, hashed;
* :func:`apply_policy`, :class:`PseudonymScope`, :func:`reidentify`: actions
  per stage, consistent placeholders, and the way back for allowed roles.
"""

from appliance.privacy.detector import DenyRule, PiiDetector, shared_detector
from appliance.privacy.entities import ENTITY_TYPES, Entity
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
