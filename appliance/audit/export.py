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
from appliance.errors import AuditExportError as AuditExportError  # defined there, with the table

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


_BUNDLE_FILES = ("public_key.pem", "records.jsonl", "checkpoints.jsonl")


def _parse_jsonl(text: str, where: str) -> list[dict[str, Any]]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                raise AuditExportError(f"{where}, line {n}: not JSON.") from None
    return out


def _bundle_folder(folder: Path) -> Path:
    """The folder holding the bundle's files: ``folder`` itself, or the one folder in
    it (where an archive was unpacked into a folder of its own)."""
    if (folder / "records.jsonl").exists() or (folder / "public_key.pem").exists():
        return folder
    inner = [p for p in folder.iterdir() if p.is_dir()] if folder.is_dir() else []
    if len(inner) == 1 and (inner[0] / "records.jsonl").exists():
        return inner[0]
    return folder


def _read_bundle(path: Path) -> tuple[str, dict[str, bytes]]:
    """(where, file name -> content) of a bundle given as its folder, a folder holding
    it, or the ZIP archive the web UI downloads (read in place, never unpacked)."""
    import zipfile

    if path.is_file():
        try:
            with zipfile.ZipFile(path) as zf:
                members = {Path(i.filename).name: i for i in zf.infolist() if not i.is_dir()}
                found = {}
                for name in _BUNDLE_FILES:
                    info = members.get(name)
                    if info is None:
                        raise AuditExportError(f"{path}: {name} is missing from the bundle.")
                    found[name] = zf.read(info)
                return str(path), found
        except zipfile.BadZipFile:
            raise AuditExportError(
                f"{path} is neither a bundle folder nor a ZIP archive of one."
            ) from None
    folder = _bundle_folder(path)
    found = {}
    for name in _BUNDLE_FILES:
        try:
            found[name] = (folder / name).read_bytes()
        except FileNotFoundError:
            raise AuditExportError(f"{folder / name} is missing from the bundle.") from None
    return str(folder), found


def verify_bundle(path: Path) -> VerifyReport:
    """Verify an exported bundle with nothing but its own public key. ``path``: the
    bundle folder, a folder it was unpacked into, or its ZIP archive.

    Raises :class:`AuditExportError` when a file is missing or malformed."""
    where, files = _read_bundle(Path(path))
    public_raw = load_public_key_pem(files["public_key.pem"])
    records = _parse_jsonl(files["records.jsonl"].decode("utf-8"), f"{where}: records.jsonl")
    checkpoints = _parse_jsonl(
        files["checkpoints.jsonl"].decode("utf-8"), f"{where}: checkpoints.jsonl"
    )
    try:
        return verify_chain(records, checkpoints, public_raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise AuditExportError(f"{where}: a record or checkpoint lacks a field ({exc}).") from None
