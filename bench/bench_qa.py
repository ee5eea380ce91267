"""Question answering on a document nobody on the team wrote: the appliance vs naive RAG.

The document is the GDPR (Regulation (EU) 2016/679, ``bench/qa/gdpr.md``); the
questions, their gold facts and gold passages were written blind by someone who
did not see the answer code, and split into a development set (20, the only one
used to tune) and a holdout frozen before any tuning (``bench/qa/SOURCE.md``).

Both sides use the same GGUF (the default SmolLM2-135M unless ``--model``), the
same embedder and the same chunks, interleaved per question:

- **appliance**: ``Appliance.ask`` (hybrid retrieval, loop guard, verification,
  extractive answer).
- **naive**: bare llama-cpp-python, dense top-5 (cosine over the same chunk
  vectors), a plain prompt ("Answer the question using the context..."), the
  appliance's old answer budget (384 tokens).

Reported per side: evidence@5 (a retrieved passage holds the gold fact and most
of the gold passage), correct (a gold form appears in what the user is shown:
for the appliance the answer and the quoted sentences, never unverified text),
degenerate (a loop or the prompt's layout echoed in what is shown), unsupported
claims (a number shown as verified, or in the naive answer, that no cited or
retrieved passage holds: checked by a plain digit match, independent of the
appliance's own checker), and time to first text shown (the quoted sentences
count: they are on screen before the model's first token).

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/bench_qa.py --split dev
    .venv/bin/python bench/bench_qa.py --split holdout --json bench/out/qa-holdout.json
    .venv/bin/python bench/bench_qa.py --split dev --tune-extract   # scorer weights, no LLM
    .venv/bin/python bench/bench_qa.py --split dev2 --why 5   # why each miss (dev splits only)

``--split dev2`` / ``--split holdout2`` read the second blind set (``questions2.jsonl``,
frozen 30 Nov 2026); each mixes answerable and unanswerable questions.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from benchkit import CHAT_MODEL, REPO, make_appliance, median, model_dir, print_header, table

QA = REPO / "bench" / "qa"
DOCUMENT = QA / "gdpr.md"
COLLECTION = "gdpr"
DOCUMENT_TITLE = "REGULATION (EU) 2016/679 OF THE EUROPEAN PARLIAMENT AND OF THE COUNCIL"
NAIVE_PROMPT = (
    "Answer the question using the context below.\n\nContext:\n{context}\n\n"
    "Question: {question}\nAnswer:"
)
_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
_CITE = re.compile(r"\[\d{1,3}\]")


SECOND_SET = ("dev2", "holdout2")  # bench/qa/questions2.jsonl, SOURCE.md "Second blind set"


def load_questions(split: str) -> list[dict[str, Any]]:
    """The question records of `split` (dicts with id, question, gold, passage, where, type).

    dev, holdout, unanswerable and all read ``questions.jsonl``; dev2 and holdout2 read
    ``questions2.jsonl``, whose splits each mix answerable and unanswerable questions
    (type "unanswerable", gold []). An unknown split gives an empty list.
    """
    name = "questions2.jsonl" if split in SECOND_SET else "questions.jsonl"
    rows = [json.loads(line) for line in (QA / name).read_text().splitlines() if line]
    return [r for r in rows if split == "all" or r["split"] == split]


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def holds_gold(text: str, gold: list[str]) -> bool:
    t = _norm(text)
    return any(_norm(g) in t for g in gold)


def evidence(passages: list[str], q: dict[str, Any]) -> bool:
    """A passage holds a gold form and at least half of the gold passage's words."""
    want = set(_WORD.findall(q["passage"].casefold()))
    for p in passages:
        have = set(_WORD.findall(p.casefold()))
        if holds_gold(p, q["gold"]) and want and len(want & have) / len(want) >= 0.5:
            return True
    return False


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def degenerate(text: str, question: str = "", labels: tuple[str, ...] = ()) -> str | None:
    """'loop' when a sentence repeats or words cycle; 'echo' when the prompt's own
    layout, the question or a source label shows; None otherwise."""
    seen: set[str] = set()
    for s in sentences(text):
        key = " ".join(_WORD.findall(_CITE.sub("", s).casefold()))
        if len(key.split()) < 3:  # list markers ("a.", "b.") repeat by design
            continue
        if key in seen:
            return "loop"
        seen.add(key)
    words = _WORD.findall(text.casefold())
    for period in range(1, 20):
        if len(words) >= 4 * period and all(
            words[-period:] == words[-(c + 1) * period : -c * period or None] for c in range(1, 4)
        ):
            return "loop"
    if re.search(r"\b(Question|Context|Sources)\s*:", text):
        return "echo"
    folded = _norm(text)
    if len(question) >= 12 and _norm(question).rstrip("?") in folded:
        return "echo"
    if any(len(label) >= 12 and _norm(label)[:40] in folded for label in labels):
        return "echo"
    return None


