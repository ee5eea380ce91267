"""The builder of the hand-written PII evaluation sets (``pii_dev5.py``, ``pii_holdout3.py``,
``pii_dev6.py``).

Each set brings its own sentence templates and its own hand-typed names and towns
(a ``Pools``); this module fills the templates with them and with values from
``pii_corpus.py``'s generators (national identifiers with valid check digits, IBANs,
phone numbers; identifiers and IBANs with a wrong check digit in negatives), checks
every offset (``text[start:end]`` is the value) and writes JSON lines in the format of
``pii_corpus.py``: ``{"id", "lang", "split", "genre", "text", "entities": [{"type",
"start", "end", "form"}]}``. A template ``"G|text"`` has a genre letter (L letter,
R referral, F form, C complaint, E e-mail, Q question; N a negative: no entities).

Slots (a person slot may end in ``_M`` or ``_F`` to draw a man or a woman):

* ``{P}`` a full name (form ``full``), ``{S}`` a surname alone (``surname``),
  ``{PART}`` / ``{PART_S}`` a name / surname with a particle (``particle``: "van der",
  "de la", "O'", "Mac"), ``{COMP}`` a compound name (``compound``: "Anne-Laure",
  "Nowak-Grzelak", two Spanish surnames); ``_LC`` after any of them writes it in lower
  case (form ``lower``), ``_POSS`` adds the language's possessive ending, which is not
  part of the value (form ``possessive``; en, de, nl);
* Polish: ``{PLN_GEN}`` ``{PLN_DAT}`` ``{PLN_INS}`` a full name in that case,
  ``{PAN_GEN}`` ``{PAN_DAT}`` ``{PAN_INS}`` "pana"/"pani" + the surname in that case
  (the surname labelled), ``{PLS_GEN}`` ``{PLS_DAT}`` ``{PLS_INS}`` the surname alone in
  that case; form ``inflected`` where the case changed the name; ``_LC`` after the case
  writes the value in lower case (form ``lower``);
* ``{T}`` a town (form ``town``; Polish: the nominative); Polish ``{PL_W}`` ``{PL_Z}``
  ``{PL_DO}`` ``{PL_POD}`` ``{PL_KOLO}`` a preposition and the town in the case it
  asks for, ``{PL_GEN}`` ``{PL_LOC}`` ``{PL_INS}`` the town in that case without one
  (form ``inflected``);
  ``_ORG`` after a town slot writes it unlabelled (an organisation's seat);
* ``{ID}`` this language's national identifier, ``{PHONE}``, ``{PHONE_EXT}``,
  ``{IBAN}``; negatives: ``{BAD_ID}``, ``{BAD_IBAN}`` (wrong check digits), ``{NUM}``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from faker import Faker
from pii_corpus import (
    DATA_DIR,
    LANGS,
    LOCALE,
    Sample,
    Value,
    _digits,
    gen_iban,
    gen_id,
    gen_phone,
    gen_phone_ext,
)

DEV5_FILE = DATA_DIR / "pii_dev5.jsonl"
HOLDOUT3_FILE = DATA_DIR / "pii_holdout3.jsonl"
PER_POSITIVE = 5  # sentences from each positive template
PER_NEGATIVE = 4  # from each negative template

_PERSON = re.compile(r"(P|S|PART|PART_S|COMP)(_LC)?(_POSS)?(?:_([MF]))?")
_PL_PERSON = re.compile(r"(PLN|PAN|PLS)_(GEN|DAT|INS)(_LC)?(?:_([MF]))?")
_PL_TOWN = re.compile(r"PL_(W|Z|DO|POD|KOLO|GEN|LOC|INS)(_ORG)?")
_CASE = {"GEN": 1, "DAT": 2, "INS": 3}
_PAN = {"m": ("pan", "pana", "panu", "panem"), "f": ("pani", "pani", "pani", "panią")}
_BASE_FORM = {"P": "full", "S": "surname", "PART": "particle", "PART_S": "particle"}


@dataclass(frozen=True)
class Name:
    first: str
    last: str
    sex: str  # "m" or "f"


@dataclass(frozen=True)
class PlName:
    """A Polish name in four cases (nominative, genitive, dative, instrumental)."""

    sex: str
    first: tuple[str, str, str, str]
    last: tuple[str, str, str, str]


@dataclass(frozen=True)
class PlTown:
    """A Polish town: nominative, genitive, locative, instrumental, and the forms of
    "w" and "z" before it ("we Wrocławiu", "ze Szczecina")."""

    nom: str
    gen: str
    loc: str
    ins: str
    w: str = "w"
    z: str = "z"


@dataclass(frozen=True)
class Pools:
    """One set's hand-typed names and towns, per language."""

    full: dict[str, tuple[Name, ...]]
    particle: dict[str, tuple[Name, ...]]
    compound: dict[str, tuple[Name, ...]]
    towns: dict[str, tuple[str, ...]]
    pl_names: tuple[PlName, ...]
    pl_towns: tuple[PlTown, ...]


