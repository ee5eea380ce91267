"""Chat: pick a collection, ask, watch the answer stream in (server-sent events),
open the cited pages; history is sealed per conversation."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from appliance.errors import GenerationCancelled
from appliance.privacy import PLACEHOLDER, PiiBlocked
from appliance.rag.pipeline import AnswerStream
from appliance.web.deps import User, signed_in, web
from appliance.web.faults import user_message
from appliance.web.streaming import CancellingStream, run_watching, thread_events

router = APIRouter()


def usable_collections(request: Request, user: User) -> list[dict[str, Any]]:
    """The collections granted to ``user``, with whether their policy lets the role
    re-identify (the "show personal data" choice) and the external model answering
    it through the hybrid gateway (None: the appliance's own)."""
    app = web(request).appliance
    out = []
    for col, count in app.collections():
        if col.name in user.access:
            policy = app.policy(col.policy)
            external = app.gateway_for(col.name)
            out.append(
                {
                    "name": col.name,
                    "description": col.description,
                    "documents": count,
                    "access": user.access[col.name],
                    "policy": col.policy,
                    "may_reveal": policy.may_reidentify(user.role),
                    # The hybrid gateway: the external model answering it, if any.
                    "external": external.model if external else None,
                }
            )
    return out


def _notes(stream: AnswerStream, text: str, role: str) -> list[str]:
    notes: list[str] = []
    protected = stream.protected
    if protected is None:
        return notes
    if stream.pii_counts:
        kinds = ", ".join(f"{t} ×{n}" for t, n in sorted(stream.pii_counts.items()))
        notes.append(
            f"Personal data in your question was pseudonymised before search and "
            f"generation ({kinds})."
        )
    if stream.revealed:
        notes.append(
            "Personal data is shown because you asked to reveal it; this was recorded in "
            "the audit trail."
        )
    elif PLACEHOLDER.search(text):
        note = (
            f"Names and identifiers appear as placeholders such as <PERSON_1> "
            f"(policy “{protected.policy.name}”)."
        )
        if protected.policy.may_reidentify(role):
            note += " Your role may reveal them: tick “Show personal data” and ask again."
        notes.append(note)
    return notes


def answer_record(stream: AnswerStream, notes: list[str]) -> dict[str, Any]:
    """The finished answer as the chat shows it and its history keeps it: revealed
    values are put back to placeholders for the history (see ``for_history``)."""
    answer = stream.result()
    _, text = stream.for_history(answer.text)

    def keep(value: str) -> str:
        return stream.for_history(value)[1]

    return {
        "text": text,
        "citations": [c.as_json() for c in answer.citations],
        "notes": notes,
        "found": answer.found,
        "answer_source": answer.answer_source,
        "unverified": [{**s.as_json(), "text": keep(s.text)} for s in answer.unverified],
        "extract": [{**q.as_json(), "text": keep(q.text)} for q in answer.extract],
        "truncated": answer.truncated,
        "stopped": answer.stopped,
    }


def _answer(
    request: Request,
    user: User,
    question: str,
    collection: str,
    conversation_id: str,
    reveal: bool,
    cancel: threading.Event,
    on_delta: Callable[[str], None],
    on_extract: Callable[[list[dict[str, Any]]], None] = lambda _quotes: None,
) -> dict[str, Any]:
    """Ask, stream, keep the exchange in the (sealed) history; the finished answer."""
    state = web(request)
    if conversation_id:
        info, _ = state.conversations.messages(conversation_id, user.id)
        collection = info.collection
    stream = state.appliance.ask(
        question, collection, who=user.caller(), reveal=reveal, cancel=cancel
    )
    if stream.extract:
        on_extract([q.as_json() for q in stream.extract])
    try:
        for delta in stream:
            on_delta(delta)
    finally:
        stream.close()
    answer = stream.result()
    notes = _notes(stream, answer.text, user.role)
    record = answer_record(stream, notes)
    unverified, extract = record["unverified"], record["extract"]
    texts, pseudonyms = state.appliance.for_history(
        stream.protected,
        [
            *stream.for_history(answer.text),
            *(s["text"] for s in unverified),
            *(q["text"] for q in extract),
        ],
    )
    asked, record["text"] = texts[0], texts[1]
    for item, text in zip([*unverified, *extract], texts[2:], strict=True):
        item["text"] = text
    record["pseudonyms"] = pseudonyms
    if not conversation_id:
        conversation_id = state.conversations.start(user.id, collection, asked)
    state.conversations.add(
        conversation_id, user.id, "user", {"text": asked, "pseudonyms": pseudonyms}
    )
    state.conversations.add(conversation_id, user.id, "assistant", record)
    # What this user sees now: revealed values where they asked and may.
    shown = {
        **record,
        "text": answer.text,
        "unverified": [s.as_json() for s in answer.unverified],
        "extract": [q.as_json() for q in answer.extract],
    }
    return {
        "conversation_id": conversation_id,
        "html": str(state.templates.env.get_template("_answer.html").render(m=shown)),
        **shown,
    }


def _blocked_note(exc: PiiBlocked) -> str:
    return f"Your question was blocked: {exc}"


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.get("/chat")
def chat_page(request: Request, collection: str = "", user: User = Depends(signed_in)) -> Response:
    return _chat_page(request, user, collection)


def _chat_page(
    request: Request,
    user: User,
    collection: str,
    conversation: Any = None,
    messages: list[dict[str, Any]] | None = None,
) -> Response:
    state = web(request)
    collections = usable_collections(request, user)
    refused = ""
    if collection not in user.access and conversation is None:
        # Never answer silently from another collection than the one asked for: say
        # so, and let the user pick one of theirs.
        refused = collection
        collection = collections[0]["name"] if collections else ""
    return state.render(
        request,
        "chat.html",
        collections=collections,
        chosen=collection,
        conversation=conversation,
        messages=messages or [],
        history=state.conversations.list_for(user.id),
        refused=refused,
    )


@router.get("/chat/{conversation_id}")
def conversation_page(
    request: Request, conversation_id: str, user: User = Depends(signed_in)
) -> Response:
    state = web(request)
    info, messages = state.conversations.messages(conversation_id, user.id)
    if info.collection not in user.access:
        # The grant was withdrawn since: the history stays the user's, sources do not.
        state.appliance.check_access(info.collection, user.caller())
    return _chat_page(request, user, info.collection, info, messages)


@router.post("/chat/{conversation_id}/delete")
def conversation_delete(
    request: Request, conversation_id: str, user: User = Depends(signed_in)
) -> Response:
    state = web(request)
    state.appliance.delete_conversation(conversation_id, user.id, user.caller())
    return RedirectResponse("/chat?done=conversation-deleted", status_code=303)


@router.post("/chat/ask")
async def ask(
    request: Request,
    question: str = Form(..., min_length=1, max_length=4000),
    collection: str = Form(""),
    conversation_id: str = Form("", max_length=32),
    reveal: bool = Form(False),
    user: User = Depends(signed_in),
) -> Response:
    state = web(request)
    state.limits.hit("chat", user.name, state.settings.chat_rate_per_minute)
    cancel = threading.Event()
    if "text/event-stream" not in request.headers.get("accept", ""):
        # Without script: answer in full, then show the conversation.
        result = await run_watching(
            request,
            cancel,
            _answer,
            request,
            user,
            question,
            collection,
            conversation_id,
            reveal,
            cancel,
            lambda _delta: None,
        )
        return RedirectResponse(f"/chat/{result['conversation_id']}", status_code=303)

    def work(put: Callable[[str | None], None]) -> None:
        try:
            result = _answer(
                request,
                user,
                question,
                collection,
                conversation_id,
                reveal,
                cancel,
                lambda delta: put(_sse("delta", {"text": delta})),
                lambda quotes: put(_sse("extract", {"quotes": quotes})),
            )
            put(_sse("done", result))
        except PiiBlocked as exc:
            put(_sse("blocked", {"message": _blocked_note(exc)}))
        except GenerationCancelled:
            pass
        except Exception as exc:
            put(_sse("failure", {"message": _failure_message(exc)}))

    return CancellingStream(
        thread_events(work),
        cancel,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _failure_message(exc: BaseException) -> str:
    """What the user reads: the message of a user error; for a fault of the server, a
    reference (the details go to the filtered log)."""
    return user_message(exc, "answer")
