"""Where the appliance's time goes under concurrent clients (issue 20).

``--side in-process`` (the default): at 1 and 4 clients its aggregate tokens/s *fell*
while its CPU use fell too. ``--side backend``: on the supervised llama-server it
delivers less than llama-server alone at 16 clients; the appliance's own process
(not its child) takes CPU the decoder would have, so the report gives that process's
CPU seconds per generated token and, instead of idle threads, where its busy threads
spend their time (innermost appliance or library frame, inclusive).

Starts ``appliance serve`` (the side's backend), then for each load level
runs the clients of ``bench_serving.py`` for ``--seconds`` while py-spy samples every
thread of the server (``--idle`` included, so waiting shows), and once more with
``--gil`` (only the thread holding the interpreter lock is sampled). Prints, per load
level: tokens/s, the server's CPU use, the share of samples in which the decoding thread
is inside llama.cpp's decode, sampling in Python, or waiting, and the functions that
hold the interpreter lock most.

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/profile_serving.py \\
        --py-spy /path/to/py-spy [--clients 1,4] [--seconds 30] [--side backend]

py-spy is not a dependency of the appliance: install it anywhere
(``pip install --target /tmp/pyspy py-spy``) and pass its path.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import tempfile
import time
from pathlib import Path

import psutil
from bench_serving import (
    cpu_seconds,
    make_data,
    run_clients,
    serve_appliance,
    start_counter,
)
from benchkit import print_footer, print_header

from appliance.crypto import create_key_file
from appliance.llm.llama_server import find_llama_server


def record(
    py_spy: str, pid: int, seconds: float, out: Path, gil: bool, busy_only: bool = False
) -> subprocess.Popen:
    """py-spy sampling ``pid`` for ``seconds`` into ``out`` (collapsed stacks): the
    interpreter lock's holder (``gil``), busy threads only, or every thread."""
    cmd = [py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds))]
    cmd += ["--rate", "200", "--format", "raw", "--output", str(out), "--threads", "--nonblocking"]
    cmd += ["--gil"] if gil else [] if busy_only else ["--idle"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stacks(path: Path) -> list[tuple[list[str], int]]:
    """(frames root first, samples) per collapsed stack of a py-spy raw file."""
    out = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        out.append((stack.split(";"), int(count)))
    return out


def kind(frames: list[str]) -> str:
    """What a sample of a generating thread was doing."""
    text = ";".join(frames)
    if "llama_decode" in text or "decode (llama_cpp" in text or "_decode" in frames[-1]:
        return "llama.cpp decode"
    if "sample" in text and "llama_cpp" in text:
        return "sampling (llama_cpp)"
    if any(w in frames[-1] for w in ("wait", "acquire", "select", "poll", "sleep")):
        return "waiting"
    return "other Python"


def own_cpu_seconds(proc: subprocess.Popen) -> float:
    """User + system CPU seconds of ``proc`` alone (not its llama-server child)."""
    t = psutil.Process(proc.pid).cpu_times()
    return float(t.user + t.system)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--py-spy", required=True)
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--side", choices=("in-process", "backend"), default="in-process")
    parser.add_argument("--slots", type=int, default=16, help="backend: llama-server slots")
    parser.add_argument("--fresh", action="store_true", help="a fresh prompt per request")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    binary = find_llama_server(None)
    if binary is None:
        raise SystemExit("llama-server is not built (its tokenizer counts the tokens)")
    backend = args.side == "backend"
    env = (
        {
            "APPLIANCE_INFERENCE_BACKEND": "llama-server",
            "APPLIANCE_LLAMA_SERVER_BINARY": str(binary),
            "APPLIANCE_LLAMA_SERVER_SLOTS": str(args.slots),
            "APPLIANCE_N_CTX": "1024",
            "APPLIANCE_MAX_TOKENS": str(min(args.max_tokens, 1024 - 256)),
        }
        if backend
        else {"APPLIANCE_INFERENCE_BACKEND": "in-process"}
    )
    print_header(f"Profile of the appliance ({args.side}), {args.seconds:.0f} s per load level")
    with tempfile.TemporaryDirectory(prefix="profile-serving-") as tmp:
        key_file = create_key_file(Path(tmp) / "keys" / "kek.key")
        keys = make_data(Path(tmp) / "data", key_file, max(clients))
        counter, count = start_counter(binary, 1024, Path(tmp) / "counter.log")
        proc, base = serve_appliance(Path(tmp) / "data", key_file, env, Path(tmp) / "serve.log")
        try:
            run_clients(base, keys, 1, 0.1, 8, False, count)  # loads the model
            for n in clients:
                for gil in (False, True):
                    out = Path(tmp) / f"n{n}-{'gil' if gil else 'all'}.txt"
                    spy = record(args.py_spy, proc.pid, args.seconds, out, gil, backend)
                    time.sleep(1)  # py-spy attached
                    cpu0, own0, t0 = cpu_seconds(proc), own_cpu_seconds(proc), time.perf_counter()
                    got = run_clients(
                        base, keys, n, args.seconds - 3, args.max_tokens, args.fresh, count
                    )
                    wall = time.perf_counter() - t0
                    busy = (cpu_seconds(proc) - cpu0) / wall
                    own = (own_cpu_seconds(proc) - own0) / wall
                    spy.wait(120)
                    print(f"\n## {n} client(s), {'GIL holders' if gil else 'busy threads'}")
                    generated = got["generated tok/s"]
                    print(
                        f"tokens/s {got['tok/s']:.1f} shown, {generated:.1f} generated, "
                        f"TTFT p50 {got['ttft p50']:.2f} s, server CPU {100 * busy:.0f} % of "
                        f"one core, of which the appliance process {100 * own:.0f} % "
                        f"({1000 * own / max(generated, 1e-9):.2f} ms per generated token)"
                    )
                    summarise(stacks(out), gil or backend)
        finally:
            proc.terminate()
            proc.wait(30)
            counter.terminate()
            counter.wait(30)
    print_footer()


def summarise(samples: list[tuple[list[str], int]], by_frame: bool) -> None:
    """Shares of the samples: by innermost named frame, and by appliance function
    anywhere on the stack (inclusive; ``by_frame``), else by thread and activity."""
    total = sum(c for _, c in samples) or 1
    if by_frame:
        leaves: collections.Counter[str] = collections.Counter()
        inclusive: collections.Counter[str] = collections.Counter()
        for frames, c in samples:
            leaves[_short(frames)] += c
            for name in {_name(f) for f in frames if "appliance/" in f}:
                inclusive[name] += c
        for name, c in leaves.most_common(15):
            print(f"  {100 * c / total:5.1f} %  {name}")
        print("  inclusive (appliance functions on the stack):")
        for name, c in inclusive.most_common(15):
            print(f"  {100 * c / total:5.1f} %  {name}")
        return
    by_thread: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for frames, c in samples:
        by_thread[frames[0]][kind(frames[1:] or frames)] += c
    for thread, kinds in sorted(by_thread.items(), key=lambda kv: -sum(kv[1].values()))[:6]:
        n = sum(kinds.values())
        shares = ", ".join(f"{k} {100 * v / n:.0f} %" for k, v in kinds.most_common())
        print(f"  {thread[:60]}: {shares}")


def _name(frame: str) -> str:
    name, _, where = frame.partition(" (")
    return f"{name} ({where.split('appliance/')[-1].split(':')[0]})"


def _short(frames: list[str]) -> str:
    """The innermost appliance or library frame worth naming (function (file))."""
    for frame in reversed(frames):
        if "site-packages/" in frame or "appliance/" in frame:
            name, _, where = frame.partition(" (")
            where = where.split("site-packages/")[-1].split("appliance/")[-1]
            return f"{name} ({where.split(':')[0]})"
    return frames[-1]


if __name__ == "__main__":
    main()
