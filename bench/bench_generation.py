"""Generation speed: the appliance's answer path vs bare llama-cpp-python, same GGUF.

Both sides get exactly the same chat messages (the ones the appliance builds
from its retrieved sources), the same sampling settings and thread count, and
run interleaved in one process so they share the machine's load. Decode speed
is timed from the first streamed token to the last; time to first token (TTFT)
is reported apart, with the appliance's own overhead (retrieval and prompt
building) measured separately.

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/bench_generation.py
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from benchkit import (
    CHAT_MODEL,
    REPO,
    make_appliance,
    median,
    model_dir,
    print_header,
    ratio,
    table,
    timed,
)

if TYPE_CHECKING:
    from appliance.llm import GenerationParams
    from appliance.service import Appliance

QUESTION = "How long does the bank keep customer account records after the relationship ends?"
FALLBACK_QUESTION = "How long are visitor badge logs kept at the Harbour Street office?"
FALLBACK_TEXT = """HARBOUR STREET OFFICE RULES

1. Visitors
Visitor badge logs are kept for 18 months and then deleted by the facilities team.
Every visitor signs in at reception and wears a badge at all times.

2. Deliveries
Parcels are held at reception for 10 working days before they are returned.
"""


@dataclass
class Run:
    """One streamed generation: token count and timestamps relative to the request."""

    tokens: int
    ttft: float
    decode_s: float
    text: str
    after_s: float = 0.0  # last token to end of stream: work done after generation

    @property
    def total_s(self) -> float:
        return self.ttft + self.decode_s + self.after_s

    @property
    def tok_per_s(self) -> float:
        # Tokens after the first, over the time between first and last token.
        return (self.tokens - 1) / self.decode_s if self.tokens > 1 and self.decode_s > 0 else 0.0


def _time_stream(start: float, deltas: Iterable[str]) -> Run:
    """Consume a stream of text deltas (about one token each), timing it."""
    first = last = 0.0
    parts: list[str] = []
    for delta in deltas:
        now = time.perf_counter()
        if not parts:
            first = now
        last = now
        parts.append(delta)
    end = time.perf_counter()
    if not parts:
        return Run(0, float("nan"), 0.0, "")
    return Run(len(parts), first - start, last - first, "".join(parts), end - last)


def _corpus(tmp: Path) -> tuple[list[Path], str]:
    """The repository's samples, or a small generated text where there are none."""
    samples = REPO / "samples"
    docs = [
        p
        for p in sorted(samples.glob("*"))
        if p.suffix.lower() in {".pdf", ".docx", ".md", ".txt", ".html"}
    ]
    if docs:
        return docs, QUESTION
    path = tmp / "office-rules.txt"
    path.write_text(FALLBACK_TEXT, encoding="utf-8")
    return [path], FALLBACK_QUESTION


class Sides:
    """The two generation paths, set up once, each runnable on demand."""

    def __init__(
        self, app: Appliance, question: str, params: GenerationParams, n_threads: int, n_ctx: int
    ) -> None:
        from llama_cpp import Llama

        from appliance.rag.answer import build_messages

        self.app = app
        self.question = question
        self.params = params
        self.hits = app.retrieve(question)
        if not self.hits:
            raise SystemExit(f"retrieval found nothing for {question!r}; cannot benchmark answers.")
        self.messages = build_messages(question, self.hits)
        self.bare = Llama(
            model_path=str(model_dir() / CHAT_MODEL),
            n_ctx=n_ctx,
            n_threads=n_threads,
            verbose=False,
        )

    def appliance(self) -> Run:
        start = time.perf_counter()
        stream = self.app.ask(self.question, params=self.params)
        run = _time_stream(start, stream)
        from appliance.rag.answer import build_messages

        if build_messages(self.question, stream.hits) != self.messages:
            raise SystemExit("the appliance built other messages than the bare side got.")
        return run

    def bare_run(self) -> Run:
        p = self.params
        # The appliance resets the KV cache for a seeded request; do the same so
        # neither side reuses the previous prompt and TTFT compares like with like.
        self.bare.reset()
        start = time.perf_counter()
        chunks = self.bare.create_chat_completion(
            messages=list(self.messages),
            stream=True,
            max_tokens=p.max_tokens,
            temperature=p.temperature,
            top_p=p.top_p,
            seed=p.seed,
            stop=list(p.stop) or None,
        )
        deltas = (c["choices"][0].get("delta", {}).get("content") for c in chunks)
        return _time_stream(start, (d for d in deltas if d))

    def prompt_tokens(self) -> int:
        """Tokens of the chat-formatted prompt, as the model sees it."""
        from appliance.llm.engine import LlamaEngine

        engine: LlamaEngine = self.app.engine_loaded()
        return sum(engine.count_tokens(m["content"]) + 4 for m in self.messages)

    def overheads(self) -> tuple[float, float]:
        """Seconds spent in retrieval, and in prompt building with its token counting."""
        from appliance.rag.answer import build_messages

        engine = self.app.engine_loaded()
        with timed() as t_retrieve:
            hits = self.app.retrieve(self.question)
        with timed() as t_prompt:
            messages = build_messages(self.question, hits)
            sum(engine.count_tokens(m["content"]) for m in messages)
        return t_retrieve[0], t_prompt[0]


