"""Loaders for PDF, DOCX, HTML, Markdown and plain text, keeping page numbers.

Each loader turns a file into a :class:`LoadedDocument`: a title and pages of
blocks (headings and paragraphs), all of the text a reader of the file sees
(a DOCX's final view with tracked changes applied, every text node of an HTML
body), normalised by :func:`~appliance.ingest.text.normalise_text`. Pages that
yield no text are named in ``pages_without_text``, never dropped silently.
Anything wrong with a file, from a missing path to a hostile archive, is a
:class:`~appliance.errors.DocumentError` with a message a member of staff can
act on.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.errors import DocumentError
from appliance.ingest import ocr
from appliance.ingest.text import clean_line, decode_text, normalise_text

if TYPE_CHECKING:
    from bs4 import BeautifulSoup
    from lxml.etree import _Element


@dataclass
class Block:
    text: str
    heading_level: int = 0  # 0 for body text, 1..6 for headings

    @property
    def is_heading(self) -> bool:
        return self.heading_level > 0


@dataclass
class Page:
    number: int | None  # 1-based; None where the format has no fixed pages
    blocks: list[Block] = field(default_factory=list)
    ocr: bool = False  # the text was read from an image of the page


@dataclass(frozen=True)
class Attachment:
    """A file carried inside another (an e-mail's attachment), ingested on its own."""

    name: str  # the file name it was attached under
    data: bytes


@dataclass
class LoadedDocument:
    title: str
    kind: str
    pages: list[Page]
    # Pages (1-based) of a paged format on which no text was found, OCR included.
    pages_without_text: list[int] = field(default_factory=list)
    encoding: str | None = None  # how a text file was decoded ("utf-8", "cp1254")
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def ocr_pages(self) -> list[int]:
        """Pages whose text was read by OCR."""
        return [p.number for p in self.pages if p.ocr and p.number is not None]

    @property
    def page_count(self) -> int | None:
        numbered = [p.number for p in self.pages if p.number is not None]
        return max(numbered) if numbered else None

    @property
    def text(self) -> str:
        return "\n".join(b.text for p in self.pages for b in p.blocks)


# Decompressed Office content above this many bytes is treated as a zip bomb.
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
# Text one document may hold: 50 million characters, about 25,000 pages of
# prose. More is a generated or hostile file; it would take hours to embed.
MAX_TEXT_CHARS = 50_000_000
_NUMBERED_HEADING = re.compile(r"^(\d+(\.\d+)*\.?|[A-Z]\.)\s+[A-Z][^.!?]{2,80}$")


_clean = clean_line


def _plain_text_blocks(text: str) -> list[Block]:
    """Split text into paragraphs; short numbered or upper-case lines become headings."""
    blocks: list[Block] = []
    for para in re.split(r"\n\s*\n", normalise_text(text)):
        lines = [_clean(line) for line in para.splitlines()]
        lines = [line for line in lines if line]
        if not lines:
            continue
        body: list[str] = []
        for line in lines:
            if _looks_like_heading(line):
                if body:
                    blocks.append(Block(" ".join(body)))
                    body = []
                blocks.append(Block(line, heading_level=2))
            else:
                body.append(line)
        if body:
            blocks.append(Block(" ".join(body)))
    return blocks


def _looks_like_heading(line: str) -> bool:
    if len(line) > 90:
        return False
    if _NUMBERED_HEADING.match(line):
        return True
    if line.endswith((".", ",", ";", ":")):
        return False
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters) and len(line.split()) <= 10


def _title_from(blocks: list[Block], path: Path) -> str:
    for block in blocks:
        if block.is_heading:
            return block.text[:200]
    return path.stem.replace("_", " ").replace("-", " ").strip() or path.name


def load_pdf(path: Path) -> LoadedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    with path.open("rb") as fh:
        header = fh.read(1024)
    if b"%PDF-" not in header:
        raise DocumentError(f"{path}: not a PDF file (no %PDF header); is the extension wrong?")
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            try:
                ok = bool(reader.decrypt(""))
            except Exception:
                ok = False
            if not ok:
                raise DocumentError(
                    f"{path}: the PDF is password-protected; upload an unlocked copy."
                )
        pages = []
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            pages.append(Page(number, _plain_text_blocks(text)))
        scanned = [n for n, p in enumerate(pages, start=1) if _text_chars(p) < MIN_PAGE_CHARS]
        meta_title = None
        try:
            meta_title = reader.metadata.title if reader.metadata else None
        except Exception:
            meta_title = None
    except DocumentError:
        raise
    except (
        PdfReadError,
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        RecursionError,
        OSError,
    ) as exc:
        raise DocumentError(f"{path}: the PDF is damaged and cannot be read ({exc}).") from exc
    # Pages with (almost) no text layer are images of text: read them by OCR.
    for number, text in ocr.read_pdf_pages(path, scanned).items():
        blocks = _plain_text_blocks(text)
        scanned_page = pages[number - 1]
        if sum(len(b.text) for b in blocks) > _text_chars(scanned_page):
            scanned_page.blocks, scanned_page.ocr = blocks, True
    blocks = [b for p in pages for b in p.blocks]
    meta_title = _clean(meta_title) if isinstance(meta_title, str) else ""
    title = meta_title or _title_from(blocks, path)
    without = [p.number for p in pages if not p.blocks and p.number is not None]
    return LoadedDocument(title, "pdf", pages, pages_without_text=without)


