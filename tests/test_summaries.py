"""A staff member summarises a policy longer than the model's context: section by
section, then as a whole, every statement citing its section and page, checked against
that text; the job shows progress, is cancelled, survives a restart and resumes
without redoing what it finished; the summary is sealed and goes with its document.

Real parts: the default GGUF (through the appliance's queue), the ONNX embedder,
Presidio, SQLite. One document is summarised once for the module (cancelled after
three steps, the appliance closed and reopened, then resumed)."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from appliance.errors import CollectionNotFound, SummaryBusy, SummaryNotFound
from appliance.rag.overview import copies, pick_central
from appliance.rag.summaries import (
    MARKER,
    OVERVIEW_STATEMENTS,
    PageText,
    Section,
    StatementChecker,
    build_sections,
    complete_statements,
    parse_statement,
)
from appliance.rag.verify import numbers_in
from appliance.store.schema import Summary, SummaryStep
from tests.conftest import make_app
from tests.docgen import make_docx

OFFICER = "Wilhelmina Quatermass-Oyelaran"
OFFICER_EMAIL = "wilhelmina.quatermass@example.org"

_TOPICS = [
    ("Invoices", "finance"),
    ("Payroll records", "human resources"),
    ("Supplier contracts", "legal"),
    ("CCTV footage", "security"),
    ("Visitor logs", "reception"),
    ("Email archives", "information technology"),
    ("Job applications", "recruitment"),
    ("Customer complaints", "customer service"),
    ("Accident reports", "health and safety"),
    ("Board minutes", "governance"),
]


def _section_text(i: int, topic: str, team: str) -> str:
    low = topic.lower()
    years, months, days, staff, room = 3 + i, 6 + i, 10 + 3 * i, 2 + i, 100 + 7 * i
    facts = [
        f"{topic} are kept for {years} years after the end of the financial year in which "
        "they were created.",
        f"The {team} team reviews the {low} archive every {months} months and records each "
        "review in the retention register.",
        f"Copies of {low} held outside the main records system must be destroyed within "
        f"{days} days of the original being filed.",
        f"Access to {low} is limited to {staff} named members of the {team} team.",
        f"Paper {low} are stored in room {room} of the Ashford building, which is locked "
        "outside office hours.",
    ]
    procedure = [
        f"When {low} reach the end of their retention period, the owner checks whether a "
        "legal hold applies before anything is destroyed.",
        f"Destruction of {low} is carried out by cross-cut shredding for paper and by "
        "secure erasure for electronic copies.",
        f"Staff who find {low} kept beyond their period report them to the records officer, "
        "who arranges a review with the owner.",
        f"The owner of {low} keeps a short note of every decision to keep a record longer, "
        "with the reason and the name of the person who approved it.",
        f"Requests from auditors to see {low} are answered by the {team} team after the "
        "records officer has checked the request.",
        f"Where {low} mention customers or staff, only the details needed for the purpose "
        "are copied into other systems.",
        f"Backups that hold {low} follow the same periods, and expired backups are "
        "overwritten in the normal backup cycle.",
        f"Training on the handling of {low} is part of the induction of every new member "
        f"of the {team} team.",
        f"The {team} manager approves any change to how {low} are filed, after hearing "
        "the records officer and the people who use them every day.",
        f"Scanned copies of {low} replace the paper originals only when the scan has been "
        "checked against the original page by page.",
        f"Lost or damaged {low} are reported as an incident on the day the loss is found, "
        "so that the owner can judge the harm and decide what to do.",
        f"An annual report on {low} lists what was created, kept longer, destroyed and "
        "requested, and goes to the management board with the records officer's advice.",
    ]
    text = " ".join(facts[:3] + procedure[:6] + facts[3:] + procedure[6:])
    if i == 0:
        text += (
            f" The records officer, {OFFICER}, can be reached at {OFFICER_EMAIL} for "
            "questions about this policy."
        )
    return text


@pytest.fixture(scope="module")
def long_policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("policy")
    sections = [
        (f"{t} retention", _section_text(i, t, team)) for i, (t, team) in enumerate(_TOPICS)
    ]
    return make_docx(folder / "records-policy.docx", "Records retention policy", sections)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, long_policy: Path, embedder, engine):  # type: ignore[no-untyped-def]
    """Ingest, summarise until three steps are done, cancel, close; reopen and resume."""
    data_dir = tmp_path_factory.mktemp("summaries") / "data"
    app = make_app(data_dir, embedder, engine)
    (result,) = app.ingest([long_policy])
    assert result.ok, result.error
    doc_id = result.document_id
    assert doc_id is not None
    first: list = []

    def cancel_after_three(p) -> None:  # type: ignore[no-untyped-def]
        first.append(p)
        if p.done == 3:
            app.cancel_summary(doc_id)

    state1, _, computed1 = app.summarise(doc_id, on_progress=cancel_after_three, max_tokens=96)
    app.close()
    app = make_app(data_dir, embedder, engine)  # a restart
    interrupted = app.summary_state(doc_id)
    second: list = []
    state2, reused, computed2 = app.summarise(
        doc_id, resume=True, on_progress=second.append, max_tokens=96
    )
    yield {
        "app": app,
        "doc_id": doc_id,
        "first": first,
        "second": second,
        "state1": state1,
        "computed1": computed1,
        "interrupted": interrupted,
        "state2": state2,
        "reused": reused,
        "computed2": computed2,
    }
    app.close()


def test_the_document_is_longer_than_the_models_context(run, engine) -> None:  # type: ignore[no-untyped-def]
    app = run["app"]
    sections = [s for s, _ in app.pipeline.summaries.sections(run["doc_id"])]
    assert len(sections) >= len(_TOPICS)
    assert engine.count_tokens("\n".join(s.text for s in sections)) > engine.n_ctx


def test_sections_are_built_from_the_stored_passages_with_pages_and_no_overlap(run) -> None:  # type: ignore[no-untyped-def]
    app = run["app"]
    sections = [s for s, _ in app.pipeline.summaries.sections(run["doc_id"])]
    titled = [s for s in sections if s.title.endswith("retention")]
    assert [s.title for s in titled] == [f"{t} retention" for t, _ in _TOPICS]
    for s in titled:
        assert isinstance(s, Section) and s.pages, s
        # The chunker repeats sentences across passages; a section says each once.
        for fact in ("are kept for", "reviews the", "must be destroyed", "Access to", "room"):
            assert s.text.count(fact) == 1, (fact, s.text)
    assert all(a.pages[-1] <= b.pages[0] for a, b in itertools.pairwise(titled))
    assert OFFICER not in titled[0].text and "<PERSON_" in titled[0].text  # pseudonymised


def test_progress_advances_and_cancel_stops_the_job_after_its_step(run) -> None:  # type: ignore[no-untyped-def]
    first, state1 = run["first"], run["state1"]
    assert [p.done for p in first] == [1, 2, 3]
    assert all(p.total > 3 and not p.reused for p in first)
    assert state1.status == "cancelled" and state1.done_steps == 3
    assert run["computed1"] == 3
    assert run["interrupted"].status == "cancelled" and run["interrupted"].resumable


def test_resume_after_a_restart_finishes_without_redoing_finished_steps(run) -> None:  # type: ignore[no-untyped-def]
    second, state2 = run["second"], run["state2"]
    assert state2.status == "done"
    assert [p.done for p in second] == list(range(1, len(second) + 1))
    assert [p.step for p in second[:3]] == [p.step for p in run["first"]]
    assert all(p.reused for p in second[:3]) and not any(p.reused for p in second[3:])
    assert run["reused"] == 3 and run["computed2"] == len(second) - 3
    # The default overview is picked, not written: every step is a section's.
    assert all(p.step.startswith("map:") for p in [*run["first"], *second])
    assert state2.done_steps == state2.total_steps == len(second)


def test_every_statement_cites_a_real_section_and_page_holding_its_numbers(run) -> None:  # type: ignore[no-untyped-def]
    app, doc_id = run["app"], run["doc_id"]
    summary = app.read_summary(doc_id)
    sections = {s.index: s for s, _ in app.pipeline.summaries.sections(doc_id)}
    pieces = {s.index: p for s, p in app.pipeline.summaries.sections(doc_id)}
    shown = [s for s in summary.statements() if s.supported]
    assert len(shown) >= 3, summary.as_json()
    # The whole document is read: nearly every section has a verified statement (the
    # model often begins by echoing its prompt's "Section text:", which once ended
    # the step with nothing).
    titled = [sec for sec in summary.sections if sec.title.endswith("retention")]
    read = [sec for sec in titled if any(s.supported for s in sec.statements)]
    assert len(read) >= len(titled) - 2, [sec.title for sec in titled if sec not in read]
    assert any(s.supported for s in summary.overview)
    for st in shown:
        assert st.section in sections, st
        assert st.page in sections[st.section].pages, st
        page_text = " ".join(p.text for p in pieces[st.section] if p.page == st.page)
        assert numbers_in(st.text) <= numbers_in(page_text), (st, page_text)
        assert numbers_in(st.text) <= numbers_in(sections[st.section].text)
    # The text as shown: every statement line ends with its marker.
    for line in summary.text().splitlines():
        if line.startswith("- "):
            assert MARKER.search(line), line
    # Unverified statements are kept apart, with a reason, never as verified.
    for st in summary.statements():
        if not st.supported:
            assert st.reason and st.cited_by is None


def test_the_overview_is_picked_from_the_verified_section_statements(run) -> None:  # type: ignore[no-untyped-def]
    """The model never writes the overview: each of its statements is one of the
    sections' verified statements, at most one per section, in reading order."""
    summary = run["app"].read_summary(run["doc_id"])
    assert summary.overview_source == "extractive"
    by_section = [s for sec in summary.sections for s in sec.statements if s.supported]
    distinct = {
        s.section
        for s, repeat in zip(by_section, copies([s.text for s in by_section]), strict=True)
        if not repeat
    }
    assert len(summary.overview) == min(OVERVIEW_STATEMENTS, len(distinct)), summary.text()
    for st in summary.overview:
        assert st.supported and st in by_section, st
    # Ten sections say "... are kept for N years ..." of ten kinds of record: not
    # copies of one another, so the overview holds several of them.
    kept = [s for s in summary.overview if "are kept for" in s.text]
    assert len({s.section for s in kept}) == len(kept)
    sections = [s.section for s in summary.overview]
    assert sections == sorted(set(sections))


