"""The OpenAI-compatible API: /v1/models, /v1/chat/completions, /v1/embeddings (and
/v1/documents/compare, the appliance's own).

Tools that speak the OpenAI protocol point their ``base_url`` here and send a
user's API key as ``Authorization: Bearer``. Every request takes the same path
as the web UI: the caller's grants, the privacy policy's stages, the fair model
queue, the audit trail. RAG over a collection is chosen by the model id
``rag:<collection>`` (or an extra ``collection`` field); the answer then carries
its sources in an extra ``citations`` field that ordinary clients ignore.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeGuard

import numpy as np
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from appliance.errors import GenerationCancelled, NotAllowed, SummaryNotFound, error_kind
from appliance.llm import GenerationParams
from appliance.llm.engine import ChatMessage
from appliance.rag.answer import STOP_SEQUENCES
from appliance.rag.summary_sets import MAX_SET_DOCUMENTS
from appliance.store.schema import Role
from appliance.web.deps import SESSION_COOKIE, User, client_address, web
from appliance.web.faults import fault_message, user_message
from appliance.web.streaming import CancellingStream, run_watching, thread_events

router = APIRouter(prefix="/v1")
metrics_router = APIRouter()
RAG_PREFIX = "rag:"
MAX_EMBEDDING_INPUTS = 256
MAX_EMBEDDING_CHARS = 20_000
MAX_EMBEDDING_TOTAL_CHARS = 200_000


class ApiError(Exception):
    """An error answered in OpenAI's shape: {"error": {message, type, param, code}}."""

    def __init__(
        self,
        status: int,
        message: str,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.code = status, message, type_, code
        self.param, self.headers = param, headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


# -- who is calling -------------------------------------------------------------------


def api_user(request: Request) -> User:
    """The user behind ``Authorization: Bearer <API key>`` (cookies are not accepted
    here, so no other site can make a browser call the API)."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(
            401,
            "You didn't provide an API key. Send it as 'Authorization: Bearer KEY'; "
            "create one under Account > API keys.",
            code="invalid_api_key",
        )
    info = web(request).accounts.api_key_session(key.strip())
    if info is None:
        raise ApiError(
            401, "Incorrect API key provided (unknown or revoked).", code="invalid_api_key"
        )
    user = User(info, "", client_address(request))
    request.state.user = user
    return user


# -- models ---------------------------------------------------------------------------


def chat_model_id(request: Request) -> str:
    name = Path(web(request).settings.chat_model).name
    return name.removesuffix(".gguf")


def embedding_model_id(request: Request) -> str:
    """The embedder /v1/embeddings runs: ``embedding_model`` (the one of new collections)."""
    return web(request).settings.embedding_model


def _model(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "appliance"}


def _model_ids(request: Request, user: User) -> list[str]:
    return [
        chat_model_id(request),
        *(RAG_PREFIX + c for c in sorted(user.access)),
        embedding_model_id(request),
    ]


@router.get("/models")
def list_models(request: Request, user: User = Depends(api_user)) -> dict[str, Any]:
    return {"object": "list", "data": [_model(m) for m in _model_ids(request, user)]}


@router.get("/models/{model_id:path}")
def get_model(request: Request, model_id: str, user: User = Depends(api_user)) -> dict[str, Any]:
    if model_id not in _model_ids(request, user):
        raise _no_model(model_id)
    return _model(model_id)


def _no_model(model_id: str) -> ApiError:
    return ApiError(
        404,
        f"The model '{model_id}' does not exist or you do not have access to it.",
        code="model_not_found",
        param="model",
    )


# -- request bodies ------------------------------------------------------------------------

# An unpaired UTF-16 surrogate: JSON may escape one ("\ud800"), but it is no character and
# no text can be stored, encrypted or read with it (UTF-8 cannot encode it).
_SURROGATE = re.compile("[\ud800-\udfff]")


def _surrogate_in(value: object) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_surrogate_in(k) or _surrogate_in(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_surrogate_in(v) for v in value)
    return False


class ApiBody(BaseModel):
    """A request body of the API: unknown fields are kept (OpenAI's clients send more
    than the appliance reads) and text must be valid Unicode (a 400, not a 500, for an
    unpaired surrogate)."""

    model_config = ConfigDict(extra="allow")

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        if _surrogate_in(data):
            raise ValueError(
                "the request's text holds an unpaired UTF-16 surrogate (such as \\ud800), "
                "which is no character: send the text as valid Unicode"
            )
        return data


# -- chat completions ---------------------------------------------------------------------


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None


class ChatRequest(ApiBody):
    model: str = Field(..., max_length=200)
    messages: list[MessageIn] = Field(..., min_length=1, max_length=200)
    stream: bool = False
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    stop: str | list[str] | None = None
    seed: int | None = None
    frequency_penalty: float | None = Field(None, ge=-2.0, le=2.0)
    presence_penalty: float | None = Field(None, ge=-2.0, le=2.0)
    n: int = Field(1, ge=1)
    stream_options: dict[str, Any] | None = None
    collection: str | None = Field(None, max_length=64)  # extra: RAG over this collection


def _text(message: MessageIn) -> str:
    if message.content is None:
        return ""
    if isinstance(message.content, str):
        return message.content
    parts = []
    for part in message.content:
        if part.type != "text" or part.text is None:
            raise ApiError(
                400, f"content of type {part.type!r} is not supported; send text.", param="messages"
            )
        parts.append(part.text)
    return "\n".join(parts)


def _params(request: Request, body: ChatRequest, rag: bool) -> GenerationParams:
    """The request's generation settings; answers from a collection default to the
    appliance's answer budget and stop at the prompt's own markers as well."""
    settings = web(request).settings
    stops = [body.stop] if isinstance(body.stop, str) else list(body.stop or [])
    if len(stops) > 4:
        raise ApiError(400, "at most 4 stop sequences.", param="stop")
    if body.n != 1:
        raise ApiError(400, "only n = 1 is supported.", param="n")
    default_max = settings.answer_max_tokens if rag else settings.max_tokens
    return GenerationParams(
        max_tokens=body.max_completion_tokens or body.max_tokens or default_max,
        temperature=settings.temperature if body.temperature is None else body.temperature,
        top_p=0.95 if body.top_p is None else body.top_p,
        stop=tuple(stops) + (STOP_SEQUENCES if rag else ()),
        seed=body.seed,
        repeat_penalty=settings.repeat_penalty,
        frequency_penalty=body.frequency_penalty or 0.0,
        presence_penalty=body.presence_penalty or 0.0,
    )


def _target(request: Request, body: ChatRequest, user: User) -> str | None:
    """The collection to answer from (None: the plain model), access checked."""
    collection = body.collection
    if collection is None and body.model.startswith(RAG_PREFIX):
        collection = body.model[len(RAG_PREFIX) :]
    if collection is None:
        settings = web(request).settings
        if body.model not in (chat_model_id(request), Path(settings.chat_model).name):
            raise _no_model(body.model)
        return None
    try:
        web(request).appliance.check_access(collection, user.caller())
    except NotAllowed:
        raise _no_model(body.model) from None  # unknown and forbidden look alike
    return collection


class _Run:
    """One generation for the API: text, usage, citations and timings."""

    def __init__(self, request: Request, body: ChatRequest, user: User) -> None:
        self.request, self.body, self.user = request, body, user
        self.collection = _target(request, body, user)
        self.params = _params(request, body, self.collection is not None)
        self.messages: list[ChatMessage] = [
            {"role": "system" if m.role == "developer" else m.role, "content": _text(m)}
            for m in body.messages
            if m.role != "tool"
        ]
        if not any(m["role"] == "user" and m["content"].strip() for m in self.messages):
            raise ApiError(400, "the messages need at least one user message.", param="messages")
        self.cancel = threading.Event()
        self.id = "chatcmpl-" + uuid.uuid4().hex
        self.created = int(time.time())
        self.citations: list[dict[str, Any]] | None = None
        # Answers from a collection: each generated sentence's verdict and the
        # extractive answer (extra fields, like citations).
        self.verification: dict[str, Any] | None = None
        self.prompt_tokens = self.completion_tokens = 0
        self.text = ""

    def start(self) -> None:
        """The checks that answer with a status of their own (policy blocks, context
        length, a full queue) before any response starts, streamed or not."""
        app = web(self.request).appliance
        self.started = time.perf_counter()
        scheduler = app.scheduler
        scheduler.check_room(self.user.name)
        if self.collection is not None:
            question = next(m["content"] for m in reversed(self.messages) if m["role"] == "user")
            stream: Any = app.ask(
                question,
                self.collection,
                params=self.params,
                cancel=self.cancel,
                who=self.user.caller(),
            )
        else:
            stream = app.chat(
                self.messages, params=self.params, cancel=self.cancel, who=self.user.caller()
            )
        self.stream = stream

    def generate(self, on_delta: Callable[[str], None]) -> None:
        metrics = web(self.request).metrics
        start = self.started
        first: float | None = None
        stream = self.stream
        try:
            for delta in stream:
                if first is None:
                    first = time.perf_counter()
                    metrics.ttft.observe(first - start)
                on_delta(delta)
        finally:
            stream.close()
        if self.collection is not None:
            answer = stream.result()
            self.text = answer.text
            self.citations = [c.as_json() for c in answer.citations]
            full = answer.as_json()
            self.verification = {
                key: full[key]
                for key in ("answer_source", "sentences", "extract", "truncated", "stopped")
            }
            self.prompt_tokens = stream.prompt_tokens
            self.completion_tokens = int(stream.generation.get("completion_tokens", 0))
        else:
            self.text = stream.text
            self.prompt_tokens = stream.prompt_tokens
            self.completion_tokens = stream.completion_tokens
        end = time.perf_counter()
        metrics.tokens_in.inc(self.prompt_tokens)
        metrics.tokens_out.inc(self.completion_tokens)
        if first is not None and end > first and self.completion_tokens:
            metrics.rate.observe(self.completion_tokens / (end - first))

    @property
    def finish_reason(self) -> str:
        """As llama.cpp reported it ("length" when max_tokens cut the answer)."""
        reason = self.stream.generation.get("finish_reason") if self.stream else None
        return str(reason) if reason in ("stop", "length") else "stop"

    def usage(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }

    def chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.body.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


@router.post("/chat/completions")
async def chat_completions(
    request: Request, body: ChatRequest, user: User = Depends(api_user)
) -> Response:
    state = web(request)
    run = _Run(request, body, user)
    await run_in_threadpool(run.start)
    if not body.stream:
        try:
            await run_watching(request, run.cancel, run.generate, lambda _delta: None)
        finally:
            run.cancel.set()
        state.metrics.requests.labels("chat.completions", "200").inc()
        result: dict[str, Any] = {
            "id": run.id,
            "object": "chat.completion",
            "created": run.created,
            "model": body.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": run.text},
                    "finish_reason": run.finish_reason,
                }
            ],
            "usage": run.usage(),
            # Which model answered: the appliance's own, or an external one (gateway).
            "model_used": run.stream.model_used,
        }
        if run.citations is not None:
            result["citations"] = run.citations
            result.update(run.verification or {})
        return JSONResponse(result)

    include_usage = bool((body.stream_options or {}).get("include_usage"))

    def work(put: Callable[[str | None], None]) -> None:
        put(run.chunk({"role": "assistant", "content": ""}))
        try:
            run.generate(lambda delta: put(run.chunk({"content": delta})))
        except GenerationCancelled:
            return
        except Exception as exc:
            error = api_error_for(exc)
            state.metrics.errors.labels(error.type).inc()
            put(f"data: {json.dumps(error.body())}\n\n")
            put("data: [DONE]\n\n")
            return
        extra = (
            {"citations": run.citations, **(run.verification or {})}
            if run.citations is not None
            else {}
        )
        put(run.chunk({}, run.finish_reason, model_used=run.stream.model_used, **extra))
        if include_usage:
            usage = {
                "id": run.id,
                "object": "chat.completion.chunk",
                "created": run.created,
                "model": body.model,
                "choices": [],
                "usage": run.usage(),
            }
            put(f"data: {json.dumps(usage)}\n\n")
        put("data: [DONE]\n\n")
        state.metrics.requests.labels("chat.completions", "200").inc()

    return CancellingStream(
        thread_events(work),
        run.cancel,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# -- embeddings -----------------------------------------------------------------------


class EmbeddingRequest(ApiBody):
    model: str = Field(..., max_length=200)
    input: str | list[str] | list[int] | list[list[int]]
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = None


def _all_texts(items: list[str] | list[int] | list[list[int]]) -> TypeGuard[list[str]]:
    """Every input is a text (not tokens); tells the type checker so too."""
    return all(isinstance(t, str) for t in items)


@router.post("/embeddings")
def embeddings(
    request: Request, body: EmbeddingRequest, user: User = Depends(api_user)
) -> dict[str, Any]:
    state = web(request)
    if body.model != embedding_model_id(request):
        raise _no_model(body.model)
    texts = [body.input] if isinstance(body.input, str) else body.input
    if not texts or not _all_texts(texts):
        raise ApiError(
            400,
            "input must be a text or a list of texts (token arrays are not supported).",
            param="input",
        )
    if len(texts) > MAX_EMBEDDING_INPUTS:
        raise ApiError(400, f"at most {MAX_EMBEDDING_INPUTS} inputs per request.", param="input")
    if any(len(t) > MAX_EMBEDDING_CHARS or not t.strip() for t in texts):
        raise ApiError(
            400,
            f"each input must be non-empty and at most {MAX_EMBEDDING_CHARS} characters.",
            param="input",
        )
    if sum(len(t) for t in texts) > MAX_EMBEDDING_TOTAL_CHARS:
        raise ApiError(
            400, f"at most {MAX_EMBEDDING_TOTAL_CHARS} characters per request.", param="input"
        )
    state.limits.hit("embeddings", user.name, state.settings.chat_rate_per_minute * 10)
    vectors, tokens = state.appliance.embed(list(texts), who=user.caller())
    if body.dimensions is not None and body.dimensions != vectors.shape[1]:
        raise ApiError(
            400, f"this model's embeddings have {vectors.shape[1]} dimensions.", param="dimensions"
        )
    data = []
    for i, vec in enumerate(vectors):
        if body.encoding_format == "base64":
            value: Any = base64.b64encode(np.asarray(vec, dtype="<f4").tobytes()).decode()
        else:
            value = [float(x) for x in vec]
        data.append({"object": "embedding", "index": i, "embedding": value})
    state.metrics.requests.labels("embeddings", "200").inc()
    state.metrics.tokens_in.inc(tokens)
    return {
        "object": "list",
        "data": data,
        "model": body.model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


class CompareRequest(ApiBody):
    """``POST /v1/documents/compare``: two document ids, old then new."""

    model_config = ConfigDict(extra="ignore")
    old: str = Field(max_length=64)
    new: str = Field(max_length=64)
    reveal: bool = False
    summaries: bool = True


@router.post("/documents/compare")
def compare_documents(
    request: Request, body: CompareRequest, user: User = Depends(api_user)
) -> dict[str, Any]:
    """Two versions of a document compared section by section (``appliance compare``)."""
    state = web(request)
    state.limits.hit("compare", user.name, state.settings.chat_rate_per_minute)
    result = state.appliance.compare_documents(
        body.old, body.new, user.caller(), reveal=body.reveal, summarise=body.summaries
    )
    state.metrics.requests.labels("compare", "200").inc()
    return {"object": "document.comparison", **result.as_json()}


# -- document summaries ----------------------------------------------------------------


class SummaryRequest(ApiBody):
    resume: bool = False


@router.post("/documents/{document_id}/summary", status_code=202)
def start_summary(
    request: Request,
    document_id: str,
    body: SummaryRequest | None = None,
    user: User = Depends(api_user),
) -> dict[str, Any]:
    """Start (or, with ``resume``, take up) a document's summary on a background
    thread: 202 with the job's state; follow it with GET."""
    state = web(request)
    state.limits.hit("summary", user.name, state.settings.chat_rate_per_minute)
    resume = body.resume if body is not None else False
    job = state.appliance.start_summary(document_id, who=user.caller(), resume=resume)
    return {"object": "summary.job", **job.as_json()}


@router.get("/documents/{document_id}/summary")
def get_summary(
    request: Request, document_id: str, reveal: bool = False, user: User = Depends(api_user)
) -> dict[str, Any]:
    """The job's state and, once done, the summary (statements with section, page and
    verdict; ``text`` with the markers)."""
    app = web(request).appliance
    job = app.summary_state(document_id, who=user.caller())
    if job is None:
        raise SummaryNotFound(f"document {document_id!r} has not been summarised.")
    out: dict[str, Any] = {"object": "summary.job", **job.as_json(), "summary": None}
    if job.status == "done":
        summary = app.read_summary(document_id, who=user.caller(), reveal=reveal)
        out["summary"] = {**summary.as_json(), "text": summary.text()}
    return out


@router.post("/documents/{document_id}/summary/cancel")
def cancel_summary(
    request: Request, document_id: str, user: User = Depends(api_user)
) -> dict[str, Any]:
    """Stop the running job after its current step (it stays resumable)."""
    job = web(request).appliance.cancel_summary(document_id, who=user.caller())
    return {"object": "summary.job", **job.as_json()}


# -- summaries of a set of documents ------------------------------------------------------


class SummarySetRequest(ApiBody):
    """``POST /v1/summaries`` and ``/v1/summaries/cancel``: the set's document ids."""

    model_config = ConfigDict(extra="ignore")
    document_ids: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=4 * MAX_SET_DOCUMENTS
    )
    resume: bool = False


