"""Two versions of a document compared: sections added, removed, changed and moved.

What changed is found without the model, by aligning the two versions' sections
(:mod:`appliance.rag.sections`), in three passes, each over the sections the
passes before left unmatched:

1. identical text (whitespace aside);
2. the same title, once numbering is set aside ("3. Retention" and "4. Retention"
   are one section renumbered), where the title is unique on both sides;
3. text similarity (difflib's ratio over words) of at least
   :data:`MIN_SECTION_SIMILARITY`, most similar pairs first.

Old sections left over were removed, new ones added. A matched pair whose text or
normalised title differs changed; the sentences removed and added inside it come
from difflib over its sentences. A matched pair out of order (not on the longest
run of pairs in the same order in both versions) moved.

Then the model summarises each change in one or two sentences, which are checked
like answers (:mod:`appliance.rag.verify`): every number, quantity, placeholder and
named term must occur in the cited old or new section, and the summary must share
content words with the sentences that changed. A summary that fails is not shown;
the change is shown by its sentences instead, so nothing unverified is ever shown.

Personal data: both versions are compared in one *comparison scope*. Each
document's placeholders point to identifiers, and the two documents' mappings are
independent, so Anna Example may be ``<PERSON_1>`` in the old version and
``<PERSON_2>`` in the new. Before anything is compared, each document's
placeholders are rewritten by its collection's context stage into one
:class:`~appliance.privacy.PseudonymScope` keyed by the value's keyed hash, as a
question's passages are: the same person becomes the same placeholder in both
versions, so a placeholder difference alone is never a change, while a different
person named in a clause is one. Values are opened in memory only (as for the
context stage of a question), never written; the model and the checks see
placeholders; values are shown only when the caller asks and both collections'
policies let the role re-identify (recorded as ``pii.reidentified``).
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from appliance.ingest.chunker import split_sentences
from appliance.rag.lexical import language_of
from appliance.rag.lexical import stems as terms
from appliance.rag.sections import Section
from appliance.rag.verify import CITATION, specifics
from appliance.store.vault import DocumentInfo

if TYPE_CHECKING:
    from appliance.caller import Caller
    from appliance.llm.engine import ChatMessage
    from appliance.llm.registry import ModelChoice
    from appliance.rag.pipeline import Pipeline

# Two unmatched sections whose words are at least this similar (difflib's ratio, 0-1)
# are one section rewritten rather than one removed and another added. Half the
# words in common keeps a section with one paragraph added matched, and two sections
# about different things apart.
MIN_SECTION_SIMILARITY = 0.5
# A change summary must take at least this share of its content words from the
# sentences that changed (or the section's title): more than verify.MIN_CITED_OVERLAP
# asks of a cited sentence (0.34), since a summary restates, and a small model pads
# a summary with remarks of its own ("an important aspect to consider ...").
MIN_SUMMARY_OVERLAP = 0.6
# Changes summarised by the model at most per comparison; the rest are shown by
# their sentences (a small model takes seconds per summary on 2 cores).
MAX_SUMMARIES = 24
# Words of any change summary ("the section was changed"): never evidence of content.
_SUMMARY_WORDS = (
    "section sections version versions old new previous revised revision change changes "
    "changed add adds added remove removes removed delete deleted now instead text "
    "sentence sentences document policy update updated also must longer shorter more "
    "less rise rises raised increase increased decrease decreased reduce reduced extend "
    "extended shorten shortened replace replaced replaces"
)

# "3.", "3.2", "3)", "IV.", "a)", "Section 3:", "Article 12", "§ 4", "Part A" before a title.
_NUMBERING = re.compile(
    r"^\s*(?:"
    r"(?:section|article|art\.?|clause|part|chapter|annex|appendix|§)\s*"
    r"(?:\d+(?:\.\d+)*|[ivxlc]+|[a-z])[.):]?"
    r"|\d+(?:\.\d+)*[.):]?|[ivxlc]+[.):]|[a-z][.)]"
    r")\s+",
    re.IGNORECASE,
)


def normalise_title(title: str) -> str:
    """A section's own heading (the last of its path), numbering and case set aside:
    "Policy > 3. Retention periods" -> "retention periods"."""
    own = title.rsplit(" > ", 1)[-1]
    stripped = _NUMBERING.sub("", own, count=1)
    return " ".join((stripped or own).casefold().split())


def normalise_text(text: str) -> str:
    return " ".join(text.split())


def similarity(a: str, b: str) -> float:
    """difflib's ratio of the two texts' words (0-1)."""
    wa, wb = a.casefold().split(), b.casefold().split()
    if not wa and not wb:
        return 1.0
    matcher = difflib.SequenceMatcher(None, wa, wb, autojunk=False)
    if matcher.real_quick_ratio() < MIN_SECTION_SIMILARITY:
        return matcher.real_quick_ratio()
    if matcher.quick_ratio() < MIN_SECTION_SIMILARITY:
        return matcher.quick_ratio()
    return matcher.ratio()


@dataclass(frozen=True)
class Alignment:
    """Which old section is which new one: ``pairs`` (old index, new index) in old
    order; ``removed`` old and ``added`` new indices; ``moved``: pairs out of order."""

    pairs: tuple[tuple[int, int], ...]
    removed: tuple[int, ...]
    added: tuple[int, ...]
    moved: frozenset[tuple[int, int]]


def _in_order(pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The longest run of ``pairs`` (sorted by old index) whose new indices rise too."""
    best: list[list[tuple[int, int]]] = []
    empty: list[tuple[int, int]] = []
    for pair in pairs:
        run = max((r for r in best if r[-1][1] < pair[1]), key=len, default=empty)
        best.append([*run, pair])
    longest = max(best, key=len) if best else empty
    return set(longest)


