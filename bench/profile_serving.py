"""Where the in-process appliance's time goes at 1 and at 4 concurrent clients (issue 20:
its aggregate tokens/s *fell* from 1 to 4 clients while its CPU use fell too).

Starts ``appliance serve`` (in-process backend, the defaults), then for each load level
runs the clients of ``bench_serving.py`` for ``--seconds`` while py-spy samples every
thread of the server (``--idle`` included, so waiting shows), and once more with
``--gil`` (only the thread holding the interpreter lock is sampled). Prints, per load
level: tokens/s, the server's CPU use, the share of samples in which the decoding thread
is inside llama.cpp's decode, sampling in Python, or waiting, and the functions that
hold the interpreter lock most.

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/profile_serving.py \\
        --py-spy /path/to/py-spy [--clients 1,4] [--seconds 30]

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


def record(py_spy: str, pid: int, seconds: float, out: Path, gil: bool) -> subprocess.Popen:
    """py-spy sampling ``pid`` for ``seconds`` into ``out`` (collapsed stacks)."""
    cmd = [py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds))]
    cmd += ["--rate", "200", "--format", "raw", "--output", str(out), "--threads", "--nonblocking"]
    cmd += ["--gil"] if gil else ["--idle"]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--py-spy", required=True)
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    binary = find_llama_server(None)
    if binary is None:
        raise SystemExit("llama-server is not built (its tokenizer counts the tokens)")
    print_header(f"Profile of the in-process appliance, {args.seconds:.0f} s per load level")
    with tempfile.TemporaryDirectory(prefix="profile-serving-") as tmp:
        key_file = create_key_file(Path(tmp) / "keys" / "kek.key")
        keys = make_data(Path(tmp) / "data", key_file, max(clients))
        counter, count = start_counter(binary, 1024, Path(tmp) / "counter.log")
        proc, base = serve_appliance(Path(tmp) / "data", key_file, {}, Path(tmp) / "serve.log")
        try:
            run_clients(base, keys, 1, 0.1, 8, False, count)  # loads the model
            for n in clients:
                for gil in (False, True):
                    out = Path(tmp) / f"n{n}-{'gil' if gil else 'all'}.txt"
                    spy = record(args.py_spy, proc.pid, args.seconds, out, gil)
                    time.sleep(1)  # py-spy attached
                    cpu0, t0 = cpu_seconds(proc), time.perf_counter()
                    got = run_clients(base, keys, n, args.seconds - 3, args.max_tokens, True, count)
                    busy = (cpu_seconds(proc) - cpu0) / (time.perf_counter() - t0)
                    spy.wait(120)
                    print(f"\n## {n} client(s), {'GIL holders' if gil else 'all threads'}")
                    print(
                        f"tokens/s {got['tok/s']:.1f}, TTFT p50 {got['ttft p50']:.2f} s, "
                        f"server CPU {100 * busy:.0f} % of one core"
                    )
                    summarise(stacks(out), gil)
        finally:
            proc.terminate()
            proc.wait(30)
            counter.terminate()
            counter.wait(30)
    print_footer()


def summarise(samples: list[tuple[list[str], int]], gil: bool) -> None:
    total = sum(c for _, c in samples) or 1
    if gil:
        leaves: collections.Counter[str] = collections.Counter()
        for frames, c in samples:
            leaves[_short(frames)] += c
        for name, c in leaves.most_common(12):
            print(f"  {100 * c / total:5.1f} %  {name}")
        return
    by_thread: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for frames, c in samples:
        by_thread[frames[0]][kind(frames[1:] or frames)] += c
    for thread, kinds in sorted(by_thread.items(), key=lambda kv: -sum(kv[1].values()))[:6]:
        n = sum(kinds.values())
        shares = ", ".join(f"{k} {100 * v / n:.0f} %" for k, v in kinds.most_common())
        print(f"  {thread[:60]}: {shares}")


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
