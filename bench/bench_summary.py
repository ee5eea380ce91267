"""Summarising a long public document: coverage of key points listed before running,
unsupported statements, pages per minute (issue 19).

The document is the GDPR (``bench/qa/gdpr.md``, 88 pages in the Official Journal;
source and licence in ``bench/qa/SOURCE.md``). The key points
(``bench/qa/gdpr_keypoints.json``, 30, each with the article it comes from and the
phrases that must occur in one statement for it to count) were written and committed
before the first run.

Reported:

- **coverage**: key points found in the verified statements (overview and sections),
  and in the overview alone; a point counts when one statement holds every phrase
  of one of its match groups (case-insensitive, white space normalised);
- **unsupported**: statements the appliance's own check did not verify (never shown
  as part of the summary), and, independently of that check, verified statements
  holding a number that the cited section's text does not (a plain digit match);
- **speed**: wall time of the whole job (ingestion apart), Official Journal pages per
  minute, map and reduce steps;
- **a sample to read** (``--sample FILE``): 25 verified statements drawn at random
  (seed 19), each beside the text of the page it cites, for a person to judge whether
  the page says what the statement says (the check proves words and numbers came
  from that page, not that the sentence means what the page means).

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/bench_summary.py \\
        --json bench/out/summary.json
"""

from __future__ import annotations

import argparse
import json
import random
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from benchkit import REPO, make_appliance, print_footer, print_header, table

QA = REPO / "bench" / "qa"
DOCUMENT = QA / "gdpr.md"
KEYPOINTS = QA / "gdpr_keypoints.json"
OJ_PAGES = 88
_DIGITS = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")


def _norm(text: str) -> str:
    return " ".join(text.casefold().replace("\u00a0", " ").split())


def covered(points: list[dict[str, Any]], texts: list[str]) -> list[str]:
    """Ids of the key points one of ``texts`` holds (every phrase of one match group)."""
    normed = [_norm(t) for t in texts]
    return [
        p["id"]
        for p in points
        if any(all(_norm(term) in t for term in group) for group in p["match"] for t in normed)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-tokens", type=int, default=None, help="output limit per step")
    parser.add_argument("--json", type=Path, help="write the figures and the summary here")
    parser.add_argument("--sample", type=Path, help="write 25 verified statements to judge here")
    args = parser.parse_args()
    from appliance.errors import RequestTimedOut

    points = json.loads(KEYPOINTS.read_text())
    print_header("Summary of a long document (GDPR)")
    with tempfile.TemporaryDirectory() as tmp:
        app = make_appliance(Path(tmp) / "data")
        started = time.monotonic()
        [result] = app.ingest([DOCUMENT], "gdpr")
        assert result.ok and result.document_id, result.error
        ingest_s = time.monotonic() - started
        doc_id = result.document_id
        sections = app.pipeline.summaries.sections(doc_id)
        steps: list[str] = []
        started = time.monotonic()

        def progress(p: Any) -> None:
            steps.append(p.step)
            if p.done % 10 == 0:
                print(f"  [{p.done}/{p.total}] {p.step} {time.monotonic() - started:.0f} s")

        resumed = 0
        while True:  # a step that times out on a busy machine fails the job: resume it
            try:
                state, _, _ = app.summarise(
                    doc_id, on_progress=progress, max_tokens=args.max_tokens, resume=resumed > 0
                )
                break
            except RequestTimedOut:
                resumed += 1
                print(f"  a step timed out; resuming ({resumed})")
        summary_s = time.monotonic() - started
        summary = app.read_summary(doc_id)
        section_text = {s.index: s.text for s, _ in sections}
        page_text = {
            (sec.index, p.page): " ".join(x.text for x in pieces if x.page == p.page)
            for sec, pieces in sections
            for p in pieces
        }
        app.close()
    every = summary.statements()
    shown = [s for s in every if s.supported]
    overview = [s for s in summary.overview if s.supported]
    all_hit = covered(points, [s.text for s in shown])
    overview_hit = covered(points, [s.text for s in overview])
    stray = [
        s
        for s in shown
        if set(_DIGITS.findall(s.text)) - set(_DIGITS.findall(section_text.get(s.section, "")))
    ]
    figures = {
        "document": DOCUMENT.name,
        "oj_pages": OJ_PAGES,
        "sections": len(sections),
        "map_steps": sum(1 for s in steps if s.startswith("map:")),
        "reduce_steps": sum(1 for s in steps if s.startswith("reduce:")),
        "status": state.status,
        "resumed_after_timeout": resumed,
        "ingest_s": round(ingest_s, 1),
        "summary_s": round(summary_s, 1),
        "pages_per_minute": round(OJ_PAGES / (summary_s / 60), 2),
        "statements": len(every),
        "verified": len(shown),
        "unverified": len(every) - len(shown),
        "verified_with_stray_number": len(stray),
        "overview_verified": len(overview),
        "overview_source": summary.overview_source,
        "keypoints": len(points),
        "covered": len(all_hit),
        "covered_ids": all_hit,
        "covered_by_overview": len(overview_hit),
        "covered_by_overview_ids": overview_hit,
    }
    print(
        table(
            ["figure", "value"],
            [[k, v] for k, v in figures.items() if not k.endswith("_ids")],
        )
    )
    print("\nOverview:")
    for s in overview:
        print(f"- {s.cited_text()}")
    if args.sample:
        drawn = random.Random(19).sample(shown, min(25, len(shown)))
        lines = ["# Verified statements to judge (seed 19)", ""]
        for i, st in enumerate(drawn, 1):
            lines += [
                f"## {i}. {st.cited_text()}",
                "",
                f"> {page_text.get((st.section, st.page), '')}",
                "",
                "verdict: ",
                "",
            ]
        args.sample.parent.mkdir(parents=True, exist_ok=True)
        args.sample.write_text("\n".join(lines))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({**figures, "summary": summary.as_json()}, indent=1))
    print_footer()


if __name__ == "__main__":
    main()
