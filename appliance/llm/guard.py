"""Generation that cannot run away: sentences out of a token stream, stopped at a loop.

Small models (and large ones at low temperature) fall into loops: the same sentence
again and again ("The answer is: 1." until ``max_tokens``), or a few words repeating
inside one sentence. llama.cpp's repetition penalties make this rarer but do not
stop it, so the answer's text is read a sentence at a time and generation is
stopped at the first repeat; the repeat itself is never shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# A sentence ends at . ! ? (optionally closed by quotes or brackets) followed by
# white space, or at a line break.
SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")
# A citation marker that follows a sentence's full stop belongs to that sentence.
_LEADING_CITATIONS = re.compile(r"^((?:\s*\[\d{1,3}\])+[.,;]?)")
_WORD = re.compile(r"\w+", re.UNICODE)
# What may follow a full stop and still turn out to be that sentence's citation.
_MAYBE_CITATION = re.compile(r"\s*(?:\[\d{0,3}\]?)*\s*")

# Two sentences whose word sets overlap this much (Jaccard) are one sentence said
# twice (a loop with a changed word is still a loop).
NEAR_DUPLICATE = 0.8
# A run of this many copies of one word sequence inside a sentence is a loop; a
# single repeated word needs one more ("very, very" is English, five is not).
LOOP_COPIES = 3
MAX_PERIOD_WORDS = 40


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


@dataclass
class RepetitionGuard:
    """Remembers the sentences of one answer and says when it starts repeating.

    ``seen`` holds each finished sentence's word set; a sentence is a repeat when it
    is empty of new words relative to one before it (Jaccard >= :data:`NEAR_DUPLICATE`
    over at least one word).
    """

    seen: list[frozenset[str]] = field(default_factory=list)

    def is_repeat(self, sentence: str) -> bool:
        words = frozenset(_words(sentence))
        if not words:
            return False
        for earlier in self.seen:
            union = len(words | earlier)
            if union and len(words & earlier) / union >= NEAR_DUPLICATE:
                return True
        self.seen.append(words)
        return False


def loop_start(text: str) -> int | None:
    """Character offset where ``text`` starts looping, or None.

    A loop is a word sequence of 2..40 words repeated :data:`LOOP_COPIES` times at
    the end of ``text`` (one word: one copy more). The offset is where the second
    copy begins, so cutting there keeps one copy.
    """
    spans = [(m.start(), m.group(0).casefold()) for m in _WORD.finditer(text)]
    words = [w for _, w in spans]
    n = len(words)
    for period in range(1, min(MAX_PERIOD_WORDS, n // LOOP_COPIES) + 1):
        copies = LOOP_COPIES + (1 if period == 1 else 0)
        if period * copies > n:
            break
        tail = words[n - period :]
        if all(words[n - (c + 1) * period : n - c * period] == tail for c in range(1, copies)):
            # Walk back over every further copy, then keep the first.
            first = n - copies * period
            while first - period >= 0 and words[first - period : first] == tail:
                first -= period
            cut = spans[first + period][0]
            # Cut where the second copy's first word starts, and drop the opening
            # bracket or quote that led into it.
            return len(text[:cut].rstrip(" \t\n[(\"'"))
    return None


def split_finished(buffer: str) -> tuple[list[str], str]:
    """The finished sentences at the start of ``buffer`` and the unfinished rest.

    A citation marker right after a full stop (``... ten years. [1]``) stays with
    the sentence it follows, also while the next sentence is still unfinished.
    """
    pieces: list[str] = []
    pos = 0
    for m in SENTENCE_END.finditer(buffer):
        pieces.append(buffer[pos : m.end()])
        pos = m.end()
    rest = buffer[pos:]
    out: list[str] = []
    for piece in pieces:
        piece = _merge_citations(out, piece)
        if piece.strip():
            out.append(piece)
        elif out:
            out[-1] += piece
    if out:
        rest = _merge_citations(out, rest)
    return out, rest


def _merge_citations(out: list[str], piece: str) -> str:
    """Move citation markers that open ``piece`` onto the end of ``out[-1]``."""
    cites = _LEADING_CITATIONS.match(piece)
    if not out or cites is None:
        return piece
    out[-1] = out[-1].rstrip() + " " + cites.group(1).strip() + " "
    return piece[cites.end() :].lstrip()


def guarded_sentences(deltas: Iterator[str], report: dict[str, Any] | None = None) -> Iterator[str]:
    """Yield the generated text a finished sentence at a time, stopping at a loop.

    A sentence that repeats an earlier one, or text that loops inside a sentence,
    ends the generation (the upstream iterator is closed, which frees the model);
    the repeat is dropped and ``report["stopped"]`` is set to ``"loop"``. The last,
    unfinished sentence is yielded as is when the stream ends.
    """
    guard = RepetitionGuard()
    pending = ""  # text not yielded yet: the unfinished sentence, and the last
    # finished one while a citation marker ("[1]") may still follow its full stop
    try:
        for delta in deltas:
            pending += delta
            start = loop_start(pending)
            if start is not None:
                pending = pending[:start]
                _stopped(report)
                break
            finished, rest = split_finished(pending)
            if finished and _MAYBE_CITATION.fullmatch(rest):
                rest = finished.pop() + rest
            pending = rest
            for sentence in finished:
                if guard.is_repeat(sentence):
                    _stopped(report)
                    return
                yield sentence
        finished, rest = split_finished(pending)
        for sentence in [*finished, rest] if rest.strip() else finished:
            if guard.is_repeat(sentence):
                _stopped(report)
                return
            yield sentence
    finally:
        close = getattr(deltas, "close", None)
        if close is not None:
            close()


def _stopped(report: dict[str, Any] | None) -> None:
    if report is not None:
        report["stopped"] = "loop"
