"""Usage and cost: two staff members in two groups ask questions through the web UI
and the API (the real model, the real pipeline); the administrator's page, its CSV,
the command line and /metrics show the same counts, and nothing of what was asked is
kept."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from appliance.accounts import Accounts
from appliance.caller import Caller
from appliance.errors import NotAllowed
from appliance.store.usage import (
    CostInputs,
    UsageFigures,
    UsageRow,
    compare_costs,
    summarise,
)
from appliance.web import create_app
from appliance.web.render import money
from tests.conftest import database_text, make_app, run_cli, store_database
from tests.webtools import ask_stream, page_csrf, sign_in

pytestmark = pytest.mark.store

PASSWORDS = {
    "ada": "amber-kettle-orbit-71",
    "sam": "violet-harbour-crane-82",
    "lee": "copper-willow-signal-64",
}
EXPENSES = (
    b"# Expenses\n\nExpense claims must be filed within 30 days of the purchase.\n\n"
    b"## Travel\n\nTrain tickets are booked through the travel desk on the second floor.\n"
)
# Distinctive words, so a scan of the database finds them if anything kept them.
SAM_QUESTIONS = (
    "Within how many days must expense claims be filed?",
    "Where are train tickets booked?",
)
BLOCKED_QUESTION = "Can my card 4111 1111 1111 1111 pay the train tickets?"
LEE_RAG_QUESTION = "How many days do I have to file expense claims?"
LEE_CHAT_QUESTION = "Name one colour of the rainbow."
COSTS = {
    "cost_currency": "EUR",
    "cost_hardware_price": 4000.0,
    "cost_hardware_years": 4.0,
    "cost_power_watts": 200.0,
    "cost_kwh_price": 0.3,
    "cost_api_input_per_million": 0.5,
    "cost_api_output_per_million": 1.5,
}


@dataclass
class Run:
    app: Any
    web: Any
    data_dir: Path
    api_key: str  # ada's, for /metrics
    lee_tokens: list[tuple[int, int]] = field(default_factory=list)  # (prompt, completion)

    def cli(self, *args: str) -> Any:
        """``appliance ARGS`` on this run's data directory (and database)."""
        url = self.app.settings.database_url
        return run_cli(
            *args, data_dir=self.data_dir, env={"APPLIANCE_DATABASE_URL": url} if url else None
        )

    def client(self, user: str) -> TestClient:
        client = TestClient(self.web, raise_server_exceptions=False)
        r = sign_in(client, user, PASSWORDS[user])
        assert r.status_code == 303, r.text
        return client


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, embedder, engine, store_backend: str):  # type: ignore[no-untyped-def]
    """The scripted run: sam (group "claims") uploads a file, asks two questions and
    one that the policy blocks (a card number); lee (group "audit") asks one question
    from documents and one plain chat through /v1, and one of a collection he has no
    grant for."""
    with store_database(store_backend) as url:
        yield from _scripted_run(tmp_path_factory, embedder, engine, url)


