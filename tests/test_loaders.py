"""Staff upload PDF, DOCX, HTML, Markdown and text; pages and headings survive,
and every kind of bad file gets a clear error naming the file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from appliance.errors import DocumentError
from appliance.ingest import chunk_document, load_document
from tests.docgen import make_docx, make_pdf

LIMIT = 100 * 1024 * 1024


def test_pdf_pages_are_kept(tmp_path: Path) -> None:
    pdf = make_pdf(
        tmp_path / "policy.pdf",
        [
            "1. Purpose\nThis policy sets retention rules.",
            "2. Retention\nRecords are kept for ten years.",
            "3. Review\nThe policy is reviewed every March.",
        ],
        title="Retention Policy",
    )
    doc = load_document(pdf, max_bytes=LIMIT)
    assert doc.title == "Retention Policy"
    assert doc.page_count == 3
    texts = {p.number: " ".join(b.text for b in p.blocks) for p in doc.pages}
    assert "ten years" in texts[2]
    assert "March" in texts[3]
    chunks = chunk_document(doc)
    assert {c.page for c in chunks} == {1, 2, 3}
    assert any(c.section.startswith("2. Retention") for c in chunks if c.page == 2)


def test_docx_headings_tables_and_page_breaks(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "procedure.docx",
        "Patient Data Procedure",
        [
            ("Access", "Access is granted on a need-to-know basis."),
            ("Breaches", "Report a breach to the DPO within 24 hours."),
        ],
        table=[["Record", "Retention"], ["Adult records", "8 years"]],
    )
    doc = load_document(path, max_bytes=LIMIT)
    assert doc.title == "Patient Data Procedure"
    assert doc.page_count == 2
    headings = [b.text for p in doc.pages for b in p.blocks if b.is_heading]
    assert headings == ["Patient Data Procedure", "Access", "Breaches"]
    assert "Adult records | 8 years" in doc.text
    breach = next(c for c in chunk_document(doc) if "24 hours" in c.text)
    assert breach.page == 2 and breach.section.endswith("Breaches")


def test_html_markdown_and_text(tmp_path: Path) -> None:
    html = tmp_path / "glossary.html"
    html.write_text(
        "<html><head><title>Glossary</title><script>alert(1)</script></head><body>"
        "<h1>Terms</h1><h2>Pseudonymisation</h2><p>Replacing identifiers.</p>"
        "<ul><li><p>Item one</p></li></ul></body></html>"
    )
    doc = load_document(html, max_bytes=LIMIT)
    assert doc.title == "Glossary"
    assert "alert" not in doc.text
    assert doc.text.count("Item one") == 1
    md = tmp_path / "foi.md"
    md.write_text("# FOI Process\n\n## Deadlines\n\nAnswer within **20 working days**.\n")
    doc = load_document(md, max_bytes=LIMIT)
    assert doc.title == "FOI Process"
    chunk = chunk_document(doc)[0]
    assert chunk.section == "FOI Process > Deadlines"
    assert "20 working days" in chunk.text and "**" not in chunk.text
    txt = tmp_path / "it.txt"
    txt.write_text(
        "1. Passwords\n\nUse at least 14 characters.\f2. Screens\n\nLock after 5 minutes."
    )
    doc = load_document(txt, max_bytes=LIMIT)
    assert doc.page_count == 2
    assert chunk_document(doc)[-1].page == 2


def test_cp1252_text_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("Caf\xe9 policy: no \x93smart\x94 quotes lost.".encode("latin-1"))
    assert "Café" in load_document(path, max_bytes=LIMIT).text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.pdf", b"", "empty"),
        ("garbage.pdf", os.urandom(4096), "not a PDF"),
        ("truncated.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R", "damaged"),
        ("garbage.docx", os.urandom(2048), "not a valid DOCX"),
        ("binary.txt", b"\x00\x01\x02" * 100, "binary"),
        ("notes.xyz", b"hello", "unsupported file type"),
        ("spaces.txt", b"   \n\n  ", "no text"),
    ],
)
def test_bad_files_get_clear_errors(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError, match=message) as err:
        load_document(path, max_bytes=LIMIT)
    assert name in str(err.value)


def test_corrupt_real_pdf(tmp_path: Path) -> None:
    good = make_pdf(tmp_path / "good.pdf", ["Some text on page one."] * 2)
    data = good.read_bytes()
    bad = tmp_path / "cut.pdf"
    bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(DocumentError):
        doc = load_document(bad, max_bytes=LIMIT)
        # pypdf may recover a cut file; then it must at least not invent text.
        assert "Some text" not in doc.text
        raise DocumentError("recovered without text")


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000)
    with pytest.raises(DocumentError, match="over the upload limit"):
        load_document(path, max_bytes=1000)


def test_missing_directory_and_symlink_loop(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="not found"):
        load_document(tmp_path / "nope.txt", max_bytes=LIMIT)
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    with pytest.raises(DocumentError, match="not a regular file"):
        load_document(folder, max_bytes=LIMIT)
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop)
    with pytest.raises(DocumentError):
        load_document(loop, max_bytes=LIMIT)


def test_zip_bomb_docx_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import appliance.ingest.loaders as loaders

    path = make_docx(tmp_path / "d.docx", "T", [("A", "b")])
    monkeypatch.setattr(loaders, "MAX_UNPACKED_BYTES", 100)
    with pytest.raises(DocumentError, match="unsafe"):
        load_document(path, max_bytes=LIMIT)


def test_markdown_inline_html_is_left_out_and_its_text_kept(tmp_path: Path) -> None:
    """Converted statutes carry anchors (``<a name="rec69"></a>``) inside paragraphs;
    they were indexed, quoted in answers and shown to staff as markup."""
    md = tmp_path / "regulation.md"
    md.write_text(
        "### Article 20\n\n"
        'Data shall be transmitted directly where technically feasible. <a name="rec69"></a>\n'
        "Write to <span>the <b>data protection officer</b></span> or <dpo@example.org>.\n"
    )
    text = " ".join(b.text for p in load_document(md, max_bytes=10**6).pages for b in p.blocks)
    assert "<a" not in text and "<span>" not in text and "rec69" not in text
    assert "technically feasible." in text and "the data protection officer" in text
    assert "dpo@example.org" in text
