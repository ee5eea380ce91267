"""Vector spaces: which embedder a collection's vectors come from, and where they live.

Each (collection, embedder) pair has a Chroma collection of its own, so a question
embedded by one embedder is never compared with vectors of another.
"""

from __future__ import annotations

from appliance.embeddings import DEFAULT_EMBEDDER
from appliance.store.schema import Collection


def embedder_of(col: Collection) -> str:
    """The name of the embedder ``col``'s vectors come from."""
    return col.embedder or DEFAULT_EMBEDDER


def vector_space(collection: str, embedder: str | None) -> str:
    """The vector index collection holding ``collection``'s vectors from ``embedder``:
    the collection's own name for all-MiniLM-L6-v2 (where its vectors were before
    embedders could be chosen), else ``NAME.EMBEDDER`` ("." is in no collection name)."""
    if embedder in (None, DEFAULT_EMBEDDER):
        return collection
    return f"{collection}.{embedder}"


def space_of(col: Collection) -> str:
    """Where retrieval looks for ``col``'s vectors."""
    return vector_space(col.name, col.embedder)


def spaces_of(col: Collection) -> list[str]:
    """Every space holding vectors of ``col``: its own, and the one an unfinished
    re-embedding is filling."""
    spaces = [space_of(col)]
    if col.reembed_to and vector_space(col.name, col.reembed_to) not in spaces:
        spaces.append(vector_space(col.name, col.reembed_to))
    return spaces
