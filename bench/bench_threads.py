"""llama.cpp thread settings under CPU contention: why tokens/s collapses on a shared box.

llama-cpp-python's wheel runs llama.cpp's CPU threads through OpenMP, whose
idle threads spin. When another process competes for the cores, a spinning
thread burns the time slice its partner needs, and decoding can slow down by
an order of magnitude. This benchmark runs bare generations in fresh
processes (OpenMP reads its settings at start-up) for each configuration,
interleaved, with and without a synthetic competing process (a busy loop
started here and stopped by its pid).

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/bench_threads.py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from benchkit import CHAT_MODEL, median, model_dir, print_header, table

PROMPT = "Explain in a few sentences why regular backups matter for a small office. " * 6
CONFIGS: tuple[tuple[int, str], ...] = ((2, "default"), (2, "PASSIVE"), (1, "default"))


def worker(n_threads: int, max_tokens: int) -> None:
    """One timed generation; prints a JSON line (run in a child process)."""
    from llama_cpp import Llama

    llm = Llama(
        model_path=str(model_dir() / CHAT_MODEL), n_ctx=2048, n_threads=n_threads, verbose=False
    )
    messages = [{"role": "user", "content": PROMPT}]
    start = time.perf_counter()
    stamps = []
    for chunk in llm.create_chat_completion(
        messages=messages, stream=True, max_tokens=max_tokens, temperature=0.0, seed=1
    ):
        if chunk["choices"][0].get("delta", {}).get("content"):
            stamps.append(time.perf_counter())
    tps = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
    print(json.dumps({"tokens": len(stamps), "ttft": stamps[0] - start, "tps": tps}))


def run_child(n_threads: int, policy: str, max_tokens: int, timeout: float) -> dict[str, float]:
    env = dict(os.environ)
    env.pop("OMP_WAIT_POLICY", None)
    if policy != "default":
        env["OMP_WAIT_POLICY"] = policy
    cmd = [sys.executable, __file__, "--worker", str(n_threads), "--max-tokens", str(max_tokens)]
    try:
        out = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=timeout, check=True
        ).stdout
    except subprocess.TimeoutExpired:
        return {"tokens": 0, "ttft": float("nan"), "tps": 0.0, "timeout": 1.0}
    return json.loads(out.strip().splitlines()[-1])


def start_hog() -> subprocess.Popen[bytes]:
    """A competing CPU-bound process, like a test suite running beside the appliance."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def measure(rounds: int, max_tokens: int, timeout: float, hog: bool) -> list[list[object]]:
    results: dict[tuple[int, str], list[dict[str, float]]] = {c: [] for c in CONFIGS}
    proc = start_hog() if hog else None
    try:
        for r in range(rounds):
            order = CONFIGS[r % len(CONFIGS) :] + CONFIGS[: r % len(CONFIGS)]
            for threads, policy in order:
                results[(threads, policy)].append(run_child(threads, policy, max_tokens, timeout))
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
    label = "1 busy process" if hog else "none added"
    return [
        [
            label,
            f"{t}",
            policy,
            median([x["tps"] for x in runs]),
            median([x["ttft"] for x in runs]) * 1000,
            int(sum(x.get("timeout", 0) for x in runs)),
        ]
        for (t, policy), runs in results.items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per generation")
    parser.add_argument("--no-hog", action="store_true", help="skip the contended runs")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.max_tokens)
        return
    print_header("llama.cpp threads and OpenMP wait policy under contention")
    print(
        f"bare llama-cpp-python, {CHAT_MODEL}, max_tokens {args.max_tokens}, greedy; "
        f"{args.rounds} interleaved rounds; a run over {args.timeout:.0f} s counts as 0 tok/s\n"
    )
    rows = measure(args.rounds, args.max_tokens, args.timeout, hog=False)
    if not args.no_hog:
        rows += measure(args.rounds, args.max_tokens, args.timeout, hog=True)
    print(
        table(
            [
                "competing load",
                "n_threads",
                "OMP_WAIT_POLICY",
                "tok/s (median)",
                "TTFT ms (median)",
                "timeouts",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
