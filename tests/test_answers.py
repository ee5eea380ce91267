"""Answers staff can trust: no loops, no invented facts, every source consulted shown.

Each failure a new user met (issue 13) is a test here: the loop on the default
model, an invented number with a citation, a citation to a source that was not
given, the prompt's own layout echoed, sources that vanished when the model did
not cite, an answer cut at the limit without a word, a reveal announced when
nothing was revealed.
"""

from __future__ import annotations

import re

import pytest

from appliance.llm.guard import guarded_sentences, loop_start
from appliance.rag.verify import AnswerChecker, numbers_in, specifics


def _stream(text: str, step: int = 4):
    return iter([text[i : i + step] for i in range(0, len(text), step)])


# -- the loop guard ------------------------------------------------------------


def test_a_repeated_sentence_stops_generation_and_is_shown_once() -> None:
    report: dict[str, object] = {}
    closed = []

    def deltas():
        try:
            yield from _stream("The answer is: 1. " * 40)
        finally:
            closed.append(True)

    out = list(guarded_sentences(deltas(), report))
    assert [s.strip() for s in out] == ["The answer is: 1."]
    assert report["stopped"] == "loop"
    assert closed, "the model's stream was not closed: it would run to max_tokens"


def test_the_readme_screenshot_loop_is_caught() -> None:
    line = "The policy is part of the Northbridge Savings Bank (NSB) record retention policy [1]. "
    out = list(guarded_sentences(_stream("Records are kept for ten years [1]. " + line * 20)))
    assert len(out) == 2


def test_a_near_repeat_with_one_word_changed_is_a_loop() -> None:
    text = (
        "Customer account records are kept for ten years after closure [1]. "
        "Customer account records are kept for ten years after the closure [1]. "
    )
    assert len(list(guarded_sentences(_stream(text)))) == 1


def test_words_looping_inside_one_sentence_are_cut() -> None:
    report: dict[str, object] = {}
    out = "".join(guarded_sentences(_stream("Keep it for [1] [1] [1] [1] [1] [1] [1]"), report))
    assert out.strip() == "Keep it for [1]"
    assert report["stopped"] == "loop"
    assert loop_start("one two three one two three one two three") is not None
    assert loop_start("Records are kept for ten years, then shredded.") is None


def test_a_citation_after_the_full_stop_stays_with_its_sentence() -> None:
    out = list(guarded_sentences(_stream("Kept for ten years. [1] Then shredded [2].", 3)))
    assert [s.strip() for s in out] == ["Kept for ten years. [1]", "Then shredded [2]."]


def test_ordinary_answers_pass_the_guard_unchanged() -> None:
    text = "1. Keep records. 2. Shred files. 3. Report a breach within 72 hours [1]."
    assert "".join(guarded_sentences(_stream(text))) == text


# -- verification ----------------------------------------------------------------


def test_numbers_are_read_in_digits_and_words() -> None:
    assert numbers_in("kept for seventy-two hours or 1,000 days, Article 33(1)") >= {
        "72",
        "1000",
        "33",
        "1",
    }
    assert numbers_in("two hundred and fifty") == {"250"}
    assert "1" not in numbers_in("as source [1] says")
    assert specifics("It is kept for 30 days [1].").numbers == {"30"}


@pytest.fixture(scope="module")
def foi_hits(sample_app):
    hits = sample_app.retrieve(
        "How many working days does the council have to answer a freedom of information request?"
    )
    # The checks below cite the passage with the deadline as source [1]. It is among
    # the hits; whether first or second turns on a cosine of 0.675 against 0.664 for
    # another passage of the same page, and stemming (issue 13) swapped the two.
    assert any("20 working days" in h.text for h in hits[:2])
    return sorted(hits, key=lambda h: "20 working days" not in h.text)


def test_an_invented_number_with_a_citation_is_unverified(foi_hits) -> None:
    checker = AnswerChecker(
        "How many days does the council have to answer an FOI request?", foi_hits
    )
    invented = checker.check("The council has 2 days to answer an FOI request [1].")
    assert not invented.supported
    assert "“2”" in invented.reason
    true = checker.check("The council must answer within 20 working days [1].")
    assert true.supported and true.sources == (1,) and true.cited_by == "model"


def test_an_invented_price_on_a_parking_question_is_unverified(sample_app) -> None:
    question = "How much does a staff parking permit cost?"
    hits = sample_app.retrieve(question) or sample_app.retrieve("staff policy")
    checker = AnswerChecker(question, hits)
    verdict = checker.check("A staff parking permit is $1 [1].")
    assert not verdict.supported


