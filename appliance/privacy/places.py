"""Places tied to a person: where someone lives, was born, was admitted, moved to or from.

A town or village on its own is not personal data ("the council meets in the town
hall of Harwell"); tied to a person it is ("Mrs Jones moved to Harwell"), and
HIPAA's Safe Harbor method (45 CFR 164.514(b)(2)(i)(B)) lists every geographic
subdivision smaller than a state among the identifiers to remove. So a place is
detected as ``LOCATION`` only after a phrase that ties it to a person, in seven
languages (residence, birth, admission and discharge, moves, form labels such
as "Wohnort:" or "Domicile :"); places named for an organisation, an office,
a branch or a meeting are left alone.

The place is the run of capitalised words after the phrase (up to four, joined
by spaces, hyphens or connectors such as "del", "sur", "am", "upon":
"Bassano del Grappa", "Saint-Flour", "Frankfurt am Main"), optionally after a
filler ("the farm outside", "a village near", "miejscowości").
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from appliance.privacy.names import NOT_NAMES


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Phrases that tie the place after them to a person (lower-case; regex syntax).
_TRIGGERS = (
    # en
    r"lives?(?:\s+(?:alone|now|still))?", r"living", r"lived", r"resides?", r"residing",
    r"resident",
    r"moved(?:\s+back)?", r"moving", r"relocated(?:\s+back)?", r"relocating", r"settled",
    r"admitted(?:\s+to\s+hospital)?", r"discharged(?:\s+home)?", r"born(?:\s+and\s+raised)?",
    r"raised", r"grew\s+up", r"home", r"comes?\s+from", r"originally\s+from", r"is\s+from",
    r"address", r"domiciled", r"staying", r"place\s+of\s+residence", r"town\s+of\s+residence",
    r"home\s+town", r"hometown",
    # de
    r"wohnt(?:\s+(?:jetzt|seit\s+\d{4}|allein|alleine))*", r"wohne(?:\s+seit\s+\d{4})?",
    r"wohnhaft", r"lebt(?:\s+(?:allein|alleine|jetzt))*",
    r"gezogen", r"zog", r"umgezogen", r"verzogen", r"zieht", r"stammt", r"kommt",
    r"geboren", r"aufgenommen", r"eingeliefert", r"entlassen", r"nach\s+hause", r"wohnort",
    r"wohnsitz",
    # fr
    r"habite", r"habitant", r"domicilié(?:e)?", r"vit(?:\s+seule?)?", r"vivant", r"réside",
    r"résidant(?:e)?", r"demeurant", r"hospitalisée?", r"admise?", r"déménagée?",
    r"née?", r"originaire", r"rentrée?(?:\s+chez\s+(?:elle|lui))?", r"installée?",
    r"quitté", r"domicile",
    # it
    r"residente", r"risiede", r"abita", r"vive(?:\s+da\s+sol[oa])?", r"ricoverat[oa]",
    r"trasferit[oa]", r"nat[oa]", r"domiciliat[oa]", r"dimess[oa]", r"originari[oa]",
    r"tornat[oa]", r"residenza", r"comune\s+di\s+residenza",
    # es
    r"vive(?:\s+sol[oa])?", r"vivo", r"reside", r"resido", r"con\s+domicilio",
    r"domiciliad[oa]", r"ingresad[oa]",
    r"se\s+mudó", r"se\s+trasladó", r"nacid[oa]", r"volvió", r"natural", r"empadronad[oa]",
    r"localidad", r"domicilio",
    # nl
    r"woont(?:\s+(?:alleen|nu|sinds\s+\d{4}))*", r"woon(?:\s+(?:alleen|nu|sinds\s+\d{4}))*",
    r"woonachtig", r"wonend", r"opgenomen",
    r"verhuisd", r"geboren", r"naar\s+huis", r"afkomstig", r"ontslagen", r"woonplaats",
    # pl
    r"mieszka(?:\s+sam[a]?)?", r"mieszkam", r"zamieszkał[aey]?", r"zamieszkania",
    r"przeprowadził[a]?\s+się", r"przeprowadziła\s+się", r"urodził[a]?\s+się", r"urodzon[ya]",
    r"przyjęt[ya](?:\s+do\s+szpitala)?", r"wypisan[ya](?:\s+do\s+domu)?", r"miejscowość",
)  # fmt: skip
# What may stand between the phrase and the place.
_LINK = (
    r"(?:in|at|to|from|near|outside|of|"
    r"in|nach|aus|bei|von|"
    r"à|au|en|de|d'|du|près\s+de|pour|"
    r"a|in|da|di|presso|vicino\s+a|"
    r"en|a|de|cerca\s+de|"
    r"in|te|naar|uit|van|bij|"
    r"w|we|do|z|ze|koło|pod)"
)
_FILLER = (
    r"(?:(?:the|a|an|his|her|their|our|a\s+small|the\s+small)\s+)?"
    r"(?:(?:farm|village|town|hamlet|cottage|house|flat|home|estate|area|outskirts|"
    r"suburbs?|centre|center|city)\s+)?"
)
_PLACE_WORD = r"(?:miejscowości|miejscowość|gmina|gminie|comune\s+di|ville\s+de|gemeente)"
# Who someone lives with, between the phrase and the place: "lives with her son in",
# "vit chez sa fille à", "woont bij haar dochter in", "mieszka z córką w".
_COMPANION = r"(?:with|bei|chez|con|bij|met|z|ze)\s+(?:[^\W\d_]+\s+){1,3}?"
_PHRASE = re.compile(
    r"(?<!\w)(?:" + "|".join(_TRIGGERS) + r")"
    r"(?:\s*[:,]\s*|\s+)"  # "Wohnort: X", "mieszka sam, miejscowość X", "lives in X"
     + r"(?:" + _COMPANION + _FILLER + _LINK + r"\s+)?" + r"(?:" + _FILLER + _LINK + r"\s+)?"
    r"(?:" + _FILLER + _LINK + r"\s+)?"  # "at the farm outside X"
    r"(?:" + _PLACE_WORD + r"\s*:?\s+)?",
    re.I,
)
# A form's label for the place the form's person lives in: "Town: Hexham", "Ville : Dinan".
_LABEL = re.compile(
    r"(?<!\w)(?:town|city|village|home\s+town|ville|ort|stadt|città|ciudad|plaats|miasto|"
    r"gemeinde|commune)\s*:\s*",
    re.I,
)
# A place before a verb that ties it to the person ("der nach Brilon gezogen ist",
# "die in Zwolle werd opgenomen", "Bitte Frau Otto in Hildesheim besuchen").
_BEFORE_VERB = re.compile(
    r"(?<!\w)(?:nach|in|aus|naar|te|a|en|do|w|to)\s+(?P<place>[^\W\d_][\w'’ -]{1,40}?)\s+"
    r"(?:(?:stationär|werd|is|wurde|ist|zijn|è|fue)\s+)?"
    r"(?:gezogen|umgezogen|verzogen|zurückgezogen|zugezogen|aufgenommen|eingeliefert|entlassen|"
    r"besuchen|verhuisd|opgenomen|ontslagen|bezoeken|teruggekeerd|trasferit[oa]|"
    r"ricoverat[oa]|ingresad[oa]|trasladad[oa])(?!\w)",
    re.I,
)
# Verb, then the person, then the place ("si è trasferito Mario Rossi a Chioggia?",
# "¿Cuándo se mudó Ana Ruiz a Toledo?").
_VERB_PERSON_PLACE = re.compile(
    r"(?<!\w)(?:trasferit[oa]|mudó|mudo|trasladó|moved|verhuisd|gezogen)\s+"
    r"(?:[A-ZÀ-ÞŁŚŻŹĆŃÓ][\w'’-]+\s+(?:(?:van|de|der|den|del|di|da|von|ter)\s+)*){1,4}"
    r"(?:a|to|naar|nach|en)\s+",
)
_CONNECTORS = _words(
    "del de la di da am an der im in sur sous lès les le upon on op aan den bei ob y i nad"
)
_WORD = re.compile(r"[^\W\d_][\w'’.]*(?:-[^\W\d_][\w'’]*)*")
# Words that make the run an institution, not a place a person is tied to.
_INSTITUTIONS = _words(
    """
    hospital clinic bank council university college school station court trust centre
    center department ministry office board committee authority agency institute church
    airport hotel restaurant cafe shop market museum library theatre cinema surgery
    pharmacy practice ward room bed floor building block unit suite ltd limited inc plc
    gmbh ag company group infirmary hospice krankenhaus klinik klinikum rathaus hôpital
    clinique mairie ospedale clinica comune hospital ayuntamiento ziekenhuis gemeente szpital
    urząd
    """
)
# Capitalised words that start no place name, or end one ("Harwell in March").
_NOT_PLACES = (NOT_NAMES - _words("north south east west lake river mountain")) | _words(
    """
    i the he she they we his her their our mr mrs ms miss dr herr frau monsieur madame mme
    signor signora sig pan pani mevrouw meneer señor señora sr sra a an
    hause huis casa domicile home
    """
)


class PlaceRecognizer(EntityRecognizer):
    """``LOCATION``: a town, village or region right after a phrase tying it to a person."""

    ENTITY = "LOCATION"
    name: str  # set by Presidio's __init__, which mypy cannot infer it from

    def __init__(self, score: float = 0.85) -> None:
        self.score = score
        super().__init__(
            supported_entities=[self.ENTITY], name="appliance:places", supported_language="en"
        )

    def load(self) -> None:
        pass

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if self.ENTITY not in entities:
            return []
        out = []
        starts = [m.end() for m in _PHRASE.finditer(text)]
        starts += [m.end() for m in _LABEL.finditer(text)]
        starts += [m.start("place") for m in _BEFORE_VERB.finditer(text)]
        starts += [m.end() for m in _VERB_PERSON_PLACE.finditer(text)]
        for begin in sorted(set(starts)):
            span = self._place_at(text, begin)
            if span is None:
                continue
            out.append(
                RecognizerResult(
                    self.ENTITY,
                    span[0],
                    span[1],
                    self.score,
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
        return out

    @staticmethod
    def _place_at(text: str, pos: int) -> tuple[int, int] | None:
        """The run of capitalised words starting at ``pos``: (start, end) or None."""
        start = end = None
        words = 0
        pending_connectors = 0
        while words < 5:
            m = _WORD.match(text, pos)
            if m is None:
                break
            word = m.group().rstrip(".")
            lower = word.lower()
            if lower in _INSTITUTIONS or (
                start is not None and not pending_connectors and lower in NOT_NAMES
            ):
                return None  # "admitted to Leeds General Infirmary": an institution
            if word[:1].isupper() and lower not in _NOT_PLACES:
                start = m.start() if start is None else start
                end = m.start() + len(word)
                words += 1
                pending_connectors = 0
            elif start is not None and lower in _CONNECTORS and pending_connectors < 2:
                pending_connectors += 1
            else:
                break
            gap = re.match(r"[ \u00a0]", text[m.start() + len(word) : m.start() + len(word) + 1])
            if gap is None:
                break
            pos = m.start() + len(word) + 1
        if start is None or end is None:
            return None
        return start, end
