"""The web UI over HTTP: sign-in, roles, per-collection access on every route, CSRF,
headers, uploads, streamed answers, sealed history, and the audit of each act."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from appliance.accounts import Accounts
from appliance.audit import verify_bundle
from appliance.caller import Caller
from appliance.store.schema import AuditRecord, Document
from appliance.web import create_app
from appliance.web.render import source_href
from tests.conftest import SAMPLES, make_app
from tests.test_at_rest import PEOPLE, scan_for_values, write_records
from tests.webtools import ask_stream, page_csrf, sign_in

PASSWORDS = {
    "ada": "amber-kettle-orbit-71",
    "sam": "violet-harbour-crane-82",
    "olga": "granite-meadow-lantern-93",
    "lee": "copper-willow-signal-64",
}


@dataclass
class Site:
    app: Any
    web: Any
    data_dir: Path
    secret_doc: str  # a document in "records", which sam may not use
    secret_title: str
    public_doc: str

    def client(self, user: str | None = None) -> TestClient:
        client = TestClient(self.web, raise_server_exceptions=False)
        if user:
            r = sign_in(client, user, PASSWORDS[user])
            assert r.status_code == 303 and r.headers["location"] == "/chat", r.text
        return client

    def actions(self, action: str, **match: str) -> list[dict[str, Any]]:
        return [
            r
            for r in self.app.audit.records(action=action)
            if all(r.get(k) == v for k, v in match.items())
        ]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, embedder, engine):
    root = tmp_path_factory.mktemp("web")
    app = make_app(root / "data", embedder, engine, signin_rate_per_minute=1000)
    assert all(r.ok for r in app.ingest([SAMPLES / "northbridge-bank-record-retention-policy.pdf"]))
    app.create_collection("records", "default")
    results = app.ingest(write_records(root / "records"), "records")
    assert all(r.ok for r in results)
    who = Caller.local()
    accounts = Accounts(app.db, app.audit, app.settings)
    accounts.create_user("ada", "admin", who, password=PASSWORDS["ada"])
    accounts.create_user("sam", "staff", who, password=PASSWORDS["sam"])
    accounts.create_user("olga", "compliance_officer", who, password=PASSWORDS["olga"])
    accounts.create_user("lee", "staff", who, password=PASSWORDS["lee"])
    accounts.grant("default", who, user="sam", access="contribute")
    accounts.grant("default", who, user="olga")
    accounts.grant("records", who, user="olga")
    web = create_app(app, maintenance=False)
    secret = app.library.documents("records")[0]
    public = app.library.documents("default")[0]
    with TestClient(web):  # runs start-up and shut-down (service events)
        yield Site(app, web, root / "data", secret.id, secret.title, public.id)
    app.close()


# -- accounts and sign-in -----------------------------------------------------------


def test_sign_in_sets_a_strict_http_only_cookie_and_is_audited(site: Site) -> None:
    client = TestClient(site.web)
    response = sign_in(client, "sam", PASSWORDS["sam"])
    cookie = response.headers["set-cookie"]
    assert "appliance_session=" in cookie and "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert "Secure" not in cookie  # no TLS configured here
    last = site.actions("auth.signin", actor="sam")[-1]
    assert last["outcome"] == "success" and last["source"] == "testclient"


def test_wrong_password_is_refused_audited_and_repeated_failures_lock(site: Site) -> None:
    client = TestClient(site.web)
    for _ in range(site.app.settings.signin_max_failures - 1):
        r = sign_in(client, "lee", "not-the-password-at-all")
        assert r.status_code == 401 and "wrong username or password" in r.text.lower()
    r = sign_in(client, "lee", "not-the-password-at-all")
    assert r.status_code == 401 and "locked" in r.text
    r = sign_in(client, "lee", PASSWORDS["lee"])  # right password, but locked now
    assert r.status_code == 401 and "locked" in r.text
    failures = site.actions("auth.signin", actor="lee", outcome="failure")
    assert [f["reason"] for f in failures][-2:] == ["wrong password", "account locked"]
    trail = json.dumps(list(site.app.audit.records()))
    assert "not-the-password-at-all" not in trail and PASSWORDS["lee"] not in trail
    # An administrator's reset unlocks with a one-time password that must be changed.
    admin = site.client("ada")
    r = admin.post("/admin/users/lee/reset", data={"csrf": page_csrf(admin, "/admin/users")})
    one_time = r.text.split('class="secret">')[1].split("<")[0]
    r = sign_in(client, "lee", one_time)
    assert r.headers["location"] == "/account/password"
    assert client.get("/chat", follow_redirects=False).headers["location"] == "/account/password"
    csrf = page_csrf(client, "/account/password")
    new = "brand-new-quiet-passphrase"
    r = client.post(
        "/account/password",
        data={"csrf": csrf, "current": one_time, "new": new, "repeat": new},
        follow_redirects=False,
    )
    assert r.status_code == 303
    PASSWORDS["lee"] = new
    assert client.get("/chat").status_code == 200


def test_unknown_user_and_signed_out_visitors_get_nothing(site: Site) -> None:
    client = TestClient(site.web)
    assert sign_in(client, "nobody", "whatever-password").status_code == 401
    r = client.get("/documents", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")
    assert client.get("/healthz").json() == {"status": "ok"}


def test_sign_out_ends_the_session(site: Site) -> None:
    client = site.client("sam")
    csrf = page_csrf(client)
    token = client.cookies.get("appliance_session")
    client.post("/signout", data={"csrf": csrf})
    stale = TestClient(site.web, cookies={"appliance_session": token})
    assert stale.get("/chat", follow_redirects=False).status_code == 303
    assert site.actions("auth.signout", actor="sam")


def test_forms_without_the_session_token_are_refused(site: Site) -> None:
    client = site.client("ada")
    r = client.post("/admin/users", data={"username": "mallory", "role": "admin"})
    assert r.status_code == 403
    r = client.post("/admin/users", data={"username": "mallory", "role": "admin", "csrf": "x"})
    assert r.status_code == 403
    assert "mallory" not in [
        u.username for u in Accounts(site.app.db, site.app.audit, site.app.settings).users()
    ]
    # The sign-in form has its own (double-submit) token.
    fresh = TestClient(site.web)
    r = fresh.post("/signin", data={"username": "ada", "password": PASSWORDS["ada"], "csrf": "x"})
    assert r.status_code == 403


def test_every_response_carries_the_security_headers(site: Site) -> None:
    client = site.client("sam")
    for path in ("/signin", "/chat", "/static/app.css", "/nowhere"):
        headers = client.get(path).headers
        assert headers["content-security-policy"].startswith("default-src 'self'")
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
    assert client.get("/chat").headers["cache-control"] == "no-store"
    page = client.get("/chat").text
    assert "<script>" not in page and "style=" not in page  # nothing inline: CSP holds
    assert "http://" not in page and "https://" not in page  # nothing from elsewhere


# -- per-collection access ----------------------------------------------------------

# Every route, and how a staff member without access to "records" is answered by it.
# A new route fails test_every_route_is_checked until it is added here.
ROUTE_CHECKS: dict[tuple[str, str], tuple[str, int]] = {
    ("GET", "/healthz"): ("", 200),
    ("GET", "/"): ("", 303),
    ("GET", "/signin"): ("", 200),
    ("POST", "/signin"): ("", 403),
    # OpenID Connect is not configured on this site: nothing to start, nothing to finish.
    ("GET", "/signin/oidc"): ("", 404),
    ("GET", "/signin/oidc/callback"): ("", 401),
    ("POST", "/signout"): ("", 303),
    ("GET", "/account/password"): ("", 200),
    ("POST", "/account/password"): ("", 400),
    ("GET", "/chat"): ("collection=records", 200),
    ("GET", "/chat/{conversation_id}"): ("", 403),
    ("POST", "/chat/{conversation_id}/delete"): ("", 403),
    ("POST", "/chat/ask"): ("", 403),
    ("GET", "/documents"): ("collection=records", 200),
    ("POST", "/documents/upload"): ("", 403),
    ("POST", "/documents/{document_id}/delete"): ("", 404),
    ("GET", "/documents/{document_id}/source"): ("", 404),
    ("GET", "/documents/{document_id}/original"): ("", 404),
    ("GET", "/documents/compare"): ("old={document_id}&new={public_id}", 404),
    ("POST", "/documents/{document_id}/summarise"): ("", 404),
    ("GET", "/documents/{document_id}/summary"): ("", 404),
    ("POST", "/documents/{document_id}/summary/cancel"): ("", 404),
    # A set naming a document of "records" is refused like a missing document; a form
    # that names no document at all is bad input.
    ("GET", "/summaries"): ("documents={public_id},{document_id}", 404),
    ("POST", "/summaries"): ("", 400),
    ("POST", "/summaries/cancel"): ("", 400),
    ("GET", "/compliance/audit"): ("", 403),
    ("POST", "/compliance/audit/verify"): ("", 403),
    ("POST", "/compliance/audit/export"): ("", 403),
    ("GET", "/compliance/subjects"): ("", 403),
    ("POST", "/compliance/subjects/export"): ("", 403),
    ("POST", "/compliance/subjects/erase"): ("", 403),
    ("GET", "/compliance/ropa"): ("", 403),
    ("GET", "/admin"): ("", 403),
    ("GET", "/admin/users"): ("", 403),
    ("POST", "/admin/users"): ("", 403),
    ("POST", "/admin/users/{username}/role"): ("", 403),
    ("POST", "/admin/users/{username}/disable"): ("", 403),
    ("POST", "/admin/users/{username}/enable"): ("", 403),
    ("POST", "/admin/users/{username}/reset"): ("", 403),
    ("GET", "/admin/groups"): ("", 403),
    ("POST", "/admin/groups"): ("", 403),
    ("POST", "/admin/groups/{name}/members"): ("", 403),
    ("GET", "/admin/collections"): ("", 403),
    ("POST", "/admin/collections"): ("", 403),
    ("POST", "/admin/collections/{name}/policy"): ("", 403),
    ("POST", "/admin/collections/{name}/settings"): ("", 403),
    ("POST", "/admin/collections/{name}/grants"): ("", 403),
    ("POST", "/admin/collections/{name}/model"): ("", 403),
    ("POST", "/admin/models"): ("", 403),
    ("POST", "/admin/models/default"): ("", 403),
    ("GET", "/admin/policies"): ("", 403),
    ("GET", "/admin/usage"): ("", 403),
    ("GET", "/admin/gateway"): ("", 403),
    ("POST", "/admin/gateway"): ("", 403),
    ("POST", "/admin/gateway/detach"): ("", 403),
    ("GET", "/admin/usage.csv"): ("", 403),
    ("GET", "/account/api-keys"): ("", 200),
    ("POST", "/account/api-keys"): ("", 200),
    ("POST", "/account/api-keys/{key_id}/revoke"): ("", 400),
    # The API takes API keys only, never the session cookie.
    ("GET", "/v1/models"): ("", 401),
    ("GET", "/v1/models/{model_id:path}"): ("", 401),
    ("POST", "/v1/chat/completions"): ("", 401),
    ("POST", "/v1/embeddings"): ("", 401),
    ("POST", "/v1/documents/compare"): ("", 401),
    ("POST", "/v1/documents/{document_id}/summary"): ("", 401),
    ("GET", "/v1/documents/{document_id}/summary"): ("", 401),
    ("POST", "/v1/documents/{document_id}/summary/cancel"): ("", 401),
    ("POST", "/v1/summaries"): ("", 401),
    ("GET", "/v1/summaries"): ("document_ids={document_id}", 401),
    ("POST", "/v1/summaries/cancel"): ("", 401),
    ("GET", "/metrics"): ("", 403),
}


def _routes(site: Site) -> set[tuple[str, str]]:
    from appliance.web.routes import admin, api, auth, chat, compliance, documents

    routers = [m.router for m in (auth, chat, documents, compliance, admin, api)]
    return {
        (method, route.path)
        for router in [*routers, api.metrics_router]
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }


def test_every_route_is_checked(site: Site) -> None:
    assert _routes(site) == set(ROUTE_CHECKS)


def test_staff_reach_nothing_of_a_collection_not_granted_to_them(site: Site) -> None:
    """Every route, with the other collection's ids filled in: refused, and no title,
    passage or value of it in any response."""
    # A conversation of olga's in "records".
    olga = site.client("olga")
    events = ask_stream(olga, page_csrf(olga), "Where do refunds get paid?", "records")
    conv_id = next(d for e, d in events if e == "done")["conversation_id"]
    sam = site.client("sam")
    olga_key = Accounts(site.app.db, site.app.audit, site.app.settings).create_api_key(
        "olga", "test", Caller.local()
    )
    params = {
        "key_id": olga_key.split("_")[1],
        "model_id": "rag:records",
        "conversation_id": conv_id,
        "document_id": site.secret_doc,
        "public_id": site.public_doc,
        "username": "olga",
        "name": "records",
    }
    leaks = [site.secret_title, *(p["name"] for p in PEOPLE), *(p["iban"] for p in PEOPLE)]
    for (method, path), (query, expected) in ROUTE_CHECKS.items():
        if path in ("/signout", "/signin"):
            continue
        url = path.replace(":path}", "}").format(**params)
        url += f"?{query.format(**params)}" if query else ""
        csrf = page_csrf(sam)
        form = {"csrf": csrf, "collection": "records", "question": "refunds IBAN"}
        if method == "GET":
            response = sam.get(url, follow_redirects=False)
        elif path == "/documents/upload":
            response = sam.post(
                url, data=form, files={"files": ("x.txt", b"hello there", "text/plain")}
            )
        else:
            response = sam.post(url, data=form, follow_redirects=False)
        assert response.status_code == expected, (method, path, response.status_code)
        for value in leaks:
            assert value not in response.text, (method, path, value)
    # The document is still there; the refusals are in the trail.
    with site.app.db.session() as s:
        assert s.get(Document, site.secret_doc) is not None
    denied = site.actions("access.denied", actor="sam")
    assert any(d["resource"] == "collection:records" for d in denied)
    assert any(d["resource"].startswith("page:/admin") for d in denied)


def test_retrieval_is_refused_before_the_index_is_queried(site: Site) -> None:
    from appliance.errors import NotAllowed

    who = Caller("sam", "staff", "test", {"default": "contribute"})
    with pytest.raises(NotAllowed, match="no read access"):
        site.app.retrieve("Where are refunds paid?", "records", who=who)
    assert site.app.retrieve("How long are records kept?", "default", who=who)


# -- chat ---------------------------------------------------------------------------


def test_a_collection_not_granted_is_named_not_silently_swapped(site: Site) -> None:
    """A link to the chat of a collection the user may not read used to open the chat
    of another collection, and the question was answered from that one."""
    sam = site.client("sam")
    page = sam.get("/chat?collection=records")
    assert page.status_code == 200
    assert "You have no access to the collection “records”" in page.text
    assert sam.get("/chat?collection=default").text.count("You have no access") == 0


def test_the_finished_answer_lists_every_source_and_the_quotes(site: Site) -> None:
    sam = site.client("sam")
    events = ask_stream(
        sam, page_csrf(sam), "How long must the bank keep customer transaction records?", "default"
    )
    done = events[-1][1]
    assert done["extract"]
    if done["answer_source"] == "generated":
        assert "From the documents" in done["html"]
    # Every source consulted is listed, marked cited or consulted, in the page HTML.
    assert done["html"].count("<li value=") == len(done["citations"])
    consulted = sum(not c["cited"] for c in done["citations"])
    assert done["html"].count("consulted, not cited") == consulted
    # A quoted sentence opens its source with the sentence highlighted.
    q = done["extract"][0]
    page = sam.get(f"/documents/{q['document_id']}/source?hl={q['chunk_id']}:{q['sentence']}")
    assert page.status_code == 200 and '<mark class="quoted">' in page.text


def test_a_staff_member_asks_and_the_answer_streams_with_citations(site: Site) -> None:
    sam = site.client("sam")
    events = ask_stream(
        sam, page_csrf(sam), "How long must the bank keep customer transaction records?", "default"
    )
    names = [e for e, _ in events]
    # The sentences quoted from the sources first, then the answer sentence by sentence
    # as generated (each passes the privacy filter and verification), then the
    # finished answer with its citations.
    assert names[0] == "extract" and events[0][1]["quotes"]
    assert (
        names.count("delta") >= 1
        and names[-1] == "done"
        and names[1:-1] == ["delta"] * (len(names) - 2)
    )
    done = events[-1][1]
    assert done["found"] and done["citations"]
    cited = [c for c in done["citations"] if c["cited"]]
    assert cited and all(c["document_id"] == site.public_doc for c in cited)
    # The citation opens the cited page of the source, every chunk of the passage
    # marked (a neighbour joined to a retrieved chunk makes a passage of two or three).
    c = cited[0]
    assert c["chunk_id"] in c["chunk_ids"]
    page = sam.get(source_href(c))
    assert page.status_code == 200 and f'id="chunk-{c["chunk_ids"][0]}"' in page.text
    for chunk_id in c["chunk_ids"]:
        assert f'id="chunk-{chunk_id}" class="passage cited"' in page.text
    # The conversation is kept and listed.
    history = sam.get(f"/chat/{done['conversation_id']}")
    assert history.status_code == 200 and "transaction records" in history.text
    ask = site.actions("question.ask", actor="sam")[-1]
    assert ask["detail"]["chunks"] and ask["detail"]["model_sha256"]


def test_pseudonymised_and_blocked_questions_show_a_note(site: Site) -> None:
    olga = site.client("olga")
    person = PEOPLE[0]
    events = ask_stream(
        olga, page_csrf(olga), f"Where are refunds for {person['name']} paid?", "records"
    )
    done = dict(events)["done"]
    assert any("pseudonymised" in n for n in done["notes"])
    blocked = ask_stream(olga, page_csrf(olga), "Is card 4111 1111 1111 1111 on file?", "records")
    assert blocked[0][0] == "blocked" and "CREDIT_CARD" in blocked[0][1]["message"]
    assert "4111" not in json.dumps(blocked)


def test_history_is_sealed_and_holds_no_personal_value(site: Site) -> None:
    olga = site.client("olga")
    person = PEOPLE[1]
    ask_stream(
        olga, page_csrf(olga), f"What is the phone of {person['name']}?", "records", reveal="true"
    )
    values = [person["name"], person["phone"], person["email"], person["iban"]]
    site.app.db.engine.dispose()  # flush the WAL into the file
    found = [f for f in scan_for_values(site.data_dir, values) if "/incoming/" not in f]
    assert not found


def test_a_conversation_is_its_owners_alone_and_deleting_it_shreds_its_key(site: Site) -> None:
    sam = site.client("sam")
    events = ask_stream(sam, page_csrf(sam), "What is the retention period?", "default")
    conv = dict(events)["done"]["conversation_id"]
    ada = site.client("ada")
    assert ada.get(f"/chat/{conv}").status_code == 403
    r = sam.post(f"/chat/{conv}/delete", data={"csrf": page_csrf(sam)}, follow_redirects=False)
    assert r.status_code == 303
    assert sam.get(f"/chat/{conv}").status_code == 403
    assert not site.app.keyring.has_key("conversation", conv)


# -- documents ----------------------------------------------------------------------


def test_upload_reports_each_file_and_a_bad_file_loses_nothing(site: Site) -> None:
    sam = site.client("sam")
    csrf = page_csrf(sam, "/documents")
    before = len(site.app.library.documents("default"))
    r = sam.post(
        "/documents/upload",
        data={"csrf": csrf, "collection": "default"},
        files=[
            (
                "files",
                (
                    "../../etc/notes.md",
                    b"# Leave\n\nStaff get 30 days of leave a year.",
                    "text/markdown",
                ),
            ),
            ("files", ("broken.pdf", b"%PDF-1.7 this is not really a PDF", "application/pdf")),
        ],
        headers={"Accept": "application/json"},
    )
    results = {x["file"]: x for x in r.json()["results"]}
    assert results["notes.md"]["ok"] and results["notes.md"]["status"] == "added"
    assert not results["broken.pdf"]["ok"] and results["broken.pdf"]["error"]
    docs = site.app.library.documents("default")
    assert len(docs) == before + 1
    assert not _spooled(site)  # nothing left in clear
    events = [e["reason"] for e in site.actions("document.ingest", actor="sam")]
    assert "added" in events and "failed" in events
    # A contributor deletes it again.
    new = next(d for d in docs if d.source == "notes.md")
    r = sam.post(f"/documents/{new.id}/delete", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert len(site.app.library.documents("default")) == before


def test_upload_status_names_pages_read_by_ocr_and_pages_without_text(
    site: Site, tmp_path: Path
) -> None:
    """Issue 15: a PDF whose pages 2-3 were scans said only "added (1 passages, 3 pages)"."""
    from appliance.ingest.ocr import ocr_available
    from tests.docgen import make_mixed_pdf

    if not ocr_available():
        pytest.skip("Tesseract is installed by scripts/install-ocr")
    pdf = make_mixed_pdf(
        tmp_path / "scan.pdf",
        [
            ("text", "Keys\nKeys are returned to reception every evening."),
            ("scan", "Archive\nPersonnel files are archived in the basement store."),
            ("scan", ""),
        ],
    )
    sam = site.client("sam")
    csrf = page_csrf(sam, "/documents")
    upload = {"data": {"csrf": csrf, "collection": "default"}}
    files = [("files", ("scan.pdf", pdf.read_bytes(), "application/pdf"))]
    r = sam.post("/documents/upload", **upload, files=files, headers={"Accept": "application/json"})
    [row] = r.json()["results"]
    assert row["status"] == "added"
    assert row["ocr_pages"] == [2] and row["pages_without_text"] == [3]
    assert row["note"] == "page 2 read by OCR; no text found on page 3"
    page = sam.post("/documents/upload", **upload, files=files).text  # the form, no script
    assert "unchanged (2 passages, 3 pages) — page 2 read by OCR; no text found on page 3" in page
    assert "OCR: 2" in page and "no text: 3" in page
    doc = next(d for d in site.app.library.documents("default") if d.source == "scan.pdf")
    sam.post(f"/documents/{doc.id}/delete", data={"csrf": csrf})


def test_an_oversized_upload_is_refused(site: Site) -> None:
    sam = site.client("sam")
    csrf = page_csrf(sam, "/documents")
    limit = site.app.settings.max_upload_bytes
    site.app.settings.max_upload_bytes = 1000
    try:
        r = sam.post(
            "/documents/upload",
            data={"csrf": csrf, "collection": "default"},
            files={"files": ("big.txt", b"x" * 200_000, "text/plain")},
        )
    finally:
        site.app.settings.max_upload_bytes = limit
    assert r.status_code == 413 and "larger than the limit" in r.text
    assert not _spooled(site)


def test_the_original_file_is_for_roles_that_may_re_identify(site: Site) -> None:
    sam = site.client("sam")
    r = sam.get(f"/documents/{site.public_doc}/original")
    assert r.status_code == 403
    olga = site.client("olga")
    r = olga.get(f"/documents/{site.secret_doc}/original")
    assert (r.status_code == 200 and PEOPLE[0]["name"].encode() in r.content) or PEOPLE[1][
        "name"
    ].encode() in r.content
    assert "attachment" in r.headers["content-disposition"]
    outcomes = [d["outcome"] for d in site.actions("document.download")]
    assert "success" in outcomes and "failure" in outcomes


# -- compliance and administration ---------------------------------------------------


def test_a_compliance_officer_searches_verifies_and_exports_the_trail(
    site: Site, tmp_path: Path
) -> None:
    olga = site.client("olga")
    page = olga.get("/compliance/audit?action=auth.*&outcome=failure")
    assert page.status_code == 200 and "auth.signin" in page.text
    csrf = page_csrf(olga, "/compliance/audit")
    r = olga.post("/compliance/audit/verify", data={"csrf": csrf})
    assert 'id="verify-result"' in r.text and "Intact" in r.text
    r = olga.post("/compliance/audit/export", data={"csrf": csrf, "format": "csv"})
    assert r.status_code == 200 and r.text.startswith("seq,")
    r = olga.post("/compliance/audit/export", data={"csrf": csrf, "format": "bundle"})
    assert r.headers["content-type"] == "application/zip"
    zipfile.ZipFile(io.BytesIO(r.content)).extractall(tmp_path)
    bundle = next(tmp_path.glob("audit-bundle-*"))
    assert verify_bundle(bundle).ok
    exported = (bundle / "records.jsonl").read_text()
    for person in PEOPLE:
        assert person["name"] not in exported and person["iban"] not in exported
    assert {"audit.read", "audit.verify", "audit.export"} <= {
        r["action"] for r in site.app.audit.records(actor="olga")
    }


def test_a_compliance_officer_answers_an_access_request(site: Site) -> None:
    olga = site.client("olga")
    csrf = page_csrf(olga, "/compliance/subjects")
    person = PEOPLE[0]
    r = olga.post("/compliance/subjects/export", data={"csrf": csrf, "subjects": person["email"]})
    assert r.status_code == 200
    record = json.loads(zipfile.ZipFile(io.BytesIO(r.content)).read("subject.json"))
    assert person["email"] in json.dumps(record)
    assert PEOPLE[1]["email"] not in json.dumps(record)
    assert site.actions("gdpr.export", actor="olga")


def test_an_administrator_manages_users_groups_and_access(site: Site) -> None:
    ada = site.client("ada")
    csrf = page_csrf(ada, "/admin/users")
    r = ada.post("/admin/users", data={"csrf": csrf, "username": "nina", "role": "staff"})
    assert "One-time password" in r.text
    ada.post("/admin/groups", data={"csrf": csrf, "name": "ward-7"})
    ada.post("/admin/groups/ward-7/members", data={"csrf": csrf, "username": "nina"})
    ada.post(
        "/admin/collections", data={"csrf": csrf, "name": "ward7-notes", "policy": "healthcare"}
    )
    ada.post(
        "/admin/collections/ward7-notes/grants",
        data={"csrf": csrf, "grantee": "group:ward-7", "access": "read"},
    )
    ada.post("/admin/users/nina/role", data={"csrf": csrf, "role": "compliance_officer"})
    accounts = Accounts(site.app.db, site.app.audit, site.app.settings)
    nina = accounts.get("nina")
    assert nina.role == "compliance_officer" and nina.groups == ("ward-7",)
    assert accounts.grants()["ward7-notes"] == [{"grantee": "group:ward-7", "access": "read"}]
    for page in (
        "/admin",
        "/admin/users",
        "/admin/groups",
        "/admin/collections",
        "/admin/policies",
    ):
        assert ada.get(page).status_code == 200, page
    actions = {r["action"] for r in site.app.audit.records(actor="ada")}
    assert {
        "user.create",
        "group.create",
        "group.member_add",
        "collection.create",
        "collection.grant",
        "user.role_change",
    } <= actions
    # The last administrator cannot be demoted.
    r = ada.post("/admin/users/ada/role", data={"csrf": csrf, "role": "staff"})
    assert r.status_code == 400 and "last active administrator" in r.text


def test_sign_in_is_rate_limited_per_address(site: Site) -> None:
    settings = site.app.settings
    settings.signin_rate_per_minute = 3
    try:
        client = TestClient(site.web, client=("10.1.2.3", 4000))
        codes = [sign_in(client, "nobody", "wrong-password-x").status_code for _ in range(4)]
    finally:
        settings.signin_rate_per_minute = 1000
    assert codes[:3] == [401, 401, 401] and codes[3] == 429


def test_service_start_is_recorded_and_the_trail_stays_intact(site: Site) -> None:
    assert site.actions("service.start") and site.actions("logging.start")
    assert site.app.audit.verify().ok
    with site.app.db.session() as s:
        details = " ".join(s.scalars(select(AuditRecord.detail)))
    for person in PEOPLE:
        assert person["name"] not in details and person["email"] not in details


def test_an_idle_session_expires(site: Site) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from appliance.store.schema import WebSession

    client = site.client("sam")
    assert client.get("/chat", follow_redirects=False).status_code == 200
    idle = timedelta(minutes=site.app.settings.session_idle_minutes + 1)
    with site.app.db.session() as s:
        s.execute(update(WebSession).values(last_seen_at=datetime.now(UTC) - idle))
    r = client.get("/chat", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")


def test_a_bug_shows_a_reference_never_a_stack_trace(site: Site, monkeypatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals /etc/appliance")

    client = site.client("ada")
    monkeypatch.setattr(site.app.keyring, "status", broken)
    r = client.get("/admin")
    assert r.status_code == 500 and "Reference:" in r.text
    assert "Traceback" not in r.text and "secret internals" not in r.text


def test_https_when_a_certificate_is_configured(tmp_path: Path, embedder, engine) -> None:
    import socket
    import ssl
    import threading
    import time

    import httpx
    import uvicorn

    from appliance.tls import make_self_signed

    cert, key = make_self_signed(
        tmp_path / "tls" / "cert.pem", tmp_path / "tls" / "key.pem", ["127.0.0.1"]
    )
    assert (key.stat().st_mode & 0o777) == 0o600
    app = make_app(tmp_path / "data", embedder, engine, tls_cert=cert, tls_key=key)
    Accounts(app.db, app.audit, app.settings).create_user(
        "ada", "admin", Caller.local(), password=PASSWORDS["ada"]
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(app, maintenance=False),
            host="127.0.0.1",
            port=port,
            ssl_certfile=str(cert),
            ssl_keyfile=str(key),
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        trust = ssl.create_default_context(cafile=str(cert))
        with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=trust) as client:
            r = sign_in(client, "ada", PASSWORDS["ada"])
            assert r.status_code == 303
            assert "Secure" in r.headers["set-cookie"]
            assert client.get("/chat").headers["strict-transport-security"].startswith("max-age=")
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        app.close()


def test_a_password_change_ends_every_other_session(site: Site) -> None:
    accounts = Accounts(site.app.db, site.app.audit, site.app.settings)
    accounts.create_user("pia", "staff", Caller.local(), password="first-quiet-harbour-11")
    stolen = TestClient(site.web, raise_server_exceptions=False)
    sign_in(stolen, "pia", "first-quiet-harbour-11")
    mine = TestClient(site.web, raise_server_exceptions=False)
    sign_in(mine, "pia", "first-quiet-harbour-11")
    csrf = page_csrf(mine, "/account/password")
    new = "second-amber-meadow-22"
    r = mine.post(
        "/account/password",
        data={"csrf": csrf, "current": "first-quiet-harbour-11", "new": new, "repeat": new},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert mine.get("/chat", follow_redirects=False).status_code == 200  # a fresh session
    assert stolen.get("/chat", follow_redirects=False).status_code == 303  # signed out


def test_odd_tokens_are_refused_not_crashing(site: Site) -> None:
    client = site.client("sam")
    r = client.post("/chat/ask", data={"csrf": "jeton-\u00e9t\u00e9", "question": "x"})
    assert r.status_code == 403
    fresh = TestClient(site.web, raise_server_exceptions=False)
    fresh.get("/signin")
    r = fresh.post("/signin", data={"username": "a", "password": "b", "csrf": "\u00e9"})
    assert r.status_code == 403


def test_the_error_page_of_a_fault_carries_the_security_headers(site: Site, monkeypatch) -> None:
    from appliance.errors import StoreError

    def broken(*args: object, **kwargs: object) -> None:
        raise StoreError("database /var/lib/appliance/appliance.db is locked")

    client = site.client("ada")
    monkeypatch.setattr(site.app.keyring, "status", broken)
    r = client.get("/admin")
    assert r.status_code == 500 and "/var/lib" not in r.text
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    assert r.headers["cache-control"] == "no-store"


def test_a_compliance_officer_runs_subject_requests_without_grants_recorded(site: Site) -> None:
    """Subject requests are the compliance officer's power over every collection (see
    docs/compliance-guide.md): no grant needed, each request recorded with the
    collections it touched and the authority it used."""
    accounts = Accounts(site.app.db, site.app.audit, site.app.settings)
    accounts.create_user(
        "otto", "compliance_officer", Caller.local(), password="plain-ocean-tower-33"
    )
    otto = TestClient(site.web, raise_server_exceptions=False)
    sign_in(otto, "otto", "plain-ocean-tower-33")
    csrf = page_csrf(otto, "/compliance/subjects")
    person = PEOPLE[0]
    r = otto.post("/compliance/subjects/export", data={"csrf": csrf, "subjects": person["email"]})
    assert r.status_code == 200
    record = json.loads(zipfile.ZipFile(io.BytesIO(r.content)).read("subject.json"))
    assert person["email"] in json.dumps(record)
    done = site.actions("gdpr.export", actor="otto")[-1]
    assert done["detail"]["collections"] == ["records"]
    assert "compliance officer" in done["detail"]["authority"]
    # The erasure form only plans: nothing goes before the confirmation.
    r = otto.post("/compliance/subjects/erase", data={"csrf": csrf, "subjects": person["email"]})
    assert r.status_code == 200 and 'id="erase-plan"' in r.text
    with site.app.db.session() as s:
        assert s.get(Document, site.secret_doc) is not None
    # Chat stays closed to otto: the power is for subject requests only.
    r = otto.post(
        "/chat/ask",
        data={"csrf": page_csrf(otto), "collection": "records", "question": "Who is on file?"},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 403


def _spooled(site: Site) -> list[Path]:
    """Files spooled in incoming/ (each web process has a folder of its own there)."""
    return [p for p in site.app.settings.incoming_dir.rglob("*") if not p.is_dir()]


def test_uploads_left_by_a_crash_are_removed_at_start(site: Site) -> None:
    import os
    import shutil
    import socket

    incoming = site.app.settings.incoming_dir
    leftover = incoming / "tmpcrash" / "0" / "scan.txt"
    leftover.parent.mkdir(parents=True)
    leftover.write_text(PEOPLE[0]["name"])
    # The spools of other web processes: one that ended on this machine, one still
    # running here (this test's parent), one on another machine sharing the folder.
    host = socket.gethostname()
    spools = {
        name: incoming / name / "tmp1" / "0" / "scan.txt"
        for name in (f"{host}-999999999", f"{host}-{os.getppid()}", "other-box-4242")
    }
    for path in spools.values():
        path.parent.mkdir(parents=True)
        path.write_text("an upload under way")
    create_app(site.app, maintenance=False)
    kept = {path.relative_to(incoming).parts[0] for path in _spooled(site)}
    assert kept == {f"{host}-{os.getppid()}", "other-box-4242"}
    for name in kept:
        shutil.rmtree(incoming / name)
    assert not _spooled(site)


def test_start_loads_the_pii_detector_and_gazetteer_in_the_background(site: Site) -> None:
    """The first question after a start does not wait for the gazetteer (1–1.5 s) and
    spaCy: the web start reads them in a thread of its own."""
    from appliance.privacy import gazetteer

    gazetteer._read_tables.cache_clear()
    with TestClient(create_app(site.app, maintenance=False)):
        for thread in [t for t in threading.enumerate() if t.name == "warm-detector"]:
            thread.join(timeout=120)
        # Read by the start, not by any request: none was made.
        assert gazetteer._read_tables.cache_info().currsize == 1