def test_a_citation_to_a_source_that_was_not_given_is_dropped(foi_hits) -> None:
    checker = AnswerChecker("How long does the council have?", foi_hits)
    verdict = checker.check(f"The council answers within 20 working days [{len(foi_hits) + 2}].")
    assert f"[{len(foi_hits) + 2}]" not in verdict.text
    # ...and the sentence, true to source 1, is attributed to it instead.
    assert verdict.supported and verdict.sources == (1,) and verdict.cited_by == "attributed"
    assert verdict.text.endswith("[1].")


def test_a_number_from_another_role_in_the_passage_does_not_verify_a_duration() -> None:
    """Seen on the GDPR holdout: "The term of the Board's Chair is 2 years [1]" passed,
    because the passage said "two deputy chairs" (and "five years")."""
    from appliance.rag.retrieval import Hit

    passage = (
        "The Board shall elect a chair and two deputy chairs from amongst its members by "
        "simple majority. The term of office of the Chair and of the deputy chairs shall "
        "be five years and be renewable once."
    )
    hit = Hit("c1", "d1", "gdpr.md", "GDPR", None, "Article 73 > Chair", passage, 1, 0.5, 1, 1)
    checker = AnswerChecker("How long is the Board chair's term?", [hit])
    wrong = checker.check("The term of the Board's Chair is 2 years [1].")
    assert not wrong.supported and "2 year" in wrong.reason
    right = checker.check("The Chair's term of office is five years, renewable once [1].")
    assert right.supported


def test_the_prompt_echoed_back_is_never_a_verified_answer(foi_hits) -> None:
    """Seen on the GDPR benchmark: "The answer is: [1]", the question copied back, and
    the sources' labels copied from the prompt all passed as cited sentences."""
    question = "How many working days does the council have to answer an FOI request?"
    checker = AnswerChecker(question, foi_hits)
    nothing = checker.check("The answer is: [1]")
    assert not nothing.supported and nothing.reason in (
        "says nothing on its own",
        "repeats the question",
    )
    copied = checker.check(f"{question} [1]")
    assert not copied.supported and copied.reason == "repeats the question"
    label = checker.check(f"{foi_hits[0].title}, page 1 [1]")
    assert not label.supported and "label" in label.reason


def test_an_uncited_true_sentence_is_attributed_and_a_made_up_one_is_not(sample_app) -> None:
    question = "How long is CCTV footage retained at the bank?"
    hits = sample_app.retrieve(question)
    checker = AnswerChecker(question, hits, sample_app.embedder_loaded().embed)
    true = checker.check("CCTV footage is kept for 30 days.")
    assert (
        true.supported
        and true.cited_by == "attributed"
        and true.text == ("CCTV footage is kept for 30 days [1].")
    )
    made_up = checker.check("The moon is made of cheese.")
    assert not made_up.supported and made_up.reason == "no source says this"


# -- the whole answer, on the real default model -----------------------------------------


def _shown(answer) -> str:  # type: ignore[no-untyped-def]
    return answer.text + " " + " ".join(q.text for q in answer.extract)


def test_the_question_that_looped_gets_a_short_faithful_answer(sample_app) -> None:
    stream = sample_app.ask(
        "How long are customer account records kept after the account is closed?"
    )
    pieces = list(stream)
    answer = stream.result()
    text = "".join(pieces)
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    assert len(sentences) == len({s.strip() for s in sentences}), text
    assert "ten years" in _shown(answer).lower() or "10 years" in _shown(answer).lower()
    # Everything shown as the answer passed verification, with sources that exist.
    for s in answer.sentences:
        assert all(1 <= n <= len(answer.citations) for n in s.sources)
    assert all(s.supported for s in answer.sentences if s.text in answer.text)


def test_the_extract_is_quoted_verbatim_before_generation(sample_app) -> None:
    stream = sample_app.ask("How long is CCTV footage retained at the bank?")
    assert stream.extract, "no quoted sentences"
    for q in stream.extract:
        assert q.text in stream.hits[q.n - 1].text
        assert stream.hits[q.n - 1].text[q.start : q.end] == q.text
    assert "30 days" in " ".join(q.text for q in stream.extract)
    stream.close()


