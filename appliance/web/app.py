"""The FastAPI application: one :class:`Appliance` per process, shared by every request."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from appliance import __version__
from appliance.accounts import Accounts
from appliance.config import Settings
from appliance.errors import ApplianceError, error_kind
from appliance.files import ensure_private_dir
from appliance.rag.conversations import ConversationStore
from appliance.service import Appliance
from appliance.web.deps import (
    CsrfFailed,
    PasswordChangeRequired,
    SignInRequired,
)
from appliance.web.faults import fault_message, user_message
from appliance.web.metrics import Metrics
from appliance.web.render import (
    answer_html,
    basename,
    duration_ms,
    money,
    page_context,
    passage_html,
    quote_href,
    size,
    source_href,
    when,
)
from appliance.web.security import BodyLimit, RateLimits, SecurityHeaders, security_headers

log = logging.getLogger("appliance.web")
HERE = Path(__file__).parent


@dataclass
class WebState:
    appliance: Appliance
    templates: Jinja2Templates
    # Where this process spools uploads (inside the data directory's incoming/).
    spool: Path
    # Counted in this process (memory://) or across all of them (Redis): the setting
    # rate_limit_storage_url.
    limits: RateLimits = field(default_factory=RateLimits)
    metrics: Metrics = field(default_factory=Metrics)
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def settings(self) -> Settings:
        return self.appliance.settings

    @property
    def accounts(self) -> Accounts:
        """Users, groups, grants, sessions and API keys (each change recorded)."""
        return self.appliance.accounts

    @property
    def conversations(self) -> ConversationStore:
        """Staff's chat history, sealed per conversation."""
        return self.appliance.conversations

    def render(
        self, request: Request, template: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        return self.templates.TemplateResponse(
            request, template, page_context(request, context), status_code=status_code
        )


def _spool_name(host: str, pid: int) -> str:
    return f"{host}-{pid}"


def _spool_in_use(name: str) -> bool:
    """Whether ``name`` in incoming/ is the spool of a live web process: another
    machine's (left to it: its next start clears its own), or this machine's whose
    process still runs."""
    host, _, pid = name.rpartition("-")
    if not host or not pid.isdigit():
        return False
    if host != socket.gethostname():
        return True
    return psutil.pid_exists(int(pid))


def _upkeep_loop(state: WebState) -> None:
    """Every ``upkeep_tick_seconds``, the scheduled jobs that are due (each job keeps
    its own interval; with several server processes one of them runs each job)."""
    while not state.stop.wait(state.settings.upkeep_tick_seconds):
        try:
            state.appliance.run_due_jobs()
        except Exception:  # the job table unreachable: logged, tried again next tick
            log.exception("scheduled upkeep failed")


def _warm_detector(appliance: Appliance) -> None:
    """Load the PII detector and its tables at start, in the background, so that the
    first question or upload does not wait 2–4 s for them (spaCy's pipelines, the
    gazetteer, the word lists). A failure is logged; the first request then reports it."""
    try:
        appliance.detector_loaded().warm()
    except Exception:
        log.warning("the PII detector could not be loaded at start", exc_info=True)


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept or "text/event-stream" in accept


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    state: WebState = request.app.state.web
    return state.render(request, "error.html", status, title=title, message=message)


def _fault_page(request: Request, exc: BaseException) -> Response:
    """A fault of the server, not of the request: a reference for the administrator,
    the details only in the (filtered) server log."""
    message = fault_message(exc, request.url.path)
    response = _error_page(request, 500, "Something went wrong", message)
    state: WebState = request.app.state.web
    # Sent outside the middleware stack: the security headers are added here.
    for name, value in security_headers(state.settings.tls).items():
        response.headers.setdefault(name, value)
    response.headers["Cache-Control"] = "no-store"
    return response


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/v1/") or request.url.path == "/metrics"


def _api_error(request: Request, exc: BaseException) -> Response:
    """Errors of the OpenAI-compatible API, in OpenAI's shape."""
    from appliance.web.routes.api import ApiError, api_error_for

    if isinstance(exc, RequestValidationError):
        problems = exc.errors()
        if any(p.get("type") == "json_invalid" for p in problems):
            error = ApiError(400, "We could not parse the JSON body of your request.")
        else:
            where = ".".join(str(x) for x in problems[0].get("loc", ())[1:]) if problems else ""
            message = problems[0].get("msg", "invalid request") if problems else "invalid request"
            error = ApiError(400, f"{where}: {message}" if where else message, param=where or None)
    elif isinstance(exc, StarletteHTTPException):
        too_large = request.scope.get("state", {}).get("body_too_large")
        error = ApiError(413 if too_large else exc.status_code, too_large or str(exc.detail))
    else:
        error = api_error_for(exc)
    state: WebState = request.app.state.web
    state.metrics.errors.labels(error.type).inc()
    # A fixed set of labels: arbitrary paths must not grow the metrics without bound.
    endpoint = {
        "/v1/chat/completions": "chat.completions",
        "/v1/embeddings": "embeddings",
        "/metrics": "metrics",
    }.get(request.url.path, "models" if request.url.path.startswith("/v1/models") else "other")
    state.metrics.requests.labels(endpoint, str(error.status)).inc()
    return error.response()


def _install_handlers(app: FastAPI) -> None:
    from appliance.web.routes.api import ApiError

    @app.exception_handler(ApiError)
    async def _openai_error(request: Request, exc: ApiError) -> Response:
        return _api_error(request, exc)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        if _is_api(request):
            return _api_error(request, exc)
        if _wants_json(request):
            return JSONResponse({"error": "sign in first"}, status_code=401)
        # A form sent after the session expired comes back to the page it was on.
        back = request.url.path if request.method == "GET" else "/chat"
        if request.method == "GET" and request.url.query:
            back += "?" + request.url.query
        return RedirectResponse(f"/signin?next={quote(back, safe='')}", status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    async def _password(request: Request, exc: PasswordChangeRequired) -> Response:
        if _is_api(request):
            return _api_error(request, exc)
        if _wants_json(request):
            return JSONResponse({"error": "change your password first"}, status_code=403)
        return RedirectResponse("/account/password", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        if _is_api(request):
            return _api_error(request, exc)
        return _error_page(
            request,
            403,
            "Form expired",
            "This form is out of date or came from another site. Reload the page and try again.",
        )

    @app.exception_handler(ApplianceError)
    async def _user_error(request: Request, exc: ApplianceError) -> Response:
        """A page with the status and title of errors.ERROR_TABLE (OpenAI's shape on
        the API); Retry-After where the error says when to come back."""
        if _is_api(request):
            return _api_error(request, exc)
        kind = error_kind(exc)
        assert kind is not None  # the table has a row for ApplianceError itself
        if kind.fault:
            return _fault_page(request, exc)
        response = _error_page(
            request, kind.http_status, kind.title, user_message(exc, request.url.path)
        )
        retry = getattr(exc, "retry_after", None)
        if retry is not None:
            response.headers["Retry-After"] = str(retry)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return _api_error(request, exc)
        fields = ", ".join(str(e.get("loc", ["?"])[-1]) for e in exc.errors())
        return _error_page(request, 400, "Incomplete form", f"missing or invalid: {fields}.")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            return _api_error(request, exc)
        too_large = request.scope.get("state", {}).get("body_too_large")
        if too_large:  # the form parser's 400 hides the size limit's refusal
            return _error_page(request, 413, "Upload too large", too_large)
        titles = {404: "Not found", 405: "Not allowed here"}
        return _error_page(
            request, exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail)
        )

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return _api_error(request, exc)
        return _fault_page(request, exc)


def create_app(appliance: Appliance, *, maintenance: bool = True) -> FastAPI:
    """The web application over an opened :class:`Appliance`."""
    appliance.open()
    settings = appliance.settings
    # Uploads are spooled inside the private data directory, not in a shared /tmp, in
    # a folder of this process's own: another web process sharing the data directory
    # keeps its uploads under way.
    ensure_private_dir(settings.incoming_dir)
    spool = settings.incoming_dir / _spool_name(socket.gethostname(), os.getpid())
    for leftover in settings.incoming_dir.iterdir():  # a crash's uploads, in clear
        if leftover != spool and _spool_in_use(leftover.name):
            continue
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            with suppress(OSError):
                leftover.unlink()
    ensure_private_dir(spool)
    tempfile.tempdir = str(spool)
    # The web's and the server's loggers get the privacy filter too (tracebacks included).
    for logger_name in ("appliance", "uvicorn"):
        appliance.filter_logs(logger_name)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["when"] = when
    templates.env.filters["size"] = size
    templates.env.filters["basename"] = basename
    templates.env.filters["money"] = money
    templates.env.filters["duration_ms"] = duration_ms
    templates.env.globals["answer_html"] = answer_html
    templates.env.globals["source_href"] = source_href
    templates.env.globals["quote_href"] = quote_href
    templates.env.globals["passage_html"] = passage_html
    limits = RateLimits(settings.rate_limit_storage_url, appliance.rate_limit_name)
    state = WebState(appliance, templates, spool, limits=limits)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Requests waiting for the model wait in threads: enough of them that a full
        # queue never starves the other pages (and the queue, not the pool, says 429).
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        import anyio.to_thread

        workers = settings.queue_max + settings.engine_instances + 40
        anyio.to_thread.current_default_thread_limiter().total_tokens = workers
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="appliance")
        )
        appliance.service_started()
        threading.Thread(
            target=_warm_detector, args=(appliance,), name="warm-detector", daemon=True
        ).start()
        worker = None
        if maintenance:
            worker = threading.Thread(
                target=_upkeep_loop, args=(state,), name="upkeep", daemon=True
            )
            worker.start()
        try:
            yield
        finally:
            state.stop.set()
            if worker is not None:  # a job under way may finish (its lease ends it anyway)
                worker.join(timeout=10)
            appliance.service_stopping()

    app = FastAPI(
        title="Private AI appliance",
        version=__version__,
        lifespan=lifespan,
        # The interactive docs load scripts from a CDN: off (air-gapped, strict CSP).
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.web = state
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    from appliance.web.routes import admin, api, auth, chat, compliance, documents

    for module in (auth, chat, documents, compliance, admin, api):
        app.include_router(module.router)
    app.include_router(api.metrics_router)
    _install_handlers(app)
    # Outermost last: headers on every response, the size limit before any parsing.
    # The whole request: the files plus a little for the form's other fields.
    app.add_middleware(BodyLimit, limit=lambda: settings.max_upload_bytes + 64 * 1024)
    app.add_middleware(SecurityHeaders, tls=settings.tls)
    return app


__all__ = ["WebState", "create_app"]
