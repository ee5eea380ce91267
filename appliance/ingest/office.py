"""Spreadsheets, slides and the other office formats staff keep: XLSX (openpyxl),
PPTX (python-pptx), ODT and ODS (odfpy), RTF (striprtf) and CSV (the standard
library).

A sheet or a slide is a page, so citations name it. A table row is read with
its header cells ("Record: Payroll; Kept: 6 years"), so a row found alone
still says what its values are. Hostile files (zip bombs, thousands of
sheets, cells larger than any office program writes) are refused before
they are unpacked where that can be known, and as soon as they show
otherwise.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from appliance.errors import DocumentError
from appliance.ingest.loaders import (
    Block,
    LoadedDocument,
    Page,
    _check_zip,
    _clean,
    _plain_text_blocks,
    _title_from,
)
from appliance.ingest.text import decode_text

if TYPE_CHECKING:
    from odf.element import Element
    from odf.opendocument import OpenDocument
    from pptx.shapes.base import BaseShape
    from pptx.shapes.group import GroupShape

# Sheets one workbook may have. Excel's own limit is memory; real workbooks hold
# tens. A thousand is generous and bounds the work a hostile file can ask for.
MAX_SHEETS = 1000
# Characters one cell may hold: Excel's limit (Microsoft, "Excel specifications
# and limits"). A longer cell was not written by an office program.
MAX_CELL_CHARS = 32_767
# Rows of one table (sheet or CSV) read; Excel's limit is 1,048,576.
MAX_ROWS = 1_048_576
# Slides one presentation may have.
MAX_SLIDES = 5000


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    elif isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    if len(text) > MAX_CELL_CHARS:
        raise DocumentError(
            f"a cell holds {len(text)} characters, over the {MAX_CELL_CHARS} an office "
            "program writes; refused as unsafe."
        )
    return _clean(text)


def table_blocks(rows: Iterable[list[str]]) -> list[Block]:
    """Rows of cell texts as blocks: the first non-empty row is the header, shown as
    one block; every later row pairs its values with the header's cells."""
    blocks: list[Block] = []
    header: list[str] | None = None
    for count, row in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise DocumentError(f"a table has over {MAX_ROWS} rows; split it into smaller files.")
        if not any(row):
            continue
        if header is None:
            header = row
            blocks.append(Block(" | ".join(c for c in row if c)))
            continue
        parts = [
            f"{name}: {value}" if name and name != value else value
            for name, value in zip_longest(header, row, fillvalue="")
            if value
        ]
        blocks.append(Block("; ".join(parts)))
    return blocks


# -- XLSX -------------------------------------------------------------------


def load_xlsx(path: Path) -> LoadedDocument:
    """Each sheet a page (numbered in workbook order, its name as heading); cell
    values as Excel last calculated them, never the formulas."""
    _check_zip(path, "XLSX")
    with zipfile.ZipFile(path) as archive:
        sheets = sum(
            1 for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")
        )
    if sheets > MAX_SHEETS:
        raise DocumentError(
            f"{path}: the workbook has {sheets} sheets, over the {MAX_SHEETS} allowed; "
            "refused as unsafe."
        )
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DocumentError(f"{path}: the XLSX is damaged and cannot be read ({exc}).") from exc
    pages = []
    try:
        for number, sheet in enumerate(workbook.worksheets, start=1):
            # Read-only mode trusts the sheet's recorded dimension; files written by
            # other tools often record it wrong, which would cut rows off silently.
            sheet.reset_dimensions()
            rows = ([_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True))
            try:
                blocks = table_blocks(rows)
            except DocumentError as exc:
                raise DocumentError(f"{path}: sheet {sheet.title!r}: {exc}") from exc
            pages.append(Page(number, [Block(_clean(sheet.title), 2), *blocks]))
        title = _clean(workbook.properties.title or "") if workbook.properties else ""
    finally:
        workbook.close()
    blocks = [b for p in pages for b in p.blocks]
    return LoadedDocument(title or _title_from([], path), "xlsx", pages)


# -- PPTX -------------------------------------------------------------------


