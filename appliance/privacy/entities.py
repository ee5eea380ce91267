"""The personal-data types the appliance knows, and one detection."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class EntityType:
    name: str
    description: str
    checksum: bool = False  # validated by the scheme's check digits, not just a pattern


ENTITY_TYPES: dict[str, EntityType] = {
    t.name: t
    for t in (
        EntityType("PERSON", "a person's name"),
        EntityType("EMAIL_ADDRESS", "an e-mail address"),
        EntityType("PHONE_NUMBER", "a telephone number (EU and UK formats, international)"),
        EntityType("IBAN_CODE", "an international bank account number", checksum=True),
        EntityType("BIC", "a bank identifier code (SWIFT)", checksum=True),
        EntityType("CREDIT_CARD", "a payment card number", checksum=True),
        EntityType("IP_ADDRESS", "an IPv4 or IPv6 address"),
        EntityType("DATE_OF_BIRTH", "a date given as someone's date of birth"),
        EntityType("POSTAL_ADDRESS", "a street address or a postcode"),
        EntityType("LOCATION", "a town, village or region tied to a person (lives in, moved to)"),
        EntityType("UK_NHS", "a UK NHS number", checksum=True),
        EntityType("UK_NINO", "a UK National Insurance number"),
        EntityType("US_SSN", "a US social security number (SSA allocation rules)"),
        EntityType("FR_NIR", "a French social security number (NIR)", checksum=True),
        EntityType("DE_TAX_ID", "a German tax identification number (Steuer-ID)", checksum=True),
        EntityType("NL_BSN", "a Dutch citizen service number (BSN)", checksum=True),
        EntityType("IT_FISCAL_CODE", "an Italian codice fiscale", checksum=True),
        EntityType("ES_NIF", "a Spanish NIF/DNI", checksum=True),
        EntityType("ES_NIE", "a Spanish foreigner number (NIE)", checksum=True),
        EntityType("PL_PESEL", "a Polish PESEL number", checksum=True),
        EntityType("EU_VAT", "an EU VAT number", checksum=True),
        EntityType("PASSPORT", "a passport number (near the word passport)"),
    )
}


@dataclass(frozen=True)
class Entity:
    """One detection: character offsets into the analysed text, never the value itself
    in anything that is logged or stored."""

    type: str
    start: int
    end: int
    score: float
    source: str = ""  # which recognizer found it (for evaluation and explanations)

    def as_json(self) -> dict[str, object]:
        return {
            "type": self.type,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 3),
        }


@dataclass(frozen=True)
class DenyRule:
    """An organisation's own sensitive term: exact words (case-insensitive) or a regex."""

    type: str
    words: tuple[str, ...] = ()
    regex: str | None = None
    score: float = 1.0

    def find(self, text: str) -> Iterator[tuple[int, int]]:
        if self.words:
            pattern = r"(?<!\w)(?:" + "|".join(re.escape(w) for w in self.words) + r")(?!\w)"
            for m in re.finditer(pattern, text, re.I):
                yield m.span()
        if self.regex:
            for m in re.finditer(self.regex, text):
                if m.end() > m.start():
                    yield m.span()


# Titles and forms of address before a name, in the EU languages the appliance reads
# (lower case, without the full stop).
TITLES = (
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "lord", "lady",
    "rev", "herr", "frau", "m", "mme", "mlle", "monsieur", "madame", "mademoiselle", "sig",
    "sig.ra", "sigra", "signor", "signora", "dott", "dott.ssa", "sr", "sra", "srta", "don",
    "doña", "señor", "señora", "señorita", "pan", "pani", "panią", "pana", "panu", "panem",
    "dhr", "mevr", "mevrouw", "heer", "meneer", "mw", "ing", "mag", "herrn", "mijnheer",
)  # fmt: skip