# A PDF page with fewer characters of text than this is OCR'd: a scan's text
# layer holds at most a stamped page number or a date.
MIN_PAGE_CHARS = 20


def _text_chars(page: Page) -> int:
    return sum(len(b.text) for b in page.blocks)


def load_image(path: Path) -> LoadedDocument:
    """A scan or photo of printed pages (PNG, JPEG, TIFF; one page per frame), by OCR."""
    frames = ocr.open_image_frames(path)
    if not ocr.ocr_available():
        raise DocumentError(
            f"{path}: an image needs OCR, which is not installed here; "
            "ask an administrator to run scripts/install-ocr."
        )
    numbered = len(frames) > 1
    pages = []
    for number, frame in enumerate(frames, start=1):
        try:
            text = ocr.read_image(frame)
        except DocumentError as exc:
            raise DocumentError(f"{path}: {exc}") from exc
        pages.append(Page(number if numbered else None, _plain_text_blocks(text), ocr=True))
    if not numbered:
        pages[0].number = 1
    blocks = [b for p in pages for b in p.blocks]
    without = [p.number for p in pages if not p.blocks and p.number is not None]
    return LoadedDocument(_title_from(blocks, path), "image", pages, pages_without_text=without)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
# Word's markup around content that a reader of the final view does not see:
# deleted and moved-away text, field codes, and properties.
_DOCX_HIDDEN = {
    f"{_W}del",
    f"{_W}moveFrom",
    f"{_W}delText",
    f"{_W}instrText",
    f"{_W}pPr",
    f"{_W}rPr",
    f"{_W}sdtPr",
    f"{_W}sdtEndPr",
    f"{_W}tblPr",
    f"{_W}trPr",
    f"{_W}tcPr",
    f"{_W}sectPr",
    f"{_W}txbxContent",  # text boxes are read as blocks of their own
}
# Wrappers whose content is part of the text where they stand: tracked insertions
# and moves, content controls, custom XML, smart tags, hyperlinks, simple fields.
_DOCX_WRAPPERS = {
    f"{_W}ins",
    f"{_W}moveTo",
    f"{_W}sdt",
    f"{_W}sdtContent",
    f"{_W}customXml",
    f"{_W}smartTag",
    f"{_W}hyperlink",
    f"{_W}fldSimple",
}
MAX_DOCX_DEPTH = 64  # nesting of tables in tables; deeper is hostile


