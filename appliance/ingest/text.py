"""Text as extracted from files, made fit to search: decoded, normalised, split.

Every loader's text passes through :func:`normalise_text` before anything
pseudonymises, chunks or embeds it, so "Conﬁdential" (a U+FB01 ligature from a
PDF's font), "ＦＯＩ" (full-width) and "docu-\\nment" (hyphenated at a line end)
are indexed as the words a person types.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from appliance.errors import DocumentError

# Characters that change how text looks to a search but not what it says.
_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u00ad"  # soft hyphen: a hint where a word may break
        "\u200b"  # zero-width space
        "\u2060"  # word joiner
        "\ufeff",  # byte-order mark / zero-width no-break space
    )
)
# A word broken across a line end by a hyphen: "docu-\nment". Joined only when the
# next line goes on in lower case, so "Jean-\nPaul" and "- Item" lists stay apart.
_LINE_END_HYPHEN = re.compile(r"(\w)[-\u2010\u2011][ \t]*\r?\n[ \t]*(\w)")
_WS = re.compile(r"[ \t\r\n\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def normalise_text(text: str) -> str:
    """NFKC, soft hyphens and zero-width characters removed, line-end hyphens joined.

    NFKC (Unicode Standard Annex #15) folds compatibility characters to the
    ones people type: ligatures (U+FB01 "ﬁ" → "fi"), full-width forms, the
    non-breaking hyphen. Line breaks are kept; callers split on them.
    """
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return _LINE_END_HYPHEN.sub(_join_hyphenated, text.replace("\x00", ""))


def _join_hyphenated(match: re.Match[str]) -> str:
    before, after = match.group(1), match.group(2)
    if before.isalpha() and after.islower():
        return before + after
    return match.group(0)


def clean_line(text: str) -> str:
    """One line of normalised text with runs of spaces made single."""
    return _WS.sub(" ", normalise_text(text)).strip()


# -- decoding ---------------------------------------------------------------

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# Legacy code pages that European offices' files were saved in, most common first
# (the order breaks ties when two decodings are equally good).
CODE_PAGES = (
    "cp1252",
    "cp1250",
    "cp1251",
    "cp1253",
    "cp1254",
    "cp1257",
    "iso8859_15",
    "iso8859_2",
    "iso8859_7",
    "koi8_r",
)
_CODE_PAGE_NAMES = {
    "cp1252": "Windows-1252 (Western European)",
    "cp1250": "Windows-1250 (Central European)",
    "cp1251": "Windows-1251 (Cyrillic)",
    "cp1253": "Windows-1253 (Greek)",
    "cp1254": "Windows-1254 (Turkish)",
    "cp1257": "Windows-1257 (Baltic)",
    "iso8859_15": "ISO-8859-15 (Western European)",
    "iso8859_2": "ISO-8859-2 (Central European)",
    "iso8859_7": "ISO-8859-7 (Greek)",
    "koi8_r": "KOI8-R (Russian)",
}
# The letters beyond ASCII that each language writes (its alphabet, from its
# standard orthography). A right decoding uses one language's letters; a wrong
# one mixes letters no language writes together ("Yýllýk izin" has ý and þ of
# Icelandic but ç and ü that Icelandic lacks).
_ALPHABETS = {
    "French": "àâæçéèêëîïôœùûüÿ",
    "German": "äöüß",
    "Spanish": "áéíñóúü",
    "Italian": "àèéìíîòóùú",
    "Portuguese": "áâãàçéêíóôõú",
    "Dutch": "áàéèëïíóöúüû",
    "Danish": "æøåé",
    "Swedish": "åäöé",
    "Finnish": "äöåšž",
    "Icelandic": "áðéíóúýþæö",
    "Catalan": "àçèéíïòóúü",
    "Polish": "ąćęłńóśźż",
    "Czech": "áčďéěíňóřšťúůýž",
    "Slovak": "áäčďéíĺľňóôŕšťúýž",
    "Slovene": "čšž",
    "Croatian": "čćđšž",
    "Hungarian": "áéíóöőúüű",
    "Romanian": "ăâîșşțţ",
    "Turkish": "çğıöşüâîûİ",
    "Estonian": "äõöüšž",
    "Latvian": "āčēģīķļņšūž",
    "Lithuanian": "ąčęėįšųūž",
    "Maltese": "ċġħżàèìòù",
    "Irish": "áéíóú",
    "Greek": "".join(chr(c) for c in range(0x370, 0x400) if chr(c).isalpha()),
    "Cyrillic": "".join(chr(c) for c in range(0x400, 0x530) if chr(c).isalpha()),
}
_ALPHABET_SETS = {
    lang: frozenset(letters) | frozenset(letters.upper()) for lang, letters in _ALPHABETS.items()
}
# Share of a decoding's non-ASCII letters that must belong to one alphabet (names
# from other languages make up the rest).
MIN_ALPHABET_FIT = 0.97
# charset-normalizer's mess ratio above which a decoding is garbled: the right
# code page of every sample in tests/test_extraction.py measures 0.06 or less.
MAX_MESS = 0.2
_NON_LATIN = frozenset({"Greek", "Cyrillic"})
# Characters of each decoding that are measured: enough for every letter a code
# page can differ in to show up, bounded so a 50 MB file is judged in a second.
SAMPLE_CHARS = 20_000
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # Python codec name, e.g. "utf-8", "cp1254"


@dataclass(frozen=True)
class _Reading:
    codec: str
    text: str
    language: str  # the alphabet its letters fit best
    fit: float  # share of its non-ASCII letters in that alphabet
    mess: float  # charset-normalizer's mess ratio: 0 reads clean, 1 garbled
    coherent: bool  # charset-normalizer's language guess agrees with ``language``


def decode_text(raw: bytes, name: str) -> DecodedText:
    """Decode a text file's bytes, or refuse it rather than index mojibake.

    A byte-order mark, then strict UTF-8, decide when present. Otherwise each
    legacy code page in :data:`CODE_PAGES` decodes the bytes, and a decoding
    counts only when its letters beyond ASCII fit one language's alphabet.
    charset-normalizer's measures (how garbled the text reads, which language
    its letter frequencies suggest) rank what is left. When two decodings that
    differ stay equally good, the file is refused with the likely one named.

    Raises DocumentError naming ``name`` for binary, undecodable or ambiguous text.
    """
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                return DecodedText(raw.decode(codec), codec.removesuffix("-sig"))
            except UnicodeDecodeError as exc:
                raise DocumentError(f"{name}: broken {codec} text ({exc.reason}).") from exc
    if b"\x00" in raw[:8192]:
        raise DocumentError(f"{name}: looks like a binary file, not text.")
    try:
        return DecodedText(raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    readings = _readings(raw)
    fitting = [r for r in readings if r.fit >= MIN_ALPHABET_FIT and r.mess <= MAX_MESS]
    if not fitting:
        likely = min(readings, key=lambda r: (-r.fit, r.mess), default=None)
        hint = f" (perhaps {_CODE_PAGE_NAMES[likely.codec]})" if likely else ""
        raise DocumentError(
            f"{name}: the text's encoding cannot be recognised{hint}; "
            "save it as UTF-8 and upload it again."
        )
    # Best first: reads least garbled, the language guess agrees, fits best; the
    # order of CODE_PAGES breaks what ties remain (sort is stable).
    fitting.sort(key=_rank)
    best = fitting[0]
    for other in fitting[1:]:
        if other.text == best.text:
            continue
        if _rank(other) == _rank(best):
            raise DocumentError(
                f"{name}: the text's encoding is unclear: most likely "
                f"{_CODE_PAGE_NAMES[best.codec]}, but it could be "
                f"{_CODE_PAGE_NAMES[other.codec]}; save it as UTF-8 and upload it again."
            )
        break
    return DecodedText(best.text, best.codec)


def _rank(reading: _Reading) -> tuple[float, bool, float]:
    return (round(reading.mess, 2), not reading.coherent, -reading.fit)


def _alphabet_fit(text: str) -> tuple[str, float]:
    """The alphabet most of the text's non-ASCII letters belong to, and that share.

    A Greek or Cyrillic letter inside a word of Latin letters ("Yэllэk") fits no
    alphabet: such words are what a wrong code page makes of Latin text.
    """
    letters: list[tuple[str, bool]] = []  # (letter, its word also has ASCII letters)
    for word in _WORDS.findall(text):
        mixed = any(c.isascii() and c.isalpha() for c in word)
        letters += [(c, mixed) for c in word if c.isalpha() and not c.isascii()]
    if not letters:
        return "English", 1.0
    return max(
        (
            (
                lang,
                sum(c in alphabet and not (mixed and lang in _NON_LATIN) for c, mixed in letters)
                / len(letters),
            )
            for lang, alphabet in _ALPHABET_SETS.items()
        ),
        key=lambda pair: pair[1],
    )


def _readings(raw: bytes) -> list[_Reading]:
    from charset_normalizer.cd import coherence_ratio
    from charset_normalizer.md import mess_ratio

    readings = []
    for codec in CODE_PAGES:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        sample = text[:SAMPLE_CHARS]
        language, fit = _alphabet_fit(sample)
        guesses = {lang for lang, _ in coherence_ratio(sample)[:3]}
        cyrillic = {"Russian", "Bulgarian", "Ukrainian", "Serbian", "Macedonian", "Belarusian"}
        coherent = language in guesses or (language == "Cyrillic" and bool(guesses & cyrillic))
        mess = mess_ratio(sample, 1.0)
        readings.append(_Reading(codec, text, language, fit, mess, coherent))
    return readings
