"""Administration: users, groups, collections (access, policy, retention), policies,
models, keys and health; usage and cost. Every change is an audit event (in the services)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from appliance.accounts.service import USERNAME_RULES
from appliance.config import Settings
from appliance.doctor import run_doctor
from appliance.errors import ApplianceError
from appliance.gdpr.rights import parse_days
from appliance.models import verify_models
from appliance.privacy.policy import available_policies, find_policy
from appliance.store.schema import Access, Role
from appliance.web.charts import Series, horizontal_bars, stacked_bars
from appliance.web.deps import User, require_role, web
from appliance.web.render import money

router = APIRouter(prefix="/admin")
admins = require_role(Role.ADMIN)


def _back(path: str, done: str) -> Response:
    return RedirectResponse(f"{path}?done={done}", status_code=303)


# -- overview: health, models, keys -------------------------------------------------


@router.get("")
def overview(request: Request, user: User = Depends(admins)) -> Response:
    state = web(request)
    app = state.appliance
    settings = state.settings
    return state.render(
        request,
        "admin.html",
        section="system",
        report=run_doctor(settings, backend_in_use=app.models.backend),
        models=verify_models(settings.models_path, full=False),
        chat_model=settings.chat_model,
        added_models=list(app.models_added().values()),
        default_model=app.model_for(None).name,
        collection_models=[(col.name, col.chat_model or "") for col, _count in app.collections()],
        keys=app.key_status(),
        audit_records=app.audit_count(),
        fingerprint=app.audit_public_key()[1],
        upkeep=app.upkeep_status(),
        directory=_directory_summary(settings),
    )


def _directory_summary(settings: Settings) -> dict[str, object]:
    """What the System page says about directory sign-in (read from the settings)."""
    groups = sorted(set(settings.directory_roles) | set(settings.directory_groups))
    return {
        "ldap_url": settings.ldap_url,
        "ldap_starttls": settings.ldap_starttls,
        "ldap_user_base": settings.ldap_user_base,
        "ldap_group_base": settings.ldap_group_base,
        "ldap_active_directory": settings.ldap_active_directory,
        "recheck_minutes": settings.directory_recheck_minutes,
        "local_signin": settings.local_signin,
        "break_glass_admin": settings.break_glass_admin,
        "mapping": [
            (g, settings.directory_roles.get(g), settings.directory_groups.get(g)) for g in groups
        ],
    }


@router.post("/models")
def model_add(
    request: Request,
    path: str = Form(..., min_length=1, max_length=4096),
    name: str = Form("", max_length=64),
    lora: str = Form("", max_length=4096),
    make_default: bool = Form(False),
    user: User = Depends(admins),
) -> Response:
    """Add a GGUF file that is already on this machine (models are gigabytes: they are
    copied onto the server, not uploaded through the browser)."""
    web(request).appliance.add_model(
        Path(path),
        name=name or None,
        lora=Path(lora) if lora else None,
        make_default=make_default,
        who=user.caller(),
    )
    return _back("/admin", "model-added")


@router.post("/models/default")
def model_default(
    request: Request, name: str = Form("", max_length=64), user: User = Depends(admins)
) -> Response:
    web(request).appliance.use_model(name or None, who=user.caller())
    return _back("/admin", "model-changed")


@router.post("/collections/{name}/model")
def collection_model(
    request: Request,
    name: str,
    model: str = Form("", max_length=64),
    user: User = Depends(admins),
) -> Response:
    web(request).appliance.use_model(model or None, collection=name, who=user.caller())
    return _back("/admin", "model-changed")


# -- the hybrid gateway: external models (off unless attached) ----------------------

_CHAT_TARGET = "(plain chat)"


@router.get("/gateway")
def gateway_page(request: Request, user: User = Depends(admins)) -> Response:
    app = web(request).appliance
    return web(request).render(
        request,
        "admin_gateway.html",
        section="gateway",
        attached=app.gateways_attached(),
        targets=[_CHAT_TARGET, *(col.name for col, _count in app.collections())],
        chat_target=_CHAT_TARGET,
    )


@router.post("/gateway")
def gateway_attach(
    request: Request,
    target: str = Form(..., max_length=64),
    url: str = Form(..., min_length=1, max_length=2000),
    model: str = Form(..., min_length=1, max_length=128),
    api_key: str = Form("", max_length=4096),
    price_per_1k: str = Form("", max_length=32),
    timeout_seconds: float = Form(60.0),
    user: User = Depends(admins),
) -> Response:
    """Attach an external model; the API key goes straight to the sealed key store."""
    try:
        price = float(price_per_1k) if price_per_1k.strip() else None
    except ValueError:
        raise ApplianceError("the price per 1,000 tokens must be a number.") from None
    web(request).appliance.attach_gateway(
        None if target == _CHAT_TARGET else target,
        url,
        model,
        api_key=api_key or None,
        price_per_1k=price,
        timeout_seconds=timeout_seconds,
        who=user.caller(),
    )
    return _back("/admin/gateway", "gateway-attached")


@router.post("/gateway/detach")
def gateway_detach(
    request: Request, target: str = Form(..., max_length=64), user: User = Depends(admins)
) -> Response:
    web(request).appliance.detach_gateway(
        None if target == _CHAT_TARGET else target, who=user.caller()
    )
    return _back("/admin/gateway", "gateway-detached")


# -- users ---------------------------------------------------------------------------


def _users_page(request: Request, status: int = 200, **extra: object) -> Response:
    state = web(request)
    return state.render(
        request,
        "admin_users.html",
        status,
        section="users",
        users=state.accounts.users(),
        roles=Role.ALL,
        username_rules="Usernames have " + USERNAME_RULES,
        directory_signin=bool(state.settings.ldap_url or state.settings.directory_roles),
        **extra,
    )


@router.get("/users")
def users(request: Request, user: User = Depends(admins)) -> Response:
    return _users_page(request)


@router.post("/users")
def user_create(
    request: Request,
    username: str = Form(..., max_length=64),
    role: str = Form(...),
    user: User = Depends(admins),
) -> Response:
    account, password = web(request).accounts.create_user(username, role, user.caller())
    return _users_page(request, created=account.username, one_time_password=password)


@router.post("/users/{username}/role")
def user_role(
    request: Request, username: str, role: str = Form(...), user: User = Depends(admins)
) -> Response:
    web(request).accounts.set_role(username, role, user.caller())
    return _back("/admin/users", "role-changed")


@router.post("/users/{username}/disable")
def user_disable(request: Request, username: str, user: User = Depends(admins)) -> Response:
    if username.strip().lower() == user.name:
        raise ApplianceError("you cannot disable your own account.")
    web(request).accounts.set_disabled(username, True, user.caller())
    return _back("/admin/users", "user-disabled")


@router.post("/users/{username}/enable")
def user_enable(request: Request, username: str, user: User = Depends(admins)) -> Response:
    web(request).accounts.set_disabled(username, False, user.caller())
    return _back("/admin/users", "user-enabled")


@router.post("/users/{username}/reset")
def user_reset(request: Request, username: str, user: User = Depends(admins)) -> Response:
    password = web(request).accounts.reset_password(username, user.caller())
    return _users_page(request, created=username, one_time_password=password, reset=True)


# -- groups --------------------------------------------------------------------------


@router.get("/groups")
def groups(request: Request, user: User = Depends(admins)) -> Response:
    state = web(request)
    return state.render(
        request,
        "admin_groups.html",
        section="groups",
        groups=state.accounts.groups(),
        usernames=[u.username for u in state.accounts.users()],
    )


@router.post("/groups")
def group_create(
    request: Request,
    name: str = Form(..., max_length=64),
    description: str = Form("", max_length=500),
    user: User = Depends(admins),
) -> Response:
    web(request).accounts.create_group(name, user.caller(), description)
    return _back("/admin/groups", "group-created")


@router.post("/groups/{name}/members")
def group_member(
    request: Request,
    name: str,
    username: str = Form(...),
    member: bool = Form(True),
    user: User = Depends(admins),
) -> Response:
    web(request).accounts.set_membership(name, username, member, user.caller())
    return _back("/admin/groups", "membership-changed")


# -- collections ---------------------------------------------------------------------


@router.get("/collections")
def collections(request: Request, user: User = Depends(admins)) -> Response:
    state = web(request)
    return state.render(
        request,
        "admin_collections.html",
        section="collections",
        collections=state.appliance.collections(),
        grants=state.accounts.grants(),
        policies=available_policies(state.settings.data_dir),
        usernames=[u.username for u in state.accounts.users()],
        groups=[g["name"] for g in state.accounts.groups()],
        levels=Access.ALL,
    )


@router.post("/collections")
def collection_create(
    request: Request,
    name: str = Form(..., max_length=64),
    policy: str = Form("default"),
    user: User = Depends(admins),
) -> Response:
    web(request).appliance.create_collection(name.strip(), policy, user.caller())
    return _back("/admin/collections", "collection-created")


@router.post("/collections/{name}/policy")
def collection_policy(
    request: Request, name: str, policy: str = Form(...), user: User = Depends(admins)
) -> Response:
    web(request).appliance.set_collection_policy(name, policy, user.caller())
    return _back("/admin/collections", "policy-changed")


@router.post("/collections/{name}/settings")
def collection_settings(
    request: Request,
    name: str,
    purpose: str = Form("", max_length=2000),
    data_subjects: str = Form("", max_length=500),
    retention_days: str = Form("", max_length=10),
    legal_hold: bool = Form(False),
    user: User = Depends(admins),
) -> Response:
    try:
        days = parse_days(retention_days or "none")
    except ValueError as exc:
        raise ApplianceError(str(exc)) from None
    web(request).appliance.update_collection(
        name,
        user.caller(),
        purpose=purpose,
        data_subjects=data_subjects,
        retention_days=days,
        legal_hold=legal_hold,
    )
    return _back("/admin/collections", "collection-updated")


@router.post("/collections/{name}/grants")
def collection_grant(
    request: Request,
    name: str,
    grantee: str = Form(...),
    access: str = Form(""),
    revoke: bool = Form(False),
    lower: bool = Form(False),
    user: User = Depends(admins),
) -> Response:
    """Grant (or with ``revoke`` withdraw) access; lowering an existing grant
    (contribute to read) is asked first, and done only with ``lower``."""
    kind, _, who = grantee.partition(":")
    if kind not in ("user", "group") or not who:
        raise ApplianceError("choose a user or a group to grant the collection to.")
    state = web(request)
    accounts = state.accounts
    target = {"user": who} if kind == "user" else {"group": who}
    done = "access-revoked" if revoke else "access-granted"
    if revoke:
        accounts.revoke(name, user.caller(), **target)
    else:
        current = next(
            (g["access"] for g in accounts.grants().get(name, []) if g["grantee"] == grantee),
            None,
        )
        if access not in Access.ALL:
            raise ApplianceError(f"choose the access to grant: {' or '.join(Access.ALL)}.")
        lowers = current is not None and Access.ALL.index(access) < Access.ALL.index(current)
        if lowers and not lower:
            # A grant never lowers access silently (the form's defaults once turned an
            # administrator's "contribute" into "read"): ask first.
            return state.render(
                request,
                "admin_grant_confirm.html",
                section="collections",
                collection=name,
                grantee=grantee,
                current=current,
                access=access,
            )
        accounts.grant(name, user.caller(), access=access, **target)
        if lowers:
            done = "access-lowered"
        elif current == access:
            done = "access-unchanged"
    return RedirectResponse(
        f"/admin/collections?done={done}#collection-{quote(name)}", status_code=303
    )


# -- policies ------------------------------------------------------------------------


@router.get("/policies")
def policies(request: Request, name: str = "", user: User = Depends(admins)) -> Response:
    state = web(request)
    names = available_policies(state.settings.data_dir)
    shown = name if name in names else (names[0] if names else "")
    text = digest = ""
    if shown:
        text = find_policy(shown, state.settings.data_dir).read_text(encoding="utf-8")
        digest = state.appliance.policy(shown).digest
    used_by = {
        p: [c.name for c, _ in state.appliance.collections() if c.policy == p] for p in names
    }
    return state.render(
        request,
        "admin_policies.html",
        section="policies",
        names=names,
        shown=shown,
        text=text,
        digest=digest,
        used_by=used_by,
    )


# -- usage and cost ------------------------------------------------------------------

# The period selector: days back from today (UTC), or everything counted.
PERIODS = {"7": "7 days", "30": "30 days", "90": "90 days", "365": "a year", "all": "everything"}


def _usage_period(period: str, since: str, until: str) -> tuple[date | None, date | None]:
    """``since``/``until`` (YYYY-MM-DD) when given, else the last ``period`` days."""
    try:
        end = date.fromisoformat(until) if until else None
        start = date.fromisoformat(since) if since else None
    except ValueError:
        raise ApplianceError("give dates as YYYY-MM-DD.") from None
    if start is None and period != "all":
        days = int(period) if period in PERIODS else 30
        start = (end or datetime.now(UTC).date()) - timedelta(days=days - 1)
    return start, end


@router.get("/usage")
def usage(
    request: Request,
    period: str = "30",
    since: str = "",
    until: str = "",
    user: User = Depends(admins),
) -> Response:
    """Questions, documents, tokens, latency and cost, per user, group and collection."""
    state = web(request)
    start, end = _usage_period(period, since, until)
    report = state.appliance.usage_report(since=start, until=end, who=user.caller())
    days = [f.key for f in report.daily]
    cost = report.cost
    currency = cost.currency
    return state.render(
        request,
        "admin_usage.html",
        section="usage",
        report=report,
        periods=PERIODS,
        period=period if not since else "",
        query=urlencode({"since": report.since.isoformat(), "until": report.until.isoformat()}),
        questions_chart=stacked_bars(
            "chart-questions",
            "Questions per day",
            days,
            [
                Series("answered", [f.questions - f.refusals - f.pii_blocks for f in report.daily]),
                Series("refused", [f.refusals for f in report.daily]),
                Series("blocked (personal data)", [f.pii_blocks for f in report.daily]),
            ],
        ),
        tokens_chart=stacked_bars(
            "chart-tokens",
            "Tokens per day",
            days,
            [
                Series("prompt", [f.prompt_tokens for f in report.daily]),
                Series("completion", [f.completion_tokens for f in report.daily]),
            ],
        ),
        cost_chart=horizontal_bars(
            "chart-cost",
            f"Cost per 1,000 questions ({currency})",
            [
                ("On this appliance", cost.hardware_per_1000),
                ("At the API prices entered", cost.api_per_1000),
            ],
            lambda value: money(value, currency),
        ),
    )


@router.get("/usage.csv")
def usage_csv(
    request: Request,
    by: str = "user",
    period: str = "30",
    since: str = "",
    until: str = "",
    user: User = Depends(admins),
) -> Response:
    """The usage table per ``by`` (user, group, collection or day) as CSV."""
    start, end = _usage_period(period, since, until)
    report = web(request).appliance.usage_report(since=start, until=end, by=by, who=user.caller())
    name = f"usage-{report.by}-{report.since}-{report.until}.csv"
    return Response(
        report.as_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
