"""Sign-in with the organisation's OpenID provider, against a real one: panva's
``oidc-provider`` (node, tests/oidc/provider.js, installed by ``make setup``) started
on loopback. People sign in on the provider's own pages; the appliance checks state,
PKCE, the ID token's signature (the provider's JWKS), issuer, audience, expiry and
nonce, maps the groups claim to a role and local groups, and asks the provider again
(refresh token) at each recheck.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import update

from appliance.accounts.oidc import OpenIdConnect, ProviderRefused
from appliance.caller import Caller
from appliance.store.schema import WebSession
from appliance.web import create_app
from tests.conftest import REPO, make_app

PROVIDER_DIR = REPO / "tests" / "oidc"
CLIENT_ID = "appliance"
CLIENT_SECRET = "a-long-client-secret-for-the-tests"
NURSES, PRIVACY = "ward-nurses", "privacy-office"
ROLES = {NURSES: "staff", PRIVACY: "compliance_officer"}
LOCAL_GROUPS = {NURSES: "nurses"}
# The provider's accounts (tests/oidc/provider.js reads the file at each look-up).
PEOPLE = {
    "anna": {"username": "Anna.Berg", "groups": [NURSES], "password": "ward-4-lantern"},
    "dora": {
        "username": "Dora.Pohl@example.org",  # an e-mail-like name, as Entra ID's UPN
        "groups": [PRIVACY, NURSES],
        "password": "privacy-7-kite",
    },
    "vic": {"username": "vic.visitor", "groups": ["visitors"], "password": "visitor-2-gate"},
}
ADMIN = Caller("root", "admin")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Provider:
    """The running provider: its issuer, signing key and accounts file."""

    issuer: str
    key: RSAKey
    accounts: Path
    browser_port: int  # the browser test's appliance, registered as a redirect URI

    def set_people(self, people: dict[str, Any]) -> None:
        self.accounts.write_text(json.dumps(people))

    def disable(self, who: str) -> None:
        people = json.loads(self.accounts.read_text())
        people[who]["disabled"] = True
        self.set_people(people)


def _start(port: int, config: Path, log: Path) -> subprocess.Popen[bytes]:
    node = shutil.which("node")
    if node is None or not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("node and tests/oidc/node_modules are missing: run `make setup`")
    process = subprocess.Popen(
        [node, str(PROVIDER_DIR / "provider.js"), str(port), str(config)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the OpenID provider did not start: {log.read_text()}")
            time.sleep(0.1)


@contextlib.contextmanager
def running_provider(root: Path, browser_port: int = 0) -> Iterator[Provider]:
    """``node tests/oidc/provider.js`` on a free loopback port, stopped afterwards. Its
    issuer is ``http://localhost:<port>``: another site than the appliance on
    127.0.0.1, as a real provider is (SameSite cookies behave as in production)."""
    port = _free_port()
    key = RSAKey.generate_key(2048, {"kid": "test-key-1", "use": "sig", "alg": "RS256"})
    accounts = root / "accounts.json"
    config = root / "config.json"
    redirects = ["http://testserver/signin/oidc/callback"]
    if browser_port:
        redirects.append(f"http://127.0.0.1:{browser_port}/signin/oidc/callback")
    config.write_text(
        json.dumps(
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": redirects,
                "jwks": {"keys": [key.as_dict(private=True)]},
                "accounts": str(accounts),
                "host": "localhost",
            }
        )
    )
    running = Provider(f"http://localhost:{port}", key, accounts, browser_port)
    running.set_people(PEOPLE)
    process = _start(port, config, root / "provider.log")
    try:
        yield running
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    with running_provider(tmp_path_factory.mktemp("oidc"), _free_port()) as running:
        yield running


def oidc_settings(issuer: str, **extra: Any) -> dict[str, Any]:
    return {
        "oidc_issuer": issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "oidc_scopes": "openid profile groups",
        "oidc_display_name": "Example Health ID",
        "directory_roles": ROLES,
        "directory_groups": LOCAL_GROUPS,
        **extra,
    }


@pytest.fixture
def site(tmp_path: Path, embedder, engine, provider: Provider):  # type: ignore[no-untyped-def]
    provider.set_people(PEOPLE)
    app = make_app(tmp_path / "data", embedder, engine, **oidc_settings(provider.issuer))
    app.create_collection("ward-guides", who=ADMIN)
    app.accounts.create_group("nurses", ADMIN)
    app.accounts.grant("ward-guides", ADMIN, group="nurses")
    yield app
    app.close()


def events(app: Any, action: str) -> list[dict[str, Any]]:
    return [{**r, **r["detail"]} for r in app.audit.records(action=action)]


_FORM = re.compile(r'<form[^>]*action="([^"]+)"', re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def through_the_provider(url: str, login: str, edit: Any = None) -> tuple[str, httpx.Client]:
    """A person's browser at the provider: its login page, its consent page, until it
    sends the browser back to the appliance. Returns that callback URL."""
    browser = httpx.Client(follow_redirects=False, timeout=30)
    if edit is not None:
        url = edit(url)
    response = browser.get(url)
    for _ in range(12):
        if response.is_redirect:
            target = urljoin(str(response.url), response.headers["location"])
            if target.startswith("http://testserver") or "/signin/oidc/callback" in target:
                return target, browser
            response = browser.get(target)
            continue
        assert response.status_code == 200, response.text
        action = urljoin(str(response.url), _FORM.findall(response.text)[0])
        fields = dict(_HIDDEN.findall(response.text))
        if 'name="login"' in response.text:  # the provider's sign-in page
            fields.update(login=login, password=PEOPLE[login]["password"])
        response = browser.post(action, data=fields)
    raise AssertionError("the provider never sent the browser back")


def sign_in(client: TestClient, login: str, edit: Any = None) -> httpx.Response:
    start = client.get("/signin/oidc?next=/documents", follow_redirects=False)
    assert start.status_code == 303, start.text
    callback, _ = through_the_provider(start.headers["location"], login, edit)
    return client.get(callback, follow_redirects=False)


def test_the_sign_in_page_offers_the_provider(site) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(create_app(site))
    page = client.get("/signin").text
    assert "Sign in with Example Health ID" in page
    start = client.get("/signin/oidc", follow_redirects=False)
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert query["state"] and query["nonce"] and query["client_id"] == [CLIENT_ID]
    cookie = start.headers["set-cookie"]
    assert "appliance_oidc=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_a_nurse_signs_in_at_the_provider_and_holds_her_groups_grants(site) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(create_app(site))
    done = sign_in(client, "anna")
    assert done.status_code == 200, done.text
    assert 'url=/documents"' in done.text  # the continue page, same-site
    assert client.cookies.get("appliance_session")
    page = client.get("/documents", follow_redirects=False)
    assert page.status_code == 200 and "ward-guides" in page.text
    account = site.accounts.get("anna.berg")  # the claim, lower-cased
    assert (account.role, account.source, account.groups) == ("staff", "oidc", ("nurses",))
    with site.db.session() as s:
        row = s.query(WebSession).one()
        assert row.directory_state and b"ey" not in row.directory_state  # sealed, no JWT
    signin = events(site, "auth.signin")[-1]
    assert (signin["actor"], signin["via"], signin["outcome"]) == ("anna.berg", "oidc", "success")
    # Dora is in both groups: the higher role, and the nurses' grants.
    other = TestClient(create_app(site))
    assert sign_in(other, "dora").status_code == 200
    dora = site.accounts.get("dora.pohl")
    assert (dora.role, dora.groups) == ("compliance_officer", ("nurses",))


def test_a_person_without_a_mapped_group_is_refused_and_audited(site) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(create_app(site))
    refused = sign_in(client, "vic")
    assert refused.status_code == 400 or refused.status_code == 401
    assert "give you no role" in refused.text and "Sign in with Example Health ID" in refused.text
    assert not client.cookies.get("appliance_session")
    last = events(site, "auth.signin")[-1]
    assert (last["outcome"], last["reason"]) == ("failure", "no directory group maps to a role")


def _age_sessions(app: Any) -> None:
    """As if the recheck interval had passed since the session was last confirmed."""
    with app.db.session() as s:
        s.execute(update(WebSession).values(checked_at=datetime.now(UTC) - timedelta(hours=1)))


def test_a_person_disabled_at_the_provider_is_signed_out_at_the_next_recheck(  # type: ignore[no-untyped-def]
    site, provider: Provider
) -> None:
    client = TestClient(create_app(site))
    assert sign_in(client, "anna").status_code == 200
    with site.db.session() as s:
        first = s.query(WebSession).one().directory_state
    # Confirmed again while enabled: still signed in, with the rotated refresh token.
    _age_sessions(site)
    assert client.get("/documents", follow_redirects=False).status_code == 200
    with site.db.session() as s:
        assert s.query(WebSession).one().directory_state != first
    # Moved to the privacy office at the provider: the role follows at the recheck.
    provider.set_people({**PEOPLE, "anna": {**PEOPLE["anna"], "groups": [PRIVACY]}})
    _age_sessions(site)
    assert client.get("/documents", follow_redirects=False).status_code == 200
    assert site.accounts.get("anna.berg").role == "compliance_officer"
    assert site.accounts.get("anna.berg").groups == ()
    provider.disable("anna")
    assert client.get("/documents", follow_redirects=False).status_code == 200  # not yet due
    _age_sessions(site)
    gone = client.get("/documents", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/signin")
    ended = events(site, "auth.session_end")[-1]
    assert (ended["actor"], ended["reason"]) == ("anna.berg", "refused by the oidc directory")
    # A new sign-in: the provider itself refuses, and says so to the appliance.
    again = TestClient(create_app(site))
    refused = sign_in(again, "anna")
    assert refused.status_code == 401 and "refused the sign-in (access_denied" in refused.text
    assert events(site, "auth.signin")[-1]["reason"] == "provider error: access_denied"
    assert not again.cookies.get("appliance_session")


def test_a_forged_state_or_a_replayed_answer_is_refused(  # type: ignore[no-untyped-def]
    site, provider: Provider, embedder, engine
) -> None:
    client = TestClient(create_app(site))
    start = client.get("/signin/oidc", follow_redirects=False)
    callback, _ = through_the_provider(start.headers["location"], "anna")
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    forged = urlunsplit(parts._replace(query=urlencode({**query, "state": "someone-elses"}, True)))
    refused = client.get(forged, follow_redirects=False)
    assert refused.status_code == 401 and "does not belong to your sign-in" in refused.text
    assert events(site, "auth.signin")[-1]["reason"] == "state mismatch"
    # The answer without the pending cookie (another browser: a login-CSRF attempt).
    stranger = TestClient(create_app(site))
    refused = stranger.get(callback, follow_redirects=False)
    assert refused.status_code == 401 and "start again" in refused.text
    assert events(site, "auth.signin")[-1]["reason"] == "sign-in expired or not started here"
    # The genuine answer once (the forged one cleared the cookie: keep it for the replay).
    pending = start.cookies.get("appliance_oidc")
    client.cookies.set("appliance_oidc", pending, path="/signin/oidc")
    assert client.get(callback, follow_redirects=False).status_code == 200
    client.cookies.set("appliance_oidc", pending, path="/signin/oidc")
    replayed = client.get(callback, follow_redirects=False)
    assert replayed.status_code == 401 and "used already" in replayed.text
    assert events(site, "auth.signin")[-1]["reason"] == "answer replayed"
    # Another web process on the same database (nothing of this one's memory) refuses
    # the replay as well: the used answer is recorded in the database.
    other = make_app(site.settings.data_dir, embedder, engine, **oidc_settings(provider.issuer))
    try:
        elsewhere = TestClient(create_app(other, maintenance=False))
        elsewhere.cookies.set("appliance_oidc", pending, path="/signin/oidc")
        replayed = elsewhere.get(callback, follow_redirects=False)
        assert replayed.status_code == 401 and "used already" in replayed.text
    finally:
        other.close()


def test_an_answer_whose_id_token_carries_another_nonce_is_refused(site) -> None:  # type: ignore[no-untyped-def]
    """Someone altered the request on its way to the provider (the nonce): the
    provider signs the altered nonce into the ID token, the appliance refuses it."""

    def other_nonce(url: str) -> str:
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        return urlunsplit(parts._replace(query=urlencode({**query, "nonce": "injected"})))

    client = TestClient(create_app(site))
    refused = sign_in(client, "anna", edit=other_nonce)
    assert refused.status_code == 401 and "does not match this sign-in" in refused.text
    assert events(site, "auth.signin")[-1]["reason"] == "ID token nonce mismatch"
    assert not client.cookies.get("appliance_session")


def test_a_code_without_its_pkce_verifier_is_refused_by_the_provider(site) -> None:  # type: ignore[no-untyped-def]
    """The answer of one sign-in used with another's pending cookie whose state was
    made to match: the provider refuses the code (its PKCE challenge differs)."""
    client = TestClient(create_app(site))
    first = client.get("/signin/oidc", follow_redirects=False)
    second = client.get("/signin/oidc", follow_redirects=False)
    state2 = parse_qs(urlsplit(second.headers["location"]).query)["state"][0]

    def with_state(url: str) -> str:
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        return urlunsplit(parts._replace(query=urlencode({**query, "state": state2})))

    callback, _ = through_the_provider(with_state(first.headers["location"]), "anna")
    client.cookies.set("appliance_oidc", second.cookies["appliance_oidc"], path="/signin/oidc")
    refused = client.get(callback, follow_redirects=False)
    assert refused.status_code == 401 and "did not accept this sign-in" in refused.text
    reason = events(site, "auth.signin")[-1]["reason"]
    assert reason == "code refused by the provider: invalid_grant"


def _token(provider: Provider, key: RSAKey | None = None, **claims: Any) -> str:
    now = int(time.time())
    body = {
        "iss": provider.issuer,
        "aud": CLIENT_ID,
        "sub": "anna",
        "iat": now,
        "exp": now + 300,
        "nonce": "n-1",
        "preferred_username": "anna.berg",
        "groups": [NURSES],
        **claims,
    }
    signer = key or provider.key
    return jwt.encode({"alg": "RS256", "kid": signer.kid}, body, signer)


def test_tampered_expired_foreign_and_early_id_tokens_are_refused(site, provider: Provider) -> None:  # type: ignore[no-untyped-def]
    """ID tokens as the provider's key signs them, altered one way each."""
    oidc = site.accounts.directories["oidc"]
    assert isinstance(oidc, OpenIdConnect)
    good = _token(provider)
    assert oidc.identity(oidc.verify_id_token(good, nonce="n-1")).subject == (
        f"{provider.issuer}|anna"
    )
    header, _payload, signature = good.split(".")
    forged = _token(provider, groups=["appliance-admins"]).split(".")[1]
    stranger = RSAKey.generate_key(2048, {"kid": "test-key-1"})
    now = int(time.time())
    cases = {
        "ID token signature invalid": f"{header}.{forged}.{signature}",
        "ID token signature invalid ": _token(provider, key=stranger),
        "ID token expired": _token(provider, iat=now - 900, exp=now - 600),
        "ID token aud mismatch": _token(provider, aud="another-app"),
        "ID token iss mismatch": _token(provider, iss="http://127.0.0.1:1"),
        "ID token iat mismatch": _token(provider, iat=now + 600, exp=now + 900),
        "ID token nonce mismatch": _token(provider, nonce="n-2"),
    }
    for reason, token in cases.items():
        with pytest.raises(ProviderRefused) as refused:
            oidc.verify_id_token(token, nonce="n-1")
        assert refused.value.reason == reason.strip(), reason
    # Within the clock skew (60 s by default) a token from a clock slightly ahead passes.
    assert oidc.verify_id_token(_token(provider, iat=now + 30), nonce="n-1")["sub"] == "anna"


