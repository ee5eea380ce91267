"""Serving many users at once: llama.cpp's llama-server directly, the appliance on the
llama-server backend, and the appliance in-process (issue 20).

For 1, 4 and 16 concurrent streaming clients (``--clients``), each sending requests
back to back for ``--seconds``: the same prompt from every client, or a fresh prompt
per request (as questions from documents are). Greedy, ``--max-tokens`` per answer.
Prints aggregate tokens/s (tokens received by all clients / wall time; tokens counted
by the node's tokenizer), time to first text p50/p95, errors, and the server's
resident memory. Every side runs on the same GGUF and the same llama.cpp (the server
is built from the llama-cpp-python sdist's own tree, scripts/build-llama-server).

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/bench_serving.py \\
        [--clients 1,4,16] [--seconds 60] [--slots 16] [--sides direct,backend,in-process]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
from benchkit import CHAT_MODEL, model_dir, print_footer, print_header, table

from appliance.accounts import Accounts
from appliance.caller import Caller
from appliance.config import load_settings
from appliance.crypto import KeySource, create_key_file
from appliance.llm.engine import default_threads
from appliance.llm.llama_server import _free_port, find_llama_server
from appliance.service import Appliance

# About 330 tokens of prompt, as in issue 20's run.
CONTEXT = (
    "The records office keeps every transaction of the branch for ten years. Staff file "
    "receipts by date and account, scan paper forms within two working days, and send "
    "originals to the archive at the end of each quarter. Auditors may ask for any record "
    "at short notice, so the index must be complete and the scans legible. "
) * 5
TOPICS = [
    "rivers", "libraries", "bridges", "gardens", "trains", "bees", "clocks", "maps",
    "tides", "forests", "harbours", "mountains", "markets", "lighthouses", "bakeries", "owls",
]  # fmt: skip


def messages(fresh: int | None) -> list[dict[str, str]]:
    """The same request, or (``fresh`` = a request number) one no cache has seen."""
    lead = "" if fresh is None else f"Request {fresh} about {TOPICS[fresh % len(TOPICS)]}. "
    return [
        {"role": "system", "content": "You are a helpful assistant. Answer in plain prose."},
        {
            "role": "user",
            "content": lead + CONTEXT + "Explain in a few sentences why the office does this.",
        },
    ]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def start_node(binary: Path, slots: int, ctx: int, log: Path) -> tuple[subprocess.Popen, str, str]:
    port, key = _free_port(), secrets.token_urlsafe(16)
    threads = str(default_threads())
    proc = subprocess.Popen(
        [
            str(binary),
            *("--model", str(model_dir() / CHAT_MODEL), "--host", "127.0.0.1"),
            *("--port", str(port), "--api-key", key, "--parallel", str(slots)),
            *("--ctx-size", str(slots * ctx), "--threads", threads, "--threads-batch", threads),
            "--no-webui",
        ],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for(f"{url}/health", proc)
    return proc, url, key


def wait_for(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{url}: the server exited")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    sys.exit(f"{url}: not ready")


def serve_appliance(
    data: Path, key_file: Path, env: dict[str, str], log: Path
) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    full = {
        **os.environ,
        "APPLIANCE_KEY_FILE": str(key_file),
        "APPLIANCE_MODEL_DIR": str(model_dir()),
        "APPLIANCE_QUEUE_MAX": "256",
        **env,
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            *("-m", "appliance.cli", "--data-dir", str(data), "serve"),
            "--port",
            str(port),
        ],
        env=full,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_for(f"http://127.0.0.1:{port}/healthz", proc)
    return proc, f"http://127.0.0.1:{port}"


def run_clients(
    base: str, keys: list[str], n: int, seconds: float, max_tokens: int, fresh: bool,
    count: Callable[[str], int],
) -> dict[str, float]:  # fmt: skip
    """``n`` clients streaming back to back for ``seconds`` (each at least once)."""
    ttft: list[float] = []
    tokens = [0] * n
    errors = [0]
    numbers = iter(range(10**9))
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(i: int) -> None:
        with httpx.Client(timeout=600, trust_env=False) as http:
            once = True  # every client sends at least one request
            while once or time.monotonic() < stop_at:
                once = False
                with lock:
                    number = next(numbers)
                body = {
                    "model": CHAT_MODEL.removesuffix(".gguf"),
                    "messages": messages(number if fresh else None),
                    "max_tokens": max_tokens,
                    "temperature": 0,
                    "stream": True,
                }
                start = time.perf_counter()
                first = None
                text = []
                try:
                    with http.stream(
                        "POST",
                        f"{base}/v1/chat/completions",
                        json=body,
                        headers={"Authorization": f"Bearer {keys[i % len(keys)]}"},
                    ) as r:
                        if r.status_code != 200:
                            raise RuntimeError(f"HTTP {r.status_code}")
                        for line in r.iter_lines():
                            if not line.startswith("data: ") or line == "data: [DONE]":
                                continue
                            chunk = json.loads(line[6:])
                            for choice in chunk.get("choices") or []:
                                delta = (choice.get("delta") or {}).get("content")
                                if delta:
                                    first = first or time.perf_counter()
                                    text.append(delta)
                except Exception:
                    with lock:
                        errors[0] += 1
                    continue
                if first is not None:
                    with lock:
                        ttft.append(first - start)
                        tokens[i] += count("".join(text))

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {
        "tok/s": sum(tokens) / wall,
        "ttft p50": pct(ttft, 0.5),
        "ttft p95": pct(ttft, 0.95),
        "answers": len(ttft),
        "errors": errors[0],
    }


def rss_mib(proc: subprocess.Popen) -> float:
    p = psutil.Process(proc.pid)
    return sum(c.memory_info().rss for c in [p, *p.children(recursive=True)]) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,4,16")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--slots", type=int, default=16)
    parser.add_argument("--ctx", type=int, default=1024, help="context per slot")
    parser.add_argument("--sides", default="direct,backend,in-process")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    sides = args.sides.split(",")
    binary = find_llama_server(None)
    if binary is None:
        sys.exit("llama-server is not built: run scripts/build-llama-server")
    print_header(f"Serving: {args.slots} slots, {args.max_tokens} tokens, {args.seconds:.0f} s")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
        key_file = create_key_file(Path(tmp) / "keys" / "kek.key")
        data = Path(tmp) / "data"
        settings = load_settings(data, model_dir=model_dir(), key_file=key_file)
        app = Appliance(settings, key_source=KeySource.key_file(key_file)).open()
        accounts = Accounts(app.db, app.audit, app.settings)
        keys = []
        for i in range(max(clients)):
            accounts.create_user(
                f"user{i:02d}", "staff", Caller.local(), password=f"quiet-harbour-lantern-{i:02d}"
            )
            keys.append(accounts.create_api_key(f"user{i:02d}", "bench", Caller.local()))
        app.close()
        # One tokenizer counts every side's text: the node's own.
        counter, curl, ckey = start_node(binary, 1, args.ctx, Path(tmp) / "counter.log")

        def count(text: str) -> int:
            r = httpx.post(
                f"{curl}/tokenize",
                json={"content": text},
                headers={"Authorization": f"Bearer {ckey}"},
            )
            return len(r.json()["tokens"])

        backend_env = {
            "APPLIANCE_INFERENCE_BACKEND": "llama-server",
            "APPLIANCE_LLAMA_SERVER_BINARY": str(binary),
            "APPLIANCE_LLAMA_SERVER_SLOTS": str(args.slots),
            "APPLIANCE_N_CTX": str(args.ctx),
            "APPLIANCE_MAX_TOKENS": str(min(args.max_tokens, args.ctx - 256)),
        }
        try:
            for side in sides:
                if side == "direct":
                    proc, base, key = start_node(
                        binary, args.slots, args.ctx, Path(tmp) / "direct.log"
                    )
                    side_keys = [key]
                else:
                    env = backend_env if side == "backend" else {}
                    proc, base = serve_appliance(data, key_file, env, Path(tmp) / f"{side}.log")
                    side_keys = keys
                try:
                    for fresh in (False, True):
                        for n in clients:
                            # Warm-up: one request (loads the model, starts the child).
                            run_clients(base, side_keys, 1, 0.1, 8, fresh, count)
                            got = run_clients(
                                base, side_keys, n, args.seconds, args.max_tokens, fresh, count
                            )
                            rows.append(
                                [
                                    side,
                                    "fresh" if fresh else "same",
                                    n,
                                    f"{got['tok/s']:.1f}",
                                    f"{got['ttft p50']:.2f}",
                                    f"{got['ttft p95']:.2f}",
                                    got["answers"],
                                    got["errors"],
                                    f"{rss_mib(proc):.0f}",
                                ]
                            )
                            print(" | ".join(str(c) for c in rows[-1]), flush=True)
                finally:
                    proc.terminate()
                    proc.wait(30)
        finally:
            counter.terminate()
            counter.wait(30)
    print()
    headers = "side,prompt,clients,tokens/s,TTFT p50 s,TTFT p95 s,answers,errors,RSS MiB"
    print(table(headers.split(","), rows))
    print_footer()


if __name__ == "__main__":
    main()