def _scripted_run(tmp_path_factory, embedder, engine, url):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("usage")
    app = make_app(
        root / "data",
        embedder,
        engine,
        database_url=url,
        signin_rate_per_minute=1000,
        answer_max_tokens=48,
        **COSTS,
    )
    app.create_collection("default", "default")
    app.create_collection("records", "default")
    who = Caller.local()
    accounts = Accounts(app.db, app.audit, app.settings)
    for name, role in (("ada", "admin"), ("sam", "staff"), ("lee", "staff")):
        accounts.create_user(name, role, who, password=PASSWORDS[name])
    accounts.create_group("claims", who)
    accounts.create_group("audit", who)
    accounts.set_membership("claims", "sam", True, who)
    accounts.set_membership("audit", "lee", True, who)
    accounts.grant("default", who, user="sam", access="contribute")
    accounts.grant("default", who, group="audit")
    lee_key = accounts.create_api_key("lee", "tests", who)
    ada_key = accounts.create_api_key("ada", "tests", who)
    web = create_app(app, maintenance=False)
    with TestClient(web):
        state = Run(app, web, root / "data", ada_key)
        sam = state.client("sam")
        csrf = page_csrf(sam, "/documents")
        r = sam.post(
            "/documents/upload",
            data={"csrf": csrf, "collection": "default"},
            files=[("files", ("expenses.md", EXPENSES, "text/markdown"))],
        )
        assert r.status_code == 200, r.text
        csrf = page_csrf(sam)
        for question in SAM_QUESTIONS:
            events = ask_stream(sam, csrf, question, "default")
            assert any(e == "done" for e, _ in events), events
        events = ask_stream(sam, csrf, BLOCKED_QUESTION, "default")
        assert [e for e, _ in events] == ["blocked"], events

        api = TestClient(web, raise_server_exceptions=False)
        auth = {"Authorization": f"Bearer {lee_key}"}
        chat_model = Path(app.settings.chat_model).name.removesuffix(".gguf")
        for model, question in (("rag:default", LEE_RAG_QUESTION), (chat_model, LEE_CHAT_QUESTION)):
            r = api.post(
                "/v1/chat/completions",
                headers=auth,
                json={
                    "model": model,
                    "messages": [{"role": "user", "content": question}],
                    "max_tokens": 24,
                    "temperature": 0,
                },
            )
            assert r.status_code == 200, r.text
            usage = r.json()["usage"]
            state.lee_tokens.append((usage["prompt_tokens"], usage["completion_tokens"]))
        lee = state.client("lee")
        r = lee.post(
            "/chat/ask",
            data={
                "question": "What do the records say?",
                "collection": "records",
                "csrf": page_csrf(lee),
            },
            follow_redirects=False,
        )
        assert r.status_code == 403
        yield state
    app.close()


def _table(html: str, by: str) -> dict[str, dict[str, int]]:
    """The page's table per ``by``: key -> {column: number}."""
    soup = BeautifulSoup(html, "html.parser")
    table = soup.find("table", id=f"usage-{by}")
    assert table is not None, f"no table usage-{by}"
    return {
        str(tr["data-key"]): {
            str(td["data-col"]): int(td.text) for td in tr.find_all("td", attrs={"data-col": True})
        }
        for tr in table.find_all("tr", attrs={"data-key": True})
    }


def test_each_question_and_file_is_counted_per_user_group_and_collection(run: Run) -> None:
    report = run.app.usage_report(by="user")
    users = {f.key: f for f in report.rows}
    assert set(users) == {"sam", "lee"}
    sam, lee = users["sam"], users["lee"]
    assert (sam.questions, sam.documents, sam.pii_blocks) == (3, 1, 1)
    assert (lee.questions, lee.documents, lee.pii_blocks) == (3, 0, 0)
    # lee's refusal: the collection without a grant (nothing else of his is refused
    # unless the model found nothing: then the API said so with no tokens).
    assert lee.refusals >= 1
    # The ledger's tokens are what the API told lee it used.
    assert lee.prompt_tokens == sum(p for p, _ in run.lee_tokens) > 0
    assert lee.completion_tokens == sum(c for _, c in run.lee_tokens) > 0
    answered = sam.questions - sam.refusals - sam.pii_blocks
    if answered:
        assert sam.prompt_tokens > 0 and sam.ttft_p50_ms is not None
        assert sam.latency_p95_ms is not None and sam.latency_p95_ms >= sam.latency_p50_ms
    groups = {f.key: f for f in report.tables["group"]}
    assert groups["claims"].as_json() | {"key": "sam"} == sam.as_json()
    assert groups["audit"].as_json() | {"key": "lee"} == lee.as_json()
    collections = {f.key: f for f in report.tables["collection"]}
    assert collections["default"].questions == 4 and collections["default"].documents == 1
    assert collections["records"].questions == 1 and collections["records"].refusals == 1
    assert collections["(plain chat)"].questions == 1
    today = datetime.now(UTC).date().isoformat()
    days = report.tables["day"]
    assert sum(f.questions for f in days) == 6 and all(f.key <= today for f in days)
    assert report.total.questions == 6 and report.total.documents == 1


