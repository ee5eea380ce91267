"""Staff upload spreadsheets, slides, OpenDocument files, RTF, CSV and e-mail: each
is read with its sheet, slide or page kept, and a hostile one fails alone with a
clear message (issue 15). Every file here is built by the test."""

from __future__ import annotations

import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest

from appliance.errors import DocumentError
from appliance.ingest import chunk_document, load_document
from appliance.ingest import loaders as loaders_module
from tests.docgen import make_msg, make_pdf

LIMIT = 100 * 1024 * 1024


def _pages(doc) -> dict[int | None, list[str]]:  # type: ignore[no-untyped-def]
    return {p.number: [b.text for b in p.blocks] for p in doc.pages}


# -- XLSX ---------------------------------------------------------------------


def make_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_xlsx_sheets_are_pages_and_rows_keep_their_headers(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "retention.xlsx",
        {
            "Schedule": [["Record", "Kept for", "Owner"], ["Payroll", "6 years", "HR"], []],
            "Contacts": [["Role", "Name"], ["DPO", "Data protection office"]],
        },
    )
    doc = load_document(path, max_bytes=LIMIT)
    pages = _pages(doc)
    assert doc.kind == "xlsx" and doc.page_count == 2
    assert pages[1] == [
        "Schedule",
        "Record | Kept for | Owner",
        "Record: Payroll; Kept for: 6 years; Owner: HR",
    ]
    assert pages[2][0] == "Contacts"
    chunk = next(c for c in chunk_document(doc) if "Payroll" in c.text)
    assert chunk.page == 1 and chunk.section == "Schedule"


def test_xlsx_reads_values_not_formulas(tmp_path: Path) -> None:
    """A formula cell is read as the value Excel last calculated and saved with it."""
    path = make_xlsx(tmp_path / "fees.xlsx", {"Fees": [["Item", "Fee"], ["Permit", 30]]})
    with zipfile.ZipFile(path) as src:
        parts = {n: src.read(n) for n in src.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    # The dimension stays "A1:B2", as files from some tools leave it: rows past it count.
    parts[sheet] = parts[sheet].replace(
        b"</sheetData>",
        b'<row r="3"><c r="A3" t="inlineStr"><is><t>Total</t></is></c>'
        b'<c r="B3"><f>SUM(B2:B2)</f><v>30</v></c></row></sheetData>',
    )
    with zipfile.ZipFile(path, "w") as out:
        for name, data in parts.items():
            out.writestr(name, data)
    text = load_document(path, max_bytes=LIMIT).text
    assert "Item: Total; Fee: 30" in text
    assert "SUM" not in text


def test_hostile_workbooks_fail_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from appliance.ingest import office

    many = make_xlsx(tmp_path / "many.xlsx", {f"S{i}": [["a"]] for i in range(12)})
    monkeypatch.setattr(office, "MAX_SHEETS", 10)
    with pytest.raises(DocumentError, match=r"many.xlsx: the workbook has 12 sheets"):
        load_document(many, max_bytes=LIMIT)
    # A cell past Excel's 32,767 characters is cut there by openpyxl; a "2 GB cell"
    # compresses small and is refused as a zip bomb, below.
    huge = make_xlsx(tmp_path / "cell.xlsx", {"S": [["x" * 40_000]]})
    assert len(load_document(huge, max_bytes=LIMIT).text) < 33_000
    bomb = make_xlsx(tmp_path / "bomb.xlsx", {"S": [["a"]]})
    monkeypatch.setattr(loaders_module, "MAX_UNPACKED_BYTES", 2000)
    with pytest.raises(DocumentError, match=r"bomb.xlsx: the XLSX unpacks to"):
        load_document(bomb, max_bytes=LIMIT)
    locked = tmp_path / "locked.xlsx"
    locked.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024))
    with pytest.raises(DocumentError, match=r"locked.xlsx: the XLSX is password-protected"):
        load_document(locked, max_bytes=LIMIT)
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(many.read_bytes()[:900])
    with pytest.raises(DocumentError, match=r"corrupt.xlsx"):
        load_document(corrupt, max_bytes=LIMIT)


