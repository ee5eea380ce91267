"""Errors at the edges: one table says what each error becomes on the command line,
in the web UI and on /v1, and the docs list that same table."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

import appliance
from appliance.accounts import Accounts
from appliance.caller import Caller
from appliance.errors import (
    ERROR_TABLE,
    EXIT_BAD_INPUT,
    EXIT_CODES,
    EXIT_CONFIG,
    EXIT_KEYS,
    EXIT_NOT_FOUND,
    ApplianceError,
    CollectionNotFound,
    ErrorKind,
    KeyShredded,
    NotAllowed,
    Overloaded,
    PiiBlocked,
    RateLimited,
    StoreError,
    error_kind,
)
from appliance.web import create_app
from tests.conftest import make_app, run_cli
from tests.webtools import sign_in

PASSWORD = "amber-kettle-orbit-71"
REFERENCE = re.compile(r"Reference: ([0-9a-f]{12})\b")


def _all_error_classes() -> set[type[ApplianceError]]:
    """Every ApplianceError subclass defined anywhere in the package."""
    for module in pkgutil.walk_packages(appliance.__path__, "appliance."):
        if ".migrations" in module.name:  # alembic's env runs only inside a migration
            continue
        importlib.import_module(module.name)
    found: set[type[ApplianceError]] = set()
    todo: list[type[ApplianceError]] = [ApplianceError]
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("appliance.") and cls not in found:
            found.add(cls)
            todo.extend(cls.__subclasses__())
    return found


def _instance(cls: type[ApplianceError]) -> ApplianceError:
    """An error of ``cls`` whose message must never reach a user if it is a fault."""
    if issubclass(cls, PiiBlocked):
        return cls(["CREDIT_CARD"], "prompt", SimpleNamespace(name="banking"))  # type: ignore[arg-type]
    if issubclass(cls, RateLimited | Overloaded):
        return cls("come back later", 7)
    return cls("details at /srv/secret/path")


# -- the table --------------------------------------------------------------------------


def test_every_error_of_the_appliance_has_its_own_row() -> None:
    classes = _all_error_classes()
    assert {"PolicyError", "PiiBlocked", "AuditExportError", "RequestTooLarge"} <= {
        c.__name__ for c in classes
    }
    missing = sorted(c.__qualname__ for c in classes if c not in ERROR_TABLE)
    assert missing == [], f"add a row to ERROR_TABLE for {missing}"
    for kind in ERROR_TABLE.values():
        assert kind.exit_code in EXIT_CODES and kind.exit_code not in (0, 1, 2)
    # Resolution follows the class hierarchy; anything else is a fault (None).
    assert error_kind(_instance(CollectionNotFound)) is ERROR_TABLE[CollectionNotFound]
    assert error_kind(RuntimeError("bug")) is None
    assert _instance(StoreError).exit_code == EXIT_CONFIG


def test_the_old_import_places_still_work() -> None:
    from appliance.audit.export import AuditExportError
    from appliance.privacy import PiiBlocked as FromPrivacy
    from appliance.privacy import PolicyError
    from appliance.web.security import RequestTooLarge

    for cls in (AuditExportError, FromPrivacy, PolicyError, RequestTooLarge):
        assert cls in ERROR_TABLE


# -- the command line -----------------------------------------------------------------------


def test_each_kind_of_failure_has_its_exit_code(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_cli("init", data_dir=data).returncode == 0, "init"
    # An administrator names a collection that does not exist.
    proc = run_cli("collections", "set-policy", "nope", "default", data_dir=data)
    assert proc.returncode == EXIT_NOT_FOUND, proc.stderr
    assert proc.stderr.startswith("error: ") and "nope" in proc.stderr
    # A policy name that is no policy: bad input.
    proc = run_cli("collections", "create", "hr", "--policy", "no-such-policy", data_dir=data)
    assert proc.returncode == EXIT_BAD_INPUT, proc.stderr
    # The wrong secret for this data directory.
    proc = run_cli(
        "documents",
        "list",
        data_dir=data,
        env={"APPLIANCE_PASSPHRASE": "a wrong but long passphrase"},
        unset=("APPLIANCE_KEY_FILE",),
    )
    assert proc.returncode == EXIT_KEYS, proc.stderr
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    # A setting that cannot be read.
    (data / "appliance.toml").write_text("[llm]\nn_ctx = 'big'\n")
    proc = run_cli("documents", "list", data_dir=data)
    assert proc.returncode == EXIT_CONFIG, proc.stderr
    assert "n_ctx" in proc.stderr


# -- the web UI and /v1 ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A web app over a real data directory; no model is needed to meet these errors."""
    app = make_app(tmp_path_factory.mktemp("errors") / "data", None, None)
    who = Caller.local()
    accounts = Accounts(app.db, app.audit, app.settings)
    accounts.create_user("ada", "admin", who, password=PASSWORD)
    key = accounts.create_api_key("ada", "tests", who)
    web = create_app(app, maintenance=False)
    with TestClient(web):
        yield SimpleNamespace(app=app, web=web, key=key)
    app.close()