def test_the_usage_page_shows_the_counts_to_an_administrator(run: Run) -> None:
    ada = run.client("ada")
    page = ada.get("/admin/usage?period=7")
    assert page.status_code == 200
    html = page.text
    assert "<svg" in html and "style=" not in html and "<script>" not in html
    report = run.app.usage_report()
    for by in ("user", "group", "collection"):
        shown = _table(html, by)
        expected = {
            f.key: {k: v for k, v in f.as_json().items() if k in next(iter(shown.values()), {})}
            for f in report.tables[by]
        }
        assert shown == expected, by
    assert _table(html, "user")["sam"]["questions"] == 3
    assert _table(html, "group")["audit"]["questions"] == 3
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find(id="total-questions").text == "6"  # type: ignore[union-attr]
    # The cost figures follow the formula of the admin guide.
    total = report.total
    days = report.days
    hardware = 4000 * days / (4 * 365.25) + 200 / 1000 * total.busy_ms / 3_600_000 * 0.3
    assert report.cost.hardware_per_1000 == pytest.approx(1000 * hardware / 6)
    api = (total.prompt_tokens * 0.5 + total.completion_tokens * 1.5) / 1_000_000
    assert report.cost.api_per_1000 == pytest.approx(1000 * api / 6)
    shown_api = soup.find(id="cost-api").text.strip()  # type: ignore[union-attr]
    assert shown_api == money(report.cost.api_per_1000, "EUR")
    assert float(shown_api.split()[0].replace(",", "")) == pytest.approx(
        report.cost.api_per_1000, abs=0.005
    )


def test_the_csv_and_the_command_line_give_the_same_counts(run: Run) -> None:
    ada = run.client("ada")
    r = ada.get("/admin/usage.csv?by=group&period=all")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = {row["group"]: row for row in csv.DictReader(io.StringIO(r.text))}
    assert rows["claims"]["questions"] == "3" and rows["claims"]["documents"] == "1"
    assert rows["claims"]["pii_blocks"] == "1"
    assert rows["audit"]["questions"] == "3" and rows["total"]["questions"] == "6"
    cli = run.cli("usage", "--since", "2026-01-01", "--by", "collection", "--csv")
    assert cli.returncode == 0, cli.stderr
    by_collection = {row["collection"]: row for row in csv.DictReader(io.StringIO(cli.stdout))}
    assert by_collection["default"]["questions"] == "4"
    assert by_collection["default"]["documents"] == "1"
    assert by_collection["records"]["refusals"] == "1"
    assert by_collection["(plain chat)"]["questions"] == "1"
    text = run.cli("usage", "--by", "user")
    assert text.returncode == 0, text.stderr
    assert re.search(r"^sam\s+3\s+1\s", text.stdout, re.M), text.stdout
    assert "per 1,000 questions" in text.stdout


def test_metrics_count_by_collection_and_group_without_naming_users(run: Run) -> None:
    client = TestClient(run.web)
    r = client.get("/metrics", headers={"Authorization": f"Bearer {run.api_key}"})
    assert r.status_code == 200
    body = r.text
    assert 'appliance_usage_questions_total{collection="default"} 4.0' in body
    assert 'appliance_usage_documents_total{collection="default"} 1.0' in body
    assert 'appliance_usage_group_questions_total{group="claims"} 3.0' in body
    assert 'appliance_usage_group_pii_blocks_total{group="claims"} 1.0' in body
    assert 'appliance_usage_refusals_total{collection="records"} 1.0' in body
    assert 'appliance_usage_cost_per_1000_questions{basis="api",currency="EUR"}' in body
    assert "sam" not in body and "lee" not in body and "user=" not in body


