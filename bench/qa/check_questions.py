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

and, for the second blind set questions2.jsonl (SOURCE.md, "Second blind set"), that
  * the file's sha256 is the one recorded in SOURCE.md (holdout2 is frozen: any edit fails);
  * every record has the fields above, an id r01.., a known type and split dev2/holdout2;
  * gold forms and verbatim passages follow the same rules as above;
  * unanswerable questions (type "unanswerable") have no gold, passage or where;
  * 30 dev2 and 40 holdout2, split by the fixed rule recorded in SOURCE.md.

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
QUESTIONS2 = HERE / "questions2.jsonl"

FIELDS = ("id", "question", "gold", "passage", "where", "type", "split")
TYPES = {"duration", "number", "amount", "who", "what", "yes-no", "definition", "reference"}
SPLITS = {"dev", "holdout", "unanswerable"}
DEV_COUNT = 20
MIN_HOLDOUT = 40
TYPES2 = TYPES | {"list", "unanswerable"}
SPLITS2 = {"dev2", "holdout2"}
DEV2_COUNT, HOLDOUT2_COUNT = 30, 40


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


def sha256_problems(path: Path, label: str, source_text: str) -> list[str]:
    """A problem when the file's sha256 is not the one after `label` in SOURCE.md."""
    want = recorded(label, source_text)
    got = hashlib.sha256(path.read_bytes()).hexdigest()
    if want is None:
        return [f"SOURCE.md: no '{label}' line"]
    if want != got:
        return [f"{path.name}: sha256 {got} differs from SOURCE.md ({want})"]
    return []


def read_records(path: Path, problems: list[str]) -> list[dict]:
    """The JSON objects of a .jsonl file; bad lines and repeated ids go to `problems`."""
    records: list[dict] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            problems.append(f"{path.name} line {number}: blank line")
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"{path.name} line {number}: not JSON ({error})")
            continue
        if not isinstance(record, dict):
            problems.append(f"{path.name} line {number}: not a JSON object")
            continue
        records.append(record)
    ids = Counter(r.get("id") for r in records)
    for qid, count in ids.items():
        if count > 1:
            problems.append(f"{qid}: id used {count} times")
    return records


def record_problems(
    r: dict, doc: str, id_pattern: str, types: set[str], splits: set[str], unanswerable: bool
) -> list[str]:
    """Problems with one question record; `doc` is the normalised document text.

    An answerable record needs gold forms that occur in the document (case-insensitive)
    and a passage that occurs verbatim (whitespace-normalised) and holds a gold form;
    an unanswerable one has no gold, passage or where.
    """
    problems: list[str] = []
    qid = r.get("id", "?")
    missing = [f for f in FIELDS if f not in r]
    extra = [f for f in r if f not in FIELDS]
    if missing or extra:
        return [f"{qid}: missing fields {missing}, unexpected fields {extra}"]
    if not re.fullmatch(id_pattern, str(qid)):
        problems.append(f"{qid}: id does not match {id_pattern}")
    if not isinstance(r["question"], str) or not r["question"].strip():
        problems.append(f"{qid}: empty question")
    if r["type"] not in types:
        problems.append(f"{qid}: type {r['type']!r} not one of {sorted(types)}")
    if r["split"] not in splits:
        problems.append(f"{qid}: split {r['split']!r} not one of {sorted(splits)}")
        return problems
    gold, passage = r["gold"], r["passage"]
    if not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
        return [*problems, f"{qid}: gold is not a list of strings"]
    if not isinstance(passage, str):
        return [*problems, f"{qid}: passage is not a string"]

    if unanswerable:
        if gold or passage or r["where"]:
            problems.append(f"{qid}: unanswerable but has gold, passage or where")
        return problems

    if not gold:
        problems.append(f"{qid}: no gold form")
    if not r["where"]:
        problems.append(f"{qid}: no 'where'")
    doc_lower = doc.lower()
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
    return problems


def second_split(record: dict) -> str:
    """The split of a questions2.jsonl record by the rule fixed before writing it.

    Answerable ids r01..r63 are in the order of the regulation (recitals, then
    articles); index i = number - 1 goes to dev2 when i % 7 is 1, 3 or 5.
    Unanswerable ids r64..r70: index j = number - 64 goes to dev2 when j is 0, 2 or 4.
    """
    number = int(record["id"][1:])
    if record["type"] == "unanswerable":
        return "dev2" if number - 64 in (0, 2, 4) else "holdout2"
    return "dev2" if (number - 1) % 7 in (1, 3, 5) else "holdout2"


def check_second(doc: str, source_text: str) -> tuple[list[str], list[dict]]:
    """Problems with questions2.jsonl (the second blind set) and its records."""
    problems = sha256_problems(QUESTIONS2, "questions2.jsonl sha256:", source_text)
    records = read_records(QUESTIONS2, problems)
    for r in records:
        found = record_problems(
            r, doc, r"r\d{2}", TYPES2, SPLITS2, unanswerable=r.get("type") == "unanswerable"
        )
        problems.extend(found)
        if not found and r["split"] != second_split(r):
            problems.append(f"{r['id']}: split {r['split']} is not the one the rule gives")
    splits = Counter(r.get("split") for r in records)
    for split, count in (("dev2", DEV2_COUNT), ("holdout2", HOLDOUT2_COUNT)):
        if splits[split] != count:
            problems.append(f"{split} has {splits[split]} questions, expected {count}")
    if not any(r.get("type") == "unanswerable" for r in records):
        problems.append(f"{QUESTIONS2.name}: no unanswerable questions")
    return problems, records


def check() -> tuple[list[str], list[dict]]:
    doc = normalise(DOCUMENT.read_text(encoding="utf-8"))
    source_text = SOURCE.read_text(encoding="utf-8") if SOURCE.exists() else ""
    problems = sha256_problems(DOCUMENT, "Document sha256:", source_text)

    records = read_records(QUESTIONS, problems)
    for r in records:
        problems.extend(
            record_problems(
                r, doc, r"q\d{2,3}", TYPES, SPLITS, unanswerable=r.get("split") == "unanswerable"
            )
        )

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
    problems.extend(check_second(doc, source_text)[0])
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
    second = [json.loads(line) for line in QUESTIONS2.read_text(encoding="utf-8").splitlines()]
    print(
        f"{QUESTIONS2.name}: {len(second)}; "
        + ", ".join(
            f"{split} {sorted(Counter(r['type'] for r in second if r['split'] == split).items())}"
            for split in sorted(SPLITS2)
        )
    )
    print(f"{QUESTIONS2.name} sha256: {hashlib.sha256(QUESTIONS2.read_bytes()).hexdigest()}")
    for problem in problems:
        print("PROBLEM:", problem)
    print("clean" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
