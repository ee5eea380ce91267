"""Encrypted backups of a data directory, and restores that keep erasures erased.

A backup is one sealed archive (see :mod:`appliance.crypto.archive`) holding a
consistent copy of the database, the vector index, the sealed original files,
the signing keys and ``appliance.toml``. It never holds the shred log: on
restore, every key destroyed since (deleted documents, erased subjects) is
destroyed again in the restored copy before it goes live, so an old backup
cannot bring a person back.
"""

from __future__ import annotations

import shutil
import sqlite3
import tarfile
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance import __version__
from appliance.config import CONFIG_FILENAME, Settings
from appliance.crypto import KeySource, ShredEntry, ShredLog
from appliance.crypto.archive import open_archive, read_header, write_archive
from appliance.errors import StoreError
from appliance.files import is_inside
from appliance.rag.identifiers import SUBJECT_SCOPE
from appliance.store.database import sqlite_file
from appliance.store.vault import DOCUMENT_SCOPE, ORIGINAL_SCOPE

if TYPE_CHECKING:
    from appliance.embeddings import Embedder
    from appliance.startup import Parts

# What a backup holds, relative to the data directory. Never the shred log.
_MEMBERS = ("chroma", "blobs", "keys", "policies", CONFIG_FILENAME)
_DB_NAME = "appliance.db"


@dataclass(frozen=True)
class BackupReceipt:
    path: Path
    archive_id: str
    documents: int
    bytes: int
    created_at: str

    def as_json(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "archive_id": self.archive_id,
            "documents": self.documents,
            "bytes": self.bytes,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class RestoreReceipt:
    data_dir: Path
    archive_id: str
    backup_created_at: str
    reshredded_documents: int
    reshredded_keys: int
    previous_moved_to: Path | None
    shred_log_entries: int = 0  # 0 on a new machine without --shred-log: nothing re-applied


def _embedded_only(settings: Settings) -> Path:
    db_file = sqlite_file(settings.sqlalchemy_url)
    if db_file is None or settings.chroma_host:
        raise StoreError(
            "`appliance backup` covers the embedded stores (SQLite and embedded Chroma). With "
            "PostgreSQL or a Chroma server, back those up with their own tools (pg_dump, the "
            "Chroma server's volume) and back up the data directory's blobs/ and keys/ folders."
        )
    return db_file


def create_backup(app: Parts, out: Path) -> BackupReceipt:
    """Write a sealed archive of ``app``'s data directory to ``out`` (the door,
    :meth:`appliance.service.Appliance.create_backup`, records it)."""
    settings: Settings = app.settings
    data_dir = settings.data_dir
    db_file = _embedded_only(settings)
    out = out.expanduser().resolve()
    if is_inside(out, data_dir):
        raise StoreError(
            f"{out} lies inside the data directory; write backups elsewhere (another disk)."
        )
    if out.exists():
        raise StoreError(f"{out} already exists; choose a new file name.")
    out.parent.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC).isoformat(timespec="seconds")
    with app.library.exclusive(), tempfile.TemporaryDirectory(dir=data_dir) as tmp:
        work = Path(tmp)
        # SQLite's online backup: a consistent copy even with readers running.
        src = sqlite3.connect(db_file)
        dst = sqlite3.connect(work / _DB_NAME)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        documents = app.library.document_count()
        payload = work / "payload.tar"
        with tarfile.open(payload, "w") as tar:
            tar.add(work / _DB_NAME, arcname=_DB_NAME)
            for name in _MEMBERS:
                if (data_dir / name).exists():
                    tar.add(data_dir / name, arcname=name)
        part = out.with_name(out.name + ".part")
        try:
            with payload.open("rb") as src_fh, part.open("wb") as dst_fh:
                part.chmod(0o600)
                archive_id = write_archive(
                    app.keyring,
                    {
                        "format": 1,
                        "created_at": created,
                        "appliance_version": __version__,
                        "documents": documents,
                    },
                    src_fh,
                    dst_fh,
                )
                dst_fh.flush()
            part.replace(out)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    return BackupReceipt(out, archive_id, documents, out.stat().st_size, created)


