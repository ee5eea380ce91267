"""Real files for tests, generated on the fly (PDF with fpdf2, DOCX with python-docx)."""

from __future__ import annotations

from pathlib import Path


def make_pdf(path: Path, pages: list[str], title: str = "") -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    pdf.output(str(path))
    return path


def make_docx(
    path: Path,
    title: str,
    sections: list[tuple[str, str]],
    page_breaks: bool = True,
    table: list[list[str]] | None = None,
) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(title, level=0)
    for i, (heading, body) in enumerate(sections):
        if page_breaks and i > 0:
            document.add_page_break()
        document.add_heading(heading, level=1)
        document.add_paragraph(body)
    if table:
        t = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                t.cell(r, c).text = value
    document.save(str(path))
    return path