_WORDS = dict(
    zip(
        [
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
            "thirty",
            "forty",
            "fifty",
            "sixty",
            "seventy",
            "eighty",
            "ninety",
            "hundred",
        ],
        [*range(1, 21), 30, 40, 50, 60, 70, 80, 90, 100],
        strict=True,
    )
)


def _numbers(text: str) -> set[str]:
    """Digit strings and simple English number words, as digits (kept apart from the
    appliance's own parser so the check stays independent)."""
    found = {m.replace(",", "").replace(" ", "") for m in _DIGITS.findall(_CITE.sub(" ", text))}
    found |= {str(_WORDS[w]) for w in _WORD.findall(text.casefold()) if w in _WORDS}
    return found


def unsupported_numbers(sentence: str, passages: list[str]) -> list[str]:
    """Numbers in ``sentence`` (citation markers aside) found in no passage."""
    have: set[str] = set()
    for p in passages:
        have |= _numbers(p)
    return sorted(
        n.replace(",", "")
        for n in _DIGITS.findall(_CITE.sub(" ", sentence))
        if n.replace(",", "") not in have
    )


@dataclass
class Outcome:
    evidence: bool
    correct: bool
    degenerate: str | None
    claims: int  # sentences shown as answer that carry a number
    unsupported: int  # ...of which a number is in no cited/retrieved passage
    ttft: float
    total: float
    found: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def run_appliance(app, q: dict[str, Any]) -> Outcome:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    stream = app.ask(q["question"], COLLECTION)
    extract = getattr(stream, "extract", [])
    first = time.perf_counter() if extract else None
    for _ in stream:
        if first is None:
            first = time.perf_counter()
    total = time.perf_counter() - start
    answer = stream.result()
    hits = stream.hits
    # What a reader can check a sentence against: the cited passage and its label.
    by_n = {n: f"{h.section}\n{h.text}" for n, h in enumerate(hits, 1)}
    quoted = " ".join(getattr(x, "text", "") for x in extract)
    # The labels of the sources the answer rests on are on screen too ("Article 17").
    labels = " ".join(f"{c.title} {getattr(c, 'section', '')}" for c in answer.citations if c.cited)
    shown = f"{answer.text} {quoted} {labels}"
    checks = getattr(answer, "sentences", None)
    if checks is None:  # the code before verification existed: every sentence is shown
        verified = [
            (s, sorted({int(n) for n in re.findall(r"\[(\d+)\]", s)}))
            for s in sentences(answer.text)
        ]
    else:
        verified = [(c.text, list(c.sources)) for c in checks if c.supported]
    claims = unsupported = 0
    for text, sources in verified:
        if not _DIGITS.search(_CITE.sub(" ", text)):
            continue
        claims += 1
        cited = [by_n[n] for n in sources if n in by_n] or [h.text for h in hits]
        if unsupported_numbers(text, cited):
            unsupported += 1
    gen_text = " ".join(t for t, _ in verified)
    return Outcome(
        evidence=evidence([f"{h.section}\n{h.text}" for h in hits], q),
        correct=holds_gold(shown, q["gold"]) if q["gold"] else False,
        degenerate=degenerate(answer.text, q["question"], tuple(h.title for h in hits)),
        claims=claims,
        unsupported=unsupported,
        ttft=(first or time.perf_counter()) - start,
        total=total,
        found=answer.found,
        extra={
            "correct_generated": bool(q["gold"]) and holds_gold(gen_text, q["gold"]),
            "correct_extract": bool(q["gold"]) and holds_gold(quoted, q["gold"]),
            "answer_source": getattr(answer, "answer_source", "generated"),
            "stopped": getattr(answer, "stopped", None),
            "unverified": len(getattr(answer, "unverified", [])),
            "answer": answer.text,
            "quoted": quoted,
            "sentences": [
                {"text": c.text, "supported": c.supported, "reason": c.reason}
                for c in (checks or [])
            ],
            "off_topic": sum(c.reason == "does not answer the question" for c in (checks or [])),
        },
    )