def test_the_model_writes_the_overview_only_when_configured(
    tmp_path: Path, long_policy: Path, embedder, engine
) -> None:  # type: ignore[no-untyped-def]
    """``summary_overview = "model"`` (a site with a larger model) reduces the verified
    statements with the model; its statements are checked like the sections'."""
    short = make_docx(
        tmp_path / "short-policy.docx",
        "Short retention policy",
        [(f"{t} retention", _section_text(i, t, team)) for i, (t, team) in enumerate(_TOPICS[:2])],
    )
    app = make_app(tmp_path / "data", embedder, engine, summary_overview="model")
    try:
        (result,) = app.ingest([short])
        assert result.ok and result.document_id, result.error
        steps: list = []
        state, _, _ = app.summarise(result.document_id, on_progress=steps.append, max_tokens=96)
        assert state.status == "done"
        assert [p.step for p in steps][-1] == "reduce:0:0"
        summary = app.read_summary(result.document_id)
        assert summary.overview_source in ("model", "sections")
        pieces = dict(app.pipeline.summaries.sections(result.document_id))
        texts = {sec.index: sec.text for sec in pieces}
        for st in summary.overview:
            if st.supported:
                assert numbers_in(st.text) <= numbers_in(texts[st.section]), st
    finally:
        app.close()


