"""Check the blind question-answering set (bench/qa) against its source document.

Standard library only. Run from anywhere:

    python3 bench/qa/check_questions.py

It verifies that
  * the document's sha256 is the one recorded in SOURCE.md (the text was not edited);
  * every line of questions.jsonl is a JSON object with the expected fields and values;
  * ids are unique;
  * every gold form of an answerable question occurs in the document
    (case-insensitive, whitespace-normalised);
  * every passage occurs verbatim in the document (whitespace-normalised) and contains
    one of its question's gold forms;
  * unanswerable questions have no gold and no passage;
  * the split counts: 20 dev, at least 40 holdout, some unanswerable;
  * the dev/holdout split is the one drawn with the seed recorded in SOURCE.md
    (answerable ids sorted, shuffled with random.Random(seed), the first 20 are dev);
  * the holdout is the one frozen in SOURCE.md (its fingerprint is unchanged).

Exit status 0 when clean, 1 with one line per problem otherwise.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCUMENT = HERE / "gdpr.md"
QUESTIONS = HERE / "questions.jsonl"
SOURCE = HERE / "SOURCE.md"

FIELDS = ("id", "question", "gold", "passage", "where", "type", "split")
TYPES = {"duration", "number", "amount", "who", "what", "yes-no", "definition", "reference"}
SPLITS = {"dev", "holdout", "unanswerable"}
DEV_COUNT = 20
MIN_HOLDOUT = 40


def normalise(text: str) -> str:
    """Collapse every run of whitespace (spaces, tabs, newlines) to one space."""
    return re.sub(r"\s+", " ", text).strip()


def holdout_fingerprint(records: list[dict]) -> str:
    """sha256 over the holdout records, canonical JSON, in id order."""
    held = sorted((r for r in records if r.get("split") == "holdout"), key=lambda r: r["id"])
    canon = "\n".join(json.dumps(r, ensure_ascii=False, sort_keys=True) for r in held)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def recorded(label: str, source_text: str) -> str | None:
    """The 64-hex value after `label` in SOURCE.md, if any."""
    found = re.search(re.escape(label) + r"\W*([0-9a-f]{64})", source_text)
    return found.group(1) if found else None


def seeded_dev(records: list[dict], seed: int) -> set[str]:
    """The dev ids drawn from the answerable questions with `seed`."""
    answerable = sorted(r["id"] for r in records if r.get("split") in ("dev", "holdout"))
    random.Random(seed).shuffle(answerable)
    return set(answerable[:DEV_COUNT])


def check() -> tuple[list[str], list[dict]]:
    problems: list[str] = []
    raw = DOCUMENT.read_bytes()
    doc = normalise(raw.decode("utf-8"))
    doc_lower = doc.lower()

    source_text = SOURCE.read_text(encoding="utf-8") if SOURCE.exists() else ""
    want = recorded("Document sha256:", source_text)
    got = hashlib.sha256(raw).hexdigest()
    if want is None:
        problems.append("SOURCE.md: no 'Document sha256:' line")
    elif want != got:
        problems.append(f"{DOCUMENT.name}: sha256 {got} differs from SOURCE.md ({want})")

    records: list[dict] = []
    for number, line in enumerate(QUESTIONS.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            problems.append(f"line {number}: blank line")
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"line {number}: not JSON ({error})")
            continue
        if not isinstance(record, dict):
            problems.append(f"line {number}: not a JSON object")
            continue
        records.append(record)

    ids = Counter(r.get("id") for r in records)
    for qid, count in ids.items():
        if count > 1:
            problems.append(f"{qid}: id used {count} times")

    for r in records:
        qid = r.get("id", "?")
        missing = [f for f in FIELDS if f not in r]
        extra = [f for f in r if f not in FIELDS]
        if missing or extra:
            problems.append(f"{qid}: missing fields {missing}, unexpected fields {extra}")
            continue
        if not re.fullmatch(r"q\d{2,3}", str(qid)):
            problems.append(f"{qid}: id is not of the form q01")
        if not isinstance(r["question"], str) or not r["question"].strip():
            problems.append(f"{qid}: empty question")
        if r["type"] not in TYPES:
            problems.append(f"{qid}: type {r['type']!r} not one of {sorted(TYPES)}")
        if r["split"] not in SPLITS:
            problems.append(f"{qid}: split {r['split']!r} not one of {sorted(SPLITS)}")
            continue
        gold, passage = r["gold"], r["passage"]
        if not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
            problems.append(f"{qid}: gold is not a list of strings")
            continue
        if not isinstance(passage, str):
            problems.append(f"{qid}: passage is not a string")
            continue

        if r["split"] == "unanswerable":
            if gold or passage or r["where"]:
                problems.append(f"{qid}: unanswerable but has gold, passage or where")
            continue

        if not gold:
            problems.append(f"{qid}: no gold form")
        if not r["where"]:
            problems.append(f"{qid}: no 'where'")
        for form in gold:
            norm = normalise(form).lower()
            if not norm:
                problems.append(f"{qid}: empty gold form")
            elif norm not in doc_lower:
                problems.append(f"{qid}: gold {form!r} not in the document")
        norm_passage = normalise(passage)
        if not norm_passage:
            problems.append(f"{qid}: empty passage")
        elif norm_passage not in doc:
            problems.append(f"{qid}: passage not verbatim in the document: {passage[:80]!r}")
        elif not any(normalise(g).lower() in norm_passage.lower() for g in gold if g.strip()):
            problems.append(f"{qid}: passage contains none of the gold forms")

    splits = Counter(r.get("split") for r in records)
    if splits["dev"] != DEV_COUNT:
        problems.append(f"dev has {splits['dev']} questions, expected {DEV_COUNT}")
    if splits["holdout"] < MIN_HOLDOUT:
        problems.append(f"holdout has {splits['holdout']} questions, expected >= {MIN_HOLDOUT}")
    if splits["unanswerable"] == 0:
        problems.append("no unanswerable questions")

    seed = re.search(r"Split seed:\W*(\d+)", source_text)
    if seed is None:
        problems.append("SOURCE.md: no 'Split seed:' line")
    else:
        dev = {r["id"] for r in records if r.get("split") == "dev"}
        if dev != seeded_dev(records, int(seed.group(1))):
            problems.append(f"dev split is not the one drawn with seed {seed.group(1)}")

    frozen = recorded("Holdout fingerprint (sha256):", source_text)
    if frozen is None:
        problems.append("SOURCE.md: no 'Holdout fingerprint (sha256):' line")
    elif frozen != holdout_fingerprint(records):
        problems.append("holdout differs from the one frozen in SOURCE.md (fingerprint changed)")
    return problems, records


def main() -> int:
    problems, records = check()
    splits = Counter(r.get("split") for r in records)
    types = Counter(r.get("type") for r in records if r.get("split") != "unanswerable")
    print(f"document: {DOCUMENT.name}, {len(DOCUMENT.read_text(encoding='utf-8').split())} words")
    print(
        f"questions: {len(records)}; splits: "
        + ", ".join(f"{k} {v}" for k, v in sorted(splits.items()))
    )
    print("answerable by type: " + ", ".join(f"{k} {v}" for k, v in sorted(types.items())))
    print(f"holdout fingerprint: {holdout_fingerprint(records)}")
    for problem in problems:
        print("PROBLEM:", problem)
    print("clean" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
