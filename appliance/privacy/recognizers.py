"""Recognizers for European identifiers, contact data and addresses.

Each is a Presidio ``EntityRecognizer``. Check digits are validated with
``python-stdnum`` wherever the scheme has them, after separators (spaces, dots,
dashes, slashes) are removed and letters upper-cased, so "de45-7602-...",
"DE45.7602..." and "DE45  7602 ..." are the same IBAN. A value that proves
itself (a valid checksum, a number a national numbering plan allows) counts as
personal data without a context word; a context word nearby (in English,
French, German, Dutch, Italian, Spanish or Polish) raises its confidence, and
a business-reference word right before it ("order", "invoice", "Rechnung",
"commande"...) lowers a weak checksum's (one number in ten or eleven passes:
NHS, BSN, Steuer-ID, PESEL) below the threshold. Values with no checksum at all
(passports, dates) still need a context word.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import phonenumbers
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from stdnum import bic, iban, luhn
from stdnum.de import idnr
from stdnum.es import dni, nie
from stdnum.eu import vat
from stdnum.fr import nir
from stdnum.gb import nhs
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.pl import pesel
from stdnum.us import ssn

from appliance.privacy.lexicon import zipf
from appliance.privacy.names import recognizer_result

# How far before (and after) a match a context word may be, in characters.
CONTEXT_BEFORE = 60
CONTEXT_AFTER = 25


def _compact(value: str) -> str:
    """The value as its scheme's validator wants it: no separators, upper case."""
    return re.sub(r"[\s.\-/]", "", value).upper()


def _checks(validator: Callable[[str], bool]) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        try:
            return bool(validator(_compact(value)))
        except Exception:  # stdnum raises on odd input; odd input is not a match
            return False

    return check


@dataclass
class Rule:
    """Patterns for one entity type, a validator, and how context changes the score."""

    entity: str
    patterns: list[str]
    validator: Callable[[str], bool] | None = None
    score: float = 0.6  # a match (validated, if there is a validator) without context
    # Optional finer score of a candidate (overrides ``score``; 0 drops it).
    scorer: Callable[[str], float] | None = None
    context: tuple[str, ...] = ()
    context_score: float = 0.95
    # Words right before a match that make it a business reference, not a person's
    # identifier ("order 123456782"): the score drops to ``not_context_score``.
    not_context: tuple[str, ...] = ()
    not_context_score: float = 0.2
    # What may follow a match and belongs to it (a phone number's extension).
    extension: str | None = None
    flags: int = 0
    compiled: list[re.Pattern[str]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.compiled = [re.compile(p, self.flags) for p in self.patterns]
        self.compiled_extension = re.compile(self.extension, re.I) if self.extension else None


class RuleRecognizer(EntityRecognizer):
    """Runs a :class:`Rule`: regex candidates, validation, multilingual context words."""

    name: str  # set by Presidio's __init__, which mypy cannot infer it from

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        # Words of five letters or more also match their inflections ("phone" in
        # "phoned", "telephones"); shorter ones ("tel", "nie") only whole.
        alternatives = [
            re.escape(c) + (r"\w{0,3}" if len(c) >= 5 and c[-1].isalpha() else "")
            for c in rule.context
        ]
        self._context = (
            re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.I)
            if rule.context
            else None
        )
        self._not_context = (
            re.compile(
                r"(?<!\w)(?:" + "|".join(map(re.escape, rule.not_context)) + r")\w{0,3}"
                r"(?:\s+(?:no\.?|nr\.?|n°|number|nummer|numéro|numero|número|numer))?[\s:#.]*$",
                re.I,
            )
            if rule.not_context
            else None
        )
        super().__init__(
            supported_entities=[rule.entity],
            name=f"appliance:{rule.entity}",
            supported_language="en",
        )

    def load(self) -> None:
        pass

    def _has_context(self, text: str, start: int, end: int) -> bool:
        if self._context is None:
            return False
        window = (
            text[max(0, start - CONTEXT_BEFORE) : start] + " " + text[end : end + CONTEXT_AFTER]
        )
        return self._context.search(window) is not None

    def _reference(self, text: str, start: int) -> bool:
        """A business-reference word right before the match ("Order 123456782")."""
        if self._not_context is None:
            return False
        return self._not_context.search(text[max(0, start - 30) : start]) is not None

    def _valid_prefix(self, text: str, start: int, end: int) -> int | None:
        assert self.rule.validator is not None
        # At a space, or at a dash before an extension ("+49 1512 3718136-815").
        cuts = sorted((i for i in range(start + 1, end) if text[i] in " -"), reverse=True)
        for cut in cuts:
            if self.rule.validator(text[start:cut]):
                return cut
        return None

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if self.rule.entity not in entities:
            return []
        out: list[RecognizerResult] = []
        seen: set[tuple[int, int]] = set()
        for pattern in self.rule.compiled:
            for match in pattern.finditer(text):
                start, end = match.span("v") if "v" in pattern.groupindex else match.span()
                if (start, end) in seen:
                    continue
                if self.rule.entity != "IBAN_CODE" and _IBAN_HEAD.search(
                    text[max(0, start - 40) : start]
                ):
                    continue  # the tail of an IBAN with a wrong check digit: no number of its own
                value = text[start:end]
                if self.rule.entity == "PHONE_NUMBER" and _us_zip(text, start, end):
                    continue  # "Boston, MA 02110-1301": a postcode
                if self.rule.validator is not None and not self.rule.validator(value):
                    # A pattern that allows spaces may have run on into the next word
                    # ("DE592664184 was"): try the shorter candidates.
                    shorter = self._valid_prefix(text, start, end)
                    if shorter is None:
                        continue
                    end = shorter
                    value = text[start:end]
                score = self.rule.scorer(value) if self.rule.scorer else self.rule.score
                tail = _DASH_TAIL.search(value) if self.rule.extension else None
                if tail and self.rule.scorer:
                    # "+49 1512 3718136-815": the number, then its extension after a dash.
                    head = self.rule.scorer(value[: tail.start()])
                    if head > score:
                        end, value, score = start + tail.start(), value[: tail.start()], head
                if score < 0:  # the scorer rejected it outright
                    continue
                if self._reference(text, start):
                    score = min(score, self.rule.not_context_score)
                elif self._has_context(text, start, end):
                    score = max(score, self.rule.context_score)
                if score <= 0:
                    continue
                if self.rule.compiled_extension is not None:
                    ext = self.rule.compiled_extension.match(text, end)
                    end = ext.end() if ext else end
                seen.add((start, end))
                out.append(
                    recognizer_result(self.name, self.id, self.rule.entity, (start, end), score)
                )
        return out


