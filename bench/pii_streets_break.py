"""Round 11's break test for German and Dutch street addresses (issue 16).

Two files, written on 2026-12-01 by a helper that read none of the detector's code, rules,
tests or guide:

* ``bench/data/pii_streets_break_negatives.txt``: 150 ordinary sentences (90 German, 60
  Dutch; reports, news, manuals, recipes, announcements) with a street-like noun and a
  number in each ("Platz 3", "Lösungsweg 2", "Kalverstraat 20 procent"); no one's address.
  Six road numbers ("Bundesstraße 96") are marked ``#road`` after a tab.
* ``bench/data/pii_streets_break_addresses.tsv``: 80 sentences from letters and forms, each
  with a private person's street and house number, then a tab and that substring.

Prints every POSTAL_ADDRESS found in a negative, then for each address whether a found
span covers it, and the two counts (healthcare policy, ingestion stage). Run::

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/pii_streets_break.py
"""

from __future__ import annotations

from pathlib import Path

from benchkit import model_dir

from appliance.models import SPACY_EN_DIR
from appliance.privacy import load_policy, shared_detector

DATA = Path(__file__).resolve().parent / "data"


def main() -> None:
    detector = shared_detector(model_dir() / SPACY_EN_DIR)
    policy = load_policy("healthcare")

    def addresses(text: str) -> list[str]:
        found = detector.analyze(
            text, policy.types_for("ingest"), policy.thresholds(), policy.allow, policy.deny
        )
        return [text[e.start : e.end] for e in found if e.type == "POSTAL_ADDRESS"]

    false = 0
    for line in (DATA / "pii_streets_break_negatives.txt").read_text("utf-8").splitlines():
        text = line.split("\t")[0]
        hits = addresses(text) if text else []
        if hits:
            false += 1
            print("FALSE", hits, "|", line)
    found = total = 0
    for line in (DATA / "pii_streets_break_addresses.tsv").read_text("utf-8").splitlines():
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
