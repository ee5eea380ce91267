"""PII detection on Presidio, fully offline, models loaded once and shared.

The spaCy pipelines are loaded by path from the model directory (never by
package name, so Presidio has no reason to download one); only the components
NER needs run. English (``en_core_web_sm``) runs on every text; French sentences
(told by their function words) are read by ``fr_core_news_sm`` instead, loaded
the first time one is seen (an English-only site never loads it; a site without
its files keeps the English model there, with a warning logged once). tldextract,
which Presidio's stock e-mail recognizer would use, is pointed at its bundled
suffix list before anything can call it.

Long texts are analysed in windows cut at paragraph, sentence or word
boundaries, so memory stays bounded and offsets stay exact.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import replace
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING

from appliance.errors import ModelError
from appliance.models import SPACY_FR_DIR
from appliance.privacy.entities import ENTITY_TYPES, TITLES, DenyRule, Entity
from appliance.privacy.lexicon import zipf
from appliance.privacy.names import (
    CALENDAR_ABBREVIATIONS,
    CONTEXT,
    NOT_NAMES,
    PARTICLES,
    PersonNameRecognizer,
    ambiguous_names,
    calendar_run,
    is_capitalised,
    name_context,
    name_lists,
    not_a_person_around,
    office,
    sentence_language,
    stop_words,
    stop_words_by_language,
    strip_possessive,
    written_in_lower_case,
)
from appliance.privacy.places import RESIDENCE, WEAK_NAME, PlaceRecognizer, town_runs
from appliance.privacy.recognizers import build_recognizers

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine, RecognizerResult
    from presidio_analyzer.nlp_engine import NerModelConfiguration

log = logging.getLogger(__name__)

WINDOW_CHARS = 8000
# Windows whose entities are remembered (digest and spans only, a few hundred bytes
# each): a chat's earlier turns and shared prompts are not read again.
READ_CACHE_PIECES = 4096
DEFAULT_THRESHOLD = 0.5
# Components of en_core_web_sm that named-entity recognition does not need: its NER
# has its own tok2vec, so the shared one and the tagger and attribute ruler that
# read it only cost time (a third of the detector's, with the same entities on
# 1,423 texts: dev5, man pages in five languages, the samples, the GDPR; RESULTS §6).
_SPACY_EXCLUDE = ["parser", "lemmatizer", "senter", "tok2vec", "tagger", "attribute_ruler"]
# fr_core_news_sm's NER has its own tok2vec: nothing else is needed (the French engine
# runs the model's recognizer only, which reads no lemma, tag or parse).
_SPACY_FR_EXCLUDE = [
    "tok2vec",
    "morphologizer",
    "parser",
    "senter",
    "attribute_ruler",
    "lemmatizer",
]
# Presidio's types for the models' labels: en_core_web_sm's PERSON, GPE and LOC,
# fr_core_news_sm's PER and LOC. Every other label (ORG, fr's MISC...) is dropped.
_NER_TYPES = {"PERSON": "PERSON", "PER": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION"}
_NER_IGNORED = [
    "ORG", "NORP", "FAC", "DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY",
    "PERCENT", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE", "MISC",
]  # fmt: skip
# "Saint Louis", "Sainte Marie", "Général Leclerc", "Maréchal Foch": the French model
# tags them PER; in ordinary French text they name a hospital, parish, school, street
# or town after a saint or a soldier.
_SAINT = re.compile(
    r"(?:Saint|Sainte|St|Ste|Général|Maréchal|Amiral|Colonel|Commandant)\.?[\s-]", re.I
)
_LEADING_TITLE = re.compile(
    r"^(?:(?:" + "|".join(re.escape(t) for t in TITLES) + r")\.?\s+)+", re.I
)


# Code, not words: an identifier with two inner capitals ("ComplexUnitsConverter"), or
# one followed by "::", "(" or ".name" ("Converter::apply", "Parser()", "Config.load").
_CAMEL = re.compile(r"[a-z][A-Z].*[a-z][A-Z]")
_CODE_AFTER = re.compile(r"::|\(|\.[a-z_]")


# Particles that open a surname and are English words too ("mr mac an t-saoir").
_NAME_HEADS = PARTICLES | {"mac", "mc", "nic", "ni", "ní", "o", "ó", "ua", "ap", "fitz"}


def _code_word(piece: str, start: int, end: int) -> bool:
    value = piece[start:end]
    if " " in value.strip():
        return False
    return _CAMEL.search(value) is not None or _CODE_AFTER.match(piece, end) is not None


def _offline_tldextract() -> None:
    """Presidio's stock e-mail and URL recognizers call ``tldextract.extract``, which
    fetches the public-suffix list on first use. Point it at the bundled snapshot."""
    import tldextract

    # Replaces the module's function with a callable instance taking the same arguments,
    # which its declared type cannot express.
    tldextract.extract = tldextract.TLDExtract(  # type: ignore[assignment]
        suffix_list_urls=(), cache_dir=None
    )


def windows(text: str, size: int = WINDOW_CHARS) -> Iterator[tuple[int, str]]:
    """(offset, piece) covering ``text``, cut at the best boundary in each piece's tail."""
    start = 0
    n = len(text)
    while start < n:
        end = min(n, start + size)
        if end < n:
            tail_from = start + size // 2
            for boundary in ("\n\n", "\n", ". ", " "):
                cut = text.rfind(boundary, tail_from, end)
                if cut != -1:
                    end = cut + len(boundary)
                    break
        yield start, text[start:end]
        start = end