# -- PPTX ---------------------------------------------------------------------


def test_pptx_slides_are_pages_with_notes_tables_and_groups(tmp_path: Path) -> None:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Visitor policy"
    slide.placeholders[1].text_frame.text = "Visitors sign in at reception."
    slide.notes_slide.notes_text_frame.text = "Mention the new badge printer."
    second = deck.slides.add_slide(deck.slide_layouts[5])
    second.shapes.title.text = "Retention"
    rows = second.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(6), Inches(1)).table
    for r, row in enumerate([["Record", "Kept"], ["CCTV", "30 days"]]):
        for c, value in enumerate(row):
            rows.cell(r, c).text = value
    group = second.shapes.add_group_shape()
    box = group.shapes.add_textbox(Inches(1), Inches(4), Inches(4), Inches(1))
    box.text_frame.text = "Footage is deleted automatically."
    path = tmp_path / "briefing.pptx"
    deck.save(str(path))
    doc = load_document(path, max_bytes=LIMIT)
    pages = _pages(doc)
    assert doc.kind == "pptx" and doc.page_count == 2
    assert pages[1] == [
        "Visitor policy",
        "Visitors sign in at reception.",
        "Speaker notes: Mention the new badge printer.",
    ]
    assert pages[2] == [
        "Retention",
        "Record | Kept",
        "Record: CCTV; Kept: 30 days",
        "Footage is deleted automatically.",
    ]
    assert next(c for c in chunk_document(doc) if "30 days" in c.text).page == 2


# -- OpenDocument ---------------------------------------------------------------


def test_odt_headings_paragraphs_lists_tables(tmp_path: Path) -> None:
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, List, ListItem, P, S

    doc = OpenDocumentText()
    doc.text.addElement(H(outlinelevel=1, text="Records policy"))
    para = P(text="Files are kept")
    para.addElement(S(c=1))
    para.addText("for ten years.")
    doc.text.addElement(para)
    items = List()
    item = ListItem()
    item.addElement(P(text="Shred paper copies."))
    items.addElement(item)
    doc.text.addElement(items)
    table = Table(name="T")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for row in [["Record", "Kept"], ["Payroll", "6 years"]]:
        tr = TableRow()
        for value in row:
            cell = TableCell()
            cell.addElement(P(text=value))
            tr.addElement(cell)
        table.addElement(tr)
    doc.text.addElement(table)
    path = tmp_path / "policy.odt"
    doc.save(str(path))
    loaded = load_document(path, max_bytes=LIMIT)
    blocks = [b.text for p in loaded.pages for b in p.blocks]
    assert blocks == [
        "Records policy",
        "Files are kept for ten years.",
        "Shred paper copies.",
        "Record | Kept",
        "Record: Payroll; Kept: 6 years",
    ]
    assert loaded.pages[0].blocks[0].heading_level == 1


def test_ods_sheets_are_pages_and_repeated_blanks_are_not_expanded(tmp_path: Path) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, rows in [("Fees", [["Item", "Fee"], ["Permit", "30"]]), ("Notes", [["Note"]])]:
        table = Table(name=name)
        for row in rows:
            tr = TableRow()
            for value in row:
                cell = TableCell()
                cell.addElement(P(text=value))
                tr.addElement(cell)
            tr.addElement(TableCell(numbercolumnsrepeated=16000))  # the rest of the row
            table.addElement(tr)
        table.addElement(TableRow(numberrowsrepeated=1_000_000))  # the rest of the sheet
        doc.spreadsheet.addElement(table)
    path = tmp_path / "fees.ods"
    doc.save(str(path))
    pages = _pages(load_document(path, max_bytes=LIMIT))
    assert pages[1] == ["Fees", "Item | Fee", "Item: Permit; Fee: 30"]
    assert pages[2] == ["Notes", "Note"]


