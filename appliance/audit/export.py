"""Exports of the audit trail, and offline verification of an exported bundle."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from appliance import __version__
from appliance.audit.chain import VerifyReport, verify_chain
from appliance.crypto import fingerprint, public_key_pem
from appliance.crypto.signing import load_public_key_pem
from appliance.errors import ApplianceError

CSV_COLUMNS = (
    "seq", "event_id", "at", "actor", "role", "source", "action", "resource", "outcome",
    "reason", "detail", "prev_hash", "hash",
)  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

BUNDLE_README = """\
# Audit trail bundle

- `records.jsonl`: every audit record, one JSON object per line, in sequence order.
- `checkpoints.jsonl`: signed checkpoints (Ed25519) committing to the chain head
  and to a Merkle root of the records since the previous checkpoint.
- `public_key.pem`: the key that signed them; fingerprint in `public_key.fingerprint`.

Verify it anywhere, without the appliance's data directory or passphrase:

    appliance audit verify --bundle THIS_FOLDER

It exits 0 when the trail is intact and 1 when not, naming the first bad
sequence number and what is wrong (modified, missing, inserted or reordered,
truncated after a checkpoint, bad signature). Compare the fingerprint with the
one the appliance's administrator published when the key was created.

Each record's `hash` is SHA-256 over the canonical JSON (sorted keys, no spaces,
UTF-8) of its fields seq, event_id, at, actor, role, source, action, resource,
outcome, reason, detail and prev_hash; `prev_hash` of record 1 is 64 zeros.
"""


class AuditExportError(ApplianceError):
    """An export or bundle cannot be written or read."""


def neutralise(cell: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: prefix a quote."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _private_file(path: Path) -> Any:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "w", newline="", encoding="utf-8")


def write_jsonl(records: Iterable[dict[str, Any]], out: Path) -> int:
    n = 0
    with _private_file(out) as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
    return n


def write_csv(records: Iterable[dict[str, Any]], out: Path) -> int:
    n = 0
    with _private_file(out) as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for r in records:
            row = {**r, "detail": json.dumps(r["detail"], ensure_ascii=False, sort_keys=True)}
            writer.writerow([neutralise(str(row[c])) for c in CSV_COLUMNS])
            n += 1
    return n


def _epoch_ms(at: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp() * 1000)


def _cef_header(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|")


def _cef_value(value: object) -> str:
    text = str(value)
    return text.replace("\\", "\\\\").replace("=", "\\=").replace("\n", "\\n").replace("\r", "\\r")


def cef_line(r: dict[str, Any]) -> str:
    """ArcSight Common Event Format, one record per line (for SIEMs)."""
    severity = 3 if r["outcome"] == "success" else 6
    ext = {
        "rt": _epoch_ms(r["at"]),
        "externalId": r["event_id"],
        "cn1Label": "seq",
        "cn1": r["seq"],
        "suser": r["actor"],
        "spriv": r["role"],
        "src" if r["source"].replace(".", "").isdigit() else "shost": r["source"],
        "act": r["action"],
        "outcome": r["outcome"],
        "reason": r["reason"],
        "cs1Label": "resource",
        "cs1": r["resource"],
        "cs2Label": "detail",
        "cs2": json.dumps(r["detail"], sort_keys=True, ensure_ascii=False),
        "cs3Label": "hash",
        "cs3": r["hash"],
    }
    head = "|".join(
        _cef_header(x)
        for x in (
            "CEF:0",
            "Private AI Appliance",
            "appliance",
            __version__,
            r["action"],
            r["action"],
        )
    )
    return f"{head}|{severity}|" + " ".join(f"{k}={_cef_value(v)}" for k, v in ext.items())


def ocsf_event(r: dict[str, Any]) -> dict[str, Any]:
    """OCSF 1.1 "API Activity" (class 6003) with the chain fields under ``unmapped``."""
    ok = r["outcome"] == "success"
    return {
        "class_uid": 6003,
        "category_uid": 6,
        "activity_id": 99,
        "activity_name": r["action"],
        "type_uid": 600399,
        "time": _epoch_ms(r["at"]),
        "severity_id": 1 if ok else 3,
        "status_id": 1 if ok else 2,
        "status": "Success" if ok else "Failure",
        "status_detail": r["reason"],
        "actor": {"user": {"name": r["actor"]}, "authorizations": [{"decision": r["role"]}]},
        "src_endpoint": {"hostname": r["source"]},
        "resources": [{"uid": r["resource"]}] if r["resource"] else [],
        "metadata": {
            "product": {
                "name": "Private AI Appliance",
                "vendor_name": "appliance",
                "version": __version__,
            },
            "version": "1.1.0",
            "uid": r["event_id"],
            "sequence": r["seq"],
        },
        "unmapped": {
            "role": r["role"],
            "detail": r["detail"],
            "prev_hash": r["prev_hash"],
            "hash": r["hash"],
        },
    }


def write_cef(records: Iterable[dict[str, Any]], out: Path) -> int:
    n = 0
    with _private_file(out) as fh:
        for r in records:
            fh.write(cef_line(r) + "\n")
            n += 1
    return n


def write_ocsf(records: Iterable[dict[str, Any]], out: Path) -> int:
    return write_jsonl((ocsf_event(r) for r in records), out)


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "cef": write_cef, "ocsf": write_ocsf}


def write_bundle(
    records: Iterable[dict[str, Any]],
    checkpoints: list[dict[str, Any]],
    public_raw: bytes,
    out: Path,
) -> int:
    if out.exists() and any(out.iterdir()):
        raise AuditExportError(f"{out} is not empty; choose a new folder for the bundle.")
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    n = write_jsonl(records, out / "records.jsonl")
    write_jsonl(checkpoints, out / "checkpoints.jsonl")
    with _private_file(out / "public_key.pem") as fh:
        fh.write(public_key_pem(public_raw))
    with _private_file(out / "public_key.fingerprint") as fh:
        fh.write(fingerprint(public_raw) + "\n")
    with _private_file(out / "README.md") as fh:
        fh.write(BUNDLE_README)
    return n


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise AuditExportError(f"{path} is missing from the bundle.") from None
    out = []
    for n, line in enumerate(lines, 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                raise AuditExportError(f"{path}, line {n}: not JSON.") from None
    return out


def verify_bundle(folder: Path) -> VerifyReport:
    """Verify an exported bundle with nothing but its own public key."""
    try:
        public_raw = load_public_key_pem((folder / "public_key.pem").read_bytes())
    except FileNotFoundError:
        raise AuditExportError(f"{folder / 'public_key.pem'} is missing.") from None
    records = _read_jsonl(folder / "records.jsonl")
    try:
        return verify_chain(records, _read_jsonl(folder / "checkpoints.jsonl"), public_raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise AuditExportError(f"{folder}: a record or checkpoint lacks a field ({exc}).") from None
