"""A staff member summarises a set of short policies: each document's own summary (a
finished one reused, a stopped one taken up), then an overview picked across them,
every statement's marker naming its document ([d2, s1, p. 1]) and checked against
that document's page. The set is cancelled after its first step, the appliance
restarted, and the set resumed; the web UI, the API and the command show it.

Real parts: the default GGUF (through the appliance's queue), the ONNX embedder,
Presidio, SQLite. Three short documents (two sections each) in "default", one in a
collection the staff member is not granted; summarised once for the module."""

from __future__ import annotations

import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from appliance.caller import Caller
from appliance.errors import CollectionNotFound, DocumentError, SummaryNotFound
from appliance.rag.summary_sets import (
    MAX_SET_DOCUMENTS,
    SetProgress,
    compose_overview,
    overview_size,
    set_ids,
)
from appliance.rag.verify import numbers_in
from tests.conftest import make_app
from tests.docgen import make_docx

STAFF_PASSWORD = "quartz-lagoon-ember-55"
SET_MARKER = re.compile(r"\[d(\d+), s(\d+)(?:, p\. (\d+))?\]")

# Each document's numbers are its own, so a statement cannot verify against another's.
_DOCS = {
    "invoices": (
        "Invoice handling policy",
        [
            (
                "Invoice retention",
                "Invoices are kept for 7 years after the end of the financial year. "
                "The finance team reviews the invoice archive every 11 months. "
                "Paper invoices are stored in room 214 of the Ashford building.",
            ),
            (
                "Invoice approval",
                "Invoices above 4500 euros are approved by the finance director. "
                "Approved invoices are paid within 30 days of receipt. "
                "Disputed invoices are answered within 9 working days.",
            ),
        ],
    ),
    "visitors": (
        "Visitor policy",
        [
            (
                "Visitor logs",
                "Visitor logs are kept for 13 months after the end of the visit. "
                "The reception team reviews the visitor archive every 4 months. "
                "Paper logs are stored in room 7 of the Carlton building.",
            ),
            (
                "Badge approval",
                "Badges for contractors are approved by the reception manager. "
                "Approved badges are issued within 2 days of the request. "
                "Lost badges are reported within 24 hours.",
            ),
        ],
    ),
    # Never summarised in "default"; also the document of a collection not granted.
    "cctv": (
        "CCTV footage policy",
        [
            (
                "Footage retention",
                "CCTV footage is kept for 31 days and then overwritten automatically. "
                "The recorders are kept in room 118 of the Brook building.",
            ),
            (
                "Footage requests",
                "Requests to see footage are answered within 15 days by the security team.",
            ),
        ],
    ),
}


class _Ids(HTMLParser):
    """The ids of the elements inside the element with id ``root``."""

    def __init__(self, root: str) -> None:
        super().__init__()
        self.root, self.depth, self.inside = root, 0, set[str]()
        self.forms: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("input", "br", "meta", "link", "img"):
            if self.depth and found.get("id"):
                self.inside.add(found["id"] or "")
            return
        if self.depth:
            self.depth += 1
            if found.get("id"):
                self.inside.add(found["id"] or "")
            if tag == "form":
                self.forms.append(found.get("action") or "")
        elif found.get("id") == self.root:
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in ("input", "br", "meta", "link", "img"):
            self.depth -= 1


def _inside(html: str, root: str) -> _Ids:
    parser = _Ids(root)
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, embedder, engine):  # type: ignore[no-untyped-def]
    """Ingest; summarise the set [invoices, visitors] until its first step, cancel the set,
    close; reopen and resume the set."""
    folder = tmp_path_factory.mktemp("set-docs")
    paths = {
        key: make_docx(folder / f"{key}-policy.docx", title, sections)
        for key, (title, sections) in _DOCS.items()
    }
    data_dir = tmp_path_factory.mktemp("summary-sets") / "data"
    app = make_app(data_dir, embedder, engine)
    ids = {}
    for key in _DOCS:
        (result,) = app.ingest([paths[key]])
        assert result.ok and result.document_id, result.error
        ids[key] = result.document_id
    app.create_collection("private", who=Caller.local())
    (secret,) = app.ingest([paths["cctv"]], "private")
    assert secret.ok and secret.document_id, secret.error
    ids["secret"] = secret.document_id
    chosen = [ids["invoices"], ids["visitors"], ids["invoices"]]  # a duplicate, removed
    first: list[SetProgress] = []

    def cancel_after_one(p: SetProgress) -> None:
        first.append(p)
        if p.step is not None and p.step.done == 1 and p.document == 1:
            app.cancel_summary_set(chosen)

    state1 = app.summarise_set(chosen, on_progress=cancel_after_one, max_tokens=96)
    app.close()
    app = make_app(data_dir, embedder, engine)  # a restart
    after_restart = app.summary_set_state(chosen)
    second: list[SetProgress] = []
    state2 = app.summarise_set(chosen, resume=True, on_progress=second.append, max_tokens=96)
    out = {
        "app": app,
        "ids": ids,
        "paths": paths,
        "first": first,
        "state1": state1,
        "after_restart": after_restart,
        "second": second,
        "state2": state2,
    }
    yield out
    out["app"].close()