class Naive:
    """Bare llama-cpp-python over dense top-5 of the same chunks and vectors."""

    def __init__(self, app, model_path: Path, n_ctx: int) -> None:  # type: ignore[no-untyped-def]
        from llama_cpp import Llama

        self.embedder = app.embedder_loaded()
        col = app.library.get_collection(COLLECTION)
        # The same chunks and the same stored vectors the appliance searches.
        ids, self.texts = app.retriever._ready_chunks(col.id)  # "title section text"
        stored = app.index.vectors(COLLECTION, ids)
        self.vectors = np.stack([stored[i] for i in ids])
        self.llm = Llama(str(model_path), n_ctx=n_ctx, verbose=False)

    def __call__(self, q: dict[str, Any]) -> Outcome:
        start = time.perf_counter()
        qv = self.embedder.embed([q["question"]])[0]
        top = np.argsort(-(self.vectors @ qv))[:5]
        passages = [self.texts[i] for i in top]
        prompt = NAIVE_PROMPT.format(context="\n\n".join(passages), question=q["question"])
        first = None
        parts = []
        for chunk in self.llm.create_chat_completion(
            [{"role": "user", "content": prompt}],
            max_tokens=384,
            temperature=0.2,
            seed=7,
            stream=True,
        ):
            delta = chunk["choices"][0].get("delta", {}).get("content")
            if delta:
                first = first or time.perf_counter()
                parts.append(delta)
        total = time.perf_counter() - start
        text = "".join(parts).strip()
        claims = unsupported = 0
        for s in sentences(text):
            if _DIGITS.search(s):
                claims += 1
                unsupported += bool(unsupported_numbers(s, passages))
        return Outcome(
            evidence=evidence(passages, q),
            correct=bool(q["gold"]) and holds_gold(text, q["gold"]),
            degenerate=degenerate(text, q["question"], (DOCUMENT_TITLE,)),
            claims=claims,
            unsupported=unsupported,
            ttft=(first or time.perf_counter()) - start,
            total=total,
            extra={"answer": text},
        )


def answerable(q: dict[str, Any]) -> bool:
    """Whether `q` has a gold fact to find: every question but those of type
    "unanswerable" (gold [], the whole "unanswerable" split and 7 of questions2.jsonl)."""
    return q.get("type") != "unanswerable" and bool(q["gold"])


def summarise(name: str, outcomes: list[Outcome], kinds: list[bool]) -> list[object]:
    """One table row: evidence@5 and correct over the answerable questions only ("-"
    when there are none; `kinds` holds `answerable(q)` per outcome, in order), the
    other columns over every question, as the "unanswerable" split was always scored."""
    n = len(outcomes)
    claims = sum(o.claims for o in outcomes)
    scored = [o for o, a in zip(outcomes, kinds, strict=True) if a]
    row: list[object] = [name, n, len(scored)]
    if scored:
        row += [
            sum(o.evidence for o in scored) / len(scored),
            sum(o.correct for o in scored) / len(scored),
        ]
    else:
        row += ["-", "-"]
    row += [
        sum(o.degenerate is not None for o in outcomes),
        f"{sum(o.unsupported for o in outcomes)}/{claims}",
        median([o.ttft for o in outcomes]),
        median([o.total for o in outcomes]),
    ]
    return row


