"""The hybrid gateway: an administrator attaches an external OpenAI-compatible model,
and only placeholders leave the machine.

A real OpenAI-compatible server on loopback (tests/openai_upstream.py: the default
GGUF behind llama-cpp-python's ``create_chat_completion``) stands in for the external
endpoint and keeps every body it received; the tests look for each personal value of
the ingested records in them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.caller import Caller
from appliance.errors import ApplianceError, EgressRefused, GatewayError, NotAllowed
from appliance.llm import GenerationParams
from tests.conftest import make_app, run_cli
from tests.openai_upstream import RecordingUpstream
from tests.test_at_rest import PEOPLE, write_records
from tests.webtools import live_server

COLLECTION = "records"
# Short answers: the tests are about what leaves, not about how good the answers are.
SHORT = GenerationParams(max_tokens=48)
# The machine running the suite may be busy: wait for the loopback model as long as
# the setting allows (the tests check what is sent, not how fast).
PATIENT = 600.0
QUESTIONS = [
    "Which IBAN are refunds for Wilhelmina Quatermass-Oyelaran paid to?",
    "How can Bartholomew Szczepanski-Ndlovu be contacted?",
]


def _needles() -> list[str]:
    """Every personal value of the records as written, its words of a name, and the
    numbers without their spaces."""
    out: set[str] = set()
    for person in PEOPLE:
        for value in person.values():
            out.add(value)
            if re.fullmatch(r"[+\d\s]+|[A-Z]{2}\d+", value):
                out.add(re.sub(r"\s", "", value))
        out.update(w for w in re.split(r"[\s-]+", person["name"]) if len(w) > 3)
        out.update(w.strip(",") for w in person["address"].split() if len(w) > 6)
    return sorted(out)


def leaked(bodies: list[bytes]) -> list[str]:
    """(body number, value) for each personal value found in a body, any case, in its
    raw bytes or its JSON decoded (escapes undone)."""
    found = []
    for i, raw in enumerate(bodies):
        texts = [raw.decode("utf-8"), json.dumps(json.loads(raw), ensure_ascii=False)]
        texts += [re.sub(r"\s", "", t) for t in texts]
        hay = "\n".join(texts).casefold()
        found += [f"body {i}: {v!r}" for v in _needles() if v.casefold() in hay]
    return found


@pytest.fixture(scope="module")
def upstream(model_dir: Path) -> Iterator[tuple[RecordingUpstream, str]]:
    from appliance.models import DEFAULT_MODELS

    chat = next(m for m in DEFAULT_MODELS if m.role == "chat")
    server = RecordingUpstream(model_dir / chat.filename)
    with live_server(server.app) as base:
        yield server, base + "/v1"


@pytest.fixture(scope="module")
def hybrid(tmp_path_factory: pytest.TempPathFactory, embedder, engine):  # type: ignore[no-untyped-def]
    """A data directory holding the two people's records in collection ``records``."""
    root = tmp_path_factory.mktemp("gateway")
    app = make_app(root / "data", embedder, engine)
    results = app.ingest(write_records(root / "docs"), COLLECTION)
    assert all(r.ok for r in results), [r.error for r in results]
    yield app
    app.close()


def test_with_no_endpoint_attached_nothing_is_ever_sent(hybrid, upstream) -> None:
    server, _url = upstream
    assert hybrid.gateways_attached() == []
    assert hybrid.gateway_for(COLLECTION) is None and hybrid.gateway_for(None) is None
    stream = hybrid.ask(QUESTIONS[0], COLLECTION, params=SHORT)
    answer = stream.result()
    assert stream.external is None and answer.model == hybrid.model_for(COLLECTION).name
    hybrid.chat([{"role": "user", "content": "Say hello to Wilhelmina."}], params=SHORT).result()
    assert server.bodies == []
    assert list(hybrid.audit.records(action="gateway.request")) == []