def test_the_trail_records_request_stop_and_completion_without_text(run) -> None:  # type: ignore[no-untyped-def]
    app, doc_id = run["app"], run["doc_id"]
    records = [r for r in app.audit.records() if r["action"].startswith("summary.")]
    actions = [r["action"] for r in records]
    assert actions.count("summary.request") == 2
    assert "summary.stopped" in actions and "summary.complete" in actions
    assert "summary.cancel" in actions
    done = next(r for r in records if r["action"] == "summary.complete")
    assert doc_id in done["resource"]
    summary = app.read_summary(doc_id)
    words = {w for s in summary.statements() for w in re.findall(r"[a-z]{9,}", s.text)}
    trail = json.dumps(records)
    assert words and not [w for w in words if w in trail]


def test_the_summary_is_sealed_at_rest(run) -> None:  # type: ignore[no-untyped-def]
    app, doc_id = run["app"], run["doc_id"]
    with app.db.session() as s:
        row = s.scalar(select(Summary).where(Summary.document_id == doc_id))
        assert row is not None and row.result_sealed is not None
        raw = bytes(row.result_sealed)
    for plain in ("retention", "statements", OFFICER.split()[0], OFFICER_EMAIL, "PERSON"):
        assert plain.encode() not in raw and plain.lower().encode() not in raw.lower()
    db_bytes = Path(app.settings.data_dir).rglob("*")
    for path in (p for p in db_bytes if p.is_file()):
        data = path.read_bytes().lower()
        for value in ("quatermass", OFFICER_EMAIL):
            assert value.encode() not in data, path


