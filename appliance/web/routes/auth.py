"""Sign-in, sign-out and password change."""

from __future__ import annotations

import secrets
from typing import Literal, TypedDict
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from appliance.errors import AccountError, DirectoryUnavailable, SignInFailed
from appliance.web.deps import (
    PRE_SESSION_COOKIE,
    SESSION_COOKIE,
    User,
    any_user,
    client_address,
    same_token,
    signed_in,
    web,
)

router = APIRouter()
# The pending OpenID sign-in (sealed state, nonce, PKCE verifier). SameSite=Lax: the
# provider's redirect back is a cross-site navigation, which Strict cookies miss.
OIDC_COOKIE = "appliance_oidc"
OIDC_PATH = "/signin/oidc"

DIRECTORY_DOWN = (
    "The organisation's directory cannot be reached, so sign-in through it is "
    "unavailable just now (local passwords are not used instead). Try again in a "
    "few minutes, or tell an administrator."
)


def _safe_next(target: str) -> str:
    """Only a path on this site (no //host, no scheme): no open redirect."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/chat"
    return target


class _CookieArgs(TypedDict):
    httponly: bool
    secure: bool
    samesite: Literal["lax", "strict", "none"]
    path: str


def _cookie_args(request: Request) -> _CookieArgs:
    secure = web(request).settings.tls or request.url.scheme == "https"
    return {"httponly": True, "secure": secure, "samesite": "strict", "path": "/"}


@router.get("/healthz", include_in_schema=False)
def health(request: Request) -> JSONResponse:
    """For the installer and monitoring: up, and the store answers. No details."""
    web(request).appliance.health()
    return JSONResponse({"status": "ok"})


@router.get("/")
def home(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    target = "/chat" if web(request).accounts.session(token) else "/signin"
    return RedirectResponse(target, status_code=303)


def _signin_page(request: Request, next_path: str, error: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    state = web(request)
    response = state.render(
        request,
        "signin.html",
        status,
        csrf=token,
        next=_safe_next(next_path),
        error=error,
        directory=bool(state.settings.ldap_url),
        oidc=state.appliance.oidc_display_name(),
    )
    response.set_cookie(PRE_SESSION_COOKIE, token, max_age=1800, **_cookie_args(request))
    return response


@router.get("/signin")
def signin_form(request: Request, next: str = "/chat") -> Response:
    return _signin_page(request, next)


@router.post("/signin")
def signin(
    request: Request,
    username: str = Form(..., max_length=200),
    password: str = Form(..., max_length=1024),
    csrf: str = Form(""),
    next: str = Form("/chat"),
) -> Response:
    state = web(request)
    source = client_address(request)
    expected = request.cookies.get(PRE_SESSION_COOKIE, "")
    if not expected or not same_token(csrf, expected):
        return _signin_page(request, next, "The sign-in form expired; try again.", 403)
    state.limits.hit("signin", source, state.settings.signin_rate_per_minute)
    try:
        account = state.accounts.sign_in(username, password, source)
    except SignInFailed as exc:
        return _signin_page(request, next, str(exc).capitalize(), 401)
    except DirectoryUnavailable:
        # The details (the directory's address, the cause) are in the audit trail and
        # `appliance doctor`; the sign-in page is public.
        return _signin_page(request, next, DIRECTORY_DOWN, 503)
    token, _csrf = state.accounts.open_session(account)
    target = "/account/password" if account.must_change_password else _safe_next(next)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, **_cookie_args(request))
    response.delete_cookie(PRE_SESSION_COOKIE, path="/")
    return response


@router.get(OIDC_PATH)
def oidc_signin(request: Request, next: str = "/chat") -> Response:
    """To the organisation's OpenID provider, with a sealed pending-sign-in cookie."""
    state = web(request)
    source = client_address(request)
    state.limits.hit("signin", source, state.settings.signin_rate_per_minute)
    try:
        url, pending = state.appliance.oidc_begin(
            str(request.url_for("oidc_callback")), _safe_next(next), source
        )
    except DirectoryUnavailable as exc:
        return _signin_page(request, next, str(exc).capitalize(), 503)
    except SignInFailed as exc:
        return _signin_page(request, next, str(exc).capitalize(), 404)
    response = RedirectResponse(url, status_code=303)
    args = _cookie_args(request)
    response.set_cookie(
        OIDC_COOKIE,
        pending,
        max_age=600,
        httponly=True,
        secure=args["secure"],
        samesite="lax",
        path=OIDC_PATH,
    )
    return response


