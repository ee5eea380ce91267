"""Accounts on the relational store; every change is an audit event.

Passwords are hashed with Argon2id (argon2-cffi). Sign-in sessions and API keys
are random tokens of which only a SHA-256 is stored, so a copy of the database
signs nobody in. Nobody reads a collection without a grant, administrators
included: granting oneself access is possible, and audited.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session

from appliance.accounts.directory import (
    Directory,
    DirectoryIdentity,
    PasswordDirectory,
    map_groups,
)
from appliance.audit import AuditTrail
from appliance.caller import Caller
from appliance.config import Settings
from appliance.errors import AccountError, DirectoryUnavailable, SignInFailed
from appliance.store.database import Database
from appliance.store.schema import (
    Access,
    ApiKey,
    Collection,
    CollectionGrant,
    Group,
    GroupMember,
    Role,
    User,
    WebSession,
)

MIN_PASSWORD_LENGTH = 12
MAX_LOCKOUT = timedelta(hours=1)
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,62}")
# The rule above in words, for forms and errors.
USERNAME_RULES = (
    "2 to 63 characters: lower-case letters, digits, '.', '_' or '-', starting with a "
    "letter or digit (e.g. anna.schmidt)."
)
_hasher = PasswordHasher()  # Argon2id, RFC 9106 parameters
# Verified against for unknown usernames, so timing does not tell which exist.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
# A directory account's password is the directory's.
DIRECTORY_PASSWORD = (
    "your password is kept by your organisation's directory; change it there "
    "(this appliance never sees or stores it)."
)
# What a refused sign-in says, whatever the reason (the audit trail has the reason).
_REFUSED = (
    "wrong username or password, or the account is locked after repeated "
    "failures (an administrator can reset it)."
)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_strength(password: str, username: str = "") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if username and username.lower() in password.lower():
        raise AccountError("the password may not contain the username.")
    if len(set(password)) < 5:
        raise AccountError("the password repeats too few characters; choose a less regular one.")


def one_time_password() -> str:
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: str
    must_change_password: bool = False
    disabled: bool = False
    locked_until: datetime | None = None
    last_sign_in_at: datetime | None = None
    groups: tuple[str, ...] = ()
    source: str = "local"  # "local", "ldap" or "oidc"

    @classmethod
    def of(cls, user: User, groups: tuple[str, ...] = ()) -> Account:
        return cls(
            user.id,
            user.username,
            user.role,
            user.must_change_password,
            user.disabled,
            _aware(user.locked_until) if user.locked_until else None,
            _aware(user.last_sign_in_at) if user.last_sign_in_at else None,
            groups,
            user.source or "local",
        )


@dataclass(frozen=True)
class SessionInfo:
    account: Account
    csrf_token: str
    # collection name -> "read" or "contribute"
    access: dict[str, str] = field(default_factory=dict)

    def caller(self, source: str) -> Caller:
        return Caller(self.account.username, self.account.role, source, self.access)


class Accounts:
    def __init__(
        self,
        db: Database,
        audit: AuditTrail,
        settings: Settings,
        directories: Mapping[str, Directory] | None = None,
    ) -> None:
        self.db = db
        self.audit = audit
        self.settings = settings
        # source ("ldap", "oidc") -> the provider that confirms its users again.
        self.directories: dict[str, Directory] = dict(directories or {})

    # -- users -------------------------------------------------------------------

    def has_users(self) -> bool:
        with self.db.session() as s:
            return s.scalar(select(User.id).limit(1)) is not None

    def create_user(
        self, username: str, role: str, who: Caller, password: str | None = None
    ) -> tuple[Account, str | None]:
        """Returns the account and, when no password was given, a one-time password
        that must be changed at the first sign-in."""
        username = username.strip().lower()
        if not _USERNAME.fullmatch(username):
            raise AccountError(f"a username has {USERNAME_RULES}")
        if role not in Role.ALL:
            raise AccountError(f"unknown role {role!r}; choose one of {', '.join(Role.ALL)}.")
        temporary = password is None
        if password is None:
            password = one_time_password()
        else:
            check_password_strength(password, username)
        with self.db.session() as s:
            if s.scalar(select(User.id).where(User.username == username)) is not None:
                raise AccountError(f"a user named {username!r} exists already.")
            user = User(
                username=username,
                role=role,
                password_hash=_hasher.hash(password),
                must_change_password=temporary,
                disabled=False,
                failed_attempts=0,
            )
            s.add(user)
            s.flush()
            account = Account.of(user)
        self.audit.append(
            "user.create", **who.audit_fields(), resource=f"user:{username}", new_role=role
        )
        return account, password if temporary else None

    def _user(self, s: Session, username: str) -> User:
        user = s.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None:
            raise AccountError(f"no user named {username!r}.")
        return user

    def get(self, username: str) -> Account:
        with self.db.session() as s:
            user = self._user(s, username)
            return Account.of(user, self._groups_of(s, user.id))

    def _groups_of(self, s: Session, user_id: int) -> tuple[str, ...]:
        return tuple(
            s.scalars(
                select(Group.name)
                .join(GroupMember, GroupMember.group_id == Group.id)
                .where(GroupMember.user_id == user_id)
                .order_by(Group.name)
            )
        )

    def users(self) -> list[Account]:
        with self.db.session() as s:
            return [
                Account.of(u, self._groups_of(s, u.id))
                for u in s.scalars(select(User).order_by(User.username))
            ]

    def set_role(self, username: str, role: str, who: Caller) -> None:
        if role not in Role.ALL:
            raise AccountError(f"unknown role {role!r}; choose one of {', '.join(Role.ALL)}.")
        with self.db.session() as s:
            user = self._user(s, username)
            before = user.role
            if before == Role.ADMIN and role != Role.ADMIN:
                self._keep_one_admin(s, user.id)
            user.role = role
            # A new role takes effect at the next sign-in: end the current sessions.
            s.execute(delete(WebSession).where(WebSession.user_id == user.id))
        self.audit.append(
            "user.role_change",
            **who.audit_fields(),
            resource=f"user:{user.username}",
            before=before,
            after=role,
        )

    def _keep_one_admin(self, s: Session, user_id: int) -> None:
        others = s.scalar(
            select(User.id).where(User.role == Role.ADMIN, User.id != user_id, ~User.disabled)
        )
        if others is None:
            raise AccountError("this is the last active administrator; appoint another first.")

    def set_disabled(self, username: str, disabled: bool, who: Caller) -> None:
        with self.db.session() as s:
            user = self._user(s, username)
            if disabled and user.role == Role.ADMIN:
                self._keep_one_admin(s, user.id)
            user.disabled = disabled
            if not disabled:
                user.failed_attempts = 0
                user.locked_until = None
            s.execute(delete(WebSession).where(WebSession.user_id == user.id))
            s.execute(delete(ApiKey).where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None)))
        self.audit.append(
            "user.disable" if disabled else "user.enable",
            **who.audit_fields(),
            resource=f"user:{user.username}",
        )

    def reset_password(self, username: str, who: Caller) -> str:
        """A new one-time password (the user must change it); unlocks the account."""
        password = one_time_password()
        with self.db.session() as s:
            user = self._user(s, username)
            user.password_hash = _hasher.hash(password)
            user.must_change_password = True
            user.failed_attempts = 0
            user.locked_until = None
            s.execute(delete(WebSession).where(WebSession.user_id == user.id))
        self.audit.append(
            "user.password_reset", **who.audit_fields(), resource=f"user:{user.username}"
        )
        return password

    def change_password(self, username: str, current: str, new: str, who: Caller) -> None:
        """A wrong current password counts towards the lockout like a failed sign-in.
        On success every session of the user ends (a stolen cookie with it); the
        caller opens a fresh one. A directory account has no password here: raises
        :class:`AccountError` saying to change it in the directory."""
        with self.db.session() as s:
            user = self._user(s, username)
            locked = user.locked_until is not None and _aware(user.locked_until) > _now()
            stored = user.password_hash
            source = user.source or "local"
        if source != "local":
            raise AccountError(DIRECTORY_PASSWORD)
        ok = _verify_quietly(stored, current) and not locked
        if not ok:
            if not locked:
                self._count_failure(username.strip().lower())
            self.audit.append(
                "user.password_change",
                **who.audit_fields(),
                resource=f"user:{username}",
                outcome="failure",
                reason="account locked" if locked else "wrong current password",
            )
            raise AccountError("the current password is wrong (or the account is locked).")
        if new == current:
            raise AccountError("the new password must differ from the current one.")
        check_password_strength(new, username)
        with self.db.session() as s:
            user = self._user(s, username)
            user.password_hash = _hasher.hash(new)
            user.must_change_password = False
            user.failed_attempts = 0
            s.execute(delete(WebSession).where(WebSession.user_id == user.id))
        self.audit.append("user.password_change", **who.audit_fields(), resource=f"user:{username}")

    def _count_failure(self, name: str) -> None:
        """One more failure, counted atomically (parallel guesses cannot share a count);
        past the limit the account locks, for twice as long each further time."""
        now = _now()
        with self.db.session() as s:
            failures = s.scalar(
                update(User)
                .where(User.username == name)
                .values(failed_attempts=User.failed_attempts + 1)
                .returning(User.failed_attempts)
            )
            if failures is None:
                return
            over = failures - self.settings.signin_max_failures
            if over >= 0:
                wait = timedelta(seconds=self.settings.lockout_seconds * 2 ** min(over, 12))
                s.execute(
                    update(User)
                    .where(User.username == name)
                    .values(locked_until=now + min(wait, MAX_LOCKOUT))
                )

    # -- sign-in -----------------------------------------------------------------

    def authenticate(self, username: str, password: str, source: str) -> Account:
        """The account, or :class:`SignInFailed` (audited with the reason, never the
        password). Repeated failures lock the account with a growing back-off. The
        answer, and the time it takes, are the same whether or not the name exists."""
        name = username.strip().lower()[:64]
        now = _now()
        with self.db.session() as s:
            user = s.scalar(select(User).where(User.username == name))
            stored = user.password_hash if user is not None else _DUMMY_HASH
            state = (
                None
                if user is None
                else "account disabled"
                if user.disabled
                else "account locked"
                if user.locked_until and _aware(user.locked_until) > now
                else f"{user.source} account: signs in through the directory"
                if user.source != "local"
                else "local sign-in switched off"
                if not self.settings.local_signin and name != self.settings.break_glass_admin
                else ""
            )
        # Always one Argon2 check, so disabled, locked and unknown accounts take as long.
        matches = _verify_quietly(stored, password)
        if state is None:
            reason = "unknown user"
        elif state:
            reason = state
        elif not matches:
            reason = "wrong password"
            self._count_failure(name)
        else:
            reason = ""
        if reason:
            known = state is not None
            self.audit.append(
                "auth.signin",
                name if known else "-",  # an unknown name may be a mistyped password
                "-",
                source=source,
                resource=f"user:{name}" if known else "",
                outcome="failure",
                reason=reason,
            )
            raise SignInFailed(_REFUSED)
        with self.db.session() as s:
            user = self._user(s, name)
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            user.failed_attempts = 0
            user.locked_until = None
            user.last_sign_in_at = now
            account = Account.of(user)
        self.audit.append("auth.signin", name, account.role, source=source, resource=f"user:{name}")
        return account

    def sign_in(self, username: str, password: str, source: str) -> Account:
        """The sign-in page's user name and password: checked here for a local account,
        by the LDAP directory (``ldap_url``) for any other name and for accounts it
        created. The answer is the account (for a directory account created or updated
        by :meth:`sign_in_directory`), or :class:`SignInFailed` (audited with the
        reason; the same message whatever the reason), or
        :class:`DirectoryUnavailable` when the directory cannot be asked (audited;
        never a fallback to a local password). Failures of a known directory account
        count towards its lockout like local ones."""
        directory = self.directories.get("ldap")
        if not isinstance(directory, PasswordDirectory):
            return self.authenticate(username, password, source)
        name = username.strip().lower()[:64]
        now = _now()
        with self.db.session() as s:
            user = s.scalar(select(User).where(User.username == name))
            kind = None if user is None else user.source
            state = (
                ""
                if user is None
                else "account disabled"
                if user.disabled
                else "account locked"
                if user.locked_until and _aware(user.locked_until) > now
                else ""
            )
        if kind is not None and kind != "ldap":
            return self.authenticate(username, password, source)  # local (or OpenID) account

        def refuse(reason: str) -> None:
            self.audit.append(
                "auth.signin",
                name if kind else "-",  # an unknown name may be a mistyped password
                "-",
                source=source,
                resource=f"user:{name}" if kind else "",
                outcome="failure",
                reason=reason,
                via="ldap",
            )

        if state:  # locked here: the directory is not asked (no guessing through us)
            refuse(state)
            raise SignInFailed(_REFUSED)
        try:
            identity = directory.authenticate(username, password)
        except SignInFailed as exc:
            if kind and str(exc) == "wrong password":
                self._count_failure(name)
            refuse(str(exc))
            raise SignInFailed(_REFUSED) from None
        except DirectoryUnavailable as exc:
            refuse(f"directory unreachable: {exc}")
            raise
        account = self.sign_in_directory(identity, source)
        with self.db.session() as s:
            s.execute(
                update(User)
                .where(User.id == account.id)
                .values(failed_attempts=0, locked_until=None)
            )
        return account

    def sign_in_directory(
        self, identity: DirectoryIdentity, source: str, *, recheck: bool = False
    ) -> Account:
        """The local account of a person the directory has just signed in, created at
        the first sign-in; its role and its mapped groups' memberships follow the
        directory's groups each time (settings ``directory_roles``,
        ``directory_groups``). Raises :class:`SignInFailed` (audited) when no group of
        the person maps to a role, the account is disabled here, or the name belongs
        to a local account. ``recheck``: the provider confirmed a running session
        (changes of role and groups are recorded; no ``auth.signin`` record, and a
        refusal is recorded by the caller as the session's end)."""
        mapped = map_groups(
            identity.groups, self.settings.directory_roles, self.settings.directory_groups
        )
        name = identity.username.strip().lower()[:64]
        via = {"via": identity.source}
        system = {"actor": f"directory:{identity.source}", "role": "system", "source": source}

        def refuse(reason: str, message: str) -> SignInFailed:
            if recheck:
                return SignInFailed(message)
            self.audit.append(
                "auth.signin",
                name,
                "-",
                source=source,
                resource=f"user:{name}",
                outcome="failure",
                reason=reason,
                **via,
            )
            return SignInFailed(message)

        if mapped.role is None:
            raise refuse(
                "no directory group maps to a role",
                "your directory groups give you no role in this appliance; ask an "
                "administrator to map one of them.",
            )
        if not _USERNAME.fullmatch(name):
            raise refuse(
                "directory user name not allowed",
                f"the directory's user name {name!r} is not valid here: {USERNAME_RULES}",
            )
        now = _now()
        events: list[tuple[str, dict[str, str]]] = []
        with self.db.session() as s:
            user = s.scalar(
                select(User).where(
                    User.source == identity.source, User.external_subject == identity.subject
                )
            )
            if user is None:
                if s.scalar(select(User.id).where(User.username == name)) is not None:
                    raise refuse(
                        "user name taken by another account",
                        f"the user name {name!r} belongs to another account here; ask an "
                        "administrator to rename or remove it.",
                    )
                user = User(
                    username=name,
                    role=mapped.role,
                    # Nobody knows this password: the account signs in through the directory.
                    password_hash=_hasher.hash(secrets.token_urlsafe(32)),
                    must_change_password=False,
                    disabled=False,
                    failed_attempts=0,
                    source=identity.source,
                    external_subject=identity.subject,
                )
                s.add(user)
                s.flush()
                events.append(("user.create", {"new_role": mapped.role}))
            elif user.disabled:
                raise refuse(
                    "account disabled", "this account is disabled here; ask an administrator."
                )
            elif user.role != mapped.role:
                events.append(("user.role_change", {"before": user.role, "after": mapped.role}))
                user.role = mapped.role
            if (
                user.username != name
                and s.scalar(select(User.id).where(User.username == name)) is None
            ):
                events.append(("user.rename", {"before": user.username, "after": name}))
                user.username = name
            group_events = self._sync_groups(s, user.id, mapped.groups, mapped.managed)
            user.last_sign_in_at = now
            account = Account.of(user, self._groups_of(s, user.id))
        for action, detail in events:
            self.audit.append(action, **system, resource=f"user:{account.username}", **detail)
        for action, group in group_events:
            self.audit.append(action, **system, resource=f"group:{group}", user=account.username)
        if not recheck:
            self.audit.append(
                "auth.signin",
                account.username,
                account.role,
                source=source,
                resource=f"user:{account.username}",
                **via,
            )
        return account

    def _sync_groups(
        self, s: Session, user_id: int, member_of: frozenset[str], managed: frozenset[str]
    ) -> list[tuple[str, str]]:
        """Memberships of the mapped local groups as the directory has them (groups
        the mapping does not name are left alone); the audit actions to record."""
        events: list[tuple[str, str]] = []
        for name in sorted(managed):
            group = s.scalar(select(Group).where(Group.name == name))
            if group is None:
                if name not in member_of:
                    continue
                group = Group(name=name, description="mapped from the directory")
                s.add(group)
                s.flush()
                events.append(("group.create", name))
            row = s.get(GroupMember, (group.id, user_id))
            if name in member_of and row is None:
                s.add(GroupMember(group_id=group.id, user_id=user_id))
                events.append(("group.member_add", name))
            elif name not in member_of and row is not None:
                s.delete(row)
                events.append(("group.member_remove", name))
        return events

    def open_session(
        self, account: Account, directory_state: bytes | None = None
    ) -> tuple[str, str]:
        """A new session: (cookie token, CSRF token). ``directory_state`` is what the
        account's provider needs to confirm the person again (sealed by its module)."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        with self.db.session() as s:
            s.add(
                WebSession(
                    token_hash=_digest(token),
                    user_id=account.id,
                    csrf_token=csrf,
                    directory_state=directory_state,
                    checked_at=_now(),
                )
            )
        return token, csrf

    def _recheck(self, token_hash: str, user: User, state: bytes | None, source: str) -> bool:
        """Ask the account's provider whether the person may still be signed in; on
        yes, role and groups follow the directory again. False ends the session."""
        directory = self.directories.get(user.source)
        reason = ""
        identity: DirectoryIdentity | None = None
        new_state: bytes | None = None
        if directory is None:
            reason = f"{user.source} sign-in no longer configured"
        else:
            try:
                identity, new_state = directory.recheck(user.external_subject or "", state)
            except DirectoryUnavailable:
                reason = f"{user.source} directory unreachable"
            if identity is None and not reason:
                reason = f"refused by the {user.source} directory"
        if identity is not None:
            try:
                self.sign_in_directory(identity, source, recheck=True)
            except SignInFailed:
                reason = "no longer allowed by the directory's groups"
        if reason:
            with self.db.session() as s:
                s.execute(delete(WebSession).where(WebSession.token_hash == token_hash))
            self.audit.append(
                "auth.session_end",
                user.username,
                user.role,
                source=source,
                resource=f"user:{user.username}",
                outcome="failure",
                reason=reason,
            )
            return False
        with self.db.session() as s:
            row = s.get(WebSession, token_hash)
            if row is not None:
                row.checked_at = _now()
                if new_state is not None:
                    row.directory_state = new_state
        return True

    def session(self, token: str, source: str = "web") -> SessionInfo | None:
        """The signed-in user behind a cookie, or None when absent, idle too long or
        too old (the stale session is removed), or, for a directory account, when its
        provider no longer signs the person in (asked every
        ``directory_recheck_minutes``)."""
        if not token:
            return None
        now = _now()
        recheck = timedelta(minutes=self.settings.directory_recheck_minutes)
        with self.db.session() as s:
            row = s.get(WebSession, _digest(token))
            user = s.get(User, row.user_id) if row is not None else None
            due = (
                row is not None
                and user is not None
                and user.source != "local"
                and (row.checked_at is None or now - _aware(row.checked_at) > recheck)
            )
            state = row.directory_state if row is not None else None
            if due and user is not None:
                s.expunge(user)
        if due and user is not None and not self._recheck(_digest(token), user, state, source):
            return None
        idle = timedelta(minutes=self.settings.session_idle_minutes)
        lifetime = timedelta(hours=self.settings.session_max_hours)
        with self.db.session() as s:
            row = s.get(WebSession, _digest(token))
            if row is None:
                return None
            user = s.get(User, row.user_id)
            if (
                user is None
                or user.disabled
                or now - _aware(row.last_seen_at) > idle
                or now - _aware(row.created_at) > lifetime
            ):
                s.delete(row)
                return None
            # Touch at most once a minute: a page load should not always write.
            if now - _aware(row.last_seen_at) > timedelta(minutes=1):
                row.last_seen_at = now
            account = Account.of(user, self._groups_of(s, user.id))
            access = self._access(s, user.id)
            return SessionInfo(account, row.csrf_token, access)

    def close_session(self, token: str, account: Account, source: str) -> None:
        with self.db.session() as s:
            s.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))
        self.audit.append(
            "auth.signout",
            account.username,
            account.role,
            source=source,
            resource=f"user:{account.username}",
        )

    def purge_sessions(self) -> int:
        """Remove sessions past their idle or absolute limit."""
        now = _now()
        idle = now - timedelta(minutes=self.settings.session_idle_minutes)
        old = now - timedelta(hours=self.settings.session_max_hours)
        with self.db.session() as s:
            # Session.execute is typed as returning a plain Result; a DELETE's is a
            # CursorResult, which has rowcount.
            result = cast(
                "CursorResult[()]",
                s.execute(
                    delete(WebSession).where(
                        or_(WebSession.last_seen_at < idle, WebSession.created_at < old)
                    )
                ),
            )
            return result.rowcount or 0

    # -- API keys (the OpenAI-compatible API) ----------------------------------

    def create_api_key(self, username: str, name: str, who: Caller) -> str:
        """The key, shown once: ``apk_<id>_<secret>``; only the secret's hash is kept."""
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        with self.db.session() as s:
            user = self._user(s, username)
            s.add(ApiKey(id=key_id, user_id=user.id, name=name[:64], secret_hash=_digest(secret)))
        self.audit.append(
            "apikey.create", **who.audit_fields(), resource=f"user:{user.username}/apikey:{key_id}"
        )
        return f"apk_{key_id}_{secret}"

    def revoke_api_key(self, key_id: str, who: Caller, owner: str | None = None) -> None:
        key_id = key_id.removeprefix("apk_").split("_")[0]
        with self.db.session() as s:
            key = s.get(ApiKey, key_id)
            user = s.get(User, key.user_id) if key else None
            if key is None or user is None or (owner is not None and user.username != owner):
                raise AccountError(f"no API key {key_id!r}.")
            key.revoked_at = key.revoked_at or _now()
        self.audit.append(
            "apikey.revoke", **who.audit_fields(), resource=f"user:{user.username}/apikey:{key_id}"
        )

    def api_keys(self, username: str | None = None) -> list[dict[str, object]]:
        query = select(ApiKey, User.username).join(User, User.id == ApiKey.user_id)
        if username:
            query = query.where(User.username == username)
        with self.db.session() as s:
            return [
                {
                    "id": k.id,
                    "user": name,
                    "name": k.name,
                    "created_at": _aware(k.created_at),
                    "last_used_at": _aware(k.last_used_at) if k.last_used_at else None,
                    "revoked": k.revoked_at is not None,
                }
                for k, name in s.execute(query.order_by(ApiKey.created_at)).all()
            ]

    def api_key_session(self, key: str) -> SessionInfo | None:
        """The user behind an API key, or None when unknown, revoked or disabled."""
        parts = key.split("_", 2)
        if len(parts) != 3 or parts[0] != "apk":
            return None
        with self.db.session() as s:
            row = s.get(ApiKey, parts[1])
            if row is None or row.revoked_at is not None:
                return None
            if not hmac.compare_digest(row.secret_hash, _digest(parts[2])):
                return None
            user = s.get(User, row.user_id)
            if user is None or user.disabled:
                return None
            now = _now()
            if row.last_used_at is None or now - _aware(row.last_used_at) > timedelta(minutes=1):
                row.last_used_at = now
            return SessionInfo(Account.of(user), "", self._access(s, user.id))

    # -- groups ------------------------------------------------------------------

    def create_group(self, name: str, who: Caller, description: str = "") -> None:
        name = name.strip().lower()
        if not _USERNAME.fullmatch(name):
            raise AccountError("a group name has 2-63 lower-case letters, digits, '.', '_' or '-'.")
        with self.db.session() as s:
            if s.scalar(select(Group.id).where(Group.name == name)) is not None:
                raise AccountError(f"a group named {name!r} exists already.")
            s.add(Group(name=name, description=description))
        self.audit.append("group.create", **who.audit_fields(), resource=f"group:{name}")

    def _group(self, s: Session, name: str) -> Group:
        group = s.scalar(select(Group).where(Group.name == name.strip().lower()))
        if group is None:
            raise AccountError(f"no group named {name!r}.")
        return group

    def groups(self) -> list[dict[str, object]]:
        with self.db.session() as s:
            out: list[dict[str, object]] = []
            for g in s.scalars(select(Group).order_by(Group.name)):
                members = list(
                    s.scalars(
                        select(User.username)
                        .join(GroupMember, GroupMember.user_id == User.id)
                        .where(GroupMember.group_id == g.id)
                        .order_by(User.username)
                    )
                )
                out.append({"name": g.name, "description": g.description, "members": members})
            return out

    def set_membership(self, group: str, username: str, member: bool, who: Caller) -> None:
        with self.db.session() as s:
            g = self._group(s, group)
            user = self._user(s, username)
            row = s.get(GroupMember, (g.id, user.id))
            if member and row is None:
                s.add(GroupMember(group_id=g.id, user_id=user.id))
            elif not member and row is not None:
                s.delete(row)
        self.audit.append(
            "group.member_add" if member else "group.member_remove",
            **who.audit_fields(),
            resource=f"group:{g.name}",
            user=user.username,
        )

    # -- collection grants --------------------------------------------------------

    def grant(
        self,
        collection: str,
        who: Caller,
        *,
        user: str | None = None,
        group: str | None = None,
        access: str = Access.READ,
    ) -> None:
        if (user is None) == (group is None):
            raise AccountError("grant a collection to one user or one group.")
        if access not in Access.ALL:
            raise AccountError(f"access is one of {', '.join(Access.ALL)}, not {access!r}.")
        with self.db.session() as s:
            col = s.scalar(select(Collection).where(Collection.name == collection))
            if col is None:
                raise AccountError(f"no collection named {collection!r}.")
            user_id = self._user(s, user).id if user else None
            group_id = self._group(s, group).id if group else None
            row = s.scalar(
                select(CollectionGrant).where(
                    CollectionGrant.collection_id == col.id,
                    CollectionGrant.user_id.is_(None)
                    if user_id is None
                    else CollectionGrant.user_id == user_id,
                    CollectionGrant.group_id.is_(None)
                    if group_id is None
                    else CollectionGrant.group_id == group_id,
                )
            )
            if row is None:
                s.add(
                    CollectionGrant(
                        collection_id=col.id, user_id=user_id, group_id=group_id, access=access
                    )
                )
            else:
                row.access = access
        grantee = f"user:{user}" if user else f"group:{group}"
        self.audit.append(
            "collection.grant",
            **who.audit_fields(),
            resource=f"collection:{collection}",
            grantee=grantee,
            access=access,
        )

    def revoke(
        self, collection: str, who: Caller, *, user: str | None = None, group: str | None = None
    ) -> None:
        with self.db.session() as s:
            col = s.scalar(select(Collection).where(Collection.name == collection))
            if col is None:
                raise AccountError(f"no collection named {collection!r}.")
            query = delete(CollectionGrant).where(CollectionGrant.collection_id == col.id)
            if user:
                query = query.where(CollectionGrant.user_id == self._user(s, user).id)
            elif group:
                query = query.where(CollectionGrant.group_id == self._group(s, group).id)
            else:
                raise AccountError("revoke a collection from one user or one group.")
            s.execute(query)
        grantee = f"user:{user}" if user else f"group:{group}"
        self.audit.append(
            "collection.revoke",
            **who.audit_fields(),
            resource=f"collection:{collection}",
            grantee=grantee,
        )

    def grants(self) -> dict[str, list[dict[str, str]]]:
        """collection name -> [{"grantee": "user:x" | "group:y", "access": ...}]"""
        with self.db.session() as s:
            rows = s.execute(
                select(Collection.name, User.username, Group.name, CollectionGrant.access)
                .join(Collection, Collection.id == CollectionGrant.collection_id)
                .outerjoin(User, User.id == CollectionGrant.user_id)
                .outerjoin(Group, Group.id == CollectionGrant.group_id)
                .order_by(Collection.name)
            ).all()
        out: dict[str, list[dict[str, str]]] = {}
        for col, user, group, access in rows:
            grantee = f"user:{user}" if user else f"group:{group}"
            out.setdefault(col, []).append({"grantee": grantee, "access": access})
        return out

    def _access(self, s: Session, user_id: int) -> dict[str, str]:
        groups = select(GroupMember.group_id).where(GroupMember.user_id == user_id)
        rows = s.execute(
            select(Collection.name, CollectionGrant.access)
            .join(Collection, Collection.id == CollectionGrant.collection_id)
            .where(or_(CollectionGrant.user_id == user_id, CollectionGrant.group_id.in_(groups)))
        ).all()
        access: dict[str, str] = {}
        for name, level in rows:
            if access.get(name) != Access.CONTRIBUTE:
                access[name] = level
        return access


def _verify_quietly(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False
