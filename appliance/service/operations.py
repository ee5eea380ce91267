"""The doors of running the appliance: backups, the web service's start and stop,
conversations, and refusals of a page. Each is recorded here."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance import __version__
from appliance.audit.chain import AuditTrail, VerifyReport
from appliance.backup import BackupReceipt, create_backup
from appliance.caller import Caller
from appliance.errors import ApplianceError, NotAllowed, StoreError
from appliance.rag.logfilter import install_log_filter
from appliance.service.compliance import Compliance
from appliance.store.database import Database
from appliance.store.schema import Role
from appliance.store.transfer import TransferReport, copy_database, redacted

# The appliance itself, when it acts on its own (start, stop, upkeep).
SYSTEM = Caller("appliance", "system")


def settings_digests(settings: Any) -> dict[str, str]:
    """A short hash per setting: a change shows in the trail without the value."""
    data = settings.model_dump(mode="json")
    return {
        name: hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]
        for name, value in sorted(data.items())
    }


@dataclass(frozen=True)
class DatabaseMove:
    """A finished :meth:`Operations.migrate_database_to`: what was copied, and the
    target's audit trail as verified there."""

    copy: TransferReport
    trail: VerifyReport


def _record_move(trail: AuditTrail, who: Caller, shown: str, report: TransferReport) -> None:
    trail.append(
        "database.migrate",
        **who.audit_fields(),
        resource=f"database:{shown}",
        tables=len(report.tables),
        rows=report.rows,
        revision=report.revision,
    )


class Operations(Compliance):
    """Running the appliance (part of :class:`appliance.service.Appliance`)."""

    def create_backup(self, out: Path, who: Caller | None = None) -> BackupReceipt:
        """A sealed archive of the data directory written to ``out`` (outside it);
        recorded as ``backup.create``. Raises :class:`StoreError` for a server
        database (back it up with its own tools) or an unusable ``out``."""
        receipt = create_backup(self, out)
        self.audit.append(
            "backup.create",
            **(who or Caller.local()).audit_fields(),
            resource=str(receipt.path),
            archive_id=receipt.archive_id,
            documents=receipt.documents,
        )
        return receipt

    def migrate_database_to(
        self, target_url: str, who: Caller | None = None, *, replace: bool = False
    ) -> DatabaseMove:
        """Copy this appliance's relational store into the empty database at
        ``target_url`` (PostgreSQL: ``postgresql+psycopg://user:pw@host/db``): the
        schema by Alembic, every table in dependency order, bytes as they are (sealed
        columns stay sealed), sequences reset; then row counts and row digests are
        compared and the audit trail verified on the target. Recorded as
        ``database.migrate`` in both trails (outcome ``failure`` in this one when the
        copy fails). The database in use is only read: switching to the target is the
        administrator's step (``database_url``), taken once the appliance is stopped.

        Administrators only (:class:`NotAllowed`). Raises :class:`StoreError` when the
        target is unreachable, not empty (``replace`` drops an interrupted earlier copy,
        nothing else), or the copy or its trail does not verify.
        """
        who = who or Caller.local()
        if who.role != Role.ADMIN:
            raise NotAllowed("moving the database is for administrators.")
        shown = redacted(target_url)
        try:
            report = copy_database(self.db.engine, target_url, replace=replace)
            target = Database(target_url)
            try:
                trail = AuditTrail(target, self.audit_signer)
                verified = trail.verify()
                if not verified.ok:
                    raise StoreError(
                        f"the audit trail copied to {shown} does not verify "
                        f"({verified.problems[0]}); do not switch to it."
                    )
                _record_move(trail, who, shown, report)
                trail.checkpoint()  # the copied tail and this record, signed there
                verified = trail.verify()
            finally:
                target.dispose()
        except ApplianceError as exc:
            self.audit.append(
                "database.migrate",
                **who.audit_fields(),
                resource=f"database:{shown}",
                outcome="failure",
                reason=type(exc).__name__,
            )
            raise
        _record_move(self.audit, who, shown, report)
        return DatabaseMove(report, verified)

    def service_started(self) -> None:
        """Record ``service.start`` (version, address, model and a digest of every
        setting), ``config.change`` / ``model.change`` when they differ from the
        previous start, and ``logging.start``."""
        settings = self.settings
        previous, _ = self.audit.search(action="service.start", limit=1)
        digests = settings_digests(settings)
        model_sha = self.models.digest() if settings.chat_model_path.is_file() else "missing"
        self.audit.append(
            "service.start",
            **SYSTEM.audit_fields(),
            version=__version__,
            tls=settings.tls,
            address=f"{settings.host}:{settings.port}",
            model=settings.chat_model,
            model_sha256=model_sha,
            settings=digests,
        )
        if previous:
            before = previous[0]["detail"]
            changed = sorted(
                k for k, v in digests.items() if before.get("settings", {}).get(k) != v
            )
            if changed:
                self.audit.append(
                    "config.change", **SYSTEM.audit_fields(), settings_changed=changed
                )
            if before.get("model_sha256") not in (None, model_sha):
                self.audit.append(
                    "model.change",
                    **SYSTEM.audit_fields(),
                    before=before.get("model"),
                    before_sha256=before.get("model_sha256"),
                    after=settings.chat_model,
                    after_sha256=model_sha,
                )
        self.audit.append("logging.start", **SYSTEM.audit_fields(), trail="audit")

    def service_stopping(self) -> None:
        """Record ``logging.stop`` and ``service.stop``, sign the trail's tail and stop a
        supervised llama-server (uvicorn re-raises SIGTERM once it has shut down, so
        the process ends before ``close()`` would)."""
        self.audit.append("logging.stop", **SYSTEM.audit_fields(), trail="audit")
        self.audit.append("service.stop", **SYSTEM.audit_fields())
        self.audit.checkpoint()
        self.models.close()

    def delete_conversation(self, conversation_id: str, user_id: int, who: Caller) -> None:
        """Delete one of ``user_id``'s conversations (its key shredded); recorded."""
        self.conversations.delete(conversation_id, user_id)
        self.audit.append(
            "conversation.delete", **who.audit_fields(), resource=f"conversation:{conversation_id}"
        )

    def health(self) -> None:
        """Raise :class:`StoreError` unless the database answers (for monitoring)."""
        self.audit.count()

    def filter_logs(self, logger_name: str) -> None:
        """Apply the ``log_policy`` to ``logger_name``'s records too (a web server's)."""
        install_log_filter(self.privacy, self.settings.log_policy, logger_name)

    def refuse_page(self, who: Caller, page: str, reason: str) -> None:
        """Record that ``who``'s role may not open ``page`` (``access.denied``)."""
        self.audit.append(
            "access.denied",
            **who.audit_fields(),
            resource=f"page:{page}",
            outcome="failure",
            reason=reason,
        )

    def rate_limit_name(self, kind: str, key: str) -> str:
        """The name a rate-limit count of ``kind`` by ``key`` (a user name or client
        address) is kept under: a keyed hash (HMAC-SHA256, the keyring's own key), the
        same in every process sharing this database, so a shared counter (Redis) holds
        no user names or addresses and two appliances sharing it never mix counts."""
        return "appliance:" + self.keyring.mac("rate-limit", f"{kind}\x00{key}")[:32]
