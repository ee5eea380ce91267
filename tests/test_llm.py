"""The llama.cpp engine: real GGUF, chat template, streaming, queueing, cancellation."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from appliance.errors import GenerationCancelled, ModelError, QuestionTooLong
from appliance.llm import GenerationParams, LlamaEngine
from appliance.models import check_gguf

HELLO = [{"role": "user", "content": "Name three colours."}]


def test_streams_several_pieces(engine) -> None:
    pieces = list(engine.stream_chat(HELLO, GenerationParams(max_tokens=24, seed=1)))
    assert len(pieces) > 3
    assert "".join(pieces).strip()


def test_max_tokens_and_stop(engine) -> None:
    text = engine.chat(HELLO, GenerationParams(max_tokens=4, seed=1))
    assert 0 < engine.count_tokens(text) <= 5
    stopped = engine.chat(
        [{"role": "user", "content": "Count from 1 to 10 separated by commas."}],
        GenerationParams(max_tokens=40, temperature=0.0, stop=("5",)),
    )
    assert "5" not in stopped and "6" not in stopped


def test_concurrent_callers_queue_in_turn(engine) -> None:
    outputs: dict[int, str] = {}
    errors: list[BaseException] = []
    active = 0
    peak = 0
    lock = threading.Lock()

    def worker(i: int) -> None:
        nonlocal active, peak
        try:
            parts = []
            for piece in engine.stream_chat(HELLO, GenerationParams(max_tokens=12, seed=i)):
                with lock:
                    active += 1
                    peak = max(peak, active)
                parts.append(piece)
                with lock:
                    active -= 1
            outputs[i] = "".join(parts)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert len(outputs) == 4 and all(outputs.values())
    assert engine.queue_depth == 0


def test_same_seed_same_answer_even_after_other_callers(engine) -> None:
    params = GenerationParams(max_tokens=16, temperature=0.7, seed=42)
    first = engine.chat(HELLO, params)
    assert engine.chat(HELLO, params) == first
    engine.chat([{"role": "user", "content": "Say hi."}], GenerationParams(max_tokens=5))
    assert engine.chat(HELLO, params) == first


def test_cancellation_stops_generation(engine) -> None:
    cancel = threading.Event()
    pieces = []
    with pytest.raises(GenerationCancelled):
        for piece in engine.stream_chat(HELLO, GenerationParams(max_tokens=200), cancel):
            pieces.append(piece)
            if len(pieces) == 3:
                cancel.set()
    assert len(pieces) == 3
    # The engine is free again afterwards.
    assert engine.chat(HELLO, GenerationParams(max_tokens=3))


def test_closing_the_stream_frees_the_engine(engine) -> None:
    stream = engine.stream_chat(HELLO, GenerationParams(max_tokens=200))
    next(stream)
    stream.close()
    assert engine.queue_depth == 0
    assert engine.chat(HELLO, GenerationParams(max_tokens=3))


def test_a_prompt_over_the_context_is_question_too_long(engine) -> None:
    """As on the llama-server backend: the same error class, not llama-cpp's ValueError;
    the engine takes the next request."""
    too_long = [{"role": "user", "content": "lighthouse keeper " * (engine.n_ctx // 2 + 100)}]
    with pytest.raises(QuestionTooLong, match=f"context of {engine.n_ctx} tokens"):
        engine.chat(too_long, GenerationParams(max_tokens=4))
    assert engine.chat([{"role": "user", "content": "Hi."}], GenerationParams(max_tokens=4))


def test_bad_model_files_are_named(tmp_path: Path, model_dir: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        check_gguf(tmp_path / "absent.gguf")
    text = tmp_path / "notes.gguf"
    text.write_text("this is not a model")
    with pytest.raises(ModelError, match="not a GGUF file"):
        LlamaEngine(text)
    real = model_dir / "SmolLM2-135M-Instruct.Q4_1.gguf"
    same_name = tmp_path / real.name
    with real.open("rb") as src, same_name.open("wb") as dst:
        dst.write(src.read(1 << 20))
    with pytest.raises(ModelError, match="truncated"):
        check_gguf(same_name)
    other_name = tmp_path / "custom.gguf"
    shutil.copy(same_name, other_name)
    with pytest.raises(ModelError, match=r"custom\.gguf"):
        LlamaEngine(other_name)
