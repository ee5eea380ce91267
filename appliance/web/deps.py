"""Who is asking: the session behind the cookie, the role a page needs, CSRF checks."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Depends, Request

from appliance.accounts import SessionInfo
from appliance.caller import Caller
from appliance.errors import NotAllowed

if TYPE_CHECKING:
    from appliance.web.app import WebState

SESSION_COOKIE = "appliance_session"
PRE_SESSION_COOKIE = "appliance_signin"  # double-submit CSRF token of the sign-in form
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class SignInRequired(Exception):
    """No valid session: pages redirect to sign-in, scripts get 401."""


class PasswordChangeRequired(Exception):
    """A one-time password must be replaced before anything else."""


class CsrfFailed(Exception):
    """A form came without the session's token (another site's page, or a stale tab)."""


def same_token(sent: str, expected: str) -> bool:
    """Constant-time comparison that also takes tokens with non-ASCII characters."""
    return hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8"))


def web(request: Request) -> WebState:
    state: WebState = request.app.state.web  # Starlette types the app as Any
    return state


def client_address(request: Request) -> str:
    return request.client.host if request.client else "-"


@dataclass(frozen=True)
class User:
    """The signed-in user of one request."""

    session: SessionInfo
    token: str
    source: str

    @property
    def name(self) -> str:
        return self.session.account.username

    @property
    def role(self) -> str:
        return self.session.account.role

    @property
    def id(self) -> int:
        return self.session.account.id

    @property
    def access(self) -> dict[str, str]:
        return self.session.access

    def caller(self) -> Caller:
        return self.session.caller(self.source)


def _session(request: Request) -> User:
    token = request.cookies.get(SESSION_COOKIE, "")
    info = web(request).accounts.session(token, client_address(request))
    if info is None:
        raise SignInRequired()
    user = User(info, token, client_address(request))
    request.state.user = user
    return user


async def _checked_csrf(request: Request, user: User) -> None:
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get("x-csrf-token", "")
    if not sent:
        form = await request.form()
        value = form.get("csrf", "")
        sent = value if isinstance(value, str) else ""
    if not sent or not same_token(sent, user.session.csrf_token):
        raise CsrfFailed()


async def any_user(request: Request) -> User:
    """Signed in (a pending password change allowed); CSRF checked on every form."""
    user = _session(request)
    await _checked_csrf(request, user)
    return user


async def signed_in(request: Request, user: User = Depends(any_user)) -> User:
    if user.session.account.must_change_password:
        raise PasswordChangeRequired()
    return user


def require_role(*roles: str) -> Callable[..., Awaitable[User]]:
    """A dependency admitting the given roles only; refusals are audited."""

    async def check(request: Request, user: User = Depends(signed_in)) -> User:
        if user.role not in roles:
            web(request).appliance.refuse_page(
                user.caller(), request.url.path, f"role {user.role} may not open this page"
            )
            raise NotAllowed("your role may not open this page.")
        return user

    return check