def _set_ids(value: str) -> list[str]:
    return [d for d in value.split(",") if d.strip()]


@router.post("/summaries", status_code=202)
def start_summary_set(
    request: Request, body: SummarySetRequest, user: User = Depends(api_user)
) -> dict[str, Any]:
    """Start (or take up) the summary of a set of documents on a background thread:
    202 with each document's job; follow it with GET."""
    state = web(request)
    state.limits.hit("summary", user.name, state.settings.chat_rate_per_minute)
    job = state.appliance.start_summary_set(
        body.document_ids, who=user.caller(), resume=body.resume
    )
    return {"object": "summary.set", **job.as_json(), "summary": None}


@router.get("/summaries")
def get_summary_set(
    request: Request,
    document_ids: str = Query(..., max_length=4000, description="ids, comma-separated"),
    reveal: bool = False,
    user: User = Depends(api_user),
) -> dict[str, Any]:
    """Each document's job and, once all are done, the set's summary (legend, overview
    with ``[d2, s3, p. 12]`` markers, each document's summary; ``text``)."""
    app = web(request).appliance
    ids = _set_ids(document_ids)
    job = app.summary_set_state(ids, who=user.caller())
    out: dict[str, Any] = {"object": "summary.set", **job.as_json(), "summary": None}
    if job.status == "done":
        summary = app.read_summary_set(ids, who=user.caller(), reveal=reveal)
        out["summary"] = {**summary.as_json(), "text": summary.text()}
    return out


