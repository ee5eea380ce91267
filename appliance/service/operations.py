"""The doors of running the appliance: backups, the web service's start and stop,
conversations, and refusals of a page. Each is recorded here."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from appliance import __version__
from appliance.backup import BackupReceipt, create_backup
from appliance.caller import Caller
from appliance.rag.logfilter import install_log_filter
from appliance.service.compliance import Compliance

# The appliance itself, when it acts on its own (start, stop, upkeep).
SYSTEM = Caller("appliance", "system")


def settings_digests(settings: Any) -> dict[str, str]:
    """A short hash per setting: a change shows in the trail without the value."""
    data = settings.model_dump(mode="json")
    return {
        name: hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]
        for name, value in sorted(data.items())
    }


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
