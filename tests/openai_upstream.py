"""A real OpenAI-compatible endpoint on loopback, standing in for an external model.

It serves ``POST /v1/chat/completions`` by running the default GGUF through
llama-cpp-python's own ``create_chat_completion`` (real model, real HTTP) and keeps
every request body it received, byte for byte, with its headers, so a test can look
for personal values in exactly what left the appliance.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse


class RecordingUpstream:
    """The endpoint's app (:attr:`app`) and what it received (:attr:`bodies`)."""

    def __init__(self, model_path: Path) -> None:
        from llama_cpp import Llama

        self.bodies: list[bytes] = []
        self.headers: list[dict[str, str]] = []
        self.fail_with: int | None = None  # answer this HTTP status instead
        self._llama = Llama(model_path=str(model_path), n_ctx=4096, n_threads=2, verbose=False)
        self._lock = threading.Lock()
        self.app = FastAPI()
        self.app.post("/v1/chat/completions")(self._completions)

    async def _completions(self, request: Request) -> JSONResponse:
        raw = await request.body()
        self.bodies.append(raw)
        self.headers.append(dict(request.headers))
        if self.fail_with is not None:
            return JSONResponse(
                {"error": {"message": "upstream is down", "type": "server_error"}},
                status_code=self.fail_with,
            )
        body = json.loads(raw)

        def run() -> dict[str, Any]:
            with self._lock:  # one Llama is not safe from several threads at once
                return dict(
                    self._llama.create_chat_completion(
                        messages=body["messages"],
                        max_tokens=min(int(body.get("max_tokens") or 64), 64),
                        temperature=float(body.get("temperature", 0.2)),
                    )
                )

        result = await run_in_threadpool(run)
        result["model"] = body["model"]
        return JSONResponse(result)