# -- RTF and CSV ----------------------------------------------------------------


def test_rtf_in_its_declared_code_page(tmp_path: Path) -> None:
    path = tmp_path / "memo.rtf"
    path.write_bytes(
        rb"{\rtf1\ansi\ansicpg1250\deff0{\fonttbl{\f0 Arial;}}"
        rb"\f0\fs22 Z\'e1znamy n\'e1v\'9at\'ecvn\'edk\'f9 uchov\'e1v\'e1me sedm let.\par"
        rb"{\b Odd\'eclen\'ed} archivu.\par}"
    )
    text = load_document(path, max_bytes=LIMIT).text
    assert "Záznamy návštěvníků uchováváme sedm let." in text
    assert "Oddělení archivu." in text
    bad = tmp_path / "fake.rtf"
    bad.write_bytes(b"just text")
    with pytest.raises(DocumentError, match=r"fake.rtf: not an RTF file"):
        load_document(bad, max_bytes=LIMIT)


def test_csv_rows_with_headers_any_delimiter_and_code_page(tmp_path: Path) -> None:
    path = tmp_path / "fees.csv"
    path.write_bytes("Gebühr;Betrag\nParkausweis;30 €\nBesucherausweis;5 €\n".encode("cp1252"))
    doc = load_document(path, max_bytes=LIMIT)
    assert [b.text for b in doc.pages[0].blocks] == [
        "Gebühr | Betrag",
        "Gebühr: Parkausweis; Betrag: 30 €",
        "Gebühr: Besucherausweis; Betrag: 5 €",
    ]
    huge = tmp_path / "huge.csv"
    huge.write_text("a,b\n" + "x" * 40_000 + ",1\n", encoding="utf-8")
    with pytest.raises(DocumentError, match=r"huge.csv"):
        load_document(huge, max_bytes=LIMIT)


# -- e-mail -------------------------------------------------------------------


def make_eml(path: Path, attachments: list[tuple[str, bytes, str]], html: bool = False) -> Path:
    message = EmailMessage()
    message["From"] = "Records Office <records@example.org>"
    message["To"] = "All staff <staff@example.org>"
    message["Date"] = "Mon, 02 Nov 2026 09:30:00 +0100"
    message["Subject"] = "New visitor log rules"
    body = "Visitor logs are now kept for seven years.\n\nAsk the records office."
    if html:
        message.set_content(body)
        message.add_alternative(
            "<html><body><div>Visitor logs are now kept for <b>seven</b> years.</div>"
            "<div>Ask the records office.</div></body></html>",
            subtype="html",
        )
    else:
        message.set_content(body)
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    path.write_bytes(bytes(message))
    return path


def test_eml_headers_body_and_attachments(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "schedule.pdf", ["Retention schedule: CCTV 30 days."])
    path = make_eml(
        tmp_path / "rules.eml",
        [
            ("schedule.pdf", pdf.read_bytes(), "application/pdf"),
            ("logo.bin", b"\x00\x01", "application/octet-stream"),
        ],
        html=True,
    )
    doc = load_document(path, max_bytes=LIMIT)
    blocks = [b.text for b in doc.pages[0].blocks]
    assert doc.title == "New visitor log rules" and doc.kind == "eml"
    assert "From: Records Office <records@example.org>" in blocks
    assert "Date: Mon, 02 Nov 2026 09:30:00 +0100" in blocks
    assert "Visitor logs are now kept for seven years." in blocks
    assert [a.name for a in doc.attachments] == ["schedule.pdf", "logo.bin"]
    assert doc.attachments[0].data == pdf.read_bytes()


