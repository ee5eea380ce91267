"""What the organisation's directory says about a person, and how it maps to the
appliance's roles and groups.

LDAP/Active Directory (:mod:`appliance.accounts.ldap`) and OpenID Connect
(:mod:`appliance.accounts.oidc`) each turn a successful sign-in into a
:class:`DirectoryIdentity`; :meth:`appliance.accounts.service.Accounts.sign_in_directory`
then creates or updates the local account from it. The mapping lives in the settings
``directory_roles`` and ``directory_groups`` (docs/admin-guide.md, "Directory sign-in").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from appliance.store.schema import Role

# Lowest to highest: a person in several mapped groups gets the highest role.
ROLE_RANK: dict[str, int] = {Role.STAFF: 0, Role.COMPLIANCE: 1, Role.ADMIN: 2}
SOURCES = ("ldap", "oidc")


@dataclass(frozen=True)
class DirectoryIdentity:
    """A person as the directory vouches for them at this moment.

    ``source`` is ``"ldap"`` or ``"oidc"``; ``subject`` is stable at the provider (an
    LDAP entry's DN, an OpenID issuer + ``"|"`` + ``sub``) and identifies the account
    even when the user name changes; ``username`` is the proposed local name (already
    lower-case); ``groups`` are the directory's group identifiers exactly as the
    mapping's keys spell them (an LDAP group DN, a groups-claim value), nested groups
    already resolved.
    """

    source: str
    subject: str
    username: str
    groups: tuple[str, ...]


@dataclass(frozen=True)
class GroupMapping:
    """A directory identity's place in the appliance: its role (None: no mapped group,
    the sign-in is refused) and the local groups it belongs to."""

    role: str | None
    groups: frozenset[str]
    managed: frozenset[str]  # every local group the mapping names (membership synced)


def _key(name: str) -> str:
    """Group identifiers compare without case and spacing differences (LDAP DNs are
    case-insensitive; ``CN=Staff, OU=Groups`` and ``cn=staff,ou=groups`` are one)."""
    return ",".join(part.strip() for part in name.strip().split(",")).casefold()


def map_groups(
    groups: Iterable[str], roles: Mapping[str, str], local_groups: Mapping[str, str]
) -> GroupMapping:
    """Apply the settings ``directory_roles`` (directory group -> role) and
    ``directory_groups`` (directory group -> local group) to a person's groups."""
    mine = {_key(g) for g in groups}
    role: str | None = None
    for group, mapped in roles.items():
        if _key(group) in mine and (role is None or ROLE_RANK[mapped] > ROLE_RANK[role]):
            role = mapped
    managed = frozenset(v.strip().lower() for v in local_groups.values())
    member = frozenset(v.strip().lower() for k, v in local_groups.items() if _key(k) in mine)
    return GroupMapping(role, member, managed)


class Directory(Protocol):
    """A provider that can confirm a signed-in person again (at each session check
    older than ``directory_recheck_minutes``)."""

    source: str

    def recheck(
        self, subject: str, state: bytes | None
    ) -> tuple[DirectoryIdentity | None, bytes | None]:
        """``(identity, new state)``: the person as the provider sees them now, or
        ``(None, None)`` when the provider no longer signs them in (disabled, removed).
        Raises :class:`~appliance.errors.DirectoryUnavailable` when it cannot be asked."""
        ...


@runtime_checkable
class PasswordDirectory(Directory, Protocol):
    """A provider that checks a user name and password itself (LDAP / Active
    Directory): the sign-in page's form goes to it."""

    def authenticate(self, username: str, password: str) -> DirectoryIdentity:
        """The person the directory signs in with ``username`` and ``password``.
        Raises :class:`~appliance.errors.SignInFailed` whose message is the reason for
        the audit trail (never shown to the person), or
        :class:`~appliance.errors.DirectoryUnavailable`."""
        ...
