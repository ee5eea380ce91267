"""Files in, pages and chunks out. Nothing here touches a database or a model."""

from appliance.ingest.chunker import ChunkDraft, chunk_document
from appliance.ingest.loaders import (
    SUPPORTED_SUFFIXES,
    Attachment,
    Block,
    LoadedDocument,
    Page,
    load_document,
)

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Attachment",
    "Block",
    "ChunkDraft",
    "LoadedDocument",
    "Page",
    "chunk_document",
    "load_document",
]
