"""Every PII tuning split in one process, one line each: the figures to compare when a
rule or a threshold changes (issue 16, round 9). Never a holdout: those are run once, after
the change is decided, with ``pii_eval.py --split holdout*``.

Per split: protected recall, precision, negative sentences with no detection, false
positives, and protected recall of each written form of PERSON. ``--misses FILE`` writes
the tuned-on splits' misses and false positives as JSON (never dev6b's or dev7b's, the
transfer checks, whose sentences are not read).

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/pii_tuning_sweep.py [--splits dev7a,negdev]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchkit import model_dir
from pii_eval import TUNING, appliance_predictor, score, split_samples, summary

TRANSFER = ("dev6b", "dev7b")  # figures only
DEFAULT = (*TUNING[:6], "dev6b", "dev7a", "dev7b", *TUNING[7:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", default=",".join(DEFAULT), help="comma-separated")
    parser.add_argument("--policy", default="healthcare")
    parser.add_argument("--misses", type=Path, help="write the tuned-on splits' misses here")
    args = parser.parse_args()
    splits = args.splits.split(",")
    refused = [s for s in splits if s not in TUNING and s not in TRANSFER]
    if refused:
        parser.error(f"not a tuning split: {', '.join(refused)}")
    predict = appliance_predictor(model_dir(), args.policy)
    misses = {}
    for split in splits:
        samples = split_samples(split)
        r = score(samples, predict)
        f = summary(r, len(samples))
        clean = r.negatives[1] - r.negatives[0]
        forms = " ".join(
            f"{k.split('/')[1]}={c.recall():.3f}"
            for k, c in sorted(r.by_form.items())
            if k.startswith("PERSON/")
        )
        print(
            f"{split:9} recall {f['recall']:.3f} precision {f['precision']:.3f} "
            f"negatives clean {clean}/{r.negatives[1]} false {len(r.false)} {forms}",
            flush=True,
        )
        if split in TUNING:
            misses[split] = {"misses": r.misses, "false": r.false}
    if args.misses:
        args.misses.write_text(json.dumps(misses, ensure_ascii=False, indent=0), "utf-8")


if __name__ == "__main__":
    main()
