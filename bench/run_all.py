"""Run every benchmark in turn, each in its own process, and keep a copy of the output.

Each benchmark loads its own models, so one cannot skew another's memory or
caches. The combined output is printed and written to
``bench/out/results-<UTC time>.md`` (ignored by git) for RESULTS.md.

    make bench                      # offline, via scripts/offline
    .venv/bin/python bench/run_all.py --with-threads
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = (
    "bench_generation.py",
    "bench_ingest.py",
    "bench_ocr.py",
    "bench_retrieval.py",
    "bench_multilingual.py",
    "bench_encryption.py",
    "pii_eval.py",
    "bench_audit.py",
    "bench_web.py",
    "bench_api.py",
)
OPTIONAL = ("bench_threads.py",)


def run(script: str, log: list[str]) -> int:
    """Run one benchmark, echoing its output as it comes and keeping it for the log."""
    print(f"\n# {script}\n", flush=True)
    log.append(f"\n# {script}\n")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(HERE / script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=HERE.parent,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        print(line, end="", flush=True)
        log.append(line)
    code = proc.wait()
    tail = f"\n({script}: exit {code}, {time.perf_counter() - start:.0f} s wall)\n"
    print(tail, flush=True)
    log.append(tail)
    return code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--with-threads",
        action="store_true",
        help="also run bench_threads.py (1 to 4 minutes more)",
    )
    parser.add_argument("--only", nargs="*", default=None, help="script names to run")
    args = parser.parse_args()
    os.environ.setdefault("APPLIANCE_MODEL_DIR", str(HERE.parent / ".models"))
    scripts = list(BENCHMARKS) + (list(OPTIONAL) if args.with_threads else [])
    if args.only:
        scripts = [s for s in scripts + list(OPTIONAL) if s in args.only or s[:-3] in args.only]
    log: list[str] = []
    failed = [s for s in scripts if run(s, log) != 0]
    out = HERE / "out" / f"results-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("".join(log), encoding="utf-8")
    print(f"output kept in {out.relative_to(HERE.parent)}")
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
