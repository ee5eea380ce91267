"""The three roles in a real browser: Debian's Chromium, headless, driven by Playwright
against a live server on loopback. Saves the README's screenshots."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.accounts import Accounts
from appliance.caller import Caller
from tests.conftest import REPO, SAMPLES, make_app
from tests.test_at_rest import write_records

SCREENSHOTS = REPO / "docs" / "screenshots"
STAFF_PASSWORD = "violet-harbour-crane-82"
OFFICER_PASSWORD = "granite-meadow-lantern-93"
ADMIN_PASSWORD = "amber-kettle-orbit-71"
SECOND_ADMIN_PASSWORD = "silver-lantern-quarry-58"
# Every visible form field has a label (or an aria-label).
UNLABELLED = """() => [...document.querySelectorAll(
  'input:not([type=hidden]), select, textarea')].filter(
  el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map(el => el.name)"""


def _chromium() -> str | None:
    for candidate in (
        os.environ.get("APPLIANCE_CHROMIUM"),
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, embedder, engine) -> Iterator[dict]:
    import uvicorn

    from appliance.web import create_app

    root = tmp_path_factory.mktemp("browser")
    # Cost figures for the usage page's screenshot (an administrator enters their own).
    costs = {
        "cost_hardware_price": 4000.0,
        "cost_hardware_years": 4.0,
        "cost_power_watts": 200.0,
        "cost_kwh_price": 0.3,
        "cost_api_input_per_million": 0.5,
        "cost_api_output_per_million": 1.5,
    }
    app = make_app(root / "data", embedder, engine, **costs)
    assert all(r.ok for r in app.ingest([SAMPLES / "northbridge-bank-record-retention-policy.pdf"]))
    app.create_collection("finance", "banking")
    assert all(r.ok for r in app.ingest(write_records(root / "records"), "finance"))
    who = Caller.local()
    accounts = Accounts(app.db, app.audit, app.settings)
    _, one_time = accounts.create_user("admin", "admin", who)
    accounts.create_user("sam", "staff", who, password=STAFF_PASSWORD)
    accounts.create_user("olga", "compliance_officer", who, password=OFFICER_PASSWORD)
    accounts.create_user("ines", "admin", who, password=SECOND_ADMIN_PASSWORD)
    accounts.grant("default", who, user="admin", access="contribute")
    accounts.grant("default", who, user="ines", access="contribute")
    accounts.grant("default", who, user="sam")
    accounts.grant("default", who, user="olga")
    port = _free_port()
    config = uvicorn.Config(create_app(app), host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    try:  # the server stops also when a test (or the start itself) fails
        deadline = time.monotonic() + 30
        while not uv.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        yield {"url": f"http://127.0.0.1:{port}", "app": app, "one_time": one_time}
    finally:
        uv.should_exit = True
        thread.join(timeout=30)
        app.close()


@pytest.fixture(scope="module")
def browser():
    path = _chromium()
    if path is None:
        pytest.skip("Chromium is not installed (make test installs Debian's package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


def _page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1366, "height": 820}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return page, errors


def _sign_in(page, url: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url + "/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _shot(page, name: str, *, full_page: bool = False) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def test_an_administrator_signs_in_uploads_asks_and_opens_the_citation(server, browser) -> None:
    url = server["url"]
    page, errors = _page(browser)
    page.goto(url + "/")
    assert page.url.startswith(url + "/signin")
    _shot(page, "sign-in")
    _sign_in(page, url, "admin", server["one_time"])
    # A one-time password must be replaced first.
    page.wait_for_url(url + "/account/password")
    page.get_by_label("Current password").fill(server["one_time"])
    page.get_by_label("New password (at least 12 characters)").fill(ADMIN_PASSWORD)
    page.get_by_label("New password again").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url(url + "/chat?done=password")

    page.goto(url + "/documents?collection=default")
    page.set_input_files("#files", str(SAMPLES / "it-acceptable-use.txt"))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector("#upload-results li.ok")
    assert "it-acceptable-use.txt: added" in page.inner_text("#upload-results")
    page.wait_for_selector("#document-list >> text=it-acceptable-use.txt")
    # Two documents now: the forms that need two appear without a reload (they are
    # part of the list the upload script refreshes).
    assert page.locator("#compare-documents").count() == 1
    assert page.locator("#summarise-set").count() == 1
    assert page.locator("input[form=summarise-set]").count() == 2
    assert page.evaluate(UNLABELLED) == []
    _shot(page, "documents")

    page.goto(url + "/chat")
    # Count the streamed updates of the answer before it is complete.
    page.evaluate("""() => { window.__updates = 0; new MutationObserver(() => {
        if (document.querySelector('.streaming')) window.__updates++; })
        .observe(document.getElementById('messages'),
                 {subtree: true, childList: true, characterData: true}); }""")
    page.get_by_label("Your question").fill(
        "How long must the bank keep customer transaction records?"
    )
    page.get_by_role("button", name="Ask").click()
    page.wait_for_selector(".msg.assistant .citations a", timeout=180_000)
    # The text appeared in the streaming paragraph before the finished answer replaced it.
    assert page.evaluate("window.__updates") >= 1
    assert page.evaluate(UNLABELLED) == []
    assert "/chat/" in page.url  # the conversation is kept
    # The screenshot in the README must show a right answer: the policy's 10 years,
    # in the answer or the quoted sentences, and no repeated sentence.
    shown = page.inner_text(".msg.assistant")
    assert "10 years" in shown, shown
    answer = page.inner_text(".msg.assistant .answer")
    sentences = [s.strip() for s in answer.split(". ") if s.strip()]
    assert len(sentences) == len(set(sentences)), answer
    _shot(page, "chat")

    link = page.locator(".msg.assistant .citations a").first
    title = link.inner_text()
    link.click()
    page.wait_for_url("**/source**")
    assert page.locator(".passage:target").count() == 1  # the cited passage, in view
    assert title in page.inner_text("h1")

    # A quoted sentence's own link opens the page with that sentence marked: the
    # screenshot shows where the quote comes from.
    page.go_back()
    page.locator(".msg.assistant a.cite[href*='hl=']").first.click()
    page.wait_for_url("**/source**")
    assert page.locator(".passage:target mark.quoted").count() == 1
    assert "10 years" in page.inner_text(".passage:target mark.quoted")
    _shot(page, "source")

    for path, name in (
        ("/admin/users", "admin-users"),
        ("/admin/collections", "admin-collections"),
        ("/admin", "admin-system"),
        ("/admin/usage?period=7", "admin-usage"),
    ):
        page.goto(url + path)
        assert page.evaluate(UNLABELLED) == []
        # The usage page's tables are below its charts: the whole page.
        _shot(page, name, full_page=name == "admin-usage")
    assert not errors, errors  # no CSP violation or script error


def test_staff_are_refused_compliance_pages_and_collections_they_lack(server, browser) -> None:
    url = server["url"]
    page, _ = _page(browser)
    _sign_in(page, url, "sam", STAFF_PASSWORD)
    page.wait_for_url(url + "/chat")
    options = page.locator("#collection option").all_inner_texts()
    assert any(o.startswith("default") for o in options)
    assert not any(o.startswith("finance") for o in options)
    assert "Audit trail" not in page.inner_text("nav")
    response = page.goto(url + "/compliance/audit")
    assert response.status == 403 and "may not open this page" in page.inner_text("main")
    # Even a hand-made request for the other collection is refused.
    token = page.goto(url + "/chat") and page.locator('input[name="csrf"]').first.get_attribute(
        "value"
    )
    answer = page.request.post(
        url + "/chat/ask",
        form={"csrf": token, "collection": "finance", "question": "Where are refunds paid?"},
        headers={"Accept": "application/json"},
    )
    assert answer.status == 403 and "no read access" in answer.text()
    source = page.request.get(url + "/documents?collection=finance")
    assert "record-0" not in source.text()


def test_a_compliance_officer_verifies_and_exports_the_trail(
    server, browser, tmp_path: Path
) -> None:
    url = server["url"]
    page, errors = _page(browser)
    _sign_in(page, url, "olga", OFFICER_PASSWORD)
    page.wait_for_url(url + "/chat")
    page.get_by_role("link", name="Audit trail").click()
    page.get_by_label("Action (e.g. auth.* or question.ask)").fill("auth.*")
    page.get_by_role("button", name="Search").click()
    assert "auth.signin" in page.inner_text("table.audit")
    assert "question.ask" not in page.inner_text("table.audit")
    page.get_by_role("button", name="Verify the whole trail").click()
    assert "Intact" in page.inner_text("#verify-result")
    assert page.evaluate(UNLABELLED) == []
    _shot(page, "audit")
    page.select_option("#format", "csv")
    with page.expect_download() as download:
        page.locator("#export-button").click()
    target = tmp_path / "trail.csv"
    download.value.save_as(target)
    assert target.read_text().startswith("seq,")
    page.get_by_role("link", name="Subject requests").click()
    assert page.evaluate(UNLABELLED) == []
    _shot(page, "subjects")
    assert not errors, errors
    actions = {r["action"] for r in server["app"].audit.records(actor="olga")}
    assert {"auth.signin", "audit.verify", "audit.read", "audit.export"} <= actions


def test_the_audit_trail_reads_as_a_table_with_details_on_demand(server, browser) -> None:
    url = server["url"]
    page, errors = _page(browser)
    _sign_in(page, url, "olga", OFFICER_PASSWORD)
    page.wait_for_url(url + "/chat")
    for _ in range(55):  # each view of the trail is a record of its own
        page.goto(url + "/compliance/audit")
    rows = page.locator("#audit-table tbody tr")
    assert rows.count() == 50
    assert page.locator("#audit-table thead").inner_text().split() == [
        "Time", "(UTC)", "Actor", "Action", "Resource", "Outcome", "Details"
    ]  # fmt: skip
    # A page of 50 records fits in a few screens (it was 11,588 px for 31 records).
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 90 * rows.count() + 1200, height
    # Details (hashes, fields) open on demand, one record at a time.
    assert page.locator("#audit-table details[open]").count() == 0
    first = page.locator("#audit-table details").first
    first.locator("summary").click()
    assert "Hash" in first.inner_text() and first.get_attribute("open") is not None
    # Export first, then the records.
    export_y = page.locator("#export-button").bounding_box()["y"]
    assert export_y < page.locator("#audit-table").bounding_box()["y"]
    # Paging.
    assert "page 1 of" in page.inner_text("#audit-count")
    page.get_by_role("link", name="Older →").first.click()
    assert "page 2 of" in page.inner_text("#audit-count")
    # Titles beside document ids, where the officer may read the collection.
    page.goto(url + "/compliance/audit?action=document.ingest")
    table = page.inner_text("#audit-table")
    assert "Northbridge" in table  # default: olga reads it
    finance = [t for t in page.locator("#audit-table tbody tr").all_inner_texts() if "finance" in t]
    assert finance and not any("Patient" in t for t in finance)  # no grant: ids only
    page.goto(url + "/compliance/audit")
    page.locator("#audit-table details").first.locator("summary").click()
    _shot(page, "audit")
    assert not errors, errors


def test_a_grant_that_lowers_access_asks_first(server, browser) -> None:
    url = server["url"]
    app = server["app"]
    page, errors = _page(browser)
    _sign_in(page, url, "ines", SECOND_ADMIN_PASSWORD)
    page.wait_for_url(url + "/chat")
    page.goto(url + "/admin/collections")
    section = page.locator("#collection-default")
    section.locator("select[name=grantee]").select_option("user:ines")
    section.locator("select[name=access]").select_option("read")
    section.get_by_role("button", name="Grant").click()
    assert "would lower it" in page.inner_text("#grant-confirm")
    _shot(page, "admin-grant-confirm")
    page.locator("#grant-keep").click()

    def access() -> str:
        grants = Accounts(app.db, app.audit, app.settings).grants()["default"]
        return next(g["access"] for g in grants if g["grantee"] == "user:ines")

    assert access() == "contribute"
    # Confirmed, it is lowered.
    section = page.locator("#collection-default")
    section.locator("select[name=grantee]").select_option("user:ines")
    section.locator("select[name=access]").select_option("read")
    section.get_by_role("button", name="Grant").click()
    page.locator("#grant-lower").click()
    assert "lowered" in page.inner_text("main")
    assert access() == "read"
    assert not errors, errors


def test_username_rules_are_shown_in_words(server, browser) -> None:
    url = server["url"]
    page, errors = _page(browser)
    _sign_in(page, url, "ines", SECOND_ADMIN_PASSWORD)
    page.wait_for_url(url + "/chat")
    page.goto(url + "/admin/users")
    assert "lower-case letters" in page.inner_text("#username-rules")
    page.get_by_label("Username").fill("Anna Schmidt")
    page.get_by_role("button", name="Create").click()
    message = page.locator("#username").evaluate("el => el.validationMessage")
    assert "lower-case letters" in message and "requested format" not in message
    assert not errors, errors


def test_read_only_staff_are_told_why_they_cannot_upload(server, browser) -> None:
    url = server["url"]
    page, errors = _page(browser)
    _sign_in(page, url, "sam", STAFF_PASSWORD)
    page.wait_for_url(url + "/chat")
    page.goto(url + "/documents?collection=default")
    assert page.locator("#files").count() == 0
    note = page.inner_text("#read-only-note")
    assert "read" in note and "contribute" in note and "administrator" in note
    _shot(page, "documents-read-only")
    assert not errors, errors


def test_an_erasure_lists_the_documents_before_it_is_confirmed(server, browser) -> None:
    from tests.test_at_rest import PEOPLE

    url = server["url"]
    app = server["app"]
    page, errors = _page(browser)
    _sign_in(page, url, "olga", OFFICER_PASSWORD)  # no grant on finance: not needed
    page.wait_for_url(url + "/chat")
    page.goto(url + "/compliance/subjects")
    page.locator("#subjects-e").fill(PEOPLE[0]["name"])
    page.get_by_role("button", name="Review the erasure").click()
    plan = page.inner_text("#erase-plan")
    record = next(d for d in app.library.documents("finance") if d.source.endswith("record-0.txt"))
    assert record.id[:12] in plan and "DELETED" not in plan
    assert page.locator("#plan-delete input[name=keep]").count() >= 1
    assert page.locator("#subjects-e").input_value() == PEOPLE[0]["name"]
    assert page.evaluate(UNLABELLED) == []
    _shot(page, "subjects-plan")
    assert app.library.has_document(record.id)  # nothing erased before the confirmation
    assert not errors, errors
