"""The vector index: Chroma, embedded (PersistentClient) or a server (HttpClient).

Chroma holds vectors, chunk ids and access metadata only, never chunk text:
the text lives (and, with encryption at rest, is sealed) in the relational
store. Telemetry is always off and no embedding function is attached, so
Chroma never downloads a model; the appliance supplies every vector.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from appliance.errors import StoreError

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from chromadb.config import Settings as ChromaSettings

_PREFIX = "appl_"


@dataclass(frozen=True)
class VectorHit:
    chunk_id: str
    similarity: float  # cosine similarity, 1.0 = same direction
    metadata: dict[str, Any]


def _chroma_settings() -> ChromaSettings:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


class VectorIndex:
    """One Chroma collection per vector space: a document collection's vectors from one
    embedder (``appliance.rag.documents.vector_space`` names it)."""

    def __init__(self, path: Path | None = None, host: str | None = None, port: int = 8000):
        import chromadb

        try:
            if host:
                self._client = chromadb.HttpClient(
                    host=host, port=port, settings=_chroma_settings()
                )
            else:
                assert path is not None
                path.mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(
                    path=str(path), settings=_chroma_settings()
                )
        except Exception as exc:  # chromadb raises many untyped errors on a bad store
            where = f"{host}:{port}" if host else str(path)
            raise StoreError(
                f"the vector index at {where} cannot be opened ({exc}). Restore it from a "
                "backup or rebuild it with `appliance reindex`."
            ) from exc
        self._collections: dict[str, Collection] = {}

    def _collection(self, name: str) -> Collection:
        col = self._collections.get(name)
        if col is None:
            col = self._client.get_or_create_collection(
                name=_PREFIX + name,
                metadata={"hnsw:space": "cosine"},
                embedding_function=None,
            )
            self._collections[name] = col
        return col

    def add(
        self,
        collection: str,
        ids: list[str],
        vectors: np.ndarray,
        metadatas: list[dict[str, Any]],
    ) -> None:
        if not ids:
            return
        col = self._collection(collection)
        # Chroma limits one call's size; stay well below it.
        step = 2000
        for i in range(0, len(ids), step):
            col.upsert(
                ids=ids[i : i + step],
                embeddings=vectors[i : i + step].tolist(),
                metadatas=list(metadatas[i : i + step]),
            )

    def query(
        self,
        collection: str,
        vector: np.ndarray,
        n: int,
        where: dict[str, Any] | None = None,
    ) -> list[VectorHit]:
        col = self._collection(collection)
        count = col.count()
        if count == 0:
            return []
        result = col.query(
            query_embeddings=[vector.tolist()],
            n_results=min(n, count),
            where=where,
            include=["distances", "metadatas"],
        )
        ids = result["ids"][0]
        got_distances, got_metas = result.get("distances"), result.get("metadatas")
        distances = got_distances[0] if got_distances else [1.0] * len(ids)
        metas = got_metas[0] if got_metas else [{}] * len(ids)
        return [
            VectorHit(cid, 1.0 - float(dist), dict(meta or {}))
            for cid, dist, meta in zip(ids, distances, metas, strict=True)
        ]

    def vectors(self, collection: str, ids: list[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        got = self._collection(collection).get(ids=ids, include=["embeddings"])
        embeddings = got["embeddings"]
        if embeddings is None:  # only when not asked for
            return {}
        return {
            cid: np.asarray(vec, dtype=np.float32)
            for cid, vec in zip(got["ids"], embeddings, strict=True)
        }

    def delete_document(self, collection: str, document_id: str) -> None:
        self._collection(collection).delete(where={"document_id": document_id})

    def document_ids(self, collection: str) -> set[str]:
        """Every document id that has vectors (used by crash recovery)."""
        got = self._collection(collection).get(include=["metadatas"])
        return {str(m.get("document_id")) for m in got["metadatas"] or [] if m}

    def chunk_counts(self, collection: str) -> dict[str, int]:
        """Vectors per document id (a re-embedding skips documents already complete)."""
        got = self._collection(collection).get(include=["metadatas"])
        counts: dict[str, int] = {}
        for meta in got["metadatas"] or []:
            if meta:
                doc = str(meta.get("document_id"))
                counts[doc] = counts.get(doc, 0) + 1
        return counts

    def count(self, collection: str) -> int:
        n: int = self._collection(collection).count()
        return n

    def drop(self, collection: str) -> None:
        self._collections.pop(collection, None)
        with contextlib.suppress(Exception):  # absent already
            self._client.delete_collection(_PREFIX + collection)