def align_sections(old: Sequence[Section], new: Sequence[Section]) -> Alignment:
    """Align two versions' sections (texts in one placeholder scope): see the module
    docstring for the passes."""
    matched: dict[int, int] = {}
    free_new = set(range(len(new)))

    def free_old() -> list[int]:
        return [i for i in range(len(old)) if i not in matched]

    # 1. identical text, first free candidate in order
    by_text: dict[str, list[int]] = {}
    for j in range(len(new)):
        by_text.setdefault(normalise_text(new[j].text), []).append(j)
    for i in free_old():
        key = normalise_text(old[i].text)
        candidates = [j for j in by_text.get(key, []) if j in free_new]
        if key and candidates:
            same_title = [
                j
                for j in candidates
                if normalise_title(new[j].title) == normalise_title(old[i].title)
            ]
            j = (same_title or candidates)[0]
            matched[i] = j
            free_new.discard(j)
    # 2. the same normalised title, unique among the free sections on both sides
    old_titles: dict[str, list[int]] = {}
    for i in free_old():
        old_titles.setdefault(normalise_title(old[i].title), []).append(i)
    new_titles: dict[str, list[int]] = {}
    for j in sorted(free_new):
        new_titles.setdefault(normalise_title(new[j].title), []).append(j)
    for title, olds in old_titles.items():
        news = new_titles.get(title, [])
        if len(olds) == 1 and len(news) == 1:
            matched[olds[0]] = news[0]
            free_new.discard(news[0])
    # 3. similar text, most similar pairs first
    scored = sorted(
        (
            (similarity(old[i].text, new[j].text), i, j)
            for i in free_old()
            for j in sorted(free_new)
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    for score, i, j in scored:
        if score < MIN_SECTION_SIMILARITY:
            break
        if i in matched or j not in free_new:
            continue
        matched[i] = j
        free_new.discard(j)
    pairs = sorted(matched.items())
    moved = frozenset(set(pairs) - _in_order(pairs))
    return Alignment(tuple(pairs), tuple(free_old()), tuple(sorted(free_new)), moved)


def sentence_diff(old_text: str, new_text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(sentences removed, sentences added) between two versions of a section, in
    order, by difflib over their sentences (whitespace aside)."""
    a, b = split_sentences(old_text), split_sentences(new_text)
    matcher = difflib.SequenceMatcher(
        None, [normalise_text(s) for s in a], [normalise_text(s) for s in b], autojunk=False
    )
    removed: list[str] = []
    added: list[str] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("delete", "replace"):
            removed.extend(a[i1:i2])
        if op in ("insert", "replace"):
            added.extend(b[j1:j2])
    return tuple(removed), tuple(added)


# The prompt's own layout copied back ("New version:\n- ...", "What changed?").
_PROMPT_ECHO = re.compile(
    r"(?:^|\n)\s*-\s|\b(?:before|after|section “[^”]*”)[.:]|\(nothing\)",
    re.IGNORECASE,
)


def _values(sentences: Sequence[str]) -> set[str]:
    """The numbers and quantities of ``sentences`` (see :func:`specifics`)."""
    out: set[str] = set()
    for sentence in sentences:
        facts = specifics(sentence)
        out |= facts.numbers | facts.quantities
    return out


def check_change_summary(
    summary: str,
    cited: Sequence[str],
    removed: Sequence[str],
    added: Sequence[str],
    title: str = "",
) -> str:
    """Why ``summary`` of one change may not be shown ("" when it may).

    - It is one or two sentences and does not copy the prompt's layout.
    - Every specific of each sentence (numbers, quantities, placeholders, named terms:
      :func:`appliance.rag.verify.specifics`) occurs in the ``cited`` texts (the old
      and new sections, titles included), as for an answer's sentence.
    - Where the change replaced a number, the summary names the new one, and never
      an old one alone: "kept for 6 years" is in the cited old section, and wrong.
    - Every content word (stemmed; words that only say a change happened, such as
      "now", "instead", "increased", aside) occurs in the cited texts: a small model's
      own words ("... and shredded") are where its summaries go wrong.
    - At least :data:`MIN_SUMMARY_OVERLAP` of its content words are words of the
      sentences ``removed`` or ``added`` (or of the section's ``title``), so it
      describes the change, not the rest of the section."""
    if _PROMPT_ECHO.search(summary):
        return "copies the layout of the prompt"
    sentences = [CITATION.sub("", s).strip() for s in split_sentences(summary)]
    sentences = [s for s in sentences if s]
    if not sentences:
        return "the model wrote nothing"
    if len(sentences) > 2:
        return "longer than two sentences"
    passage = "\n".join(cited)
    for sentence in sentences:
        missing = specifics(sentence).missing_from(passage)
        if missing:
            shown = ", ".join(f"“{m}”" for m in missing[:3])
            return f"{shown} not in the cited sections"
    said_values = _values(sentences)
    old_only = _values(removed) - _values(added)
    new_only = _values(added) - _values(removed)
    if removed and added and new_only and not said_values & new_only:
        stale = sorted(said_values & old_only)
        if stale:
            return f"names the old version's “{stale[0]}” without the new value"
        return f"does not name the new value (“{sorted(new_only)[0]}”)"
    changed = [*removed, *added, title]
    language = language_of(" ".join([passage, *changed]))
    ignored = set(terms(_SUMMARY_WORDS, "en"))
    said = set(terms(" ".join(sentences), language)) - ignored
    unsaid = sorted(said - set(terms(passage, language)))
    if unsaid:
        return f"“{unsaid[0]}” is not in the cited sections"
    changed_terms = set(terms(" ".join(changed), language))
    if not said or len(said & changed_terms) / len(said) < MIN_SUMMARY_OVERLAP:
        return "does not describe the sentences that changed"
    return ""


# -- what a comparison returns ----------------------------------------------------------


@dataclass(frozen=True)
class SectionRef:
    """A section as a change cites it: its 0-based index, title and pages."""

    index: int
    title: str
    pages: tuple[int, ...]

    def label(self) -> str:
        """ "3. Retention, p. 2" (the heading itself, not its path)."""
        own = self.title.rsplit(" > ", 1)[-1] or "(before the first heading)"
        if not self.pages:
            return own
        word = "p." if len(self.pages) == 1 else "pp."
        return f"{own}, {word} {', '.join(str(p) for p in self.pages)}"

    def as_json(self) -> dict[str, object]:
        return {"index": self.index, "title": self.title, "pages": list(self.pages)}


@dataclass(frozen=True)
class SectionChange:
    """One section added, removed or changed.

    ``old``/``new``: the section cited in each version (None where it has none);
    ``removed``/``added``: the sentences removed from and added to it (all of a
    removed or added section's); ``summary``: the model's verified summary, or ""
    (then ``reason`` says why it is not shown and the sentences are the change);
    ``moved``: a changed section that also changed place."""

    kind: str  # "changed", "added" or "removed"
    old: SectionRef | None
    new: SectionRef | None
    removed: tuple[str, ...]
    added: tuple[str, ...]
    summary: str = ""
    reason: str = ""
    moved: bool = False

    @property
    def title(self) -> str:
        ref = self.new or self.old
        assert ref is not None
        return ref.title

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "old": self.old.as_json() if self.old else None,
            "new": self.new.as_json() if self.new else None,
            "sentences_removed": list(self.removed),
            "sentences_added": list(self.added),
            "summary": self.summary or None,
            "summary_verified": bool(self.summary),
            "summary_withheld_because": self.reason or None,
            "moved": self.moved,
        }


@dataclass
class Comparison:
    """The result of comparing ``old`` with ``new``: changes in the new version's
    order (removed sections where they stood), unchanged sections that only moved,
    and how many sections are unchanged in place."""

    old: DocumentInfo
    new: DocumentInfo
    changes: list[SectionChange]
    moved: list[tuple[SectionRef, SectionRef]]
    unchanged: int
    model: str
    revealed: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Sections per outcome (what the audit record keeps; no text)."""
        kinds = [c.kind for c in self.changes]
        return {
            "changed": kinds.count("changed"),
            "added": kinds.count("added"),
            "removed": kinds.count("removed"),
            "moved": len(self.moved) + sum(1 for c in self.changes if c.moved),
            "unchanged": self.unchanged,
            "summaries_verified": sum(1 for c in self.changes if c.summary),
        }

    def as_json(self) -> dict[str, object]:
        return {
            "old": {"id": self.old.id, "source": self.old.source, "title": self.old.title},
            "new": {"id": self.new.id, "source": self.new.source, "title": self.new.title},
            "model": self.model,
            "counts": self.counts(),
            "changes": [c.as_json() for c in self.changes],
            "moved": [{"old": a.as_json(), "new": b.as_json()} for a, b in self.moved],
            "unchanged": self.unchanged,
        }


def _ref(section: Section) -> SectionRef:
    return SectionRef(section.index, section.title, section.pages)


def diff_sections(
    old: Sequence[Section], new: Sequence[Section]
) -> tuple[list[SectionChange], list[tuple[SectionRef, SectionRef]], int]:
    """(changes without summaries, unchanged moved sections, unchanged in place) of two
    versions whose texts are in one placeholder scope."""
    alignment = align_sections(old, new)
    changes: list[tuple[float, SectionChange]] = []
    moved: list[tuple[SectionRef, SectionRef]] = []
    unchanged = 0
    for i, j in alignment.pairs:
        a, b = old[i], new[j]
        was_moved = (i, j) in alignment.moved
        same_text = normalise_text(a.text) == normalise_text(b.text)
        if same_text and normalise_title(a.title) == normalise_title(b.title):
            if was_moved:
                moved.append((_ref(a), _ref(b)))
            else:
                unchanged += 1
            continue
        removed, added = sentence_diff(a.text, b.text)
        change = SectionChange("changed", _ref(a), _ref(b), removed, added, moved=was_moved)
        changes.append((j, change))
    for j in alignment.added:
        b = new[j]
        changes.append(
            (j, SectionChange("added", None, _ref(b), (), tuple(split_sentences(b.text))))
        )
    for i in alignment.removed:
        a = old[i]
        # A removed section stands after the new section its predecessor became.
        before = [nj for oi, nj in alignment.pairs if oi < i]
        place = (max(before) if before else -1) + 0.5
        changes.append(
            (place, SectionChange("removed", _ref(a), None, tuple(split_sentences(a.text)), ()))
        )
    changes.sort(key=lambda pair: pair[0])
    return [c for _, c in changes], moved, unchanged


def pick_document(reference: str, documents: Iterable[DocumentInfo]) -> DocumentInfo:
    """The document ``reference`` names among ``documents``: its id, its file name as
    stored, or that name without folders. Raises :class:`DocumentError` when none or
    several match."""
    from appliance.errors import DocumentError

    docs = list(documents)
    for doc in docs:
        if doc.id == reference:
            return doc
    found = [d for d in docs if d.source == reference]
    if not found:
        base = reference.replace("\\", "/").rsplit("/", 1)[-1]
        found = [d for d in docs if d.source.replace("\\", "/").rsplit("/", 1)[-1] == base]
    if len(found) == 1:
        return found[0]
    if not found:
        raise DocumentError(
            f"no document {reference!r} in this collection; list them with "
            "`appliance documents list`."
        )
    raise DocumentError(f"{len(found)} documents are named {reference!r}: give the document id.")


# -- the model's summaries ----------------------------------------------------------------

SUMMARY_SYSTEM = (
    "You say what changed between two versions of a section of a document, in one "
    "short sentence. Use only the words, numbers and names given."
)
# One worked example before the change itself: a 135M model answers in the example's
# shape (one sentence naming the new value) far more often than from instructions.
SUMMARY_EXAMPLE: list[tuple[str, str]] = [
    (
        "Section “Invoices”.\nBefore: Invoices are paid within 30 days.\n"
        "After: Invoices are paid within 14 days.",
        "Invoices are now paid within 14 days instead of 30 days.",
    ),
    (
        "Section “Visitors”.\nBefore: Visitors sign in at reception.\n"
        "After: Visitors sign in at reception. Visitors wear a badge at all times.",
        "Visitors must now also wear a badge at all times.",
    ),
]


def summary_prompt(change: SectionChange, limit: int) -> str:
    """The user message asking for ``change``'s summary (sentences cut to ``limit``
    characters in all), in the shape of :data:`SUMMARY_EXAMPLE`."""
    title = normalise_text((change.new or change.old or SectionRef(0, "", ())).title)
    title = title.rsplit(" > ", 1)[-1] or "the untitled opening"

    def joined(sentences: Sequence[str]) -> str:
        out: list[str] = []
        used = 0
        for s in sentences:
            if used + len(s) > limit // 2 and out:
                break
            out.append(s)
            used += len(s)
        return " ".join(out)

    if change.kind == "added":
        return f"Section “{title}” is new.\nAfter: {joined(change.added)}"
    if change.kind == "removed":
        return f"Section “{title}” was removed.\nBefore: {joined(change.removed)}"
    before = joined(change.removed) or "(nothing)"
    after = joined(change.added) or "(nothing)"
    return f"Section “{title}”.\nBefore: {before}\nAfter: {after}"


def summary_messages(change: SectionChange, limit: int) -> list[ChatMessage]:
    """The chat messages asking for ``change``'s summary: instructions, the worked
    example, the change."""
    messages: list[ChatMessage] = [{"role": "system", "content": SUMMARY_SYSTEM}]
    for asked, answered in SUMMARY_EXAMPLE:
        messages.append({"role": "user", "content": asked})
        messages.append({"role": "assistant", "content": answered})
    messages.append({"role": "user", "content": summary_prompt(change, limit)})
    return messages


class DocumentComparer:
    """Compares two stored documents for a caller, over the question path's parts
    (grants, policies' context and answer stages, the fair model queue, the audit
    trail). :meth:`Pipeline.compare_documents` is its door."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def _readable(self, document_id: str, who: Caller) -> str:
        """The collection of a document ``who`` may read; one without a grant is
        answered like a missing one (the refusal is recorded as ``access.denied``)."""
        from appliance.errors import DocumentNotFound, NotAllowed

        collection = self.pipeline.document_collection(document_id)
        try:
            self.pipeline.check_access(collection, who, "read")
        except NotAllowed:
            raise DocumentNotFound(f"no document {document_id!r}.") from None
        return collection

    def _info(self, document_id: str) -> DocumentInfo:
        from appliance.store.schema import Document

        with self.pipeline.db.session() as s:
            doc = s.get(Document, document_id)
            assert doc is not None
            return self.pipeline.vault.open_document(doc)

    def compare(
        self,
        old_id: str,
        new_id: str,
        who: Caller,
        *,
        reveal: bool = False,
        summarise: bool = True,
        cancel: threading.Event | None = None,
    ) -> Comparison:
        from appliance.errors import DocumentError, NotAllowed
        from appliance.privacy import reidentify
        from appliance.rag.privacy import ProtectedQuestion
        from appliance.rag.sections import document_sections

        if old_id == new_id:
            raise DocumentError("compare two different documents (the same id was given twice).")
        p = self.pipeline
        old_col, new_col = self._readable(old_id, who), self._readable(new_id, who)
        policies = [
            p.privacy.policy(p.library.get_collection(c).policy) for c in (old_col, new_col)
        ]
        if reveal:
            for policy in policies:
                if not policy.may_reidentify(who.role):
                    allowed = ", ".join(policy.reidentify_roles) or "no role"
                    raise NotAllowed(
                        f"role {who.role!r} may not re-identify personal data under the "
                        f"{policy.name!r} policy (allowed: {allowed})."
                    )
        scope = p.privacy.new_scope()
        mapping = p.privacy.registry.document_pseudonyms([old_id, new_id])
        versions: list[list[Section]] = []
        for doc_id, policy in zip((old_id, new_id), policies, strict=True):
            swap = p.privacy.context_swap(
                mapping.get(doc_id, {}), ProtectedQuestion("", scope, {}, policy)
            )
            versions.append(
                [
                    Section(s.index, swap(s.title), s.pages, swap(s.text))
                    for s in document_sections(p.db, p.vault, doc_id)
                ]
            )
        old, new = versions
        changes, moved, unchanged = diff_sections(old, new)
        choice = p.models.model_for(new_col)
        if summarise:
            filters = [
                p.privacy.answer_filter(ProtectedQuestion("", scope, {}, policy), False)
                for policy in policies
            ]
            write = self._writer(choice, who, cancel)
            summarised = []
            for n, change in enumerate(changes):
                if n >= MAX_SUMMARIES:
                    summarised.append(_withheld(change, "too many changes to summarise"))
                    continue
                cited = [
                    text
                    for ref, sections in ((change.old, old), (change.new, new))
                    if ref is not None
                    for text in (sections[ref.index].title, sections[ref.index].text)
                ]
                raw = write(change)
                for answer_stage in filters:
                    raw = " ".join(answer_stage(s) for s in split_sentences(raw))
                own_title = (change.new or change.old or SectionRef(0, "", ())).title
                reason = check_change_summary(
                    raw, cited, change.removed, change.added, own_title.rsplit(" > ", 1)[-1]
                )
                summary = (
                    ""
                    if reason
                    else " ".join(CITATION.sub("", s).strip() for s in split_sentences(raw))
                )
                summarised.append(replace(change, summary=summary, reason=reason))
            changes = summarised
        revealed: dict[str, int] = {}
        if reveal:

            def show(text: str) -> str:
                out, found = reidentify(text, scope)
                for kind, count in found.items():
                    revealed[kind] = revealed.get(kind, 0) + count
                return out

            changes = [_shown(c, show) for c in changes]
            moved = [(_shown_ref(a, show), _shown_ref(b, show)) for a, b in moved]
        result = Comparison(
            self._info(old_id), self._info(new_id), changes, moved, unchanged, choice.name, revealed
        )
        if revealed:
            p.audit.append(
                "pii.reidentified",
                **who.audit_fields(),
                collection=new_col,
                types=revealed,
                policy=policies[1].name,
                policy_digest=policies[1].digest,
            )
        p.audit.append(
            "document.compare",
            **who.audit_fields(),
            resource=f"collection:{new_col}/document:{new_id}",
            old_document=old_id,
            old_collection=old_col,
            new_document=new_id,
            sections={"old": len(old), "new": len(new)},
            counts=result.counts(),
            model=choice.name if summarise and changes else None,
            model_sha256=p.models.digest(choice) if summarise and changes else None,
            policies=[policy.name for policy in policies],
            policy_digests=[policy.digest for policy in policies],
        )
        return result

    def _writer(
        self, choice: ModelChoice, who: Caller, cancel: threading.Event | None
    ) -> Callable[[SectionChange], str]:
        """One change's summary as the model writes it (placeholders, unchecked)."""
        from appliance.llm import GenerationParams
        from appliance.rag.answer import STOP_SEQUENCES

        p = self.pipeline
        engine = p.models.engine_loaded(choice)
        params = GenerationParams(
            max_tokens=96,
            temperature=0.0,
            repeat_penalty=p.settings.repeat_penalty,
            stop=STOP_SEQUENCES,
        )
        budget = engine.n_ctx - params.max_tokens - 32

        def write(change: SectionChange) -> str:
            limit = 2400
            while True:
                messages = summary_messages(change, limit)
                if engine.prompt_tokens(messages) <= budget or limit < 200:
                    break
                limit //= 2
            deltas = p.models.scheduler_for(choice).stream_chat(
                messages, params, cancel, user=who.actor
            )
            return "".join(deltas).strip()

        return write


def _withheld(change: SectionChange, reason: str) -> SectionChange:
    return replace(change, summary="", reason=reason)


def _shown_ref(ref: SectionRef, show: Callable[[str], str]) -> SectionRef:
    return SectionRef(ref.index, show(ref.title), ref.pages)


def _shown(change: SectionChange, show: Callable[[str], str]) -> SectionChange:
    return replace(
        change,
        old=_shown_ref(change.old, show) if change.old else None,
        new=_shown_ref(change.new, show) if change.new else None,
        removed=tuple(show(s) for s in change.removed),
        added=tuple(show(s) for s in change.added),
        summary=show(change.summary),
    )
