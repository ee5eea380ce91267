"""An external OpenAI-compatible chat endpoint (the hybrid gateway's far end).

One non-streamed ``POST <url>/chat/completions`` per answer, over httpx with explicit
timeouts; what is sent is the exact byte string the caller hands in (the caller has
scanned and hashed those bytes: nothing is re-serialised here). Every failure of the
endpoint (unreachable, too slow, an error status, a reply that is not a chat
completion) becomes a :class:`~appliance.errors.GatewayError` naming the endpoint and
the status, never the body sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx2

from appliance.errors import GatewayError

# Seconds to open a connection; the read timeout is the endpoint's own setting.
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ExternalReply:
    """What the endpoint answered: the assistant's text, its finish reason and token
    counts (as the endpoint reported them in ``usage``; 0 when it did not)."""

    text: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    model: str


def completions_url(base_url: str) -> str:
    """``<base>/chat/completions`` for a base URL such as ``https://host/v1``."""
    return base_url.rstrip("/") + "/chat/completions"


def post_chat(
    base_url: str, body: bytes, api_key: str | None, *, timeout_s: float
) -> ExternalReply:
    """Send ``body`` (a JSON chat-completion request) and read the reply.

    Raises :class:`GatewayError` when the endpoint cannot be reached, times out
    (``timeout_s`` seconds to read, :data:`CONNECT_TIMEOUT_S` to connect), answers an
    error status, or answers something that is not a chat completion."""
    url = completions_url(base_url)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    timeout = httpx2.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s))
    try:
        with httpx2.Client(timeout=timeout, follow_redirects=False, trust_env=False) as http:
            response = http.post(url, content=body, headers=headers)
    except httpx2.TimeoutException:
        raise GatewayError(
            f"the external model at {base_url} did not answer within {timeout_s:g} s; "
            "try again, or raise its timeout (`appliance gateway attach --timeout`)."
        ) from None
    except httpx2.HTTPError as exc:
        raise GatewayError(
            f"the external model at {base_url} cannot be reached ({type(exc).__name__}); "
            "check its URL and this machine's route to it."
        ) from None
    if response.status_code != 200:
        raise GatewayError(
            f"the external model at {base_url} answered HTTP {response.status_code}"
            f"{_reason(response)}; check its URL, model name and API key."
        )
    try:
        reply: Any = response.json()
        choice = reply["choices"][0]
        text = choice["message"]["content"] or ""
        if not isinstance(text, str):
            raise TypeError("content is not text")
    except (ValueError, KeyError, IndexError, TypeError):
        raise GatewayError(
            f"the external model at {base_url} answered something that is not a chat "
            "completion; check that the URL is its OpenAI-compatible base (…/v1)."
        ) from None
    usage = reply.get("usage") or {}
    return ExternalReply(
        text,
        choice.get("finish_reason"),
        _count(usage.get("prompt_tokens")),
        _count(usage.get("completion_tokens")),
        str(reply.get("model") or ""),
    )


def _count(value: object) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def _reason(response: httpx2.Response) -> str:
    """The error's own short message when the endpoint gave one in OpenAI's shape (it
    describes the request, which held placeholders only), else nothing."""
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return ""
    return f" ({str(message)[:200]})" if message else ""


def request_body(messages: list[dict[str, str]], model: str, **params: object) -> bytes:
    """The request's exact bytes (UTF-8 JSON, no ASCII escapes, keys sorted): what is
    scanned, hashed and sent."""
    body = {"model": model, "messages": messages, "stream": False, **params}
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")
