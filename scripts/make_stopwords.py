"""Regenerate appliance/rag/stopwords_eu.txt from the installed spaCy's stop-word lists.

Run: .venv/bin/python scripts/make_stopwords.py  (spaCy is a dependency through Presidio).
Keeps, per EU language spaCy covers, the stop words with a letter beyond ASCII,
folded as the lexical index folds text; plain-ASCII ones ("die", "door", "sin")
are English words too and stay searchable.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import spacy

from appliance.rag.lexical import _WORD, EU_LANGUAGES, STOPWORDS_FILE, fold


def main() -> None:
    lines = [
        f"# Function words of EU languages that are not English words: spaCy {spacy.__version__}'s",
        "# stop-word lists (spacy/lang/<code>/stop_words.py, MIT licence), keeping the words",
        "# with a letter beyond ASCII, folded as appliance/rag/lexical.py folds text.",
        "# Regenerate: scripts/make_stopwords.py. One language per line: code, then words.",
    ]
    for code in EU_LANGUAGES:
        try:
            module = importlib.import_module(f"spacy.lang.{code}.stop_words")
        except ImportError:
            continue
        words = sorted({fold(w) for w in module.STOP_WORDS if not w.isascii()})
        lines.append(" ".join([code, *(w for w in words if _WORD.fullmatch(w))]))
    Path(STOPWORDS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
