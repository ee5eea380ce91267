"""Comparing two versions of a policy: the sections added, removed, changed and moved,
found by aligning sections (not by the model), each change summarised by the model
only when the summary passes verification against both cited versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.caller import Caller
from appliance.errors import CollectionNotFound, NotAllowed
from appliance.ingest.chunker import chunk_document
from appliance.ingest.loaders import Block, LoadedDocument, Page
from appliance.rag.compare import (
    align_sections,
    check_change_summary,
    normalise_title,
    pick_document,
    sentence_diff,
)
from appliance.rag.sections import Section, sections_from_chunks
from tests.conftest import run_cli
from tests.docgen import make_docx

TITLE = "Northvale Building Society Records Management Policy"
PURPOSE = (
    "This policy sets out how the Society creates, keeps and destroys the records of its "
    "business. It applies to paper and electronic records alike. Every record has an owner "
    "who answers for its accuracy."
)
SCOPE = (
    "The policy covers all staff, contractors and temporary workers. It covers records held "
    "in branches, at head office and with third-party storage providers."
)
RETENTION_V1 = (
    "Customer account records are kept for 6 years after the account closes. Mortgage "
    "records are kept for 12 years after the mortgage is redeemed. Complaint files are kept "
    "for 3 years after the complaint is closed."
)
RETENTION_V2 = RETENTION_V1.replace("6 years after the account", "7 years after the account")
STORAGE_V1 = (
    "Electronic records are stored in the document management system. Paper records are "
    "stored in locked cabinets in the records room."
)
STORAGE_V2 = (
    STORAGE_V1 + " Paper records are scanned within 30 days and the paper copies destroyed."
)
ACCESS = (
    "Requests to see a record are made to the Records Manager. The Records Manager answers "
    "within 15 working days."
)
DESTRUCTION = (
    "Records are destroyed by cross-cut shredding or secure deletion. Every destruction is "
    "approved by Margaret Thistlewood, the Head of Records, and logged in the destruction "
    "register."
)
TRAINING = (
    "All staff complete records training every year. The training is run by Tomasz Wielgus "
    "from the Compliance Team."
)
REMOTE = (
    "Staff working from home keep no paper records there. Questions about remote working go "
    "to Priya Raman in Information Security."
)

V1 = [
    ("1. Purpose", PURPOSE),
    ("2. Scope", SCOPE),
    ("3. Retention periods", RETENTION_V1),
    ("4. Storage", STORAGE_V1),
    ("5. Access to records", ACCESS),
    ("6. Destruction", DESTRUCTION),
    ("7. Training", TRAINING),
]
# Two sections changed (a number; a sentence added), one added, one removed, one moved
# unchanged; the new section names a person first, so every other person's document
# placeholder shifts (<PERSON_1> in v1 is <PERSON_2> in v2).
V2 = [
    ("1. Purpose", PURPOSE),
    ("2. Remote working", REMOTE),
    ("3. Destruction", DESTRUCTION),
    ("4. Scope", SCOPE),
    ("5. Retention periods", RETENTION_V2),
    ("6. Storage", STORAGE_V2),
    ("7. Training", TRAINING),
]


def _write(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    old = make_docx(folder / "records-policy-2024.docx", TITLE, V1)
    new = make_docx(folder / "records-policy-2025.docx", TITLE, V2)
    return old, new


def _own(title: str) -> str:
    return normalise_title(title)


# -- sections from chunks ---------------------------------------------------------------


def test_a_section_reads_the_same_whatever_the_chunk_boundaries() -> None:
    sentences = [f"Sentence number {n} of the retention section says something." for n in range(30)]
    doc = LoadedDocument(
        "Policy",
        "docx",
        [
            Page(1, [Block("Policy", 1), Block("Intro text before anything. It is short.")]),
            Page(1, [Block("Retention", 2), Block(" ".join(sentences[:20]))]),
            Page(2, [Block(" ".join(sentences[20:]))]),
        ],
    )
    texts = []
    for chunk_chars, overlap in ((200, 120), (350, 60), (700, 0)):
        chunks = chunk_document(doc, chunk_chars=chunk_chars, overlap_chars=overlap)
        assert len(chunks) > 2
        sections = sections_from_chunks((c.page, c.section, c.text) for c in chunks)
        assert [s.title for s in sections] == ["Policy", "Policy > Retention"]
        assert [s.index for s in sections] == [0, 1]
        assert sections[1].pages == (1, 2)
        texts.append(sections[1].text)
    assert texts[0] == texts[1] == texts[2] == " ".join(sentences)


def test_sections_before_the_first_heading_have_an_empty_title() -> None:
    sections = sections_from_chunks([(None, "", "Opening words."), (None, "A", "Body.")])
    assert sections == [Section(0, "", (), "Opening words."), Section(1, "A", (), "Body.")]


# -- alignment, without the model ------------------------------------------------------------


def _sections(spec: list[tuple[str, str]]) -> list[Section]:
    return [Section(i, f"{TITLE} > {t}", (i + 1,), text) for i, (t, text) in enumerate(spec)]


def test_alignment_finds_exactly_the_changed_added_removed_and_moved_sections() -> None:
    old, new = _sections(V1), _sections(V2)
    alignment = align_sections(old, new)
    pairs = {(_own(old[i].title), _own(new[j].title)) for i, j in alignment.pairs}
    assert len(pairs) == 6 and all(a == b for a, b in pairs)
    assert [_own(old[i].title) for i in alignment.removed] == ["access to records"]
    assert [_own(new[j].title) for j in alignment.added] == ["remote working"]
    assert [_own(old[i].title) for i, _ in alignment.moved] == ["destruction"]


def test_a_rewritten_title_is_matched_by_its_text() -> None:
    old = _sections([("Keeping records", RETENTION_V1)])
    new = _sections([("How long we keep records", RETENTION_V2)])
    alignment = align_sections(old, new)
    assert alignment.pairs == ((0, 0),) and not alignment.added and not alignment.removed


def test_sentence_diff_names_the_sentences() -> None:
    removed, added = sentence_diff(RETENTION_V1, RETENTION_V2)
    assert removed == ("Customer account records are kept for 6 years after the account closes.",)
    assert added == ("Customer account records are kept for 7 years after the account closes.",)
    assert sentence_diff(STORAGE_V1, STORAGE_V2) == (
        (),
        ("Paper records are scanned within 30 days and the paper copies destroyed.",),
    )


def test_a_summary_is_checked_against_both_versions() -> None:
    cited = ["3. Retention periods", RETENTION_V1, "5. Retention periods", RETENTION_V2]
    removed, added = sentence_diff(RETENTION_V1, RETENTION_V2)

    def check(summary: str) -> str:
        return check_change_summary(summary, cited, removed, added, "Retention periods")

    assert check("Customer account records are now kept for 7 years instead of 6 years.") == ""
    assert check("The retention period for customer accounts rises to 7 years.") == ""
    # A word of the model's own is where a summary goes wrong (its own attempt here).
    storage = sentence_diff(STORAGE_V1, STORAGE_V2)
    assert (
        check_change_summary(
            "Paper records must now be destroyed within 30 days and shredded.",
            ["Storage", STORAGE_V1, "Storage", STORAGE_V2],
            *storage,
            "Storage",
        )
        == "“shred” is not in the cited sections"
    )
    assert "“8 year”" in check("Account records are kept for 8 years.")
    assert check("The Board meets monthly.")
    assert check("") == "the model wrote nothing"
    # True of the old version, wrong of the change: the model's own first attempt.
    assert (
        check("The customer account records are kept for 6 years after the account closes.")
        == "names the old version's “6” without the new value"
    )
    assert check("After: Customer account records are kept for 7 years.") == (
        "copies the layout of the prompt"
    )
    padded = (
        "Staff working from home keep no paper records there, which is an important "
        "aspect to consider when discussing remote work and its impact on the workplace."
    )
    remote = ["Staff working from home keep no paper records there."]
    assert check_change_summary(padded, ["Remote working", *remote], [], remote, "Remote") == (
        "“aspect” is not in the cited sections"
    )
    # The rest of the section is not the change.
    assert check("Mortgage records are kept for 12 years after the mortgage is redeemed.") == (
        "does not name the new value (“7”)"
    )
    assert (
        check_change_summary(
            "Electronic records are stored in the document management system.",
            ["Storage", STORAGE_V1, "Storage", STORAGE_V2],
            *storage,
            "Storage",
        )
        == "does not describe the sentences that changed"
    )


# -- the whole path: real ingestion, real model ---------------------------------------------


@pytest.fixture
def versions(app, tmp_path: Path):  # type: ignore[no-untyped-def]
    old_path, new_path = _write(tmp_path / "policies")
    (old_result,) = app.ingest([old_path], "policies-2024")
    (new_result,) = app.ingest([new_path], "policies")
    assert old_result.ok and new_result.ok, (old_result.error, new_result.error)
    return app, old_result.document_id, new_result.document_id


def test_comparing_two_versions_lists_exactly_the_sections_that_changed(versions) -> None:  # type: ignore[no-untyped-def]
    app, old_id, new_id = versions
    result = app.compare_documents(old_id, new_id)
    by_kind = {
        kind: sorted(_own(c.title) for c in result.changes if c.kind == kind)
        for kind in ("changed", "added", "removed")
    }
    assert by_kind == {
        "changed": ["retention periods", "storage"],
        "added": ["remote working"],
        "removed": ["access to records"],
    }
    assert [(_own(a.title), _own(b.title)) for a, b in result.moved] == [
        ("destruction", "destruction")
    ]
    # Purpose, Scope and Training: counted, not listed. Destruction and Training name
    # people whose document placeholders differ between the versions: not a change.
    assert result.unchanged == 3
    assert result.counts() == {
        "changed": 2,
        "added": 1,
        "removed": 1,
        "moved": 1,
        "unchanged": 3,
        "summaries_verified": result.counts()["summaries_verified"],
    }
    retention = next(c for c in result.changes if _own(c.title) == "retention periods")
    assert retention.removed == (
        "Customer account records are kept for 6 years after the account closes.",
    )
    assert retention.added == (
        "Customer account records are kept for 7 years after the account closes.",
    )
    storage = next(c for c in result.changes if _own(c.title) == "storage")
    assert storage.removed == ()
    assert storage.added == (
        "Paper records are scanned within 30 days and the paper copies destroyed.",
    )
    # Each change cites its section in both versions, with pages (one section a page).
    for change in result.changes:
        if change.kind == "changed":
            assert change.old is not None and change.new is not None
            assert change.old.pages and change.new.pages
            assert change.old.label().startswith(change.old.title.rsplit(" > ", 1)[-1])
    assert retention.old.pages == (3,) and retention.new.pages == (5,)  # type: ignore[union-attr]
    # Summaries: shown only when verified against the cited old and new sections; a
    # withheld one says why, and the sentences remain the change.
    old_sections = {s.index: s for s in _opened(app, old_id)}
    new_sections = {s.index: s for s in _opened(app, new_id)}
    for change in result.changes:
        assert change.summary or change.reason
        if change.summary:
            cited = []
            if change.old:
                cited += [change.old.title, old_sections[change.old.index].text]
            if change.new:
                cited += [change.new.title, new_sections[change.new.index].text]
            # placeholders aside (the comparison's scope is not the documents')
            assert (
                check_change_summary(
                    _no_placeholders(change.summary),
                    [_no_placeholders(t) for t in cited],
                    [_no_placeholders(s) for s in change.removed],
                    [_no_placeholders(s) for s in change.added],
                    change.title.rsplit(" > ", 1)[-1],
                )
                == ""
            ), change.summary
        assert change.removed or change.added
    # The model (SmolLM2-135M, greedy) gets the retention change right; whatever it
    # writes, what is shown names the new period, never the old one alone.
    assert result.counts()["summaries_verified"] >= 1
    if retention.summary:
        assert "7" in retention.summary
    # The comparison is recorded: ids and counts, never text or names.
    record = _last(app, "document.compare")
    detail = record["detail"]
    assert detail["old_document"] == old_id and detail["new_document"] == new_id
    assert detail["counts"]["changed"] == 2 and detail["counts"]["unchanged"] == 3
    assert detail["model"]
    flat = json.dumps(record)
    for secret in ("Thistlewood", "Retention", "Customer account", "7 years"):
        assert secret not in flat


def _no_placeholders(text: str) -> str:
    import re

    return re.sub(r"<[A-Z_]+_\d+>", "", text)


def _opened(app, document_id: str) -> list[Section]:  # type: ignore[no-untyped-def]
    from appliance.rag.sections import document_sections

    return document_sections(app.db, app.vault, document_id)


def _last(app, action: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    records = [r for r in app.audit.records() if r["action"] == action]
    assert records, f"no {action} record"
    return records[-1]


def test_one_person_is_one_placeholder_in_both_versions(versions) -> None:  # type: ignore[no-untyped-def]
    app, old_id, new_id = versions
    old_text = " ".join(s.text for s in _opened(app, old_id))
    new_text = " ".join(s.text for s in _opened(app, new_id))
    assert "Thistlewood" not in old_text and "<PERSON_" in old_text
    # The new version names Priya Raman first: the document placeholders differ...
    destruction_old = next(s for s in _opened(app, old_id) if _own(s.title) == "destruction")
    destruction_new = next(s for s in _opened(app, new_id) if _own(s.title) == "destruction")
    assert destruction_old.text != destruction_new.text, (old_text, new_text)
    # ...and the comparison still sees the section unchanged; an admin may reveal.
    result = app.compare_documents(old_id, new_id, summarise=False, reveal=True)
    assert "remote working" not in [_own(a.title) for a, _ in result.moved]
    remote = next(c for c in result.changes if c.kind == "added")
    assert any("Priya Raman" in s for s in remote.added), remote.added
    assert _last(app, "pii.reidentified")["detail"]["types"].get("PERSON", 0) >= 1


def test_a_user_who_cannot_read_one_version_is_refused(versions) -> None:  # type: ignore[no-untyped-def]
    app, old_id, new_id = versions
    reader = Caller("dana", "staff", "test", access={"policies": "read"})
    with pytest.raises(CollectionNotFound):
        app.compare_documents(old_id, new_id, reader, summarise=False)
    denied = _last(app, "access.denied")
    assert denied["actor"] == "dana" and denied["resource"] == "collection:policies-2024"
    assert not [r for r in app.audit.records() if r["action"] == "document.compare"]
    both = Caller("dana", "staff", "test", access={"policies": "read", "policies-2024": "read"})
    result = app.compare_documents(old_id, new_id, both, summarise=False)
    assert result.counts()["changed"] == 2
    with pytest.raises(NotAllowed):  # staff may not re-identify under the default policy
        app.compare_documents(old_id, new_id, both, summarise=False, reveal=True)


def test_the_cli_compares_by_file_name(tmp_path: Path) -> None:
    data = tmp_path / "data"
    old_path, new_path = _write(tmp_path / "docs")
    assert run_cli("ingest", str(old_path), str(new_path), data_dir=data).returncode == 0
    proc = run_cli(
        "compare", old_path.name, new_path.name, "--no-summaries", "--json", data_dir=data
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["counts"]["changed"] == 2 and out["counts"]["added"] == 1
    assert out["counts"]["removed"] == 1 and out["counts"]["moved"] == 1
    proc = run_cli("compare", old_path.name, new_path.name, "--no-summaries", data_dir=data)
    assert proc.returncode == 0, proc.stderr
    assert "2 changed, 1 added, 1 removed, 1 moved, 3 unchanged" in proc.stdout
    assert "+ Paper records are scanned within 30 days" in proc.stdout
    proc = run_cli("compare", "nothing.docx", new_path.name, data_dir=data)
    assert proc.returncode != 0 and "no document 'nothing.docx'" in proc.stderr


def test_pick_document_by_id_or_name(versions) -> None:  # type: ignore[no-untyped-def]
    app, old_id, _new_id = versions
    docs = app.documents("policies-2024")
    assert pick_document(old_id, docs).id == old_id
    assert pick_document("records-policy-2024.docx", docs).id == old_id


def test_staff_compare_in_the_browser_and_through_the_api(versions) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from appliance.accounts import Accounts
    from appliance.web import create_app
    from tests.webtools import sign_in

    app, old_id, new_id = versions
    who = Caller.local()
    accounts = Accounts(app.db, app.audit, app.settings)
    accounts.create_user("sam", "staff", who, password="violet-harbour-crane-82")
    accounts.grant("policies", who, user="sam")
    accounts.grant("policies-2024", who, user="sam")
    key = accounts.create_api_key("sam", "test", who)
    web = create_app(app, maintenance=False)
    with TestClient(web) as client:
        assert sign_in(client, "sam", "violet-harbour-crane-82").status_code == 303
        page = client.get(f"/documents/compare?old={old_id}&new={new_id}")
        assert page.status_code == 200, page.text
        html = page.text
        assert "2</strong> changed" in html and "3</strong> unchanged" in html
        assert "Paper records are scanned within 30 days" in html
        assert f"/documents/{old_id}/source?page=3" in html  # the old Retention section
        assert "Thistlewood" not in html and "Show personal data" not in html  # staff
        api = TestClient(web)
        reply = api.post(
            "/v1/documents/compare",
            json={"old": old_id, "new": new_id, "summaries": False},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["object"] == "document.comparison"
        assert body["counts"]["changed"] == 2 and body["counts"]["moved"] == 1
        refused = api.post(
            "/v1/documents/compare",
            json={"old": old_id, "new": "no-such-document", "summaries": False},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert refused.status_code == 404
