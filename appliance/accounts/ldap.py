"""Sign-in through an LDAP directory (OpenLDAP, Active Directory, any LDAPv3 server).

A password sign-in is three steps, each on a fresh connection over verified TLS
(``ldaps://``, or ``ldap://`` with StartTLS; the server's certificate checked
against ``ldap_ca_file`` and its name against the URL's host):

1. the service account (``ldap_bind_dn``) finds the user's entry under
   ``ldap_user_base`` with ``ldap_user_filter``, the typed name escaped (RFC 4515:
   ``*``, ``(``, ``)``, ``\\`` and NUL can never change the filter);
2. a bind *as that entry* with the typed password checks the password (the
   directory's own lockout and password policy apply);
3. the service account collects the user's groups, nested ones included: Active
   Directory resolves the chain itself (``LDAP_MATCHING_RULE_IN_CHAIN``,
   1.2.840.113556.1.4.1941); elsewhere the groups whose ``member`` or
   ``uniqueMember`` is the user, then the groups holding those, and so on
   (:data:`MAX_NESTING` levels, each group once, so a cycle ends).

Groups are identified by their DN in lower case (the keys of ``directory_roles``
and ``directory_groups``); the user name is the entry's ``ldap_username_attribute``
in lower case; the account's subject is the entry's DN.

A directory that cannot be reached (refused, timed out after
``ldap_timeout_seconds``, TLS failure, the service account refused) raises
:class:`~appliance.errors.DirectoryUnavailable` naming the URL: never a fallback to
local passwords.

Disabled users: Active Directory's ``userAccountControl`` flag 2 (ACCOUNTDISABLE);
elsewhere an entry with ``pwdAccountLockedTime`` (the ppolicy overlay's lock,
e.g. ``000001010000Z`` set by an administrator) or an entry that is gone.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Literal

from ldap3 import BASE, NONE, SIMPLE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from appliance.accounts.directory import DirectoryIdentity
from appliance.config import Settings
from appliance.errors import DirectoryUnavailable, SignInFailed

# Levels of nested groups followed client-side (a group in a group in a group ...).
MAX_NESTING = 10
# Member DNs asked about in one search (keeps the filter a reasonable size).
_BATCH = 50
# Active Directory: member:1.2.840.113556.1.4.1941: follows the member chain.
IN_CHAIN = "1.2.840.113556.1.4.1941"
_AD_DISABLED = 0x2  # userAccountControl ACCOUNTDISABLE
_PPOLICY_LOCK = "pwdAccountLockedTime"
# LDAP result codes (RFC 4511 4.1.9).
_NO_SUCH_OBJECT = 32
_INVALID_CREDENTIALS = 49
_GROUP_CLASSES = "(|(objectClass=group)(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))"


@dataclass(frozen=True)
class LdapConfig:
    """The ``ldap_*`` settings, checked (see :class:`appliance.config.Settings`)."""

    url: str
    starttls: bool
    ca_file: str | None
    bind_dn: str
    bind_password: str
    user_base: str
    user_filter: str
    username_attribute: str
    group_base: str
    active_directory: bool
    timeout_seconds: int

    @classmethod
    def from_settings(cls, settings: Settings) -> LdapConfig | None:
        """None when ``ldap_url`` is unset (no LDAP sign-in)."""
        if not settings.ldap_url:
            return None
        password = settings.ldap_bind_password
        return cls(
            url=settings.ldap_url.strip(),
            starttls=settings.ldap_starttls,
            ca_file=str(settings.ldap_ca_file) if settings.ldap_ca_file else None,
            bind_dn=settings.ldap_bind_dn or "",
            bind_password=password.get_secret_value() if password else "",
            user_base=settings.ldap_user_base,
            user_filter=settings.ldap_user_filter,
            username_attribute=settings.ldap_username_attribute,
            group_base=settings.ldap_group_base,
            active_directory=settings.ldap_active_directory,
            timeout_seconds=settings.ldap_timeout_seconds,
        )


def user_filter(template: str, username: str) -> str:
    """``template`` with ``{username}`` replaced by the escaped name (RFC 4515), so
    ``*)(uid=*`` is looked for literally: ``(uid=\\2a\\29\\28uid=\\2a)``."""
    return template.replace("{username}", escape_filter_chars(username))


def _first(entry: dict[str, Any], name: str) -> str:
    """The first value of attribute ``name`` (case-insensitive), or ''."""
    for key, value in entry.items():
        if key.lower() == name.lower():
            if isinstance(value, list):
                return str(value[0]) if value else ""
            return str(value)
    return ""


class LdapDirectory:
    """An LDAP / Active Directory server that signs people in (source ``"ldap"``).

    Thread-safe: each call opens its own connections and closes them.
    """

    source = "ldap"

    def __init__(self, config: LdapConfig) -> None:
        self.config = config
        # Python's default context (TLS 1.2 or later), the certificate verified, and
        # ldap3 checks the server's name against the URL's host after the handshake.
        self._tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=config.ca_file)

    @classmethod
    def from_settings(cls, settings: Settings) -> LdapDirectory | None:
        """The directory of the ``ldap_*`` settings, or None when ``ldap_url`` is unset."""
        config = LdapConfig.from_settings(settings)
        return cls(config) if config is not None else None

    # -- connections -----------------------------------------------------------------

    def _unavailable(self, what: str) -> DirectoryUnavailable:
        return DirectoryUnavailable(
            f"the LDAP directory at {self.config.url} cannot be reached ({what}); "
            "sign-in through it is unavailable, and local passwords are not used instead."
        )

    @contextmanager
    def _connection(self, dn: str, password: str) -> Iterator[tuple[Connection, bool]]:
        """An open TLS connection and whether the bind as ``dn`` succeeded. Raises
        :class:`DirectoryUnavailable` when the server cannot be reached or talked to."""
        c = self.config
        server = Server(c.url, tls=self._tls, connect_timeout=c.timeout_seconds, get_info=NONE)
        conn = Connection(
            server,
            user=dn,
            password=password,
            authentication=SIMPLE,
            receive_timeout=c.timeout_seconds,
            auto_referrals=False,
            read_only=True,
            raise_exceptions=False,
        )
        try:
            try:
                conn.open()
                if c.starttls and not conn.start_tls():
                    raise self._unavailable(f"StartTLS refused: {conn.result}")
                bound = bool(conn.bind())
            except LDAPException as exc:
                raise self._unavailable(str(exc) or type(exc).__name__) from exc
            if not bound and conn.result.get("result") != _INVALID_CREDENTIALS:
                raise self._unavailable(
                    f"bind answered {conn.result.get('description')}: {conn.result.get('message')}"
                )
            try:
                yield conn, bound
            except LDAPException as exc:
                raise self._unavailable(str(exc) or type(exc).__name__) from exc
        finally:
            with suppress(LDAPException):  # the connection may be gone already
                conn.unbind()

    @contextmanager
    def _service(self) -> Iterator[Connection]:
        """A connection bound as the service account."""
        with self._connection(self.config.bind_dn, self.config.bind_password) as (conn, bound):
            if not bound:
                raise self._unavailable(
                    "the service account ldap_bind_dn was refused: wrong DN or password"
                )
            yield conn

    def _search(
        self,
        conn: Connection,
        base: str,
        filter_: str,
        scope: Literal["BASE", "LEVEL", "SUBTREE"],
        attributes: list[str],
    ) -> list[tuple[str, dict[str, Any]]]:
        """(DN, attributes) of every entry found (paged: Active Directory answers
        1000 entries a page). A missing base is no entries."""
        found: list[tuple[str, dict[str, Any]]] = []
        cookie: bytes | None = None
        while True:
            conn.search(
                base, filter_, scope, attributes=attributes, paged_size=500, paged_cookie=cookie
            )
            result = conn.result.get("result")
            if result == _NO_SUCH_OBJECT:
                return found
            if result != 0:
                raise self._unavailable(
                    f"search under {base} answered {conn.result.get('description')}: "
                    f"{conn.result.get('message')}"
                )
            for item in conn.response or []:
                if item.get("type") == "searchResEntry":
                    found.append((str(item["dn"]), dict(item.get("attributes") or {})))
            controls = conn.result.get("controls") or {}
            page = controls.get("1.2.840.113556.1.4.319", {}).get("value", {})
            cookie = page.get("cookie") or None
            if not cookie:
                return found

    # -- what the directory says -----------------------------------------------------

    def _attributes(self) -> list[str]:
        extra = "userAccountControl" if self.config.active_directory else _PPOLICY_LOCK
        return [self.config.username_attribute, extra]

    def _disabled(self, attributes: dict[str, Any]) -> bool:
        if self.config.active_directory:
            flags = _first(attributes, "userAccountControl")
            return flags.isdigit() and bool(int(flags) & _AD_DISABLED)
        return bool(_first(attributes, _PPOLICY_LOCK))

    def _identity(
        self, conn: Connection, dn: str, attributes: dict[str, Any]
    ) -> DirectoryIdentity | None:
        name = _first(attributes, self.config.username_attribute).strip().lower()
        if not name:
            return None
        return DirectoryIdentity(self.source, dn, name, self.groups_of(conn, dn))

    def groups_of(self, conn: Connection, dn: str) -> tuple[str, ...]:
        """The DNs (lower case) of every group ``dn`` belongs to, directly or through
        nested groups, sorted."""
        base = self.config.group_base
        if self.config.active_directory:
            filter_ = f"(&(objectClass=group)(member:{IN_CHAIN}:={escape_filter_chars(dn)}))"
            return tuple(
                sorted({g.lower() for g, _ in self._search(conn, base, filter_, SUBTREE, [])})
            )
        seen: set[str] = set()
        frontier = [dn]
        for _level in range(MAX_NESTING):
            found: list[str] = []
            for i in range(0, len(frontier), _BATCH):
                members = "".join(
                    f"(member={v})(uniqueMember={v})"
                    for v in map(escape_filter_chars, frontier[i : i + _BATCH])
                )
                filter_ = f"(&{_GROUP_CLASSES}(|{members}))"
                for group, _ in self._search(conn, base, filter_, SUBTREE, []):
                    if group.lower() not in seen:
                        seen.add(group.lower())
                        found.append(group)
            if not found:
                break
            frontier = found
        return tuple(sorted(seen))

    def authenticate(self, username: str, password: str) -> DirectoryIdentity:
        """The person behind ``username`` and ``password`` as the directory has them.

        Raises :class:`SignInFailed` whose message is the reason for the audit trail
        (``unknown user``, ``wrong password``, ``account disabled in the directory``,
        ``user name not unique in the directory``; not to be shown: the sign-in page
        says the same for all), or :class:`DirectoryUnavailable`.
        """
        name = username.strip()
        # An empty password would be an "unauthenticated bind", which many servers
        # accept as anonymous: never a sign-in.
        if not name or not password:
            raise SignInFailed("empty user name or password")
        with self._service() as conn:
            entries = self._search(
                conn,
                self.config.user_base,
                user_filter(self.config.user_filter, name),
                SUBTREE,
                self._attributes(),
            )
            if not entries:
                # One bind as for a known name (a DN without a password, refused), so
                # the time the answer takes does not tell which names exist.
                with (
                    suppress(DirectoryUnavailable),
                    self._connection(self.config.user_base, password),
                ):
                    pass
                raise SignInFailed("unknown user")
            if len(entries) > 1:
                raise SignInFailed("user name not unique in the directory")
            dn, attributes = entries[0]
            if self._disabled(attributes):
                raise SignInFailed("account disabled in the directory")
            with self._connection(dn, password) as (_user, bound):
                if not bound:
                    raise SignInFailed("wrong password")
            identity = self._identity(conn, dn, attributes)
        if identity is None:
            raise SignInFailed(f"directory entry has no {self.config.username_attribute} attribute")
        return identity

    def recheck(
        self, subject: str, state: bytes | None
    ) -> tuple[DirectoryIdentity | None, bytes | None]:
        """The person with entry DN ``subject`` as the directory has them now, or
        ``(None, None)`` when the entry is gone or disabled. ``state`` is unused (LDAP
        needs nothing but the DN). Raises :class:`DirectoryUnavailable`."""
        with self._service() as conn:
            entries = self._search(conn, subject, "(objectClass=*)", BASE, self._attributes())
            if not entries or self._disabled(entries[0][1]):
                return None, None
            return self._identity(conn, entries[0][0], entries[0][1]), None

    def check(self) -> str:
        """For ``appliance doctor``: the service account binds and sees the user base.
        Returns a line saying so; raises :class:`DirectoryUnavailable`."""
        with self._service() as conn:
            if not self._search(conn, self.config.user_base, "(objectClass=*)", BASE, []):
                raise self._unavailable(f"ldap_user_base {self.config.user_base} not found")
        how = "StartTLS" if self.config.starttls else "TLS"
        return (
            f"{self.config.url} ({how}): the service account binds and sees {self.config.user_base}"
        )
