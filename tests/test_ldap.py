"""LDAP / Active Directory sign-in against a real OpenLDAP ``slapd`` on loopback.

The session's server (tests/ldapserver.py) speaks TLS (ldaps://) and StartTLS with a
CA and a certificate made here, and holds: anna (directly in ward-nurses and in the
groupOfUniqueNames privacy), ben (in night-shift, which is inside ward-nurses, and in
two groups that contain each other), carl and eve (night-shift; removed and locked
during the tests), dora (only in an unmapped group), gus (ward-nurses; locked out
here by wrong passwords). ``make setup`` installs slapd (scripts/install-ldap).
"""

from __future__ import annotations

import socket
import sys
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests import ldapserver
from tests.ldapserver import SERVICE_DN, SUFFIX, Slapd, ssha, start_slapd

if not ldapserver.available():  # make setup / make test install it: this is a broken set-up
    message = (
        "SKIPPING THE LDAP SIGN-IN TESTS: OpenLDAP's slapd is not installed "
        "(/usr/sbin/slapd); run scripts/install-ldap (make setup does)."
    )
    print(f"\n*** {message} ***", file=sys.stderr)
    warnings.warn(message, stacklevel=1)
    pytest.skip(message, allow_module_level=True)

from appliance.accounts.ldap import LdapDirectory, user_filter
from appliance.caller import Caller
from appliance.config import load_settings
from appliance.doctor import directory_check
from appliance.errors import ConfigError, DirectoryUnavailable, SignInFailed
from appliance.store.schema import User, WebSession
from appliance.web import create_app
from tests.conftest import make_app
from tests.webtools import page_csrf, sign_in

PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
NURSES = f"cn=ward-nurses,{GROUPS}"
NIGHT = f"cn=night-shift,{GROUPS}"
PRIVACY = f"cn=privacy,{GROUPS}"
SERVICE_PASSWORD = "service-account-pass-51"
PASSWORDS = {
    "anna": "anna-directory-pass-11",
    "ben": "ben-directory-pass-22",
    "carl": "carl-directory-pass-33",
    "dora": "dora-directory-pass-44",
    "eve": "eve-directory-pass-55",
    "gus": "gus-directory-pass-66",
}
ROOT_PASSWORD = "break-glass-local-pass-77"
# ldap3 2.9.1 checks the server's name with ssl.match_hostname (deprecated, still right).
pytestmark = pytest.mark.filterwarnings("ignore:ssl.match_hostname:DeprecationWarning")
ADMIN = Caller("root", "admin")


def person(uid: str, *, name: str | None = None) -> str:
    return f"""dn: uid={uid},{PEOPLE}
objectClass: inetOrgPerson
uid: {name or uid}
cn: {uid.title()}
sn: {uid.title()}
userPassword: {ssha(PASSWORDS[uid])}
"""


def group(cn: str, *members: str, unique: bool = False) -> str:
    kind, attribute = (
        ("groupOfUniqueNames", "uniqueMember") if unique else ("groupOfNames", "member")
    )
    lines = [f"dn: cn={cn},{GROUPS}", f"objectClass: {kind}", f"cn: {cn}"]
    lines += [f"{attribute}: {m}" for m in members]
    return "\n".join(lines) + "\n"


def uid(name: str) -> str:
    return f"uid={name},{PEOPLE}"


DIRECTORY = "\n".join(
    [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\n"
        "dc: example\no: Example\n",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n",
        f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services\n",
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: appliance\nuserPassword: {ssha(SERVICE_PASSWORD)}\n",
        person("anna", name="Anna.Berg"),
        person("ben"),
        person("carl"),
        person("dora"),
        person("eve"),
        person("gus"),
        group("night-shift", uid("ben"), uid("carl"), uid("eve")),
        group("ward-nurses", uid("anna"), uid("gus"), NIGHT),
        # (a groupOfUniqueNames must keep one member when anna leaves it)
        group("privacy", uid("anna"), f"cn=nobody,{SUFFIX}", unique=True),
        group("visitors", uid("dora")),
        # Two groups inside each other: resolution must end.
        group("loop-a", uid("ben"), f"cn=loop-b,{GROUPS}"),
        group("loop-b", f"cn=loop-a,{GROUPS}"),
    ]
)