def tune_extract(app, questions: list[dict[str, Any]]) -> None:  # type: ignore[no-untyped-def]
    """Gold fact in the quoted sentences, per scorer setting (no generation)."""
    from appliance.rag.extractive import WEIGHTS, extract_answer

    embed = app.embedder_loaded().embed
    questions = [q for q in questions if answerable(q)]  # gold in the quotes needs a gold
    hits_for = {q["id"]: app.retrieve(q["question"], COLLECTION) for q in questions}
    settings = {
        "default " + str(WEIGHTS): WEIGHTS,
        "dense only": (1.0, 0.0, 0.0, 0.0),
        "lexical only": (0.0, 1.0, 0.0, 0.0),
        "dense+lexical": (1.0, 0.6, 0.0, 0.0),
        "dense+cue": (1.0, 0.0, 0.35, 0.0),
        "dense+lexical+cue": (1.0, 0.6, 0.35, 0.0),
        "lexical+cue+rank": (0.0, 1.0, 0.35, 0.15),
        "dense+lex(1.0)+cue(0.5)+rank": (1.0, 1.0, 0.5, 0.15),
    }
    rows = []
    for name, weights in settings.items():
        for k in (1, 2, 3):
            got = 0
            for q in questions:
                quotes = extract_answer(
                    q["question"], hits_for[q["id"]], embed, weights=weights, max_sentences=k
                )
                got += holds_gold(" ".join(x.text for x in quotes), q["gold"])
            rows.append([name, k, got / len(questions)])
    evidence_rate = sum(evidence([h.text for h in hits_for[q["id"]]], q) for q in questions) / len(
        questions
    )
    print(f"evidence@5 (upper bound for any quote): {evidence_rate:.3f}\n")
    print(table(["scorer", "max sentences", "gold in quotes"], rows))


def retrieval_only(app, questions: list[dict[str, Any]], k: int) -> None:  # type: ignore[no-untyped-def]
    """evidence@k and the gold fact in the quoted sentences (the default extractive
    scorer), per question: everything but generation."""
    from appliance.rag.extractive import extract_answer

    embed = app.embedder_loaded().embed
    found = quoted = joined = 0
    context: list[int] = []  # characters of passage text given per question
    questions = [q for q in questions if answerable(q)]  # unanswerable: no gold to find
    for q in questions:
        hits = app.retrieve(q["question"], COLLECTION, k)
        context.append(sum(len(h.text) for h in hits))
        joined += sum(len(h.chunk_ids) > 1 for h in hits)
        ok = evidence([f"{h.section}\n{h.text}" for h in hits], q)
        quotes = " ".join(x.text for x in extract_answer(q["question"], hits, embed))
        in_quotes = bool(q["gold"]) and holds_gold(quotes, q["gold"])
        found += ok
        quoted += in_quotes
        print(
            f"{q['id']}: {'found' if ok else 'MISSED'} ({len(hits)} passages), gold "
            f"{'in' if in_quotes else 'not in'} the quotes",
            flush=True,
        )
    n = len(questions)
    print(f"\nevidence@{k}: {found / n:.3f} ({found} of {n}); gold in the quotes {quoted / n:.3f}")
    print(
        f"context: median {median(context):.0f} characters of passage text per question "
        f"(max {max(context, default=0)}); joined passages {joined}"
    )


DEV_SPLITS = ("dev", "dev2")  # --why prints per question: never a holdout


def miss_kind(found: bool, gold: list[dict[str, Any]], k: int) -> str:
    """Why a question's gold passage is not among the ``k`` retrieved. ``gold``: one
    dict per chunk that holds the evidence on its own, with ``fused`` (its rank from 0
    among the candidates after fusion, None when neither list read it deep enough);
    a gold chunk fused into the first ``k`` but not retrieved was held back by the
    relevance gate."""
    if found:
        return "found"
    if not gold:
        return "no single passage holds it (chunk boundaries)"
    ranked = [g for g in gold if g["fused"] is not None]
    if not ranked:
        return "not among the candidates"
    if any(g["fused"] < k for g in ranked):  # in the first k, yet not retrieved
        return "below the relevance gate"
    return f"ranked {k + 1} or lower after fusion"