def _check_zip(path: Path, kind: str) -> None:
    """Refuse what is not a zip, or unpacks to more than MAX_UNPACKED_BYTES."""
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise DocumentError(
            f"{path}: the {kind} is password-protected (or in the old binary Office "
            "format); upload an unlocked copy saved in the current format."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise DocumentError(f"{path}: not a valid {kind} file (not a zip archive).") from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise DocumentError(f"{path}: the {kind} unpacks to {unpacked} bytes; refused as unsafe.")


def load_docx(path: Path) -> LoadedDocument:
    """The document's final view: text as Word shows it with all changes accepted.

    Tracked insertions and moved-to text are read, deletions and moved-from
    text are not; content controls (block, row, cell and inline), custom XML,
    smart tags, text boxes and tables nested in tables (recursively) are read
    where they stand.
    """
    _check_zip(path, "DOCX")
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise DocumentError(f"{path}: the DOCX is damaged and cannot be read ({exc}).") from exc
    except Exception as exc:  # lxml raises XMLSyntaxError for broken parts
        raise DocumentError(f"{path}: the DOCX is damaged and cannot be read ({exc}).") from exc

    style_names = {s.style_id: s.name or "" for s in document.styles}
    # Word records where it broke pages when it last saved the file; explicit
    # page breaks count too. Without either, the document has no page numbers.
    page_no = 1
    saw_break = False
    pages: dict[int, Page] = {1: Page(1)}
    for kind, element in _docx_block_elements(document.element.body):
        if kind == "p":
            breaks = sum(1 for _ in element.iter(f"{_W}lastRenderedPageBreak")) + sum(
                1 for br in element.iter(f"{_W}br") if br.get(f"{_W}type") == "page"
            )
            if breaks:
                saw_break = True
                page_no += breaks
                pages.setdefault(page_no, Page(page_no))
            text = _clean(_docx_text(element))
            if text:
                level = _docx_heading_level(element, style_names)
                pages[page_no].blocks.append(Block(text, level))
            for box in _docx_text_boxes(element):
                for _, inner in _docx_block_elements(box):
                    boxed = _clean(_docx_text(inner)) if inner.tag == f"{_W}p" else ""
                    if boxed:
                        pages[page_no].blocks.append(Block(boxed))
        else:
            for row in _docx_table_rows(element, depth=1):
                pages[page_no].blocks.append(Block(row))
    ordered = [pages[n] for n in sorted(pages)]
    if not saw_break:
        ordered = [Page(None, [b for p in ordered for b in p.blocks])]
    blocks = [b for p in ordered for b in p.blocks]
    core_title = _clean(document.core_properties.title or "")
    return LoadedDocument(core_title or _title_from(blocks, path), "docx", ordered)


def _docx_block_elements(container: _Element) -> Iterator[tuple[str, _Element]]:
    """Paragraphs ("p") and tables ("tbl") of a body, cell or text box, in order,
    looking through content controls, custom XML and tracked insertions."""
    for child in container.iterchildren():
        tag = child.tag
        if tag == f"{_W}p":
            yield "p", child
        elif tag == f"{_W}tbl":
            yield "tbl", child
        elif tag in _DOCX_WRAPPERS:
            yield from _docx_block_elements(child)


def _docx_text(element: _Element) -> str:
    """The visible text under a paragraph (or run container), in order."""
    parts: list[str] = []

    def walk(node: _Element) -> None:
        for child in node.iterchildren():
            tag = child.tag
            if not isinstance(tag, str) or tag in _DOCX_HIDDEN:
                continue
            if tag == f"{_W}t":
                parts.append(child.text or "")
            elif tag in (f"{_W}tab", f"{_W}ptab"):
                parts.append("\t")
            elif tag in (f"{_W}br", f"{_W}cr"):
                parts.append("\n")
            elif tag == f"{_W}noBreakHyphen":
                parts.append("-")
            elif tag == f"{_MC}AlternateContent":
                choice = child.find(f"{_MC}Choice")
                walk(choice if choice is not None else child)
            else:
                walk(child)

    walk(element)
    return " ".join("".join(parts).split("\n"))


def _docx_text_boxes(paragraph: _Element) -> list[_Element]:
    """Text boxes anchored in a paragraph (the drawing's own copy, not its fallback)."""
    seen = []
    for box in paragraph.iter(f"{_W}txbxContent"):
        if any(anc.tag == f"{_MC}Fallback" for anc in box.iterancestors()):
            continue
        if any(anc.tag in (f"{_W}del", f"{_W}moveFrom") for anc in box.iterancestors()):
            continue
        seen.append(box)
    return seen


def _docx_heading_level(paragraph: _Element, style_names: dict[str, str]) -> int:
    style = paragraph.find(f"{_W}pPr/{_W}pStyle")
    style_id = style.get(f"{_W}val") if style is not None else None
    name = style_names.get(style_id, "") if style_id is not None else ""
    if name == "Title":
        return 1
    if name.startswith("Heading"):
        digits = "".join(c for c in name if c.isdigit())
        return min(int(digits), 6) if digits else 2
    return 0


def _docx_table_rows(table: _Element, depth: int) -> list[str]:
    """One line per row, cells joined by " | "; a nested table's rows are read into
    its cell, joined by "; ". Rows deleted as tracked changes are left out."""
    if depth > MAX_DOCX_DEPTH:
        raise DocumentError(f"tables nested over {MAX_DOCX_DEPTH} deep; refused as unsafe.")
    rows: list[str] = []
    for row in _docx_children(table, f"{_W}tr"):
        if row.find(f"{_W}trPr/{_W}del") is not None:
            continue
        cells: list[str] = []
        for cell in _docx_children(row, f"{_W}tc"):
            parts = []
            for kind, element in _docx_block_elements(cell):
                if kind == "p":
                    parts.append(_clean(_docx_text(element)))
                else:
                    parts.append("; ".join(_docx_table_rows(element, depth + 1)))
            value = " ".join(p for p in parts if p)
            if value and (not cells or cells[-1] != value):
                cells.append(value)
        if cells:
            rows.append(" | ".join(cells))
    return rows


def _docx_children(parent: _Element, tag: str) -> Iterator[_Element]:
    """Children with ``tag``, looking through content controls and custom XML."""
    for child in parent.iterchildren():
        if child.tag == tag:
            yield child
        elif child.tag in _DOCX_WRAPPERS:
            yield from _docx_children(child, tag)


# Elements whose text is never shown as page content.
_HTML_SKIP = (
    "head",
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "svg",
    "iframe",
    "object",
    "canvas",
    "button",
    "select",
    "input",
    "textarea",
)
# Elements that start a new block of text (the HTML Living Standard's flow
# content that renders as a block, and table rows).
_HTML_BLOCK = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "legend",
        "li",
        "main",
        "menu",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    ]
)
_HTML_CELLS = ("td", "th")
# ARIA roles of navigation chrome: menus, breadcrumbs, banners of links.
_HTML_CHROME_ROLES = {"navigation", "menubar", "menu", "search", "toolbar", "tablist"}


