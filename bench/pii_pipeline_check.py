"""Does the PII detector find the same entities with fewer spaCy components?

Loads the detector twice: with en_core_web_sm's components as ``--before`` lists them
excluded, and as the appliance now loads it (``appliance.privacy.detector
._SPACY_EXCLUDE``), reads every text of the development set dev5 (never a holdout),
the man-page passages in five languages (``bench/data/manpages_passages.jsonl``),
the sample documents and the GDPR under the default policy, and prints how many
texts differ (with the first few differences) and the seconds each side took.
Neither side remembers what it read (``remember=0``).

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/pii_pipeline_check.py
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pii_dev5
from benchkit import model_dir, print_footer, print_header
from pii_handwritten import build

import appliance.privacy.detector as detector_module
from appliance.models import SPACY_EN_DIR
from appliance.privacy import PiiDetector, load_policy

REPO = Path(__file__).resolve().parent.parent


def corpus() -> list[str]:
    texts = [s.text for s in build("dev", pii_dev5.SEED, pii_dev5.TEMPLATES, pii_dev5.POOLS)]
    with (REPO / "bench/data/manpages_passages.jsonl").open() as fh:
        texts += [json.loads(line)["text"] for line in fh]
    texts += [f.read_text()[:20000] for f in sorted((REPO / "samples").rglob("*.md"))]
    texts.append((REPO / "bench/qa/gdpr.md").read_text())
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="parser,lemmatizer,senter")
    args = parser.parse_args()
    texts = corpus()
    print_header(
        f"PII detector, spaCy components: {len(texts)} texts, {sum(map(len, texts))} chars"
    )
    policy = load_policy("default")
    now = list(detector_module._SPACY_EXCLUDE)
    detector_module._SPACY_EXCLUDE = args.before.split(",")
    before = PiiDetector(model_dir() / SPACY_EN_DIR, remember=0)
    detector_module._SPACY_EXCLUDE = now
    after = PiiDetector(model_dir() / SPACY_EN_DIR, remember=0)
    seconds = {"before": 0.0, "after": 0.0}
    differ = 0
    for text in texts:
        found = {}
        for name, side in (("before", before), ("after", after)):
            start = time.perf_counter()
            found[name] = side.analyze(
                text, policy.types, policy.thresholds(), allow=policy.allow, deny=policy.deny
            )
            seconds[name] += time.perf_counter() - start
        if found["before"] != found["after"]:
            differ += 1
            if differ <= 5:
                print("differs:", [(e.type, e.start, e.end) for e in found["before"]],
                      [(e.type, e.start, e.end) for e in found["after"]])  # fmt: skip
    print(f"excluded before: {args.before}\nexcluded after:  {','.join(now)}")
    print(f"texts whose entities differ: {differ} of {len(texts)}")
    print(f"seconds: before {seconds['before']:.1f}, after {seconds['after']:.1f} "
          f"({seconds['after'] / seconds['before']:.2f}x)")  # fmt: skip
    print_footer()


if __name__ == "__main__":
    main()
