"""The vector index: Chroma, embedded (PersistentClient) or a server (HttpClient).

Chroma holds vectors, chunk ids and access metadata only, never chunk text:
the text lives (and, with encryption at rest, is sealed) in the relational
store. Telemetry is always off and no embedding function is attached, so
Chroma never downloads a model; the appliance supplies every vector.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from appliance.errors import StoreError

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from chromadb.config import Settings as ChromaSettings

_PREFIX = "appl_"
T = TypeVar("T")


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
        """The Chroma collection of vector space ``name``, its handle kept. Another
        process may have dropped and made it again since (a re-embedding, a deleted
        collection): :meth:`_use` then takes a new handle."""
        col = self._collections.get(name)
        if col is None:
            col = self._client.get_or_create_collection(
                name=_PREFIX + name,
                metadata={"hnsw:space": "cosine"},
                embedding_function=None,
            )
            self._collections[name] = col
        return col

    def _use(self, name: str, act: Callable[[Collection], T]) -> T:
        """``act`` on the collection of ``name``; once more on a new handle when the kept
        one names a collection another process has dropped since."""
        from chromadb.errors import NotFoundError

        try:
            return act(self._collection(name))
        except NotFoundError:
            self._collections.pop(name, None)
            return act(self._collection(name))

    def add(
        self,
        collection: str,
        ids: list[str],
        vectors: np.ndarray,
        metadatas: list[dict[str, Any]],
    ) -> None:
        if not ids:
            return

        def upsert(col: Collection, part: slice) -> None:
            col.upsert(
                ids=ids[part], embeddings=vectors[part].tolist(), metadatas=list(metadatas[part])
            )

        # Chroma limits one call's size; stay well below it.
        step = 2000
        for i in range(0, len(ids), step):
            self._use(collection, functools.partial(upsert, part=slice(i, i + step)))

    def query(
        self,
        collection: str,
        vector: np.ndarray,
        n: int,
        where: dict[str, Any] | None = None,
    ) -> list[VectorHit]:
        def ask(col: Collection) -> Any:
            count = col.count()
            if count == 0:
                return None
            return col.query(
                query_embeddings=[vector.tolist()],
                n_results=min(n, count),
                where=where,
                include=["distances", "metadatas"],
            )

        result = self._use(collection, ask)
        if result is None:
            return []
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
        got = self._use(collection, lambda col: col.get(ids=ids, include=["embeddings"]))
        embeddings = got["embeddings"]
        if embeddings is None:  # only when not asked for
            return {}
        return {
            cid: np.asarray(vec, dtype=np.float32)
            for cid, vec in zip(got["ids"], embeddings, strict=True)
        }

    def delete_document(self, collection: str, document_id: str) -> None:
        self._use(collection, lambda col: col.delete(where={"document_id": document_id}))

    def document_ids(self, collection: str) -> set[str]:
        """Every document id that has vectors (used by crash recovery)."""
        got = self._use(collection, lambda col: col.get(include=["metadatas"]))
        return {str(m.get("document_id")) for m in got["metadatas"] or [] if m}

    def chunk_counts(self, collection: str) -> dict[str, int]:
        """Vectors per document id (a re-embedding skips documents already complete)."""
        got = self._use(collection, lambda col: col.get(include=["metadatas"]))
        counts: dict[str, int] = {}
        for meta in got["metadatas"] or []:
            if meta:
                doc = str(meta.get("document_id"))
                counts[doc] = counts.get(doc, 0) + 1
        return counts

    def count(self, collection: str) -> int:
        n: int = self._use(collection, lambda col: col.count())
        return n

    def drop(self, collection: str) -> None:
        self._collections.pop(collection, None)
        with contextlib.suppress(Exception):  # absent already
            self._client.delete_collection(_PREFIX + collection)
