"""The extractive answer: the retrieved sentences that best answer the question, verbatim.

Whatever the model writes, staff also see one to three sentences quoted from the
passages, each with its citation. They cannot be unfaithful: they are the
document's own words. When no generated sentence survives verification, they
are the answer.

Sentences are ranked by a weighted sum of four signals, with weights chosen on the
development split of the question-answering benchmark (``bench/bench_qa.py``;
figures in ``bench/RESULTS.md``): embedding similarity to the question, the share
of the question's content words the sentence holds, whether it holds the kind of
fact the question asks for (a duration for "how long", a number for "how many"),
and the rank of its passage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from appliance.ingest.chunker import split_sentences
from appliance.rag.lexical import language_of
from appliance.rag.lexical import stems as terms
from appliance.rag.retrieval import Hit
from appliance.rag.verify import cue as _cue
from appliance.rag.verify import question_kind

# Weights of the four signals (dense, lexical, cue, rank); see the module docstring.
WEIGHTS = (1.0, 0.6, 0.35, 0.15)
# A second or third sentence is quoted only if it scores this close to the best.
KEEP_WITHIN = 0.85
MAX_SENTENCES = 3
# Sentences shorter than this (characters) are headings or fragments, not answers.
MIN_CHARS = 25
MAX_CHARS = 600


@dataclass(frozen=True)
class Quote:
    """A sentence quoted verbatim from source ``n`` (1-based), and where it sits in
    its passage: ``start``/``end`` are character offsets in the passage's text as
    the answer saw it, ``sentence`` its 0-based ordinal among the passage's
    sentences (what the source view highlights: offsets shift when placeholders
    are numbered per document there)."""

    text: str
    n: int
    chunk_id: str
    document_id: str
    source: str
    title: str
    page: int | None
    start: int
    end: int
    sentence: int
    score: float

    def as_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "n": self.n,
            "chunk_id": self.chunk_id,
            "document_id": self.document_id,
            "source": self.source,
            "title": self.title,
            "page": self.page,
            "start": self.start,
            "end": self.end,
            "sentence": self.sentence,
        }


def _candidates(hits: list[Hit]) -> list[tuple[int, str, int, int, int]]:
    """(source index, sentence, start, end, ordinal) for every quotable sentence."""
    out = []
    for i, hit in enumerate(hits):
        pos = 0
        for ordinal, sentence in enumerate(split_sentences(hit.text)):
            start = hit.text.find(sentence[:40], pos)
            if start < 0:
                start = hit.text.find(sentence[:40])
            end = start + len(sentence) if start >= 0 else -1
            if start >= 0:
                pos = end
            if MIN_CHARS <= len(sentence) <= MAX_CHARS and start >= 0:
                out.append((i, sentence, start, end, ordinal))
    return out


def extract_answer(
    question: str,
    hits: list[Hit],
    embed: Callable[[list[str]], np.ndarray] | None,
    *,
    weights: tuple[float, float, float, float] = WEIGHTS,
    max_sentences: int = MAX_SENTENCES,
) -> list[Quote]:
    """The one to ``max_sentences`` sentences of ``hits`` that best answer ``question``,
    best first. ``embed`` maps texts to unit vectors (shape (n, d)); without it the
    dense signal is left out. Returns [] when ``hits`` holds no quotable sentence."""
    candidates = _candidates(hits)
    if not candidates:
        return []
    language = language_of(" ".join([question, *(h.text for h in hits)]))
    asked = set(terms(question, language))
    kind = question_kind(question)
    if embed is not None:
        vectors = embed([question] + [c[1] for c in candidates])
        dense = vectors[1:] @ vectors[0]
    else:
        dense = np.zeros(len(candidates))
    w_dense, w_lex, w_cue, w_rank = weights
    scored = []
    for (i, sentence, start, end, ordinal), sim in zip(candidates, dense, strict=True):
        have = set(terms(sentence, language))
        lexical = len(asked & have) / len(asked) if asked else 0.0
        score = (
            w_dense * float(sim) + w_lex * lexical + w_cue * _cue(kind, sentence) + w_rank / (1 + i)
        )
        scored.append((score, i, sentence, start, end, ordinal))
    scored.sort(key=lambda t: -t[0])
    top = scored[0][0]
    chosen: list[Quote] = []
    for score, i, sentence, start, end, ordinal in scored:
        if len(chosen) == max_sentences or (chosen and score < top * KEEP_WITHIN):
            break
        # Overlapping passages hold the same sentence twice: quote it once.
        if any(" ".join(q.text.split()) == " ".join(sentence.split()) for q in chosen):
            continue
        hit = hits[i]
        chosen.append(
            Quote(
                sentence,
                i + 1,
                hit.chunk_id,
                hit.document_id,
                hit.source,
                hit.title,
                hit.page,
                start,
                end,
                ordinal,
                score,
            )
        )
    return chosen