def test_the_prompt_layout_is_never_echoed(sample_app) -> None:
    answer = sample_app.ask("Can I install my own software on a work laptop?").result()
    shown = _shown(answer)
    assert "Question:" not in shown and "Sources:" not in shown, shown
    assert answer.stopped is None or answer.stopped == "loop"


def test_every_source_consulted_is_listed_cited_or_not(sample_app) -> None:
    answer = sample_app.ask(
        "How many days does the council have to answer an FOI request?"
    ).result()
    assert answer.citations and answer.found
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    # The answer shown rests on at least one of them (generated and verified, or quoted).
    assert any(c.cited for c in answer.citations)
    assert "20 working days" in _shown(answer)


def test_an_answer_cut_at_the_token_limit_says_so(sample_app) -> None:
    from appliance.llm import GenerationParams

    answer = sample_app.ask(
        "What does the bank's record retention policy say about CCTV, transaction records "
        "and legal holds?",
        params=GenerationParams(max_tokens=6, temperature=0.0, seed=1),
    ).result()
    assert answer.truncated
    assert answer.as_json()["truncated"] is True


def test_a_reveal_is_announced_and_audited_only_when_something_was_revealed(app) -> None:
    from appliance.caller import Caller

    doc = app.settings.data_dir.parent / "rules.txt"
    doc.write_text(
        "Office rules.\n\nThe printer room on floor 3 is open from 8 to 18 every weekday. "
        "The facilities desk orders paper and ink cartridges.\n"
    )
    app.ingest([doc])
    who = Caller("ada", "admin")
    stream = app.ask("When is the printer room open?", who=who, reveal=True)
    stream.result()
    assert stream.revealed == {}
    events = [r["action"] for r in app.audit.records()]
    assert "pii.reidentified" not in events
    assert events[-1] == "question.ask"


def test_a_sentence_in_two_overlapping_passages_is_quoted_once(embedder) -> None:
    """Seen on the GDPR holdout: chunks overlap, so the extractive answer showed the
    same sentence twice (from sources [1] and [2])."""
    from appliance.rag.extractive import extract_answer
    from appliance.rag.retrieval import Hit

    shared = "The Commission should provide for a periodic review mechanism of their functioning."
    a = Hit(
        "c1", "d", "g.md", "GDPR", None, "", f"Adequacy decisions matter. {shared}", 1, 0.5, 1, 1
    )
    b = Hit("c2", "d", "g.md", "GDPR", None, "", f"{shared} The Board is consulted.", 1, 0.5, 1, 1)
    quotes = extract_answer("Who reviews adequacy decisions?", [a, b], embedder.embed)
    texts = [q.text for q in quotes]
    assert len(texts) == len(set(texts))


def test_institutions_in_a_statute_are_not_people(sample_app) -> None:
    """Seen on the GDPR: "Commission" and "Member States" became <PERSON_1> and
    <PERSON_2> throughout the indexed text, and staff read "the <PERSON_1> should
    consult the Board"."""
    text = (
        "For the definition of micro, small and medium-sized enterprises, Article 2 of the "
        "Annex to Commission Recommendation 2003/361/EC should apply. The Member States "
        "should consult the Commission. The Commission shall adopt implementing acts, and "
        "Member States shall notify the Commission of the provisions of their law."
    )
    found = sample_app.detector_loaded().analyze(text, ["PERSON"])
    assert [text[e.start : e.end] for e in found] == []


_RETENTION = (
    "When a period ends, the record must be deleted or destroyed within 90 days, unless a "
    "legal hold applies. Customer transaction records, including payment instructions, "
    "statements, ledger entries, standing orders, direct debits and card transaction data, "
    "are kept for 10 years after the end of the business relationship with the customer. "
    "Owner: Head of Retail Operations."
)


def test_a_sentence_citing_a_joined_passage_verifies_against_either_chunk() -> None:
    """A neighbour joined to a retrieved chunk (retrieval.py) makes one source [1] of
    two chunks: a sentence citing [1] is checked against the text of both."""
    from appliance.rag.retrieval import Hit, Part, follow

    first = (
        "Customer transaction records are kept for 10 years after the end of the business "
        "relationship. When a period ends, the record is destroyed within 90 days."
    )
    second = (
        "When a period ends, the record is destroyed within 90 days. CCTV recordings of the "
        "branch are kept for 30 days, unless a legal hold applies."
    )
    tail = follow(first, Part("d:4", second))
    assert tail.text.startswith("CCTV") and tail.first_sentence == 1
    hit = Hit(
        "d:3",
        "d",
        "retention.pdf",
        "Record Retention Policy",
        2,
        "3. Retention periods",
        f"{first} {tail.text}",
        1,
        0.6,
        1,
        1,
        parts=(Part("d:3", first), tail),
    )
    checker = AnswerChecker("How long are records and recordings kept?", [hit])
    assert checker.check("Transaction records are kept for 10 years [1].").supported
    assert checker.check("CCTV recordings are kept for 30 days [1].").supported
    wrong = checker.check("CCTV recordings are kept for 60 days [1].")
    assert not wrong.supported and "60" in wrong.reason