def names(*rows: str) -> tuple[Name, ...]:
    """Names from ``"First|Last|sex"`` rows."""
    out = []
    for row in rows:
        first, last, sex = row.split("|")
        assert sex in ("m", "f"), row
        out.append(Name(first, last, sex))
    return tuple(out)


def pl_names(*rows: str) -> tuple[PlName, ...]:
    """Polish names from ``"sex|first in 4 cases, comma-separated|surname likewise"``."""
    out = []
    for row in rows:
        sex, first, last = row.split("|")
        f, s = tuple(first.split(",")), tuple(last.split(","))
        assert sex in ("m", "f") and len(f) == len(s) == 4, row
        out.append(PlName(sex, f, s))  # type: ignore[arg-type]
    return tuple(out)


def _possessive(lang: str, name: str) -> str:
    if lang == "en":
        return "'" if name.endswith("s") else "'s"
    if lang == "de":
        return "'" if name[-1] in "sßxz" else "s"
    if lang == "nl":
        return "'" if name.endswith("s") else "'s" if name[-1] in "aeiouy" else "s"
    raise ValueError(f"no possessive for {lang}")


def _pick(rng: random.Random, items: tuple, sex: str | None, used: set[str]):  # type: ignore[no-untyped-def,type-arg]
    """A random item of the right sex not yet used in this sentence."""
    fits = [i for i in items if (sex is None or i.sex == sex) and repr(i) not in used]
    choice = rng.choice(fits)
    used.add(repr(choice))
    return choice


def _person(
    slot: str, lang: str, pools: Pools, rng: random.Random, used: set[str]
) -> tuple[str, Value] | None:
    """(text written before the value, the value) for a person slot, else None."""
    if m := _PERSON.fullmatch(slot):
        base, lower, poss, sex = m.groups()
        sex = sex and sex.lower()
        if lang == "pl" and base in ("P", "S"):
            pl = _pick(rng, pools.pl_names, sex, used)
            name = Name(pl.first[0], pl.last[0], pl.sex)
        else:
            pool = {"P": pools.full, "S": pools.full, "COMP": pools.compound}.get(
                base, pools.particle
            )
            name = _pick(rng, pool[lang], sex, used)
        text = name.last if base in ("S", "PART_S") else f"{name.first} {name.last}"
        if lower:
            return "", Value("PERSON", text.lower(), "lower")
        form = "possessive" if poss else _BASE_FORM.get(base, "compound")
        return "", Value("PERSON", text, form)
    if m := _PL_PERSON.fullmatch(slot):
        kind, case_name, lower, sex = m.groups()
        pl = _pick(rng, pools.pl_names, sex and sex.lower(), used)
        case = _CASE[case_name]
        if kind == "PLN":
            before, text = "", f"{pl.first[case]} {pl.last[case]}"
            form = "inflected"  # the first name always changes
        else:
            before = _PAN[pl.sex][case] + " " if kind == "PAN" else ""
            text = pl.last[case]
            form = "inflected" if text != pl.last[0] else "surname"
        if lower:
            before, text, form = before.lower(), text.lower(), "lower"
        return before, Value("PERSON", text, form)
    return None


