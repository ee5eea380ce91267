"""PII detection quality and speed: the appliance's detector vs raw Presidio, same texts.

The figures of record come from the corpus of ``pii_corpus.py``: sentences in
seven languages (en, de, fr, it, es, nl, pl) written like letters, referrals,
forms, complaints, e-mails and staff questions, values from generators (valid
check digits; invalid ones and ordinary business text as negatives). Its
**holdout** half (``bench/data/pii_holdout.jsonl``) was frozen before the
detector was tuned on the **dev** half and on the tuning sets dev2, dev3 and dev4
(``--split dev4``); only the tuning sets' misses are ever printed.
``--split holdout2`` reads ``bench/data/pii_holdout2.jsonl`` (``pii_holdout2.py``:
new phrasings and hand-written names, written without reading the detector),
treated like the holdout: figures only. ``--split dev5`` (``pii_dev5.py``) is a fifth
tuning set of hand-written names and towns (lower-case, particle and compound names,
inflected Polish ones, places tied to a person, tempting negatives); ``--split negdev``
(``pii_negatives_dev.py``) is a tuning set of man-page passages and docstrings, nearly
all negatives (session 11); ``--split negprose`` (``pii_negatives_prose.py``) is a
second one of ordinary prose (package descriptions, licences, READMEs, translated
messages in six languages, session 12); ``--split
holdout3`` (``pii_holdout3.py``, written with dev5, frozen) is a third holdout of the
same kinds with other sentences and names: figures only. ``--split dev6a`` and
``--split dev6b`` are the two halves (by template) of a sixth tuning set
(``pii_dev6.py``, round 7: many phrasings, two sentences each): dev6a is tuned on and
prints its misses, dev6b is a within-session transfer check and prints figures only.
``--split dev7a`` and ``--split dev7b`` are the halves, built the same way, of a seventh
tuning set (``pii_dev7.py``, round 9: lower-case, possessive, surname-alone, Polish
declined names and full names in varied syntax): dev7a is tuned on, dev7b figures only.

Measures, per type, per language and per written form (IBAN separators, phone
forms, possessive and lower-case names):

* **protected recall**: a value counts as protected when detections (of any
  type: a BSN pseudonymised as a phone number is still hidden) cover every
  letter and digit of it; a surname left after "<PERSON_1>" is not protected;
* **typed recall**: a detection of the right type overlaps the value;
* **precision**: detections that overlap a labelled value, over all detections
  (the negatives contribute only false positives);
* sentences per second (median of interleaved rounds).

Raw Presidio is ``AnalyzerEngine`` with its default recognizers and the same
spaCy ``en_core_web_sm`` pipeline, threshold 0.5, its entity names mapped to
ours where they mean the same (``LOCATION`` from spaCy's GPE/LOC); types it
does not produce count as misses, its ``DATE_TIME``, ``NRP``, ``URL`` and the
like are ignored (not counted against its precision).

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/pii_eval.py [--split holdout]
        [--policy healthcare] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from benchkit import median, model_dir, print_footer, print_header, table
from pii_corpus import (
    DATA_DIR,
    DEV2_FILE,
    DEV3_FILE,
    DEV4_FILE,
    DEV_FILE,
    HOLDOUT_FILE,
    LANGS,
    read,
)
from pii_dev6 import DEV6_FILE
from pii_dev7 import DEV7_FILE
from pii_handwritten import DEV5_FILE, HOLDOUT3_FILE
from pii_negatives_dev import NEGDEV_FILE
from pii_negatives_prose import NEGPROSE_FILE

# A second holdout written blind to the detector (bench/pii_holdout2.py); like the
# holdout (and holdout3), its misses and false positives are never printed, only figures.
HOLDOUT2_FILE = DATA_DIR / "pii_holdout2.jsonl"
SPLITS = (
    "dev", "dev2", "dev3", "dev4", "dev5", "dev6a", "dev6b", "dev7a", "dev7b", "negdev",
    "negprose", "holdout", "holdout2", "holdout3",
)  # fmt: skip
# dev6b and dev7b are tuning sets' halves kept for a transfer check: figures only, like a
# holdout.
TUNING = ("dev", "dev2", "dev3", "dev4", "dev5", "dev6a", "dev7a", "negdev", "negprose")


SPLIT_FILES = {
    "dev": DEV_FILE,
    "dev2": DEV2_FILE,
    "dev3": DEV3_FILE,
    "dev4": DEV4_FILE,
    "dev5": DEV5_FILE,
    "dev6a": DEV6_FILE,
    "dev6b": DEV6_FILE,
    "dev7a": DEV7_FILE,
    "dev7b": DEV7_FILE,
    "negdev": NEGDEV_FILE,
    "negprose": NEGPROSE_FILE,
    "holdout": HOLDOUT_FILE,
    "holdout2": HOLDOUT2_FILE,
    "holdout3": HOLDOUT3_FILE,
}


def split_samples(split: str) -> list[dict]:  # type: ignore[type-arg]
    """The sentences of ``split`` (one of ``SPLITS``): dev6 and dev7 are one file each, in
    two halves."""
    samples = read(SPLIT_FILES[split])
    if split.startswith(("dev6", "dev7")):
        samples = [s for s in samples if s["split"] == split]
    return samples


Prediction = tuple[str, int, int]
NATIONAL_IDS = (
    "DE_TAX_ID", "ES_NIE", "ES_NIF", "FR_NIR", "IT_FISCAL_CODE", "NL_BSN", "PL_PESEL",
    "UK_NHS", "UK_NINO", "US_SSN",
)  # fmt: skip
PRESIDIO_MAP = {
    "PERSON": "PERSON", "EMAIL_ADDRESS": "EMAIL_ADDRESS", "PHONE_NUMBER": "PHONE_NUMBER",
    "IBAN_CODE": "IBAN_CODE", "CREDIT_CARD": "CREDIT_CARD", "IP_ADDRESS": "IP_ADDRESS",
    "UK_NHS": "UK_NHS", "UK_NINO": "UK_NINO", "IT_FISCAL_CODE": "IT_FISCAL_CODE",
    "ES_NIF": "ES_NIF", "ES_NIE": "ES_NIE", "PL_PESEL": "PL_PESEL", "DE_TAX_ID": "DE_TAX_ID",
    "US_SSN": "US_SSN", "LOCATION": "LOCATION", "NL_BSN": "NL_BSN", "FR_NIR": "FR_NIR",
    "UK_PASSPORT": "PASSPORT", "US_PASSPORT": "PASSPORT", "IT_PASSPORT": "PASSPORT",
}  # fmt: skip


@dataclass
class Counts:
    gold: int = 0
    protected: int = 0
    typed: int = 0
    pred: int = 0
    pred_ok: int = 0

    def add(self, other: Counts) -> None:
        self.gold += other.gold
        self.protected += other.protected
        self.typed += other.typed
        self.pred += other.pred
        self.pred_ok += other.pred_ok

    def recall(self) -> float:
        return self.protected / self.gold if self.gold else float("nan")

    def typed_recall(self) -> float:
        return self.typed / self.gold if self.gold else float("nan")

    def precision(self) -> float:
        return self.pred_ok / self.pred if self.pred else float("nan")


def _covered(text: str, start: int, end: int, preds: list[Prediction]) -> bool:
    """Every letter and digit of text[start:end] lies inside some prediction."""
    return all(
        not text[i].isalnum() or any(a <= i < b for _t, a, b in preds) for i in range(start, end)
    )


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


@dataclass
class Result:
    by_type: dict[str, Counts]
    by_lang: dict[str, Counts]
    by_form: dict[str, Counts]
    names_by_lang: dict[str, Counts]
    total: Counts
    negatives: tuple[int, int]  # (negative sentences with any detection, negative sentences)
    seconds: float
    misses: list[str]
    false: list[str]


def score(samples: list[dict], predict: Callable[[str], list[Prediction]]) -> Result:  # type: ignore[type-arg]
    start = time.perf_counter()
    predictions = [predict(str(s["text"])) for s in samples]
    seconds = time.perf_counter() - start
    by_type: dict[str, Counts] = defaultdict(Counts)
    by_lang: dict[str, Counts] = defaultdict(Counts)
    by_form: dict[str, Counts] = defaultdict(Counts)
    names: dict[str, Counts] = defaultdict(Counts)
    total = Counts()
    misses: list[str] = []
    false: list[str] = []
    neg_hit = neg = 0
    for s, preds in zip(samples, predictions, strict=True):
        text, lang, gold = str(s["text"]), str(s["lang"]), list(s["entities"])  # type: ignore[arg-type]
        if not gold:
            neg += 1
            neg_hit += bool(preds)
        for g in gold:
            typ, a, b, form = g["type"], g["start"], g["end"], g["form"]
            c = Counts(gold=1)
            c.protected = int(_covered(text, a, b, preds))
            c.typed = int(any(t == typ and _overlaps(a, b, pa, pb) for t, pa, pb in preds))
            if not c.protected:
                misses.append(f"[{lang}] {typ}/{form}: {text[a:b]!r} in {text!r}")
            for bucket in (by_type[typ], by_lang[lang], by_form[f"{typ}/{form}"], total):
                bucket.add(c)
            if typ == "PERSON":
                names[lang].add(c)
        for typ, pa, pb in preds:
            ok = any(_overlaps(pa, pb, g["start"], g["end"]) for g in gold)
            c = Counts(pred=1, pred_ok=int(ok))
            for bucket in (by_type[typ], by_lang[lang], total):
                bucket.add(c)
            if not ok:
                false.append(f"[{lang}] {typ}: {text[pa:pb]!r} in {text!r}")
    return Result(by_type, by_lang, by_form, names, total, (neg_hit, neg), seconds, misses, false)


def appliance_predictor(folder: Path, policy_name: str) -> Callable[[str], list[Prediction]]:
    from appliance.models import SPACY_EN_DIR
    from appliance.privacy import PiiDetector, load_policy

    # remember=0: every round reads every sentence (the timing is of the reading).
    detector = PiiDetector(folder / SPACY_EN_DIR, remember=0)
    policy = load_policy(policy_name)
    types = policy.types_for("ingest")

    def predict(text: str) -> list[Prediction]:
        found = detector.analyze(text, types, policy.thresholds(), policy.allow, policy.deny)
        return [(e.type, e.start, e.end) for e in found]

    return predict


def presidio_predictor(folder: Path) -> Callable[[str], list[Prediction]]:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    from appliance.models import SPACY_EN_DIR
    from appliance.privacy.detector import _offline_tldextract

    _offline_tldextract()
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": str(folder / SPACY_EN_DIR)}])
    analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])

    def predict(text: str) -> list[Prediction]:
        return [
            (PRESIDIO_MAP[r.entity_type], r.start, r.end)
            for r in analyzer.analyze(text=text, language="en", score_threshold=0.5)
            if r.entity_type in PRESIDIO_MAP
        ]

    return predict


def _group(counts: dict[str, Counts], keys: Iterable[str]) -> Counts:
    out = Counts()
    for k in keys:
        if k in counts:
            out.add(counts[k])
    return out


def summary(r: Result, n: int) -> dict[str, float]:
    """The headline figures (the issue's targets) of one result."""
    phones = r.by_type.get("PHONE_NUMBER", Counts())
    places = r.by_type.get("LOCATION", Counts())
    ibans = r.by_type.get("IBAN_CODE", Counts())
    ids = _group(r.by_type, NATIONAL_IDS)
    return {
        "recall": r.total.recall(),
        "typed_recall": r.total.typed_recall(),
        "precision": r.total.precision(),
        "national_ids": ids.recall(),
        "iban": ibans.recall(),
        "iban_worst_form": min(
            (c.recall() for k, c in r.by_form.items() if k.startswith("IBAN_CODE/")),
            default=float("nan"),
        ),
        "phone": phones.recall(),
        "location": places.recall(),
        "negatives_clean": 1 - r.negatives[0] / r.negatives[1] if r.negatives[1] else float("nan"),
        "sentences_per_s": n / r.seconds,
    }


def report(label: str, r: Result, n: int) -> None:
    print(f"\n### {label}: {n} sentences, {n / r.seconds:.0f} sentences/s\n")
    rows = [
        [t, c.gold, c.pred, c.recall(), c.typed_recall(), c.precision()]
        for t, c in sorted(r.by_type.items())
    ]
    ids = _group(r.by_type, NATIONAL_IDS)
    rows.append(
        ["national ids", ids.gold, ids.pred, ids.recall(), ids.typed_recall(), ids.precision()]
    )
    t = r.total
    rows.append(["ALL", t.gold, t.pred, t.recall(), t.typed_recall(), t.precision()])
    print(
        table(["type", "gold", "detected", "protected recall", "typed recall", "precision"], rows)
    )
    print()
    rows = [
        [lang, c.gold, c.recall(), c.precision(), r.names_by_lang[lang].recall()]
        for lang in LANGS
        if (c := r.by_lang.get(lang))
    ]
    print(table(["language", "gold", "protected recall", "precision", "PERSON recall"], rows))
    print()
    rows = [[k, c.gold, c.recall(), c.typed_recall()] for k, c in sorted(r.by_form.items())]
    print(table(["type/form", "gold", "protected recall", "typed recall"], rows))
    print(f"\nnegative sentences with any detection: {r.negatives[0]} of {r.negatives[1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--split",
        choices=[*SPLITS, "both"],
        default="both",
    )
    parser.add_argument("--policy", default="healthcare", help="the policy whose types run")
    parser.add_argument("--show", type=int, default=30, help="dev misses/false positives to print")
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds (median)")
    parser.add_argument("--no-presidio", action="store_true", help="skip raw Presidio")
    parser.add_argument("--json", type=Path, help="write the headline figures here")
    args = parser.parse_args()
    folder = model_dir()
    print_header("PII detection: appliance vs raw Presidio (default recognizers)")
    predictors = {"appliance": appliance_predictor(folder, args.policy)}
    if not args.no_presidio:
        predictors["presidio"] = presidio_predictor(folder)
    figures: dict[str, dict[str, dict[str, float]]] = {}
    for split in ("dev", "holdout") if args.split == "both" else (args.split,):
        samples = split_samples(split)
        print(
            f"\n## {split}: {len(samples)} sentences ({SPLIT_FILES[split].name}), policy {args.policy}"
        )
        results: dict[str, Result] = {}
        timings: dict[str, list[float]] = defaultdict(list)
        for rnd in range(args.rounds):
            order = list(predictors.items())
            for label, predict in order if rnd % 2 == 0 else order[::-1]:
                results[label] = score(samples, predict)
                timings[label].append(results[label].seconds)
        figures[split] = {}
        for label, r in results.items():
            r.seconds = median(timings[label])
            report(label, r, len(samples))
            figures[split][label] = summary(r, len(samples))
        tuning = split in TUNING
        if tuning and args.show:  # never a holdout's sentences
            r = results["appliance"]
            print(f"\nappliance misses on dev ({len(r.misses)}), first {args.show}:")
            for line in r.misses[: args.show]:
                print("  -", line)
            print(f"appliance false positives on dev ({len(r.false)}), first {args.show}:")
            for line in r.false[: args.show]:
                print("  -", line)
        print()
        rows = [[label, *f.values()] for label, f in figures[split].items()]
        print(table(["", *next(iter(figures[split].values()))], rows))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    print_footer()


if __name__ == "__main__":
    main()