def _retention_checker(embed=None):  # type: ignore[no-untyped-def]
    from appliance.rag.retrieval import Hit

    hit = Hit(
        "c1",
        "d1",
        "retention.pdf",
        "Record Retention Policy",
        2,
        "3. Retention periods > 3.1 Customer transaction records",
        _RETENTION,
        1,
        0.6,
        1,
        1,
    )
    question = "How long are customer transaction records kept?"
    return AnswerChecker(question, [hit], embed)


def test_a_true_sentence_that_does_not_answer_the_question_is_not_verified(embedder) -> None:
    """The open bug of issue 13: a sentence whose every name and number is in the cited
    passage passed as the verified answer although it said something else the passage
    says (who owns the records, for a question about how long they are kept)."""
    checker = _retention_checker(embedder.embed)
    owner = checker.check("The owner is the Head of Retail Operations [1].")
    assert not owner.supported and owner.reason == "does not answer the question"
    assert owner.cited_by is None and owner.sources == (1,)
    contents = checker.check(
        "Customer transaction records include payment instructions and direct debits [1]."
    )
    assert not contents.supported and contents.reason == "does not answer the question"
    right = checker.check(
        "Customer transaction records are kept for 10 years after the end of the "
        "business relationship [1]."
    )
    assert right.supported and right.cited_by == "model"
    # An answer in words of time, with no number, answers a "how long" question too.
    until = checker.check("They are kept until the end of the business relationship [1].")
    assert until.supported


def test_a_sentence_that_restates_a_how_long_question_is_not_its_answer(embedder) -> None:
    """The README's chat screenshot (30 Nov): for "How long must the bank keep customer
    transaction records?" the model's verified answer was the policy's purpose, which
    says "how long" and "retention period" but no duration; its wording is close to the
    question's, so the similarity bar let it through."""
    from appliance.rag.retrieval import Hit

    purpose = (
        "This policy sets out how long Northbridge Savings Bank (the Bank) keeps the "
        "records it creates and receives in the course of its business, and how those "
        "records are destroyed when their retention period ends."
    )
    hit = Hit(
        "c1",
        "d1",
        "retention.pdf",
        "Record Retention Policy",
        1,
        "1. Purpose",
        purpose,
        1,
        0.6,
        1,
        1,
    )
    checker = AnswerChecker(
        "How long must the bank keep customer transaction records?", [hit], embedder.embed
    )
    verdict = checker.check(purpose[:-1] + " [1].")
    assert not verdict.supported and verdict.reason == "does not answer the question"
    counts = AnswerChecker("How many copies does the bank keep?", [hit], embedder.embed)
    assert counts.check(purpose[:-1] + " [1].").reason == "does not answer the question"


def test_without_an_embedder_the_kind_of_fact_asked_for_still_counts() -> None:
    checker = _retention_checker()
    assert checker.check("The owner is the Head of Retail Operations [1].").reason == (
        "does not answer the question"
    )
    assert checker.check("The records are kept for 10 years [1].").supported


def test_a_yes_no_question_needs_no_number_in_its_answer(embedder) -> None:
    """ "Do we need to give an estimate of how many people are affected?" asks whether,
    not how many: a sentence without a number answers it."""
    from appliance.rag.retrieval import Hit

    passage = (
        "The notification shall at least describe the nature of the personal data breach "
        "including where possible, the categories and approximate number of data subjects "
        "concerned."
    )
    hit = Hit("c1", "d1", "gdpr.md", "GDPR", None, "Article 33", passage, 1, 0.6, 1, 1)
    question = (
        "When reporting a breach, do we need to give an estimate of how many people are affected?"
    )
    checker = AnswerChecker(question, [hit], embedder.embed)
    verdict = checker.check(
        "Yes, the notification must describe the approximate number of data subjects concerned [1]."
    )
    assert verdict.supported, verdict.reason
