"""Compliance: search and verify the audit trail, download exports and bundles,
handle subject-access and erasure requests, the record of processing."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import select
from starlette.background import BackgroundTask

from appliance.errors import ApplianceError, NotAllowed
from appliance.gdpr import (
    erase_subject,
    export_subject,
    plan_erasure,
    record_of_processing,
    ropa_markdown,
)
from appliance.store.schema import Collection, Document, Role
from appliance.web.deps import User, require_role, web

router = APIRouter(prefix="/compliance")
PAGE_SIZE = 50
auditors = require_role(Role.COMPLIANCE, Role.ADMIN)
officers = require_role(Role.COMPLIANCE)
FORMATS = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv",
    "cef": "text/plain",
    "ocsf": "application/x-ndjson",
}


def transient_dir() -> Path:
    """A private folder for a file on its way to the browser, outside the data
    directory (exports hold values in clear); in memory (/dev/shm) where there is one."""
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="appliance-", dir=base or "/tmp"))


def _download(folder: Path, path: Path, name: str, media_type: str) -> FileResponse:
    return FileResponse(
        path,
        media_type=media_type,
        filename=name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _iso(value: str) -> str | None:
    """An RFC 3339 bound from a date or datetime field (empty: none)."""
    value = value.strip()
    if not value:
        return None
    if len(value) == 10:  # a date: the whole day
        return value + "T00:00:00.000Z"
    return value.replace(" ", "T")[:19] + ".000Z"


_DOCUMENT_REF = re.compile(r"document:([0-9a-f]{8,64})")


def document_titles(app, records: list[dict], user: User) -> dict[str, str]:  # type: ignore[no-untyped-def,type-arg]
    """document id -> title (as stored, with placeholders) for the documents the records
    name, where the viewer may read the document's collection; others stay ids."""
    ids = {m.group(1) for r in records for m in _DOCUMENT_REF.finditer(r.get("resource") or "")}
    if not ids:
        return {}
    caller = user.caller()
    out = {}
    with app.db.session() as s:
        rows = s.execute(
            select(Document, Collection.name)
            .join(Collection, Collection.id == Document.collection_id)
            .where(Document.id.in_(ids))
        ).all()
    for doc, collection in rows:
        if caller.may(collection):
            try:
                out[doc.id] = app.vault.open_document(doc).title
            except ApplianceError:  # deleted or erased since: the id is all there is
                continue
    return out


