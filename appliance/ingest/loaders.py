"""Loaders for PDF, DOCX, HTML, Markdown and plain text, keeping page numbers.

Each loader turns a file into a :class:`LoadedDocument`: a title and pages of
blocks (headings and paragraphs). Anything wrong with a file, from a missing
path to a hostile archive, is a :class:`~appliance.errors.DocumentError` with a
message a member of staff can act on.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from appliance.errors import DocumentError


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


@dataclass
class LoadedDocument:
    title: str
    kind: str
    pages: list[Page]

    @property
    def page_count(self) -> int | None:
        numbered = [p.number for p in self.pages if p.number is not None]
        return max(numbered) if numbered else None

    @property
    def text(self) -> str:
        return "\n".join(b.text for p in self.pages for b in p.blocks)


# Decompressed DOCX content above this many bytes is treated as a zip bomb.
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
_WS = re.compile(r"[ \t\r\f\v\u00a0]+")
_NUMBERED_HEADING = re.compile(r"^(\d+(\.\d+)*\.?|[A-Z]\.)\s+[A-Z][^.!?]{2,80}$")


def _clean(text: str) -> str:
    text = text.replace("\x00", "")
    return _WS.sub(" ", text).strip()


def _plain_text_blocks(text: str) -> list[Block]:
    """Split text into paragraphs; short numbered or upper-case lines become headings."""
    blocks: list[Block] = []
    for para in re.split(r"\n\s*\n", text):
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
                ok = reader.decrypt("")
            except Exception:
                ok = 0
            if not ok:
                raise DocumentError(
                    f"{path}: the PDF is password-protected; upload an unlocked copy."
                )
        pages = []
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            pages.append(Page(number, _plain_text_blocks(text)))
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
    blocks = [b for p in pages for b in p.blocks]
    meta_title = _clean(meta_title) if isinstance(meta_title, str) else ""
    title = meta_title or _title_from(blocks, path)
    return LoadedDocument(title, "pdf", pages)


def load_docx(path: Path) -> LoadedDocument:
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise DocumentError(f"{path}: not a valid DOCX file (not a zip archive).") from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise DocumentError(f"{path}: the DOCX unpacks to {unpacked} bytes; refused as unsafe.")
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise DocumentError(f"{path}: the DOCX is damaged and cannot be read ({exc}).") from exc
    except Exception as exc:  # lxml raises XMLSyntaxError for broken parts
        raise DocumentError(f"{path}: the DOCX is damaged and cannot be read ({exc}).") from exc

    # Word records where it broke pages when it last saved the file; explicit
    # page breaks count too. Without either, the document has no page numbers.
    page_no = 1
    saw_break = False
    pages: dict[int, Page] = {1: Page(1)}
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        xml = child.xml if hasattr(child, "xml") else ""
        breaks = xml.count("w:lastRenderedPageBreak") + xml.count('w:type="page"')
        if tag == "p":
            from docx.text.paragraph import Paragraph

            para = Paragraph(child, document)
            if breaks:
                saw_break = True
                page_no += breaks
                pages.setdefault(page_no, Page(page_no))
            text = _clean(para.text)
            if not text:
                continue
            style = (para.style.name if para.style is not None else "") or ""
            level = 0
            if style == "Title":
                level = 1
            elif style.startswith("Heading"):
                digits = "".join(c for c in style if c.isdigit())
                level = min(int(digits), 6) if digits else 2
            pages[page_no].blocks.append(Block(text, level))
        elif tag == "tbl":
            from docx.table import Table

            table = Table(child, document)
            for row in table.rows:
                cells = []
                for cell in row.cells:
                    value = _clean(cell.text)
                    if value and (not cells or cells[-1] != value):
                        cells.append(value)
                if cells:
                    pages[page_no].blocks.append(Block(" | ".join(cells)))
    ordered = [pages[n] for n in sorted(pages)]
    if not saw_break:
        ordered = [Page(None, [b for p in ordered for b in p.blocks])]
    blocks = [b for p in ordered for b in p.blocks]
    core_title = _clean(document.core_properties.title or "")
    return LoadedDocument(core_title or _title_from(blocks, path), "docx", ordered)


_HTML_BLOCKS = (
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "li",
    "pre",
    "td",
    "th",
    "blockquote",
    "dt",
    "dd",
    "figcaption",
    "caption",
)


def load_html(path: Path) -> LoadedDocument:
    from bs4 import BeautifulSoup

    raw = path.read_bytes()
    soup = BeautifulSoup(raw, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "nav", "svg", "iframe"]):
        tag.decompose()
    blocks: list[Block] = []
    root = soup.body or soup
    for element in root.find_all(_HTML_BLOCKS):
        # Leaf blocks only: an <li> holding <p>s is read through its <p>s.
        if element.find(_HTML_BLOCKS):
            continue
        text = _clean(element.get_text(" "))
        if not text:
            continue
        level = int(element.name[1]) if element.name[0] == "h" and element.name[1:].isdigit() else 0
        blocks.append(Block(text, level))
    if not blocks:
        text = _clean(root.get_text(" "))
        blocks = [Block(text)] if text else []
    title_tag = soup.title.string if soup.title and soup.title.string else ""
    title = _clean(title_tag) or _title_from(blocks, path)
    return LoadedDocument(title, "html", [Page(None, blocks)])


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
            content = _clean(_strip_inline_markup(token.content))
            if content:
                blocks.append(Block(content, level))
            level = 0
        elif token.type in ("fence", "code_block"):
            content = token.content.strip()
            if content:
                blocks.append(Block(content))
    return LoadedDocument(_title_from(blocks, path), "markdown", [Page(None, blocks)])


def _strip_inline_markup(text: str) -> str:
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[*_`]{1,3}([^*_`]+)[*_`]{1,3}", r"\1", text)


def _decode_text(path: Path) -> str:
    raw = path.read_bytes()
    if b"\x00" in raw[:8192]:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            try:
                return raw.decode("utf-16")
            except UnicodeDecodeError as exc:
                raise DocumentError(f"{path}: broken UTF-16 text ({exc}).") from exc
        raise DocumentError(f"{path}: looks like a binary file, not text.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DocumentError(f"{path}: text is neither UTF-8 nor Windows-1252; save it as UTF-8.")


def load_text(path: Path) -> LoadedDocument:
    text = _decode_text(path)
    # Form feeds separate pages in text exported from many systems.
    raw_pages = text.split("\f")
    numbered = len(raw_pages) > 1
    pages = [
        Page(i if numbered else None, _plain_text_blocks(chunk))
        for i, chunk in enumerate(raw_pages, start=1)
    ]
    blocks = [b for p in pages for b in p.blocks]
    return LoadedDocument(_title_from(blocks, path), "text", pages)


LOADERS: dict[str, Callable[[Path], LoadedDocument]] = {
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".html": load_html,
    ".htm": load_html,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_text,
    ".text": load_text,
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
    except DocumentError:
        raise
    except PermissionError as exc:
        raise DocumentError(f"{path}: permission denied.") from exc
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read the file ({exc.strerror or exc}).") from exc
    except Exception as exc:  # parsers raise anything on hostile input; one file, one error
        raise DocumentError(
            f"{path}: the file is damaged or malformed and cannot be read "
            f"({type(exc).__name__}: {exc})."
        ) from exc
    if not any(b.text for p in document.pages for b in p.blocks):
        hint = " (a scanned PDF needs OCR first)" if suffix == ".pdf" else ""
        raise DocumentError(f"{path}: no text could be extracted{hint}.")
    return document