def why_missed(app, questions: list[dict[str, Any]], k: int) -> None:  # type: ignore[no-untyped-def]
    """Per question: found or the kind of miss, and where the best chunk holding the
    gold evidence ranks in the dense list (exact cosine over every chunk), the lexical
    list and the fusion, as the retriever reads them (``appliance.rag.retrieval``)."""
    from appliance.rag import retrieval as r

    col = app.library.get_collection(COLLECTION)
    ret = app.retriever
    ids, texts = ret._ready_chunks(col.id)
    shown = dict(zip(ids, _as_shown(app, ids, col), strict=True))
    vectors = app.index.vectors(COLLECTION, ids)
    matrix = np.stack([vectors[i] for i in ids])
    embedder = ret.embedder_for(col)
    lexical = ret._lexical.get(col.name, col.revision or 0, lambda: (ids, texts))
    pool = max(r.CANDIDATES_PER_HIT * k, r.MIN_CANDIDATES)
    kinds: dict[str, int] = {}
    for q in questions:
        if not answerable(q):
            continue
        hits = app.retrieve(q["question"], COLLECTION, k)
        found = evidence([f"{h.section}\n{h.text}" for h in hits], q)
        sims = matrix @ embedder.embed_one(q["question"])
        dense = {ids[i]: n for n, i in enumerate(np.argsort(-sims))}
        lex = {
            h.chunk_id: (n, h.coverage)
            for n, h in enumerate(lexical.search(q["question"], len(ids)))
        }
        candidates = [c for c in ids if dense[c] < pool or (c in lex and lex[c][0] < pool)]
        fused = {
            c: (r.DENSE_WEIGHT / (r.RRF_K + 1 + dense[c]) if dense[c] < pool else 0.0)
            + (
                r.LEXICAL_WEIGHT / (r.RRF_K + 1 + lex[c][0])
                if c in lex and lex[c][0] < pool
                else 0.0
            )
            for c in candidates
        }
        order = {c: n for n, c in enumerate(sorted(candidates, key=lambda c: -fused[c]))}
        gold = []
        for n, c in enumerate(ids):
            if evidence([shown[c]], q):
                gold.append(
                    {
                        "chunk": c,
                        "dense": dense[c],
                        "cosine": float(sims[n]),
                        "lexical": lex[c][0] if c in lex else None,
                        "fused": order.get(c),
                    }
                )
        kind = miss_kind(found, gold, k)
        kinds[kind] = kinds.get(kind, 0) + 1
        best = min(
            gold, key=lambda g: g["fused"] if g["fused"] is not None else len(ids), default=None
        )
        where = (
            f"dense {best['dense'] + 1} (cos {best['cosine']:.2f}), lexical "
            f"{best['lexical'] + 1 if best['lexical'] is not None else '-'}, fused "
            f"{best['fused'] + 1 if best['fused'] is not None else '-'}"
            if best
            else "-"
        )
        print(f"{q['id']}: {kind}; best gold chunk of {len(gold)}: {where}", flush=True)
    print("\n" + "; ".join(f"{kind}: {n}" for kind, n in sorted(kinds.items())))


