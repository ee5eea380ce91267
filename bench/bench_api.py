"""The OpenAI-compatible API under load.

1. One stream: the official ``openai`` client streaming a chat completion from the
   appliance (HTTP, API key, PII stages, fair queue, audit) vs bare
   llama-cpp-python streaming the same messages from the same GGUF in the same
   process, same run, greedy and seeded so both generate the same tokens.
   Prints tokens/s over the whole request and time to first text, with ratios.
2. Many users: N concurrent streaming clients (default 16) for a few minutes;
   errors, aggregate tokens/s, p50/p95 time to first text and latency, and
   fairness between clients (Jain's index over tokens received; 1.0 = equal).

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/bench_api.py [--clients 16] [--seconds 180]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import openai
from benchkit import (
    CHAT_MODEL,
    interleave,
    median,
    model_dir,
    print_footer,
    print_header,
    ratio,
    table,
)

from appliance.accounts import Accounts
from appliance.caller import Caller
from appliance.config import load_settings
from appliance.crypto import KeySource, create_key_file
from appliance.llm.engine import default_threads
from appliance.service import Appliance

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant. Answer in plain prose."},
    {
        "role": "user",
        "content": "Explain in a few sentences why banks keep records of transactions.",
    },
]
TOPICS = ["rivers", "libraries", "bridges", "gardens", "trains", "bees", "clocks", "maps"]


def _serve(data: Path, key_file: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`appliance serve` in its own process, as in production (the client, and bare
    llama-cpp-python, stay in this one)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "APPLIANCE_KEY_FILE": str(key_file),
        "APPLIANCE_MODEL_DIR": str(model_dir()),
        "APPLIANCE_QUEUE_MAX": "256",
        # Against bare llama-cpp-python: the in-process engine (bench_serving.py
        # measures the llama-server backends).
        "APPLIANCE_INFERENCE_BACKEND": "in-process",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "appliance.cli",
            "--data-dir",
            str(data),
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            sys.exit("the server did not start")
        time.sleep(0.2)
    return proc, f"http://127.0.0.1:{port}/v1"


def jain(values: list[float]) -> float:
    return sum(values) ** 2 / (len(values) * sum(v * v for v in values)) if any(values) else 0.0


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=180)
    args = parser.parse_args()
    print_header("OpenAI-compatible API: one stream vs bare llama-cpp-python; many clients")
    from llama_cpp import Llama

    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        key_file = create_key_file(Path(tmp) / "keys" / "kek.key")
        data = Path(tmp) / "data"
        settings = load_settings(data, model_dir=model_dir(), key_file=key_file)
        app = Appliance(settings, key_source=KeySource.key_file(key_file)).open()
        accounts = Accounts(app.db, app.audit, app.settings)
        who = Caller.local()
        keys = []
        for i in range(args.clients):
            accounts.create_user(
                f"user{i:02d}", "staff", who, password=f"quiet-harbour-lantern-{i:02d}"
            )
            keys.append(accounts.create_api_key(f"user{i:02d}", "bench", who))
        app.close()
        server, base = _serve(data, key_file)
        model_id = CHAT_MODEL.removesuffix(".gguf")
        bare = Llama(
            model_path=str(model_dir() / CHAT_MODEL),
            n_ctx=settings.n_ctx,
            n_threads=default_threads(),
            n_threads_batch=default_threads(),
            verbose=False,
        )

        class _Counter:
            @staticmethod
            def count_tokens(text: str) -> int:
                return len(bare.tokenize(text.encode(), add_bos=False, special=True))

        engine = _Counter()
        client = openai.OpenAI(base_url=base, api_key=keys[0], max_retries=0, timeout=600)
        first: dict[str, list[float]] = {"API (openai client)": [], "bare llama-cpp-python": []}
        counts: dict[str, list[int]] = {k: [] for k in first}
        # Tokens/s after the first text arrived, over the tokens after it: the streaming
        # rate, apart from the time to first text (reported on its own).
        steady: dict[str, list[float]] = {k: [] for k in first}

        def record(side: str, start: float, stamps: list[tuple[float, str]]) -> float:
            total = time.perf_counter() - start
            text = "".join(t for _, t in stamps).strip()
            first[side].append(stamps[0][0] - start if stamps else total)
            counts[side].append(engine.count_tokens(text))
            if len(stamps) > 1:
                rest = engine.count_tokens("".join(t for _, t in stamps[1:]))
                steady[side].append(rest / max(stamps[-1][0] - stamps[0][0], 1e-9))
            return total

        def through_api() -> float:
            start = time.perf_counter()
            stamps: list[tuple[float, str]] = []
            for chunk in client.chat.completions.create(
                model=model_id,
                messages=MESSAGES,
                max_tokens=args.max_tokens,
                temperature=0,
                seed=7,
                stream=True,
            ):
                text = chunk.choices[0].delta.content if chunk.choices else None
                if text:
                    stamps.append((time.perf_counter(), text))
            return record("API (openai client)", start, stamps)

        def direct() -> float:
            start = time.perf_counter()
            bare.reset()
            stamps: list[tuple[float, str]] = []
            for chunk in bare.create_chat_completion(
                messages=MESSAGES, max_tokens=args.max_tokens, temperature=0, seed=7, stream=True
            ):
                text = chunk["choices"][0]["delta"].get("content")
                if text:
                    stamps.append((time.perf_counter(), text))
            return record("bare llama-cpp-python", start, stamps)

        through_api()
        direct()
        for k in first:
            first[k].clear()
            counts[k].clear()
            steady[k].clear()
        totals = interleave(
            {"API (openai client)": through_api, "bare llama-cpp-python": direct}, args.rounds
        )
        rows = []
        for side in totals:
            t, f, n = median(totals[side]), median(first[side]), median(counts[side])
            rows.append([side, f, t, n, median(steady[side]), n / t])
        print("### One stream\n")
        print(
            table(
                [
                    "path",
                    "first text s",
                    "total s",
                    "tokens",
                    "tokens/s streaming",
                    "tokens/s whole request",
                ],
                rows,
            )
        )
        print(
            f"\nAPI / bare: streaming tokens/s {ratio(rows[0][4], rows[1][4]):.3f} "
            "(target >= 0.95), "
            f"whole request {ratio(rows[0][5], rows[1][5]):.3f}; "
            f"time to first text +{(rows[0][1] - rows[1][1]) * 1000:.0f} ms"
        )

        # -- many clients ---------------------------------------------------------
        stop_at = time.monotonic() + args.seconds
        results: list[dict] = []
        errors: list[str] = []
        per_client = [0] * args.clients
        lock = threading.Lock()

        def user_loop(i: int) -> None:
            c = openai.OpenAI(base_url=base, api_key=keys[i], max_retries=0, timeout=600)
            n = 0
            while time.monotonic() < stop_at:
                topic = TOPICS[(i + n) % len(TOPICS)]
                n += 1
                start = time.perf_counter()
                got, parts = None, []
                try:
                    for chunk in c.chat.completions.create(
                        model=model_id,
                        messages=[
                            {"role": "user", "content": f"Write two sentences about {topic}."}
                        ],
                        max_tokens=64,
                        temperature=0.7,
                        stream=True,
                    ):
                        text = chunk.choices[0].delta.content if chunk.choices else None
                        if text:
                            got = got or time.perf_counter() - start
                            parts.append(text)
                except Exception as exc:  # counted, not fatal: the figure to report
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                end = time.perf_counter()
                tokens = engine.count_tokens("".join(parts).strip())
                with lock:
                    results.append(
                        {
                            "client": i,
                            "ttft": got if got else end - start,
                            "latency": end - start,
                            "tokens": tokens,
                        }
                    )
                    per_client[i] += tokens

        began = time.perf_counter()
        workers = [threading.Thread(target=user_loop, args=(i,)) for i in range(args.clients)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        elapsed = time.perf_counter() - began
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    ttfts = [r["ttft"] for r in results]
    latencies = [r["latency"] for r in results]
    total_tokens = sum(r["tokens"] for r in results)
    print(f"\n### {args.clients} concurrent streaming clients for {args.seconds} s\n")
    print(
        table(
            [
                "requests",
                "errors",
                "tokens",
                "aggregate tokens/s",
                "TTFT p50 s",
                "TTFT p95 s",
                "latency p50 s",
                "latency p95 s",
                "fairness (Jain)",
            ],
            [
                [
                    len(results),
                    len(errors),
                    total_tokens,
                    total_tokens / elapsed,
                    statistics.median(ttfts) if ttfts else float("nan"),
                    pct(ttfts, 0.95),
                    statistics.median(latencies) if latencies else float("nan"),
                    pct(latencies, 0.95),
                    jain([float(x) for x in per_client]),
                ]
            ],
        )
    )
    print(f"\ntokens per client: min {min(per_client)}, max {max(per_client)}")
    if errors:
        print("errors:", *errors[:5], sep="\n  ")
    print_footer()


if __name__ == "__main__":
    main()
