"""What every page shows (user, navigation, CSRF token) and the answer's HTML."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from fastapi import Request
from markupsafe import Markup, escape

from appliance import __version__
from appliance.store.schema import Role

_CITE = re.compile(r"\[(\d{1,2})\]")
_PLACEHOLDER = re.compile(r"&lt;([A-Z_]+_\d+)&gt;")

# (label, path, roles that see the link)
NAVIGATION = [
    ("Chat", "/chat", Role.ALL),
    ("Documents", "/documents", Role.ALL),
    ("Audit trail", "/compliance/audit", (Role.COMPLIANCE, Role.ADMIN)),
    ("Subject requests", "/compliance/subjects", (Role.COMPLIANCE,)),
    ("Administration", "/admin", (Role.ADMIN,)),
]


# Messages after a change (?done=KEY); fixed texts, so a link cannot put words here.
NOTICES = {
    "password": "Your password was changed.",
    "conversation-deleted": "The conversation was deleted.",
    "document-deleted": "The document was deleted; its keys were destroyed.",
    "role-changed": "The role was changed; the user signs in again.",
    "user-disabled": "The account was disabled and signed out.",
    "user-enabled": "The account was enabled.",
    "group-created": "The group was created.",
    "membership-changed": "The group's members were changed.",
    "collection-created": "The collection was created. Grant access to it below.",
    "policy-changed": "The collection's policy was changed.",
    "collection-updated": "The collection's record was updated.",
    "access-granted": "Access was granted.",
    "access-lowered": "Access was lowered, as confirmed.",
    "access-unchanged": "That access was already granted; nothing changed.",
    "access-revoked": "Access was withdrawn.",
    "key-revoked": "The API key was revoked; it no longer works.",
    "model-added": "The model was added; its header and sha256 were recorded.",
    "model-changed": "The model choice was changed; the next question uses it.",
}


def page_context(request: Request, context: dict[str, Any]) -> dict[str, Any]:
    user = getattr(request.state, "user", None)
    nav = []
    if user is not None and not user.session.account.must_change_password:
        nav = [
            {"label": label, "href": href, "current": request.url.path.startswith(href)}
            for label, href, roles in NAVIGATION
            if user.role in roles
        ]
    return {
        "user": user,
        "csrf": user.session.csrf_token if user else context.get("csrf", ""),
        "nav": nav,
        "version": __version__,
        "notice": NOTICES.get(request.query_params.get("done", "")),
        **context,
    }


def source_href(citation: dict[str, Any]) -> str:
    """The cited passage in its document's source view: its chunks marked (a joined
    passage spans two or three, one after the other) and scrolled to the first."""
    ids = citation.get("chunk_ids") or [citation["chunk_id"]]
    page = citation.get("page")
    query = f"page={page}&" if page else ""
    return (
        f"/documents/{citation['document_id']}/source?{query}passage={','.join(ids)}#chunk-{ids[0]}"
    )


def quote_href(quote: dict[str, Any]) -> str:
    """The cited page with the quoted sentence highlighted (``hl=<chunk>:<sentence>``)."""
    page = quote.get("page")
    query = f"page={page}&" if page else ""
    return (
        f"/documents/{quote['document_id']}/source?{query}"
        f"hl={quote['chunk_id']}:{quote['sentence']}#chunk-{quote['chunk_id']}"
    )


def passage_html(text: str, highlight: int | None = None) -> Markup:
    """A passage as the source view shows it, sentence ``highlight`` (0-based, as
    ``split_sentences`` counts) marked."""
    if highlight is None:
        return answer_html(text, [])
    from appliance.ingest.chunker import split_sentences

    sentences = split_sentences(text)
    parts = []
    for i, sentence in enumerate(sentences):
        body = _PLACEHOLDER.sub(
            r'<span class="placeholder">&lt;\1&gt;</span>', str(escape(sentence))
        )
        parts.append(f'<mark class="quoted">{body}</mark>' if i == highlight else body)
    return Markup(f"<p>{' '.join(parts)}</p>")


def answer_html(text: str, citations: list[dict[str, Any]]) -> Markup:
    """The answer escaped, in paragraphs, with [n] linked to the cited page and
    placeholders marked so they read as such."""
    by_n = {c["n"]: c for c in citations}

    def link(m: re.Match[str]) -> str:
        c = by_n.get(int(m.group(1)))
        if c is None or not c.get("document_id"):
            return m.group(0)
        title = escape(c.get("title") or basename(c.get("source") or "source"))
        return f'<a class="cite" href="{escape(source_href(c))}" title="{title}">[{m.group(1)}]</a>'

    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    html = []
    for p in paragraphs:
        body = str(escape(p)).replace("\n", "<br>")
        body = _PLACEHOLDER.sub(r'<span class="placeholder">&lt;\1&gt;</span>', body)
        html.append(f"<p>{_CITE.sub(link, body)}</p>")
    return Markup("".join(html))


def basename(source: str) -> str:
    """A document's file name without the server's folders (CLI ingestion records the
    full path; staff need the name)."""
    return source.replace("\\", "/").rsplit("/", 1)[-1]


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def money(value: float | None, currency: str = "") -> str:
    """``1,234.50 EUR``; amounts under 1 with four decimals (a fraction of a cent per
    question is still worth seeing); None: "not entered"."""
    if value is None:
        return "not entered"
    text = f"{value:,.4f}" if abs(value) < 1 else f"{value:,.2f}"
    return f"{text} {currency}".strip()


def duration_ms(value: float | None) -> str:
    """``850 ms`` or, from ten seconds, ``12.3 s``; None: "—"."""
    if value is None:
        return "—"
    return f"{value:,.0f} ms" if value < 10_000 else f"{value / 1000:,.1f} s"