def test_only_staff_with_the_admin_role_attach_and_a_bad_url_is_refused(hybrid) -> None:
    staff = Caller("bob", "staff")
    with pytest.raises(NotAllowed):
        hybrid.attach_gateway(COLLECTION, "http://127.0.0.1:9/v1", "m", who=staff)
    for url in ("ftp://host/v1", "https://user:pw@host/v1", "https://host/v1?key=secret"):
        with pytest.raises(ApplianceError, match="endpoint URL"):
            hybrid.attach_gateway(COLLECTION, url, "m")
    assert hybrid.gateways_attached() == []


def test_doctor_names_an_attached_external_model_as_egress(hybrid) -> None:
    from appliance.doctor import attached_gateways, network_check

    def egress() -> str:
        return network_check(hybrid.settings, [], attached_gateways(hybrid.settings)).detail

    assert "nothing off this machine" in egress()
    hybrid.attach_gateway(COLLECTION, "https://llm.example.eu/v1", "big-model")
    try:
        detail = egress()
        assert f"external model for collection:{COLLECTION} llm.example.eu:443" in detail
    finally:
        hybrid.detach_gateway(COLLECTION)


def test_questions_through_the_gateway_leave_no_personal_value(hybrid, upstream) -> None:
    server, url = upstream
    gw = hybrid.attach_gateway(
        COLLECTION,
        url,
        "big-model",
        api_key="sk-test-gateway-secret",
        price_per_1k=0.5,
        timeout_seconds=PATIENT,
    )
    attached = hybrid.gateway_for(COLLECTION)
    assert gw.has_key and attached is not None and attached.url == url
    before = len(server.bodies)
    answers = []
    for question in QUESTIONS:
        stream = hybrid.ask(question, COLLECTION, params=SHORT, reveal=True)  # admin may
        answers.append(stream.result())
        assert stream.external is not None and stream.external.model == "big-model"
        assert stream.answer is not None and stream.answer.model == "big-model"
    sent = server.bodies[before:]
    assert len(sent) == len(QUESTIONS)
    assert leaked(sent) == []
    # What left names people by placeholder only, and the key went in the header.
    assert all(b"<PERSON_" in body and b"<IBAN_CODE_" in body for body in sent)
    assert all(h["authorization"] == "Bearer sk-test-gateway-secret" for h in server.headers)
    # The audit trail: endpoint, model, token counts, the digest of what left.
    events = list(hybrid.audit.records(action="gateway.request"))[-len(sent) :]
    for event, body in zip(events, sent, strict=True):
        detail = event["detail"]
        assert detail["endpoint"] == url and detail["model"] == "big-model"
        assert detail["body_sha256"] == hashlib.sha256(body).hexdigest()
        assert detail["prompt_tokens"] > 0 and detail["completion_tokens"] > 0
        assert event["outcome"] == "success" and event["resource"] == f"collection:{COLLECTION}"
        assert "sk-test-gateway-secret" not in json.dumps(event)
    attach = list(hybrid.audit.records(action="gateway.attach"))[-1]
    assert "sk-test-gateway-secret" not in json.dumps(attach)
    # The question was recorded with the external model's name and endpoint.
    asked = list(hybrid.audit.records(action="question.ask"))[-1]["detail"]
    assert asked["model"] == "big-model" and asked["endpoint"] == url
    # Usage: the external questions, their tokens and their cost at 0.5 per 1,000.
    report = hybrid.usage_report(by="collection")
    row = next(r for r in report.rows if r.key == COLLECTION)
    tokens = sum(e["detail"]["prompt_tokens"] + e["detail"]["completion_tokens"] for e in events)
    assert row.external_questions == len(sent) and row.external_tokens == tokens
    assert row.external_cost == pytest.approx(tokens / 1000 * 0.5)
    assert "external_cost" in report.as_csv().splitlines()[0]