def backup_info(archive: Path) -> dict[str, object]:
    """The archive's public header (no secret needed)."""
    with archive.open("rb") as fh:
        header, _ = read_header(fh)
    return {k: v for k, v in header.items() if k not in ("wrapped_key",)}


def restore_backup(
    archive: Path,
    settings: Settings,
    source: KeySource,
    *,
    force: bool = False,
    extra_shred_logs: list[Path] | None = None,
    embedder: Embedder | None = None,
) -> RestoreReceipt:
    """Restore ``archive`` into ``settings.data_dir``, re-shredding what was destroyed since."""
    _embedded_only(settings)
    data_dir = settings.data_dir
    occupied = data_dir.exists() and any(data_dir.iterdir())
    if occupied and not force:
        raise StoreError(
            f"{data_dir} is not empty. Pass --force to move it aside first (its shred log is "
            "then re-applied), or restore into a new directory with --shred-log."
        )
    shred_entries = ShredLog(settings.shred_log_path).entries()
    for extra in extra_shred_logs or []:
        if not extra.exists():
            raise StoreError(f"shred log {extra} not found.")
        shred_entries += ShredLog(extra).entries()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{data_dir.name}.restore-", dir=data_dir.parent))
    try:
        staged = staging / "data"
        staged.mkdir(mode=0o700)
        payload = staging / "payload.tar"
        with archive.open("rb") as fh:
            header, plaintext = open_archive(source, fh)  # wrong secret: nothing touched
            with payload.open("wb") as out:
                for segment in plaintext:
                    out.write(segment)
        with tarfile.open(payload) as tar:
            tar.extractall(staged, filter="data")
        payload.unlink()
        staged_settings = settings.model_copy(update={"data_dir": staged})
        docs, keys = _reshred(staged_settings, source, shred_entries, embedder, header)
        # Shredding is forever: the full history travels on with the live directory.
        log = ShredLog(staged / settings.shred_log_path.name)
        known = {e.key_id for e in log.entries()}
        log.append(
            e for e in dict((e.key_id, e) for e in shred_entries).values() if e.key_id not in known
        )
        moved = None
        if occupied:
            moved = data_dir.with_name(f"{data_dir.name}.before-restore-{int(time.time())}")
            data_dir.rename(moved)
        elif data_dir.exists():
            data_dir.rmdir()
        staged.rename(data_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreReceipt(
        data_dir,
        header["archive_id"],
        header.get("created_at", "?"),
        docs,
        keys,
        moved,
        len(shred_entries),
    )


def _reshred(
    settings: Settings,
    source: KeySource,
    entries: list[ShredEntry],
    embedder: Embedder | None,
    header: dict[str, Any],
) -> tuple[int, int]:
    """Re-apply deletions made since the backup, and record the restore in the
    restored trail (which continues the backup's chain)."""
    from appliance.caller import Caller
    from appliance.startup import Parts

    wanted = {e.key_id: e for e in entries if e.survives_restore}
    docs = keys = 0
    with Parts(settings, key_source=source, embedder=embedder) as app:
        for wrapped in app.keyring.keys_by_id(list(wanted)):
            reason = wanted[wrapped.key_id].reason
            if wrapped.scope == DOCUMENT_SCOPE and app.library.has_document(wrapped.owner):
                app.library.delete_document(wrapped.owner, reason)
                docs += 1
            elif wrapped.scope == ORIGINAL_SCOPE:
                app.vault.erase_original(wrapped.owner, reason)
            elif wrapped.scope == SUBJECT_SCOPE:
                # An erased person: the registry entry goes too, so their name can no
                # longer lead a question to the passages that mentioned them.
                app.identifiers.forget_identifiers([wrapped.owner], reason)
            else:
                app.keyring.shred_keys([wrapped], reason)
            keys += 1
        app.audit.append(
            "backup.restore",
            **Caller.local().audit_fields(),
            archive_id=header["archive_id"],
            backup_created_at=header.get("created_at", "?"),
            reshredded_documents=docs,
            reshredded_keys=keys,
            shred_log_entries=len(entries),
        )
    return docs, keys