def ldap_settings(server: Slapd, **extra: Any) -> dict[str, Any]:
    return {
        "ldap_url": server.ldaps_url,
        "ldap_ca_file": server.ca_file,
        "ldap_bind_dn": SERVICE_DN,
        "ldap_bind_password": SERVICE_PASSWORD,
        "ldap_user_base": PEOPLE,
        "ldap_group_base": GROUPS,
        "ldap_timeout_seconds": 5,
        **extra,
    }


SITE_SETTINGS = {
    "directory_roles": {NURSES: "staff", PRIVACY: "compliance_officer"},
    "directory_groups": {NURSES: "nurses", PRIVACY: "privacy-office"},
    "directory_recheck_minutes": 1,
    "break_glass_admin": "root",
    "signin_rate_per_minute": 1000,
}


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    server = start_slapd(
        tmp_path_factory.mktemp("slapd"),
        DIRECTORY,
        service_password=SERVICE_PASSWORD,
        root_password="directory-root-pass-88",
    )
    yield server
    server.stop()


@dataclass
class Site:
    app: Any
    web: Any

    def client(self) -> TestClient:
        return TestClient(self.web, raise_server_exceptions=False)

    def events(self, action: str, **match: str) -> list[dict[str, Any]]:
        return [
            {**r, **r["detail"]}
            for r in self.app.audit.records(action=action)
            if all({**r, **r["detail"]}.get(k) == v for k, v in match.items())
        ]

    def age_sessions(self, username: str) -> None:
        """The sessions of ``username`` were last confirmed two minutes ago (the
        recheck interval is one): the next request asks the directory again."""
        account = self.app.accounts.get(username)
        with self.app.db.session() as s:
            s.execute(
                update(WebSession)
                .where(WebSession.user_id == account.id)
                .values(checked_at=datetime.now(UTC) - timedelta(minutes=2))
            )


def open_site(data_dir: Path, server: Slapd) -> Site:
    app = make_app(data_dir, None, None, **SITE_SETTINGS, **ldap_settings(server))
    app.accounts.create_user("root", "admin", ADMIN, password=ROOT_PASSWORD)
    app.accounts.create_user("lee", "staff", ADMIN, password="staff-local-pass-99")
    app.create_collection("ward-guides", who=ADMIN)
    app.accounts.create_group("nurses", ADMIN)
    app.accounts.grant("ward-guides", ADMIN, group="nurses")
    return Site(app, create_app(app, maintenance=False))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, slapd: Slapd) -> Iterator[Site]:
    site = open_site(tmp_path_factory.mktemp("ldap-site") / "data", slapd)
    yield site
    site.app.close()


def signed_in(site: Site, username: str, password: str) -> TestClient:
    client = site.client()
    response = sign_in(client, username, password)
    assert response.status_code == 303 and response.headers["location"] == "/chat", response.text
    return client


# -- signing in through the form ------------------------------------------------------


def test_a_nested_group_member_signs_in_with_the_role_and_grants_of_the_outer_group(
    site: Site,
) -> None:
    client = signed_in(site, "ben", PASSWORDS["ben"])
    account = site.app.accounts.get("ben")
    assert (account.source, account.role, account.groups) == ("ldap", "staff", ("nurses",))
    with site.app.db.session() as s:
        row = s.query(User).filter_by(username="ben").one()
        assert row.external_subject == uid("ben")
    assert client.get("/chat").status_code == 200
    token = client.cookies.get("appliance_session")
    assert site.app.accounts.session(token).access == {"ward-guides": "read"}
    last = site.events("auth.signin", actor="ben")[-1]
    assert (last["outcome"], last["via"]) == ("success", "ldap")


def test_the_highest_role_wins_and_the_directory_spells_the_name(site: Site) -> None:
    signed_in(site, "  ANNA.berg ", PASSWORDS["anna"])
    account = site.app.accounts.get("anna.berg")
    assert account.role == "compliance_officer"  # privacy (groupOfUniqueNames) > nurses
    assert set(account.groups) == {"nurses", "privacy-office"}


def test_groups_are_resolved_through_nesting_and_cycles_end(slapd: Slapd, tmp_path: Path) -> None:
    directory = LdapDirectory.from_settings(load_settings(tmp_path, **ldap_settings(slapd)))
    assert directory is not None
    identity = directory.authenticate("ben", PASSWORDS["ben"])
    assert identity.subject == uid("ben")
    assert set(identity.groups) == {
        f"cn={g},{GROUPS}" for g in ("night-shift", "ward-nurses", "loop-a", "loop-b")
    }


