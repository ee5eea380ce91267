"""Sealed document records: what the database and blob folder hold, and how to read it.

Each document has its own data key (scope ``document``). Its file name,
title, chunk texts and section headings are sealed with it, each bound to its
place (collection, record, field); the original file is sealed to
``blobs/<document id>``. Deleting a document shreds its key, so any copy of
those ciphertexts left anywhere (a backup, a disk sector) is unreadable.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypedDict

from appliance.crypto import DataKey, Keyring, WrappedKey
from appliance.errors import CryptoError, TamperedData
from appliance.store.schema import Chunk, Document

DOCUMENT_SCOPE = "document"
# Original files have their own key, so erasing one person from a document that
# also concerns others can destroy the original (which holds the raw values) for
# good, backups included, while the pseudonymised passages stay.
ORIGINAL_SCOPE = "original"


@dataclass(frozen=True)
class DocumentInfo:
    """A document as a user sees it (fields opened)."""

    id: str
    collection_id: int
    source: str
    title: str
    kind: str
    size_bytes: int
    page_count: int | None
    chunk_count: int
    status: str
    created_at: datetime
    updated_at: datetime
    ocr_pages: tuple[int, ...] = ()  # pages whose text was read by OCR
    pages_without_text: tuple[int, ...] = ()  # pages on which no text was found
    attached_to: str | None = None  # the e-mail document this one was attached to

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "source": self.source,
            "title": self.title,
            "kind": self.kind,
            "bytes": self.size_bytes,
            "pages": self.page_count,
            "chunks": self.chunk_count,
            "ocr_pages": list(self.ocr_pages),
            "pages_without_text": list(self.pages_without_text),
            "attached_to": self.attached_to,
            "added": self.created_at.isoformat(),
        }


class Extraction(TypedDict):
    """How a document's text was read (its ``extraction`` column)."""

    ocr_pages: tuple[int, ...]
    pages_without_text: tuple[int, ...]


def extraction_of(doc: Document) -> Extraction:
    """The pages a document's text was read from by OCR, and those without text."""
    try:
        facts = json.loads(doc.extraction or "{}")
    except ValueError:
        facts = {}
    return {
        "ocr_pages": tuple(facts.get("ocr_pages", ())),
        "pages_without_text": tuple(facts.get("pages_without_text", ())),
    }


def _doc_place(collection_id: int, document_id: str, field: str) -> tuple[str, ...]:
    return ("collection", str(collection_id), "document", document_id, field)


def _chunk_place(collection_id: int, chunk_id: str, field: str) -> tuple[str, ...]:
    return ("collection", str(collection_id), "chunk", chunk_id, field)


def _summary_place(collection_id: int, summary_id: str, field: str) -> tuple[str, ...]:
    return ("collection", str(collection_id), "summary", summary_id, field)


