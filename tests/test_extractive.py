"""The extractive answer's choice of sentences (appliance/rag/extractive.py), on passages
of the GDPR as retrieval returned them for questions of the benchmark's development
splits (bench/qa: dev and dev2; bench/RESULTS.md section 11). The real embedder scores.
"""

from __future__ import annotations

import pytest

from appliance.ingest.chunker import split_sentences
from appliance.rag.extractive import extract_answer
from appliance.rag.retrieval import Hit, Part, follow

ART_14_3 = (
    "The controller shall provide the information referred to in paragraphs 1 and 2: a. | "
    "within a reasonable period after obtaining the personal data, but at the latest within "
    "one month, having regard to the specific circumstances in which the personal data are "
    "processed;  \n\nb. | if the personal data are to be used for communication with the data "
    "subject, at the latest at the time of the first communication to that data subject; or  "
    "\n\nc. | if a disclosure to another recipient is envisaged, at the latest when the "
    "personal data are first disclosed."
)
ART_18_1 = (
    "a. | the accuracy of the personal data is contested by the data subject, for a period "
    "enabling the controller to verify the accuracy of the personal data;  \n\nb. | the "
    "processing is unlawful and the data subject opposes the erasure of the personal data "
    "and requests the restriction of their use instead;  \n\nc. | the controller no longer "
    "needs the personal data for the purposes of the processing, but they are required by "
    "the data subject for the establishment, exercise or defence of legal claims;  \n\nd. | "
    "the data subject has objected to processing pursuant to Article 21(1) pending the "
    "verification whether the legitimate grounds of the controller override those of the "
    "data subject."
)
ART_99_FOOTNOTES = (
    "164). [^eu17]: OJ C 192, 30.6.2012, p. 7. [^eu18]: Directive 2002/58/EC of the European "
    "Parliament and of the Council of 12 July 2002 concerning the processing of personal "
    "data and the protection of privacy in the electronic communications sector (Directive "
    "on privacy and electronic communications) (OJ L 201, 31.7.2002, p. 37). [^eu19]: "
    "Directive (EU) 2015/1535 of the European Parliament and of the Council of 9 September "
    "2015 laying down a procedure for the provision of information in the field of technical "
    "regulations and of rules on Information Society services (OJ L 241, 17.9.2015, p. 1)."
)
ART_21 = (
    "Where personal data are processed for direct marketing purposes, the data subject shall "
    "have the right to object at any time to processing of personal data concerning him or "
    "her for such marketing, which includes profiling to the extent that it is related to "
    "such direct marketing. Where the data subject objects to processing for direct "
    "marketing purposes, the personal data shall no longer be processed for such purposes. "
    "At the latest at the time of the first communication with the data subject, the right "
    "referred to in paragraphs 1 and 2 shall be explicitly brought to the attention of the "
    "data subject and shall be presented clearly and separately from any other information."
)
RECITAL_85 = (
    "Therefore, as soon as the controller becomes aware that a personal data breach has "
    "occurred, the controller should notify the personal data breach to the supervisory "
    "authority without undue delay and, where feasible, not later than 72 hours after having "
    "become aware of it, unless the controller is able to demonstrate, in accordance with "
    "the accountability principle, that the personal data breach is unlikely to result in a "
    "risk to the rights and freedoms of natural persons. Where such notification cannot be "
    "achieved within 72 hours, the reasons for the delay should accompany the notification "
    "and information may be provided in phases without undue further delay."
)
ART_38_END = (
    "He or she shall not be dismissed or penalised by the controller or the processor for "
    "performing his tasks. The data protection officer shall directly report to the highest "
    "management level of the controller or the processor. Data subjects may contact the data "
    "protection officer with regard to all issues related to processing of their personal "
    "data and to the exercise of their rights under this Regulation. The data protection "
    "officer shall be bound by secrecy or confidentiality concerning the performance of his "
    "or her tasks, in accordance with Union or Member State law. The data protection officer "
    "may fulfil other tasks and duties."
)
ART_38_6 = (
    "The data protection officer may fulfil other tasks and duties. The controller or "
    "processor shall ensure that any such tasks and duties do not result in a conflict of "
    'interests. @@@ note "Recital 97" @@@'
)
ART_68 = (
    "The European Data Protection Board (the ‘Board’) is hereby established as a body of the "
    "Union and shall have legal personality. The Board shall be represented by its Chair. "
    "The Board shall be composed of the head of one supervisory authority of each Member "
    "State and of the European Data Protection Supervisor, or their respective "
    "representatives."
)


def _hits(*texts: str) -> list[Hit]:
    return [
        Hit(f"c{n}", "d", "gdpr.md", "GDPR", None, "", text, 1 / n, 0.5, 1, 1)
        for n, text in enumerate(texts, 1)
    ]


def _quoted(question: str, hits: list[Hit], embedder) -> list[str]:  # type: ignore[no-untyped-def]
    quotes = extract_answer(question, hits, embedder.embed)
    for q in quotes:  # verbatim, where the source view highlights it
        assert hits[q.n - 1].text[q.start : q.end] == q.text
    return [q.text for q in quotes]


