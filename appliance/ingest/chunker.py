"""Split a loaded document into overlapping chunks that respect its structure.

Chunks never cross a heading or a page, so every chunk has one section and one
page to cite. Within a section, sentences are packed up to ``chunk_chars``, and,
given the embedder's tokenizer (``count_tokens``), up to what its window holds
(``max_tokens``, title and section included), so no chunk is embedded cut short;
the next chunk repeats the last sentences (up to ``overlap_chars``) so a fact
spanning a boundary is still found whole. Each chunk carries the document
title and its heading path for embedding and for the prompt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import regex

from appliance.ingest.loaders import LoadedDocument

# A sentence ends at . ! ? followed by space and an upper-case letter of any
# script, a digit or a quote (or at the Greek question mark, ";" after NFKC,
# before a Greek capital); abbreviations such as "e.g." rarely meet that and are
# left joined.
_SENTENCE_END = regex.compile(
    r"(?<=[.!?])[\"')\]»]?\s+(?=[\"'(\[«„]?[\p{Lu}\p{N}])|(?<=;)\s+(?=[Α-ΩΆΈΉΊΌΎΏ])"
)
_ABBREVIATIONS = (
    "e.g.",
    "i.e.",
    "etc.",
    "Dr.",
    "Mr.",
    "Mrs.",
    "Ms.",
    "No.",
    "Art.",
    "art.",
    "para.",
    "cf.",
    "vs.",
    "St.",
    "Prof.",
)


@dataclass(frozen=True)
class ChunkDraft:
    ordinal: int
    page: int | None
    section: str
    text: str

    def context_text(self, title: str) -> str:
        """Text as embedded: the heading above it (:func:`context_header`), a line
        break, then the chunk's own text."""
        head = context_header(title, self.section)
        return f"{head}\n{self.text}" if head else self.text


def context_header(title: str, section: str) -> str:
    """What is put before a chunk's text when it is embedded and indexed lexically:
    the document title, then the heading path ("Policy — Part A > 3. Retention").

    A heading path that starts with the title itself (a Markdown, HTML or Word
    document whose title is its first heading, as the loaders take it) has
    that heading dropped, so the title is not said twice: in a long-titled document
    the repeat took 18 of the embedder's 256 tokens in every chunk of the GDPR and weighed
    on every vector alike (``bench/RESULTS.md``, section 11). Both arguments are the
    pseudonymised texts the vault seals; returns "" when both are empty."""
    path = section.split(" > ") if section else []
    if path and title and _same_heading(path[0], title):
        path = path[1:]
    return " — ".join(part for part in (title, " > ".join(path)) if part)


def _same_heading(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def split_sentences(text: str) -> list[str]:
    parts = _SENTENCE_END.split(text)
    sentences: list[str] = []
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if sentences and sentences[-1].endswith(_ABBREVIATIONS):
            sentences[-1] = f"{sentences[-1]} {part}"
        else:
            sentences.append(part)
    return sentences


def _hard_split(sentence: str, limit: int) -> list[str]:
    """Cut an over-long sentence at word boundaries (or anywhere, for unbroken text)."""
    pieces = []
    while len(sentence) > limit:
        cut = sentence.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        pieces.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    if sentence:
        pieces.append(sentence)
    return pieces


def _split_to_fit(piece: str, fits: Callable[[list[str]], bool]) -> list[str]:
    """Cut a piece that does not fit the token window alone: at word boundaries, or
    anywhere for unbroken text. Each part holds at least one word or character."""
    parts: list[str] = []
    words = piece.split()
    units, joiner = (words, " ") if len(words) > 1 else (list(piece), "")
    group: list[str] = []
    for unit in units:
        if group and not fits([joiner.join([*group, unit])]):
            parts.append(joiner.join(group))
            group = []
        group.append(unit)
    if group:
        parts.append(joiner.join(group))
    return parts


def chunk_document(
    document: LoadedDocument,
    *,
    chunk_chars: int = 700,
    overlap_chars: int = 120,
    count_tokens: Callable[[str], int] | None = None,
    max_tokens: int = 256,
) -> list[ChunkDraft]:
    """Chunks of ``document``. ``count_tokens``: the embedder's token count of a text
    (special tokens included); with it, every chunk's :meth:`ChunkDraft.context_text`
    fits ``max_tokens`` unless its title and section alone do not."""
    chunks: list[ChunkDraft] = []
    headings: list[tuple[int, str]] = []  # the open heading path, by level
    current: list[str] = []
    size = 0
    page: int | None = None

    def section() -> str:
        return " > ".join(text for _, text in headings)

    def fits(pieces: list[str]) -> bool:
        if count_tokens is None:
            return True
        draft = ChunkDraft(0, page, section(), " ".join(pieces))
        if count_tokens(draft.context_text(document.title)) <= max_tokens:
            return True
        # A title and section that fill the window alone leave nothing to fit.
        bare = ChunkDraft(0, page, section(), "").context_text(document.title)
        return count_tokens(bare) >= max_tokens - 8

    def emit(keep_overlap: bool) -> None:
        nonlocal current, size
        if not current:
            return
        chunks.append(ChunkDraft(len(chunks), page, section(), " ".join(current)))
        if not keep_overlap or overlap_chars == 0:
            current, size = [], 0
            return
        tail: list[str] = []
        tail_size = 0
        for sentence in reversed(current):
            if tail_size + len(sentence) + 1 > overlap_chars:
                break
            tail.insert(0, sentence)
            tail_size += len(sentence) + 1
        # An overlap equal to the whole chunk would repeat it; keep it only if smaller.
        current, size = (tail, tail_size) if len(tail) < len(current) else ([], 0)

    for doc_page in document.pages:
        emit(keep_overlap=False)
        page = doc_page.number
        for block in doc_page.blocks:
            if block.is_heading:
                emit(keep_overlap=False)
                headings = [(lvl, txt) for lvl, txt in headings if lvl < block.heading_level]
                headings.append((block.heading_level, block.text[:200]))
                continue
            for sentence in split_sentences(block.text):
                for long_piece in _hard_split(sentence, chunk_chars):
                    pieces = [long_piece] if fits([long_piece]) else _split_to_fit(long_piece, fits)
                    for piece in pieces:
                        if current and (
                            size + len(piece) + 1 > chunk_chars or not fits([*current, piece])
                        ):
                            emit(keep_overlap=True)
                            if current and (
                                size + len(piece) + 1 > chunk_chars or not fits([*current, piece])
                            ):
                                current, size = [], 0
                        current.append(piece)
                        size += len(piece) + 1
    emit(keep_overlap=False)
    # A heading-only document still deserves one chunk so it can be found.
    if not chunks and headings:
        chunks.append(ChunkDraft(0, page, section(), section()))
    return chunks