def test_nothing_that_was_asked_is_kept_in_the_database(run: Run) -> None:
    run.app.db.flush_deleted()  # the WAL's pages into the file, then read both
    raw = b"".join(p.read_bytes() for p in run.data_dir.glob("appliance.db*") if p.is_file())
    if run.app.settings.database_url:  # or every table of the server's database
        raw = database_text(run.app.settings.database_url).encode()
    for question in (*SAM_QUESTIONS, BLOCKED_QUESTION, LEE_RAG_QUESTION, LEE_CHAT_QUESTION):
        for words in (question, question.split("?")[0][-24:]):
            assert words.encode() not in raw, words
    assert b"4111 1111" not in raw and b"4111111111111111" not in raw


def test_staff_may_not_read_usage(run: Run) -> None:
    sam = run.client("sam")
    assert sam.get("/admin/usage").status_code == 403
    assert sam.get("/admin/usage.csv").status_code == 403
    with pytest.raises(NotAllowed):
        run.app.usage_report(who=Caller("sam", "staff", "127.0.0.1", {}))
    refused = [r for r in run.app.audit.records(action="access.denied") if r["actor"] == "sam"]
    assert any(r["resource"] == "page:/admin/usage" for r in refused)


# -- the sums and the cost formula, on rows made here --------------------------------


def _row(day: str, kind: str = "question", **kw: Any) -> UsageRow:
    values: dict[str, Any] = {
        "user_id": 1,
        "groups": (),
        "collection": "default",
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "ttft_ms": None,
        "latency_ms": 0,
        "refused": False,
        "pii_blocked": False,
        "outcome": "answered",
    } | kw
    return UsageRow(datetime.fromisoformat(day).date(), kind, **values)


def test_percentiles_are_over_answered_questions_and_groups_count_each_member() -> None:
    rows = [
        _row("2026-01-01", ttft_ms=100 * n, latency_ms=1000 * n, groups=(1, 2))
        for n in range(1, 11)
    ]
    rows.append(_row("2026-01-02", latency_ms=5, refused=True, outcome="not_allowed"))
    rows.append(_row("2026-01-02", "document", latency_ms=7000, outcome="added"))
    rows.append(_row("2026-01-02", "document", latency_ms=1, outcome="unchanged"))
    (figures,) = summarise(rows, "user")
    assert figures.questions == 11 and figures.documents == 1 and figures.refusals == 1
    assert figures.ttft_p50_ms == pytest.approx(550) and figures.latency_p95_ms == pytest.approx(
        9550
    )
    assert figures.busy_ms == 55_000 + 5 + 7001
    by_group = {f.key: f.questions for f in summarise(rows, "group")}
    assert by_group == {"#1": 10, "#2": 10, "(no group)": 1}
    with pytest.raises(ValueError):
        summarise(rows, "address")


def test_cost_per_thousand_questions_follows_the_stated_formula() -> None:
    figures = UsageFigures(
        "total", questions=2000, prompt_tokens=3_000_000, completion_tokens=500_000
    )
    figures.busy_ms = 10 * 3_600_000  # ten busy hours
    inputs = CostInputs("CHF", 7305.0, 5.0, 300.0, 0.25, 1.0, 4.0)
    cost = compare_costs(figures, 30, inputs)
    # 7305 × 30 / (5 × 365.25) = 120; 0.3 kW × 10 h × 0.25 = 0.75
    assert cost.amortisation == pytest.approx(120.0) and cost.energy == pytest.approx(0.75)
    assert cost.hardware_per_1000 == pytest.approx(1000 * 120.75 / 2000)
    # 3 M × 1 + 0.5 M × 4 = 5 per million → 5.0 in all, 2.5 per 1,000 questions
    assert cost.api_total == pytest.approx(5.0) and cost.api_per_1000 == pytest.approx(2.5)
    partial = compare_costs(figures, 30, CostInputs("EUR", hardware_price=1000.0))
    assert partial.hardware_per_1000 is None and partial.api_per_1000 is None
    assert "cost_hardware_years" in partial.missing and "cost_kwh_price" in partial.missing
