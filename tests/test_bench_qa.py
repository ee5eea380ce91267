"""The GDPR question-answering benchmark's own scoring (bench/bench_qa.py)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import pytest  # noqa: E402
from bench_qa import Outcome, answerable, load_questions, main, miss_kind, summarise  # noqa: E402


def _outcome(evidence: bool, correct: bool) -> Outcome:
    return Outcome(evidence, correct, None, 0, 0, 0.1, 1.0)


def test_unanswerable_questions_of_a_mixed_split_are_not_counted_as_misses() -> None:
    """dev2 mixes 27 answerable and 3 unanswerable questions (gold []). Evidence@5 and
    correct are over the answerable ones, as for the "unanswerable" split ("-"): the old
    code divided by all 30, so a perfect run scored 0.9."""
    questions = load_questions("dev2")
    kinds = [answerable(q) for q in questions]
    assert (len(questions), sum(kinds)) == (30, 27)
    outcomes = [_outcome(a, a) for a in kinds]  # every answerable one found and correct
    row = summarise("appliance", outcomes, kinds)
    assert row[:5] == ["appliance", 30, 27, 1.0, 1.0]


def test_a_split_of_unanswerable_questions_only_has_no_evidence_or_correct_figure() -> None:
    questions = load_questions("unanswerable")
    kinds = [answerable(q) for q in questions]
    assert questions and not any(kinds)
    row = summarise("appliance", [_outcome(False, False) for _ in questions], kinds)
    assert row[3:5] == ["-", "-"]


def test_why_tells_the_kinds_of_retrieval_miss_apart() -> None:
    """--why sorts each miss into one kind: the gold evidence split over chunk
    boundaries, never read by either list, fused into the first k but held back by the
    relevance gate, or fused below k."""
    assert miss_kind(True, [], 5) == "found"
    assert miss_kind(False, [], 5).startswith("no single passage holds it")
    assert miss_kind(False, [{"fused": None}], 5) == "not among the candidates"
    assert miss_kind(False, [{"fused": None}, {"fused": 4}], 5) == "below the relevance gate"
    assert miss_kind(False, [{"fused": 5}, {"fused": 30}], 5) == "ranked 6 or lower after fusion"


@pytest.mark.parametrize("split", ["holdout", "holdout2", "all"])
def test_why_refuses_any_split_but_dev_and_dev2(monkeypatch, split) -> None:
    """--why prints per question, so it must never run on a holdout (nor on "all")."""
    monkeypatch.setattr(sys, "argv", ["bench_qa.py", "--split", split, "--why", "5"])
    with pytest.raises(SystemExit) as raised:
        main()
    assert raised.value.code == 2