@router.get("/audit")
def audit_page(
    request: Request,
    since: str = "",
    until: str = "",
    actor: str = "",
    action: str = "",
    outcome: str = "",
    page: int = 1,
    user: User = Depends(auditors),
) -> Response:
    state = web(request)
    trail = state.appliance.audit
    page = max(page, 1)
    until_bound = _iso(until)
    if until_bound and len(until.strip()) == 10:
        until_bound = until.strip() + "T23:59:59.999Z"
    filters = {
        "since": _iso(since),
        "until": until_bound,
        "actor": actor.strip() or None,
        "action": action.strip() or None,
        "outcome": outcome if outcome in ("success", "failure") else None,
    }
    records, total = trail.search(**filters, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    # Reading the trail is itself recorded.
    trail.append(
        "audit.read",
        **user.caller().audit_fields(),
        filters={k: v for k, v in filters.items() if v},
        page=page,
    )
    return state.render(
        request,
        "audit.html",
        records=records,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        form={"since": since, "until": until, "actor": actor, "action": action, "outcome": outcome},
        verify=None,
        fingerprint=trail.public_key()[1],
        titles=document_titles(state.appliance, records, user),
    )


@router.post("/audit/verify")
def audit_verify(request: Request, user: User = Depends(auditors)) -> Response:
    state = web(request)
    report = state.appliance.audit.verify_as(user.caller())
    records, total = state.appliance.audit.search(limit=PAGE_SIZE)
    return state.render(
        request,
        "audit.html",
        records=records,
        total=total,
        page=1,
        pages=max(1, -(-total // PAGE_SIZE)),
        form={},
        verify=report,
        fingerprint=state.appliance.audit.public_key()[1],
        titles=document_titles(state.appliance, records, user),
    )


@router.post("/audit/export")
def audit_export(
    request: Request,
    format: str = Form("csv"),
    since: str = Form(""),
    until: str = Form(""),
    actor: str = Form(""),
    action: str = Form(""),
    user: User = Depends(auditors),
) -> Response:
    trail = web(request).appliance.audit
    if format != "bundle" and format not in FORMATS:
        raise ApplianceError(f"unknown format {format!r}; choose csv, jsonl, cef, ocsf or bundle.")
    folder = transient_dir()
    try:
        if format == "bundle":
            bundle = folder / f"audit-bundle-{_stamp()}"
            trail.export_as(user.caller(), bundle, "bundle")
            archive = Path(
                shutil.make_archive(str(bundle), "zip", root_dir=folder, base_dir=bundle.name)
            )
            return _download(folder, archive, archive.name, "application/zip")
        ext = "jsonl" if format in ("jsonl", "ocsf") else "csv" if format == "csv" else "log"
        out = folder / f"audit-{format}-{_stamp()}.{ext}"
        trail.export_as(
            user.caller(),
            out,
            format,
            since=_iso(since),
            until=_iso(until),
            actor=actor.strip() or None,
            action=action.strip() or None,
        )
        return _download(folder, out, out.name, FORMATS[format])
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


@router.get("/subjects")
def subjects_page(request: Request, user: User = Depends(officers)) -> Response:
    return web(request).render(request, "subjects.html", receipt=None, plan=None, typed="")


def _values(text: str) -> list[str]:
    values = [line.strip() for line in text.splitlines() if line.strip()]
    if not values:
        raise ApplianceError("give at least one name or identifier of the person.")
    return values[:20]


def _refused(request: Request, exc: ApplianceError, typed: str, form: str) -> Response:
    """The subjects page again with the error beside the form, and what was typed kept."""
    status = 403 if isinstance(exc, NotAllowed) else 400
    return web(request).render(
        request,
        "subjects.html",
        status_code=status,
        receipt=None,
        plan=None,
        typed=typed,
        error={"form": form, "message": str(exc)},
    )


@router.post("/subjects/export")
def subject_export(
    request: Request, subjects: str = Form(..., max_length=4000), user: User = Depends(officers)
) -> Response:
    app = web(request).appliance
    folder = transient_dir()
    out = folder / f"subject-access-{_stamp()}.zip"
    try:
        export_subject(app, _values(subjects), out, user.caller())
    except ApplianceError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return _refused(request, exc, subjects, "export")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return _download(folder, out, out.name, "application/zip")


@router.post("/subjects/erase")
def subject_erase(
    request: Request,
    subjects: str = Form(..., max_length=4000),
    confirm: bool = Form(False),
    keep: list[str] = Form([]),
    user: User = Depends(officers),
) -> Response:
    """Without ``confirm``: the plan (documents to delete, documents that keep a
    placeholder; each deletion can be turned into a placeholder). With it: the erasure."""
    state = web(request)
    try:
        values = _values(subjects)
        if not confirm:
            plan = plan_erasure(state.appliance, values, user.caller())
            return state.render(
                request, "subjects.html", receipt=None, plan=plan.as_json(), typed=subjects
            )
        receipt = erase_subject(state.appliance, values, user.caller(), keep_documents=keep)
    except ApplianceError as exc:
        return _refused(request, exc, subjects, "erase")
    return state.render(request, "subjects.html", receipt=receipt.as_json(), plan=None, typed="")


@router.get("/ropa")
def ropa(request: Request, user: User = Depends(auditors)) -> Response:
    app = web(request).appliance
    text = ropa_markdown(record_of_processing(app))
    folder = transient_dir()
    out = folder / "record-of-processing.md"
    out.write_text(text, encoding="utf-8")
    app.audit.append("gdpr.ropa", **user.caller().audit_fields())
    return _download(folder, out, out.name, "text/markdown")
