"""The OpenAI-compatible API, driven by the official `openai` package (and plain HTTP
for the edge cases) against a live server: same grants, policy and audit as the UI."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest

from appliance.accounts import Accounts
from appliance.caller import Caller
from appliance.llm.scheduler import Scheduler
from appliance.web import create_app
from tests.conftest import SAMPLES, make_app, run_cli
from tests.test_at_rest import PEOPLE, write_records
from tests.webtools import live_server


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, embedder, engine):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("api")
    app = make_app(root / "data", embedder, engine)
    assert all(r.ok for r in app.ingest([SAMPLES / "northbridge-bank-record-retention-policy.pdf"]))
    app.create_collection("records", "default")
    assert all(r.ok for r in app.ingest(write_records(root / "records"), "records"))
    who = Caller.local()
    accounts = Accounts(app.db, app.audit, app.settings)
    accounts.create_user("dana", "staff", who, password="steady-copper-bridge-41")
    accounts.create_user("ada", "admin", who, password="amber-kettle-orbit-71")
    accounts.grant("default", who, user="dana")
    keys = {
        "dana": accounts.create_api_key("dana", "tests", who),
        "ada": accounts.create_api_key("ada", "tests", who),
    }
    with live_server(create_app(app, maintenance=False)) as url:
        yield {"app": app, "url": url, "keys": keys, "accounts": accounts}
    app.close()


def _client(api, user: str = "dana", **kw) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    return openai.OpenAI(
        base_url=api["url"] + "/v1", api_key=api["keys"][user], max_retries=0, timeout=300, **kw
    )


def _chat_id(api) -> str:  # type: ignore[no-untyped-def]
    return Path(api["app"].settings.chat_model).name.removesuffix(".gguf")


def test_the_official_client_lists_models_and_chats(api) -> None:
    client = _client(api)
    ids = [m.id for m in client.models.list()]
    assert ids == [_chat_id(api), "rag:default", "all-MiniLM-L6-v2"]  # not rag:records
    reply = client.chat.completions.create(
        model=_chat_id(api),
        messages=[{"role": "user", "content": "Name one colour of the rainbow."}],
        max_tokens=24,
        temperature=0,
    )
    assert reply.choices[0].message.content.strip()
    assert reply.choices[0].finish_reason in ("stop", "length")
    assert 0 < reply.usage.completion_tokens <= 24 and reply.usage.prompt_tokens > 0
    cut = client.chat.completions.create(
        model=_chat_id(api),
        messages=[{"role": "user", "content": "Tell me a long story about a lighthouse."}],
        max_tokens=5,
        temperature=0,
    )
    assert cut.choices[0].finish_reason == "length" and cut.usage.completion_tokens == 5
    events = [r for r in api["app"].audit.records(action="chat.completion") if r["actor"] == "dana"]
    assert events and events[-1]["detail"]["model_sha256"]


def test_rag_by_model_id_carries_citations_in_an_extra_field(api) -> None:
    client = _client(api)
    reply = client.chat.completions.create(
        model="rag:default",
        messages=[
            {"role": "user", "content": "How long must customer transaction records be kept?"}
        ],
        temperature=0,
    )
    assert reply.choices[0].message.content
    citations = reply.model_extra["citations"]
    assert citations and all(c["document_id"] and c["chunk_id"] for c in citations)
    asked = [r for r in api["app"].audit.records(action="question.ask") if r["actor"] == "dana"]
    assert asked[-1]["source"] == "127.0.0.1" and asked[-1]["detail"]["chunks"]


def test_streaming_with_the_official_client(api) -> None:
    client = _client(api)
    stream = client.chat.completions.create(
        model="rag:default",
        messages=[
            {"role": "user", "content": "How long must customer transaction records be kept?"}
        ],
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip()
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finals and finals[-1].model_extra.get("citations")
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_seed_makes_sampling_repeatable(api) -> None:
    client = _client(api)

    def ask() -> str:
        reply = client.chat.completions.create(
            model=_chat_id(api),
            messages=[{"role": "user", "content": "Write a short sentence about rivers."}],
            max_tokens=20,
            temperature=0.9,
            top_p=0.9,
            seed=1234,
        )
        return reply.choices[0].message.content

    assert ask() == ask()


def test_embeddings_with_the_official_client(api) -> None:
    client = _client(api)
    result = client.embeddings.create(model="all-MiniLM-L6-v2", input=["tax", "refund rules"])
    assert [d.index for d in result.data] == [0, 1]
    vector = np.array(result.data[0].embedding)  # sent as base64 by default, decoded
    assert vector.shape == (384,) and abs(np.linalg.norm(vector) - 1) < 1e-3
    floats = client.embeddings.create(
        model="all-MiniLM-L6-v2", input="tax", encoding_format="float"
    )
    assert np.allclose(floats.data[0].embedding, vector, atol=1e-6)
    assert result.usage.prompt_tokens > 0


def test_personal_data_follows_the_policy_on_the_api(api) -> None:
    client = _client(api)
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(
            model=_chat_id(api),
            messages=[{"role": "user", "content": "Is card 4111 1111 1111 1111 valid?"}],
        )
    assert err.value.code == "pii_blocked" and "4111" not in str(err.value)
    blocked = api["app"].audit.records(action="pii.blocked")
    assert any(r["actor"] == "dana" for r in blocked)
    trail = json.dumps(list(api["app"].audit.records()))
    # The card in the forms it could be written in: a bare "4111" also occurs by
    # chance in the trail's hex hashes and ids (about one in 65,000 positions).
    for form in ("4111 1111", "4111111111111111", "1111 1111 1111"):
        assert form not in trail, form
    assert PEOPLE[0]["name"] not in trail


def test_errors_come_in_openai_shape(api) -> None:
    good = _client(api)
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(
            base_url=api["url"] + "/v1", api_key="apk_nope_nope", max_retries=0
        ).models.list()
    with pytest.raises(openai.NotFoundError) as err:
        good.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "hi"}])
    assert err.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError):  # a collection not granted looks like no model
        good.chat.completions.create(
            model="rag:records", messages=[{"role": "user", "content": "refunds?"}]
        )
    denied = api["app"].audit.records(action="access.denied")
    assert any(r["actor"] == "dana" and r["resource"] == "collection:records" for r in denied)
    with pytest.raises(openai.BadRequestError) as err:
        good.chat.completions.create(
            model=_chat_id(api),
            messages=[{"role": "user", "content": "word " * 6000}],
            max_tokens=64,
        )
    assert err.value.code == "context_length_exceeded"
    with pytest.raises(openai.NotFoundError):
        good.embeddings.create(model="text-embedding-3-small", input="x")


def test_plain_http_edge_cases(api) -> None:
    url = api["url"] + "/v1/chat/completions"
    headers = {"Authorization": f"Bearer {api['keys']['dana']}"}
    r = httpx.post(
        url, content=b"{not json", headers={**headers, "Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["error"]["message"].startswith("We could not parse")
    r = httpx.post(url, json={"model": _chat_id(api)}, headers=headers)
    assert r.status_code == 400 and r.json()["error"]["param"] == "messages"
    # An unpaired UTF-16 surrogate is no character: valid JSON, but no text to read (it
    # was a 500: the detector could not encode it).
    body = '{"model": "%s", "max_tokens": 4, "messages": [{"role": "user", "content": "\\ud800"}]}'
    r = httpx.post(
        url,
        content=(body % _chat_id(api)).encode(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and "surrogate" in r.json()["error"]["message"], r.text
    r = httpx.post(
        api["url"] + "/v1/embeddings",
        content=b'{"model": "all-MiniLM-L6-v2", "input": ["ok", "\\udfff"]}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and "surrogate" in r.json()["error"]["message"], r.text
    r = httpx.post(url, json={"model": _chat_id(api), "messages": []}, headers=headers)
    assert r.status_code == 400
    r = httpx.get(api["url"] + "/v1/models")
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    # A revoked key stops working at once.
    accounts = api["accounts"]
    key = accounts.create_api_key("dana", "short-lived", Caller.local())
    assert (
        httpx.get(api["url"] + "/v1/models", headers={"Authorization": f"Bearer {key}"}).status_code
        == 200
    )
    accounts.revoke_api_key(key.split("_")[1], Caller.local())
    r = httpx.get(api["url"] + "/v1/models", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 401 and "revoked" in r.json()["error"]["message"]


def test_a_full_queue_answers_429_with_retry_after(api) -> None:
    scheduler = api["app"].scheduler
    before = scheduler.max_queue
    scheduler.max_queue = 0
    try:
        for stream in (False, True):  # a streamed request is refused before it starts
            r = httpx.post(
                api["url"] + "/v1/chat/completions",
                json={
                    "model": _chat_id(api),
                    "messages": [{"role": "user", "content": "hi"}],
                    "stream": stream,
                },
                headers={"Authorization": f"Bearer {api['keys']['dana']}"},
            )
            assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
            assert r.json()["error"]["code"] == "queue_full"
        with pytest.raises(openai.RateLimitError):
            _client(api).chat.completions.create(
                model=_chat_id(api), messages=[{"role": "user", "content": "hi"}], stream=True
            )
    finally:
        scheduler.max_queue = before


def test_generation_stops_when_the_client_goes_away(api) -> None:
    scheduler = api["app"].scheduler
    served = scheduler.stats.served
    with httpx.stream(
        "POST",
        api["url"] + "/v1/chat/completions",
        json={
            "model": _chat_id(api),
            "messages": [{"role": "user", "content": "Count slowly from one to five hundred."}],
            "max_tokens": 2000,
            "stream": True,
        },
        headers={"Authorization": f"Bearer {api['keys']['dana']}"},
        timeout=120,
    ) as response:
        for line in response.iter_lines():  # until the first generated text arrives
            if line.startswith("data: {") and json.loads(line[6:])["choices"][0]["delta"].get(
                "content"
            ):
                break
    # Closed after the first chunk: the model is free again long before 2000 tokens.
    deadline = time.monotonic() + 60
    while scheduler.stats.running and time.monotonic() < deadline:
        time.sleep(0.1)
    assert scheduler.stats.running == 0 and scheduler.stats.served > served
    assert api["app"].engine_loaded()._llama.n_tokens < 1500


def test_metrics_are_for_administrators(api) -> None:
    _client(api, "dana").models.list()
    r = httpx.get(
        api["url"] + "/metrics", headers={"Authorization": f"Bearer {api['keys']['ada']}"}
    )
    assert r.status_code == 200
    for name in (
        "appliance_requests_total",
        "appliance_queue_depth",
        "appliance_tokens_out_total",
        "appliance_time_to_first_token_seconds",
        "appliance_tokens_per_second",
    ):
        assert name in r.text
    r = httpx.get(
        api["url"] + "/metrics", headers={"Authorization": f"Bearer {api['keys']['dana']}"}
    )
    assert r.status_code == 403


def test_api_keys_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_cli("init", data_dir=data).returncode == 0
    assert run_cli("users", "create", "erik", data_dir=data).returncode == 0
    created = run_cli("users", "api-key", "create", "erik", "--name", "ide", data_dir=data)
    key = created.stdout.strip()
    assert created.returncode == 0 and key.startswith("apk_")
    listed = run_cli("users", "api-key", "list", "--json", data_dir=data)
    assert json.loads(listed.stdout)[0]["name"] == "ide" and key not in listed.stdout
    assert run_cli("users", "api-key", "revoke", key.split("_")[1], data_dir=data).returncode == 0
    listed = run_cli("users", "api-key", "list", "--json", data_dir=data)
    assert json.loads(listed.stdout)[0]["revoked"] is True


def test_the_scheduler_is_fair_between_users(engine) -> None:
    scheduler = Scheduler([engine], max_queue=50, timeout_s=30)
    order: list[str] = []
    gate = scheduler.acquire("holder")  # keeps the only instance busy while all queue
    threads = []

    def request(user: str) -> None:
        ticket = scheduler.acquire(user)
        order.append(user)
        time.sleep(0.01)
        scheduler.release(ticket)

    for user in ["alice"] * 6 + ["bob", "carol"]:  # alice floods first
        t = threading.Thread(target=request, args=(user,))
        t.start()
        threads.append(t)
        while scheduler.queue_depth < len(threads):
            time.sleep(0.005)
    scheduler.release(gate)
    for t in threads:
        t.join()
    # bob and carol are served after alice's first request, not after all six.
    assert order[:3] == ["alice", "bob", "carol"] and order[3:] == ["alice"] * 5


def test_two_model_instances_answer_two_users_at_once(tmp_path: Path, embedder, engine) -> None:
    app = make_app(tmp_path / "data", embedder, engine, engine_instances=2)
    try:
        scheduler = app.scheduler
        assert len(scheduler.engines) == 2 and scheduler.engines[0] is engine
        running: list[int] = []
        scheduler._on_change = lambda stats: running.append(stats.running)
        texts: dict[str, str] = {}

        def user(name: str) -> None:
            stream = app.chat(
                [{"role": "user", "content": f"Write a sentence about {name}'s garden."}],
                who=Caller(name, "staff"),
            )
            for _ in stream:
                pass
            texts[name] = stream.text

        threads = [threading.Thread(target=user, args=(n,)) for n in ("amy", "ben")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert texts["amy"] and texts["ben"] and max(running) == 2  # both decoded at once
        assert scheduler.stats.per_user_served == {"amy": 1, "ben": 1}
    finally:
        app.close()
