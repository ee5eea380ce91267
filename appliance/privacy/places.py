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

from appliance.privacy.names import NOT_NAMES, recognizer_result

# A word of two or three capitals ("RAM", "SSD", "CPU"): an acronym, not a town. Towns
# typed in capitals are mostly longer ("LYON", "HARWELL" stay places); a three-letter one
# ("lives in ELY") is the price; an address line's town is the address rule's.
_ACRONYM = re.compile(r"[A-Z]{2,3}")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Phrases that tie the place after them to a person (lower-case; regex syntax): where someone
# lives, was born, was admitted or discharged; forms' labels.
_TRIGGERS = (
    # en
    r"lives?(?:\s+(?:alone|now|still))?", r"living", r"lived", r"resides?", r"residing",
    r"resident", r"admitted(?:\s+to\s+hospital)?", r"discharged(?:\s+home)?",
    r"born(?:\s+and\s+(?:raised|brought\s+up))?", r"raised", r"grew\s+up", r"brought\s+up",
    r"home", r"originally\s+from", r"spent\s+(?:his|her|their|my|our)\s+(?:whole\s+)?life",
    r"is\s+from", r"address", r"domiciled", r"staying", r"place\s+of\s+residence",
    r"town\s+of\s+residence", r"home\s+town", r"hometown", r"back\s+home",
    r"place\s+of\s+birth", r"birthplace", r"native\s+of",
    # A person's noun, then where they are from or in ("Klientka z Ostrołęki", "Patient aus
    # Köln", "paciente de Lugo"): the noun is a person.
    r"(?:patient|patientin|patiënte?|paziente|paciente|pacjent|pacjentka|klient|klientka|"
    r"kunde|kundin|klant|cliente|client|cliente)(?=\s+(?:aus|from|uit|da|de|di|desde|z|ze)\s)",
    r"(?:his|her|their|my|our)\s+(?:flat|house|apartment|place|cottage)",
    # de
    r"wohnt(?:\s+(?:jetzt|seit\s+\d{4}|allein|alleine))*", r"wohne(?:\s+seit\s+\d{4})?",
    r"wohnen", r"wohnhaft", r"lebt(?:\s+(?:allein|alleine|jetzt))*", r"lebe", r"stammt",
    r"geboren", r"aufgenommen", r"eingeliefert", r"entlassen", r"nach\s+hause", r"wohnort",
    r"wohnsitz", r"heimgekehrt", r"geburtsort", r"geb\.", r"gemeldet", r"aufgewachsen",
    r"ansässig", r"hauptwohnsitz", r"gebürtig",
    # fr
    r"habite", r"j['’]habite", r"habitons", r"habitant", r"domicilié(?:e)?",
    r"vit(?:\s+seule?)?", r"vis", r"vivant", r"réside", r"résidente?", r"résidant(?:e)?",
    r"demeurant", r"hospitalisée?", r"admise?", r"née?", r"originaire",
    r"rentrée?(?:\s+chez\s+(?:elle|lui))?", r"domicile", r"lieu\s+de\s+naissance",
    r"habite-t-(?:elle|il)(?:\s+toujours)?", r"originaire\s+des\s+environs", r"grandie?",
    r"(?:commune|lieu|ville)\s+de\s+résidence", r"hébergée?", r"logée?",
    # it
    r"resident[ei]", r"risiede", r"abita", r"abito", r"vive(?:\s+da\s+sol[oa])?", r"vivo",
    r"ricoverat[oa]", r"nat[oa]", r"domiciliat[oa]", r"dimess[oa]", r"originari[oa]",
    r"residenza", r"comune\s+di\s+residenza", r"luogo\s+di\s+nascita", r"cresciut[oa]",
    r"originari[oa]\s+della\s+zona", r"ospite",
    # es
    r"vive(?:\s+sol[oa])?", r"reside", r"resido", r"con\s+domicilio", r"domiciliad[oa]",
    r"ingresad[oa]", r"nacid[oa]", r"nació", r"natural", r"empadronad[oa]", r"localidad",
    r"domicilio", r"vecin[oa]", r"lugar\s+de\s+nacimiento", r"viviendo", r"residiendo",
    r"me\s+crié", r"criad[oa]", r"oriund[oa]", r"municipio",
    # nl
    r"woont(?:\s+(?:alleen|nu|sinds\s+\d{4}))*", r"woon(?:\s+(?:alleen|nu|sinds\s+\d{4}))*",
    r"wonen", r"woonde", r"woonachtig", r"wonend", r"opgenomen", r"geboren", r"naar\s+huis",
    r"afkomstig", r"ontslagen", r"woonplaats", r"geboorteplaats", r"opgegroeid", r"ingeschreven",
    r"verblijft", r"wonende", r"oorspronkelijk", r"inwoner(?:ster)?", r"logeert",
    # pl
    r"mieszka(?:\s+sam[a]?)?", r"mieszkam", r"mieszkają", r"mieszkający", r"mieszkając[ya]",
    r"zamieszkał[aey]?", r"zamieszkania", r"urodził(?:a|em|am)?\s+się", r"urodzon[yae]",
    r"przyjęt[ya](?:\s+do\s+szpitala)?", r"wypisan[ya](?:\s+do\s+domu)?", r"miejscowość",
    r"miejsce\s+urodzenia", r"pochodz(?:i|ę|ą|ący|ąca)", r"zameldowan[yae]",
    r"miejsce\s+zamieszkania", r"mieszkan(?:ka|iec|ki|ką|ce|ców)", r"zam\.",
    r"u\s+(?:rodziny|syna|córki|siostry|brata|rodziców|matki|ojca|babci|dziadka)",
)  # fmt: skip
# Moves, returns and origins: a person's, but an office, a firm or a warehouse moves too
# ("the head office moved to Zwolle"), so the place counts only where a person is named
# in the text or the writer speaks of themselves (the detector checks, see ``WEAK``).
_MOVES = (
    # en
    r"moved(?:\s+back)?", r"moving", r"relocated(?:\s+back)?", r"relocating", r"settled",
    r"comes?\s+from", r"returned(?:\s+home)?", r"came\s+back", r"relocation", r"move",
    # de
    r"gezogen", r"zog", r"umgezogen", r"verzogen", r"zieht", r"kommt", r"umzug",
    r"zurückgekehrt", r"zurückgekommen", r"umzug", r"umgezogen", r"weggezogen",
    # fr
    r"déménagée?", r"installée?", r"quitté", r"revenue?", r"retournée?", r"déménagement",
    r"rentre", r"arrivée",
    # it
    r"trasferit[oa](?:si)?", r"tornat[oa]", r"rientrat[oa]", r"rientra", r"trasferimento",
    r"stabilit[oa]",
    # es
    r"se\s+mudó", r"se\s+trasladó", r"volvió", r"vuelto", r"regresad[oa]", r"regresó",
    r"mudad[oa]", r"se\s+ha\s+mudado", r"trasladad[oa]", r"traslado", r"vuelve",
    r"instalad[oa]",
    # Staying at someone's house ("pasa unos meses en casa de su hermana en Haro"), a new
    # address ("Wubbo Pruims nieuwe adres is in Harlingen"), staying ("przebywa w").
    r"en\s+casa\s+de(?:\s+[^\W\d_]+){1,3}?", r"(?:nieuwe\s+)?adres(?:\s+is)?", r"przebywa",
    # nl
    r"verhuisd", r"teruggekomen", r"teruggekeerd", r"verhuizing", r"terug", r"komt",
    # pl
    r"przeprowadził(?:a|am|em|y|i)?\s+się", r"(?:po)?wrócił(?:a|em|am|y|i)?",
    r"przyjechał(?:a|em|am|y|i)?", r"wraca", r"wróci", r"przeprowadzk[aię]",
    # The end of a payee's or a sender's line: "Payee Farah Chaudhry, IBAN ..., from Whitby".
    r"(?<=,\s)from",
    # Buying, renting, spending a season ("bought a house in", "verbringt den Winter bei ihrem
    # Sohn in", "trascorre l'inverno dalla figlia a"): a firm buys and rents too.
    r"bought", r"rents?", r"owns?", r"gekauft", r"kaufte", r"acheté", r"comprato", r"compró",
    r"gekocht", r"kupił[a]?", r"spends?", r"spent", r"verbringt", r"passe", r"trascorre",
    r"pasa", r"brengt", r"spędza",
    # Leaving for, commuting from, being from: "wyjechał do", "przeniosła się z", "dojeżdża
    # spod", "es de", "ist aus", "è di", "jest z".
    r"wyjechał[a]?", r"przeni(?:ósł|osła|eśli)\s+się", r"dojeżdża", r"es\s+de", r"ist\s+aus",
    r"est\s+de", r"è\s+di", r"jest\s+z",
)  # fmt: skip
# What may stand between the phrase and the place.
_LINK = (
    r"(?:in|at|to|from|near|outside|of|"
    r"in|nach|aus|bei|von|"
    r"à|au|en|de|d'|du|près\s+de|pour|vers|"
    r"a|in|da|di|presso|vicino\s+a|"
    r"en|a|de|cerca\s+de|"
    r"in|te|naar|uit|van|bij|"
    r"w|we|do|z|ze|koło|pod|spod)"
)
_FILLER = (
    r"(?:(?:the|a|an|his|her|their|our|a\s+small|the\s+small)\s+)?"
    r"(?:(?:farm|village|town|hamlet|cottage|house|flat|home|estate|area|outskirts|"
    r"suburbs?|centre|center|city|environs|sortie|afueras|zona)\s+)?"
)
# (With the words for a town's surroundings: "w okolicach Radomia", "z okolic Kielc", "in der
# Nähe von", "nei dintorni di".)
_PLACE_WORD = (
    r"(?:miejscowości|miejscowość|gmina|gminie|comune\s+di|ville\s+de|gemeente|okolicach|okolic|"
    r"pobliżu|(?:the\s+)?(?:area|vicinity)\s+of|der\s+nähe\s+von|der\s+umgebung\s+von|"
    r"de\s+buurt\s+van|de\s+omgeving\s+van|(?:i\s+)?dintorni\s+di|los\s+alrededores\s+de|"
    r"les\s+environs\s+de)"
)
# Who someone lives with, between the phrase and the place: "lives with her son in",
# "vit chez sa fille à", "woont bij haar dochter in", "mieszka z córką w".
# (Lower-case words, so that "z Legnicy do Elbląga" and "da Cremona a Todi" stay two
# places; a German noun after a possessive: "bei ihrer Tochter in".)
_COMPANION = (
    r"(?:with|bei|chez|con|bij|met|z|ze|da|presso)\s+"
    r"(?:(?:ihrer|ihrem|ihren|seiner|seinem|seinen|meiner|meinem|unserer)\s+[^\W\d_]+\s+"
    r"|(?:(?-i:[a-zà-öø-ÿąćęłńóśźż][^\W\d_]*)\s+){1,3}?)"
)
# Adverbs of time between the phrase and its preposition: "abita ancora a", "reside ahora
# en", "woont sinds kort in", "przeprowadził się już do".
_ADVERB = (
    r"(?:(?:still|now|ancora|ora|adesso|ahora|todavía|aún|nog|nu|sinds\s+kort|noch|jetzt|"
    r"encore|toujours|już|nadal|teraz)\s+)?"
)


