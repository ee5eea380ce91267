"""Picking an overview from verified statements, without the model writing anything.

A small model asked to write "the most important points" of a document writes
sentences that reuse the document's words yet say something it does not (bench
``RESULTS.md`` §14: 0 of 30 key points, statements such as "Article 24, which ensures
children have access to ..."). The overview is therefore *extractive*: it is made of
statements already verified against their cited page, chosen by

- **centrality**: cosine similarity of the statement's embedding to the centroid of
  every candidate's embedding (centroid-based summarisation, Radev et al., "Centroid-
  based summarization of multiple documents", Information Processing & Management
  40(6), 2004);
- **diversity**: maximal marginal relevance, each pick scored
  ``(1 - diversity) * centrality - diversity * max similarity to those picked``
  (Carbonell & Goldstein, "The use of MMR, diversity-based reranking for reordering
  documents and producing summaries", SIGIR 1998);
- **no copies**: a statement that says what an earlier one says (the same numbers,
  and content words that differ by one word at most: :func:`copies`) is left out
  before picking. Not by embedding similarity: "Invoices are kept for 3 years" and
  "Email archives are kept for 8 years" score 0.97 in MiniLM yet are two facts;
- **spread**: at most ``per_group`` picks from one group (a section of a document, or
  a document of a set), so one long section cannot fill the overview.

The picks are returned in the order of the candidates (reading order), so the
overview reads as the document does.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from appliance.rag.lexical import language_of, stems
from appliance.rag.verify import numbers_in

# Weight of redundancy against centrality in MMR; 0.3 is the middle of the range
# Carbonell & Goldstein report as useful for summaries (λ = 0.7 on relevance).
DIVERSITY = 0.3


def pick_central(
    vectors: np.ndarray,
    n: int,
    groups: Sequence[Hashable] | None = None,
    *,
    per_group: int = 1,
    diversity: float = DIVERSITY,
) -> list[int]:
    """Indices of up to ``n`` rows of ``vectors`` to show as an overview, ascending.

    ``vectors``: float array (candidates, dimension), rows of unit length (an
    :class:`appliance.embeddings.Embedder`'s output). ``groups``: one key per row
    (None: every row its own group). At most ``per_group`` rows of one key are
    picked; fewer than ``n`` come back when the groups run out. Deterministic: ties go
    to the earlier row. Raises ValueError when ``groups`` and ``vectors`` differ in
    length or ``diversity`` is outside [0, 1].
    """
    count = int(vectors.shape[0]) if vectors.ndim == 2 else 0
    if groups is not None and len(groups) != count:
        raise ValueError(f"{len(groups)} group keys for {count} vectors")
    if not 0.0 <= diversity <= 1.0:
        raise ValueError(f"diversity {diversity} is outside [0, 1]")
    if count == 0 or n <= 0:
        return []
    keys: Sequence[Hashable] = groups if groups is not None else range(count)
    rows = vectors.astype(np.float32, copy=False)
    centroid = rows.mean(axis=0)
    norm = float(np.linalg.norm(centroid))
    centrality = rows @ (centroid / norm) if norm > 0 else np.zeros(count, dtype=np.float32)
    similarity = rows @ rows.T
    picked: list[int] = []
    taken: dict[Hashable, int] = {}
    redundancy = np.full(count, -np.inf, dtype=np.float32)
    while len(picked) < n:
        best, best_score = -1, -np.inf
        for i in range(count):
            if i in picked or taken.get(keys[i], 0) >= per_group:
                continue
            penalty = float(redundancy[i]) if picked else 0.0
            score = (1.0 - diversity) * float(centrality[i]) - diversity * penalty
            if score > best_score:
                best, best_score = i, score
        if best < 0:
            break
        picked.append(best)
        taken[keys[best]] = taken.get(keys[best], 0) + 1
        redundancy = np.maximum(redundancy, similarity[best])
    return sorted(picked)


def copies(texts: Sequence[str], language: str | None = None) -> list[bool]:
    """For each of ``texts``, whether it repeats an earlier one: the same numbers
    (:func:`appliance.rag.verify.numbers_in`) and content-word stems
    (:func:`appliance.rag.lexical.stems`) that differ by one word at most ("The
    controller shall notify ..." and "The controller must notify ..."). ``language``:
    ISO 639-1, detected from the texts when None."""
    lang = language or language_of(" ".join(texts[:50]))
    seen: list[tuple[set[str], set[str]]] = []
    out: list[bool] = []
    for text in texts:
        words, numbers = set(stems(text, lang)), numbers_in(text)
        repeat = any(numbers == n and len(words ^ w) <= 1 for w, n in seen)
        out.append(repeat)
        if not repeat:
            seen.append((words, numbers))
    return out