def load_html(path: Path) -> LoadedDocument:
    """Every text node of the body, in document order, as blocks.

    A block ends where an HTML block element (``div``, ``p``, ``li``, ``section``,
    headings...) starts or ends, and at each ``<br>``; a table row is one block
    with its cells joined by " | ". Scripts, styles, forms and navigation chrome
    (``nav`` and the ARIA navigation roles, hidden elements) are left out.
    """
    from bs4 import BeautifulSoup
    from bs4.dammit import EncodingDetector

    raw = path.read_bytes()
    declared = EncodingDetector.find_declared_encoding(raw, is_html=True)
    if declared or raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        soup = BeautifulSoup(raw, "html.parser")
        encoding = soup.original_encoding
    else:
        decoded = decode_text(raw, str(path))
        soup = BeautifulSoup(decoded.text, "html.parser")
        encoding = decoded.encoding
    title_tag = soup.title.string if soup.title and soup.title.string else ""
    blocks = html_blocks(soup)
    title = _clean(title_tag) or _title_from(blocks, path)
    return LoadedDocument(title, "html", [Page(None, blocks)], encoding=encoding)


def html_blocks(markup: str | BeautifulSoup) -> list[Block]:
    """Blocks of an HTML page (markup text or a parsed BeautifulSoup), as load_html
    reads them."""
    from bs4 import BeautifulSoup
    from bs4.element import Comment, NavigableString, Tag

    soup = markup if isinstance(markup, BeautifulSoup) else BeautifulSoup(markup, "html.parser")
    for tag in soup(_HTML_SKIP):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed:
            continue
        attrs = tag.attrs or {}
        if (
            "hidden" in attrs
            or str(attrs.get("aria-hidden", "")).lower() == "true"
            or str(attrs.get("role", "")).lower() in _HTML_CHROME_ROLES
        ):
            tag.decompose()

    blocks: list[Block] = []
    buffer: list[str] = []
    level = 0

    def flush() -> None:
        nonlocal level
        text = _clean(" ".join(buffer))
        if text:
            blocks.append(Block(text, level))
        buffer.clear()
        level = 0

    def inline_text(node: Tag) -> str:
        return " ".join(str(s) for s in node.find_all(string=True) if not isinstance(s, Comment))

    def walk(node: Tag) -> None:
        nonlocal level
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                buffer.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name == "br":
                flush()
            elif name == "tr":
                flush()
                cells = [
                    _clean(inline_text(cell))
                    for cell in child.find_all(_HTML_CELLS, recursive=False)
                ]
                row = " | ".join(c for c in cells if c)
                if row:
                    blocks.append(Block(row))
            elif name in _HTML_BLOCK:
                flush()
                if len(name) == 2 and name[0] == "h" and name[1].isdigit():
                    level = int(name[1])
                walk(child)
                flush()
            else:
                walk(child)

    root = soup.body or soup
    walk(root)
    flush()
    return blocks


def load_markdown(path: Path) -> LoadedDocument:
    from markdown_it import MarkdownIt

    text = _decode_text(path)
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    blocks: list[Block] = []
    level = 0
    for token in tokens:
        if token.type == "heading_open":
            level = int(token.tag[1])
        elif token.type == "inline":
            content = _clean(_inline_text(token))
            if content:
                blocks.append(Block(content, level))
            level = 0
        elif token.type in ("fence", "code_block"):
            content = token.content.strip()
            if content:
                blocks.append(Block(content))
    return LoadedDocument(_title_from(blocks, path), "markdown", [Page(None, blocks)])