def _fill(
    template: str, lang: str, pools: Pools, fakes: dict[str, Faker], rng: random.Random
) -> tuple[str, list[dict[str, object]]]:
    text = ""
    entities: list[dict[str, object]] = []
    used: set[str] = set()
    pos = 0
    for m in re.finditer(r"\{([A-Z_]+)\}", template):
        text += template[pos : m.start()]
        slot = m.group(1)
        gold: Value | None = None
        if person := _person(slot, lang, pools, rng, used):
            text += person[0]
            gold = person[1]
        elif slot in ("T", "T_ORG"):
            if lang == "pl":
                town = _pick(rng, pools.pl_towns, None, used).nom
            else:
                town = rng.choice([t for t in pools.towns[lang] if t not in used])
                used.add(town)
            gold = Value("LOCATION", town, "town")
        elif tm := _PL_TOWN.fullmatch(slot):
            t = _pick(rng, pools.pl_towns, None, used)
            preposition, town = {
                "W": (t.w, t.loc),
                "Z": (t.z, t.gen),
                "DO": ("do", t.gen),
                "POD": ("pod", t.ins),
                "KOLO": ("koło", t.gen),
                "GEN": ("", t.gen),
                "LOC": ("", t.loc),
                "INS": ("", t.ins),
            }[tm.group(1)]
            text += preposition + " " if preposition else ""
            gold = Value("LOCATION", town, "inflected" if town != t.nom else "town")
        elif slot == "ID":
            gold = gen_id(lang, fakes, rng, True)
        elif slot == "PHONE":
            gold = gen_phone(lang, rng)
        elif slot == "PHONE_EXT":
            gold = gen_phone_ext(lang, rng)
        elif slot == "IBAN":
            gold = gen_iban(fakes[lang], rng)
        elif slot == "BAD_ID":
            text += gen_id(lang, fakes, rng, False).text
        elif slot == "BAD_IBAN":
            text += gen_iban(fakes[lang], rng, valid=False).text
        elif slot == "NUM":
            text += rng.choice([f"{rng.randint(2021, 2026)}/{_digits(rng, 4)}", _digits(rng, 7)])
        else:
            raise KeyError(slot)
        if gold is not None and slot.endswith("_ORG"):
            text += gold.text
            gold = None
        if gold is not None:
            start = len(text)
            text += gold.text
            assert text[start:] == gold.text
            entities.append(
                {"type": gold.type, "start": start, "end": len(text), "form": gold.form}
            )
            if gold.form == "possessive":
                text += _possessive(lang, gold.text)
        pos = m.end()
    text += template[pos:]
    return text, entities


def build(
    split: str,
    seed: int,
    templates: dict[str, list[str]],
    pools: Pools,
    per_positive: int = PER_POSITIVE,
    per_negative: int = PER_NEGATIVE,
) -> list[Sample]:
    """Every sentence of one set, deterministic for the seed; no sentence twice;
    ``per_positive`` / ``per_negative`` sentences from each positive / negative template."""
    rng = random.Random(f"{seed}-{split}")
    Faker.seed(f"{seed}-{split}")
    fakes = {lang: Faker(LOCALE[lang]) for lang in LANGS}
    samples: list[Sample] = []
    seen: set[str] = set()
    for lang in LANGS:
        for t_index, entry in enumerate(templates[lang]):
            genre, template = entry.split("|", 1)
            negative = genre == "N"
            for k in range(per_negative if negative else per_positive):
                for _try in range(50):
                    text, entities = _fill(template, lang, pools, fakes, rng)
                    if text not in seen:
                        break
                seen.add(text)
                assert "{" not in text and bool(entities) != negative, (lang, template)
                samples.append(
                    Sample(
                        f"{split}-{lang}-{t_index:02d}-{k}",
                        lang,
                        split,
                        "negative" if negative else genre,
                        text,
                        entities,
                    )
                )
    return samples


def write(samples: list[Sample], path: Path, force: bool) -> None:
    """JSON lines at ``path``; an existing file is kept unless ``force``."""
    if path.exists() and not force:
        print(f"{path} exists (frozen); --force to regenerate")
        return
    with path.open("w", encoding="utf-8") as f:
        for s in samples:
            f.write(json.dumps(s.as_json(), ensure_ascii=False) + "\n")
    n_neg = sum(1 for s in samples if not s.entities)
    print(f"{path}: {len(samples)} sentences ({n_neg} negatives)")


def main(split: str, seed: int, templates: dict[str, list[str]], pools: Pools, path: Path) -> None:
    parser = argparse.ArgumentParser(description=f"write {path.name}")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    write(build(split, seed, templates, pools), path, parser.parse_args().force)
