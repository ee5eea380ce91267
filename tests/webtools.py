"""Helpers for driving the web app over HTTP (TestClient or a live server)."""

from __future__ import annotations

import json
import re
from typing import Any

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = _CSRF.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def sign_in(client: Any, username: str, password: str) -> Any:
    """Sign in through the form; returns the response to the POST (not followed)."""
    token = csrf_of(client.get("/signin").text)
    return client.post(
        "/signin",
        data={"username": username, "password": password, "csrf": token},
        follow_redirects=False,
    )


def page_csrf(client: Any, path: str = "/chat") -> str:
    return csrf_of(client.get(path).text)


def parse_sse(body: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in body.split("\n\n"):
        name, data = "message", []
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events


def ask_stream(
    client: Any, csrf: str, question: str, collection: str, **extra: str
) -> list[tuple[str, dict[str, Any]]]:
    with client.stream(
        "POST",
        "/chat/ask",
        data={"question": question, "collection": collection, "csrf": csrf, **extra},
        headers={"Accept": "text/event-stream"},
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        return parse_sse("".join(response.iter_text()))
