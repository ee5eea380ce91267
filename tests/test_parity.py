"""One door per act: the same act performed through the CLI and through the web UI
leaves the same audit records (action, outcome, resource, the detail's fields).

Two data directories: one driven by the real ``appliance`` command (subprocesses),
one by the web application (HTTP through a test client). Each act is performed on
both; the records each side appended are compared. Who acted (the shell's user or
the signed-in user, their role and address) differs by design and is left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from appliance.caller import Caller
from appliance.web import create_app
from tests.conftest import make_app, run_cli
from tests.test_at_rest import PEOPLE, write_records
from tests.webtools import ask_stream, csrf_of, sign_in

ADA, OLGA = "amber-kettle-orbit-71", "granite-meadow-lantern-93"
_ID = re.compile(r"[0-9a-f]{12,64}")
# Written by the machinery, not by an act: signed checkpoints.
_NOT_ACTS = {"audit.checkpoint"}


def shape(record: dict[str, Any]) -> tuple[str, str, str, tuple[str, ...]]:
    """What must match between two doors: the act, its outcome, what it touched
    (ids of documents and keys differ between two directories; a file written is
    named by whoever asked) and the detail's fields."""
    resource = _ID.sub("<id>", record.get("resource") or "")
    if resource and ":" not in resource:  # a file: "trail.csv", "audit-csv-….csv"
        resource = "<file>"
    return (record["action"], record["outcome"], resource, tuple(sorted(record["detail"])))


@dataclass
class Side:
    """One data directory and a way to read what its trail gained."""

    app: Any
    seen: int = 0

    def new_records(self) -> list[tuple[str, str, str, tuple[str, ...]]]:
        records = list(self.app.audit.records())
        fresh, self.seen = records[self.seen :], len(records)
        return [shape(r) for r in fresh if r["action"] not in _NOT_ACTS]


@dataclass
class Twins:
    cli_dir: Path
    cli: Side
    web: Side
    admin: TestClient
    officer: TestClient
    root: Path

    def run(self, *args: str, stdin: str | None = None) -> str:
        proc = run_cli(*args, data_dir=self.cli_dir, stdin=stdin)
        assert proc.returncode == 0, f"appliance {' '.join(args)}: {proc.stderr}"
        return proc.stdout

    def post(self, client: TestClient, url: str, **form: Any) -> Any:
        """A form posted as the page would (the session's CSRF token, from a page
        that records nothing)."""
        token = csrf_of(client.get("/account/password").text)
        response = client.post(url, data={"csrf": token, **form}, follow_redirects=False)
        assert response.status_code in (200, 303), f"{url}: {response.status_code}"
        return response

    def same(self, cli_act: Callable[[], object], web_act: Callable[[], object]) -> list[Any]:
        self.cli.new_records()
        self.web.new_records()
        cli_act()
        web_act()
        by_cli, by_web = self.cli.new_records(), self.web.new_records()
        assert by_cli, "the CLI's act left no record"
        assert by_cli == by_web, f"CLI: {by_cli}\nweb: {by_web}"
        return by_cli


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory, embedder, engine):
    root = tmp_path_factory.mktemp("parity")
    cli_dir = root / "cli"
    assert run_cli("init", data_dir=cli_dir).returncode == 0
    cli_app = make_app(cli_dir, embedder, engine)
    web_app = make_app(root / "web", embedder, engine, signin_rate_per_minute=1000)
    who = Caller.local()
    web_app.accounts.create_user("ada", "admin", who, password=ADA)
    web_app.accounts.create_user("olga", "compliance_officer", who, password=OLGA)
    for name in ("ada", "olga"):  # the same accounts on both sides
        proc = run_cli(
            "users",
            "create",
            name,
            "--role",
            "admin" if name == "ada" else "compliance_officer",
            "--password-stdin",
            data_dir=cli_dir,
            stdin=(ADA if name == "ada" else OLGA) + "\n",
        )
        assert proc.returncode == 0, proc.stderr
    web = create_app(web_app, maintenance=False)
    with TestClient(web, raise_server_exceptions=False) as admin:
        assert sign_in(admin, "ada", ADA).status_code == 303
        officer = TestClient(web, raise_server_exceptions=False)
        assert sign_in(officer, "olga", OLGA).status_code == 303
        yield Twins(cli_dir, Side(cli_app), Side(web_app), admin, officer, root)
    cli_app.close()
    web_app.close()