def _resolve(text: str, entities: list[Entity]) -> list[Entity]:
    """One entity per stretch of text: same-type overlaps merge; of two types that
    overlap, the better keeps its span and the other keeps only what lies outside it,
    so no part of either is left in clear ("te Zwolle aan de Thorbeckegracht 56": the
    town and the street after it). Offsets into ``text``."""
    ordered = sorted(entities, key=lambda e: (e.start, -(e.end - e.start), -e.score))
    out: list[Entity] = []
    for found in ordered:
        # After a kept tail, what lies inside the detection before it is covered already.
        e: Entity | None = found
        if len(out) > 1 and found.start < out[-2].end:
            e = _trimmed(text, replace(found, start=out[-2].end))
        if e is None:
            continue
        if out and e.start < out[-1].end:
            prev = out[-1]
            if e.type == prev.type:
                out[-1] = replace(prev, end=max(prev.end, e.end), score=max(prev.score, e.score))
            elif e.end <= prev.end:
                pass  # inside a longer detection (a town name inside an address)
            elif (e.score, e.end - e.start) > (prev.score, prev.end - prev.start):
                head = _trimmed(text, replace(prev, end=e.start))
                out[-1:] = [head, e] if head else [e]
            else:
                tail = _trimmed(text, replace(e, start=prev.end))
                if tail:
                    out.append(tail)
            continue
        out.append(e)
    return out


def _trimmed(text: str, e: Entity) -> Entity | None:
    """``e`` without the spaces and punctuation at its ends; None when nothing that is a
    letter or a digit is left."""
    value = text[e.start : e.end]
    lead = len(value) - len(value.lstrip(_EDGE))
    trail = len(value) - len(value.rstrip(_EDGE))
    if not any(c.isalnum() for c in value):
        return None
    return replace(e, start=e.start + lead, end=e.end - trail)


_EDGE = " \t\r\n,;:.·|()[]\"'“”‘’«»-–—/"


# A run that starts with an article is a thing ("Der Jahresbericht", "El pleno").
_ARTICLES = frozenset(
    (
        "the", "der", "die", "das", "den", "dem", "des", "el", "la", "le", "les", "los", "las",
        "il", "lo", "gli", "het", "een",
    )
)  # fmt: skip


_PLACE_PREPOSITION = re.compile(
    r"(?<!\w)(?:in|to|from|at|near|outside|à|au|en|de|nach|aus|bei|a|da|di|naar|uit|te|w|we|z|"
    r"do|koło)\s+$",
    re.I,
)


def _tied_place(piece: str, start: int, end: int, people: list[tuple[int, int]]) -> bool:
    """The model's place is tied to a person when a person is named in the same sentence
    and a preposition of place stands right before it ("Anna Kowalska, now in Zwolle")."""
    value = piece[start:end]
    if not value[:1].isupper() or any(c.isdigit() for c in value):
        return False
    if value.lower() in NOT_NAMES or value.lower().rstrip(".") in TITLES:
        return False
    if not _PLACE_PREPOSITION.search(piece[max(0, start - 12) : start]):
        return False
    sentence_start = max(piece.rfind(". ", 0, start), piece.rfind("\n", 0, start)) + 1
    sentence_end = min(
        (i for i in (piece.find(". ", end), piece.find("\n", end)) if i != -1), default=len(piece)
    )
    return any(sentence_start <= a and b <= sentence_end + 1 for a, b in people)


def _sentence(piece: str, start: int, end: int) -> str:
    """The sentence (or line) of ``piece`` that holds ``piece[start:end]``."""
    begin = max(piece.rfind(". ", 0, start), piece.rfind("\n", 0, start)) + 1
    stops = [i for i in (piece.find(". ", end), piece.find("\n", end)) if i != -1]
    return piece[begin : min(stops, default=len(piece))]


# The writer speaking of themselves ("We moved from Malton", "Ich wohne seit Jahren in").
_FIRST_PERSON = re.compile(
    r"(?<![\w'’])(?:(?-i:I)|my|ich|mein\w*|je|j['’]|mon|ma|io|yo|ik|mijn|ja|mój|moja|moje)(?![\w'’])",
    re.I,
)
# A person named by what they are to the writer ("Pacjent wrócił do Radomia", "the
# patient moved back to Oban"): a move in the same sentence is that person's.
_PERSON_NOUN = re.compile(
    r"(?<!\w)(?:patient|patientin|patiënte?|paziente|paciente|pacjent(?:a|owi|em|ka|ki|ce|kę|ką)?|"
    r"klient(?:a|owi|em|ka|ki|ce|kę|ką)?|kundin|client|cliente|klant)(?!\w)",
    re.I,
)
# After a person's name, where they come from or live: "Frau Otto aus Celle", "Ana Ruiz
# desde Toledo", "Jan de Vries uit Zwolle", "z Anną Nowak z Ełku", "Pierre Martin, de Dinan".
_AFTER_PERSON = re.compile(
    r"(?:['’]s)?(?:\s+(?:aus|from|uit|z|ze|da|di|desde)"
    r"|\s*,\s*(?:(?:a|an|the|ein|eine|un|une|uno|una|een)\s+(?:[^\W\d_]+\s+){0,3}?)?"
    r"(?:de|d['’]|from|aus|da|desde|uit|z))\s+"
)


