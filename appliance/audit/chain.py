"""The append-only audit chain: records, signed checkpoints, verification, export.

Each record's hash covers its fields and the previous record's hash, so
changing, removing, inserting or reordering a record breaks the chain from
there on. Every ``checkpoint_every`` records (and at least hourly, and when
the appliance closes) a checkpoint commits to the head hash and to a Merkle
root of the records since the previous checkpoint, signed with an Ed25519 key
the crypto room keeps outside the database. Someone who rewrites the database
and recomputes every hash still cannot forge the signatures; someone who cuts
the tail off is caught by the last checkpoint. Verification needs only the
public key, so an exported bundle verifies offline, anywhere.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from appliance.crypto import Signer, fingerprint, verify_signature
from appliance.store.database import Database
from appliance.store.schema import AuditCheckpoint, AuditRecord

# A select over audit records (the records themselves, or their count).
_Query = TypeVar("_Query", bound=Select[Any])

GENESIS = "0" * 64
RECORD_FIELDS = (
    "seq", "event_id", "at", "actor", "role", "source", "action", "resource", "outcome",
    "reason", "detail", "prev_hash",
)  # fmt: skip
CHECKPOINT_FIELDS = ("seq", "head_hash", "merkle_root", "from_seq", "at", "key_fingerprint")


def now_rfc3339() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({k: fields[k] for k in RECORD_FIELDS})).hexdigest()


def merkle_root(hashes: list[str]) -> str:
    """Binary Merkle tree over record hashes (odd nodes carried up), hex SHA-256."""
    level = [bytes.fromhex(h) for h in hashes] or [bytes(32)]
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level), 2):
            pair = level[i : i + 2]
            nxt.append(hashlib.sha256(b"".join(pair)).digest() if len(pair) == 2 else pair[0])
        level = nxt
    return level[0].hex()


def record_dict(r: AuditRecord) -> dict[str, Any]:
    return {
        "seq": r.seq,
        "event_id": r.event_id,
        "at": r.at,
        "actor": r.actor,
        "role": r.role,
        "source": r.source,
        "action": r.action,
        "resource": r.resource,
        "outcome": r.outcome,
        "reason": r.reason,
        "detail": json.loads(r.detail),
        "prev_hash": r.prev_hash,
        "hash": r.hash,
    }


def checkpoint_dict(c: AuditCheckpoint) -> dict[str, Any]:
    return {
        "seq": c.seq,
        "head_hash": c.head_hash,
        "merkle_root": c.merkle_root,
        "from_seq": c.from_seq,
        "at": c.at,
        "key_fingerprint": c.key_fingerprint,
        "signature": c.signature,
    }


@dataclass(frozen=True)
class Problem:
    seq: int
    what: str  # modified, missing, inserted or reordered, truncated, bad signature

    def __str__(self) -> str:
        return f"record {self.seq}: {self.what}"


@dataclass
class VerifyReport:
    records: int
    checkpoints: int
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records": self.records,
            "checkpoints": self.checkpoints,
            "first_bad_seq": self.problems[0].seq if self.problems else None,
            "problems": [str(p) for p in self.problems],
        }


def verify_chain(
    records: Iterable[dict[str, Any]], checkpoints: list[dict[str, Any]], public_raw: bytes
) -> VerifyReport:
    """Check records (in the order given) and checkpoints; the first problems first."""
    problems: list[Problem] = []
    hashes: dict[int, str] = {}
    records = list(records)
    expected, prev, count = 1, GENESIS, 0
    shifted = False  # an insertion was reported; the renumbered records after it follow
    anchor = _anchor(records, checkpoints)
    if anchor is not None:
        # Records before it were purged by retention: the signed checkpoint that
        # closed them is where the chain now starts.
        expected, prev = anchor["seq"] + 1, anchor["head_hash"]
        purge_ok = any(
            r["action"] == "audit.purge" and r["detail"].get("anchor_seq") == anchor["seq"]
            for r in records
        )
        if not purge_ok:
            problems.append(
                Problem(anchor["seq"] + 1, "records before it are gone without a recorded purge")
            )
        checkpoints = [c for c in checkpoints if c["seq"] >= anchor["seq"]]
    for r in records:
        count += 1
        seq = r["seq"]
        if seq < expected:
            problems.append(Problem(seq, "out of order (inserted or reordered)"))
            continue
        if seq > expected:
            problems.append(Problem(expected, f"missing (records {expected}..{seq - 1} removed)"))
        if record_hash(r) != r["hash"]:
            was = _former_seq(r)
            if was == seq - 1 and r["prev_hash"] == hashes.get(seq - 2):
                # It follows the record two before it: the one in between was put there.
                if not shifted:
                    problems.append(
                        Problem(seq - 1, "inserted (the records after it were renumbered)")
                    )
                shifted = True
            elif was is not None:
                problems.append(Problem(seq, f"reordered (this record was number {was})"))
            else:
                problems.append(Problem(seq, "modified (its hash does not match its content)"))
        elif r["prev_hash"] != prev and seq == expected:
            problems.append(
                Problem(seq, "does not follow the record before it (inserted or reordered)")
            )
        hashes[seq] = r["hash"]
        prev, expected = r["hash"], seq + 1
    last = expected - 1
    record_problems = list(problems)

    def explained(lo: int, hi: int) -> bool:
        """A record-level problem already accounts for this checkpoint's mismatch."""
        return any(lo <= p.seq <= hi for p in record_problems)

    for c in checkpoints:
        payload = {k: c[k] for k in CHECKPOINT_FIELDS}
        if not verify_signature(public_raw, canonical(payload), bytes.fromhex(c["signature"])):
            problems.append(Problem(c["seq"], "checkpoint has a bad signature"))
            continue
        if anchor is not None and c["seq"] == anchor["seq"]:
            continue  # the anchor's records were purged; its signature is what counts
        if c["seq"] > last:
            problems.append(
                Problem(last + 1, f"truncated: a signed checkpoint covers records up to {c['seq']}")
            )
            continue
        if explained(c["from_seq"], c["seq"]):
            continue
        if hashes.get(c["seq"]) != c["head_hash"]:
            problems.append(Problem(c["seq"], "differs from the signed checkpoint (rewritten)"))
            continue
        span = [hashes[s] for s in range(c["from_seq"], c["seq"] + 1) if s in hashes]
        if merkle_root(span) != c["merkle_root"]:
            problems.append(
                Problem(c["from_seq"], "records since the previous checkpoint were rewritten")
            )
    problems.sort(key=lambda p: p.seq)
    return VerifyReport(count, len(checkpoints), problems)


