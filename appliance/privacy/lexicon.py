"""How common a word is in each of the seven languages the privacy layer reads.

A lower-case word that is rare in its language ("penhaligon", "pöhlmann") may be a name
typed without capitals; a town's name that is also a common word ("Reading", "Bath",
"Nice") needs more than the gazetteer to be a place. Both questions are answered from
wordfreq's word lists (wordfreq 3.1, R. Speer, 2022: code Apache-2.0, data CC-BY-SA 4.0,
built from Wikipedia, subtitles, news, books and web text), shipped in its wheel and read
offline. The "small" list of each language is used: it holds every word seen at least
about once per million words (Zipf 3.0 and above) and loads in a fraction of a second.
"""

from __future__ import annotations

import math
from functools import cache

import wordfreq

LANGS = ("en", "de", "fr", "it", "es", "nl", "pl")


@cache
def _table(lang: str) -> dict[str, float]:
    """The word -> frequency table of ``lang`` (ISO 639-1), loaded once per process."""
    table: dict[str, float] = wordfreq.get_frequency_dict(lang, wordlist="small")
    return table


def zipf(word: str, lang: str) -> float:
    """Zipf frequency of ``word`` (any case) in ``lang``: log10 of its occurrences per
    billion words, so 3.0 is once per million words and 6.0 once per thousand ("the" is
    about 7.7). 0.0 when the small list does not hold it, i.e. rarer than about Zipf 3.

    The word is case-folded as wordfreq's lists are ("weiß" is held as "weiss", "Straße"
    as "strasse"): looked up in lower case only, every German word with "ß" read as rare.

    Raises ``LookupError`` (from wordfreq) for a language it has no list for."""
    frequency = _table(lang).get(word.casefold(), 0.0)
    return round(math.log10(frequency) + 9, 2) if frequency > 0 else 0.0


def most_common(word: str, langs: tuple[str, ...] = LANGS) -> float:
    """The highest Zipf frequency of ``word`` over ``langs`` (0.0 when none holds it)."""
    return max(zipf(word, lang) for lang in langs)


@cache
def common_words(min_zipf: float, langs: tuple[str, ...] = LANGS) -> frozenset[str]:
    """The words (case-folded: "weiss", not "weiß") whose Zipf frequency (``zipf``,
    rounded the same way) is ``min_zipf`` or more in at least one of ``langs``: a set to
    take a long list of candidates from at once (the census's 94,000 names: 0.7 s asked
    one by one)."""
    least = 10 ** (min_zipf - 9) * 0.98  # below it, no rounding reaches ``min_zipf``
    return frozenset(
        word
        for lang in langs
        for word, frequency in _table(lang).items()
        if frequency >= least and round(math.log10(frequency) + 9, 2) >= min_zipf
    )