def _inline_text(token: Any) -> str:
    """The words of a Markdown inline run as a reader sees them: emphasis and link
    syntax gone, an image's alt text kept, inline HTML tags (``<a name="x"></a>``,
    ``<br>``) left out, their text kept."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n" if child.type == "hardbreak" else " ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


def _decode_text(path: Path) -> str:
    return decode_text(path.read_bytes(), str(path)).text


def load_text(path: Path) -> LoadedDocument:
    decoded = decode_text(path.read_bytes(), str(path))
    # Form feeds separate pages in text exported from many systems.
    raw_pages = decoded.text.split("\f")
    numbered = len(raw_pages) > 1
    pages = [
        Page(i if numbered else None, _plain_text_blocks(chunk))
        for i, chunk in enumerate(raw_pages, start=1)
    ]
    blocks = [b for p in pages for b in p.blocks]
    return LoadedDocument(_title_from(blocks, path), "text", pages, encoding=decoded.encoding)


def _elsewhere(module: str, name: str) -> Callable[[Path], LoadedDocument]:
    """A loader from another module of this package (imported on first use; those
    modules build on this one)."""

    def load(path: Path) -> LoadedDocument:
        import importlib

        loader: Callable[[Path], LoadedDocument] = getattr(
            importlib.import_module(f"appliance.ingest.{module}"), name
        )
        return loader(path)

    return load


LOADERS: dict[str, Callable[[Path], LoadedDocument]] = {
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".html": load_html,
    ".htm": load_html,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_text,
    ".text": load_text,
    ".png": load_image,
    ".jpg": load_image,
    ".jpeg": load_image,
    ".tif": load_image,
    ".tiff": load_image,
    ".xlsx": _elsewhere("office", "load_xlsx"),
    ".pptx": _elsewhere("office", "load_pptx"),
    ".odt": _elsewhere("office", "load_odt"),
    ".ods": _elsewhere("office", "load_ods"),
    ".rtf": _elsewhere("office", "load_rtf"),
    ".csv": _elsewhere("office", "load_csv"),
    ".eml": _elsewhere("mail", "load_eml"),
    ".msg": _elsewhere("mail", "load_msg"),
}
SUPPORTED_SUFFIXES = frozenset(LOADERS)


def load_document(path: Path, *, max_bytes: int) -> LoadedDocument:
    """Load one file, or raise DocumentError saying why it cannot be ingested."""
    suffix = path.suffix.lower()
    loader = LOADERS.get(suffix)
    if loader is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise DocumentError(
            f"{path}: unsupported file type {suffix or '(none)'}; supported: {supported}."
        )
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise DocumentError(f"{path}: file not found.") from exc
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read the file ({exc.strerror}).") from exc
    if not path.is_file():
        raise DocumentError(f"{path}: not a regular file.")
    if size == 0:
        raise DocumentError(f"{path}: the file is empty.")
    if size > max_bytes:
        raise DocumentError(
            f"{path}: {size} bytes is over the upload limit of {max_bytes} bytes "
            "(setting max_upload_bytes)."
        )
    try:
        document = loader(path)
    except DocumentError as exc:
        if str(path) in str(exc):
            raise
        raise DocumentError(f"{path}: {exc}") from exc
    except PermissionError as exc:
        raise DocumentError(f"{path}: permission denied.") from exc
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read the file ({exc.strerror or exc}).") from exc
    except Exception as exc:  # parsers raise anything on hostile input; one file, one error
        raise DocumentError(
            f"{path}: the file is damaged or malformed and cannot be read "
            f"({type(exc).__name__}: {exc})."
        ) from exc
    # Every loader's text, whatever path it took, is normalised the same way
    # before anything pseudonymises, chunks or embeds it.
    document.title = clean_line(document.title)
    total = 0
    for page in document.pages:
        for block in page.blocks:
            block.text = normalise_text(block.text)
            total += len(block.text)
    if total > MAX_TEXT_CHARS:
        raise DocumentError(
            f"{path}: the file holds {total} characters of text, over the "
            f"{MAX_TEXT_CHARS} one document may hold; split it into smaller files."
        )
    if not total:
        hint = ""
        if document.pages_without_text or suffix == ".pdf":
            hint = (
                " (OCR found none either)"
                if ocr.ocr_available()
                else " (the pages are images and OCR is not installed here)"
            )
        raise DocumentError(f"{path}: no text could be extracted{hint}.")
    return document