# -- validators ---------------------------------------------------------------------

_DASH_TAIL = re.compile(r"-\d{1,5}$")
# The start of an IBAN-shaped string right before a match: a country code and check
# digits, then groups of four ("it41 f899 4877 0731 ...", "DE97-1512-0972-...").
_IBAN_HEAD = re.compile(r"(?<![\w])[A-Za-z]{2}\d{2}(?:[ .-]?[A-Za-z0-9]{4})*[ .-]?$")

# A US ZIP+4 code after a state's two-letter code ("Boston, MA 02110-1301 USA").
_US_STATES = (
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VT", "VA", "WA", "WV", "WI", "WY", "PR",
)  # fmt: skip
_STATE_BEFORE = re.compile(r"(?<![\w])(?:" + "|".join(_US_STATES) + r")\.?\s+$")
_ZIP4 = re.compile(r"\d{5}-\d{4}")


def _us_zip(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` is a ZIP+4 postcode: five digits, a dash, four, after a state."""
    return (
        _ZIP4.fullmatch(text, start, end) is not None
        and _STATE_BEFORE.search(text[max(0, start - 6) : start]) is not None
    )


_CARD_PREFIX = re.compile(r"^(4|5[1-5]|2[2-7]|3[47]|6(011|5)|35)")


def _card(value: str) -> bool:
    digits = _compact(value)
    return 13 <= len(digits) <= 19 and bool(_CARD_PREFIX.match(digits)) and luhn.is_valid(digits)


def _bsn(value: str) -> bool:
    """Nine digits with the BSN's check (python-stdnum pads shorter numbers with zeros,
    so "176" would pass)."""
    return len(value) == 9 and bsn.is_valid(value)


# Addresses no device of a person has: the documentation ranges (RFC 5737, RFC 3849) that
# manuals and examples use, "this network" and loopback.
_NO_HOST_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "127.0.0.0/8", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
        "::/128", "::1/128", "2001:db8::/32",
    )
)  # fmt: skip


def _ip(value: str) -> bool:
    """Written like an IP address (any: a number so written is no phone number)."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _host_ip(value: str) -> bool:
    """An address a host can have: not a documentation, loopback or unspecified address
    ("IPv4Address('192.0.2.0')", "'0.0.0.0' or '::'"), nor a netmask ("255.255.255.224")."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    if any(address in n for n in _NO_HOST_NETWORKS if n.version == address.version):
        return False
    bits = address.max_prefixlen
    inverted = ~int(address) & ((1 << bits) - 1)
    # A netmask: ones from the top, then zeros ("255.255.255.224", "ffff:...:fff0").
    return not (int(address) >> (bits - 8) == 0xFF and inverted & (inverted + 1) == 0)


_PHONE_REGIONS = (
    "GB", "IE", "FR", "DE", "NL", "BE", "LU", "IT", "ES", "PT", "PL", "AT", "CH", "DK",
    "SE", "FI", "NO", "CZ", "SK", "HU", "RO", "BG", "GR", "HR", "SI", "EE", "LV", "LT",
    "MT", "CY",
)  # fmt: skip
_NANP = ("US", "CA")  # North American numbers: their own pattern, (212) 555-0142
_DATE_LIKE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")


def phone_quality(value: str, regions: tuple[str, ...] = _PHONE_REGIONS) -> str | None:
    """ "valid" (a number in service ranges of one of ``regions``, or of its own
    country when it starts with + or 00), "possible" (right length for its country,
    e.g. a number from a range reserved for fiction) or None (no plan allows it).
    Validation is ``phonenumbers``' (Google's libphonenumber metadata)."""
    if _DATE_LIKE.match(value.strip()) or _ip(value.strip()):
        return None
    digits = re.sub(r"\D", "", value)
    if not 8 <= len(digits) <= 15:
        return None
    candidate = value.strip()
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    # A number with its country code is read in that country's plan (region None).
    plans: tuple[str | None, ...] = (None,) if candidate.startswith("+") else regions
    possible = False
    for region in plans:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return "valid"
        possible = possible or phonenumbers.is_possible_number(number)
    return "possible" if possible else None


def _phone_score(value: str) -> float:
    """0.75 for a valid number, 0.4 for a possible one, -1 (refused) for none; a bare run
    of digits (no +, no separators) is weaker than a checksum identifier of the same
    digits (0.55 < 0.6), so "02271409867" stays a PESEL."""
    quality = phone_quality(value)
    if quality is None:
        return -1.0
    bare = value.isdigit()
    return {"valid": 0.55 if bare else 0.75, "possible": 0.4}[quality]


# Countries whose numbers are written without a trunk prefix.
# (Only those whose mobile ranges are distinct: Greek and Luxembourg plans take ten-digit
# NHS numbers for mobiles.)
_NO_TRUNK = ("IT", "ES", "PL", "PT")


def _no_trunk_score(value: str) -> float:
    """Digit groups with no trunk 0 are phone numbers (0.55) when a country that dials
    without one has them as a *mobile* number (Italian 3xx, Spanish 6xx/7xx, Polish
    5xx...); other valid numbers need a phone word nearby (0.3)."""
    if phone_quality(value) != "valid":
        return -1.0
    for region in _NO_TRUNK:
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if (
            phonenumbers.is_valid_number(number)
            and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
        ):
            return 0.55
    return 0.3


# NANP numbering plan: area code NXX with no 9 in the middle (x9x is reserved for
# expansion) and not N11; exchange NXX (N = 2-9). Source: NANPA, "NPA Code Assignment".
_NANP_PLAN = re.compile(r"^\(?([2-9][0-8]\d)\)?[\s.-]?([2-9]\d{2})[\s.-]?\d{4}$")


def _nanp_score(value: str) -> float:
    plan = _NANP_PLAN.match(value.strip())
    if plan is None or plan.group(1)[1:] == "11":
        return -1.0
    return {"valid": 0.75, "possible": 0.4}.get(phone_quality(value, _NANP) or "", -1.0)


# -- context words (en, fr, de, nl, it, es, pl) ----------------------------------------

_BIRTH = (
    "born", "date of birth", "dob", "d.o.b", "d.o.b.", "birth date", "birthday", "né", "née",
    "date de naissance", "geboren", "geb.", "geburtsdatum", "geboortedatum", "nato", "nata",
    "data di nascita", "nacido", "nacida", "fecha de nacimiento", "urodzony", "urodzona",
    "data urodzenia",
)  # fmt: skip
_PASSPORT = (
    "passport", "passport no", "passport number", "passeport", "reisepass", "pass-nr",
    "paspoort", "passaporto", "pasaporte", "paszport",
)  # fmt: skip
_NHS = ("nhs", "nhs number", "nhs no", "health service")
_BSN = ("bsn", "burgerservicenummer", "citizen service number", "sofinummer")
_SSN = ("ssn", "social security", "social security number", "ss#", "ss no")
_STEUER = (
    "steuer-id", "steuerid", "steuer-idnr", "steueridentifikationsnummer", "idnr",
    "identifikationsnummer", "tax id", "tax identification", "steuernummer",
)  # fmt: skip
_PESEL = ("pesel",)
_NIR = ("nir", "sécurité sociale", "securite sociale", "insee", "social security", "numéro de sécu")
_NINO = ("national insurance", "ni number", "nino", "ni no")
_PHONE = (
    "tel", "tel.", "phone", "telephone", "mobile", "mob", "call", "reach", "reached", "ring",
    "sms", "text", "whatsapp", "contact", "fax", "cell",
    "téléphone", "tél", "tél.", "portable", "appeler", "rappeler", "joindre",
    "telefon", "handy", "anrufen", "zurückrufen", "rückruf", "erreichbar", "erreichen",
    "rufnummer", "mobil",
    "telefoon", "mobiel", "bellen", "terugbellen", "gebeld", "bereikbaar", "bereiken",
    "telefono", "cellulare", "chiamare", "richiamare", "richiamat", "chiamat", "recapito",
    "teléfono", "móvil", "movil", "llamar", "llamada", "llame", "llamen",
    "contacto", "tfno", "tlf",
    "telefonu", "telefon", "komórka", "komórkowy", "zadzwonić", "oddzwonić", "dzwonił",
    "dzwoniła", "kontakt", "numerem",
)  # fmt: skip
# Words before a number that make it a business reference, not a person's identifier.
_REFERENCE = (
    "order", "invoice", "tracking", "parcel", "shipment", "consignment", "batch", "ticket",
    "serial", "part", "item", "sku", "purchase order", "receipt", "transaction",
    "bestellung", "bestellnummer", "rechnung", "rechnungsnummer", "sendung", "sendungsnummer",
    "auftrag", "artikel", "commande", "facture", "colis", "envoi", "ordine", "fattura",
    "spedizione", "articolo", "pedido", "factura", "envío", "envio", "albarán", "bestelling",
    "factuur", "zending", "artikelnummer", "zamówienie", "zamówienia", "faktura", "przesyłka",
)  # fmt: skip
# Words before a number that make it a file's or a case's reference; a phone number is
# never introduced so ("Wniosek nr 07281773763", "Aktenzeichen 0421 88 1234").
_CASE_REFERENCE = (
    "reference", "ref", "case", "file", "aktenzeichen", "vorgang", "dossier", "référence",
    "pratica", "riferimento", "expediente", "referencia", "referentie", "zaak", "wniosek",
    "wniosku", "sprawa", "sprawy", "sygnatura",
)  # fmt: skip
_EXTENSION = (
    r"(?:,?\s*(?:ext\.?|extn\.?|x|extension|extensión|ext|durchwahl|dw\.?|app\.?|apparat|"
    r"poste|p\.|int\.?|interno|toestel|tst\.?|wew\.?)\s*\d{1,6}(?!\w)"
    r"|-\d{1,5}(?![\w-]))"
)
_BIC = ("bic", "swift", "swift code", "bic code", "bank identifier")

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|"
    "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|"
    "novembre|décembre|decembre|januar|februar|märz|maerz|juni|juli|oktober|dezember|"
    "januari|februari|maart|mei|augustus|gennaio|febbraio|aprile|maggio|giugno|luglio|"
    "agosto|settembre|ottobre|dicembre|enero|febrero|marzo|abril|mayo|junio|julio|"
    "septiembre|octubre|noviembre|diciembre"
)
_DATE = (
    rf"(?P<v>\d{{1,2}}(?:st|nd|rd|th)?\.?\s+(?:{_MONTHS})\.?,?\s+\d{{4}}"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    r"|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2})"
)

_STREET_EN = (
    "street|st|road|rd|avenue|ave|lane|ln|drive|close|crescent|way|place|square|terrace|"
    "court|gardens|grove|hill|park|row|walk|mews|boulevard|parade|green"
)
_CAP = r"[A-ZÀ-ÞĄĆĘŁŃŚŹŻŠŽČŘĎŤŇŐŰ][\w'’-]+"  # a capital, Polish and Czech ones too
# German and Dutch street names, then the house number: a compound ("Musterstraße 12"),
# hyphenated after the person or place it is named after ("Konrad-Adenauer-Straße 12",
# "Graf-von-Galen-Str. 5", "Willem-Alexanderlaan 5"), after an adjective ("Berliner
# Straße 4a", "Alte Poststraße 3", "Nieuwe Binnenweg 12"), a title or a first name and its
# particle ("Prins Hendrikkade 108", "Jan van Galenstraat 4", "Van Baerlestraat 112"), or
# Dutch "Laan van Meerdervoort 50". A lone noun before a separate street word is no street
# ("Auf Platz 3", "Der Ring 2"): the word before "Straße", "Platz" ... must be an adjective
# (-er, -e, -es, -en) that is not an article or a pronoun, or hyphenated to it.
_STREET_SUFFIX = (
    "straße|strasse|str\\.|weg|gasse|platz|allee|ring|damm|ufer|chaussee|pfad|stieg|markt|"
    "laan|straat|gracht|plein|kade|dijk|steeg|singel"
)
# The same words standing alone, after a hyphen or an adjective ("-Straße", "Alter Markt").
_STREET_NOUN = (
    "Straße|Strasse|Str\\.|Weg|Gasse|Platz|Allee|Ring|Damm|Ufer|Chaussee|Pfad|Stieg|Markt|"
    "Laan|Straat|Gracht|Plein|Kade|Dijk|Steeg|Singel"
)
_STREET_PARTICLE = r"(?:von|van|der|den|de|zu|zum|zur|am|an|im|auf|het|ter|te|la|le)"
_STREET_WORD = r"[A-ZÄÖÜ][a-zäöüßéèëï]+\.?"
_STREET_ADJECTIVE = (
    r"(?!(?:Über|Unter|Hinter|Oder|Aber|Der|Die|Das|Den|Dem|Des|Eine|Einer|Eines|Einen|Einem|Unsere|Unser|Unserer|Meine|"
    r"Meiner|Seine|Ihre|Jede|Jeder|Jedes|Diese|Dieser|Dieses|Alle|Keine|Welche|Andere|De|Het|"
    r"Deze|Onze|Mijn|Elke|Andere|Die|Ene|Nächste|Letzte|Erste|Zweite|Dritte)\s)"
    r"[A-ZÄÖÜ][a-zäöüß]+(?:er|e|es|en)"
)
_STREET_TITLE = (
    r"(?:Prins|Prinses|Koning|Koningin|Graaf|Graf|Gräfin|Sankt|St\.|Sint|Bischof|Kardinal|"
    r"Kaiser|Kaiserin|König|Königin|Herzog|Herzogin|Fürst|Dr\.|Doktor|Professor|Prof\.|"
    r"Burgemeester|Pastoor|Pater|Generaal|Admiraal|Van|Von|Jan|Johannes|Willem|Pieter|Hendrik)"
)
_STREET_DE_NL = (
    # hyphenated: "Konrad-Adenauer-Straße", "Graf-von-Galen-Str.", "Willem-Alexanderlaan"
    rf"(?:(?:{_STREET_WORD}-(?:{_STREET_PARTICLE}-)*){{1,3}}"
    rf"(?:{_STREET_NOUN}|[A-ZÄÖÜ][a-zäöüß]+(?:{_STREET_SUFFIX}))"
    # an adjective and a separate street word: "Berliner Straße", "Alter Markt"
    rf"|{_STREET_ADJECTIVE}\s+(?:{_STREET_NOUN})"
    # a compound, after an adjective, a title or a first name and its particle
    rf"|(?:{_STREET_ADJECTIVE}\s+|{_STREET_TITLE}\s+(?:{_STREET_PARTICLE}\s+)*)?"
    rf"[A-ZÄÖÜ][a-zäöüß]+(?:{_STREET_SUFFIX})"
    # Dutch "Laan van Meerdervoort"
    rf"|(?:Laan|Weg|Plein)\s+(?:van|der|de|ter)\s+(?:(?:der|den|de)\s+)?{_STREET_WORD})"
)
# What follows a house number and belongs to it: a floor or a door in Roman numerals
# ("Schillerstraße 3 II", "Weteringschans 8-III"), a Flemish box ("Kerkstraat 14 bus 2"),
# a Dutch ground floor ("305-H", "54 hs"), a half ("5 1/2"), an Austrian stair and door
# ("12/3/14", "4/Top 7").
_HOUSE_SUFFIX = (
    r"(?:\s?-\s?(?:[IVX]{1,4}|H|hs)\b|\s(?:[IVX]{1,4}|hs|huis|1/2|½)(?![\w/])|\s+bus\s+\d{1,4}\b"
    r"|(?:\s?/\s?(?:Top\s?)?\d{1,4}[a-zA-Z]?\b)+)?"
)
# A house number: not a year, and not a quantity ("3 Tage", "20 procent", "40.000", "1,5").
_HOUSE_NUMBER = (
    r"(?!(?:19|20)\d\d\b)\d{1,4}(?:\s?[a-zA-Z])?(?:\s?[-/]\s?\d{1,4}[a-zA-Z]?)?\b"
    + _HOUSE_SUFFIX
    + r"(?![.,]\d|\s*%|\s+(?:Minuten|Stunden|Tage|Wochen|Monate|Jahre|Meter|Kilometer|Prozent|"
    r"Millionen|Euro|minuten|uur|dagen|weken|maanden|jaar|meter|kilometer|procent|miljoen|"
    r"euro|cm|km|m|mm|kg)\b)"
)

# Streets named for where they lie, after a preposition and an article ("Am Markt 5",
# "An der Alster 12", "Unter den Eichen 23", "Am Alten Bahndamm 15", "Aan de Vaart 34",
# "Achter de Kerk 6"): the preposition capitalised, the noun none that numbers things
# (``_COUNTED``: "Raum", "Seite", "Woche", "Rufnummer"); a noun of landscape or a landmark
# (``_LANDMARK``) with the house number last, any other noun only before a postcode and
# a town (not "Zum Vergleich 12, im Vorjahr", "Im Durchschnitt 4.", "Aan de Beurt 3."),
# or after a word that says an address follows (``_CUED_PREPOSITION_STREET``). Not "Im
# Raum 4 findet ...", "Am Markt 3 Stände mehr", "Auf Seite 12".
_STREET_PREPOSITION = (
    r"(?:Am|Im|Zum|Zur|An\s+(?:der|den|dem)|Auf\s+(?:dem|der|den)|In\s+(?:der|den)|"
    r"Unter\s+(?:den|der|dem)|Hinter\s+(?:der|dem|den)|Vor\s+(?:dem|der|den)|"
    r"Bei\s+(?:der|den)|Über\s+(?:dem|der|den)|Aan\s+(?:de|het|den)|Achter\s+(?:de|het|den)|"
    r"In\s+(?:de|het|den)|Op\s+(?:de|het|den)|Bij\s+(?:de|het)|Over\s+(?:de|het)|"
    r"Langs\s+(?:de|het)|Onder\s+(?:de|het)|Voor\s+(?:de|het)|Tegen\s+(?:de|het))"
)
# Nouns that number things, not places: rooms, beds, pages, weeks, versions, rounds.
_COUNTED = (
    r"(?:Raum|Räume|Zimmer|Saal|Säle|Bett|Station|Etage|Stock|Stockwerk|Geschoss|Gebäude|"
    r"Haus|Halle|Block|Bereich|Trakt|Flügel|Tor|Gate|Gleis|Bahnsteig|Terminal|Bus|Linie|"
    r"Zug|Wagen|Platz|Reihe|Sitz|Tisch|Schalter|Kasse|Fach|Box|Kabine|Jahr|Monat|Woche|Tag|"
    r"Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag|Quartal|Semester|Stunde|"
    r"Minute|Seite|Kapitel|Abschnitt|Absatz|Artikel|Paragraph|Punkt|Frage|Aufgabe|Teil|Band|"
    r"Heft|Folie|Anlage|Anhang|Tabelle|Abbildung|Version|Stufe|Phase|Schritt|Level|Runde|"
    r"Spiel|Satz|Halbzeit|Klasse|Gruppe|Team|Top|Ende|Anfang|Beginn|Nummer|Position|"
    r"Kamer|Zaal|Bed|Afdeling|Verdieping|Gebouw|Hal|Blok|Poort|Perron|Spoor|Lijn|Rij|Stoel|"
    r"Tafel|Balie|Loket|Jaar|Maand|Week|Dag|Maandag|Dinsdag|Woensdag|Donderdag|Vrijdag|"
    r"Zaterdag|Zondag|Kwartaal|Uur|Pagina|Hoofdstuk|Paragraaf|Vraag|Opgave|Deel|Bijlage|"
    r"Versie|Fase|Stap|Ronde|Wedstrijd|Groep|Klas|Punt|Plaats|Positie|Januar|Februar|"
    r"März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember|Frühjahr|Sommer|"
    r"Herbst|Winter|Januari|Februari|Maart|Mei|Augustus|Voorjaar|Zomer|Najaar)"
    # and their compounds ("Besprechungsraum 4", "Rufnummer 112", "Kalenderwoche 14")
    r"|[A-ZÄÖÜ][a-zäöüßë]*(?:nummer|zimmer|raum|räume|saal|seite|kapitel|woche|stunde|"
    r"minute|runde|klasse|gruppe|etage|station|gleis|linie|zaal|kamer|pagina|week)"
)
# Nouns of landscape and landmarks that streets after a preposition are named for ("Am
# Markt", "Auf der Heide", "Zur Mühle", "Hinter der Kirche", "Aan de Vaart").
_LANDMARK = (
    r"(?:markt|berg|bühl|heide|mühle|kirche|anger|bach|brunnen|hof|höfe|höfen|graben|wall|"
    r"ufer|hang|felde?|wald|park|teich|see|weiher|linden?|eichen?|buchen?|birken?|tannen?|"
    r"kamp|rain|brink|bruch|schloss|burg|turm|gärten|garten|wiesen?|acker|äcker|kreuz|stein|"
    r"tal|grund|höhen?|mauer|brücke|damm|deich|hafen|holz|busch|aue|born|kuhle|platz|ring|"
    r"weg|winkel|ecke?|steig|pfad|kapelle|quelle|weiden?|wehr|sand|kloster|loh|horst|heck|"
    r"siek|stift|dorf|tor|tore|post|rathaus|schule|schleuse|ziegelei|schmelz|alster|kerk|"
    r"vaart|dijk|gracht|wingerd|molen|haven|plas|beek|bos|veld|akker|weide|kade|heuvel|brug|"
    r"poort|toren|eiken?|hoeve|sloot|singel|vliet|wetering|burcht|dam|duinen?|tuinen?|"
    r"gaarde|zand|meer|polder|waard|schans|laan|plein|straat|gasse|allee|straße|stadhuis|"
    r"muur|vesten|kouter|schelde|put|water|kanaal|bult)"
)
# The house number last: before a comma, a full stop, a line's end, "in" a town or "und"
# (not "Am Markt 3 Stände mehr", "Am Schluss 2:1").
_NUMBER_LAST = r"(?=\s*(?:$|[,.;)·|\n])|\s+(?:in|bei|te|im|am|und|en|and|sowie)\s)"
_TOWN_AFTER = rf"(?:,|\s+[·|])\s*(?:\d{{4,5}}\s?[A-Z]{{0,2}}\s+)?{_CAP}(?:[ -]{_CAP}){{0,2}}"
_PREPOSITION_STREET = (
    rf"(?<![\w-]){_STREET_PREPOSITION}\s+(?:{_STREET_ADJECTIVE}\s+)?(?!(?:{_COUNTED})\s)"
    rf"(?:(?=[A-ZÄÖÜ])[A-ZÄÖÜ]?[a-zäöüßë]*?(?i:{_LANDMARK})\s+{_HOUSE_NUMBER}{_NUMBER_LAST}"
    rf"(?:{_TOWN_AFTER})?"
    # any other noun only before a postcode and a town ("Op de Bult 5, 9711 AB Groningen")
    rf"|[A-ZÄÖÜ][a-zäöüßë]+\s+{_HOUSE_NUMBER}(?:,|\s+[·|])\s*\d{{4,5}}\s?[A-Z]{{0,2}}\s+"
    rf"{_CAP}(?:[ -]{_CAP}){{0,2}})"
)
# After a word that says an address follows ("wohne An der Alster 12", "woonachtig Op
# de Stroom 4"), any name of a street after a preposition and an article.
_ADDRESS_CUE = (
    r"(?i:wohn\w*|woon\w*|woont|wonen|anschrift|adresse|adres|wohnsitz|zamieszkał\w*)"
    r"[:\s]+"
)
_CUED_PREPOSITION_STREET = (
    rf"{_ADDRESS_CUE}(?P<v>{_STREET_PREPOSITION}\s+(?:{_STREET_ADJECTIVE}\s+)?"
    rf"[A-ZÄÖÜ][a-zäöüßë]+\s+{_HOUSE_NUMBER})"
)

# A lone compound that is an everyday noun is no street: "Arbeitsplatz 3", "Parkplatz 12",
# "Spielplatz 2", "Sportplatz 1" (wordfreq's small German and Dutch lists hold them; names
# of streets, "Kastanienweg", "Lindenplatz", are rarer). A word only streets end in
# ("-straße", "-straat", "-gasse", "-allee", "-laan", "-gracht") is a street however common.
_SHARED_SUFFIX = re.compile(
    r"[a-zäöüß]+(?:weg|platz|ring|damm|ufer|markt|pfad|stieg|plein|dijk|kade)"
)
_POSTCODE = re.compile(r"[,·|]\s*\d{4,5}\b")
_LONE_COMPOUND = re.compile(r"([A-ZÄÖÜ][a-zäöüß]+)\s+\d")


def _not_an_everyday_noun(value: str) -> bool:
    """False for an address match that is a lone everyday compound noun and a number, or
    for a shorter candidate cut from one that holds no number at all. A postcode after
    it makes any street an address ("Marktplatz 7 · 74072 Heilbronn", "Hoofdweg 131,
    9617 AB Harkstede")."""
    if not any(ch.isdigit() for ch in value):
        return False
    m = _LONE_COMPOUND.match(value)
    if m is None or not _SHARED_SUFFIX.fullmatch(m[1].lower()) or _POSTCODE.search(value):
        return True
    return max(zipf(m[1], "de"), zipf(m[1], "nl")) == 0.0


def rules() -> list[Rule]:
    """Every rule the appliance ships."""
    return [
        Rule(
            "EMAIL_ADDRESS",
            [
                r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}(?!\w)"
            ],
            score=0.95,
        ),
        Rule(
            "IBAN_CODE",
            [
                # Groups of four, joined by nothing, one or two spaces, dots or dashes.
                r"\b[A-Za-z]{2}\d{2}(?:(?:[ .-]|  )?[A-Za-z0-9]{4}){2,7}(?:(?:[ .-]|  )?[A-Za-z0-9]{1,4})?\b",
                r"\b[A-Za-z]{2}\d{2}[A-Za-z0-9]{11,30}\b",
            ],
            _checks(iban.is_valid),
            score=1.0,
        ),
        Rule(
            "BIC",
            [r"\b[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?\b"],
            _checks(bic.is_valid),
            score=0.0,
            context=_BIC,
        ),
        Rule(
            "CREDIT_CARD",
            [
                r"(?<![\w-])(?:\d{4}[ -]?){3}\d{1,7}(?![\d-])",
                r"(?<![\w-])\d{4}[ -]?\d{6}[ -]?\d{5}(?![\d-])",
            ],
            _card,
            score=0.9,
            context=("card", "visa", "mastercard", "amex", "carte", "karte", "tarjeta", "carta"),
        ),
        Rule(
            "IP_ADDRESS",
            [
                r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)",
                r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){2,7}(?::|[0-9A-Fa-f]{1,4})(?![\w:])",
                r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}:?)*[0-9A-Fa-f]{1,4}(?![\w:])",
            ],
            _host_ip,
            score=0.8,
        ),
        Rule(
            "PHONE_NUMBER",
            [
                r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}[\s.-]?(?:\(0\)[\s.-]?)?(?:\(?\d{1,5}\)?[\s.-]?){1,5}\d{1,5}(?![\w-])",
                r"(?<![\w+.])(?<!\d\s)\(?0\d{1,5}\)?[\s.-]?\d{1,5}(?:[\s.-]?\d{1,5}){0,4}(?![\w-])",
            ],
            scorer=_phone_score,
            context=_PHONE,
            context_score=0.9,
            not_context=_REFERENCE + _CASE_REFERENCE,
            extension=_EXTENSION,
        ),
        Rule(
            # North American numbers as people write them: (212) 555-0142, 212-555-0142,
            # 212.555.0142; numbers no plan allows (area 555) count only near a phone word.
            "PHONE_NUMBER",
            [r"(?<![\w+(.-])(?:\(\d{3}\)\s?|\d{3}[.-])\d{3}[.-]\d{4}(?![\w-]|\.\d)"],
            scorer=_nanp_score,
            context=_PHONE,
            context_score=0.9,
            not_context=_REFERENCE + _CASE_REFERENCE,
            extension=_EXTENSION,
        ),
        Rule(
            # Countries without a trunk 0 (Spain, Italy's mobiles, Poland, Portugal...):
            # digit groups like these are also ID numbers, so a phone word must be near.
            "PHONE_NUMBER",
            [r"(?<![\w+.,-])[1-9]\d{1,3}(?:[ .-]\d{2,4}){2,4}(?![\w.,-]\d|[\w-])"],
            scorer=_no_trunk_score,
            context=_PHONE,
            context_score=0.85,
            not_context=_REFERENCE + _CASE_REFERENCE,
            extension=_EXTENSION,
        ),
        Rule(
            "UK_NHS",
            [r"(?<![\w-])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\d-])"],
            _checks(nhs.is_valid),
            score=0.6,
            context=_NHS,
            not_context=_REFERENCE,
        ),
        Rule(
            "UK_NINO",
            [
                r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"
            ],
            score=0.75,
            context=_NINO,
        ),
        Rule(
            # US social security number: area 001-899 except 666, group and serial not
            # zero (SSA's allocation rules as python-stdnum applies them).
            "US_SSN",
            [r"(?<![\d-])\d{3}([- ])\d{2}\1\d{4}(?![\d-])"],
            _checks(ssn.is_valid),
            score=0.6,
            context=_SSN,
            not_context=_REFERENCE,
        ),
        Rule(
            "FR_NIR",
            [r"\b[12] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}\b"],
            _checks(nir.is_valid),
            score=0.95,
            context=_NIR,
        ),
        Rule(
            "DE_TAX_ID",
            [r"(?<![\d-])[1-9]\d(?: ?\d{3}){3}(?![\d-])", r"(?<![\d-])[1-9]\d{10}(?![\d-])"],
            _checks(idnr.is_valid),
            score=0.6,
            context=_STEUER,
            not_context=_REFERENCE,
        ),
        Rule(
            "NL_BSN",
            [
                r"(?<![\d.-])\d{4}\.?\d{2}\.?\d{3}(?![\d-]|\.\d)",  # may end a sentence
                r"(?<![\d-])(?<!\d )\d{3} ?\d{3} ?\d{3}(?![\d-])",
            ],
            _checks(_bsn),
            score=0.6,
            context=_BSN,
            not_context=_REFERENCE,
        ),
        Rule(
            "IT_FISCAL_CODE",
            [
                r"\b[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]\b"
            ],
            _checks(codicefiscale.is_valid),
            score=1.0,
            flags=re.I,  # written in lower case too
        ),
        Rule(
            "ES_NIF",
            [r"(?<![\d.])(?:\d{8}|\d{2}\.\d{3}\.\d{3})[ -]?[A-Za-z]\b"],
            _checks(dni.is_valid),
            score=0.9,
            context=("dni", "nif"),
        ),
        Rule(
            "ES_NIE",
            [r"\b[XYZxyz][ -]?\d{7}[ -]?[A-Za-z]\b"],
            _checks(nie.is_valid),
            score=0.95,
            context=("nie",),
        ),
        Rule(
            "PL_PESEL",
            [r"(?<![\d-])\d{11}(?![\d-])"],
            _checks(pesel.is_valid),
            score=0.6,
            context=_PESEL,
            not_context=_REFERENCE,
        ),
        Rule(
            "EU_VAT",
            [
                r"\b(?:AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)"
                r" ?[0-9A-Za-z](?:[ .]?[0-9A-Za-z]){7,13}\b"
            ],
            _checks(vat.is_valid),
            score=0.95,
        ),
        Rule(
            "PASSPORT",
            [
                r"\b(?P<v>[A-Z]{1,2}\d{6,8}|\d{9}|[A-Z0-9]{2}\d{7}|[CFGHJKLMNPRTVWXYZ][CFGHJKLMNPRTVWXYZ0-9]{8})\b"
            ],
            score=0.0,
            context=_PASSPORT,
            context_score=0.9,
        ),
        Rule("DATE_OF_BIRTH", [_DATE], score=0.0, context=_BIRTH, context_score=0.9, flags=re.I),
        Rule(
            "POSTAL_ADDRESS",
            [
                rf"\b\d{{1,4}}[a-zA-Z]?,?\s+(?:{_CAP}\s+){{1,3}}(?i:{_STREET_EN})\b\.?"
                rf"(?:,\s*{_CAP}(?:[ -]{_CAP}){{0,2}})?",
                r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?i:rue|avenue|av\.|boulevard|bd|place|chemin|allée|"
                r"impasse|quai|route|cours)\s+(?:(?:de|du|des|la|le|l'|d')\s*)*[A-ZÀ-Þ][\w'’-]+"
                rf"(?:\s+[A-ZÀ-Þ][\w'’-]+){{0,3}}(?:,\s*(?:\d{{5}}\s+)?{_CAP}(?:[ -]{_CAP}){{0,2}})?",
                rf"(?<![\w-]){_STREET_DE_NL}\s+{_HOUSE_NUMBER}(?:(?:,|\s+[·|])\s*(?:\d{{4,5}}\s?[A-Z]{{0,2}}\s+)?"
                rf"{_CAP}(?:[ -]{_CAP}){{0,2}})?",
                _CUED_PREPOSITION_STREET,
                _PREPOSITION_STREET,
                r"\b(?:Via|Viale|Piazza|Corso|Calle|Avenida|Plaza|Paseo|Carrer|Rua|ul\.|ulica|al\.|"
                r"aleja|os\.|osiedle|pl\.|plac)\s+"
                r"(?:(?:de|del|della|di|da|la)\s+)*[A-ZÀ-Þ][\w'’-]+(?:\s+[A-ZÀ-Þ][\w'’-]+){0,3},?\s*\d{1,4}\b"
                # a Polish flat after the house ("12/4", "84/92 m. 15", "44 lok. 3")
                r"(?:[a-zA-Z]\b)?(?:\s?/\s?\d{1,4}[a-zA-Z]?\b)*(?:\s+(?:m\.|m|lok\.|lok)\s?\d{1,4}\b)?"
                # then its postcode and town ("31-147 Kraków", "20121 Milano", "Madrid")
                rf"(?:,\s*(?:\d{{2}}-\d{{3}}\s+|\d{{5}}\s+)?{_CAP}(?:[ -]{_CAP}){{0,2}})?",
                r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b",
            ],
            _not_an_everyday_noun,
            score=0.75,
        ),
    ]


def build_recognizers(extra: Iterable[Rule] = ()) -> list[EntityRecognizer]:
    return [RuleRecognizer(rule) for rule in [*rules(), *extra]]