def test_collections_are_created_configured_and_granted_alike(twins: Twins) -> None:
    t = twins
    t.same(
        lambda: t.run("collections", "create", "parity", "--policy", "default"),
        lambda: t.post(t.admin, "/admin/collections", name="parity", policy="default"),
    )
    t.same(
        lambda: t.run(
            "collections", "set", "parity", "--purpose", "Staff files", "--retention-days", "30"
        ),
        lambda: t.post(
            t.admin,
            "/admin/collections/parity/settings",
            purpose="Staff files",
            retention_days="30",
        ),
    )
    t.same(
        lambda: t.run("collections", "grant", "parity", "--user", "ada", "--access", "contribute"),
        lambda: t.post(
            t.admin,
            "/admin/collections/parity/grants",
            grantee="user:ada",
            access="contribute",
        ),
    )
    t.same(
        lambda: t.run("collections", "set-policy", "parity", "banking"),
        lambda: t.post(t.admin, "/admin/collections/parity/policy", policy="banking"),
    )


def test_documents_are_ingested_and_deleted_alike(twins: Twins) -> None:
    t = twins
    files = write_records(t.root / "records")
    records = t.same(
        lambda: t.run("ingest", *map(str, files), "--collection", "parity"),
        lambda: t.admin.post(
            "/documents/upload",
            data={"collection": "parity", "csrf": csrf_of(t.admin.get("/documents").text)},
            files=[("files", (f.name, f.read_bytes(), "text/plain")) for f in files],
        ),
    )
    assert [r[0] for r in records] == ["document.ingest"] * len(files)
    cli_doc = t.cli.app.documents("parity")[0].id
    web_doc = t.web.app.documents("parity")[0].id
    t.same(
        lambda: t.run("documents", "delete", cli_doc),
        lambda: t.post(t.admin, f"/documents/{web_doc}/delete"),
    )


def test_compliance_acts_leave_the_same_records(twins: Twins) -> None:
    t = twins
    t.same(
        lambda: t.run("audit", "verify"),
        lambda: t.post(t.officer, "/compliance/audit/verify"),
    )
    t.same(
        lambda: t.run("audit", "export", "--format", "csv", "--out", str(t.root / "trail.csv")),
        lambda: t.post(t.officer, "/compliance/audit/export", format="csv"),
    )
    t.same(
        lambda: t.run("gdpr", "ropa", "--out", str(t.root / "ropa.md")),
        lambda: t.officer.get("/compliance/ropa"),
    )
    person = PEOPLE[-1]["name"]
    t.same(
        lambda: t.run("gdpr", "export", "--subject", person, "--out", str(t.root / "subject.zip")),
        lambda: t.post(t.officer, "/compliance/subjects/export", subjects=person),
    )


def test_user_changes_leave_the_same_records(twins: Twins) -> None:
    t = twins
    t.same(
        lambda: t.run(
            "users",
            "create",
            "lee",
            "--role",
            "staff",
            "--password-stdin",
            stdin="copper-willow-signal-64\n",
        ),
        lambda: t.post(t.admin, "/admin/users", username="lee", role="staff"),
    )
    t.same(
        lambda: t.run("users", "set-role", "lee", "compliance_officer"),
        lambda: t.post(t.admin, "/admin/users/lee/role", role="compliance_officer"),
    )
    t.same(
        lambda: t.run("users", "disable", "lee"),
        lambda: t.post(t.admin, "/admin/users/lee/disable"),
    )


def test_model_changes_leave_the_same_records(twins: Twins, model_dir: Path) -> None:
    t = twins
    gguf = next(model_dir.glob("*.gguf"))
    t.same(
        lambda: t.run("models", "add", str(gguf), "--name", "house"),
        lambda: t.post(t.admin, "/admin/models", path=str(gguf), name="house"),
    )
    t.same(
        lambda: t.run("models", "use", "house", "--collection", "parity"),
        lambda: t.post(t.admin, "/admin/collections/parity/model", model="house"),
    )
    t.same(
        lambda: t.run("models", "use", "house"),
        lambda: t.post(t.admin, "/admin/models/default", name="house"),
    )


def test_questions_and_erasure_leave_the_same_records(twins: Twins) -> None:
    t = twins
    question = "How long are the records kept?"
    t.same(
        lambda: t.run("ask", question, "--collection", "parity"),
        lambda: ask_stream(
            t.admin, csrf_of(t.admin.get("/account/password").text), question, "parity"
        ),
    )
    person = PEOPLE[0]["name"]
    t.same(
        lambda: t.run("gdpr", "erase", "--subject", person, "--yes"),
        lambda: t.post(t.officer, "/compliance/subjects/erase", subjects=person, confirm="true"),
    )


def test_api_keys_leave_the_same_records(twins: Twins) -> None:
    t = twins
    t.same(
        lambda: t.run("users", "api-key", "create", "ada", "--name", "reports"),
        lambda: t.post(t.admin, "/account/api-keys", name="reports"),
    )