def _alternatives(triggers: tuple[str, ...]) -> str:
    """The triggers as one alternation, longest first ("originaire des environs" before
    "originaire"): a regex takes the first alternative that matches."""
    return "|".join(sorted(triggers, key=len, reverse=True))


def _phrase(triggers: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(
        r"(?<!\w)(?:" + _alternatives(triggers) + r")"
        r"(?:\s*[:,]\s*|\s+)"  # "Wohnort: X", "mieszka sam, miejscowość X", "lives in X"
        + _ADVERB
        + r"(?:"
        + _COMPANION
        + _FILLER
        + _LINK
        + r"\s+)?"
        + r"(?:"
        + _FILLER
        + _LINK
        + r"\s+)?"
        r"(?:" + _FILLER + _LINK + r"\s+)?"  # "at the farm outside X"
        r"(?:" + _PLACE_WORD + r"\s*:?\s+)?",
        re.I,
    )


def _phrase_start(triggers: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + _alternatives(triggers) + r")\s+", re.I)


# A preposition (after a filler) where a place may start, for phrases with a gap.
_GAP_LINK = re.compile(
    r"(?<![\w'’])" + _FILLER + _LINK + r"\s+(?:" + _PLACE_WORD + r"\s*:?\s+)?", re.I
)
GAP_WORDS = 8  # words of time, manner or dwelling between a phrase and its preposition


def _after_gap(text: str, pos: int) -> int | None:
    """Where the place starts after a phrase ending at ``pos`` and a few words of time,
    manner or dwelling, then a preposition: "wohne seit zwanzig Jahren in X", "Née le 4
    mars 1950 à X", "vive sola en una casa de campo a las afueras de X". The first
    preposition followed by a place wins; None if none within ``GAP_WORDS`` words."""
    window = text[pos : pos + 120]
    for m in _GAP_LINK.finditer(window):
        if m.start() == 0 or len(window[: m.start()].split()) > GAP_WORDS:
            if m.start() == 0:
                continue  # no gap: the plain phrase handles it
            return None
        if PlaceRecognizer._place_at(text, pos + m.end()) is not None:
            return pos + m.end()
    return None


_PHRASE = _phrase(_TRIGGERS)
# A question that opens with the verb of living: the capitalised words right after it are
# who lives there, not where ("Wohnt Wiebke Eichhorst noch in Tuttlingen?", "Woont Kees
# Bakker nog in Zwolle?"); the place comes after its preposition.
_VERB_FIRST = re.compile(
    r"(?:wohnt|wohnen|lebt|leben|stammt|woont|wonen|leeft|habite|habitent|vit|abita|vive|"
    r"mieszka|lives|lived)\s+",
    re.I,
)


def _asks_who(text: str, m: re.Match[str]) -> bool:
    """Whether the phrase ``m`` is a verb opening a question before its subject."""
    if not text[m.start()].isupper() or _VERB_FIRST.fullmatch(m.group()) is None:
        return False
    return not text[: m.start()].strip() or text[: m.start()].rstrip()[-1] in ".?!\n:;"


_MOVE_PHRASE = _phrase(_MOVES)
_GAP_STARTS = (_phrase_start(_TRIGGERS), _phrase_start(_MOVES))
# A phrase of residence, birth or admission anywhere in a sentence: the sentence tells
# where someone lives (``detector._gazetteer_places`` takes a known town anywhere in it).
RESIDENCE = re.compile(r"(?<!\w)(?:" + _alternatives(_TRIGGERS) + r")(?!\w)", re.I)
# An address line: the town is the capitalised run after its last comma ("Address: 12
# Mill Lane, Kendal", "Adres: ul. Długa 5/3, 80-123 Gdańsk").
_POSTCODE = r"(?:\d{2}-\d{3}|\d{4}\s?[A-Z]{2}|\d{4,5}|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})"
_ADDRESS_LABEL = (
    r"(?:address|home\s+address|postal\s+address|anschrift|meldeadresse|wohnadresse|"
    r"postanschrift|adresse|indirizzo|dirección|direccion|domicilio|adres|adres\s+zamieszkania|"
    r"woonadres)\s*:\s*"
)
# Who lives at the street line after them, without a colon ("wohnhaft Mühlenweg 3, 49525
# Lengerich", "demeurant 87, rue Robin, 40929 ...", "con domicilio en ...").
_RESIDES_AT = (
    r"(?:wohnhaft(?:\s+in)?|demeurant(?:\s+au)?|domiciliée?\s+au|residente\s+in|"
    r"domiciliat[oa]\s+in|con\s+domicilio\s+en|domiciliad[oa]\s+en|"
    r"(?:wonende|woonachtig)(?:\s+aan\s+(?:de|het)|\s+op)?|zamieszkał[aey]?\s+(?:przy|na)|"
    r"mieszkając[aye]?\s+przy|residing\s+at|living\s+at|lives\s+at)\s+"
)
# A street line has at most this many words ("Flat 3, 12 Mill Lane", "Calle de la Princesa
# 23"); a longer run after "domicilio:" is a sentence.
STREET_WORDS = 6
# Address lines: the street (POSTAL_ADDRESS), the postcode (POSTAL_ADDRESS) and the town
# (LOCATION) after it, "Address: 12 Mill Lane, Kendal", "Adres: ul. Długa 5/3, 80-123
# Gdańsk", "wonende aan de Dorpsstraat 5 te Tiel".
_ADDRESSES = (
    # A label or a verb of residence, a street line, a comma, a postcode, the town.
    re.compile(
        r"(?<!\w)(?:" + _ADDRESS_LABEL + r"|" + _RESIDES_AT + r")"
        r"(?P<street>[^;\n|]{2,80}?\d[^;\n|]{0,40}?),\s*(?P<zip>" + _POSTCODE + r")\s+",
        re.I,
    ),
    # A label, a street line, the town after its last comma.
    re.compile(
        r"(?<!\w)" + _ADDRESS_LABEL + r"(?P<street>[^;\n|]{2,80}),\s*"
        r"(?:(?P<zip>" + _POSTCODE + r")\s+)?",
        re.I,
    ),
    # Dutch: the street, then "te" and the town.
    re.compile(
        r"(?<!\w)" + _RESIDES_AT + r"(?P<street>[^;\n|,]{2,60}?\d{1,4}[a-zA-Z]?)\s+te\s+", re.I
    ),
    # A postcode's own label, the town after it ("Postcode en plaats: 8285 WR Randwijk").
    re.compile(
        r"(?<!\w)(?:postcode(?:\s+en\s+(?:woon)?plaats)?|post\s*code|postal\s+code|zip(?:\s+code)?|"
        r"plz(?:\s*/?\s*ort)?|code\s+postal|cap|c\.a\.p\.|c[óo]digo\s+postal|kod\s+pocztowy)"
        r"\s*:\s*(?P<zip>" + _POSTCODE + r")(?:\s+|(?=\s*[;,|\n]|$))",
        re.I,
    ),
)
# A street's own label ("Straat: Fleurdreef 6;"): the street line only.
_STREET_LABEL = re.compile(
    r"(?<!\w)(?:street|straße|strasse|straat|rue|via|calle|ulica)\s*:\s*"
    r"(?P<street>[^;\n|,]{2,60}?\d{1,4}[a-zA-Z]?(?:/\d{1,4})?)(?=\s*[;|\n,]|\s*$)",
    re.I,
)
# A form's label for the place the form's person lives in: "Town: Hexham", "Ville : Dinan".
_LABEL = re.compile(
    r"(?<!\w)(?:town|city|village|home\s+town|(?:current|previous)\s+town|ville|ort|stadt|città|"
    r"ciudad|plaats|miasto|gemeinde|commune|comune|municipio|localidad|località|gemeente|gmina|"
    r"wohnort)\s*:\s*",
    re.I,
)
# A place before a verb that ties it to the person ("der nach Brilon gezogen ist",
# "die in Zwolle werd opgenomen", "Bitte Frau Otto in Hildesheim besuchen").
# (A lookahead, so that "in maart naar Slenaken verhuisd" is tried at "naar" too.)
_BEFORE_VERB = re.compile(
    r"(?=(?<!\w)(?:nach|in|aus|von|naar|uit|van|te|a|da|en|de|do|z|w|to|from)\s+"
    r"(?P<place>[^\W\d_][\w'’ -]{1,40}?)\s+"
    r"(?:(?:stationär|werd|is|wurde|ist|zijn|è|fue)\s+)?"
    r"(?:gezogen|umgezogen|verzogen|zurückgezogen|zugezogen|aufgenommen|eingeliefert|entlassen|"
    r"besuchen|verhuisd|opgenomen|ontslagen|bezoeken|teruggekeerd|teruggekomen|zurückgekehrt|"
    r"zurückgekommen|heimgekehrt|trasferit[oa]|geboren|gemeldet|aufgewachsen|ingeschreven|"
    r"opgegroeid|groß\s+geworden|"
    r"ricoverat[oa]|ingresad[oa]|trasladad[oa])(?!\w))",
    re.I,
)
# Verb, then the person, then the place ("si è trasferito Mario Rossi a Chioggia?",
# "¿Cuándo se mudó Ana Ruiz a Toledo?").
_VERB_PERSON_PLACE = re.compile(
    r"(?<!\w)(?:trasferit[oa]|mudó|mudo|trasladó|moved|verhuisd|gezogen)\s+"
    r"(?:[A-ZÀ-ÞŁŚŻŹĆŃÓ][\w'’-]+\s+(?:(?:van|de|der|den|del|di|da|von|ter)\s+)*){1,4}"
    r"(?:a|to|naar|nach|en)\s+",
)
# The second place of a move: "from X to Y", "van X naar Y", "da X a Y", "de X vers Y".
_ONWARD = re.compile(r"\s+(?:to|into|nach|naar|a|à|vers|do|en)\s+(?=[^\W\d_])")
_CONNECTORS = _words(
    "del de la di da am an der im in sur sous lès les le upon on op aan den bei ob y i nad en und"
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
# Words after a town that make it an organisation's site.
_BRANCHES = _words(
    """
    branch office site plant warehouse depot store shop agency headquarters filiale
    niederlassung geschäftsstelle büro zweigstelle standort werk lager kantoor vestiging
    filiaal agence succursale usine siège sede stabilimento oficina sucursal delegación
    oddział biuro zakład magazyn
    """
)
# Capitalised words that start no place name, or end one ("Harwell in March").
_NOT_PLACES = (
    NOT_NAMES - _words("north south east west nord süd ost noord zuid oost sud lake river mountain")
) | _words(
    """
    i the he she they we his her their our mr mrs ms miss dr herr frau monsieur madame mme
    signor signora sig pan pani mevrouw meneer señor señora sr sra a an
    hause huis casa domicile home ihnen sie ihr ihre ihrem ihrer ihres uw u usted ustedes lei
    vous
    """
)


# A place after a move, a return or an origin, or after a gap of words, is *weak*: the
# detector keeps it (at 0.6) only where the text names a person or the writer speaks
# of themselves; on its own its score is below every threshold.
WEAK = 0.3
ADDRESS = "POSTAL_ADDRESS"  # the street line after an address label, before the town
WEAK_NAME = "appliance:places-weak"


class PlaceRecognizer(EntityRecognizer):
    """``LOCATION``: a town, village or region right after a phrase tying it to a person."""

    ENTITY = "LOCATION"
    name: str  # set by Presidio's __init__, which mypy cannot infer it from

    def __init__(self, score: float = 0.85) -> None:
        self.score = score
        super().__init__(
            supported_entities=[self.ENTITY, ADDRESS],
            name="appliance:places",
            supported_language="en",
        )

    def load(self) -> None:
        pass

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if self.ENTITY not in entities and ADDRESS not in entities:
            return []
        strong = [m.end() for m in _PHRASE.finditer(text) if not _asks_who(text, m)]
        strong += [m.end() for m in _LABEL.finditer(text)]
        addresses: list[re.Match[str]] = []
        for pattern in _ADDRESSES:
            for m in pattern.finditer(text):
                street = m.groupdict().get("street") or ""
                if len(street.split()) > STREET_WORDS:
                    continue  # "Franco domicilio: la merce viene consegnata entro 5 giorni"
                if not any(m.start() < a.end() and a.start() < m.end() for a in addresses):
                    addresses.append(m)
        strong += [m.end() for m in addresses]
        streets = [m.span("street") for m in addresses if m.groupdict().get("street")]
        streets += [m.span("street") for m in _STREET_LABEL.finditer(text)]
        streets += [m.span("zip") for m in addresses if m.groupdict().get("zip")]
        strong += [m.end() for m in _VERB_PERSON_PLACE.finditer(text)]
        weak = [m.end() for m in _MOVE_PHRASE.finditer(text)]
        weak += [m.start("place") for m in _BEFORE_VERB.finditer(text)]
        for start in _GAP_STARTS:
            for m in start.finditer(text):
                begin = _after_gap(text, m.end())
                if begin is not None:
                    weak.append(begin)
        out: dict[tuple[int, int], RecognizerResult] = {}
        for begins, score, name in ((strong, self.score, self.name), (weak, WEAK, WEAK_NAME)):
            todo = sorted(set(begins))
            while todo:
                span = self._place_at(text, todo.pop(0))
                if span is None or span in out:
                    continue
                onward = _ONWARD.match(text, span[1])
                if onward:  # "from Soria to Huelva", "van Warffum naar Asten": both places
                    todo.append(onward.end())
                out[span] = recognizer_result(name, self.id, self.ENTITY, span, score)
        if ADDRESS in entities:
            for a, b in streets:
                while b > a and text[b - 1] in " ,":
                    b -= 1  # "Vial Octavio Sales 9 Apt. 32 , 52062": no trailing space
                out[(a, b)] = recognizer_result(self.name, self.id, ADDRESS, (a, b), self.score)
        return list(out.values())

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
            if any(ch.isdigit() for ch in word):
                break  # "Oban L8 2NN": a postcode ends the town
            if lower in _INSTITUTIONS or (
                start is not None and not pending_connectors and lower in NOT_NAMES
            ):
                return None  # "admitted to Leeds General Infirmary": an institution
            if start is None and _ACRONYM.fullmatch(word):
                return None  # "resides in RAM": an acronym (memory, a system), not a town
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
        after = _WORD.match(text, end + 1) if text[end : end + 1] == " " else None
        if after and after.group().lower().rstrip(".") in _INSTITUTIONS | _BRANCHES:
            return None  # "our Zwolle branch", "the Kendal office": an organisation's place
        return start, end


# Capitalised words that open a run (not after another capitalised word or a connector):
# where :func:`town_runs` tries a town.
_RUN_START = re.compile(r"(?<![\w'’.-])(?=[^\W\d_])")
# Words before a town that make it a street's, an organisation's or a thing's: "rue de
# Dinan", "via Roma", "ul. Krakowska", "the branch in Zwolle", "our office at Kendal".
_STREET_BEFORE = re.compile(
    r"(?<!\w)(?:rue|avenue|boulevard|bd|chemin|impasse|allée|place|quai|via|viale|piazza|piazzale|"
    r"corso|vicolo|calle|avenida|plaza|paseo|carrer|camino|ronda|travesía|straße|strasse|str|"
    r"weg|platz|allee|gasse|straat|laan|plein|ulica|ul|aleja|al|plac|os|osiedle|street|road|"
    r"lane|the)\.?\s+(?:(?:de|du|des|della|del|di|de\s+la|la|le|der|van|von)\s+|d['’])?$",
    re.I,
)
_ORGANISATION_BEFORE = re.compile(
    r"(?<!\w)(?:" + "|".join(sorted(_BRANCHES, key=len, reverse=True)) + r")"
    r"(?:\s+(?:in|at|of|near|à|de|d['’]|in|a|di|en|de|te|in|w|we|z|pod|im|bei|von|nach))?\s+$",
    re.I,
)
# Words after a town that make it a street's, a team's or a named thing's.
_THING_AFTER = _words(
    """
    road street lane avenue way drive close crescent terrace square gardens park place row
    hill grove straße strasse weg platz allee gasse straat laan plein ulica rue via calle
    fc united city town rovers wanderers athletic borough district county ward
    """
)


def town_runs(text: str, begin: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Capitalised runs of ``text[begin:end]`` that the gazetteer knows as a town (as
    written, or, Polish, as a case of one: "Krakowie", "Nowego Targu"), without a
    street's, an organisation's or a thing's word around them: (start, end) each."""
    stop = len(text) if end is None else end
    out: list[tuple[int, int]] = []
    pos = begin
    while pos < stop:
        m = _RUN_START.search(text, pos, stop)
        if m is None:
            break
        word = _WORD.match(text, m.start())
        if word is None or not word.group()[:1].isupper():
            pos = m.start() + (len(word.group()) if word else 1)
            continue
        span = PlaceRecognizer._place_at(text, m.start()) or _whole_town(text, m.start())
        if span is None or span[1] > stop:
            pos = m.start() + len(word.group())
            continue
        pos = span[1]
        run = text[span[0] : span[1]]
        if _known(run):
            parts = [span]
        else:  # "Nordhorn und Lingen", "Zwolle en Hattem": two towns, each on its own
            cuts = [0, *(x for m in _CONJUNCTION.finditer(run) for x in m.span()), len(run)]
            parts = [
                (span[0] + a, span[0] + b)
                for a, b in zip(cuts[::2], cuts[1::2], strict=True)
                if _known(run[a:b])
            ]
        for a, b in parts:
            after = _WORD.match(text, b + 1) if text[b : b + 1] == " " else None
            if after and after.group().lower().rstrip(".") in _THING_AFTER:
                continue  # "Kendal Road", "Leeds United", "Harwell Ward"
            before = text[max(0, a - 40) : a]
            if _STREET_BEFORE.search(before) or _ORGANISATION_BEFORE.search(before):
                continue  # "via Roma", "rue de Dinan", "the branch in Zwolle"
            out.append((a, b))
    return out


def _whole_town(text: str, pos: int) -> tuple[int, int] | None:
    """The whole capitalised run at ``pos`` (with connectors) when the gazetteer knows it
    as written, though a word of it ends runs elsewhere: "Schwäbisch Hall", "Market
    Harborough", "Castle Douglas". None otherwise."""
    end = pos
    words = connectors = 0
    while words < 5:
        m = _WORD.match(text, end if end == pos else end + 1)
        if m is None or (end != pos and text[end] != " "):
            break
        word = m.group().rstrip(".")
        if word[:1].isupper():
            words += 1
            connectors = 0
            end = m.start() + len(word)
        elif word.lower() in _CONNECTORS and connectors < 2 and words:
            connectors += 1
            end = m.start() + len(word)
        else:
            break
    while connectors:  # a run ends with a capitalised word
        end = text.rfind(" ", pos, end)
        connectors -= 1
    if words < 2 or end <= pos:
        return None  # one word: _place_at's verdict stands ("in March" is a month)
    run = text[pos:end]
    if any(w.lower() in _INSTITUTIONS for w in run.split()) or not _known(run):
        return None
    return pos, end


# A conjunction inside a run: two towns ("Nordhorn und Lingen").
_CONJUNCTION = re.compile(r" (?:and|und|et|e|y|i|en|a|oraz) ")


def _known(run: str) -> bool:
    from appliance.privacy import gazetteer

    return gazetteer.is_town(run) or bool(gazetteer.polish_nominatives(run))
