"""Documents: upload (with progress), per-file status, delete, the cited page of a
source, the original file for roles the policy lets re-identify, the comparison of
two versions of a document, and summaries of a document or of a set of them."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from appliance.errors import NotAllowed
from appliance.ingest import SUPPORTED_SUFFIXES
from appliance.rag.summary_sets import MAX_SET_DOCUMENTS, set_ids
from appliance.store.schema import Access
from appliance.web.deps import User, signed_in, web
from appliance.web.routes.chat import usable_collections

router = APIRouter()
_UNSAFE = re.compile(r"[^\w.\- ()]+")
_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
    "md": "text/markdown",
    "txt": "text/plain",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "rtf": "application/rtf",
    "csv": "text/csv",
    "eml": "message/rfc822",
    "msg": "application/vnd.ms-outlook",
}


def _safe_name(name: str | None) -> str:
    """The file's own name without any folder part, in safe characters."""
    base = Path((name or "").replace("\\", "/")).name
    base = _UNSAFE.sub("_", base).strip(" .") or "upload"
    return base[-120:]


def _listing(request: Request, user: User, collection: str, **extra: Any) -> Response:
    state = web(request)
    collections = usable_collections(request, user)
    names = [c["name"] for c in collections]
    chosen = collection if collection in names else (names[0] if names else "")
    documents = []
    summaries = {}
    if chosen:
        state.appliance.check_access(chosen, user.caller())
        documents = state.appliance.documents(chosen)
        summaries = state.appliance.summary_states(chosen, who=user.caller())
    return state.render(
        request,
        "documents.html",
        extra.pop("status_code", 200),
        collections=collections,
        chosen=chosen,
        documents=documents,
        summaries=summaries,
        max_set=MAX_SET_DOCUMENTS,
        may_contribute=user.access.get(chosen) == Access.CONTRIBUTE,
        max_upload=state.settings.max_upload_bytes,
        accepted=",".join(sorted(SUPPORTED_SUFFIXES)),
        **extra,
    )


@router.get("/documents")
def documents_page(
    request: Request, collection: str = "", user: User = Depends(signed_in)
) -> Response:
    return _listing(request, user, collection)


@router.post("/documents/upload")
def upload(
    request: Request,
    collection: str = Form(...),
    files: list[UploadFile] = File(...),
    user: User = Depends(signed_in),
) -> Response:
    state = web(request)
    app = state.appliance
    app.check_access(collection, user.caller(), Access.CONTRIBUTE)
    state.limits.hit("upload", user.name, state.settings.chat_rate_per_minute)
    folder = Path(tempfile.mkdtemp(dir=state.spool))
    try:
        names: dict[Path, str] = {}
        for i, upload_file in enumerate(files):
            # One sub-folder per file keeps two files of the same name apart.
            name = _safe_name(upload_file.filename)
            target = folder / str(i) / name
            target.parent.mkdir(mode=0o700)
            with target.open("xb") as out:
                shutil.copyfileobj(upload_file.file, out, 1024 * 1024)
            names[target] = name
        results = app.ingest(list(names), collection, who=user.caller(), names=names)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rows = [
        {
            "file": names.get(r.path, r.path.name),
            "status": r.status,
            "ok": r.ok,
            "chunks": r.chunks,
            "pages": r.pages,
            # Errors name the spool file; the user knows the file by its own name.
            "error": (r.error or "").replace(str(r.path), names.get(r.path, r.path.name)),
            "document_id": r.document_id,
            "ocr_pages": list(r.ocr_pages),
            "pages_without_text": list(r.pages_without_text),
            # "pages 2-3 read by OCR; no text found on page 4"
            "note": r.extraction_note(),
        }
        for r in results
    ]
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"results": rows}, status_code=200)
    return _listing(request, user, collection, results=rows)


@router.post("/documents/{document_id}/delete")
def delete(request: Request, document_id: str, user: User = Depends(signed_in)) -> Response:
    app = web(request).appliance
    info = app.delete_document(document_id, who=user.caller())
    collection = next((c.name for c, _ in app.collections() if c.id == info.collection_id), "")
    return RedirectResponse(
        f"/documents?collection={quote(collection)}&done=document-deleted", status_code=303
    )


@router.get("/documents/compare")
def compare(
    request: Request,
    old: str = Query(..., max_length=64),
    new: str = Query(..., max_length=64),
    reveal: bool = False,
    user: User = Depends(signed_in),
) -> Response:
    """Two versions of a document side by side: changes, their summaries, moves."""
    state = web(request)
    app = state.appliance
    result = app.compare_documents(old, new, user.caller(), reveal=reveal)
    policies = [app.policy_of(app.document_collection(d)) for d in (old, new)]
    return state.render(
        request,
        "compare.html",
        result=result,
        counts=result.counts(),
        collection=app.document_collection(new),
        reveal=reveal,
        may_reveal=all(p.may_reidentify(user.role) for p in policies),
    )


@router.get("/documents/{document_id}/source")
def source(
    request: Request,
    document_id: str,
    page: int | None = None,
    hl: str = Query("", max_length=80, description="<chunk id>:<sentence> to highlight"),
    passage: str = Query("", max_length=200, description="the cited passage's chunk ids"),
    user: User = Depends(signed_in),
) -> Response:
    state = web(request)
    chunk, _, ordinal = hl.rpartition(":")  # chunk ids hold a colon themselves
    highlight = (chunk, int(ordinal)) if ordinal.isdigit() else None
    cited = set(passage.split(",")) if passage else set()
    app = state.appliance
    info, passages = app.document_page(document_id, page, user.caller())
    collection = app.document_collection(document_id)  # granted: checked just above
    may_download = app.policy_of(collection).may_reidentify(user.role)
    return state.render(
        request,
        "source.html",
        document=info,
        page=page,
        passages=passages,
        collection=collection,
        may_download=may_download,
        highlight=highlight,
        cited=cited,
    )


