"""Serving many users at once: llama.cpp's llama-server directly, the appliance on the
llama-server backend, and the appliance in-process (issue 20).

For 1, 4, 16 (and 64) concurrent streaming clients (``--clients``), each sending
requests back to back for ``--seconds``: the same prompt from every client, or a fresh
prompt per request (as questions from documents are). Greedy, ``--max-tokens`` per
answer. Tokens/s "in window" counts only the text that arrived within the window, over
the window: the steady state, without the tail in which the last answers finish with
fewer clients at once (with answers of 10-15 s in a 30 s window, how many answers fit
decides that tail, and with it the whole-answer figure). The sides run side by side
and take turns at each load level (interleaved), so a change in the machine's load
falls on all of them alike. Prints aggregate tokens/s
shown (tokens received by all clients / wall time; counted afterwards by a node's
tokenizer) and generated (the servers' own usage counts, which include what the
appliance's answer stage held back), time to first text p50/p95, errors, the
server's resident memory and its CPU use over the window (% of all cores), and the
machine's 1-minute load. Every side runs on the same GGUF and the same llama.cpp (the
server is built from the llama-cpp-python sdist's own tree, scripts/build-llama-server).

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/bench_serving.py \\
        [--clients 1,4,16,64] [--seconds 60] [--slots 16] [--sides direct,backend,in-process]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
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


# What the clients ask of the context. Chosen (30 Nov 2026) because the default GGUF's
# greedy answer to it does not repeat itself within 128 tokens: the earlier request
# ("Explain in a few sentences why the office does this.") made it echo the context
# and loop, which the appliance's loop guard stops (about half the tokens) while a
# bare llama-server generates the loop to the end, so the sides did different work.
ASK = "List three risks the office avoids by following these rules, and say why each matters."
# Sampling every side applies alike: the appliance's defaults (settings.repeat_penalty,
# top_p 0.95), sent to llama-server as its own request fields.
SAMPLING = {"temperature": 0, "top_p": 0.95, "repeat_penalty": 1.1}


def messages(fresh: int | None) -> list[dict[str, str]]:
    """The same request, or (``fresh`` = a request number) one no cache has seen."""
    lead = "" if fresh is None else f"Request {fresh} about {TOPICS[fresh % len(TOPICS)]}. "
    return [
        {"role": "system", "content": "You are a helpful assistant. Answer in plain prose."},
        {
            "role": "user",
            "content": lead + CONTEXT + ASK,
        },
    ]


# One numbering for the whole run: a "fresh" prompt is never sent twice to any server
# (its slots keep their last prompts cached, so a repeat would not be fresh).
_REQUEST_NUMBERS = itertools.count()


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


def make_data(data: Path, key_file: Path, clients: int) -> list[str]:
    """A data folder with one staff account and API key per client; the keys."""
    settings = load_settings(data, model_dir=model_dir(), key_file=key_file)
    app = Appliance(settings, key_source=KeySource.key_file(key_file)).open()
    accounts = Accounts(app.db, app.audit, app.settings)
    keys = []
    for i in range(clients):
        name = f"user{i:02d}"
        password = f"quiet-harbour-lantern-{i:02d}"
        accounts.create_user(name, "staff", Caller.local(), password=password)
        keys.append(accounts.create_api_key(name, "bench", Caller.local()))
    app.close()
    return keys


def start_counter(
    binary: Path, ctx: int, log: Path
) -> tuple[subprocess.Popen, Callable[[str], int]]:
    """A one-slot node whose tokenizer counts every side's text; (process, count)."""
    proc, url, key = start_node(binary, 1, ctx, log)

    def count(text: str) -> int:
        r = httpx.post(
            f"{url}/tokenize", json={"content": text}, headers={"Authorization": f"Bearer {key}"}
        )
        return len(r.json()["tokens"])

    return proc, count


def run_clients(
    base: str, keys: list[str], n: int, seconds: float, max_tokens: int, fresh: bool,
    count: Callable[[str], int],
) -> dict[str, float]:  # fmt: skip
    """``n`` clients streaming back to back for ``seconds`` (each at least once).

    Answers are counted in tokens after the window, so the counting node's tokenizer
    does not run while the side is measured.
    """
    ttft: list[float] = []
    texts: list[str] = []
    in_window: list[str] = []  # the text of each answer that arrived before stop_at
    made: list[int] = []  # tokens each answer's server generated (its usage)
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(i: int) -> None:
        with httpx.Client(timeout=600, trust_env=False) as http:
            once = True  # every client sends at least one request
            while once or time.monotonic() < stop_at:
                once = False
                with lock:
                    number = next(_REQUEST_NUMBERS)
                body = {
                    "model": CHAT_MODEL.removesuffix(".gguf"),
                    "messages": messages(number if fresh else None),
                    "max_tokens": max_tokens,
                    **SAMPLING,
                    "stream": True,
                    "stream_options": {"include_usage": True},
                }
                start = time.perf_counter()
                first = None
                text = []
                arrived = []  # (time.monotonic(), text) of each piece
                generated = 0
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
                            generated = (chunk.get("usage") or {}).get(
                                "completion_tokens", generated
                            )
                            for choice in chunk.get("choices") or []:
                                delta = (choice.get("delta") or {}).get("content")
                                if delta:
                                    first = first or time.perf_counter()
                                    text.append(delta)
                                    arrived.append((time.monotonic(), delta))
                except Exception:
                    with lock:
                        errors[0] += 1
                    continue
                if first is not None:
                    with lock:
                        ttft.append(first - start)
                        texts.append("".join(text))
                        in_window.append("".join(d for t, d in arrived if t <= stop_at))
                        made.append(generated)

    started = time.perf_counter()
    window = stop_at - time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {
        "tok/s": sum(count(t) for t in texts) / wall,
        # Steady state: what arrived within the window, over the window; the tail after
        # it (the last answers finishing, fewer clients at once) is left out, which
        # "tok/s" (whole answers over the whole time) includes.
        "window tok/s": sum(count(t) for t in in_window if t) / max(window, 1e-9),
        "generated tok/s": sum(made) / wall,
        "ttft p50": pct(ttft, 0.5),
        "ttft p95": pct(ttft, 0.95),
        "answers": len(ttft),
        "errors": errors[0],
    }