def _pages(app, doc_id: str) -> dict[tuple[int, int | None], str]:  # type: ignore[no-untyped-def]
    pages: dict[tuple[int, int | None], str] = {}
    for sec, pieces in app.pipeline.summaries.sections(doc_id):
        for p in pieces:
            key = (sec.index, p.page)
            pages[key] = f"{pages.get(key, '')} {p.text}"
    return pages


def test_the_set_is_cancelled_after_its_step_and_resumed_after_a_restart(run) -> None:  # type: ignore[no-untyped-def]
    ids, first, state1 = run["ids"], run["first"], run["state1"]
    assert state1.document_ids == (ids["invoices"], ids["visitors"])  # the duplicate removed
    assert [(p.document, p.step.done) for p in first if p.step] == [(1, 1)]
    assert state1.status == "cancelled" and state1.documents_done == 0
    assert state1.done_steps == 1 and state1.total_steps == 2
    # After the restart: still stopped, resumable; the second never started.
    again = run["after_restart"]
    assert again.status == "cancelled" and again.resumable and not again.running
    assert [j.done_steps if j else None for j in again.jobs] == [1, 0]
    state2, second = run["state2"], run["second"]
    assert state2.status == "done" and state2.documents_done == 2 and state2.percent == 100
    steps = [(p.document, p.step.step, p.step.reused) for p in second if p.step]
    assert steps[0] == (1, first[0].step.step, True)  # stored, not redone
    assert all(not reused for _, _, reused in steps[1:])
    assert {d for d, _, _ in steps} == {1, 2}
    assert state2.done_steps == state2.total_steps == 4


def test_markers_name_the_document_and_cite_a_page_of_it_holding_the_numbers(run) -> None:  # type: ignore[no-untyped-def]
    app, ids = run["app"], run["ids"]
    chosen = [ids["invoices"], ids["visitors"]]
    summary = app.read_summary_set(chosen)
    assert [(d.key, d.document_id, d.file) for d in summary.legend] == [
        ("d1", ids["invoices"], "invoices-policy.docx"),
        ("d2", ids["visitors"], "visitors-policy.docx"),
    ]
    assert summary.legend[0].title == "Invoice handling policy"
    pages = {d: _pages(app, d) for d in chosen}
    assert summary.overview, summary.as_json()
    for st in summary.overview:
        assert st.document_id == chosen[st.document - 1]
        m = SET_MARKER.fullmatch(st.marker)
        assert m and int(m.group(1)) == st.document, st.marker
        where = (st.statement.section, st.statement.page)
        assert st.statement.supported and where in pages[st.document_id], st
        assert numbers_in(st.text) <= numbers_in(pages[st.document_id][where]), st
    # The overview draws from more than one document, each within its share.
    _, share = overview_size(2)
    by_doc = [st.document for st in summary.overview]
    assert set(by_doc) == {1, 2}, summary.text()
    assert max(by_doc.count(1), by_doc.count(2)) <= share
    assert by_doc == sorted(by_doc)  # set order
    # Each picked statement is one of its document's own verified overview statements.
    for st in summary.overview:
        own = summary.documents[st.document - 1]
        assert st.statement in own.overview
    # The text: legend first, every statement line with a document's marker.
    text = summary.text().splitlines()
    assert text[2].startswith("d1 = Invoice handling policy (invoices-policy.docx)")
    assert text[3].startswith("d2 = Visitor policy")
    shown = [line for line in text if line.startswith("- ")]
    assert shown and all(SET_MARKER.search(line) for line in shown)