def measure(sides: Sides, reps: int) -> tuple[list[Run], list[Run], list[tuple[float, float]]]:
    """Warm both up, then alternate (bare, appliance), (appliance, bare), ..."""
    sides.bare_run()
    sides.appliance()
    bare: list[Run] = []
    appl: list[Run] = []
    over: list[tuple[float, float]] = []
    for i in range(reps):
        if i % 2 == 0:
            bare.append(sides.bare_run())
            appl.append(sides.appliance())
        else:
            appl.append(sides.appliance())
            bare.append(sides.bare_run())
        over.append(sides.overheads())
    return bare, appl, over


def _row(name: str, runs: list[Run]) -> list[object]:
    rates = [r.tok_per_s for r in runs]
    return [
        name,
        median([r.tokens for r in runs]),
        median(rates),
        min(rates),
        max(rates),
        median([r.ttft for r in runs]) * 1000,
        median([r.after_s for r in runs]) * 1000,
        median([r.total_s for r in runs]),
    ]


def report(sides: Sides, bare: list[Run], appl: list[Run], over: list[tuple[float, float]]) -> None:
    headers = ["path", "tokens", "tok/s (median)", "tok/s min", "tok/s max", "TTFT ms"]
    headers += ["after last token ms", "total s"]
    print(table(headers, [_row("bare llama-cpp-python", bare), _row("appliance ask()", appl)]))
    print("(medians; 'after last token' is work the stream does once generation has ended)")
    pairs = list(zip(appl, bare, strict=True))
    tps = ratio(median([r.tok_per_s for r in appl]), median([r.tok_per_s for r in bare]))
    paired = median([ratio(a.tok_per_s, b.tok_per_s) for a, b in pairs])
    same = all(a.text == b.text for a, b in pairs)
    print(f"\ndecode tokens/s ratio appliance/bare (medians): {tps:.3f}  (target >= 0.95)")
    print(f"decode tokens/s ratio appliance/bare (median of per-pair ratios): {paired:.3f}")
    print(f"same text on both sides in every pair: {'yes' if same else 'NO'}")
    ttft_gap = median([a.ttft - b.ttft for a, b in pairs])
    total = ratio(median([b.total_s for b in bare]), median([a.total_s for a in appl]))
    print(f"end-to-end speed ratio appliance/bare (bare total s / appliance total s): {total:.3f}")
    print(f"TTFT appliance - bare (median of pairs): {ttft_gap * 1000:.1f} ms")
    print(f"  retrieval alone (timed apart, median): {median([o[0] for o in over]) * 1000:.1f} ms")
    print(
        "  prompt building + token counting (timed apart, median): "
        f"{median([o[1] for o in over]) * 1000:.1f} ms"
    )
    n_prompt = sides.prompt_tokens()
    bare_ttft = median([b.ttft for b in bare])
    print(
        f"prompt ~{n_prompt} tokens: bare prompt processing ~{n_prompt / bare_ttft:.0f} tok/s "
        f"(TTFT is dominated by it)"
    )


def set_omp_policy(*, spin: bool) -> str:
    """Both sides run llama.cpp's OpenMP threads; make them sleep, not spin, when idle.

    Must run before llama_cpp is imported. With the default (spinning) policy
    and n_threads = cores, any competing process slows decoding 10x or more
    (see bench_threads.py), which would make this benchmark measure the
    neighbours rather than the appliance. An explicit OMP_WAIT_POLICY wins.
    """
    if not spin:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return os.environ.get("OMP_WAIT_POLICY", "default (spinning)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=8, help="runs per side (after a warm-up)")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=None, help="default: the appliance's")
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument(
        "--omp-spin",
        action="store_true",
        help="keep OpenMP's default spinning wait (collapses under contention)",
    )
    args = parser.parse_args()
    policy = set_omp_policy(spin=args.omp_spin)

    from appliance.llm import GenerationParams
    from appliance.llm.engine import default_threads

    threads = args.threads or default_threads()
    print_header("Generation: appliance answer path vs bare llama-cpp-python")
    params = GenerationParams(max_tokens=args.max_tokens, temperature=0.0, seed=1234)
    with tempfile.TemporaryDirectory(prefix="bench-gen-") as tmp:
        docs, question = _corpus(Path(tmp))
        app = make_appliance(Path(tmp) / "data", n_threads=threads, n_ctx=args.n_ctx)
        try:
            app.ingest(docs)
            sides = Sides(app, question, params, threads, args.n_ctx)
            print(
                f"model {CHAT_MODEL}, n_ctx {args.n_ctx}, n_threads {threads}, "
                f"max_tokens {params.max_tokens}, temperature {params.temperature}, "
                f"seed {params.seed}, top_p {params.top_p}; OMP_WAIT_POLICY {policy}; "
                f"{args.reps} runs per side, interleaved, order alternating per pair"
            )
            print(
                f"question: {question!r}; {len(sides.hits)} sources, prompt "
                f"{sum(len(m['content']) for m in sides.messages)} chars\n"
            )
            report(sides, *measure(sides, args.reps))
        finally:
            app.close()


if __name__ == "__main__":
    main()