def cpu_seconds(proc: subprocess.Popen) -> float:
    """User + system CPU seconds of the server and its children so far."""
    p = psutil.Process(proc.pid)
    total = 0.0
    for c in [p, *p.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            t = c.cpu_times()
            total += t.user + t.system
    return total


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
    parser.add_argument(
        "--sides",
        default="direct,backend,in-process",
        help="direct, backend, in-process, and backend* (backend with --variant-args)",
    )
    parser.add_argument(
        "--variant-args",
        default="",
        help="llama-server options of the backend* side's child (llama_server_args), "
        "e.g. '--poll 0'",
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="before each window, one short request per client (the steady state of a "
        "service whose slots already hold the prompt; cold bursts otherwise)",
    )
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

        # One tokenizer counts every side's text: the node's own.
        counter, count = start_counter(binary, args.ctx, Path(tmp) / "counter.log")

        backend_env = {
            "APPLIANCE_INFERENCE_BACKEND": "llama-server",
            "APPLIANCE_LLAMA_SERVER_BINARY": str(binary),
            "APPLIANCE_LLAMA_SERVER_SLOTS": str(args.slots),
            "APPLIANCE_N_CTX": str(args.ctx),
            "APPLIANCE_MAX_TOKENS": str(min(args.max_tokens, args.ctx - 256)),
        }
        servers: dict[str, tuple[subprocess.Popen, str, list[str]]] = {}
        try:
            for side in sides:
                if side == "direct":
                    proc, base, key = start_node(
                        binary, args.slots, args.ctx, Path(tmp) / "direct.log"
                    )
                    servers[side] = (proc, base, [key])
                else:
                    # Each appliance side has its own data folder (they run side by side).
                    keys = make_data(Path(tmp) / f"data-{side}", key_file, max(clients))
                    env = (
                        dict(backend_env)
                        if side.startswith("backend")
                        else {"APPLIANCE_INFERENCE_BACKEND": "in-process"}
                    )
                    if side == "backend*":
                        env["APPLIANCE_LLAMA_SERVER_ARGS"] = json.dumps(args.variant_args.split())
                    proc, base = serve_appliance(
                        Path(tmp) / f"data-{side}", key_file, env, Path(tmp) / f"{side}.log"
                    )
                    servers[side] = (proc, base, keys)
                # Warm-up: one request (loads the model, starts the child).
                run_clients(base, servers[side][2], 1, 0.1, 8, False, count)
            # Interleaved: every load level runs on each side in turn, so a change in
            # the machine's load falls on all sides alike.
            for fresh in (False, True):
                for n in clients:
                    for side in sides:
                        proc, base, side_keys = servers[side]
                        if args.warm and not fresh:  # a fresh prompt has nothing to warm
                            run_clients(base, side_keys, n, 0.1, 8, fresh, count)
                        cpu0, wall0 = cpu_seconds(proc), time.perf_counter()
                        got = run_clients(
                            base, side_keys, n, args.seconds, args.max_tokens, fresh, count
                        )
                        # The server's CPU use over the window, in % of all cores.
                        busy = (cpu_seconds(proc) - cpu0) / (time.perf_counter() - wall0)
                        cpu = 100 * busy / (os.cpu_count() or 1)
                        rows.append(
                            [
                                side,
                                "fresh" if fresh else "same",
                                n,
                                f"{got['tok/s']:.1f}",
                                f"{got['window tok/s']:.1f}",
                                f"{got['generated tok/s']:.1f}",
                                f"{got['ttft p50']:.2f}",
                                f"{got['ttft p95']:.2f}",
                                got["answers"],
                                got["errors"],
                                f"{rss_mib(proc):.0f}",
                                f"{cpu:.0f}",
                                f"{os.getloadavg()[0]:.1f}",
                            ]
                        )
                        print(" | ".join(str(c) for c in rows[-1]), flush=True)
        finally:
            for proc, _, _ in servers.values():
                proc.terminate()
                proc.wait(30)
            counter.terminate()
            counter.wait(30)
    print()
    headers = (
        "side,prompt,clients,tokens/s shown,in window,tokens/s generated,TTFT p50 s,TTFT p95 s,"
        "answers,errors,RSS MiB,server CPU %,load 1 min"
    )
    print(table(headers.split(","), rows))
    print_footer()


if __name__ == "__main__":
    main()
