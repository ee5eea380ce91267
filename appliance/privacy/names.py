"""Person names beyond what the small spaCy model finds.

spaCy's ``en_core_web_sm`` misses many continental European names and tags
numbers and acronyms as names. This recognizer adds signals the model does
not use:

* titles and salutations in seven languages (``Dr``, ``Frau``, ``Mme``, ``Sig.ra``...);
* first and last names from Faker's locale data (a maintained list per
  country, shipped with the library, read offline);
* context words (``patient``, ``customer``, ``Dear``, ``signed``...);

and scores a run of capitalised words by how many agree. The detector then
filters model output (digits, acronyms, organisation words) and extends every
name it is sure of to its other mentions in the same text.
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache

from presidio_analyzer import EntityRecognizer, RecognizerResult

FAKER_LOCALES = (
    "en_GB", "en_US", "en_IE", "de_DE", "de_AT", "de_CH", "fr_FR", "fr_CH", "it_IT", "es_ES",
    "nl_NL", "nl_BE", "pl_PL", "pt_PT", "sv_SE", "da_DK", "fi_FI", "no_NO", "cs_CZ", "sk_SK",
    "hu_HU", "ro_RO", "el_GR", "hr_HR", "sl_SI", "et_EE", "lv_LV", "lt_LT", "bg_BG",
)  # fmt: skip

TITLES = (
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "lord", "lady",
    "rev", "herr", "frau", "m", "mme", "mlle", "monsieur", "madame", "mademoiselle", "sig",
    "sig.ra", "sigra", "signor", "signora", "dott", "dott.ssa", "sr", "sra", "srta", "don",
    "doña", "pan", "pani", "dhr", "mevr", "mw", "ing", "mag",
)  # fmt: skip

CONTEXT = (
    "patient", "patients", "customer", "client", "dear", "signed", "employee", "applicant",
    "tenant", "resident", "claimant", "account holder", "cardholder", "contact", "name",
    "named", "called", "by", "from", "to", "cc", "attn", "spouse", "wife", "husband",
    "son", "daughter", "mother", "father", "colleague", "manager", "nurse", "doctor",
    "consultant", "referred", "witness", "suspect", "victim", "citizen", "member",
)  # fmt: skip

# Words that make a capitalised run an organisation, place or thing, not a person.
NOT_NAMES = frozenset(
    """
    hospital clinic bank council university college school street road avenue lane station
    court house trust centre center department ministry services service policy procedure
    ltd limited inc plc gmbh ag sa sas srl bv nv llc company group foundation association
    office board committee authority agency institute church airport square bridge
    river lake mountain hotel restaurant cafe shop market museum library theatre cinema
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday north south east west
    savings insurance health care medical general royal national international european
    union kingdom republic city county district region state federal act regulation
    article section chapter annex table figure page data protection privacy notice record
    records retention team unit surgery pharmacy practice backup backups manager officer
    director head lead clerk assistant coordinator administrator controller secretary chair
    """.split()
)

_TITLE_SET = frozenset(TITLES)
PARTICLES = frozenset(
    "van von de der den da di del della dos das du le la ter ten zu y bin al".split()
)

_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’-](?=[^\W\d_]))*")


@lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names), lower-cased, from Faker's locale providers."""
    first: set[str] = set()
    last: set[str] = set()
    for locale in FAKER_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except (ImportError, AttributeError):
            continue
        for attr in ("first_names", "first_names_male", "first_names_female"):
            first.update(_names(getattr(provider, attr, ())))
        for attr in ("last_names", "last_names_male", "last_names_female"):
            last.update(_names(getattr(provider, attr, ())))
    # Words that are names somewhere but common words or places here.
    first -= NOT_NAMES | {"will", "may", "june", "april", "august", "page", "art", "bill"}
    last -= NOT_NAMES
    return frozenset(first), frozenset(last)


def _names(values: object) -> list[str]:
    items = values.keys() if isinstance(values, dict) else values  # OrderedDict of weights
    return [str(v).lower() for v in items if len(str(v)) > 1]  # type: ignore[union-attr]


_TITLE_BEFORE = re.compile(r"(?:^|[^\w])(?:" + "|".join(map(re.escape, TITLES)) + r")\.?\s*$")
_CONTEXT_BEFORE = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, CONTEXT)) + r")(?!\w)[\s:,]*$")


def name_context(text: str, start: int) -> tuple[bool, bool]:
    """(a title, a context word) right before ``start``."""
    before = text[max(0, start - 40) : start].lower()
    return bool(_TITLE_BEFORE.search(before)), bool(_CONTEXT_BEFORE.search(before))


def is_capitalised(word: str) -> bool:
    return word[:1].isupper() and not (len(word) > 1 and word.isupper() and len(word) <= 4)


class PersonNameRecognizer(EntityRecognizer):
    ENTITY = "PERSON"

    def __init__(self) -> None:
        self.first, self.last = name_lists()
        super().__init__(
            supported_entities=[self.ENTITY], name="appliance:names", supported_language="en"
        )

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:  # type: ignore[no-untyped-def]
        if self.ENTITY not in entities:
            return []
        words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
        out = []
        i = 0
        while i < len(words):
            run = self._run_at(words, i, text)
            if not run:
                i += 1
                continue
            j, score = run
            start, end = words[i][1], words[j - 1][2]
            out.append(
                RecognizerResult(
                    self.ENTITY,
                    start,
                    end,
                    score,
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
            i = j
        return out

    def _run_at(
        self, words: list[tuple[str, int, int]], i: int, text: str
    ) -> tuple[int, float] | None:
        """A capitalised run starting at word ``i``: (end index, score) or None."""
        word = words[i][0]
        if not is_capitalised(word) or word.lower() in NOT_NAMES or word.lower() in _TITLE_SET:
            return None
        j = i
        tokens: list[str] = []
        while j < len(words) and len(tokens) < 4:
            w, s, _e = words[j]
            gap = text[words[j - 1][2] : s] if j > i else ""
            if j > i and (len(gap) > 2 or any(c in gap for c in ",;:()\n\t")):
                break
            if w.lower() in PARTICLES and tokens:
                # "van der Linden", "de la Cruz": particles, then a capitalised word.
                k = j
                while k < len(words) and words[k][0].lower() in PARTICLES:
                    k += 1
                if k < len(words) and is_capitalised(words[k][0]) and k - j <= 3:
                    tokens.extend(x[0] for x in words[j:k])
                    j = k
                    continue
                break
            if not is_capitalised(w) or w.lower() in NOT_NAMES:
                break
            tokens.append(w)
            j += 1
        names = [t for t in tokens if t.lower() not in PARTICLES]
        if not names:
            return None
        titled, context = name_context(text, words[i][1])
        parts = [p for t in names for p in re.split(r"[-'’]", t.lower()) if p]
        first_known = parts[0] in self.first
        last_known = any(p in self.last for p in parts[1:]) if len(parts) > 1 else False
        if titled:
            return j, 0.9
        if len(names) >= 2 and first_known and last_known:
            return j, 0.9
        if len(names) >= 2 and first_known:
            return j, 0.8 if context else 0.7
        if len(names) >= 2 and context:
            # "patient Bartholomew Szczepanski-Ndlovu": a context word and a run of
            # capitalised words is a name even when neither word is in the lists.
            return j, 0.75 if last_known else 0.7
        if len(names) == 1 and context and (first_known or parts[0] in self.last):
            return j, 0.65
        return None