def test_reading_needs_the_document_and_a_job_runs_once(run) -> None:  # type: ignore[no-untyped-def]
    from appliance.caller import Caller

    app, doc_id = run["app"], run["doc_id"]
    stranger = Caller("stranger", "staff", access={})
    with pytest.raises(CollectionNotFound):
        app.read_summary(doc_id, who=stranger)
    with pytest.raises(CollectionNotFound):
        app.summarise(doc_id, who=stranger)
    state, _, computed = app.summarise(doc_id, resume=True)  # done: nothing to do
    assert state.status == "done" and computed == 0
    # A job marked running by this live process is refused a second start.
    with app.db.session() as s:
        row = s.scalar(select(Summary).where(Summary.document_id == doc_id))
        assert row is not None
        status, runner = row.status, row.runner
        app.pipeline.summaries._running.add(row.id)
        row.status = "running"
    try:
        with pytest.raises(SummaryBusy):
            app.summarise(doc_id)
    finally:
        with app.db.session() as s:
            row = s.scalar(select(Summary).where(Summary.document_id == doc_id))
            assert row is not None
            app.pipeline.summaries._running.discard(row.id)
            row.status, row.runner = status, runner


def test_the_documents_page_offers_it_and_the_summary_page_and_api_show_it(run) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from appliance.accounts import Accounts
    from appliance.caller import Caller
    from appliance.web import create_app
    from tests.webtools import sign_in

    app, doc_id = run["app"], run["doc_id"]
    accounts = Accounts(app.db, app.audit, app.settings)
    accounts.create_user("rita", "staff", Caller.local(), password="quartz-lagoon-ember-55")
    accounts.grant("default", Caller.local(), user="rita")
    key = accounts.create_api_key("rita", "test", Caller.local())
    web = create_app(app, maintenance=False)
    client = TestClient(web, raise_server_exceptions=False)
    assert sign_in(client, "rita", "quartz-lagoon-ember-55").status_code == 303
    listing = client.get("/documents?collection=default").text
    # Summarised: the row links to the summary instead of offering to start one.
    assert f'href="/documents/{doc_id}/summary"' in listing
    assert f'action="/documents/{doc_id}/summarise"' not in listing
    page = client.get(f"/documents/{doc_id}/summary")
    assert page.status_code == 200
    assert re.search(
        rf'href="/documents/{doc_id}/source\?page=\d+">\[s\d+, p\. \d+\]</a>', page.text
    )
    assert OFFICER not in page.text  # a staff role sees placeholders only
    api = TestClient(web, raise_server_exceptions=False)
    headers = {"Authorization": f"Bearer {key}"}
    got = api.get(f"/v1/documents/{doc_id}/summary", headers=headers)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["status"] == "done" and body["summary"]["counts"]["supported"] >= 3
    assert all(
        MARKER.search(line)
        for line in body["summary"]["text"].splitlines()
        if line.startswith("- ")
    )
    again = api.post(f"/v1/documents/{doc_id}/summary", json={"resume": True}, headers=headers)
    assert again.status_code == 202 and again.json()["status"] == "done"
    assert api.get("/v1/documents/nope/summary", headers=headers).status_code == 404