def _as_shown(app, ids: list[str], col) -> list[str]:  # type: ignore[no-untyped-def]
    """Each chunk's "section\ntext" as a hit shows it (what :func:`evidence` reads)."""
    rows = app.retriever._chunk_rows(ids, col.id)
    out = []
    for cid in ids:
        chunk, _doc = rows[cid]
        section, text = app.vault.open_chunk(chunk, col.id)
        out.append(f"{section}\n{text}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--split", default="dev", help="dev, holdout, unanswerable, all, dev2 or holdout2"
    )
    parser.add_argument("--limit", type=int, default=0, help="first N questions only")
    parser.add_argument("--model", default=CHAT_MODEL, help="GGUF file in the model folder")
    parser.add_argument("--no-naive", action="store_true", help="the appliance only")
    parser.add_argument("--tune-extract", action="store_true")
    parser.add_argument(
        "--retrieval", type=int, metavar="K", help="evidence@K only (no generation)"
    )
    parser.add_argument(
        "--why",
        type=int,
        metavar="K",
        help="per question, why the gold passage is not in the top K (dev and dev2 only)",
    )
    parser.add_argument("--json", type=Path, help="write every answer and verdict here")
    parser.add_argument("--set", action="append", default=[], help="setting=value override")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep the ingested document here between runs (with --key-file)",
    )
    parser.add_argument(
        "--no-first-hits",
        action="store_true",
        help="each list's first hit does not keep a slot (retrieval.FIRST_HITS off)",
    )
    parser.add_argument("--key-file", type=Path, help="key file for --data-dir (made if absent)")
    parser.add_argument(
        "--join-depth",
        type=int,
        metavar="N",
        help="neighbour join from the first N fused candidates (0: no join; default: the code's)",
    )
    parser.add_argument(
        "--join-chars", type=int, metavar="C", help="longest joined passage (default: the code's)"
    )
    args = parser.parse_args()
    from appliance.rag import retrieval

    if args.join_depth is not None:
        retrieval.JOIN_DEPTH = args.join_depth
    if args.no_first_hits:
        retrieval.FIRST_HITS = False
    if args.join_chars is not None:
        retrieval.JOIN_MAX_CHARS = args.join_chars
    print(f"neighbour join: depth {retrieval.JOIN_DEPTH}, at most {retrieval.JOIN_MAX_CHARS} chars")
    if args.why and args.split not in DEV_SPLITS:
        parser.error("--why prints per question: dev or dev2 only, never a holdout")
    questions = load_questions(args.split)
    if args.limit:
        questions = questions[: args.limit]
    overrides: dict[str, Any] = {"chat_model": args.model}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key] = type_of(value)
    print_header(f"Question answering on the GDPR ({args.split}, {len(questions)} questions)")
    if args.key_file is not None:
        import benchkit

        from appliance.crypto import KeySource, create_key_file

        if not args.key_file.exists():
            create_key_file(args.key_file)
        benchkit._KEY_SOURCE = KeySource.key_file(args.key_file)
    with tempfile.TemporaryDirectory(prefix="appliance-bench-qa-") as tmp:
        app = make_appliance(args.data_dir or Path(tmp) / "data", **overrides)
        if COLLECTION not in {c.name for c, _ in app.library.collections()}:
            started = time.perf_counter()
            [result] = app.ingest([DOCUMENT], COLLECTION)
            print(
                f"ingested {DOCUMENT.name}: {result.chunks} chunks in "
                f"{time.perf_counter() - started:.1f} s\n"
            )
        if args.tune_extract:
            tune_extract(app, questions)
            return
        if args.retrieval:
            retrieval_only(app, questions, args.retrieval)
            return
        if args.why:
            why_missed(app, questions, args.why)
            return
        sides: dict[str, Any] = {"appliance": lambda q: run_appliance(app, q)}
        if not args.no_naive:
            sides["naive"] = Naive(app, model_dir() / args.model, app.settings.n_ctx)
        outcomes: dict[str, list[Outcome]] = {name: [] for name in sides}
        for i, q in enumerate(questions):
            names = list(sides)
            for name in names[i % len(names) :] + names[: i % len(names)]:
                outcomes[name].append(sides[name](q))
            print(
                f"{q['id']}: "
                + ", ".join(
                    f"{name} {'correct' if out[-1].correct else 'wrong'}"
                    f"{' ' + out[-1].degenerate if out[-1].degenerate else ''}"
                    for name, out in outcomes.items()
                ),
                flush=True,
            )
            if args.json:  # one line per question as it is answered, for long runs
                with args.json.with_suffix(".partial.jsonl").open("a") as partial:
                    row = {n: vars(out[-1]) for n, out in outcomes.items()}
                    partial.write(json.dumps({"id": q["id"], **row}, ensure_ascii=False) + "\n")
        kinds = [answerable(q) for q in questions]
        print(
            table(
                [
                    "side",
                    "questions",
                    "answerable",
                    "evidence@5",
                    "correct",
                    "degenerate",
                    "unsupported claims",
                    "TTFT p50 s",
                    "total p50 s",
                ],
                [summarise(name, out, kinds) for name, out in outcomes.items()],
            )
        )
        mine = outcomes["appliance"]
        n = max(1, sum(kinds))  # gold can be found only in the answerable questions
        unanswered = [o for o, a in zip(mine, kinds, strict=True) if not a]
        print(
            f"\nappliance: gold in the generated (verified) sentences "
            f"{sum(o.extra['correct_generated'] for o in mine) / n:.3f}, in the quotes "
            f"{sum(o.extra['correct_extract'] for o in mine) / n:.3f} (of {sum(kinds)} "
            f"answerable); extractive answer used "
            f"{sum(o.extra['answer_source'] == 'extractive' for o in mine)}x; loops stopped "
            f"{sum(o.extra['stopped'] == 'loop' for o in mine)}; unverified sentences "
            f"{sum(o.extra['unverified'] for o in mine)} (of which not answering the question "
            f"{sum(o.extra['off_topic'] for o in mine)}); found nothing "
            f"{sum(not o.found for o in mine)} (of which unanswerable "
            f"{sum(not o.found for o in unanswered)} of {len(unanswered)})"
        )
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps(
                    {
                        name: [
                            {"id": q["id"], **{k: v for k, v in vars(o).items()}}
                            for q, o in zip(questions, out, strict=True)
                        ]
                        for name, out in outcomes.items()
                    },
                    indent=1,
                    ensure_ascii=False,
                )
            )
        app.close()


def type_of(value: str) -> Any:
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


if __name__ == "__main__":
    main()
