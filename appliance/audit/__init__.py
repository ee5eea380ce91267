"""The audit room: an append-only, hash-chained trail with signed checkpoints.

* :class:`AuditTrail`: ``append`` (one event, metadata only), ``checkpoint``,
  ``verify``, ``records`` (filtered);
* :func:`write_jsonl`, :func:`write_csv` (formula-safe), :func:`write_bundle`
  and :func:`verify_bundle` (offline, public key only).
"""

from appliance.audit.chain import AuditTrail, VerifyReport, verify_chain
from appliance.audit.export import (
    AuditExportError,
    verify_bundle,
    write_bundle,
    write_cef,
    write_csv,
    write_jsonl,
    write_ocsf,
)

__all__ = [
    "AuditExportError",
    "AuditTrail",
    "VerifyReport",
    "verify_bundle",
    "verify_chain",
    "write_bundle",
    "write_cef",
    "write_csv",
    "write_jsonl",
    "write_ocsf",
]
