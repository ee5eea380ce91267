"""Directory sign-in, the part both providers share: a person the directory vouches
for gets an account whose role and groups follow the directory's groups; local
passwords can be switched off except for the break-glass administrator.

The providers themselves (a real OpenLDAP ``slapd`` and a real OpenID provider, both
started on loopback) are tested in tests/test_ldap.py and tests/test_oidc.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from appliance.accounts import DirectoryIdentity, map_groups
from appliance.caller import Caller
from appliance.config import load_settings
from appliance.errors import ConfigError, SignInFailed
from tests.conftest import make_app

pytestmark = pytest.mark.store

STAFF_DN = "cn=ward-nurses,ou=groups,dc=example,dc=org"
DPO_DN = "cn=privacy,ou=groups,dc=example,dc=org"
ROLES = {STAFF_DN: "staff", DPO_DN: "compliance_officer", "appliance-admins": "admin"}
GROUPS = {STAFF_DN: "nurses", DPO_DN: "privacy-office"}
ADMIN = Caller("root", "admin")


def person(*groups: str, name: str = "anna.berg", subject: str = "uid=anna") -> DirectoryIdentity:
    return DirectoryIdentity("ldap", subject, name, tuple(groups))


@pytest.fixture
def site(tmp_path: Path, embedder, engine):  # type: ignore[no-untyped-def]
    app = make_app(
        tmp_path / "data",
        embedder,
        engine,
        directory_roles=ROLES,
        directory_groups=GROUPS,
        break_glass_admin="root",
    )
    app.accounts.create_user("root", "admin", ADMIN, password="a long break glass pass")
    yield app
    app.close()


def events(app: Any, action: str) -> list[dict[str, Any]]:
    return [{**r, **r["detail"]} for r in app.audit.records(action=action)]


def test_group_names_match_without_case_or_spacing_and_the_highest_role_wins() -> None:
    mapped = map_groups(["CN=Ward-Nurses, OU=Groups, DC=example, DC=org", DPO_DN], ROLES, GROUPS)
    assert mapped.role == "compliance_officer"
    assert mapped.groups == {"nurses", "privacy-office"}
    assert map_groups(["cn=visitors"], ROLES, GROUPS).role is None


def test_a_mapping_to_an_unknown_role_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="superuser"):
        load_settings(tmp_path, directory_roles={"cn=x": "superuser"})


def test_the_first_sign_in_creates_the_account_with_its_role_groups_and_grants(site) -> None:  # type: ignore[no-untyped-def]
    site.create_collection("ward-guides", who=ADMIN)
    site.accounts.create_group("nurses", ADMIN)
    site.accounts.grant("ward-guides", ADMIN, group="nurses")
    account = site.accounts.sign_in_directory(person(STAFF_DN), "10.0.0.7")
    assert (account.username, account.role, account.source) == ("anna.berg", "staff", "ldap")
    assert account.groups == ("nurses",)
    token, _ = site.accounts.open_session(account)
    assert site.accounts.session(token).access == {"ward-guides": "read"}
    created = events(site, "user.create")[-1]
    assert (created["actor"], created["resource"]) == ("directory:ldap", "user:anna.berg")
    signin = events(site, "auth.signin")[-1]
    assert (signin["actor"], signin["via"], signin["outcome"]) == ("anna.berg", "ldap", "success")


def test_role_and_groups_follow_the_directory_at_each_sign_in(site) -> None:  # type: ignore[no-untyped-def]
    site.accounts.sign_in_directory(person(STAFF_DN), "10.0.0.7")
    account = site.accounts.sign_in_directory(person(STAFF_DN, DPO_DN), "10.0.0.7")
    assert account.role == "compliance_officer"
    assert account.groups == ("nurses", "privacy-office")  # created on first use
    account = site.accounts.sign_in_directory(person(DPO_DN), "10.0.0.7")
    assert account.groups == ("privacy-office",)
    change = events(site, "user.role_change")[-1]
    assert (change["before"], change["after"]) == ("staff", "compliance_officer")
    assert events(site, "group.member_remove")[-1]["resource"] == "group:nurses"
    # A local group the mapping does not name is left alone.
    site.accounts.create_group("night-shift", ADMIN)
    site.accounts.set_membership("night-shift", "anna.berg", True, ADMIN)
    account = site.accounts.sign_in_directory(person(DPO_DN), "10.0.0.7")
    assert account.groups == ("night-shift", "privacy-office")


def test_no_mapped_group_a_disabled_account_or_a_taken_name_is_refused(site) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SignInFailed, match="no role"):
        site.accounts.sign_in_directory(person("cn=visitors"), "10.0.0.7")
    site.accounts.sign_in_directory(person(STAFF_DN), "10.0.0.7")
    site.accounts.set_disabled("anna.berg", True, ADMIN)
    with pytest.raises(SignInFailed, match="disabled"):
        site.accounts.sign_in_directory(person(STAFF_DN), "10.0.0.7")
    site.accounts.create_user("jan.kowal", "staff", ADMIN)
    with pytest.raises(SignInFailed, match="another account"):
        site.accounts.sign_in_directory(person(STAFF_DN, name="jan.kowal", subject="uid=jk"), "x")
    reasons = [e["reason"] for e in events(site, "auth.signin") if e["outcome"] == "failure"]
    assert reasons == [
        "no directory group maps to a role",
        "account disabled",
        "user name taken by another account",
    ]


def test_a_directory_account_cannot_sign_in_with_a_local_password(site) -> None:  # type: ignore[no-untyped-def]
    site.accounts.sign_in_directory(person(STAFF_DN), "10.0.0.7")
    with pytest.raises(SignInFailed):
        site.accounts.authenticate("anna.berg", "", "10.0.0.7")
    assert events(site, "auth.signin")[-1]["reason"] == (
        "ldap account: signs in through the directory"
    )


def test_with_local_sign_in_off_only_the_break_glass_administrator_uses_a_password(
    tmp_path: Path, embedder, engine
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(tmp_path / "d", embedder, engine, break_glass_admin="root")
    try:
        app.accounts.create_user("root", "admin", ADMIN, password="a long break glass pass")
        app.accounts.create_user("clerk", "staff", ADMIN, password="another long password")
    finally:
        app.close()
    app = make_app(tmp_path / "d", embedder, engine, local_signin=False, break_glass_admin="root")
    try:
        assert app.accounts.authenticate("root", "a long break glass pass", "x").role == "admin"
        with pytest.raises(SignInFailed):
            app.accounts.authenticate("clerk", "another long password", "x")
        assert events(app, "auth.signin")[-1]["reason"] == "local sign-in switched off"
    finally:
        app.close()