class DocumentVault:
    def __init__(self, keyring: Keyring, blob_dir: Path) -> None:
        self.keyring = keyring
        self.blob_dir = blob_dir

    def key(self, document_id: str, *, create: bool = False) -> DataKey:
        return self.keyring.data_key(DOCUMENT_SCOPE, document_id, create=create)

    # -- lookups without plaintext ---------------------------------------------

    def source_mac(self, source: str) -> str:
        return self.keyring.mac("document-source", source)

    def content_mac(self, sha256_hex: str) -> str:
        return self.keyring.mac("document-content", sha256_hex)

    # -- sealing ----------------------------------------------------------------

    def seal_document(
        self, collection_id: int, document_id: str, source: str, title: str
    ) -> dict[str, bytes]:
        key = self.key(document_id, create=True)
        return {
            "source_sealed": key.seal(source, *_doc_place(collection_id, document_id, "source")),
            "title_sealed": key.seal(title, *_doc_place(collection_id, document_id, "title")),
        }

    def seal_chunk(
        self, collection_id: int, document_id: str, chunk_id: str, section: str, text: str
    ) -> dict[str, bytes]:
        key = self.key(document_id, create=True)
        return {
            "section_sealed": key.seal(section, *_chunk_place(collection_id, chunk_id, "section")),
            "text_sealed": key.seal(text, *_chunk_place(collection_id, chunk_id, "text")),
        }

    # -- opening ----------------------------------------------------------------

    def open_document(self, doc: Document) -> DocumentInfo:
        key = self.key(doc.id)
        return DocumentInfo(
            id=doc.id,
            collection_id=doc.collection_id,
            source=key.open_text(
                doc.source_sealed, *_doc_place(doc.collection_id, doc.id, "source")
            ),
            title=key.open_text(doc.title_sealed, *_doc_place(doc.collection_id, doc.id, "title")),
            kind=doc.kind,
            size_bytes=doc.size_bytes,
            page_count=doc.page_count,
            chunk_count=doc.chunk_count,
            status=doc.status,
            created_at=doc.created_at,
            updated_at=doc.updated_at,
            attached_to=doc.parent_id,
            **extraction_of(doc),
        )

    def open_chunk(self, chunk: Chunk, collection_id: int) -> tuple[str, str]:
        """(section, text) of a chunk."""
        key = self.key(chunk.document_id)
        return (
            key.open_text(chunk.section_sealed, *_chunk_place(collection_id, chunk.id, "section")),
            key.open_text(chunk.text_sealed, *_chunk_place(collection_id, chunk.id, "text")),
        )

    def seal_summary(
        self, collection_id: int, document_id: str, summary_id: str, field: str, text: str
    ) -> bytes:
        """A summary's text (``field``: "result" or a step's name), sealed with the
        document's key: shredding the document's key makes it unreadable too."""
        key = self.key(document_id)
        return key.seal(text, *_summary_place(collection_id, summary_id, field))

    def open_summary(
        self, collection_id: int, document_id: str, summary_id: str, field: str, sealed: bytes
    ) -> str:
        key = self.key(document_id)
        return key.open_text(sealed, *_summary_place(collection_id, summary_id, field))

    # -- original files -----------------------------------------------------------

    def blob_path(self, document_id: str) -> Path:
        return self.blob_dir / f"{document_id}.sealed"

    def store_original(self, collection_id: int, document_id: str, path: Path) -> None:
        """Seal the uploaded file to the blob folder (written aside, then renamed)."""
        self.blob_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        final = self.blob_path(document_id)
        part = final.with_suffix(".part")
        key = self.keyring.data_key(ORIGINAL_SCOPE, document_id)
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with path.open("rb") as src, os.fdopen(fd, "wb") as dst:
                key.seal_file(src, dst, *_doc_place(collection_id, document_id, "original"))
                dst.flush()
                os.fsync(dst.fileno())
            os.replace(part, final)
        except BaseException:
            part.unlink(missing_ok=True)
            raise

    def read_original(self, collection_id: int, document_id: str) -> Iterator[bytes]:
        """The original file's bytes, in segments (authenticated one by one)."""
        path = self.blob_path(document_id)
        if not path.exists():
            raise CryptoError(f"the original file of document {document_id} is missing ({path}).")
        key = self.keyring.data_key(ORIGINAL_SCOPE, document_id, create=False)
        with path.open("rb") as src:
            try:
                yield from key.open_file(src, *_doc_place(collection_id, document_id, "original"))
            except TamperedData as exc:
                raise TamperedData(f"original file of document {document_id}: {exc}") from None

    def delete_original(self, document_id: str) -> None:
        self.blob_path(document_id).unlink(missing_ok=True)
        self.blob_path(document_id).with_suffix(".part").unlink(missing_ok=True)

    def blob_ids(self) -> set[str]:
        if not self.blob_dir.is_dir():
            return set()
        return {p.name.split(".")[0] for p in self.blob_dir.iterdir()}

    # -- destruction ------------------------------------------------------------------

    def destroy(self, document_id: str, reason: str = "deleted") -> None:
        """Delete the sealed original and shred the document's key.

        ``reason`` "superseded" (a replaced version, a rolled-back ingestion) is not
        re-applied when an older backup is restored; "deleted" and "erased" are.
        """
        keys = self.announce(document_id, reason)
        self.delete_original(document_id)
        self.keyring.shred_keys(keys, reason, logged=True)

    def announce(self, document_id: str, reason: str) -> list[WrappedKey]:
        """Log the document's keys as shredded before anything of it is deleted."""
        return [
            *self.keyring.announce_shred(ORIGINAL_SCOPE, [document_id], reason),
            *self.keyring.announce_shred(DOCUMENT_SCOPE, [document_id], reason),
        ]

    def erase_original(self, document_id: str, reason: str = "erased") -> None:
        """Destroy only the original file (and its key); the sealed passages remain."""
        keys = self.keyring.announce_shred(ORIGINAL_SCOPE, [document_id], reason)
        self.delete_original(document_id)
        self.keyring.shred_keys(keys, reason, logged=True)