def test_the_key_is_sealed_and_detaching_shreds_it(hybrid) -> None:
    from sqlalchemy import select

    from appliance.store.gateways import GATEWAY_SCOPE
    from appliance.store.schema import GatewayEndpoint

    hybrid.attach_gateway(None, "http://127.0.0.1:9/v1", "m", api_key="sk-sealed-secret")
    with hybrid.db.session() as s:
        sealed = s.scalar(
            select(GatewayEndpoint.key_sealed).where(GatewayEndpoint.target == "chat")
        )
    assert sealed is not None and b"sk-sealed-secret" not in sealed
    assert hybrid.gateways.api_key("chat") == "sk-sealed-secret"
    files = [p for p in hybrid.settings.data_dir.rglob("*") if p.is_file()]
    assert not [p for p in files if b"sk-sealed-secret" in p.read_bytes()]
    assert hybrid.keyring.has_key(GATEWAY_SCOPE, "chat")
    hybrid.detach_gateway(None)
    assert not hybrid.keyring.has_key(GATEWAY_SCOPE, "chat")


def test_plain_chat_through_the_gateway_sends_placeholders_only(hybrid, upstream) -> None:
    server, url = upstream
    hybrid.attach_gateway(None, url, "chat-model", timeout_seconds=PATIENT)
    person = PEOPLE[1]
    before = len(server.bodies)
    stream = hybrid.chat(
        [
            {
                "role": "user",
                "content": f"Draft a short note to {person['name']} ({person['email']}) "
                f"confirming the refund to IBAN {person['iban']}.",
            }
        ],
        params=SHORT,
    )
    assert stream.result().model == "chat-model"
    assert stream.external is not None and stream.completion_tokens > 0
    assert len(server.bodies) == before + 1
    assert leaked(server.bodies[before:]) == []
    hybrid.detach_gateway(None)
    assert hybrid.gateway_for(None) is None


def test_a_body_still_holding_personal_data_is_refused_and_nothing_leaves(
    tmp_path: Path, embedder, engine, upstream
) -> None:
    """A policy whose threshold lets a name through the prompt stage: the final scan
    (the detector's own threshold) finds it in the outgoing body and refuses."""
    server, url = upstream
    data = tmp_path / "data"
    (data / "policies").mkdir(parents=True)
    (data / "policies" / "lenient.yaml").write_text(
        "name: lenient\nextends: default\ndescription: names below 0.99 pass\n"
        "entities:\n  PERSON:\n    threshold: 0.99\n"
    )
    app = make_app(data, embedder, engine, chat_policy="lenient")
    try:
        app.attach_gateway(None, url, "chat-model")
        before = len(server.bodies)
        with pytest.raises(EgressRefused, match="PERSON"):
            app.chat([{"role": "user", "content": f"Write to {PEOPLE[0]['name']} today."}])
        assert len(server.bodies) == before  # nothing was sent
        (event,) = app.audit.records(action="gateway.refused")
        detail = event["detail"]
        assert detail["types"].get("PERSON", 0) >= 1 and len(detail["body_sha256"]) == 64
        assert PEOPLE[0]["name"].split()[0] not in json.dumps(event)
        assert list(app.audit.records(action="gateway.request")) == []
        assert app.usage_report().total.pii_blocks == 1  # counted as a block
    finally:
        app.close()


def test_an_endpoint_error_is_a_clear_error_and_is_recorded(hybrid, upstream) -> None:
    server, url = upstream
    hybrid.attach_gateway(COLLECTION, url, "big-model", timeout_seconds=PATIENT)
    server.fail_with = 503
    try:
        with pytest.raises(GatewayError, match="HTTP 503"):
            hybrid.ask(QUESTIONS[1], COLLECTION, params=SHORT)
    finally:
        server.fail_with = None
    event = list(hybrid.audit.records(action="gateway.request"))[-1]
    assert event["outcome"] == "failure" and len(event["detail"]["body_sha256"]) == 64
    hybrid.attach_gateway(COLLECTION, "http://127.0.0.1:9/v1", "big-model", timeout_seconds=5)
    with pytest.raises(GatewayError, match="cannot be reached"):
        hybrid.ask(QUESTIONS[1], COLLECTION, params=SHORT)
    hybrid.detach_gateway(COLLECTION)
    assert hybrid.gateways_attached() == []
    with pytest.raises(ApplianceError, match="no external model"):
        hybrid.detach_gateway(COLLECTION)


