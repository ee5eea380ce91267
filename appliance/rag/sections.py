"""A stored document as its sections: the chunks put back together, heading by heading.

The chunker (:mod:`appliance.ingest.chunker`) never lets a chunk cross a heading or a
page, and starts each chunk after the first of a run (same section, same page) with
the last whole sentences of the chunk before it (up to ``overlap_chars``), joined by
single spaces. Putting a section back together therefore drops, from each such chunk,
the longest run of whole sentences that the chunk before it ends with, and joins what
is left with single spaces. The result does not depend on where the chunk boundaries
fell (page breaks, the token window, the document title's length), so a section left
unchanged in a new version of a document has exactly the same text in both.

Section text stays pseudonymised (``<PERSON_1>``, in the document's own placeholders):
work whole-document features (summaries, comparisons) need, and nothing here opens
an identifier.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from appliance.store.database import Database
from appliance.store.schema import Chunk, Document
from appliance.store.vault import DocumentVault


@dataclass(frozen=True)
class PageText:
    """A section's text on one page (``page`` None: the format has no pages)."""

    page: int | None
    text: str


@dataclass(frozen=True)
class Section:
    """One section of a stored document.

    ``index``: 0-based order in the document; ``title``: its heading path as the
    chunks carry it ("Policy > 3. Retention"; "" for text before the first heading);
    ``pages``: the 1-based pages it is on, in order (empty when the format has no
    pages); ``text``: its pseudonymised text, chunk overlap removed; ``pieces``: the
    same text page by page (what a summary cites)."""

    index: int
    title: str
    pages: tuple[int, ...]
    text: str
    pieces: tuple[PageText, ...] = field(default=(), compare=False)


def _overlap(before: str, after: str) -> int:
    """Length of the longest proper prefix of ``after`` that ``before`` ends with,
    cut at spaces in both (whole sentences or pieces: the chunker joins with " ")."""
    best = 0
    limit = min(len(before), len(after)) - 1
    cut = after.find(" ")
    while 0 < cut <= limit:
        head = after[:cut]
        if before.endswith(head) and (len(before) == cut or before[-cut - 1] == " "):
            best = cut
        cut = after.find(" ", cut + 1)
    return best


def sections_from_chunks(chunks: Iterable[tuple[int | None, str, str]]) -> list[Section]:
    """Sections from a document's chunks in ordinal order, each (page, section, text).

    Consecutive chunks of one heading path make one section. The overlap the chunker
    repeats is removed only between consecutive chunks of the same section and page
    (it never carries one across a page or a heading)."""
    out: list[Section] = []
    title: str | None = None
    pages: list[int] = []
    parts: list[tuple[int | None, str]] = []
    last: tuple[int | None, str] | None = None
    previous_text = ""

    def close() -> None:
        if title is None:
            return
        pieces: list[PageText] = []
        for page, part in parts:
            if not part:
                continue
            if pieces and pieces[-1].page == page:
                pieces[-1] = PageText(page, f"{pieces[-1].text} {part}")
            else:
                pieces.append(PageText(page, part))
        text = " ".join(p.text for p in pieces)
        out.append(Section(len(out), title, tuple(pages), text, tuple(pieces)))

    for page, section, text in chunks:
        text = text.strip()
        if section != title:
            close()
            title, pages, parts, last, previous_text = section, [], [], None, ""
        if page is not None and page not in pages:
            pages.append(page)
        if last == (page, section):
            cut = _overlap(previous_text, text)
            parts.append((page, text[cut:].strip()))
        else:
            parts.append((page, text))
        last, previous_text = (page, section), text
    close()
    return out


def document_sections(db: Database, vault: DocumentVault, document_id: str) -> list[Section]:
    """The sections of a stored document, opened from its sealed chunks (in memory).

    Raises :class:`appliance.errors.DocumentError` for an unknown document and
    :class:`appliance.errors.KeyShredded` when its key was shredded. The caller checks
    the reader's grant first."""
    from appliance.errors import DocumentError

    with db.session() as s:
        doc = s.get(Document, document_id)
        if doc is None:
            raise DocumentError(f"no document with id {document_id!r}.")
        rows = list(
            s.scalars(select(Chunk).where(Chunk.document_id == document_id).order_by(Chunk.ordinal))
        )
        opened = [(c.page, *vault.open_chunk(c, doc.collection_id)) for c in rows]
    return sections_from_chunks(opened)
