"""A negatives tuning set from real text nobody on the team wrote (session 11).

``bench/data/pii_negatives_dev.jsonl`` holds a fixed, seeded sample of 1,200 passages:

* 500 passages of Debian manual pages (``bench/data/manpages_passages.jsonl``: man-db,
  apt, debianutils; 100 in each of English, German, French, Italian and Polish, the
  translations by their volunteer translators), each with its page, package, version
  and licences;
* 700 paragraphs of the standard library's docstrings (``stdlib_corpus.py``: one module's
  Markdown, cut into plain paragraphs of 40 to 800 characters), each with its module and
  the Python version it was read from (the text is stored, so the set does not change
  with the interpreter).

Every span the detector flagged on the sample (round 6, healthcare policy) was read by
hand and labelled: a true positive (a real person's name, e-mail...) becomes a gold entity
(``entities``, as in the other PII sets, ``form`` "real"); a false positive is kept in
``labels`` with its kind (why the detector was wrong) so that a later run can say which
kinds remain. Samples without ``entities`` are negatives.

    .venv/bin/python bench/pii_negatives_dev.py            # false positives per type and kind
    .venv/bin/python bench/pii_negatives_dev.py --show     # and every flagged span
    .venv/bin/python bench/pii_negatives_dev.py --build    # re-draw the sample (keeps labels)

A tuning set: ``pii_eval.py --split negdev`` scores it like the others.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
NEGDEV_FILE = DATA_DIR / "pii_negatives_dev.jsonl"
MANPAGES_FILE = DATA_DIR / "manpages_passages.jsonl"
SEED = 20261130
PER_LANGUAGE = 100
DOCSTRINGS = 700


def _manpage_samples(rng: random.Random) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in MANPAGES_FILE.read_text(encoding="utf-8").splitlines()]
    out = []
    for lang in ("en", "de", "fr", "it", "pl"):
        mine = [r for r in rows if r["lang"] == lang]
        for r in sorted(rng.sample(mine, PER_LANGUAGE), key=lambda r: str(r["id"])):
            out.append(
                {
                    "id": f"man:{lang}:{r['id']}",
                    "lang": lang,
                    "source": "manpage",
                    "provenance": f"{r['package']} {r['version']} ({r['licences']}), "
                    f"{r['page']}, {lang}",
                    "text": r["text"],
                }
            )
    return out


def _docstring_samples(rng: random.Random) -> list[dict[str, object]]:
    from stdlib_corpus import MODULES, module_markdown, plain_paragraphs

    version = platform.python_version()
    pool = []
    for name in MODULES:
        for k, para in enumerate(plain_paragraphs(module_markdown(name))):
            if 40 <= len(para) <= 800:
                pool.append((name, k, para))
    out = []
    for name, k, para in sorted(rng.sample(pool, DOCSTRINGS)):
        out.append(
            {
                "id": f"doc:{name}#{k}",
                "lang": "en",
                "source": "docstring",
                "provenance": f"Python {version} standard library, {name} (PSF licence)",
                "text": para,
            }
        )
    return out


def read_samples(path: Path = NEGDEV_FILE) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def write_samples(samples: list[dict], path: Path = NEGDEV_FILE) -> None:  # type: ignore[type-arg]
    with path.open("w", encoding="utf-8") as out:
        for s in samples:
            out.write(json.dumps(s, ensure_ascii=False) + "\n")


def build() -> None:
    """Draw the sample (seeded); labels already in the file are kept by sample id."""
    rng = random.Random(SEED)
    samples = _manpage_samples(rng) + _docstring_samples(rng)
    old = {s["id"]: s for s in read_samples()} if NEGDEV_FILE.exists() else {}
    for s in samples:
        s["entities"] = old.get(s["id"], {}).get("entities", [])
        s["labels"] = old.get(s["id"], {}).get("labels", [])
    write_samples(samples)
    print(f"{len(samples)} samples -> {NEGDEV_FILE}")


def _kind_of(sample: dict, typ: str, value: str) -> str:  # type: ignore[type-arg]
    for label in sample.get("labels", []):
        if label["type"] == typ and label["value"] == value:
            return str(label["kind"])
    return "unlabelled"


def command_line(
    doc: str,
    build: Callable[[], None],
    samples: Callable[[], list[dict]],  # type: ignore[type-arg]
) -> None:
    """The command line of a negatives set: re-draw it, or report on it."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="re-draw the sample")
    parser.add_argument("--show", action="store_true", help="print every flagged span")
    parser.add_argument("--policy", default="healthcare")
    args = parser.parse_args()
    if args.build:
        build()
        return
    report(samples(), args.policy, args.show)


def main() -> None:
    command_line(__doc__, build, read_samples)


def report(samples: list[dict], policy: str, show: bool) -> None:  # type: ignore[type-arg]
    """Run the detector over a labelled negatives set; false positives per type and kind."""
    from benchkit import model_dir

    from appliance.models import SPACY_EN_DIR
    from appliance.privacy import PiiDetector, load_policy

    detector = PiiDetector(model_dir() / SPACY_EN_DIR, remember=0)
    rules = load_policy(policy)
    types = rules.types_for("ingest")
    by_type: Counter[str] = Counter()
    by_kind: Counter[tuple[str, str]] = Counter()
    flagged = tp = gold = found_gold = 0
    for s in samples:
        text = s["text"]
        found = detector.analyze(text, types, rules.thresholds(), rules.allow, rules.deny)
        gold += len(s["entities"])
        hit = False
        for e in found:
            typ, a, b = e.type, e.start, e.end
            value = text[a:b]
            true = any(a < g["end"] and g["start"] < b for g in s["entities"])
            if true:
                tp += 1
            else:
                hit = True
                by_type[typ] += 1
                by_kind[(typ, _kind_of(s, typ, value))] += 1
            if show:
                verdict = "TP" if true else f"FP {_kind_of(s, typ, value)}"
                print(f"{s['id']}\t{typ}\t{value!r}\t{e.source} {e.score:.2f}\t{verdict}")
        for g in s["entities"]:
            if any(e.start < g["end"] and g["start"] < e.end for e in found):
                found_gold += 1
            elif show:
                print(f"{s['id']}\t{g['type']}\t{text[g['start'] : g['end']]!r}\t\tMISSED")
        flagged += hit
    negatives = sum(1 for s in samples if not s["entities"])
    print(f"\n{len(samples)} passages ({negatives} without personal data), policy {policy}")
    print(f"true positives: {tp} detections; gold values found: {found_gold} of {gold}")
    print(f"passages with a false positive: {flagged}")
    print(f"false positives: {sum(by_type.values())}")
    for typ, n in by_type.most_common():
        print(f"  {typ}: {n}")
        for (t, kind), m in sorted(by_kind.items(), key=lambda kv: -kv[1]):
            if t == typ:
                print(f"      {m:3d}  {kind}")


if __name__ == "__main__":
    main()
