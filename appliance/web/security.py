"""Security headers, request size limits and rate limits (ASGI middleware and helpers)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from limits import RateLimitItemPerMinute
from limits.errors import ConfigurationError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from appliance.errors import ConfigError, RateLimited, RequestTooLarge

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
    """Moving-window limits per (kind, key), counted in the storage named by
    ``storage_url`` (setting ``rate_limit_storage_url``): ``memory://`` counts in this
    process only; ``redis://host:port/db`` (or ``rediss://``, ``redis+unix://``)
    counts across every web process that names the same Redis.

    ``name_key`` turns a (kind, key) pair into the identifier stored: the appliance
    passes a keyed hash, so Redis holds neither user names nor client addresses, and
    two appliances sharing one Redis never share a count.

    Raises :class:`~appliance.errors.ConfigError` when the URL's scheme is unknown or
    the storage cannot be reached at start-up.
    """

    def __init__(
        self,
        storage_url: str = "memory://",
        name_key: Callable[[str, str], str] | None = None,
    ) -> None:
        self.shared = not storage_url.startswith("memory://")
        storage: object
        try:
            storage = storage_from_string(storage_url)
        except ConfigurationError as exc:
            storage = exc
        if not isinstance(storage, Storage):  # an error, or an async (async+...) storage
            raise ConfigError(
                f"rate_limit_storage_url {_without_password(storage_url)!r} cannot be "
                f"used ({storage}); use memory:// (one process) or redis://HOST:PORT/DB."
            )
        if self.shared and not storage.check():
            raise ConfigError(
                f"the rate-limit storage at {_without_password(storage_url)} does not answer; "
                "start it, or set rate_limit_storage_url to memory:// for one web process."
            )
        self._limiter = MovingWindowRateLimiter(storage)
        self._name_key = name_key or (lambda kind, key: f"{kind}/{key}")

    def hit(self, kind: str, key: str, per_minute: int) -> None:
        """Count one request of ``kind`` by ``key`` (a user name or client address);
        raises :class:`~appliance.errors.RateLimited` (with ``retry_after`` seconds)
        past ``per_minute`` in the last minute, across every process sharing the storage."""
        item = RateLimitItemPerMinute(per_minute)
        name = self._name_key(kind, key)
        if self._limiter.hit(item, name):
            return
        stats: Any = self._limiter.get_window_stats(item, name)
        retry = max(1, int(stats.reset_time - time.time()) + 1)
        raise RateLimited(
            f"too many requests; wait {retry} seconds and try again.", retry_after=retry
        )


def _without_password(url: str) -> str:
    """``url`` with any password between ``:`` and ``@`` replaced by ``***``."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, credentials = head.partition("://")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{tail}" if ":" in credentials else url