def _former_seq(r: dict[str, Any]) -> int | None:
    """The nearby sequence number under which this record's content was hashed, when it
    was moved (reordered, or renumbered around an inserted or deleted record)."""
    seq: int = r["seq"]
    for delta in (-1, 1, -2, 2, -3, 3):
        if seq + delta > 0 and record_hash({**r, "seq": seq + delta}) == r["hash"]:
            return seq + delta
    return None


def _anchor(
    records: list[dict[str, Any]], checkpoints: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The checkpoint right before the first record kept, when older ones were purged."""
    if not records or records[0]["seq"] == 1:
        return None
    first = records[0]["seq"]
    before = [c for c in checkpoints if c["seq"] == first - 1]
    return before[-1] if before else None


@dataclass
class PurgeReport:
    cutoff: str
    held: bool
    anchor_seq: int | None
    removed_records: int

    def as_json(self) -> dict[str, Any]:
        return {
            "cutoff": self.cutoff,
            "legal_hold": self.held,
            "anchor_seq": self.anchor_seq,
            "removed_records": self.removed_records,
        }


class AuditTrail:
    """The appliance's audit trail on its database; signing through the crypto room."""

    def __init__(
        self,
        db: Database,
        signer: Callable[[], Signer],
        *,
        checkpoint_every: int = 100,
        max_checkpoint_age: timedelta = timedelta(hours=1),
    ) -> None:
        self.db = db
        self._signer = signer
        self.checkpoint_every = checkpoint_every
        self.max_checkpoint_age = max_checkpoint_age
        self._last: tuple[int, str] | None = None  # (seq, at) of the newest checkpoint

    # -- writing -----------------------------------------------------------------

    def append(
        self,
        action: str,
        actor: str,
        role: str,
        *,
        resource: str = "",
        outcome: str = "success",
        reason: str = "",
        source: str = "local",
        **detail: Any,
    ) -> dict[str, Any]:
        table = AuditRecord.__table__
        for _attempt in range(50):
            try:
                # Core, one short transaction: the ORM's bookkeeping would cost more than
                # the hashing (bench/bench_audit.py).
                with self.db.engine.begin() as conn:
                    head = conn.execute(
                        select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1)
                    ).first()
                    fields = {
                        "seq": (head[0] + 1) if head else 1,
                        "event_id": uuid.uuid4().hex,
                        "at": now_rfc3339(),
                        "actor": actor,
                        "role": role,
                        "source": source,
                        "action": action,
                        "resource": resource,
                        "outcome": outcome,
                        "reason": reason,
                        "detail": json.loads(canonical(detail)),
                        "prev_hash": head[1] if head else GENESIS,
                    }
                    row = {
                        **fields,
                        "detail": canonical(fields["detail"]).decode(),
                        "hash": record_hash(fields),
                    }
                    conn.execute(table.insert().values(**row))
                break
            except IntegrityError:  # another writer took this seq: read the head again
                continue
        else:
            raise RuntimeError("could not append to the audit trail (constant contention)")
        if self._checkpoint_due(row["seq"]):
            self.checkpoint()
        return row

    def _checkpoint_due(self, seq: int) -> bool:
        # The last checkpoint is cached: reading it on every append would halve the rate.
        if self._last is None:
            last = self.last_checkpoint()
            self._last = (last.seq, last.at) if last else (0, now_rfc3339())
        last_seq, last_at = self._last
        if seq - last_seq >= self.checkpoint_every:
            return True
        age = datetime.now(UTC) - datetime.fromisoformat(last_at.replace("Z", "+00:00"))
        return age >= self.max_checkpoint_age and seq > last_seq

    def last_checkpoint(self) -> AuditCheckpoint | None:
        with self.db.session() as s:
            return s.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1))

    def checkpoint(self) -> AuditCheckpoint | None:
        """Sign the current head (no-op when nothing was added since the last one)."""
        last = self.last_checkpoint()
        start = (last.seq + 1) if last else 1
        with self.db.session() as s:
            rows = list(
                s.execute(
                    select(AuditRecord.seq, AuditRecord.hash)
                    .where(AuditRecord.seq >= start)
                    .order_by(AuditRecord.seq)
                )
            )
        if not rows:
            return None
        signer = self._signer()
        seq, at = rows[-1][0], now_rfc3339()
        payload = {
            "seq": seq,
            "head_hash": rows[-1][1],
            "merkle_root": merkle_root([h for _, h in rows]),
            "from_seq": start,
            "at": at,
            "key_fingerprint": signer.fingerprint,
        }
        row = AuditCheckpoint(**payload, signature=signer.sign(canonical(payload)).hex())
        with self.db.session() as s:
            s.add(row)
        self._last = (seq, at)
        return row

    # -- retention -------------------------------------------------------------

    def purge(
        self,
        retention_days: int,
        *,
        legal_hold: bool = False,
        actor: str = "retention",
        role: str = "system",
        now: datetime | None = None,
        dry_run: bool = False,
    ) -> PurgeReport:
        """Remove records older than the retention period, up to the newest signed
        checkpoint whose records are all that old; that checkpoint stays as the anchor
        the rest of the chain verifies from, and the purge itself is recorded."""
        now = now or datetime.now(UTC)
        cutoff = (now - timedelta(days=retention_days)).isoformat(timespec="milliseconds")
        cutoff = cutoff.replace("+00:00", "Z")
        if legal_hold:
            return PurgeReport(cutoff, True, None, 0)
        with self.db.session() as s:
            candidates = list(
                s.execute(
                    select(AuditCheckpoint.seq)
                    .join(AuditRecord, AuditRecord.seq == AuditCheckpoint.seq)
                    .where(AuditRecord.at < cutoff)
                    .order_by(AuditCheckpoint.seq.desc())
                    .limit(1)
                )
            )
            if not candidates:
                return PurgeReport(cutoff, False, None, 0)
            anchor = candidates[0][0]
            removed = (
                s.scalar(
                    select(func.count()).select_from(AuditRecord).where(AuditRecord.seq <= anchor)
                )
                or 0
            )
            if not dry_run and removed:
                s.execute(AuditRecord.__table__.delete().where(AuditRecord.seq <= anchor))
                s.execute(AuditCheckpoint.__table__.delete().where(AuditCheckpoint.seq < anchor))
        report = PurgeReport(cutoff, False, anchor, removed)
        if not dry_run and removed:
            self.append(
                "audit.purge", actor, role, anchor_seq=anchor, removed=removed, cutoff=cutoff
            )
            self.checkpoint()
        return report

    # -- reading -----------------------------------------------------------------

    @staticmethod
    def _filtered(
        query: _Query,
        since: str | None,
        until: str | None,
        actor: str | None,
        action: str | None,
        outcome: str | None = None,
    ) -> _Query:
        if since:
            query = query.where(AuditRecord.at >= since)
        if until:
            query = query.where(AuditRecord.at <= until)
        if actor:
            query = query.where(AuditRecord.actor == actor)
        if action:
            # "auth.*" selects a family of actions.
            if action.endswith("*"):
                query = query.where(AuditRecord.action.startswith(action[:-1]))
            else:
                query = query.where(AuditRecord.action == action)
        if outcome:
            query = query.where(AuditRecord.outcome == outcome)
        return query

    def records(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        actor: str | None = None,
        action: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        query = self._filtered(
            select(AuditRecord).order_by(AuditRecord.seq), since, until, actor, action
        )
        with self.db.session() as s:
            for r in s.scalars(query.execution_options(yield_per=500)):
                yield record_dict(r)

    def search(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        outcome: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of matching records, newest first, and how many match in all."""
        filters = (since, until, actor, action, outcome)
        with self.db.session() as s:
            total = s.scalar(
                self._filtered(select(func.count()).select_from(AuditRecord), *filters)
            )
            rows = s.scalars(
                self._filtered(select(AuditRecord), *filters)
                .order_by(AuditRecord.seq.desc())
                .offset(max(offset, 0))
                .limit(limit)
            )
            return [record_dict(r) for r in rows], total or 0

    def verify_as(self, who: Any) -> VerifyReport:
        """Verify, and record that ``who`` (anything with ``audit_fields()``) did."""
        report = self.verify()
        self.append(
            "audit.verify",
            **who.audit_fields(),
            outcome="success" if report.ok else "failure",
            reason="" if report.ok else str(report.problems[0]),
        )
        return report

    def export_as(self, who: Any, out: Path, fmt: str, **filters: str | None) -> int:
        """Write records matching ``filters`` as ``fmt`` (jsonl, csv, cef, ocsf) to the
        file ``out``, or everything as a verifiable bundle folder (``fmt="bundle"``).
        The export is recorded before it is taken. Returns the number of records."""
        from appliance.audit.export import WRITERS, write_bundle

        if fmt != "bundle" and fmt not in WRITERS:
            raise ValueError(f"unknown export format {fmt!r}")
        self.append(
            "audit.export",
            **who.audit_fields(),
            resource=out.name if fmt != "bundle" else "bundle",
            format=fmt,
            filters={k: v for k, v in filters.items() if v},
        )
        if fmt == "bundle":
            self.checkpoint()
            return write_bundle(self.records(), self.checkpoints(), self.public_key()[0], out)
        return WRITERS[fmt](self.records(**filters), out)

    def checkpoints(self) -> list[dict[str, Any]]:
        with self.db.session() as s:
            return [
                checkpoint_dict(c)
                for c in s.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq))
            ]

    def count(self) -> int:
        with self.db.session() as s:
            return s.scalar(select(func.count()).select_from(AuditRecord)) or 0

    def verify(self) -> VerifyReport:
        signer = self._signer()
        return verify_chain(self.records(), self.checkpoints(), signer.public_raw)

    def public_key(self) -> tuple[bytes, str]:
        signer = self._signer()
        return signer.public_raw, fingerprint(signer.public_raw)