def test_a_provider_that_cannot_be_reached_refuses_clearly_and_never_falls_back(  # type: ignore[no-untyped-def]
    tmp_path: Path, embedder, engine
) -> None:
    (tmp_path / "idp").mkdir()
    with running_provider(tmp_path / "idp") as idp:
        app = make_app(tmp_path / "data", embedder, engine, **oidc_settings(idp.issuer))
        try:
            client = TestClient(create_app(app))
            assert sign_in(client, "anna").status_code == 200
        except BaseException:
            app.close()
            raise
    try:  # the provider is gone now
        # The open session: confirmed with the provider at the recheck, which fails.
        _age_sessions(app)
        gone = client.get("/documents", follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"].startswith("/signin")
        assert events(app, "auth.session_end")[-1]["reason"] == "oidc directory unreachable"
        # A new sign-in: a clear message on the sign-in page, audited.
        fresh = TestClient(create_app(app))
        page = fresh.get("/signin/oidc", follow_redirects=False)
        assert page.status_code == 503, page.text
        assert "did not answer" in page.text and "Sign in with Example Health ID" in page.text
        last = events(app, "auth.signin")[-1]
        assert last["outcome"] == "failure" and last["reason"].startswith("provider unreachable")
        assert not fresh.cookies.get("appliance_session")
    finally:
        app.close()
    # No local fallback: with local passwords off, a directory account has none anyway.
    closed = make_app(
        tmp_path / "data", embedder, engine, **oidc_settings(idp.issuer, local_signin=False)
    )
    try:
        web = TestClient(create_app(closed))
        refused = sign_in_with_password(web, "anna.berg", "whatever-it-is-123")
        assert refused.status_code == 401
    finally:
        closed.close()


def sign_in_with_password(client: TestClient, username: str, password: str) -> httpx.Response:
    form = client.get("/signin").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token
    return client.post(
        "/signin",
        data={"username": username, "password": password, "csrf": token[1]},
        follow_redirects=False,
    )


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    from tests.test_browser import _chromium

    path = _chromium()
    if path is None:
        pytest.skip("Chromium is not installed (make test installs Debian's package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


def _loopback_only(route) -> None:  # type: ignore[no-untyped-def]
    """The provider's pages import a web font: nothing leaves the machine."""
    host = urlsplit(route.request.url).hostname
    if host in ("127.0.0.1", "localhost"):
        route.continue_()
    else:
        route.abort()


def test_in_a_browser_a_nurse_signs_in_on_the_providers_own_page(  # type: ignore[no-untyped-def]
    site, provider: Provider, browser
) -> None:
    import threading

    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(site), host="127.0.0.1", port=provider.browser_port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{provider.browser_port}"
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        context = browser.new_context()
        context.route("**/*", _loopback_only)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(url + "/documents")
        page.get_by_role("link", name="Sign in with Example Health ID").click()
        # The provider's own sign-in and consent pages.
        page.wait_for_url(provider.issuer + "/interaction/**")
        page.fill("input[name=login]", "anna")
        page.fill("input[name=password]", PEOPLE["anna"]["password"])
        page.get_by_role("button", name="Sign-in").click()
        page.get_by_role("button", name="Continue").click()
        # Back at the appliance, signed in, where she was going.
        page.wait_for_url(url + "/documents")
        assert "ward-guides" in page.inner_text("main")
        assert "anna.berg" in page.inner_text("header")
        context.close()
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_settings_refuse_a_plain_http_provider_elsewhere_and_a_missing_client(
    tmp_path: Path,
) -> None:
    from appliance.config import load_settings
    from appliance.errors import ConfigError

    with pytest.raises(ConfigError, match="https"):
        load_settings(tmp_path, oidc_issuer="http://id.example.org", oidc_client_id="a")
    with pytest.raises(ConfigError, match="oidc_client_id"):
        load_settings(tmp_path, oidc_issuer="https://id.example.org")
    with pytest.raises(ConfigError, match="openid"):
        load_settings(
            tmp_path, oidc_issuer="https://id.example.org", oidc_client_id="a", oidc_scopes="email"
        )
    settings = load_settings(
        tmp_path,
        oidc_issuer="https://id.example.org",
        oidc_client_id="a",
        oidc_client_secret=CLIENT_SECRET,
    )
    assert CLIENT_SECRET not in repr(settings) and CLIENT_SECRET not in str(settings)