def test_an_html_only_mail_is_read_as_a_page(tmp_path: Path) -> None:
    message = EmailMessage()
    message["Subject"] = "Parking"
    message["From"] = "facilities@example.org"
    message.set_content(
        "<div>A permit costs 40 euros.</div><div><span>Apply at</span> the desk.</div>",
        subtype="html",
    )
    path = tmp_path / "parking.eml"
    path.write_bytes(bytes(message))
    blocks = [b.text for b in load_document(path, max_bytes=LIMIT).pages[0].blocks]
    assert blocks[-2:] == ["A permit costs 40 euros.", "Apply at the desk."]


def test_not_a_mail_and_too_many_attachments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from appliance.ingest import mail

    bad = tmp_path / "notes.eml"
    bad.write_text("just some text\nwithout headers\n")
    with pytest.raises(DocumentError, match=r"notes.eml: not an e-mail message"):
        load_document(bad, max_bytes=LIMIT)
    monkeypatch.setattr(mail, "MAX_ATTACHMENTS", 2)
    path = make_eml(tmp_path / "many.eml", [(f"a{i}.txt", b"x", "text/plain") for i in range(3)])
    with pytest.raises(DocumentError, match=r"many.eml: the mail has 3 attachments"):
        load_document(path, max_bytes=LIMIT)


def test_outlook_msg_headers_body_and_attachments(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "schedule.pdf", ["Retention schedule: CCTV 30 days."])
    path = make_msg(
        tmp_path / "rules.msg",
        "New visitor log rules",
        "records@example.org",
        "staff@example.org",
        "Visitor logs are now kept for seven years.\r\n\r\nAsk the records office.",
        [("schedule.pdf", pdf.read_bytes())],
    )
    doc = load_document(path, max_bytes=LIMIT)
    blocks = [b.text for b in doc.pages[0].blocks]
    assert doc.title == "New visitor log rules" and doc.kind == "msg"
    assert "From: records@example.org" in blocks and "To: staff@example.org" in blocks
    assert "Date: 2026-11-02 08:30:00+00:00" in blocks
    assert "Visitor logs are now kept for seven years." in blocks
    assert [(a.name, a.data) for a in doc.attachments] == [("schedule.pdf", pdf.read_bytes())]
    damaged = tmp_path / "damaged.msg"
    damaged.write_bytes(path.read_bytes()[:1536])
    with pytest.raises(DocumentError, match=r"damaged.msg"):
        load_document(damaged, max_bytes=LIMIT)


def test_a_file_that_is_not_a_msg_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mail.msg"
    path.write_bytes(b"From: someone\n\nnot an Outlook file")
    with pytest.raises(DocumentError, match=r"mail.msg: not an Outlook .msg file"):
        load_document(path, max_bytes=LIMIT)


def test_every_new_extension_is_supported() -> None:
    from appliance.ingest import SUPPORTED_SUFFIXES

    wanted = {".xlsx", ".pptx", ".odt", ".ods", ".rtf", ".csv", ".eml", ".msg", ".png"}
    assert wanted <= SUPPORTED_SUFFIXES


# -- through the appliance: attachments are documents of their own ------------------


