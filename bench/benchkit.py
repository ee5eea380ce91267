"""Shared helpers for the benchmarks: model paths, appliance set-up, timing, tables.

Every benchmark runs offline on files already in ``$APPLIANCE_MODEL_DIR`` and
prints the machine it ran on, so figures from different boxes are not mixed up.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CHAT_MODEL = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDING_DIR = "all-MiniLM-L6-v2"


def model_dir() -> Path:
    """``$APPLIANCE_MODEL_DIR`` (or the checkout's ``.models``), checked for both models."""
    path = Path(os.environ.get("APPLIANCE_MODEL_DIR") or REPO / ".models")
    wanted = (path / CHAT_MODEL, path / EMBEDDING_DIR / "model.onnx")
    missing = [p for p in wanted if not p.is_file()]
    if missing:
        sys.exit(
            f"benchmark needs the default models: {missing[0]} is missing (run `make models`)."
        )
    return path


_KEY_SOURCE = None


def key_source():  # type: ignore[no-untyped-def]
    """One throw-away key file per benchmark process, outside every data directory."""
    global _KEY_SOURCE
    if _KEY_SOURCE is None:
        import tempfile

        from appliance.crypto import KeySource, create_key_file

        folder = Path(tempfile.mkdtemp(prefix="appliance-bench-key-"))
        _KEY_SOURCE = KeySource.key_file(create_key_file(folder / "kek.key"))
    return _KEY_SOURCE


def make_appliance(data_dir: Path, **overrides: Any):  # type: ignore[no-untyped-def]
    """An opened Appliance on ``data_dir`` using the shared model folder."""
    from appliance.config import load_settings
    from appliance.service import Appliance

    embedder = overrides.pop("embedder", None)
    engine = overrides.pop("engine", None)
    vault_class = overrides.pop("vault_class", None)
    settings = load_settings(data_dir, model_dir=model_dir(), **overrides)
    app = Appliance(settings, embedder=embedder, engine=engine, key_source=key_source())
    if vault_class is not None:
        app.vault_class = vault_class
    return app.open()


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


@contextmanager
def timed() -> Iterator[list[float]]:
    """``with timed() as t: ...`` then ``t[0]`` holds the elapsed seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def interleave(runners: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Run each side once per round, rotating who goes first, so all see the same load.
    Before each run the PII detectors of this process forget what they read, so no
    side or round finds the text of another already read."""
    from appliance.privacy.detector import forget_read

    names = list(runners)
    out: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            forget_read()
            out[name].append(runners[name]())
    return out


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (readable in a terminal too)."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def _pkg(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def machine_info() -> dict[str, str]:
    """What a reader needs to compare these figures with others."""
    date = subprocess.run(["date", "-u"], capture_output=True, text=True, check=False).stdout
    return {
        "date (UTC)": date.strip(),
        "nproc": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "ram": _ram_gib(),
        "load average (1/5/15 min)": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "llama-cpp-python": _pkg("llama-cpp-python"),
        "onnxruntime": _pkg("onnxruntime"),
        "chromadb": _pkg("chromadb"),
        "tokenizers": _pkg("tokenizers"),
    }


def print_header(title: str) -> None:
    print(f"\n## {title}\n")
    for key, value in machine_info().items():
        print(f"- {key}: {value}")
    print()


def token_counts(texts: list[str]) -> list[int]:
    """Embedder tokens per text before any truncation (the embedder keeps the first 256)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir() / EMBEDDING_DIR / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return [len(e.ids) for e in tok.encode_batch(texts)]


def print_truncation(texts: list[str], window: int = 256) -> None:
    """How many chunks overflow the embedder's window: their tail is never embedded."""
    counts = token_counts(texts)
    over = [c for c in counts if c > window]
    print(
        f"chunk length in embedder tokens: median {median(counts):.0f}, max {max(counts)}; "
        f"{len(over)} of {len(counts)} chunks ({len(over) / len(counts):.0%}) exceed {window} "
        "tokens, so their tail is not embedded"
    )


def padded_slots(lengths: list[int], batch: int, window: int = 256) -> int:
    """Token positions the encoder computes when sorted texts are batched, each batch
    padded to its longest member (the appliance's scheme, on one document's chunks)."""
    ordered = sorted(min(n, window) for n in lengths)
    return sum(
        len(ordered[i : i + batch]) * ordered[i : i + batch][-1]
        for i in range(0, len(ordered), batch)
    )


def print_padding(groups: list[list[int]], batch: int = 32, window: int = 256) -> None:
    """Compute spent per real token: per-document batches vs corpus-wide vs fixed padding.

    Ingestion embeds one document at a time, so a short document's few chunks
    share one batch padded to its longest chunk.
    """
    real = sum(min(n, window) for g in groups for n in g)
    per_doc = sum(padded_slots(g, batch, window) for g in groups)
    per_doc_8 = sum(padded_slots(g, 8, window) for g in groups)
    corpus_wide = padded_slots([n for g in groups for n in g], batch, window)
    fixed = window * sum(len(g) for g in groups)
    print(
        f"encoder positions computed per real token: appliance (per document, batch {batch}) "
        f"{per_doc / real:.2f}; per document, batch 8: {per_doc_8 / real:.2f}; across "
        f"documents, batch {batch}: {corpus_wide / real:.2f}; fixed padding to {window}: "
        f"{fixed / real:.2f}"
    )


def print_footer() -> None:
    """Load at the end too: a reader can tell whether neighbours came and went."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nfinished {time.strftime('%H:%M:%S', time.gmtime())} UTC; load average {load}")


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")