@router.get(OIDC_PATH + "/callback")
def oidc_callback(request: Request) -> Response:
    """The provider's answer: a session, or the sign-in page saying what went wrong."""
    state = web(request)
    source = client_address(request)
    state.limits.hit("signin", source, state.settings.signin_rate_per_minute)
    answer = {k: v[:4096] for k, v in request.query_params.items()}
    try:
        token, target = state.appliance.oidc_finish(
            request.cookies.get(OIDC_COOKIE, ""), answer, source
        )
    except DirectoryUnavailable as exc:
        response = _signin_page(request, "/chat", str(exc).capitalize(), 503)
    except SignInFailed as exc:
        response = _signin_page(request, "/chat", str(exc).capitalize(), 401)
    else:
        # A page of this site moves on: the navigation from it is same-site, so the
        # (SameSite=Strict) session cookie goes along; a redirect chain that began at
        # the provider would arrive without it.
        response = state.render(request, "signin_continue.html", target=_safe_next(target))
        response.set_cookie(SESSION_COOKIE, token, **_cookie_args(request))
    response.delete_cookie(OIDC_COOKIE, path=OIDC_PATH)
    return response


@router.post("/signout")
def signout(request: Request, user: User = Depends(any_user)) -> Response:
    web(request).accounts.close_session(user.token, user.session.account, user.source)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account/password")
def password_form(request: Request, user: User = Depends(any_user)) -> Response:
    account = user.session.account
    return web(request).render(
        request,
        "password.html",
        forced=account.must_change_password,
        directory=account.source != "local",
    )


@router.post("/account/password")
def password_change(
    request: Request,
    current: str = Form(..., max_length=1024),
    new: str = Form(..., max_length=1024),
    repeat: str = Form(..., max_length=1024),
    user: User = Depends(any_user),
) -> Response:
    state = web(request)
    forced = user.session.account.must_change_password
    state.limits.hit("password", user.name, state.settings.signin_rate_per_minute)
    try:
        if new != repeat:
            raise AccountError("the two new passwords differ.")
        state.accounts.change_password(user.name, current, new, user.caller())
    except AccountError as exc:
        return state.render(
            request,
            "password.html",
            400,
            forced=forced,
            error=str(exc),
            directory=user.session.account.source != "local",
        )
    # Every session of the user ended with the change (a stolen cookie too): a new one.
    token, _csrf = state.accounts.open_session(state.accounts.get(user.name))
    response = RedirectResponse("/chat?done=password", status_code=303)
    response.set_cookie(SESSION_COOKIE, token, **_cookie_args(request))
    return response


# -- API keys (the OpenAI-compatible API) --------------------------------------------


def _keys_page(request: Request, user: User, status: int = 200, **extra: object) -> Response:
    state = web(request)
    return state.render(
        request,
        "api_keys.html",
        status,
        keys=[k for k in state.accounts.api_keys(user.name) if not k["revoked"]],
        base_url=str(request.base_url).rstrip("/") + "/v1",
        **extra,
    )


@router.get("/account/api-keys")
def api_keys(request: Request, user: User = Depends(signed_in)) -> Response:
    return _keys_page(request, user)


@router.post("/account/api-keys")
def api_key_create(
    request: Request, name: str = Form("", max_length=64), user: User = Depends(signed_in)
) -> Response:
    key = web(request).accounts.create_api_key(user.name, name.strip(), user.caller())
    return _keys_page(request, user, new_key=key)


@router.post("/account/api-keys/{key_id}/revoke")
def api_key_revoke(request: Request, key_id: str, user: User = Depends(signed_in)) -> Response:
    web(request).accounts.revoke_api_key(key_id, user.caller(), owner=user.name)
    return RedirectResponse("/account/api-keys?done=key-revoked", status_code=303)
