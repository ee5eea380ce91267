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
and the rank of its passage. A deadline said in words ("at the latest at the time of
the first communication") counts as the kind of fact a "by when" question asks for.

What is quoted is a sentence or, where a sentence holds a list, one of its items
(GDPR articles run four items into one sentence longer than a quote may be);
headings, footnote definitions and the converter's notes are never quoted. Two
additions follow the ranking, within the same limit of three: the next sentence
of a passage when it refers back to a quoted one ("... any such tasks and
duties ..."), and the items of a list that lie between two quoted items, shown in
the list's order. Each was measured on the benchmark's development splits (dev and
dev2, 47 answerable questions), never on a holdout: ``bench/RESULTS.md`` section 11.
"""

from __future__ import annotations

import re
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
    the answer saw it, ``chunk_id`` the chunk that holds it (a joined passage spans
    two or three) and ``sentence`` its 0-based ordinal among that chunk's sentences
    (what the source view highlights: offsets shift when placeholders are numbered
    per document there)."""

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


# Where a sentence holds a list, its items are quoted apart: a blank line between two
# items ("...;  \n\nb. | ...") or a table's cell mark " | " (list markers "a. |", the
# recitals' "| 69. |", definitions "; | 'data concerning health' means"). In the GDPR's
# articles one "sentence" can run to four items and 900 characters (Article 33(3)),
# beyond MAX_CHARS, so the item asked about could not be quoted at all.
_ITEM_BREAK = re.compile(r"\s*\n\s*\n\s*|(?:^|\s+)\|(?:\s+|$)")
# A list marker left at the end of a lead-in ("shall at least: a."): not words.
_TRAILING_MARKER = re.compile(r"(?<=:)\s+\(?[a-z0-9]{1,3}[.)]$")


# A note the converter left at a paragraph's end (``@@@ note "Recital 97" @@@``):
# not the document's sentence, so not quoted.
_NOTE = re.compile(r"\s*@@@.*?@@@\s*$")
# A Markdown footnote's definition ("[^eu18]: OJ L 201, ..."): a reference, not an answer.
_FOOTNOTE = re.compile(r"\[\^[^\]]+\]:")
# A unit that ends without a full stop, colon, semicolon or comma and has fewer than
# this many words is a heading or a label ("European data protection board"), not an
# answer; longer ones are sentences cut at a passage's end, still quotable.
_END = re.compile(r"(?:[.;:!?,]|\b(?:and|or))[\"'’”)\]]*$")
HEADING_WORDS = 8


# A deadline said without a number ("at the latest at the time of the first
# communication", "without undue delay") answers "by when" and "how soon" as a date or
# a duration does; verify.cue counts only those. Other "when" questions ("Whose advice
# must we seek when carrying out ...?") and "how long" ones do not ask for a deadline.
_ASKS_DEADLINE = re.compile(
    r"\bby when\b|\bhow soon\b|\bby what (?:date|time)\b|\bdeadline\b", re.I
)
_DEADLINE = re.compile(
    r"\b(?:at the latest|no later than|not later than|without (?:undue )?delay|prior to|"
    r"in advance|before the|by the time|at the time of|immediately|promptly)\b",
    re.IGNORECASE,
)


# A sentence that refers back to the one before it: it opens with a pointer ("In such
# a case", "However", "This") or speaks of "such" things ("any such tasks and duties";
# "such as" introduces examples, not a reference) within its first 80 characters.
_CONTINUES = re.compile(
    r"^(?:In (?:such|that|this|either) (?:a )?cases?|In that event|To that end|For that "
    r"purpose|However|Nevertheless|Otherwise|Such|This|That|These|Those|It|They)\b"
    r"|\bsuch\b(?!\s+as\b)",
    re.IGNORECASE,
)


def _kind_cue(question: str, kind: str, sentence: str) -> float:
    """verify.cue, with a deadline counting as the answer to a "by when" question."""
    if _ASKS_DEADLINE.search(question) and _DEADLINE.search(sentence):
        return 1.0
    return _cue(kind, sentence)


def _units(sentence: str) -> list[tuple[str, int]]:
    """The items of ``sentence`` (the whole sentence when it holds no list), each with
    its character offset in ``sentence``; list and table marks and trailing notes left
    out, footnote definitions and headings dropped."""
    out = []
    pos = 0
    for m in [*_ITEM_BREAK.finditer(sentence), None]:
        end = m.start() if m else len(sentence)
        piece = _TRAILING_MARKER.sub("", _NOTE.sub("", sentence[pos:end]))
        text = piece.strip()
        heading = not _END.search(text) and len(text.split()) < HEADING_WORDS
        if text and not heading and not _FOOTNOTE.search(text):
            out.append((text, pos + len(piece) - len(piece.lstrip())))
        if m is None:
            break
        pos = m.end()
    return out


# A quotable unit: (source index, text, start, end, sentence ordinal, part), where
# ``start``/``end`` are offsets in the source's text and ``ordinal`` counts the
# sentences of the chunk ``part`` of the source (a joined passage spans two or three).
_Candidate = tuple[int, str, int, int, int, int]


def _candidates(hits: list[Hit]) -> list[_Candidate]:
    """Every quotable sentence or list item, in passage order; its ordinal is the
    sentence's (an item's is that of the sentence holding it, which the source view
    highlights) among the sentences of the chunk that holds it."""
    out = []
    for i, hit in enumerate(hits):
        offset = 0
        for j, part in enumerate(hit.segments()):
            pos = 0
            for n, sentence in enumerate(split_sentences(part.text)):
                start = part.text.find(sentence[:40], pos)
                if start < 0:
                    start = part.text.find(sentence[:40])
                if start < 0:
                    continue
                pos = start + len(sentence)
                for unit, at in _units(sentence):
                    if MIN_CHARS <= len(unit) <= MAX_CHARS:
                        first = offset + start + at
                        out.append((i, unit, first, first + len(unit), part.first_sentence + n, j))
            offset += len(part.text) + 1  # the parts are joined by a space
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
    scores = []
    for (i, sentence, *_), sim in zip(candidates, dense, strict=True):
        have = set(terms(sentence, language))
        lexical = len(asked & have) / len(asked) if asked else 0.0
        scores.append(
            w_dense * float(sim)
            + w_lex * lexical
            + w_cue * _kind_cue(question, kind, sentence)
            + w_rank / (1 + i)
        )
    order = sorted(range(len(candidates)), key=lambda c: -scores[c])
    top = scores[order[0]]
    picked: list[int] = []  # candidate indices, in the order they are shown

    def pick(c: int) -> None:
        # Overlapping passages hold the same sentence twice: quote it once.
        text = " ".join(candidates[c][1].split())
        if len(picked) < max_sentences and all(
            " ".join(candidates[p][1].split()) != text for p in picked
        ):
            picked.append(c)

    for c in order:
        if len(picked) == max_sentences or (picked and scores[c] < top * KEEP_WITHIN):
            break
        if c in picked:
            continue
        pick(c)
        if c not in picked:
            continue
        # Items of one list quoted apart: the items between them too ("a." and "c."
        # of Article 14(3) without "b." hides the one that may be asked about).
        for p in list(picked[:-1]):
            if _same_list(candidates[p], candidates[c]):
                for between in range(min(p, c) + 1, max(p, c)):
                    if between not in picked:
                        pick(between)
        # The next sentence of the same passage when it continues this one ("...may
        # fulfil other tasks and duties. The controller ... shall ensure that any such
        # tasks and duties do not result in a conflict of interests."), looked for in
        # every passage holding this sentence: overlapping passages cut it apart.
        text = " ".join(candidates[c][1].split())
        for same in range(len(candidates)):
            after = same + 1
            if (
                " ".join(candidates[same][1].split()) == text
                and after < len(candidates)
                and candidates[after][0] == candidates[same][0]
                and _CONTINUES.search(candidates[after][1][:80])
            ):
                pick(after)
                break
    # Items of one list read in their own order, where the first of them was chosen.
    shown: list[int] = []
    for c in picked:
        if c not in shown:
            shown += sorted(p for p in picked if _same_list(candidates[p], candidates[c]))
    return [_quote(hits, candidates[c], scores[c]) for c in shown]


def _same_list(a: _Candidate, b: _Candidate) -> bool:
    """Two items of one list: the same passage, chunk and sentence (see _candidates)."""
    return a[0] == b[0] and a[5] == b[5] and a[4] == b[4]


def _quote(hits: list[Hit], candidate: _Candidate, score: float) -> Quote:
    i, sentence, start, end, ordinal, part = candidate
    hit = hits[i]
    return Quote(
        sentence,
        i + 1,
        hit.segments()[part].chunk_id,
        hit.document_id,
        hit.source,
        hit.title,
        hit.page,
        start,
        end,
        ordinal,
        score,
    )