def test_the_command_prints_the_summary_with_its_markers(run, embedder, engine) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import run_cli

    app = run["app"]
    data_dir = Path(app.settings.data_dir)
    app.close()  # the command opens the data directory itself
    # Done already: --resume prints it without running a step; the file name finds it.
    proc = run_cli("summarise", "records-policy.docx", "--resume", data_dir=data_dir)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Summary of ")
    shown = [line for line in lines if line.startswith("- ")]
    assert shown and all(MARKER.search(line) for line in shown), proc.stdout
    proc = run_cli("summarise", run["doc_id"], "--json", "--resume", data_dir=data_dir)
    body = json.loads(proc.stdout)
    assert body["computed_steps"] == 0 and body["counts"]["supported"] >= 3
    missing = run_cli("summarise", "no-such-document", "--cancel", data_dir=data_dir)
    assert missing.returncode == 4, missing.stderr
    run["app"] = make_app(data_dir, embedder, engine)


def test_the_jobs_of_a_large_collection_are_read_in_slices(run) -> None:  # type: ignore[no-untyped-def]
    """More ids than SQLite binds in one statement (32,766): no 'too many SQL
    variables'."""
    app, doc_id = run["app"], run["doc_id"]
    ids = [f"absent-{i}" for i in range(40_000)]
    states = app.pipeline.summaries.states([*ids, doc_id])
    assert list(states) == [doc_id] and states[doc_id].status == "done"


def test_deleting_the_document_deletes_its_summary(run) -> None:  # type: ignore[no-untyped-def]
    app, doc_id = run["app"], run["doc_id"]
    app.delete_document(doc_id)
    with app.db.session() as s:
        assert s.scalar(select(Summary).where(Summary.document_id == doc_id)) is None
        assert list(s.scalars(select(SummaryStep))) == []
    with pytest.raises(CollectionNotFound):
        app.read_summary(doc_id)
    with pytest.raises(SummaryNotFound):
        app.pipeline.summaries.read(doc_id)


# -- the parts, without the model ------------------------------------------------------


def test_sections_group_passages_by_heading_and_drop_the_repeated_overlap() -> None:
    rows = [
        (1, "Policy > Scope", "This policy covers invoices. It applies to all staff members."),
        (1, "Policy > Scope", "It applies to all staff members. Contractors are included."),
        (2, "Policy > Scope", "Visitors are not covered."),
        (2, "Policy > Periods", "Invoices are kept for 7 years."),
    ]
    sections = build_sections(rows)
    assert [(s.index, s.title, s.pages) for s, _ in sections] == [
        (1, "Scope", (1, 2)),
        (2, "Periods", (2,)),
    ]
    scope, pieces = sections[0]
    assert scope.text.count("It applies to all staff members.") == 1
    assert pieces == (
        PageText(
            1,
            "This policy covers invoices. It applies to all staff members. "
            "Contractors are included.",
        ),
        PageText(2, "Visitors are not covered."),
    )


def test_a_statement_that_reuses_the_pages_words_to_say_something_else_is_unverified() -> None:
    """Statements the default model wrote about the GDPR that passed the word check
    (bench RESULTS.md §14): the page's words, another meaning."""
    article_15 = (
        "The data subject shall have the right to obtain from the controller confirmation "
        "as to whether or not personal data concerning him or her are being processed, "
        "and, where that is the case, access to the personal data and the following "
        "information: the purposes of the processing; the categories of personal data "
        "concerned."
    )
    checker = StatementChecker({(23, None): article_15})
    wrong = checker.judge(
        "The right of access to personal data is granted by the data subject.", [(23, None)], []
    )
    assert not wrong.supported and "in these words" in wrong.reason
    close = checker.judge(
        "The data subject shall have the right to obtain from the controller confirmation "
        "as to whether or not personal data concerning him or her are being processed.",
        [(23, None)],
        [],
    )
    assert close.supported
    # Pieces of a list copied from the page are no statements.
    assert parse_statement("| kept up to date; e.") is None
    assert parse_statement("stored for longer periods than is necessary; f.") is None
    assert parse_statement("| The protection of personal data is a fundamental right [s3].") == (
        "The protection of personal data is a fundamental right.",
        [(3, None)],
        [],
    )