def test_reading_a_finished_set_again_does_not_compose_its_overview_again(run, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A client polling a finished set (GET /v1/summaries) gets the same overview
    without the set's statements being embedded again on every request."""
    import appliance.rag.summary_sets as summary_sets

    app, ids = run["app"], run["ids"]
    chosen = [ids["invoices"], ids["visitors"]]
    first = app.read_summary_set(chosen)
    composed = []
    real = summary_sets.compose_overview

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        composed.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(summary_sets, "compose_overview", counting)
    again = app.read_summary_set(chosen)
    assert again.as_json() == first.as_json() and composed == []
    # Another set is composed (once).
    app.read_summary_set([ids["visitors"], ids["invoices"]])
    assert composed == [1]


def test_a_set_of_one_is_that_documents_summary(run) -> None:  # type: ignore[no-untyped-def]
    app, ids = run["app"], run["ids"]
    one = app.read_summary_set([ids["visitors"], ids["visitors"]])
    own = app.read_summary(ids["visitors"])
    assert [s.statement for s in one.overview] == [s for s in own.overview if s.supported]
    assert all(s.marker.startswith("[d1, ") for s in one.overview)


def test_access_empty_and_oversized_sets_and_unfinished_ones_are_refused(run) -> None:  # type: ignore[no-untyped-def]
    app, ids = run["app"], run["ids"]
    staff = Caller("sam", "staff", access={"default": "read"})
    with pytest.raises(CollectionNotFound, match=r"d2 of the set") as refused:
        app.summarise_set([ids["invoices"], ids["secret"]], who=staff)
    assert "CCTV" not in str(refused.value)
    with pytest.raises(CollectionNotFound):
        app.read_summary_set([ids["invoices"], ids["secret"]], who=staff)
    with pytest.raises(CollectionNotFound):
        app.summary_set_state([ids["secret"], ids["visitors"]], who=staff)
    # Refused before anything ran: the secret document was never summarised.
    assert app.summary_state(ids["secret"]) is None
    with pytest.raises(DocumentError, match="no documents chosen"):
        app.summarise_set([" ", ""], who=staff)
    with pytest.raises(DocumentError, match=f"at most {MAX_SET_DOCUMENTS}"):
        set_ids(f"doc{i}" for i in range(MAX_SET_DOCUMENTS + 1))
    assert set_ids(["a", "b", "a", " b "]) == ["a", "b"]
    # The third document was never summarised: the set cannot be read yet.
    unfinished = [ids["invoices"], ids["cctv"]]
    assert app.summary_set_state(unfinished, who=staff).status == "pending"
    with pytest.raises(SummaryNotFound):
        app.read_summary_set(unfinished, who=staff)


def test_the_overview_gives_every_document_its_share() -> None:
    assert overview_size(1) == (8, 8)
    assert overview_size(2) == (8, 4)
    assert overview_size(3) == (8, 3)
    assert overview_size(MAX_SET_DOCUMENTS) == (MAX_SET_DOCUMENTS, 1)
    assert compose_overview([], lambda texts: None) == []


def test_two_versions_saying_the_same_thing_give_it_once(embedder) -> None:  # type: ignore[no-untyped-def]
    from appliance.rag.summaries import DocumentSummary, SectionSummary, Statement

    said = [
        "Invoices are kept for 7 years after the end of the financial year.",
        "Access to payroll records is limited to 3 named members of the HR team.",
        "Paper contracts are stored in room 114 of the Ashford building.",
    ]

    def summary(doc: str, extra: str) -> DocumentSummary:
        statements = [Statement(t, i, i, True, "model") for i, t in enumerate([*said, extra], 1)]
        return DocumentSummary(
            doc,
            f"Policy {doc}",
            "m",
            statements,
            [SectionSummary(st.section, "s", (st.section,), (st,)) for st in statements],
            "extractive",
        )

    old = summary("v1", "Board minutes are kept for 10 years.")
    new = summary("v2", "Board minutes are kept for 12 years.")  # changed: both stay
    picked = compose_overview([old, new], embedder.embed)
    texts = [p.text for p in picked]
    assert len(texts) == len(set(texts)) == 5, texts
    assert {p.document for p in picked} == {1, 2}


def test_the_trail_records_the_set_request_with_ids_and_no_text(run) -> None:  # type: ignore[no-untyped-def]
    app, ids = run["app"], run["ids"]
    records = [r for r in app.audit.records() if r["action"].startswith("summary.set.")]
    requests = [r for r in records if r["action"] == "summary.set.request"]
    assert len(requests) >= 2
    assert requests[0]["detail"]["document_ids"] == [ids["invoices"], ids["visitors"]]
    assert any(r["action"] == "summary.set.cancel" for r in records)
    summary = app.read_summary_set([ids["invoices"], ids["visitors"]])
    words = {w for s in summary.overview for w in re.findall(r"[a-z]{7,}", s.text)}
    trail = json.dumps([(r["resource"], r["detail"]) for r in records])
    assert words and not [w for w in words if w in trail]


def _web(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from appliance.accounts import Accounts
    from appliance.web import create_app
    from tests.webtools import sign_in

    accounts = Accounts(app.db, app.audit, app.settings)
    if "rita" not in {u.username for u in accounts.users()}:
        accounts.create_user("rita", "staff", Caller.local(), password=STAFF_PASSWORD)
        accounts.grant("default", Caller.local(), user="rita")
    key = accounts.create_api_key("rita", "test", Caller.local())
    web = create_app(app, maintenance=False)
    client = TestClient(web, raise_server_exceptions=False)
    assert sign_in(client, "rita", STAFF_PASSWORD).status_code == 303
    return client, TestClient(web, raise_server_exceptions=False), key


def _settled(app, chosen: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Wait for the background set run to end (a bound on polls, not on its speed)."""
    for _ in range(3000):
        if not app.summary_set_state(chosen).running:
            return
        time.sleep(0.2)
    raise AssertionError("the set's run did not end")


def test_the_documents_page_offers_sets_and_shows_what_it_should(run) -> None:  # type: ignore[no-untyped-def]
    from tests.webtools import csrf_of

    app, ids = run["app"], run["ids"]
    client, _, _ = _web(app)
    listing = client.get("/documents?collection=default").text
    for key in ("invoices", "cctv", "visitors"):
        assert f'name="documents" value="{ids[key]}" form="summarise-set"' in listing
    # A "view" link only for documents with a summary; the others get the button only.
    assert f'href="/documents/{ids["invoices"]}/summary"' in listing
    assert f'href="/documents/{ids["cctv"]}/summary"' not in listing
    assert f'action="/documents/{ids["cctv"]}/summarise"' in listing
    assert f'action="/documents/{ids["invoices"]}/summarise"' not in listing
    # The forms that need two documents are inside what the upload script refreshes.
    inside = _inside(listing, "document-list")
    assert {"compare-documents", "summarise-documents", "summarise-set"} <= inside.inside
    assert "/documents/compare" in inside.forms and "/summaries" in inside.forms

    chosen = [ids["invoices"], ids["visitors"]]
    csrf = csrf_of(listing)
    started = client.post(
        "/summaries", data={"csrf": csrf, "documents": chosen}, follow_redirects=False
    )
    assert started.status_code == 303, started.text
    assert (
        started.headers["location"] == f"/summaries?documents={ids['invoices']}%2C{ids['visitors']}"
    )
    _settled(app, chosen)
    page = client.get(started.headers["location"])
    assert page.status_code == 200
    assert "d1" in page.text and "Invoice handling policy" in page.text
    assert "invoices-policy.docx" in page.text and "visitors-policy.docx" in page.text
    for n, doc_id in enumerate(chosen, start=1):
        assert re.search(
            rf'href="/documents/{doc_id}/source\?page=\d+">\[d{n}, s\d+, p\. \d+\]</a>', page.text
        ), page.text
    # A set of one is the document's own summary page.
    one = client.post(
        "/summaries", data={"csrf": csrf, "documents": [chosen[0]]}, follow_redirects=False
    )
    assert one.headers["location"] == f"/documents/{chosen[0]}/summary"
    # None ticked: a clear error, not a crash.
    none = client.post("/summaries", data={"csrf": csrf}, follow_redirects=False)
    assert none.status_code == 400 and "no documents chosen" in none.text
    refused = client.get(f"/summaries?documents={ids['invoices']},{ids['secret']}")
    assert refused.status_code == 404 and "CCTV" not in refused.text


def test_the_api_starts_follows_and_returns_the_set(run) -> None:  # type: ignore[no-untyped-def]
    app, ids = run["app"], run["ids"]
    _, api, key = _web(app)
    headers = {"Authorization": f"Bearer {key}"}
    chosen = [ids["invoices"], ids["visitors"]]
    started = api.post("/v1/summaries", json={"document_ids": chosen}, headers=headers)
    assert started.status_code == 202, started.text
    body = started.json()
    assert body["object"] == "summary.set"
    assert [j["document_id"] for j in body["jobs"]] == chosen
    _settled(app, chosen)
    got = api.get(f"/v1/summaries?document_ids={','.join(chosen)}", headers=headers)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["status"] == "done" and body["documents_done"] == 2
    summary = body["summary"]
    assert [d["key"] for d in summary["legend"]] == ["d1", "d2"]
    assert summary["overview"] and all(
        SET_MARKER.fullmatch(s["marker"]) for s in summary["overview"]
    )
    assert all(
        SET_MARKER.search(line) for line in summary["text"].splitlines() if line.startswith("- ")
    )
    pending = api.get(
        f"/v1/summaries?document_ids={ids['invoices']},{ids['cctv']}", headers=headers
    ).json()
    assert pending["status"] == "pending" and pending["summary"] is None
    assert [j["status"] for j in pending["jobs"]] == ["done", "pending"]
    refused = api.get(f"/v1/summaries?document_ids={ids['secret']}", headers=headers)
    assert refused.status_code == 404
    # A document, not a model: the error says so (it said model_not_found, param model).
    assert refused.json()["error"]["code"] == "document_not_found"
    assert refused.json()["error"]["param"] is None
    empty = api.post("/v1/summaries", json={"document_ids": []}, headers=headers)
    assert empty.status_code == 400 and "no documents chosen" in empty.text


def test_a_set_page_shows_progress_with_cancel_and_resume(run) -> None:  # type: ignore[no-untyped-def]
    from tests.webtools import csrf_of

    app, ids = run["app"], run["ids"]
    client, _, _ = _web(app)
    chosen = [ids["visitors"], ids["cctv"]]  # the second never summarised
    url = f"/summaries?documents={ids['visitors']}%2C{ids['cctv']}"
    page = client.get(url).text
    assert "1 of 2 documents done" in page and "Not finished" in page
    assert 'action="/summaries"' in page and "Resume" in page  # pending: resumable
    assert 'http-equiv="refresh"' not in page  # nothing runs: no reloading
    # A cancel stops the documents not yet summarised too; Resume takes them up.
    cancelled = client.post(
        "/summaries/cancel",
        data={"csrf": csrf_of(page), "documents": ",".join(chosen)},
        follow_redirects=False,
    )
    assert cancelled.status_code == 303 and cancelled.headers["location"] == url
    page = client.get(url).text
    assert "Summary cancelled" in page and "Resume" in page
    state = app.summary_set_state(chosen)
    assert state.status == "cancelled" and state.resumable
    assert [j.status for j in state.jobs] == ["done", "cancelled"]
    resumed = client.post(
        "/summaries",
        data={"csrf": csrf_of(page), "documents": chosen, "resume": "1"},
        follow_redirects=False,
    )
    assert resumed.status_code == 303 and resumed.headers["location"] == url
    _settled(app, chosen)
    state = app.summary_set_state(chosen)
    assert state.status == "done" and state.documents_done == 2, state.as_json()
    page = client.get(url).text
    assert "2 of 2 documents" not in page and 'id="set-legend"' in page


def test_the_command_summarises_a_set_by_file_names(run, embedder, engine) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import run_cli

    app = run["app"]
    data_dir = Path(app.settings.data_dir)
    app.close()  # the command opens the data directory itself
    try:
        proc = run_cli(
            "summarise",
            "invoices-policy.docx",
            "visitors-policy.docx",
            "--resume",
            data_dir=data_dir,
        )
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        assert lines[0] == "Summary of 2 documents"
        assert lines[2].startswith("d1 = Invoice handling policy (invoices-policy.docx)")
        shown = [line for line in lines if line.startswith("- ")]
        assert shown and all(SET_MARKER.search(line) for line in shown), proc.stdout
        assert "summary stored" in proc.stderr  # both reused, nothing recomputed
        proc = run_cli(
            "summarise", run["ids"]["invoices"], run["ids"]["visitors"], "--json", data_dir=data_dir
        )
        body = json.loads(proc.stdout)
        assert body["object"] == "summary.set" and body["status"] == "done"
        assert {s["document"] for s in body["summary"]["overview"]} == {1, 2}
        stop = run_cli(
            "summarise",
            run["ids"]["invoices"],
            run["ids"]["visitors"],
            "--cancel",
            "--json",
            data_dir=data_dir,
        )
        assert stop.returncode == 0, stop.stderr
        assert json.loads(stop.stdout)["status"] == "done"  # nothing ran: nothing to stop
        missing = run_cli(
            "summarise", "invoices-policy.docx", "no-such-document", data_dir=data_dir
        )
        assert missing.returncode == 4 and "d2 of the set" in missing.stderr, missing.stderr
    finally:
        run["app"] = make_app(data_dir, embedder, engine)


def test_a_set_with_a_deleted_document_is_a_clear_error(run) -> None:  # type: ignore[no-untyped-def]
    app, ids = run["app"], run["ids"]
    chosen = [ids["invoices"], ids["visitors"]]
    app.delete_document(ids["visitors"])
    for act in (app.read_summary_set, app.summary_set_state, app.summarise_set):
        with pytest.raises(CollectionNotFound, match=r"no document .* \(d2 of the set\)"):
            act(chosen)
    assert app.read_summary_set([ids["invoices"]]).overview  # the rest still reads
