"""Lexical (BM25) search over a collection's chunk texts, held in memory.

The index is rebuilt from the relational store when the collection's revision
changes, so it never persists chunk text outside the store that protects it.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import regex
import Stemmer

from appliance.models import spacy_stop_words

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


# Languages with a Snowball stemmer (PyStemmer) whose stop words spaCy ships, which
# the index tells apart by their function words (:func:`language_of`).
STEMMED_LANGUAGES = {
    "en": "english",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "es": "spanish",
    "et": "estonian",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hu": "hungarian",
    "it": "italian",
    "lt": "lithuanian",
    "nl": "dutch",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "sv": "swedish",
}
# A text is taken to be in another language than English only when at least this
# many of its words are that language's function words, and more than English's.
MIN_LANGUAGE_EVIDENCE = 2
_stemmers = threading.local()  # PyStemmer's stemmers must not be shared between threads


@lru_cache(maxsize=1)
def _function_words() -> dict[str, frozenset[str]]:
    """Each stemmed language's stop words (spaCy's lists), folded."""
    out = {}
    for code in STEMMED_LANGUAGES:
        out[code] = frozenset(fold(w) for w in spacy_stop_words(code))
    return out


def language_of(text: str) -> str:
    """The language of ``text`` as an ISO 639-1 code among :data:`STEMMED_LANGUAGES`'
    keys, by counting each language's function words; "en" when nothing else clearly
    leads (short or mixed texts, and languages without a stemmer here)."""
    found = _WORD.findall(fold(text))
    lists = _function_words()
    counts = {code: sum(1 for w in found if w in lists[code]) for code in lists}
    best = max(counts, key=lambda c: counts[c])
    if best != "en" and counts[best] >= MIN_LANGUAGE_EVIDENCE and counts[best] > counts["en"]:
        return best
    return "en"


def _stemmer(language: str) -> Stemmer.Stemmer:
    cache: dict[str, Stemmer.Stemmer] | None = getattr(_stemmers, "cache", None)
    if cache is None:
        cache = _stemmers.cache = {}
    if language not in cache:
        cache[language] = Stemmer.Stemmer(STEMMED_LANGUAGES[language])
    return cache[language]


def stems(text: str, language: str | None = None) -> list[str]:
    """:func:`words` reduced to their Snowball stems in ``language`` (an ISO 639-1 code
    of :data:`STEMMED_LANGUAGES`; detected from ``text`` when None), so "retained",
    "retaining" and "retains" are one word. Words with a digit, hyphen or underscore
    (identifiers, article and form numbers) are kept whole; the language's function
    words are dropped as stop words."""
    found = words(text)
    if not found:
        return []
    language = language or language_of(text)
    found = _kept(text, language)  # its function words in plain ASCII ("die", "wir") too
    stemmer = _stemmer(language)
    plain = [i for i, w in enumerate(found) if w.isalpha()]
    for i, stem in zip(plain, stemmer.stemWords([found[i] for i in plain]), strict=True):
        found[i] = stem
    return found


def _kept(text: str, language: str) -> list[str]:
    """:func:`words` less ``language``'s function words: the words :func:`stems` stems."""
    if language == "en":
        return words(text)
    return [w for w in words(text) if w not in _function_words()[language]]


def terms(text: str, language: str | None = None) -> list[str]:
    """The index's terms: each word's stem (:func:`stems`) and, when it differs, the
    word itself, so a question whose language is told apart from its passage's (a
    two-word Greek question, a German one without function words) still meets the
    passage's own word forms."""
    out: list[str] = []
    language = language or language_of(text)
    for word, stem in zip(_kept(text, language), stems(text, language), strict=True):
        out.append(stem)
        if stem != word:
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
        language = language_of(query)
        q_terms = list(dict.fromkeys(terms(query, language)))
        if not q_terms or not self.chunk_ids:
            return []
        known = [t for t in q_terms if t in self._bm25.vocab_dict]
        if not known:
            return []
        k = min(n, len(self.chunk_ids))
        docs, scores = self._bm25.retrieve([known], k=k, show_progress=False)
        hits = []
        # Coverage counts words: one is present when its stem or its own form is.
        pairs = list(zip(stems(query, language), _kept(query, language), strict=True))
        wanted = list(dict.fromkeys(pairs))
        for idx, score in zip(
            np.asarray(docs[0]).tolist(), np.asarray(scores[0]).tolist(), strict=True
        ):
            if score <= 0:
                continue
            have = self._term_sets[idx]
            coverage = sum(1 for st, w in wanted if st in have or w in have) / len(wanted)
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