def test_a_statement_cut_at_the_token_limit_is_dropped() -> None:
    said = ["Invoices are kept for 3 years.", "Paper invoices are stored in room 100 of the"]
    assert complete_statements(said, {"finish_reason": "length"}) == said[:1]
    assert complete_statements(said, {"finish_reason": "stop"}) == said
    ended = ["Invoices are kept for 3 years [s1, p. 1].", "Access is limited [s1, p. 2]"]
    assert complete_statements(ended, {"finish_reason": "length"}) == ended
    assert complete_statements([], {"finish_reason": "length"}) == []


def test_statements_are_parsed_and_checked_against_the_cited_page() -> None:
    parsed = parse_statement("- Invoices are kept for 7 years [s2, p. 2].")
    assert parsed == ("Invoices are kept for 7 years.", [(2, 2)], [])
    assert parse_statement("Here are the key points:") is None
    assert parse_statement("[s2, p. 2]") is None
    checker = StatementChecker({(2, 2): "Invoices are kept for 7 years.", (1, 1): "Scope."})
    ok = checker.judge("Invoices are kept for 7 years.", [(2, 2)], [])
    assert ok.supported and ok.cited_by == "model" and ok.marker == "[s2, p. 2]"
    wrong = checker.judge("Invoices are kept for 9 years.", [(2, 2)], [(2, 2)])
    assert not wrong.supported and "9" in wrong.reason
    moved = checker.judge("Invoices are kept for 7 years.", [(1, 1)], [(1, 1), (2, 2)])
    assert moved.supported and moved.cited_by == "attributed" and moved.page == 2


def test_the_overview_picks_central_statements_once_per_group_in_reading_order() -> None:
    import numpy as np

    def unit(*xs: float) -> list[float]:
        v = np.array(xs, dtype=np.float32)
        return list(v / np.linalg.norm(v))

    vectors = np.array(
        [
            unit(0.0, 0.0, 1.0),  # 0: off-topic
            unit(1.0, 0.2, 0.0),  # 1: central
            unit(1.0, 0.21, 0.0),  # 2: a near-copy of 1 (cosine > 0.99)
            unit(1.0, -0.3, 0.0),  # 3: central, says something else
            unit(0.8, 0.7, 0.1),  # 4: less central, something else again
        ],
        dtype=np.float32,
    )
    # The most central first; the off-topic one last, whatever the diversity.
    assert pick_central(vectors, 1) == [2]
    assert 0 not in pick_central(vectors, 4) and pick_central(vectors, 5) == [0, 1, 2, 3, 4]
    # More diversity: a near-copy of a pick loses to a statement on something else.
    assert pick_central(vectors, 2, diversity=0.0) == [1, 2]
    assert pick_central(vectors, 2, diversity=0.6) == [0, 2]
    # At most per_group of one group; fewer when the groups run out; reading order.
    groups = ["a", "a", "a", "b", "b"]
    one_each = pick_central(vectors, 5, groups)
    assert len(one_each) == 2 and one_each == sorted(one_each)
    assert [groups[i] for i in one_each] == ["a", "b"]
    assert len(pick_central(vectors, 5, groups, per_group=2)) == 4
    assert pick_central(np.zeros((0, 3), dtype=np.float32), 4) == []
    with pytest.raises(ValueError):
        pick_central(vectors, 2, ["a"])
    with pytest.raises(ValueError):
        pick_central(vectors, 2, diversity=1.5)


def test_a_statement_repeating_an_earlier_one_is_a_copy_unless_a_number_or_word_differs() -> None:
    assert copies(
        [
            "The controller shall notify the authority within 72 hours.",
            "The controller must notify the authority within 72 hours.",  # "must": a copy
            "The controller must notify the authority within 48 hours.",  # another number
            "Invoices are kept for 3 years.",
            "Email archives are kept for 3 years.",  # another subject
            "The right to erasure applies.",
            "The right to rectification applies.",  # another right
        ],
        "en",
    ) == [False, True, False, False, False, False, False]
