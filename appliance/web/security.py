"""Security headers, request size limits and rate limits (ASGI middleware and helpers)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from appliance.errors import RateLimited, RequestTooLarge

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


def security_headers(tls: bool) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    if tls:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers


class SecurityHeaders:
    """Adds the security headers to every response; pages are never cached. (The
    500 page is sent outside all middleware; its handler adds the same headers.)"""

    def __init__(self, app: ASGIApp, *, tls: bool) -> None:
        self.app = app
        self.headers = security_headers(tls)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in headers:
                        headers[name] = value
                if not static and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes, whether announced or streamed."""

    def __init__(self, app: ASGIApp, *, limit: Callable[[], int]) -> None:
        self.app = app
        self._limit = limit  # read per request: the setting may change

    @property
    def limit(self) -> int:
        return self._limit()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        message = (
            f"the upload is larger than the limit of {max(1, limit // (1024 * 1024))} MiB "
            "(setting max_upload_bytes); send fewer or smaller files."
        )
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await PlainTextResponse(message, status_code=413)(scope, receive, send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    # The form parser may turn this into a 400; the flag lets the error
                    # page answer 413 all the same.
                    scope.setdefault("state", {})["body_too_large"] = message
                    raise RequestTooLarge(message)
            return msg

        await self.app(scope, counted, send)


class RateLimits:
    """Moving-window limits per (kind, key), kept in memory (one server process)."""

    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, kind: str, key: str, per_minute: int) -> None:
        item = RateLimitItemPerMinute(per_minute)
        if self._limiter.hit(item, kind, key):
            return
        stats: Any = self._limiter.get_window_stats(item, kind, key)
        retry = max(1, int(stats.reset_time - time.time()) + 1)
        raise RateLimited(
            f"too many requests; wait {retry} seconds and try again.", retry_after=retry
        )
