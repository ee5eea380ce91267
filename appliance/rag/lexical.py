"""Lexical (BM25) search over a collection's chunk texts, held in memory.

The index is rebuilt from the relational store when the collection's revision
changes, so it never persists chunk text outside the store that protects it.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
import regex

# A word: letters (of any script), combining marks and digits, joined by inner
# hyphens or underscores ("e-mail", "max_upload_bytes"). Apostrophes split words,
# so French and Italian elisions ("l'école", "dell'archivio") meet their nouns.
_WORD = regex.compile(r"[\p{L}\p{N}][\p{L}\p{M}\p{N}]*(?:[-_][\p{L}\p{M}\p{N}]+)*")
_GREEK_MARK = regex.compile(r"(?<=[\p{Greek}])\p{Mn}+")
try:
    from bm25s.stopwords import STOPWORDS_EN

    STOPWORDS = frozenset(STOPWORDS_EN)
except ImportError:  # pragma: no cover - older bm25s
    STOPWORDS = frozenset()
# Question words carry no topic; they would match every "what is..." heading.
STOPWORDS = STOPWORDS | {
    "what",
    "which",
    "who",
    "whom",
    "how",
    "when",
    "where",
    "why",
    "does",
    "do",
    "did",
    "can",
    "could",
    "should",
    "would",
    "must",
    "may",
}


# Languages of the EU whose stop words spaCy ships (spacy/lang/<code>/stop_words.py).
EU_LANGUAGES = [
    "bg",
    "cs",
    "da",
    "de",
    "el",
    "es",
    "et",
    "fi",
    "fr",
    "ga",
    "hr",
    "hu",
    "it",
    "lt",
    "lv",
    "nl",
    "pl",
    "pt",
    "ro",
    "sk",
    "sl",
    "sv",
]
STOPWORDS_FILE = Path(__file__).with_name("stopwords_eu.txt")


def _eu_stop_words() -> frozenset[str]:
    """Function words of the EU's languages that no English text uses as a word:
    those in Greek or Cyrillic letters, or with a letter beyond ASCII ("że",
    "für", "été"), from spaCy's lists (scripts/make_stopwords.py). Plain-ASCII
    ones are left out: German "die", Dutch "door", Spanish "sin" are English too."""
    words: set[str] = set()
    for line in STOPWORDS_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            words.update(line.split()[1:])
    return frozenset(words)


def fold(text: str) -> str:
    """Text as the index compares it: NFKC, case-folded ("Straße" → "strasse"), and
    Greek without accents, since Greek capitals are written without them
    ("ΑΡΧΕΙΑ" and "αρχεία" are one word)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if _GREEK_MARK.search(unicodedata.normalize("NFD", text)):
        text = unicodedata.normalize("NFC", _GREEK_MARK.sub("", unicodedata.normalize("NFD", text)))
    return text


STOPWORDS = STOPWORDS | _eu_stop_words()


def words(text: str) -> list[str]:
    """Content words of any script, folded (:func:`fold`); stop words removed
    (English, and the other EU languages' that are not English words)."""
    return [w for w in _WORD.findall(fold(text)) if w not in STOPWORDS and len(w) >= 2]


def terms(text: str) -> list[str]:
    """:func:`words` with a naive English plural folded: the index's terms."""
    out = []
    for word in words(text):
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return out


@dataclass(frozen=True)
class LexicalHit:
    chunk_id: str
    score: float
    coverage: float  # share of the query's distinct terms found in the chunk


class LexicalIndex:
    def __init__(self, chunk_ids: list[str], texts: list[str]) -> None:
        self.chunk_ids = chunk_ids
        self._term_sets = [set(terms(t)) for t in texts]
        tokens = [terms(t) or ["\x00empty"] for t in texts]
        self._bm25 = bm25s.BM25()
        if tokens:
            self._bm25.index(tokens, show_progress=False)

    def search(self, query: str, n: int) -> list[LexicalHit]:
        q_terms = list(dict.fromkeys(terms(query)))
        if not q_terms or not self.chunk_ids:
            return []
        known = [t for t in q_terms if t in self._bm25.vocab_dict]
        if not known:
            return []
        k = min(n, len(self.chunk_ids))
        docs, scores = self._bm25.retrieve([known], k=k, show_progress=False)
        hits = []
        wanted = set(q_terms)
        for idx, score in zip(
            np.asarray(docs[0]).tolist(), np.asarray(scores[0]).tolist(), strict=True
        ):
            if score <= 0:
                continue
            coverage = len(wanted & self._term_sets[idx]) / len(wanted)
            hits.append(LexicalHit(self.chunk_ids[idx], float(score), coverage))
        return hits


class LexicalCache:
    """One index per collection, rebuilt when the collection's revision moves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._indexes: dict[str, tuple[int, LexicalIndex]] = {}

    def get(
        self, collection: str, revision: int, load: Callable[[], tuple[list[str], list[str]]]
    ) -> LexicalIndex:
        with self._lock:
            cached = self._indexes.get(collection)
            if cached and cached[0] == revision:
                return cached[1]
            ids, texts = load()
            index = LexicalIndex(ids, texts)
            self._indexes[collection] = (revision, index)
            return index