@router.post("/summaries/cancel")
def cancel_summary_set(
    request: Request, body: SummarySetRequest, user: User = Depends(api_user)
) -> dict[str, Any]:
    """Stop the set: its running document after the current step, and the rest."""
    job = web(request).appliance.cancel_summary_set(body.document_ids, who=user.caller())
    return {"object": "summary.set", **job.as_json(), "summary": None}


# -- errors and metrics --------------------------------------------------------------------


def api_error_for(exc: BaseException) -> ApiError:
    """The OpenAI-shaped error of any exception met on the API."""
    if isinstance(exc, ApiError):
        return exc
    kind = error_kind(exc)
    if kind is None or kind.fault:
        return ApiError(500, fault_message(exc, "API"), "server_error")
    retry = getattr(exc, "retry_after", None)
    return ApiError(
        kind.http_status,
        user_message(exc, "API"),
        kind.type,
        kind.code,
        kind.param,
        headers={"Retry-After": str(retry)} if retry is not None else None,
    )


@metrics_router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text format, for administrators (API key or signed-in session)."""
    state = web(request)
    info = None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        info = state.accounts.api_key_session(header[7:].strip())
    else:
        info = state.accounts.session(request.cookies.get(SESSION_COOKIE, ""))
    if info is None:
        raise ApiError(401, "sign in or send an administrator's API key.", code="invalid_api_key")
    if info.account.role != Role.ADMIN:
        raise ApiError(
            403, "metrics are for administrators.", "permission_error", "permission_denied"
        )
    scheduler = state.appliance.scheduler_started
    usage = state.appliance.usage_totals()
    return Response(state.metrics.render(scheduler, usage), media_type="text/plain; version=0.0.4")