def test_a_list_item_is_quoted_apart_from_a_sentence_too_long_to_quote(embedder) -> None:
    """Dev question q20: Article 18(1)'s four items are one 'sentence' of 620 characters,
    over the 600 a quote may have, so the answer in item a. could not be quoted."""
    texts = _quoted(
        "A customer disputes the accuracy of their data. For how long can they have its use "
        "restricted?",
        _hits(ART_18_1),
        embedder,
    )
    assert any("for a period enabling the controller to verify the accuracy" in t for t in texts)
    assert not any("|" in t or t.startswith(("a.", "b.")) for t in texts)


def test_the_items_between_two_quoted_items_of_a_list_are_quoted_too(embedder) -> None:
    """Dev2 question r30: items a. and c. of Article 14(3) score highest; b., the answer,
    lies between them and is quoted in its place."""
    texts = _quoted(
        "We bought a contact list from a broker and will write to the people on it. By when "
        "must they get our privacy information?",
        _hits(ART_14_3),
        embedder,
    )
    assert [t[:12] for t in texts] == ["within a rea", "if the perso", "if a disclos"]


def test_footnote_definitions_are_not_quoted(embedder) -> None:
    """Dev2 question r30 again: the footnotes at the end of Article 99 outscored Article
    14(3) on their words alone."""
    texts = _quoted(
        "We bought a contact list from a broker and will write to the people on it. By when "
        "must they get our privacy information?",
        _hits(ART_99_FOOTNOTES, ART_14_3),
        embedder,
    )
    assert not any("[^" in t for t in texts)
    assert any("at the latest at the time of the first communication" in t for t in texts)


def test_a_deadline_without_a_number_answers_a_by_when_question(embedder) -> None:
    """Dev2 question r34: "72 hours" in a recital on breaches outscored Article 21(4)'s
    "At the latest at the time of the first communication" as the kind of fact asked."""
    texts = _quoted(
        "By when do we have to make customers aware they can object to us using their data?",
        _hits(ART_21, RECITAL_85),
        embedder,
    )
    assert any(t.startswith("At the latest at the time of the first communication") for t in texts)


@pytest.mark.parametrize("question", ["Who sits on the European Data Protection Board?"])
def test_a_heading_is_not_quoted(question: str, embedder) -> None:
    """Dev question q70: the bare heading "European data protection board" (a passage of
    its own) was quoted before the sentence naming the Board's members."""
    texts = _quoted(question, _hits(ART_68, "European data protection board"), embedder)
    assert "European data protection board" not in texts
    assert any("head of one supervisory authority of each Member State" in t for t in texts)


def test_the_sentence_that_continues_a_quoted_one_is_quoted_after_it(embedder) -> None:
    """Dev question q56: "may fulfil other tasks and duties" ends one passage; the next,
    overlapping, goes on "...any such tasks and duties do not result in a conflict of
    interests", which is the answer. The converter's note after it is not quoted."""
    texts = _quoted(
        "Can our data protection officer do other jobs too? What must we avoid?",
        _hits(ART_38_END, ART_38_6),
        embedder,
    )
    i = texts.index("The data protection officer may fulfil other tasks and duties.")
    assert texts[i + 1] == (
        "The controller or processor shall ensure that any such tasks and duties do not "
        "result in a conflict of interests."
    )


def test_a_quote_from_the_second_chunk_of_a_joined_passage_is_placed_in_that_chunk(
    embedder,
) -> None:
    """Article 38(5)-(6) as two chunks that the retriever joins into one passage (the
    second repeats the first's last sentence: the chunker's overlap). Each quoted
    sentence names the chunk that holds it and its ordinal there, which the source view
    highlights; the repeated sentence is in the passage once."""
    second = follow(ART_38_END, Part("d:8", ART_38_6))
    assert (second.first_sentence, second.text[:14]) == (1, "The controller")
    passage = Hit(
        "d:8",
        "d",
        "gdpr.md",
        "GDPR",
        None,
        "Article 38",
        f"{ART_38_END} {second.text}",
        1,
        0.5,
        1,
        1,
        parts=(Part("d:7", ART_38_END), second),
    )
    assert passage.chunk_ids == ("d:7", "d:8")
    quotes = extract_answer(
        "Can our data protection officer do other jobs too? What must we avoid?",
        [passage],
        embedder.embed,
    )
    where = {q.text[:30]: (q.chunk_id, q.sentence) for q in quotes}
    assert where["The data protection officer ma"] == ("d:7", len(split_sentences(ART_38_END)) - 1)
    assert where["The controller or processor sh"] == ("d:8", 1)
    chunk_text = {"d:7": ART_38_END, "d:8": ART_38_6}
    for q in quotes:
        assert passage.text[q.start : q.end] == q.text
        assert q.text in split_sentences(chunk_text[q.chunk_id])[q.sentence]