def test_a_mail_and_its_attachments_are_linked_documents(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_app

    app = make_app(tmp_path / "data", embedder, None)
    try:
        pdf = make_pdf(tmp_path / "schedule.pdf", ["Retention schedule: CCTV footage 30 days."])
        mail = make_eml(
            tmp_path / "rules.eml",
            [
                ("schedule.pdf", pdf.read_bytes(), "application/pdf"),
                ("logo.bin", b"\x00\x01", "application/octet-stream"),
            ],
        )
        results = app.ingest([mail])
        assert [(r.path.name, r.status) for r in results] == [
            ("rules.eml", "added"),
            ("rules.eml > schedule.pdf", "added"),
            ("rules.eml > logo.bin", "skipped"),
        ]
        assert results[2].error == "a type that is not ingested: .bin"
        docs = {Path(d.source).name: d for d in app.library.documents("default")}
        assert set(docs) == {"rules.eml", "rules.eml > schedule.pdf"}
        attached = docs["rules.eml > schedule.pdf"].as_json()
        assert attached["attached_to"] == docs["rules.eml"].id
        hits = app.retrieve("How long is CCTV footage kept?", k=3)
        assert hits and hits[0].source.endswith("rules.eml > schedule.pdf") and hits[0].page == 1
        assert not any((app.settings.data_dir / "incoming").iterdir())  # nothing left in clear
        odd = make_eml(
            tmp_path / "odd.eml",
            [
                ("../../etc/notes.txt", b"First note about parking.", "text/plain"),
                ("notes.txt", b"Second note about keys.", "text/plain"),
                ("..", b"Third note about badges.", "text/plain"),
            ],
        )
        odd_results = app.ingest([odd])
        assert [r.path.name for r in odd_results] == [
            "odd.eml",
            "odd.eml > notes.txt",
            "odd.eml > notes (2).txt",
            "odd.eml > attachment-3",
        ]
        assert [r.status for r in odd_results] == ["added", "added", "added", "skipped"]
        app.delete_document(odd_results[0].document_id)
        assert [r.status for r in app.ingest([mail])] == ["unchanged"]
        app.delete_document(docs["rules.eml"].id)
        assert app.library.documents("default") == []  # the attachment went with its mail
    finally:
        app.close()


def _office_files(tmp_path: Path) -> dict[str, Path]:
    """One good file of each zipped office format, built with its own library."""
    from docx import Document
    from odf.opendocument import OpenDocumentSpreadsheet, OpenDocumentText
    from odf.text import P
    from pptx import Presentation

    files = {"xlsx": make_xlsx(tmp_path / "a.xlsx", {"S": [["h"], ["v"]]})}
    document = Document()
    document.add_paragraph("Text.")
    document.save(str(tmp_path / "a.docx"))
    files["docx"] = tmp_path / "a.docx"
    deck = Presentation()
    deck.slides.add_slide(deck.slide_layouts[0]).shapes.title.text = "Slide"
    deck.save(str(tmp_path / "a.pptx"))
    files["pptx"] = tmp_path / "a.pptx"
    text = OpenDocumentText()
    text.text.addElement(P(text="Text."))
    text.save(str(tmp_path / "a.odt"))
    files["odt"] = tmp_path / "a.odt"
    sheet = OpenDocumentSpreadsheet()
    sheet.save(str(tmp_path / "a.ods"))
    files["ods"] = tmp_path / "a.ods"
    return files


@pytest.mark.parametrize("kind", ["docx", "xlsx", "pptx", "odt", "ods"])
def test_corrupt_locked_and_bomb_office_files_fail_with_their_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    good = _office_files(tmp_path)[kind]
    cut = tmp_path / f"cut.{kind}"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(DocumentError, match=rf"cut.{kind}"):
        load_document(cut, max_bytes=LIMIT)
    locked = tmp_path / f"locked.{kind}"
    locked.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2048))
    with pytest.raises(DocumentError, match=rf"locked.{kind}: the {kind.upper()} is password"):
        load_document(locked, max_bytes=LIMIT)
    monkeypatch.setattr(loaders_module, "MAX_UNPACKED_BYTES", 500)
    with pytest.raises(DocumentError, match=rf"a.{kind}: the {kind.upper()} unpacks to"):
        load_document(good, max_bytes=LIMIT)


def test_a_hostile_file_fails_alone_and_nothing_of_it_is_stored(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_app

    files = _office_files(tmp_path)
    bad = tmp_path / "cut.xlsx"
    bad.write_bytes(files["xlsx"].read_bytes()[:700])
    app = make_app(tmp_path / "data", embedder, None)
    try:
        results = app.ingest([files["docx"], bad, files["pptx"]])
        assert [r.status for r in results] == ["added", "failed", "added"]
        assert "cut.xlsx" in (results[1].error or "")
        assert {Path(d.source).name for d in app.library.documents("default")} == {
            "a.docx",
            "a.pptx",
        }
    finally:
        app.close()