def _places_after_people(piece: str, people: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for _start, end in people:
        m = _AFTER_PERSON.match(piece, end)
        if m is None:
            continue
        span = PlaceRecognizer._place_at(piece, m.end())
        if span is not None and not any(a <= span[0] < b for a, b in people):
            out.append(span)
    return out


# A preposition of place (or a phrase for "near" or a town's surroundings) before a
# capitalised run: in a sentence about a person, where that person comes from, lives,
# works or stays ("drove over from Cockermouth", "commutes from Buxton", "è venuto in
# macchina da Pordenone", "trabaja media jornada cerca de Betanzos", "pracuje niedaleko
# Nowego Targu", "transferred from the hospital in Helmsley", "l'hôpital de Lannion").
# Not "to", "at", "de", "di", "van", "von" alone: they open objects and genitives more
# often than places ("wrote to Finance", "la Ley de Consumidores").
_NEAR_PLACE = re.compile(
    r"(?:(?<![\w'’])(?:in\s+der\s+nähe\s+von|in\s+der\s+gegend\s+um|près\s+de|du\s+côté\s+de|"
    r"vicino\s+a|dalle\s+parti\s+di|cerca\s+de|(?:por\s+)?la\s+zona\s+de|"
    r"in\s+de\s+(?:buurt|omgeving)\s+van|w\s+okolicach|from|in|near|outside|aus|bei|nahe|à|"
    r"depuis|da|desde|uit|vanuit|bij|w|we|z|ze|pod|spod|koło|niedaleko)"
    r"|(?<!\w)(?:hospital|hôpital|ospedale|krankenhaus|ziekenhuis|szpitala?)\s+"
    r"(?:de|d['’]|di|in|van|w|we))\s+",
    re.I,
)
# "a" is Italian and Spanish "to", "at", "in" ("casa mia a Pordenone", "vuelto a vivir a
# Laredo") but the English article ("bought a Honda"); "en" is French and Spanish "in"
# but Dutch "and" ("Ria Smeets en Femmy ten Hove"): only outside English and Dutch
# sentences.
_NEAR_PLACE_A = re.compile(r"(?<![\w'’])(?:a|en)\s+", re.I)
# Pronouns and possessives of a third person: a sentence holding one speaks of someone
# named before it ("... to Dawn Pilkington. She is with her son in Helmsley").
_THIRD_PERSON = re.compile(
    r"(?<![\w'’])(?:she|he|her|his|him|sie|er|ihr\w*|sein\w*|elle|lui|sa|son|ses|lei|suo|sua|"
    r"ella|él|su|sus|ze|zij|hij|haar|ona|jej|jego|"
    # Kin, whom a sentence without a pronoun stays with ("Sta dal figlio a Ragusa").
    r"son|daughter|sister|brother|parents|sohn|tochter|schwester|bruder|eltern|fils|fille|"
    r"sœur|frère|figlio|figlia|sorella|fratello|genitori|hijo|hija|hermana|hermano|padres|"
    r"zoon|dochter|zus|broer|ouders|syna?|córki|córka|siostry|brata|rodziców)(?![\w'’])",
    re.I,
)


def _sentence_bounds(piece: str, start: int, end: int) -> tuple[int, int]:
    """(start, end) of the sentence (or line) of ``piece`` holding ``piece[start:end]``."""
    begin = max(piece.rfind(". ", 0, start), piece.rfind("\n", 0, start)) + 1
    stops = [i for i in (piece.find(". ", end), piece.find("\n", end)) if i != -1]
    return begin, min(stops, default=len(piece))


def _places_near_people(piece: str, people: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Capitalised runs after a preposition of place (``_NEAR_PLACE``) in a sentence about
    a person: one that names a person, or one whose subject is a person's noun ("la
    paciente"), or one with a third person's pronoun or kin where the text names a
    person. The run is :meth:`PlaceRecognizer._place_at`'s (no institution, no branch, no
    month); (start, end) offsets into ``piece``."""
    out: list[tuple[int, int]] = []
    if not people and not _PERSON_NOUN.search(piece):
        return out  # no sentence about a person: nothing to look for
    starts = {m.end(): False for m in _NEAR_PLACE_A.finditer(piece)}
    starts.update((m.end(), True) for m in _NEAR_PLACE.finditer(piece))
    for pos, any_language in sorted(starts.items()):
        span = PlaceRecognizer._place_at(piece, pos)
        if span is None or any(a < span[1] and span[0] < b for a, b in people):
            continue
        begin, stop = _sentence_bounds(piece, span[0], span[1])
        sentence = piece[begin:stop]
        if not any_language and sentence_language(sentence) in ("en", "nl"):
            continue
        if _about_person(sentence, begin, stop, people):
            out.append(span)
    return out


def _about_person(sentence: str, begin: int, stop: int, people: list[tuple[int, int]]) -> bool:
    """Whether the sentence ``piece[begin:stop]`` speaks of a person: it names one, its
    subject is a person's noun, or it holds a third person's pronoun or kin where the
    text names a person."""
    named = any(begin <= a and b <= stop + 1 for a, b in people)
    # The person's noun as the sentence's subject, its first or second word ("La
    # paciente vive ...", "Patiënte woont ..."), not "Punkt obsługi klienta w Mielcu".
    subject = _PERSON_NOUN.search(" ".join(sentence.split()[:2]))
    return bool(named or subject or (people and _THIRD_PERSON.search(sentence)))


# A town that is also a common word ("Reading", "Bath", "Nice", "Hope", "Leer"), a
# first name ("Florence", "Adelaide"), a month or a day ("Jun", "Mon"), or three letters
# at most ("Ely", "Oss") counts only after a preposition of place. Common: this Zipf
# frequency or more in the sentence's language or in English; wordfreq folds case, so a
# town's own mentions count too ("Zwolle" is 4.5 in Dutch, "Ragusa" 3.8 in Italian: those
# need their preposition). A higher limit (4.6) let in labels ("Postal address") and
# German nouns ("Hof", "Essen"). Lower at a sentence's start, where every word is
# capitalised.
COMMON_TOWN_ZIPF = 3.5
COMMON_TOWN_ZIPF_FIRST_WORD = 3.0


def _common_word(run: str, language: str, first_word: bool) -> bool:
    first, _last = name_lists()
    words = run.lower().split()
    if len(words) == 1 and (words[0] in first or len(words[0]) <= 3):
        return True
    if any(w.rstrip(".") in CALENDAR_ABBREVIATIONS for w in words):
        return True
    limit = COMMON_TOWN_ZIPF_FIRST_WORD if first_word else COMMON_TOWN_ZIPF
    return any(max(zipf(w, language), zipf(w, "en")) >= limit or w in NOT_NAMES for w in words)


def _gazetteer_places(
    piece: str, people: list[tuple[int, int]], taken: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Towns the gazetteer knows (:func:`places.town_runs`) wherever they stand in a
    sentence about a person (:func:`_about_person`, or one with a third person's subject
    pronoun or a phrase of residence): "qui habite Aurillac depuis 1978", "pendelt
    zwischen Nordhorn und Lingen". A town that is also a common word or a first name
    counts only after a preposition of place. Runs inside ``taken`` (names, numbers
    found) are skipped."""
    out: list[tuple[int, int]] = []
    begin = 0
    for m in _SENTENCE_END.finditer(piece + "\n"):
        stop = m.start()
        sentence = piece[begin:stop]
        start_of_sentence = begin
        begin = m.end()
        if not sentence.strip():
            continue
        if not (
            _about_person(sentence, start_of_sentence, stop, people)
            or _subject_pronoun(sentence)
            or RESIDENCE.search(sentence)
        ):
            continue
        language = ""
        for a, b in town_runs(piece, start_of_sentence, stop):
            if any(s < b and a < e for s, e in taken):
                continue
            if any(_AND_BEFORE.fullmatch(piece[e:a]) for _s, e in people if e <= a):
                continue  # "between North Hazel and Harwell": two places, not a person's
            language = language or sentence_language(sentence)
            before = piece[max(0, a - 30) : a]
            after_preposition = bool(
                _PLACE_PREPOSITION.search(before[-12:])
                or _NEAR_PLACE_END.search(before)
                or _BETWEEN.search(before)
                or (out and _AND_BEFORE.fullmatch(piece[out[-1][1] : a]))
            )
            first_word = not piece[start_of_sentence:a].strip(" \t\"'“‘(¿¡-")
            if not after_preposition and _common_word(piece[a:b], language, first_word):
                continue  # "Nice to meet you, Ann", "Mark Florence as read"
            out.append((a, b))
    return out


# A third person as a sentence's subject: a person by themselves ("elle s'est installée
# à ...", "she is staying with ..."), in the sentence's own language; not "il", "er",
# "sie", "su", which also stand for things, nor words that are pronouns in one language
# and something else in another: Spanish "he" (I have: "He llamado a Toledo"), German
# "He," (an interjection), Dutch "zij" (she or they), Italian "Lei" (the polite you).
_SUBJECT_PRONOUNS = {
    "en": re.compile(r"(?<![\w'’])(?:she|he)(?![\w'’])", re.I),
    "fr": re.compile(r"(?<![\w'’])elle(?![\w'’])", re.I),
    "es": re.compile(r"(?<![\w'’])(?:ella|él)(?![\w'’])", re.I),
    "nl": re.compile(r"(?<![\w'’])hij(?![\w'’])", re.I),
    "pl": re.compile(r"(?<![\w'’])ona(?![\w'’])", re.I),
}


def _subject_pronoun(sentence: str) -> bool:
    """Whether ``sentence`` holds a third person's subject pronoun of its own language."""
    pattern = _SUBJECT_PRONOUNS.get(sentence_language(sentence))
    return bool(pattern and pattern.search(sentence))


# A conjunction joining a town to a name: the name was a place too.
_AND_BEFORE = re.compile(r"\s+(?:and|und|et|e|y|en|i|oraz)\s+", re.I)
# Between two towns ("pendelt zwischen Nordhorn und Lingen"); the second of two towns
# joined by a conjunction counts as the first did.
_BETWEEN = re.compile(r"(?<!\w)(?:between|zwischen|entre|tra|fra|tussen|między)\s+$", re.I)
# _NEAR_PLACE's prepositions, right before a run.
_NEAR_PLACE_END = re.compile(r"(?:" + _NEAR_PLACE.pattern + r")$", re.I)


_ORIGIN = re.compile(r"\s+(?:aus|from|uit|da|desde|z|ze)\s+")


def _without_origin(value: str) -> str:
    """The model's "Gianni Moretti da Gubbio" is Gianni Moretti, from Gubbio: a full name
    (its last word a known surname, not a first name) ends before "da", "aus", "uit"..."""
    m = _ORIGIN.search(value)
    if m is None:
        return value
    words = value[: m.start()].split()
    first, last = name_lists()
    tail = words[-1].lower() if words else ""
    return value[: m.start()] if len(words) >= 2 and tail in last and tail not in first else value


def _plausible_person(value: str) -> bool:
    """Drop what the small NER model tags as a person but is not one."""
    if any(c.isdigit() for c in value) or "@" in value:
        return False
    words = re.findall(r"[^\W\d_]+", value)
    if not words or calendar_run(words):
        return False  # "Sat Jun": a date
    if value.islower():
        # "marek nowak": lower case is a name only if every word is a known name and
        # none is a function word.
        first, last = name_lists()
        common = stop_words() | NOT_NAMES
        return (
            len(words) >= 2
            and words[0] in first
            and all(w in last for w in words[1:])
            and not any(w in common for w in words)
        )
    if len(words) == 1 and (value.isupper() or len(value) <= 2 or not is_capitalised(value)):
        return False
    if words[0].lower() in _ARTICLES or any(w.lower() in TITLES for w in words[1:]):
        return False  # "Der Jahresbericht", "Estimada Sra"
    odd = [w for w in words if w.lower() in NOT_NAMES]
    if odd:
        # Only words that are also names ("Brenda Page"), beside a known name.
        first, last = name_lists()
        known = [w for w in words if w.lower() in first or w.lower() in last]
        if len(words) < 2 or not known or any(w.lower() not in ambiguous_names() for w in odd):
            return False
    if words[0].islower():  # "de Segovia", "van Nieuwerkerk" without a title
        return False
    return all(is_capitalised(w) or w.lower() in PARTICLES for w in words)


class PiiDetector:
    """Finds personal data in text. Thread-safe; build one per process and share it.

    ``spacy_path`` is the English pipeline's folder (``spacy/en_core_web_sm``; a
    :class:`ModelError` names the fix when it is missing). ``french_path`` is the
    French one's (default: ``spacy/fr_core_news_sm`` beside it); it is loaded on the
    first French sentence, and when it is missing or unreadable French text keeps the
    English model (a warning is logged once, nothing is raised).
    """

    def __init__(
        self,
        spacy_path: Path,
        french_path: Path | None = None,
        *,
        remember: int = READ_CACHE_PIECES,
    ) -> None:
        """``remember``: how many windows' results to keep (0: read every text anew,
        as a benchmark of the reading itself must)."""
        if not (spacy_path / "config.cfg").is_file():
            raise ModelError(
                f"the PII model (spaCy en_core_web_sm) is missing from {spacy_path}; "
                "run `appliance models install` (or `make models`)."
            )
        _offline_tldextract()
        import spacy
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
        from presidio_analyzer.predefined_recognizers import SpacyRecognizer

        nlp_engine = SpacyNlpEngine(
            models=[{"lang_code": "en", "model_name": str(spacy_path)}],
            ner_model_configuration=_ner_configuration(),
        )
        # Loaded here by path, with only what NER needs; Presidio's own load() would
        # load every component (and download a model it cannot find by name).
        # Presidio declares nlp None until its own load() fills it.
        english = spacy.load(spacy_path, exclude=_SPACY_EXCLUDE)
        nlp_engine.nlp = {"en": english}  # type: ignore[assignment]
        # The English model's vocabulary as shipped (the words of its training text,
        # lower-cased): what tells "the ms folder" (words of English after a lower-case
        # title) from "mr o'dwyer". A copy: spaCy adds every word it reads to the live
        # store.
        self._vocabulary = frozenset(
            w for w in english.vocab.strings if w.isalpha() and w.islower()
        )
        registry = RecognizerRegistry(supported_languages=["en"])
        registry.add_recognizer(SpacyRecognizer(supported_entities=["PERSON", "LOCATION"]))
        for recognizer in build_recognizers():
            registry.add_recognizer(recognizer)
        self._engine = AnalyzerEngine(
            nlp_engine=nlp_engine, registry=registry, supported_languages=["en"]
        )
        # Run beside the engine, not in it: Presidio drops a result contained in a
        # higher-scored one of the same type, and the model's spans are often wider
        # than the name ("das Konto von justus löchel") and then filtered out here.
        self._names = PersonNameRecognizer()
        self._places = PlaceRecognizer()
        self._lock = threading.Lock()
        # What _analyze_piece read, by the window's digest and entity list (LRU).
        self._read: OrderedDict[tuple[bytes, tuple[str, ...]], tuple[Entity, ...]] = OrderedDict()
        self._read_lock = threading.Lock()
        self._remember = remember
        root = spacy_path.parent.parent  # the model directory
        self._french_path = french_path or root / SPACY_FR_DIR
        self._french: AnalyzerEngine | None = None
        self._french_tried = False

    def _french_engine(self) -> AnalyzerEngine | None:
        """The French NER engine, loaded on first use; None (and a warning, once) when
        its files are missing or cannot be loaded. Call with ``self._lock`` held."""
        if self._french_tried:
            return self._french
        self._french_tried = True
        path = self._french_path
        if not (path / "config.cfg").is_file():
            log.warning(
                "the French PII model (spaCy fr_core_news_sm) is missing from %s: French "
                "text is read by the English model; run `appliance models install`",
                path,
            )
            return None
        try:
            self._french = _french_engine(path)
        except Exception as exc:  # any load failure keeps the English path
            log.warning(
                "the French PII model in %s could not be loaded (%s: %s): French text is "
                "read by the English model; run `appliance models verify`",
                path,
                type(exc).__name__,
                exc,
            )
        return self._french

    def analyze(
        self,
        text: str,
        entities: Iterable[str] | None = None,
        thresholds: dict[str, float] | None = None,
        allow: Iterable[str] = (),
        deny: Iterable[DenyRule] = (),
    ) -> list[Entity]:
        """Entities in ``text`` (offsets into it), best first per stretch of text."""
        wanted = sorted(set(entities) if entities is not None else ENTITY_TYPES)
        known = [e for e in wanted if e in ENTITY_TYPES]
        thresholds = thresholds or {}
        found: list[Entity] = []
        if known and text.strip():
            for offset, piece in windows(text):
                found += self._analyze_piece(piece, offset, known)
        found = self._extend_names(text, found) if "PERSON" in known else found
        for rule in deny:
            found += [Entity(rule.type, s, e, rule.score, "deny-list") for s, e in rule.find(text)]
        found = [f for f in found if f.score >= thresholds.get(f.type, DEFAULT_THRESHOLD)]
        found = _drop_allowed(text, found, allow)
        return _resolve(text, found)

    def _analyze_piece(self, piece: str, offset: int, entities: list[str]) -> list[Entity]:
        """The entities of one window (offsets into the whole text, ``offset`` being
        the window's), read once per distinct window and entity list: the result
        depends on nothing else, and the same text comes back often (a chat re-sends
        its earlier messages with every turn, each request carries the same system
        prompt). Only a digest of the text and the spans are kept, in memory."""
        key = (
            hashlib.blake2b(piece.encode("utf-8", "surrogatepass"), digest_size=16).digest(),
            tuple(entities),
        )
        with self._read_lock:
            found = self._read.get(key)
            if found is not None:
                self._read.move_to_end(key)
        if found is None:
            found = tuple(self._read_piece(piece, entities))
            with self._read_lock:
                self._read[key] = found
                while len(self._read) > self._remember:
                    self._read.popitem(last=False)
        return [replace(e, start=e.start + offset, end=e.end + offset) for e in found]

    def warm(self) -> None:
        """Load now what the first analysis would otherwise load on the way: the French
        pipeline, the gazetteer (1–1.5 s on 2 cores), the word-frequency and name lists.
        Reads two made-up sentences, never from the remembered windows (a second start in
        the same process reads them again); safe beside requests (a request that needs the
        gazetteer meanwhile waits for this read rather than starting its own). Raises
        what ``analyze`` raises."""
        for text in _WARM_TEXTS:  # read anew, not from the windows remembered
            for _offset, piece in windows(text):
                self._read_piece(piece, sorted(ENTITY_TYPES))

    def forget(self) -> None:
        """Forget every window read (the next analysis reads its text anew)."""
        with self._read_lock:
            self._read.clear()

    def _read_piece(self, piece: str, entities: list[str]) -> list[Entity]:
        """The entities of one window, offsets into it."""
        if not piece.strip():
            return []
        french = _french_runs(piece) if {"PERSON", "LOCATION"} & set(entities) else []
        # Which model's language each model result is in (French results by id).
        from_french: set[int] = set()
        with self._lock:  # spaCy pipelines are not safe to share across threads
            results = self._engine.analyze(text=piece, language="en", entities=entities)
            engine = self._french_engine() if french else None
            if engine is not None:
                # The French model reads the French sentences instead of the English one.
                results = [r for r in results if not _model_result_in(r, french)]
                for a, b in french:
                    for r in _french_results(engine, piece[a:b], entities):
                        r.start += a
                        r.end += a
                        from_french.add(id(r))
                        results.append(r)
        results += self._names.analyze(piece, entities)
        results += self._places.analyze(piece, entities)
        out = []
        model_places = []
        weak_places = []
        for r in results:
            value = piece[r.start : r.end]
            source = (r.recognition_metadata or {}).get("recognizer_name", "")
            if r.entity_type in ("PERSON", "LOCATION") and _code_word(piece, r.start, r.end):
                continue  # "ComplexUnitsConverter::applyRounder()": code, not a town
            if r.entity_type == "PERSON" and self._lower_english(value):
                continue  # "the ms subdirectory": words, not a name
            model_language = "fr" if id(r) in from_french else "en"
            start, end, score = r.start, r.end, r.score
            if r.entity_type == "LOCATION" and source == "SpacyRecognizer":
                model_places.append(r)  # judged below, once the people are known
                continue
            if r.entity_type == "LOCATION" and source == WEAK_NAME:
                weak_places.append(r)  # a move or a return: an office moves too
                continue
            if r.entity_type == "PERSON" and source == "SpacyRecognizer":
                value = _without_origin(strip_possessive(value))  # "Thistlewood's"
                end = start + len(value)
                if not _plausible_person(value) or not self._known_single(value):
                    continue
                if not_a_person_around(piece, start, end):
                    continue  # "The Rose Room", "la oficina de Medina del Campo"
                if model_language == "fr" and _SAINT.match(value):
                    continue  # a place named after a saint or a soldier
                if not any(name_context(piece, r.start)):
                    if len(value.split()) == 1:
                        # One word from the model alone ("use Mark as read"): below the
                        # threshold of every shipped policy.
                        score = min(score, 0.5)
                    elif not self._has_known_name(value):
                        # The model alone, with no known first or last name in the span,
                        # is one weak signal ("Ihre Steueridentifikationsnummer"): below
                        # the default threshold, at the healthcare policy's (0.55); none
                        # at all after a preposition of place ("w miejscowości Stargard
                        # Szczeciński") or from a function word ("Welche Frist").
                        if (
                            value.split()[0].lower() in stop_words()
                            or _PLACE_PREPOSITION.search(piece[max(0, r.start - 12) : r.start])
                            or sentence_language(_sentence(piece, r.start, r.end)) != model_language
                        ):
                            # The English model in German or Polish text tags capitalised
                            # nouns ("Unstimmigkeiten der Buchhaltung"): no signal there.
                            continue
                        score = min(score, 0.55)
                words = value.split(" ")
                if len(words) > 1 and words[0].lower() in CONTEXT:
                    start += len(words[0]) + 1  # "Geachte Tjeerd Wiersma": the salutation
                    value = value[len(words[0]) + 1 :]
                title = _LEADING_TITLE.match(value)
                if title and office(value[title.end() :].split()):
                    continue  # "Monsieur le Maire": a title and an office
                if title and title.end() < len(value):
                    start += title.end()  # "Dr Kowalski" is Kowalski: one placeholder for both
            out.append(Entity(r.entity_type, start, end, score, source))
        people = [  # the model's names alone (0.55) count: "Has Ann Loxley moved to Oban?"
            (e.start, e.end) for e in out if e.type == "PERSON" and e.score >= 0.55
        ]
        for r in model_places:
            if _tied_place(piece, r.start, r.end, people):
                out.append(Entity("LOCATION", r.start, r.end, 0.6, "model-place"))
        for r in weak_places:
            sentence = _sentence(piece, r.start, r.end)
            if people or _FIRST_PERSON.search(sentence) or _PERSON_NOUN.search(sentence):
                out.append(Entity("LOCATION", r.start, r.end, 0.6, WEAK_NAME))
        for a, b in _places_after_people(piece, people):
            out.append(Entity("LOCATION", a, b, 0.6, "place-after-person"))
        if "LOCATION" in entities:
            for a, b in _places_near_people(piece, people):
                out.append(Entity("LOCATION", a, b, 0.6, "place-near-person"))
            taken = [(e.start, e.end) for e in out if e.type != "LOCATION"]
            for a, b in _gazetteer_places(piece, people, taken):
                out.append(Entity("LOCATION", a, b, 0.6, "place-in-gazetteer"))
        return out

    def _lower_english(self, value: str) -> bool:
        """A name in lower case made only of English words no name list holds: "ms" or
        "mr" before an ordinary word ("The ms subdirectory", "add a new commit into the
        MR instead"), not "mr o'dwyer" or "mrs green"."""
        if not value.islower():
            return False
        first, last = name_lists()
        words = re.findall(r"[^\W\d_]+", value)
        return all(
            w in self._vocabulary and w not in first and w not in last and w not in _NAME_HEADS
            for w in words
        )

    @staticmethod
    def _has_known_name(value: str) -> bool:
        first, last = name_lists()
        parts = [p for w in value.lower().split() for p in re.split(r"[-'’]", w) if p]
        return any(p in first or p in last for p in parts)

    def _known_single(self, value: str) -> bool:
        """A lone capitalised word is a name only if it is a known first or last name
        (the small model tags sentence-initial words: "Backups run at 02:00")."""
        words = value.split()
        if len(words) > 1:
            return True
        first, last = name_lists()
        return words[0].lower() in first or words[0].lower() in last

    @staticmethod
    def _extend_names(text: str, found: list[Entity]) -> list[Entity]:
        """Other mentions of a name already found ("Dr Szczepanski" after "Bartholomew
        Szczepanski") are the same person."""
        parts: set[str] = set()
        for e in found:
            if e.type == "PERSON" and e.score >= 0.6:
                for word in re.findall(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", text[e.start : e.end]):
                    if (
                        len(word) >= 3
                        and is_capitalised(word)
                        and word.lower() not in PARTICLES
                        # "the", "member" in lower case too: an ordinary word that a
                        # mis-detected span ("The Board", "Member State") swept in
                        and not written_in_lower_case(word, text)
                    ):
                        parts.add(word)
        if not parts:
            return found
        lowered = {p.lower() for p in parts}
        # Weaker detections of the same name (the model alone, later in the text) count.
        found = [
            Entity(e.type, e.start, e.end, 0.7, e.source)
            if e.type == "PERSON"
            and e.score < 0.7
            and all(w.lower() in lowered for w in text[e.start : e.end].split())
            else e
            for e in found
        ]
        taken = sorted((e.start, e.end) for e in found)
        starts = [s for s, _e in taken]
        reach = list(accumulate((e for _s, e in taken), max))  # the furthest end so far
        pattern = re.compile(
            r"(?<![\w-])(?:"
            + "|".join(map(re.escape, sorted(parts, key=len, reverse=True)))
            + r")(?![\w-])"
        )
        extra = []
        for m in pattern.finditer(text):
            before = bisect_left(starts, m.end())  # the spans that start before it ends
            if before == 0 or reach[before - 1] <= m.start():  # none reaches into it
                extra.append(Entity("PERSON", m.start(), m.end(), 0.7, "name-mention"))
        return found + extra


def _ner_configuration() -> NerModelConfiguration:
    from presidio_analyzer.nlp_engine import NerModelConfiguration

    return NerModelConfiguration(
        model_to_presidio_entity_mapping=_NER_TYPES, labels_to_ignore=_NER_IGNORED
    )


def _french_engine(path: Path) -> AnalyzerEngine:
    """A Presidio engine whose one recognizer is fr_core_news_sm's NER (PERSON from its
    PER, LOCATION from its LOC), loaded by path with the NER component only."""
    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    nlp_engine = SpacyNlpEngine(
        models=[{"lang_code": "fr", "model_name": str(path)}],
        ner_model_configuration=_ner_configuration(),
    )
    nlp_engine.nlp = {"fr": spacy.load(path, exclude=_SPACY_FR_EXCLUDE)}  # type: ignore[assignment]
    registry = RecognizerRegistry(supported_languages=["fr"])
    registry.add_recognizer(
        SpacyRecognizer(supported_language="fr", supported_entities=["PERSON", "LOCATION"])
    )
    return AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=["fr"])


def _french_results(
    engine: AnalyzerEngine, text: str, entities: list[str]
) -> list[RecognizerResult]:
    wanted: list[str] = [e for e in ("PERSON", "LOCATION") if e in entities]
    return engine.analyze(text=text, language="fr", entities=wanted) if wanted else []


def _model_result_in(r: RecognizerResult, spans: list[tuple[int, int]]) -> bool:
    """Whether ``r`` is the English model's and overlaps one of ``spans``."""
    source = (r.recognition_metadata or {}).get("recognizer_name", "")
    return source == "SpacyRecognizer" and any(r.start < b and a < r.end for a, b in spans)


# A sentence ends at ". ", "! ", "? " or a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def _reads_french(sentence: str) -> bool | None:
    """True when ``sentence`` holds at least two French function words and more of them
    than of any other language's; None when it holds fewer than two function words of
    any language (a heading, "M.", "Tenant: Lauren Hussain"), False otherwise. A tie is
    not French: Spanish and Italian share "a", "la", "se", "en", "il" with French."""
    tokens = re.findall(r"[^\W\d_]+", sentence.lower())
    words = stop_words_by_language()
    counts = {lang: sum(t in vocabulary for t in tokens) for lang, vocabulary in words.items()}
    if max(counts.values()) < 2:
        return None
    french = counts.pop("fr")
    return french >= 2 and french > max(counts.values())


def _french_runs(piece: str) -> list[tuple[int, int]]:
    """The stretches of ``piece`` made of French sentences (:func:`_reads_french`). A
    sentence with too few function words to tell takes the language of the sentence
    before it (of the first one that tells, at the start)."""
    spans = []
    begin = 0
    for m in _SENTENCE_END.finditer(piece):
        if m.start() > begin:
            spans.append((begin, m.start()))
        begin = m.end()
    if begin < len(piece):
        spans.append((begin, len(piece)))
    verdicts = [_reads_french(piece[a:b]) for a, b in spans]
    known = [v for v in verdicts if v is not None]
    current = known[0] if known else False
    runs: list[tuple[int, int]] = []
    for (a, b), verdict in zip(spans, verdicts, strict=True):
        current = current if verdict is None else verdict
        if not current:
            continue
        if runs and not piece[runs[-1][1] : a].strip():
            runs[-1] = (runs[-1][0], b)  # the next sentence of the same run
        else:
            runs.append((a, b))
    return runs


def _drop_allowed(text: str, found: list[Entity], allow: Iterable[str]) -> list[Entity]:
    spans = []
    for phrase in allow:
        if phrase:
            spans += [m.span() for m in re.finditer(re.escape(phrase), text, re.I)]
    if not spans:
        return found
    return [f for f in found if not any(s <= f.start and f.end <= e for s, e in spans)]


_shared: dict[Path, PiiDetector] = {}
_shared_lock = threading.Lock()


# What ``PiiDetector.warm`` reads: an English and a French sentence with a name, a town
# and a lower-case word, so that every lazily loaded table is read once.
_WARM_TEXTS = (
    "Ask jo about Mr Example's move to Reading on 0161 496 0000.",
    "Madame Exemple habite à Saint-Flour depuis deux ans.",
)


def shared_detector(spacy_path: Path) -> PiiDetector:
    """One detector per model path per process (the spaCy model takes ~1 s to load)."""
    with _shared_lock:
        if spacy_path not in _shared:
            _shared[spacy_path] = PiiDetector(spacy_path)
        return _shared[spacy_path]


def forget_read() -> None:
    """Empty the remembered windows of every shared detector of this process
    (benchmarks that time the reading of the same text again)."""
    with _shared_lock:
        detectors = list(_shared.values())
    for detector in detectors:
        detector.forget()
