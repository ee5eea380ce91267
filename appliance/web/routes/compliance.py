"""Compliance: search and verify the audit trail, download exports and bundles,
handle subject-access and erasure requests, the record of processing."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from appliance.errors import ApplianceError, NotAllowed
from appliance.gdpr import (
    ropa_markdown,
)
from appliance.store.schema import Role
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
    records, total = state.appliance.audit_read(
        user.caller(), page=page, page_size=PAGE_SIZE, **filters
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
        fingerprint=state.appliance.audit_public_key()[1],
        titles=state.appliance.audit_document_titles(records, user.caller()),
    )


@router.post("/audit/verify")
def audit_verify(request: Request, user: User = Depends(auditors)) -> Response:
    state = web(request)
    report = state.appliance.audit_verify(user.caller())
    records, total = state.appliance.audit_search(limit=PAGE_SIZE)
    return state.render(
        request,
        "audit.html",
        records=records,
        total=total,
        page=1,
        pages=max(1, -(-total // PAGE_SIZE)),
        form={},
        verify=report,
        fingerprint=state.appliance.audit_public_key()[1],
        titles=state.appliance.audit_document_titles(records, user.caller()),
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
    app = web(request).appliance
    if format != "bundle" and format not in FORMATS:
        raise ApplianceError(f"unknown format {format!r}; choose csv, jsonl, cef, ocsf or bundle.")
    folder = transient_dir()
    try:
        if format == "bundle":
            bundle = folder / f"audit-bundle-{_stamp()}"
            app.audit_export(bundle, "bundle", user.caller())
            archive = Path(
                shutil.make_archive(str(bundle), "zip", root_dir=folder, base_dir=bundle.name)
            )
            return _download(folder, archive, archive.name, "application/zip")
        ext = "jsonl" if format in ("jsonl", "ocsf") else "csv" if format == "csv" else "log"
        out = folder / f"audit-{format}-{_stamp()}.{ext}"
        app.audit_export(
            out,
            format,
            user.caller(),
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
        app.export_subject(_values(subjects), out, user.caller())
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
            plan = state.appliance.plan_erasure(values, user.caller())
            return state.render(
                request, "subjects.html", receipt=None, plan=plan.as_json(), typed=subjects
            )
        receipt = state.appliance.erase_subject(values, user.caller(), keep_documents=keep)
    except ApplianceError as exc:
        return _refused(request, exc, subjects, "erase")
    return state.render(request, "subjects.html", receipt=receipt.as_json(), plan=None, typed="")


@router.get("/ropa")
def ropa(request: Request, user: User = Depends(auditors)) -> Response:
    app = web(request).appliance
    text = ropa_markdown(app.record_of_processing(user.caller()))
    folder = transient_dir()
    out = folder / "record-of-processing.md"
    out.write_text(text, encoding="utf-8")
    return _download(folder, out, out.name, "text/markdown")