def test_starttls_on_a_plain_ldap_url_works_and_plain_text_is_refused(
    slapd: Slapd, tmp_path: Path
) -> None:
    settings = load_settings(
        tmp_path, **ldap_settings(slapd, ldap_url=slapd.ldap_url, ldap_starttls=True)
    )
    directory = LdapDirectory.from_settings(settings)
    assert directory is not None
    assert directory.authenticate("ben", PASSWORDS["ben"]).username == "ben"
    with pytest.raises(ConfigError, match="passwords in clear"):
        load_settings(tmp_path, **ldap_settings(slapd, ldap_url=slapd.ldap_url))


def test_a_directory_account_changes_its_password_in_the_directory_only(site: Site) -> None:
    assert "organisation's user name and password" in site.client().get("/signin").text
    client = signed_in(site, "ben", PASSWORDS["ben"])
    assert "kept by your organisation's directory" in client.get("/account/password").text
    csrf = page_csrf(client, "/chat")
    response = client.post(
        "/account/password",
        data={"current": PASSWORDS["ben"], "new": "x" * 20, "repeat": "x" * 20, "csrf": csrf},
    )
    assert response.status_code == 400 and "change it there" in response.text
    # The directory's password still signs in.
    signed_in(site, "ben", PASSWORDS["ben"])


def test_a_local_account_keeps_its_local_password(site: Site) -> None:
    signed_in(site, "lee", "staff-local-pass-99")
    assert site.app.accounts.get("lee").source == "local"
    assert "via" not in site.events("auth.signin", actor="lee")[-1]


def test_a_person_none_of_whose_groups_maps_to_a_role_is_refused(site: Site) -> None:
    response = sign_in(site.client(), "dora", PASSWORDS["dora"])
    assert response.status_code == 401 and "no role" in response.text
    assert site.events("auth.signin", resource="user:dora")[-1]["outcome"] == "failure"


# -- refusals -------------------------------------------------------------------------


def test_a_wrong_password_is_refused_audited_and_repeated_failures_lock(site: Site) -> None:
    signed_in(site, "gus", PASSWORDS["gus"])  # the account exists here from now on
    response = sign_in(site.client(), "gus", "not-the-password")
    assert response.status_code == 401 and "Wrong username or password" in response.text
    failure = site.events("auth.signin", actor="gus", outcome="failure")[-1]
    assert (failure["reason"], failure["via"]) == ("wrong password", "ldap")
    assert "not-the-password" not in str(site.app.audit.records(action="auth.signin"))
    for _ in range(site.app.settings.signin_max_failures - 1):
        sign_in(site.client(), "gus", "not-the-password")
    # Locked here: even the right password is refused, and the directory is not asked.
    response = sign_in(site.client(), "gus", PASSWORDS["gus"])
    assert response.status_code == 401
    assert site.events("auth.signin", actor="gus")[-1]["reason"] == "account locked"


def test_an_unknown_name_is_refused_like_a_wrong_password(site: Site) -> None:
    response = sign_in(site.client(), "nobody", "whatever-it-is-123")
    assert response.status_code == 401 and "Wrong username or password" in response.text
    assert site.events("auth.signin", outcome="failure")[-1]["reason"] == "unknown user"


@pytest.mark.parametrize("name", ["*", "*)(uid=*", "be*", "ben)(|(uid=*", "b\\65n", "ben\x00"])
def test_ldap_injection_in_the_user_name_finds_nobody(site: Site, name: str) -> None:
    # "be*" would find ben, and his password would then sign in, were the name not escaped.
    response = sign_in(site.client(), name, PASSWORDS["ben"])
    assert response.status_code == 401
    assert site.events("auth.signin", outcome="failure")[-1]["reason"] == "unknown user"


def test_the_filter_escapes_every_special_character() -> None:
    assert user_filter("(uid={username})", "*)(uid=*") == r"(uid=\2a\29\28uid=\2a)"
    assert user_filter("(sAMAccountName={username})", "a\\b\x00") == r"(sAMAccountName=a\5cb\00)"


