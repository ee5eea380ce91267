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


# A TrueType font with Latin, Greek, Cyrillic and the ligature glyphs (Debian's
# fonts-dejavu-core, installed with Tesseract by scripts/install-ocr).
UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def render_scan(text: str, dpi: int = 200, size_pt: float = 12) -> object:
    """An A4 page image of ``text`` as a scanner would give it (PIL image, greyscale)."""
    import textwrap

    from PIL import Image, ImageDraw, ImageFont

    width, height = int(8.27 * dpi), int(11.69 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(UNICODE_FONT), int(size_pt / 72 * dpi))
    y = int(0.8 * dpi)
    line_height = int(size_pt / 72 * dpi * 1.5)
    for paragraph in text.split("\n"):
        for line in textwrap.wrap(paragraph, 70) or [""]:
            draw.text((int(0.8 * dpi), y), line, fill=0, font=font)
            y += line_height
    return image


def make_mixed_pdf(path: Path, pages: list[tuple[str, str]], dpi: int = 200) -> Path:
    """A PDF of text pages ("text", body) and scanned pages ("scan", body): a scan is
    an image of the rendered text with no text layer, as a copier produces."""
    import io

    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", fname=str(UNICODE_FONT))
    pdf.set_font("DejaVu", size=11)
    for kind, body in pages:
        pdf.add_page()
        if kind == "text":
            pdf.multi_cell(0, 6, body)
        else:
            buffer = io.BytesIO()
            render_scan(body, dpi).save(buffer, format="PNG")  # type: ignore[attr-defined]
            buffer.seek(0)
            pdf.image(buffer, x=0, y=0, w=210, h=297)
    pdf.output(str(path))
    return path


def make_unicode_pdf(path: Path, pages: list[str]) -> Path:
    """A text PDF in a Unicode font, so ligature glyphs (U+FB01 "ﬁ") reach the file."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", fname=str(UNICODE_FONT))
    pdf.set_font("DejaVu", size=11)
    for body in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, body)
    pdf.output(str(path))
    return path
