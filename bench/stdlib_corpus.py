"""A real corpus nobody on the team wrote: the docstrings of standard-library modules.

Each module becomes one Markdown document (module docstring, then one section
per public function or class), so benchmarks measure the appliance on text it
was not tuned for. The text depends only on the Python version, which the
benchmarks print. PDFs of the same text exercise the PDF loader.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterator
from pathlib import Path

# Distractors and targets alike; bench_retrieval's questions name some of these.
# fmt: off
MODULES: tuple[str, ...] = (
    "argparse", "hashlib", "hmac", "secrets", "json", "csv", "sqlite3", "re", "datetime",
    "calendar", "time", "zoneinfo", "random", "statistics", "math", "cmath", "decimal",
    "fractions", "heapq", "bisect", "collections", "itertools", "functools", "operator",
    "copy", "pickle", "shelve", "shutil", "pathlib", "glob", "fnmatch", "tempfile",
    "zipfile", "tarfile", "gzip", "bz2", "lzma", "zlib", "base64", "binascii", "struct",
    "codecs", "unicodedata", "string", "textwrap", "difflib", "pprint", "enum",
    "dataclasses", "typing", "abc", "contextlib", "weakref", "gc", "inspect", "dis", "ast",
    "tokenize", "traceback", "warnings", "logging", "unittest", "doctest", "timeit",
    "cProfile", "pdb", "subprocess", "threading", "multiprocessing", "concurrent.futures",
    "queue", "sched", "signal", "socket", "ssl", "selectors", "http.client",
    "urllib.parse", "urllib.request", "smtplib", "ftplib", "uuid", "ipaddress",
    "mimetypes", "html", "html.parser", "xml.etree.ElementTree", "configparser",
    "tomllib", "getpass", "platform", "locale", "gettext", "io", "mmap", "array",
    "webbrowser", "wave", "colorsys", "filecmp", "plistlib", "graphlib", "contextvars",
    "shlex", "sysconfig", "fileinput", "imaplib", "netrc",
)
# fmt: on

_FENCE_SAFE = re.compile(r"^(\s*)#+", re.MULTILINE)
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _public_names(module: object) -> list[str]:
    """``__all__`` where the module declares it, else its own public callables."""
    declared = getattr(module, "__all__", None)
    if declared:
        return [n for n in declared if isinstance(n, str)]
    name = getattr(module, "__name__", "")
    own = []
    for attr, obj in sorted(vars(module).items()):
        if attr.startswith("_") or not callable(obj):
            continue
        origin = getattr(obj, "__module__", None) or ""
        if origin == name or origin.lstrip("_") == name:
            own.append(attr)
    return own


def _own_doc(obj: object) -> str:
    """The object's own docstring (not one inherited from ``object`` or a base)."""
    doc = getattr(obj, "__doc__", None)
    if not isinstance(doc, str) or not doc.strip():
        return ""
    if inspect.isclass(obj):
        for base in obj.__mro__[1:]:
            if base.__doc__ == doc:
                return ""
    return inspect.cleandoc(doc)


def _signature(obj: object) -> str:
    """The call signature, without memory addresses (``<function f at 0x7f..>``) that
    would make the corpus differ from one run to the next."""
    try:
        text = str(inspect.signature(obj))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "()"
    return _ADDRESS.sub("", text)


def _markdown_safe(text: str) -> str:
    """Docstring lines starting with '#' (code comments) must not become headings."""
    return _FENCE_SAFE.sub(r"\1", text)


def _members(module: object) -> Iterator[tuple[str, str]]:
    for attr in _public_names(module):
        obj = getattr(module, attr, None)
        if obj is None or not callable(obj):
            continue
        doc = _own_doc(obj)
        if doc:
            yield attr, f"{_signature(obj)}\n\n{doc}"


def module_markdown(name: str, max_chars: int = 8000) -> str:
    """One module's documentation as Markdown, cut after ``max_chars`` characters."""
    module = importlib.import_module(name)
    summary, _, rest = _own_doc(module).partition("\n")
    parts = [f"# {name}: {summary.strip() or 'module'}", _markdown_safe(rest.strip())]
    size = sum(len(p) for p in parts)
    for attr, doc in _members(module):
        if size >= max_chars:
            break
        section = f"## {name}.{attr}{_markdown_safe(doc)}"
        parts.append(section)
        size += len(section)
    return "\n\n".join(p for p in parts if p)[: max_chars + 2000]


def write_markdown_corpus(
    folder: Path, modules: tuple[str, ...] = MODULES, max_chars: int = 8000
) -> dict[str, Path]:
    """Write one ``<module>.md`` per module; returns module name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in modules:
        path = folder / f"{name}.md"
        path.write_text(module_markdown(name, max_chars), encoding="utf-8")
        paths[name] = path
    return paths


def _latin1(text: str) -> str:
    """fpdf2's core fonts only hold latin-1; replace anything else."""
    return text.encode("latin-1", "replace").decode("latin-1")


def write_pdf(path: Path, title: str, paragraphs: list[str]) -> int:
    """Write a simple text PDF (title, then paragraphs); returns its page count."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(title))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 8, _latin1(title.upper()[:80]))
    pdf.ln(4)
    pdf.set_font("Helvetica", size=10)
    for para in paragraphs:
        pdf.multi_cell(0, 5, _latin1(para))
        pdf.ln(2)
    pdf.output(str(path))
    return pdf.page_no()


def plain_paragraphs(markdown: str) -> list[str]:
    """Markdown to plain paragraphs: headings lose their '#', blank lines split."""
    text = re.sub(r"^#+\s*", "", markdown, flags=re.MULTILINE)
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def write_pdf_corpus(folder: Path, target_pages: int = 80, per_pdf: int = 8) -> list[Path]:
    """PDFs of about ``per_pdf`` pages each from successive modules' docs."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    pages = 0
    queue = list(MODULES)
    while pages < target_pages and queue:
        group: list[str] = []
        paragraphs: list[str] = []
        # About 3,500 characters fill a page at 10 pt.
        while queue and sum(len(p) for p in paragraphs) < per_pdf * 3500:
            name = queue.pop(0)
            group.append(name)
            paragraphs += plain_paragraphs(module_markdown(name, max_chars=12000))
        path = folder / f"stdlib-{len(paths) + 1:02d}-{group[0]}.pdf"
        pages += write_pdf(path, f"Python library notes: {', '.join(group)}", paragraphs)
        paths.append(path)
    return paths
