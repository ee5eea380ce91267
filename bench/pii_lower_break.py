"""Break tests for names typed in lower case and names from outside Europe (issue 16),
rounds 13 to 15.

Round 13's two files, written on 2026-12-02 by a helper that read none of the detector's
code, rules, tests, guide or data, and committed before anything was measured on them:

* ``bench/data/pii_lower_break13_negatives.txt``: 210 ordinary sentences, 30 in each of
  English, German, French, Italian, Spanish, Dutch and Polish, with a lower-case word
  after a conjunction and before a verb ("Could you check whether frost has damaged the
  pipes?"): trades that are surnames, programs, medicines, mass nouns; no one's name.
* ``bench/data/pii_lower_break13_names.tsv``: 140 sentences, 20 per language, each with
  one person's name typed in lower case, half of them after such a conjunction; a tab,
  then the name.

Round 14's (``--round 14``), written the same way by another helper after round 13's
rule was tuned, to measure it blind: ``pii_lower_break14_negatives.txt`` (140 sentences,
20 per language, a lower-case word of office life after a conjunction: devices,
services, medicines, trades) and ``pii_lower_break14_names.tsv`` (105 names, 15 per
language, at least 10 of each 15 right after a conjunction).

Round 15's (``--round 15``), written the same way by a third helper after the name lists
grew by Faker's lists of 17 locales outside Europe, to measure them blind:
``pii_lower_break15_negatives.txt`` (150 ordinary sentences full of words that are names
outside Europe: "Mar Menor", "Lan Switch", "Tai Chi", "Nur") and
``pii_lower_break15_names.tsv`` (105 names of families of Turkish, Maghrebi, Nigerian,
Indian, Vietnamese, Indonesian or Latin American origin, a third in lower case).

Prints every PERSON found in a negative, then for each name whether a found span covers
it, and the two counts (healthcare policy, ingestion stage). Run::

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/pii_lower_break.py [--round 14|15]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchkit import model_dir

from appliance.models import SPACY_EN_DIR
from appliance.privacy import load_policy, shared_detector

DATA = Path(__file__).resolve().parent / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--round", type=int, choices=(13, 14, 15), default=13)
    stem = f"pii_lower_break{parser.parse_args().round}"
    detector = shared_detector(model_dir() / SPACY_EN_DIR)
    policy = load_policy("healthcare")

    def names(text: str) -> list[str]:
        found = detector.analyze(
            text, policy.types_for("ingest"), policy.thresholds(), policy.allow, policy.deny
        )
        return [text[e.start : e.end] for e in found if e.type == "PERSON"]

    false = 0
    for line in (DATA / f"{stem}_negatives.txt").read_text("utf-8").splitlines():
        hits = names(line) if line.strip() else []
        if hits:
            false += 1
            print("FALSE", hits, "|", line)
    found = total = 0
    for line in (DATA / f"{stem}_names.tsv").read_text("utf-8").splitlines():
        if not line.strip():
            continue
        text, want = line.split("\t")[:2]
        hits = names(text)
        ok = any(want in h for h in hits)
        found += ok
        total += 1
        print("found" if ok else "MISS ", want, "->", hits, "|", text)
    print(f"negatives with a name: {false}; names found: {found} of {total}")


if __name__ == "__main__":
    main()