def load_pptx(path: Path) -> LoadedDocument:
    """Each slide a page: its title as heading, the text of every shape (groups
    and tables included) in order, then the speaker notes."""
    _check_zip(path, "PPTX")
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    try:
        deck = Presentation(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise DocumentError(f"{path}: the PPTX is damaged and cannot be read ({exc}).") from exc
    if len(deck.slides) > MAX_SLIDES:
        raise DocumentError(f"{path}: over {MAX_SLIDES} slides; refused as unsafe.")
    pages = []
    for number, slide in enumerate(deck.slides, start=1):
        blocks: list[Block] = []
        title_shape = slide.shapes.title
        if title_shape is not None and title_shape.has_text_frame:
            title_text = _clean(title_shape.text_frame.text)
            if title_text:
                blocks.append(Block(title_text, 2))
        for shape in _shapes(slide.shapes):
            if title_shape is not None and shape.shape_id == title_shape.shape_id:
                continue
            if shape.has_text_frame:
                for paragraph in shape.text_frame.paragraphs:
                    text = _clean("".join(run.text for run in paragraph.runs) or paragraph.text)
                    if text:
                        blocks.append(Block(text))
            if getattr(shape, "has_table", False) and shape.has_table:
                rows = [[_clean(cell.text) for cell in row.cells] for row in shape.table.rows]
                blocks += table_blocks(rows)
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            note_text = _clean(notes.text) if notes is not None else ""
            if note_text:
                blocks.append(Block(f"Speaker notes: {note_text}"))
        pages.append(Page(number, blocks))
    title = _clean(deck.core_properties.title or "")
    all_blocks = [b for p in pages for b in p.blocks]
    without = [p.number for p in pages if not p.blocks and p.number is not None]
    return LoadedDocument(
        title or _title_from(all_blocks, path), "pptx", pages, pages_without_text=without
    )


def _shapes(shapes: Iterable[BaseShape]) -> Iterator[Any]:
    """Shapes in reading order (top to bottom, left to right), groups opened. Typed
    Any: the caller asks each shape what it holds (``has_text_frame``, ``has_table``)."""

    def position(shape: BaseShape) -> tuple[int, int]:
        return (shape.top or 0, shape.left or 0)

    for shape in sorted(shapes, key=position):
        if shape.shape_type is not None and int(shape.shape_type) == 6:  # MSO_SHAPE_TYPE.GROUP
            yield from _shapes(cast("GroupShape", shape).shapes)
        else:
            yield shape


# -- OpenDocument -------------------------------------------------------------


def _odf(path: Path, kind: str) -> OpenDocument:
    _check_zip(path, kind)
    from odf.opendocument import load

    try:
        return load(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DocumentError(f"{path}: the {kind} is damaged and cannot be read ({exc}).") from exc
    except Exception as exc:  # xml.sax raises SAXParseException for broken XML
        raise DocumentError(f"{path}: the {kind} is damaged and cannot be read ({exc}).") from exc


_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def _odf_text(node: Element) -> str:
    """Visible text of a paragraph or heading: spaces, tabs and line breaks
    expanded, notes' citations and tracked deletions left out."""
    parts: list[str] = []

    def walk(n: Element) -> None:
        for child in n.childNodes:
            if child.nodeType == child.TEXT_NODE:
                parts.append(str(child.data))
                continue
            ns, name = child.qname
            if ns == _TEXT_NS and name == "s":
                parts.append(" " * int(child.getAttrNS(_TEXT_NS, "c") or 1))
            elif ns == _TEXT_NS and name in ("tab", "line-break"):
                parts.append(" ")
            elif ns == _TEXT_NS and name in ("note-citation", "tracked-changes"):
                continue
            else:
                walk(child)

    walk(node)
    return "".join(parts)


def load_odt(path: Path) -> LoadedDocument:
    """Headings, paragraphs, lists and tables of an OpenDocument text, in order;
    tracked deletions (kept apart by LibreOffice) are not read."""
    document = _odf(path, "ODT")
    blocks: list[Block] = []

    def walk(node: Element) -> None:
        for child in node.childNodes:
            if child.nodeType != child.ELEMENT_NODE:
                continue
            ns, name = child.qname
            if ns == _TEXT_NS and name == "tracked-changes":
                continue
            if ns == _TEXT_NS and name == "h":
                level = int(child.getAttrNS(_TEXT_NS, "outline-level") or 1)
                text = _clean(_odf_text(child))
                if text:
                    blocks.append(Block(text, min(max(level, 1), 6)))
            elif ns == _TEXT_NS and name == "p":
                text = _clean(_odf_text(child))
                if text:
                    blocks.append(Block(text))
            elif ns == _TABLE_NS and name == "table":
                blocks.extend(table_blocks(_odf_rows(child)))
            else:
                walk(child)

    walk(document.text)
    title = ""
    for meta in document.meta.childNodes:
        if meta.qname[1] == "title":
            title = _clean(_odf_text(meta))
    return LoadedDocument(title or _title_from(blocks, path), "odt", [Page(None, blocks)])


def _odf_rows(table: Element) -> Iterator[list[str]]:
    """Rows of an ODF table as cell texts. Repeated empty rows and cells (how ODS
    marks the rest of a sheet as blank, often a million of them) are not expanded."""
    for row in table.getElementsByType(_odf_class("TableRow")):
        cells: list[str] = []
        for cell in row.childNodes:
            if cell.qname[1] not in ("table-cell", "covered-table-cell"):
                continue
            text = _clean(" ".join(_odf_text(p) for p in cell.childNodes))
            repeat = int(cell.getAttrNS(_TABLE_NS, "number-columns-repeated") or 1)
            if len(text) > MAX_CELL_CHARS:
                raise DocumentError(
                    f"a cell holds {len(text)} characters, over the {MAX_CELL_CHARS} an "
                    "office program writes; refused as unsafe."
                )
            cells.extend([text] * (min(repeat, 1024) if text else 1))
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            repeat = int(row.getAttrNS(_TABLE_NS, "number-rows-repeated") or 1)
            for _ in range(min(repeat, 1024)):
                yield cells


def _odf_class(name: str) -> Callable[..., Element]:
    """One of odfpy's element factories (``TableRow``, ``Table``), by name."""
    from odf import table

    factory: Callable[..., Element] = getattr(table, name)
    return factory


def load_ods(path: Path) -> LoadedDocument:
    """Each sheet of an OpenDocument spreadsheet a page, rows with their header cells."""
    document = _odf(path, "ODS")
    sheets = document.spreadsheet.getElementsByType(_odf_class("Table"))
    if len(sheets) > MAX_SHEETS:
        raise DocumentError(
            f"{path}: the workbook has {len(sheets)} sheets, over the {MAX_SHEETS} allowed; "
            "refused as unsafe."
        )
    pages = []
    for number, sheet in enumerate(sheets, start=1):
        name = _clean(sheet.getAttrNS(_TABLE_NS, "name") or f"Sheet {number}")
        pages.append(Page(number, [Block(name, 2), *table_blocks(_odf_rows(sheet))]))
    return LoadedDocument(_title_from([], path), "ods", pages)


# -- RTF and CSV ------------------------------------------------------------


def load_rtf(path: Path) -> LoadedDocument:
    """Rich Text Format, in the code page it declares (\\ansicpgN, default 1252)."""
    import re

    from striprtf.striprtf import rtf_to_text

    raw = path.read_bytes()
    if not raw.lstrip().startswith(b"{\\rtf"):
        raise DocumentError(f"{path}: not an RTF file (no {{\\rtf header); is the extension wrong?")
    declared = re.search(rb"\\ansicpg(\d+)", raw[:4096])
    codec = f"cp{int(declared.group(1))}" if declared else "cp1252"
    try:
        "".encode(codec)
    except LookupError:
        codec = "cp1252"
    try:
        text = rtf_to_text(raw.decode("latin-1"), encoding=codec, errors="replace")
    except (ValueError, IndexError, RecursionError) as exc:
        raise DocumentError(f"{path}: the RTF is damaged and cannot be read ({exc}).") from exc
    blocks = _plain_text_blocks(text)
    return LoadedDocument(_title_from(blocks, path), "rtf", [Page(None, blocks)], encoding=codec)


def load_csv(path: Path) -> LoadedDocument:
    """A table: the delimiter sniffed (comma, semicolon, tab, pipe), the first row
    as header, every row with its header cells."""
    decoded = decode_text(path.read_bytes(), str(path))
    sample = decoded.text[:65536]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, ",;\t|")
    except csv.Error:
        dialect = csv.excel
    csv.field_size_limit(MAX_CELL_CHARS + 1)
    reader = csv.reader(io.StringIO(decoded.text), dialect)
    try:
        rows = [[_cell_text(c) for c in row] for row in reader]
    except csv.Error as exc:
        raise DocumentError(f"{path}: the CSV is malformed ({exc}).") from exc
    blocks = table_blocks(rows)
    return LoadedDocument(
        _title_from([], path), "csv", [Page(None, blocks)], encoding=decoded.encoding
    )
