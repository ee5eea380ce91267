"""Streaming responses that stop the model when the client goes away."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

T = TypeVar("T")


class CancellingStream(StreamingResponse):
    """Sets ``cancel`` however the response ends (done, error, or the client gone),
    so generation stops at the next token and frees the model for others."""

    def __init__(self, content: AsyncIterator[str], cancel: threading.Event, **kw: Any) -> None:
        super().__init__(content, **kw)
        self._cancel = cancel

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._cancel.set()


async def run_watching(
    request: Request, cancel: threading.Event, fn: Callable[..., T], *args: Any
) -> T:
    """Run ``fn(*args)`` in a worker thread; if the client disconnects meanwhile, set
    ``cancel`` (the model is not held for nobody)."""
    job = asyncio.ensure_future(run_in_threadpool(fn, *args))
    while not job.done():
        await asyncio.wait({job}, timeout=0.5)
        if not job.done() and await request.is_disconnected():
            cancel.set()
    return job.result()


def thread_events(
    work: Callable[[Callable[[str | None], None]], None],
) -> AsyncIterator[str]:
    """Run ``work(put)`` in a worker thread; yield what it puts until it puts None."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def put(item: str | None) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, item)

    def run() -> None:
        try:
            work(put)
        finally:
            put(None)

    async def events() -> AsyncIterator[str]:
        loop.run_in_executor(None, run)
        while True:
            item = await queue.get()
            if item is None:
                break
            yield item

    return events()