@router.get("/documents/{document_id}/original")
def original(request: Request, document_id: str, user: User = Depends(signed_in)) -> Response:
    app = web(request).appliance
    try:
        info, chunks = app.read_original(document_id, user.caller())
    except NotAllowed:
        raise NotAllowed(
            "the original file holds the personal data the appliance pseudonymises; your "
            "role may not download it under this collection's policy."
        ) from None
    name = _safe_name(info.source)
    return StreamingResponse(
        chunks,
        media_type=_TYPES.get(info.kind, "application/octet-stream"),
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@router.post("/documents/{document_id}/summarise")
def summarise(
    request: Request,
    document_id: str,
    resume: str = Form(""),
    user: User = Depends(signed_in),
) -> Response:
    """Start (or resume) a document's summary on a background thread; its page follows it."""
    state = web(request)
    state.limits.hit("summary", user.name, state.settings.chat_rate_per_minute)
    state.appliance.start_summary(document_id, who=user.caller(), resume=resume == "1")
    return RedirectResponse(f"/documents/{document_id}/summary", status_code=303)


@router.post("/documents/{document_id}/summary/cancel")
def summary_cancel(request: Request, document_id: str, user: User = Depends(signed_in)) -> Response:
    web(request).appliance.cancel_summary(document_id, who=user.caller())
    return RedirectResponse(f"/documents/{document_id}/summary", status_code=303)


@router.get("/documents/{document_id}/summary")
def summary_page(
    request: Request, document_id: str, reveal: bool = False, user: User = Depends(signed_in)
) -> Response:
    """The summary's progress (the page reloads itself while the job runs), or the
    summary with its citations, each linking to the cited page."""
    state = web(request)
    app = state.appliance
    job = app.summary_state(document_id, who=user.caller())
    collection = app.document_collection(document_id)  # granted: checked just above
    may_reveal = app.policy_of(collection).may_reidentify(user.role)
    summary = None
    if job is not None and job.status == "done":
        summary = app.read_summary(document_id, who=user.caller(), reveal=reveal and may_reveal)
    title = summary.title if summary else ""
    if not title:
        info = next((d for d in app.documents(collection) if d.id == document_id), None)
        title = info.title if info else document_id
    return state.render(
        request,
        "summary.html",
        document_id=document_id,
        title=title,
        collection=collection,
        job=job,
        summary=summary,
        may_reveal=may_reveal,
        revealed=reveal and may_reveal,
    )


# -- summaries of a set of documents ----------------------------------------------------


def _ids(values: list[str]) -> list[str]:
    """Document ids from form or query values, each one id or several joined by commas
    (duplicates removed); :class:`DocumentError` for none or too many."""
    return set_ids(part for value in values for part in value.split(","))


def _set_url(ids: list[str]) -> str:
    return f"/summaries?documents={quote(','.join(ids))}"


@router.post("/summaries")
def summarise_set(
    request: Request,
    documents: list[str] = Form([]),
    resume: str = Form(""),
    user: User = Depends(signed_in),
) -> Response:
    """Start (or resume) the summary of the documents ticked on the documents page; a
    set of one is that document's summary."""
    state = web(request)
    ids = _ids(documents)
    state.limits.hit("summary", user.name, state.settings.chat_rate_per_minute)
    if len(ids) == 1:
        state.appliance.start_summary(ids[0], who=user.caller(), resume=True)
        return RedirectResponse(f"/documents/{ids[0]}/summary", status_code=303)
    state.appliance.start_summary_set(ids, who=user.caller(), resume=resume == "1")
    return RedirectResponse(_set_url(ids), status_code=303)


@router.post("/summaries/cancel")
def summary_set_cancel(
    request: Request, documents: list[str] = Form([]), user: User = Depends(signed_in)
) -> Response:
    ids = _ids(documents)
    web(request).appliance.cancel_summary_set(ids, who=user.caller())
    return RedirectResponse(_set_url(ids), status_code=303)


@router.get("/summaries")
def summary_set_page(
    request: Request,
    documents: str = Query("", max_length=4000, description="document ids, comma-separated"),
    reveal: bool = False,
    user: User = Depends(signed_in),
) -> Response:
    """A set's progress (the page reloads itself while it runs), or its summary: the
    legend, the overview across the documents and each document's overview, every
    marker a link to the cited page of its document."""
    state = web(request)
    app = state.appliance
    ids = _ids([documents])
    job = app.summary_set_state(ids, who=user.caller())  # access checked here
    if len(ids) == 1:
        return RedirectResponse(f"/documents/{ids[0]}/summary", status_code=303)
    collections = [app.document_collection(d) for d in ids]
    may_reveal = all(app.policy_of(c).may_reidentify(user.role) for c in set(collections))
    summary = None
    if job.status == "done":
        summary = app.read_summary_set(ids, who=user.caller(), reveal=reveal and may_reveal)
    titles = {d.id: d.title for c in set(collections) for d in app.documents(c) if d.id in ids}
    return state.render(
        request,
        "summary_set.html",
        ids=ids,
        joined=",".join(ids),
        titles=titles,
        collection=collections[0],
        job=job,
        summary=summary,
        may_reveal=may_reveal,
        revealed=reveal and may_reveal,
    )