def test_an_empty_password_is_never_an_anonymous_bind(slapd: Slapd, tmp_path: Path) -> None:
    directory = LdapDirectory.from_settings(load_settings(tmp_path, **ldap_settings(slapd)))
    assert directory is not None
    with pytest.raises(SignInFailed):
        directory.authenticate("ben", "")


# -- the directory changes ------------------------------------------------------------


def test_a_person_removed_from_the_directory_is_signed_out_after_the_recheck(
    site: Site, slapd: Slapd
) -> None:
    client = signed_in(site, "carl", PASSWORDS["carl"])
    conn = ldapserver.admin(slapd)
    assert conn.delete(uid("carl")), conn.result
    conn.unbind()
    assert client.get("/chat").status_code == 200  # confirmed less than a minute ago
    site.age_sessions("carl")
    response = client.get("/chat", follow_redirects=False)
    assert response.status_code in (302, 303, 307) and "/signin" in response.headers["location"]
    ended = site.events("auth.session_end", actor="carl")[-1]
    assert ended["reason"] == "refused by the ldap directory"
    response = sign_in(site.client(), "carl", PASSWORDS["carl"])
    assert response.status_code == 401


def test_a_person_locked_in_the_directory_is_refused_and_signed_out(
    site: Site, slapd: Slapd
) -> None:
    client = signed_in(site, "eve", PASSWORDS["eve"])
    conn = ldapserver.admin(slapd)
    # The ppolicy overlay's administrative lock.
    assert conn.modify(uid("eve"), {"pwdAccountLockedTime": [("MODIFY_ADD", ["000001010000Z"])]}), (
        conn.result
    )
    conn.unbind()
    site.age_sessions("eve")
    assert "/signin" in client.get("/chat", follow_redirects=False).headers["location"]
    response = sign_in(site.client(), "eve", PASSWORDS["eve"])
    assert response.status_code == 401
    assert site.events("auth.signin", resource="user:eve")[-1]["reason"] == (
        "account disabled in the directory"
    )


def test_a_recheck_makes_the_role_follow_the_groups(site: Site, slapd: Slapd) -> None:
    client = signed_in(site, "anna.berg", PASSWORDS["anna"])
    conn = ldapserver.admin(slapd)
    assert conn.modify(PRIVACY, {"uniqueMember": [("MODIFY_DELETE", [uid("anna")])]}), conn.result
    try:
        site.age_sessions("anna.berg")
        assert client.get("/chat").status_code == 200
        account = site.app.accounts.get("anna.berg")
        assert (account.role, account.groups) == ("staff", ("nurses",))
    finally:
        conn.modify(PRIVACY, {"uniqueMember": [("MODIFY_ADD", [uid("anna")])]})
        conn.unbind()


# -- a directory that cannot be reached ------------------------------------------------


def test_a_stopped_directory_refuses_sign_in_clearly_and_never_falls_back(
    tmp_path: Path,
) -> None:
    server = start_slapd(
        tmp_path / "slapd",
        DIRECTORY,
        service_password=SERVICE_PASSWORD,
        root_password="directory-root-pass-88",
    )
    site = open_site(tmp_path / "data", server)
    try:
        client = signed_in(site, "ben", PASSWORDS["ben"])
        server.stop()
        response = sign_in(site.client(), "ben", PASSWORDS["ben"])
        assert response.status_code == 503
        assert "cannot be reached" in response.text
        assert "local passwords are not used instead" in response.text
        failure = site.events("auth.signin", actor="ben", outcome="failure")[-1]
        assert failure["reason"].startswith("directory unreachable")
        assert server.ldaps_url in failure["reason"]
        # The break-glass administrator still signs in with the local password.
        signed_in(site, "root", ROOT_PASSWORD)
        # A session due for its recheck ends: the directory cannot confirm the person.
        site.age_sessions("ben")
        assert "/signin" in client.get("/chat", follow_redirects=False).headers["location"]
        assert site.events("auth.session_end", actor="ben")[-1]["reason"] == (
            "ldap directory unreachable"
        )
        check = directory_check(site.app.settings)
        assert not check.ok and "cannot be reached" in check.detail
    finally:
        server.stop()
        site.app.close()


def test_a_certificate_from_another_ca_is_refused(slapd: Slapd, tmp_path: Path) -> None:
    other_ca, _, _ = ldapserver.make_ca(tmp_path / "other")
    settings = load_settings(tmp_path, **ldap_settings(slapd, ldap_ca_file=other_ca))
    directory = LdapDirectory.from_settings(settings)
    assert directory is not None
    with pytest.raises(DirectoryUnavailable, match="certificate verify failed"):
        directory.authenticate("ben", PASSWORDS["ben"])


