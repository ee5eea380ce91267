"""Break tests for German, Dutch and Polish street addresses (issue 16), rounds 11 and 12.

Round 11's two files, written on 2026-12-01 by a helper that read none of the detector's
code, rules, tests or guide:

* ``bench/data/pii_streets_break_negatives.txt``: 150 ordinary sentences (90 German, 60
  Dutch; reports, news, manuals, recipes, announcements) with a street-like noun and a
  number in each ("Platz 3", "Lösungsweg 2", "Kalverstraat 20 procent"); no one's address.
  Six road numbers ("Bundesstraße 96") are marked ``#road`` after a tab.
* ``bench/data/pii_streets_break_addresses.tsv``: 80 sentences from letters and forms, each
  with a private person's street and house number, then a tab and that substring.

Round 12's (``--round 12``), written on 2026-12-02 the same way, blind, before the rules
for streets after a preposition and for house-number suffixes were measured on them:

* ``bench/data/pii_streets_break12_negatives.txt``: 160 ordinary sentences (100 German, 50
  Dutch, 10 Polish) with a preposition, a capitalised noun and a number ("Im Raum 4
  findet ...", "Am Markt 3 Stände mehr", "In de Kamer 3 vergadert", "W sali 12").
* ``bench/data/pii_streets_break12_addresses.tsv``: 90 lines, streets after a preposition
  ("Am Lindenbühl 14", "Aan de Vaart 34") and house numbers with a floor, a box or a flat
  ("3 II", "14 bus 2", "263-III", "ul. Marszałkowska 84/92 m. 15").

Prints every POSTAL_ADDRESS found in a negative, then for each address whether a found
span covers it, and the two counts (healthcare policy, ingestion stage). Run::

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/pii_streets_break.py [--round 12]
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
    parser.add_argument("--round", type=int, choices=(11, 12), default=11)
    stem = "pii_streets_break" + ("" if parser.parse_args().round == 11 else "12")
    detector = shared_detector(model_dir() / SPACY_EN_DIR)
    policy = load_policy("healthcare")

    def addresses(text: str) -> list[str]:
        found = detector.analyze(
            text, policy.types_for("ingest"), policy.thresholds(), policy.allow, policy.deny
        )
        return [text[e.start : e.end] for e in found if e.type == "POSTAL_ADDRESS"]

    false = 0
    for line in (DATA / f"{stem}_negatives.txt").read_text("utf-8").splitlines():
        text = line.split("\t")[0]
        hits = addresses(text) if text else []
        if hits:
            false += 1
            print("FALSE", hits, "|", line)
    found = total = 0
    for line in (DATA / f"{stem}_addresses.tsv").read_text("utf-8").splitlines():
        if not line.strip():
            continue
        text, want = line.split("\t")[:2]
        hits = addresses(text)
        ok = any(want in h for h in hits)
        found += ok
        total += 1
        print("found" if ok else "MISS ", want, "->", hits)
    print(f"negatives with an address: {false}; addresses found: {found} of {total}")


if __name__ == "__main__":
    main()