def _raising(exc: BaseException) -> Any:
    def fail(*args: object, **kwargs: object) -> None:
        raise exc

    return fail


@pytest.mark.parametrize("cls", list(ERROR_TABLE), ids=lambda c: c.__name__)
def test_the_api_answers_each_error_as_the_table_says(
    site: Any, monkeypatch: pytest.MonkeyPatch, cls: type[ApplianceError]
) -> None:
    kind: ErrorKind = ERROR_TABLE[cls]
    monkeypatch.setattr(site.web.state.web.accounts, "api_key_session", _raising(_instance(cls)))
    client = TestClient(site.web, raise_server_exceptions=False)
    r = client.get("/v1/models", headers={"Authorization": f"Bearer {site.key}"})
    assert r.status_code == kind.http_status
    error = r.json()["error"]
    assert (error["type"], error["code"], error["param"]) == (kind.type, kind.code, kind.param)
    if kind.fault:
        assert REFERENCE.search(error["message"]) and "/srv/secret" not in error["message"]
    if issubclass(cls, RateLimited | Overloaded):
        assert r.headers["retry-after"] == "7"


@pytest.mark.parametrize(
    ("error", "status", "title"),
    [
        (NotAllowed("only administrators"), 403, "Not allowed"),
        (CollectionNotFound("no collection named 'x'"), 404, "Not found"),
        (KeyShredded("data key 12 was shredded"), 410, "This item was deleted or erased."),
        (RateLimited("too many requests", 7), 429, "Slow down"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_the_pages_show_the_status_of_the_table(
    site: Any, monkeypatch: pytest.MonkeyPatch, error: ApplianceError, status: int, title: str
) -> None:
    client = TestClient(site.web, raise_server_exceptions=False)
    assert sign_in(client, "ada", PASSWORD).status_code == 303
    monkeypatch.setattr(site.app, "read_original", _raising(error))
    r = client.get("/documents/d-1/original")
    assert r.status_code == ERROR_TABLE[type(error)].http_status == status
    assert title in r.text
    if isinstance(error, RateLimited):
        assert r.headers["retry-after"] == "7"


def test_a_fault_shows_a_reference_logged_with_the_details(
    site: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Read the web's log at its own logger, whatever an earlier test of the session did
    # to the logging configuration (the root's capture missed these records once, in
    # a full run only).
    logger = logging.getLogger("appliance.web")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    monkeypatch.setattr(logger, "disabled", False)
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        _fault_references_are_logged(site, monkeypatch, records)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _fault_references_are_logged(
    site: Any, monkeypatch: pytest.MonkeyPatch, records: list[logging.LogRecord]
) -> None:
    client = TestClient(site.web, raise_server_exceptions=False)
    assert sign_in(client, "ada", PASSWORD).status_code == 303
    seen = []
    for exc in (StoreError("database at /srv/secret/db locked"), RuntimeError("/srv/secret bug")):
        monkeypatch.setattr(site.app, "read_original", _raising(exc))
        page = client.get("/documents/d-1/original")
        monkeypatch.setattr(site.web.state.web.accounts, "api_key_session", _raising(exc))
        api = client.get("/v1/models", headers={"Authorization": f"Bearer {site.key}"})
        assert page.status_code == api.status_code == 500
        assert api.json()["error"]["type"] == "server_error"
        for text in (page.text, api.json()["error"]["message"]):
            assert "/srv/secret" not in text and "Traceback" not in text
            ref = REFERENCE.search(text)
            assert ref, text
            seen.append(ref.group(1))
        # The same words on both edges: one helper writes them.
        assert REFERENCE.sub("", api.json()["error"]["message"]) in REFERENCE.sub("", page.text)
    assert len(set(seen)) == len(seen)
    logged = " ".join(r.getMessage() for r in records)
    assert all(f"ref {ref}" in logged for ref in seen)


def test_a_streamed_answer_that_fails_says_the_same_as_the_pages() -> None:
    from appliance.web.routes.chat import _failure_message

    fault = _failure_message(StoreError("database at /srv/secret/db locked"))
    assert REFERENCE.search(fault) and "/srv/secret" not in fault
    assert _failure_message(NotAllowed("only administrators")) == "only administrators"
    assert _failure_message(KeyShredded("key 12")) == ERROR_TABLE[KeyShredded].public_message