def test_a_certificate_that_does_not_name_the_host_is_refused(slapd: Slapd, tmp_path: Path) -> None:
    settings = load_settings(tmp_path, **ldap_settings(slapd, ldap_url=slapd.misnamed_url))
    directory = LdapDirectory.from_settings(settings)
    assert directory is not None
    with pytest.raises(DirectoryUnavailable, match="doesn't match"):
        directory.authenticate("ben", PASSWORDS["ben"])


def test_a_directory_that_does_not_answer_times_out(slapd: Slapd, tmp_path: Path) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)  # accepts connections (the kernel does) and never says a word
    held: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:
        silent.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(silent.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    url = f"ldaps://127.0.0.1:{silent.getsockname()[1]}"
    settings = load_settings(tmp_path, **ldap_settings(slapd, ldap_url=url, ldap_timeout_seconds=1))
    directory = LdapDirectory.from_settings(settings)
    assert directory is not None
    try:
        with pytest.raises(DirectoryUnavailable, match=f"{url} cannot be reached"):
            directory.authenticate("ben", PASSWORDS["ben"])
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        silent.close()


# -- settings, doctor, administration pages ---------------------------------------------


def test_incomplete_ldap_settings_are_refused_at_start(slapd: Slapd, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ldap_bind_dn"):
        load_settings(tmp_path, **ldap_settings(slapd, ldap_bind_dn=None))
    with pytest.raises(ConfigError, match=r"\{username\}"):
        load_settings(tmp_path, **ldap_settings(slapd, ldap_user_filter="(uid=*)"))
    with pytest.raises(ConfigError, match="ldaps://"):
        load_settings(tmp_path, **ldap_settings(slapd, ldap_url="http://127.0.0.1"))


def test_the_service_password_comes_from_the_environment_and_is_never_shown(
    slapd: Slapd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPLIANCE_LDAP_BIND_PASSWORD", SERVICE_PASSWORD)
    values = ldap_settings(slapd)
    del values["ldap_bind_password"]
    settings = load_settings(tmp_path, **values)
    assert SERVICE_PASSWORD not in repr(settings)
    assert SERVICE_PASSWORD not in str(settings.model_dump(mode="json"))
    check = directory_check(settings)
    assert check.ok and "the service account binds" in check.detail


def test_the_doctor_names_a_refused_service_account(slapd: Slapd, tmp_path: Path) -> None:
    settings = load_settings(tmp_path, **ldap_settings(slapd, ldap_bind_password="wrong-pass"))
    check = directory_check(settings)
    assert not check.ok and "service account" in check.detail and slapd.ldaps_url in check.detail


def test_the_admin_pages_show_each_account_s_source_and_the_group_mapping(site: Site) -> None:
    signed_in(site, "ben", PASSWORDS["ben"])
    admin = signed_in(site, "root", ROOT_PASSWORD)
    users = admin.get("/admin/users").text
    assert "directory (ldap)" in users and "local password" in users
    overview = admin.get("/admin").text
    assert NURSES in overview and "compliance officer" in overview
    assert "directory (LDAP)" in overview  # the doctor's line


def test_the_settings_file_configures_the_directory_and_its_mapping(
    slapd: Slapd, tmp_path: Path
) -> None:
    (tmp_path / "appliance.toml").write_text(
        f"""[directory]
ldap_url = "{slapd.ldaps_url}"
ldap_ca_file = "{slapd.ca_file}"
ldap_bind_dn = "{SERVICE_DN}"
ldap_bind_password = "{SERVICE_PASSWORD}"
ldap_user_base = "{PEOPLE}"
ldap_group_base = "{GROUPS}"

[directory_roles]
"{NURSES}" = "staff"

[directory_groups]
"{NURSES}" = "nurses"
"""
    )
    settings = load_settings(tmp_path)
    assert settings.directory_roles == {NURSES: "staff"}
    assert settings.directory_groups == {NURSES: "nurses"}
    directory = LdapDirectory.from_settings(settings)
    assert directory is not None
    assert NURSES in directory.authenticate("ben", PASSWORDS["ben"]).groups