def test_cli_attach_list_detach(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_cli("init", data_dir=data).returncode == 0
    proc = run_cli(
        "gateway", "attach", "--chat", "--url", "http://127.0.0.1:9/v1", "--model", "m1",
        "--api-key-stdin", "--price-per-1k", "0.2", "--json",
        data_dir=data, stdin="sk-cli-secret\n",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["has_key"] is True and "sk-cli-secret" not in proc.stdout
    proc = run_cli("gateway", "list", data_dir=data)
    assert "plain chat: m1 at http://127.0.0.1:9/v1 (key sealed" in proc.stdout
    proc = run_cli("gateway", "detach", "--chat", data_dir=data)
    assert proc.returncode == 0 and "shredded" in proc.stdout
    proc = run_cli("gateway", "list", data_dir=data)
    assert proc.returncode == 0 and "nothing leaves" in proc.stdout
    proc = run_cli("gateway", "detach", "--chat", "--collection", "x", data_dir=data)
    assert proc.returncode == 2 and "exactly one" in proc.stderr


def test_an_administrator_attaches_on_the_web_and_staff_see_the_banner(hybrid, upstream) -> None:
    """The admin page attaches the endpoint (the key is never shown back), the chat page
    tells staff that an external model answers, and /v1 names the model used."""
    from fastapi.testclient import TestClient

    from appliance.accounts import Accounts
    from appliance.web import create_app
    from tests.webtools import page_csrf, sign_in

    server, url = upstream
    who = Caller.local()
    accounts = Accounts(hybrid.db, hybrid.audit, hybrid.settings)
    for name, role in (("ada", "admin"), ("sam", "staff")):
        accounts.create_user(name, role, who, password="correct horse battery staple 7")
    accounts.grant(COLLECTION, who, user="sam")
    sam_key = accounts.create_api_key("sam", "tests", who)
    web = create_app(hybrid, maintenance=False)
    with TestClient(web):
        ada = TestClient(web, raise_server_exceptions=False)
        assert sign_in(ada, "ada", "correct horse battery staple 7").status_code == 303
        sam = TestClient(web, raise_server_exceptions=False)
        assert sign_in(sam, "sam", "correct horse battery staple 7").status_code == 303
        page = ada.get("/admin/gateway")
        assert page.status_code == 200 and "nothing leaves this machine" in page.text
        assert "External model:" not in sam.get(f"/chat?collection={COLLECTION}").text
        form = {
            "csrf": page_csrf(ada, "/admin/gateway"),
            "target": COLLECTION,
            "url": url,
            "model": "web-model",
            "api_key": "sk-web-secret",
            "price_per_1k": "1.5",
            "timeout_seconds": str(PATIENT),
        }
        r = ada.post("/admin/gateway", data=form, follow_redirects=False)
        assert r.status_code == 303, r.text
        page = ada.get("/admin/gateway").text
        assert "web-model" in page and url in page and "sk-web-secret" not in page
        # Staff may not attach one.
        form["csrf"] = page_csrf(sam)
        assert sam.post("/admin/gateway", data=form).status_code == 403
        chat = sam.get(f"/chat?collection={COLLECTION}").text
        assert "External model:" in chat and "web-model" in chat
        before = len(server.bodies)
        r = sam.post(
            "/v1/chat/completions",
            headers={"Authorization": f"Bearer {sam_key}"},
            json={
                "model": f"rag:{COLLECTION}",
                "messages": [{"role": "user", "content": QUESTIONS[1]}],
                "max_tokens": 32,
            },
        )
        assert r.status_code == 200, r.text
        assert r.json()["model_used"] == {"name": "web-model", "external": True}
        assert len(server.bodies) == before + 1 and leaked(server.bodies[before:]) == []
        assert server.headers[-1]["authorization"] == "Bearer sk-web-secret"
        form = {"csrf": page_csrf(ada, "/admin/gateway"), "target": COLLECTION}
        r = ada.post("/admin/gateway/detach", data=form, follow_redirects=False)
        assert r.status_code == 303
        assert "External model:" not in sam.get(f"/chat?collection={COLLECTION}").text
