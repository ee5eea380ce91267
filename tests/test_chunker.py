"""Chunks respect headings, pages and sentences, and overlap within a section."""

from __future__ import annotations

import itertools

from appliance.ingest import Block, LoadedDocument, Page, chunk_document
from appliance.ingest.chunker import context_header, split_sentences


def _doc(*pages: list[Block]) -> LoadedDocument:
    return LoadedDocument("Handbook", "text", [Page(i, list(b)) for i, b in enumerate(pages, 1)])


def test_sentences_are_not_cut_and_overlap_repeats_the_tail() -> None:
    sentences = [f"Sentence number {i} states a fact about retention." for i in range(40)]
    doc = _doc([Block("Retention", 1), Block(" ".join(sentences))])
    chunks = chunk_document(doc, chunk_chars=300, overlap_chars=120)
    assert len(chunks) > 3
    for chunk in chunks:
        assert len(chunk.text) <= 300
        assert chunk.text.endswith("retention.")
        assert chunk.section == "Retention"
    for prev, nxt in itertools.pairwise(chunks):
        last_sentence = prev.text.rsplit(". ", 1)[-1]
        assert last_sentence in nxt.text  # the overlap carries the tail over
        assert nxt.text.split(". ")[0] + "." in prev.text
    joined = " ".join(c.text for c in chunks)
    assert all(s in joined for s in sentences)


def test_headings_and_pages_start_new_chunks() -> None:
    doc = _doc(
        [Block("Part A", 1), Block("Alpha text."), Block("Part B", 1), Block("Beta text.")],
        [Block("Gamma text on the next page.")],
    )
    chunks = chunk_document(doc)
    assert [(c.section, c.page, c.text) for c in chunks] == [
        ("Part A", 1, "Alpha text."),
        ("Part B", 1, "Beta text."),
        ("Part B", 2, "Gamma text on the next page."),
    ]
    assert chunks[0].context_text("Handbook").startswith("Handbook — Part A\n")


def test_nested_heading_path() -> None:
    doc = _doc(
        [
            Block("Policy", 1),
            Block("Scope", 2),
            Block("Text one."),
            Block("Periods", 2),
            Block("Text two."),
        ]
    )
    assert [c.section for c in chunk_document(doc)] == ["Policy > Scope", "Policy > Periods"]


def test_text_without_spaces_is_hard_split() -> None:
    doc = _doc([Block("x" * 5000)])
    chunks = chunk_document(doc, chunk_chars=900, overlap_chars=100)
    assert sum(len(c.text) for c in chunks) == 5000
    assert max(len(c.text) for c in chunks) <= 900


def test_abbreviations_do_not_split() -> None:
    assert split_sentences("Keep records, e.g. Invoices and receipts. Then stop.") == [
        "Keep records, e.g. Invoices and receipts.",
        "Then stop.",
    ]


def test_sentences_of_every_script_are_split() -> None:
    """Greek, Bulgarian and Polish sentences start with capitals outside A-Z."""
    assert split_sentences("Τα αρχεία τηρούνται επτά χρόνια. Ύστερα καταστρέφονται.") == [
        "Τα αρχεία τηρούνται επτά χρόνια.",
        "Ύστερα καταστρέφονται.",
    ]
    assert split_sentences("Пазят се седем години. След това се унищожават.") == [
        "Пазят се седем години.",
        "След това се унищожават.",
    ]
    assert split_sentences("Przechowujemy je siedem lat. Łączny czas to «dużo».")[1] == (
        "Łączny czas to «dużo»."
    )
    assert split_sentences("Πόσο καιρό τηρούνται; Επτά χρόνια.") == [
        "Πόσο καιρό τηρούνται;",
        "Επτά χρόνια.",
    ]
    assert split_sentences("Kept 6 years; staff may ask.") == ["Kept 6 years; staff may ask."]


GREEK = (
    "Τα αρχεία επισκεπτών τηρούνται για επτά χρόνια και στη συνέχεια καταστρέφονται "
    "από την ομάδα εγκαταστάσεων. Οι φάκελοι προσωπικού αρχειοθετούνται στο υπόγειο "
    "μετά από δώδεκα μήνες. Ο αρχειονόμος ελέγχει τα κουτιά κάθε τρίμηνο. "
)


def test_chunks_fit_the_embedders_window(embedder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 15: chunks cut by characters alone overflowed the embedder's 256-token
    window (Greek takes about a token a letter) and were embedded cut short."""
    doc = LoadedDocument(
        "Πολιτική αρχείων",
        "text",
        [
            Page(
                1,
                [Block("Διατήρηση", 1), Block(GREEK * 6), Block("Table | Kept"), Block("x" * 900)],
            )
        ],
    )
    by_chars = chunk_document(doc)
    assert max(embedder.token_count(c.context_text(doc.title)) for c in by_chars) > 256
    chunks = chunk_document(doc, count_tokens=embedder.token_count, max_tokens=256)
    for chunk in chunks:
        assert embedder.token_count(chunk.context_text(doc.title)) <= 256, chunk.text
        assert chunk.section == "Διατήρηση" and chunk.page == 1
    text = " ".join(c.text for c in chunks)
    assert all(s.strip() in text for s in GREEK.split(". ")), "a sentence was lost"
    assert "".join(c.text for c in chunks if set(c.text) == {"x"}) == "x" * 900


def test_ingestion_cuts_by_the_embedders_tokenizer(embedder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from appliance.ingest import load_document
    from tests.conftest import make_app

    path = tmp_path / "greek.txt"
    path.write_text("ΔΙΑΤΗΡΗΣΗ\n\n" + GREEK * 6, encoding="utf-8")
    by_chars = chunk_document(load_document(path, max_bytes=10**8))
    app = make_app(tmp_path / "data", embedder, None)
    try:
        [result] = app.ingest([path])
    finally:
        app.close()
    assert result.chunks > len(by_chars)


def test_a_title_that_is_the_first_heading_is_not_said_twice_in_the_context() -> None:
    """Markdown, HTML and Word documents take their title from their first heading,
    which also opens every chunk's heading path: the context says it once."""
    doc = LoadedDocument(
        "Staff Handbook",
        "markdown",
        [Page(None, [Block("Staff  handbook", 1), Block("Leave", 2), Block("Ask a week ahead.")])],
    )
    (chunk,) = chunk_document(doc)
    assert chunk.section == "Staff  handbook > Leave"  # the stored heading path is unchanged
    assert chunk.context_text(doc.title) == "Staff Handbook — Leave\nAsk a week ahead."
    # A title that is not the first heading keeps the whole path, and no path: the title.
    assert context_header("Handbook", "Part A > Scope") == "Handbook — Part A > Scope"
    assert context_header("Handbook", "") == "Handbook"
    assert context_header("", "Handbook") == "Handbook"
