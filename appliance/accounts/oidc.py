"""Sign-in through an OpenID Connect provider (Keycloak, Microsoft Entra ID, ADFS, Okta).

The authorization code flow with PKCE (S256), ``state`` and ``nonce``, with Authlib's
OAuth 2 client (over httpx) and joserfc for the ID token: its signature is checked
against the provider's published keys (JWKS), and ``iss``, ``aud``, ``exp``, ``iat``,
``nonce`` against what this sign-in expects, allowing ``oidc_clock_skew_seconds`` of
clock difference. Everything about the provider comes from its discovery document
(``<oidc_issuer>/.well-known/openid-configuration``), whose ``issuer`` must be the
configured one.

Between the redirect to the provider and its answer nothing is stored: ``state``,
``nonce``, the PKCE verifier and where to go afterwards travel in a short-lived
cookie sealed with the appliance's own key (:data:`PENDING_MINUTES`), usable once:
the hash of each answer's ``state`` is recorded in the database until it would have
expired, so a replayed answer is refused by whichever web process it reaches.

A signed-in person's refresh token is sealed (the crypto room's AEAD, bound to the
person's subject) and kept with the session; at each recheck
(``directory_recheck_minutes``) the provider is asked for fresh tokens with it. A
provider that refuses (``invalid_grant``: the person was disabled or removed, the
session revoked) signs the person out; one that cannot be reached raises
:class:`~appliance.errors.DirectoryUnavailable`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import ssl
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

import httpx2
from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingKeyError,
)
from joserfc.jwk import KeySet
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from appliance.accounts.directory import DirectoryIdentity
from appliance.config import Settings
from appliance.crypto import DataKey, Keyring
from appliance.errors import CryptoError, DirectoryUnavailable, ProviderRefused
from appliance.store.database import Database
from appliance.store.schema import OidcAnswer

SOURCE = "oidc"
PENDING_MINUTES = 10  # from the click on "Sign in with …" to the provider's answer
TIMEOUT_SECONDS = 10.0
# Symmetric (HS*) and unsigned ID tokens are never accepted: only the provider's keys.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
_KEY_SCOPE, _KEY_OWNER = "system", "oidc"  # the data key sealing pending sign-ins and tokens


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class OpenIdConnect:
    """The OpenID provider named by ``oidc_issuer``, as a
    :class:`~appliance.accounts.directory.Directory` (``source = "oidc"``).

    Args:
        settings: the ``oidc_*`` settings (issuer, client, scopes, claims, CA, skew).
        keyring: seals the pending sign-in cookie and the refresh tokens kept with
            sessions (a data key of its own, rotated with the others).
        db: where the answers already used are recorded (table ``oidc_answers``).
    """

    source = SOURCE

    def __init__(self, settings: Settings, keyring: Keyring, db: Database) -> None:
        if not settings.oidc_issuer:
            raise ValueError("OpenIdConnect needs oidc_issuer")
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        self._secret = settings.oidc_client_secret
        self.scopes = settings.oidc_scopes
        self.groups_claim = settings.oidc_groups_claim
        self.username_claim = settings.oidc_username_claim
        self.skew = settings.oidc_clock_skew_seconds
        self.display_name = settings.oidc_display_name
        self._verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=str(settings.oidc_ca_file))
            if settings.oidc_ca_file
            else True
        )
        self._keyring = keyring
        self._db = db
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    # -- talking to the provider ---------------------------------------------------

    def _client(self) -> OAuth2Client:
        secret = self._secret.get_secret_value() if self._secret else None
        return OAuth2Client(
            client_id=self.client_id,
            client_secret=secret,
            token_endpoint_auth_method="client_secret_basic" if secret else "none",
            scope=self.scopes,
            code_challenge_method="S256",
            timeout=TIMEOUT_SECONDS,
            verify=self._verify,
            follow_redirects=False,
        )

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            with httpx2.Client(verify=self._verify, timeout=TIMEOUT_SECONDS) as http:
                response = http.get(url)
                response.raise_for_status()
                data = response.json()
        except (httpx2.HTTPError, ValueError) as exc:
            raise DirectoryUnavailable(
                f"the OpenID provider did not answer with its {what} ({url}: "
                f"{type(exc).__name__}); sign-in with it is not possible now, try again later "
                "or ask an administrator."
            ) from exc
        if not isinstance(data, dict):
            raise DirectoryUnavailable(f"the OpenID provider's {what} ({url}) is not JSON.")
        return data

    def metadata(self, fresh: bool = False) -> dict[str, Any]:
        """The provider's discovery document (read once, or again when ``fresh``).
        Raises :class:`DirectoryUnavailable` when it cannot be read or names another
        issuer."""
        if self._metadata is None or fresh:
            found = self._get_json(
                self.issuer + "/.well-known/openid-configuration", "discovery document"
            )
            if str(found.get("issuer", "")).rstrip("/") != self.issuer:
                raise DirectoryUnavailable(
                    f"the OpenID provider at {self.issuer} calls itself "
                    f"{found.get('issuer')!r}; set oidc_issuer to exactly its issuer."
                )
            for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(found.get(field), str):
                    raise DirectoryUnavailable(
                        f"the OpenID provider's discovery document has no {field}."
                    )
            self._metadata = found
        return self._metadata

    def _key_set(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            jwks = self._get_json(str(self.metadata()["jwks_uri"]), "signing keys (JWKS)")
            try:
                self._keys = KeySet.import_key_set(cast("Any", jwks))
            except (JoseError, ValueError, TypeError) as exc:
                raise DirectoryUnavailable(
                    f"the OpenID provider's signing keys cannot be read ({exc})."
                ) from exc
        return self._keys

    def _token_request(self, **form: str) -> dict[str, Any]:
        """A token endpoint call; ``invalid_grant`` and other refusals raise
        :class:`OAuthError`, an unreachable provider :class:`DirectoryUnavailable`."""
        endpoint = str(self.metadata()["token_endpoint"])
        try:
            with self._client() as client:
                if form.get("grant_type") == "refresh_token":
                    token = client.refresh_token(endpoint, refresh_token=form["refresh_token"])
                else:
                    token = client.fetch_token(endpoint, **form)
        except httpx2.HTTPError as exc:
            raise DirectoryUnavailable(
                f"the OpenID provider's token endpoint did not answer ({type(exc).__name__}); "
                "try again later or ask an administrator."
            ) from exc
        return dict(token)

    # -- the sign-in -------------------------------------------------------------

    def begin(self, redirect_uri: str, next_path: str) -> tuple[str, str]:
        """Start a sign-in: ``(the provider's authorization URL, the pending cookie)``.

        The cookie (base64url text) is sealed and expires after :data:`PENDING_MINUTES`.
        Raises :class:`DirectoryUnavailable` when the provider cannot be reached."""
        # Read afresh: a provider that is down is said so here, not after the redirect.
        endpoint = str(self.metadata(fresh=True)["authorization_endpoint"])
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)  # 64 characters, RFC 7636's 43..128
        with self._client() as client:
            url, _ = client.create_authorization_url(
                endpoint,
                state=state,
                nonce=nonce,
                code_verifier=verifier,
                redirect_uri=redirect_uri,
            )
        pending = {
            "state": state,
            "nonce": nonce,
            "verifier": verifier,
            "redirect_uri": redirect_uri,
            "next": next_path,
            "expires": int(time.time()) + PENDING_MINUTES * 60,
        }
        sealed = self._key().seal(json.dumps(pending), "oidc", "pending")
        return str(url), _b64(sealed)

    def finish(
        self, pending: str, answer: Mapping[str, str]
    ) -> tuple[DirectoryIdentity, bytes, str]:
        """Complete a sign-in from the provider's answer (the callback's query) and the
        pending cookie: ``(identity, sealed directory state, where to go next)``.

        Raises :class:`ProviderRefused` (state mismatch, expired, the provider's error,
        a code or ID token that does not check out) and :class:`DirectoryUnavailable`."""
        expected = self._open_pending(pending)
        if not secrets.compare_digest(answer.get("state", ""), expected["state"]):
            raise ProviderRefused(
                "this sign-in answer does not belong to your sign-in (it may be old or "
                "forged); start again.",
                "state mismatch",
            )
        self._use_once(expected["state"], float(expected["expires"]))
        if answer.get("iss", self.issuer).rstrip("/") != self.issuer:  # RFC 9207: mix-up
            raise ProviderRefused(
                "this sign-in answer came from another provider; start again.",
                "answer from another issuer",
            )
        if "error" in answer:
            error = answer["error"][:64]
            raise ProviderRefused(
                f"the OpenID provider refused the sign-in ({error}: "
                f"{answer.get('error_description', '')[:200]}).",
                f"provider error: {error}",
            )
        code = answer.get("code", "")
        if not code:
            raise ProviderRefused("the OpenID provider sent no code; start again.", "no code")
        try:
            token = self._token_request(
                grant_type="authorization_code",
                code=code,
                redirect_uri=expected["redirect_uri"],
                code_verifier=expected["verifier"],
            )
        except OAuthError as exc:
            raise ProviderRefused(
                f"the OpenID provider did not accept this sign-in ({exc.error}); start again.",
                f"code refused by the provider: {exc.error}",
            ) from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise ProviderRefused(
                "the OpenID provider sent no ID token; is 'openid' among oidc_scopes?",
                "no ID token",
            )
        claims = self.verify_id_token(id_token, nonce=expected["nonce"])
        identity = self.identity(claims)
        return identity, self._seal_state(identity.subject, token), str(expected["next"])

    def _key(self) -> DataKey:
        return self._keyring.data_key(_KEY_SCOPE, _KEY_OWNER)

    def _open_pending(self, pending: str) -> dict[str, Any]:
        stale = ProviderRefused(
            "the sign-in took too long or was started in another browser; start again.",
            "sign-in expired or not started here",
        )
        try:
            data = json.loads(self._key().open_text(_unb64(pending), "oidc", "pending"))
        except (CryptoError, ValueError):
            raise stale from None
        if not isinstance(data, dict) or float(data.get("expires", 0)) < time.time():
            raise stale
        return data

    def _use_once(self, state: str, expires: float) -> None:
        """Record the answer's ``state`` as used (its SHA-256, until ``expires``, Unix
        seconds); raises :class:`ProviderRefused` when any process recorded it already."""
        now = datetime.now(UTC)
        digest = hashlib.sha256(state.encode("utf-8")).hexdigest()
        try:
            with self._db.session() as s:
                s.execute(delete(OidcAnswer).where(OidcAnswer.expires_at < now))
                s.add(
                    OidcAnswer(state_hash=digest, expires_at=datetime.fromtimestamp(expires, UTC))
                )
        except IntegrityError:
            raise ProviderRefused(
                "this sign-in answer was used already; start again.", "answer replayed"
            ) from None

    def verify_id_token(
        self, id_token: str, *, nonce: str | None, subject: str | None = None
    ) -> dict[str, Any]:
        """The claims of an ID token whose signature (the provider's JWKS), issuer,
        audience, expiry, issue time (each within ``oidc_clock_skew_seconds``), nonce
        (None for a refresh's token, which carries none) and, when given, ``sub`` check
        out. Raises :class:`ProviderRefused` naming what failed."""
        try:
            try:
                token = jwt.decode(id_token, self._key_set(), algorithms=SIGNING_ALGORITHMS)
            except (InvalidKeyIdError, MissingKeyError):
                # The provider may have rotated its keys since they were read.
                token = jwt.decode(
                    id_token, self._key_set(refresh=True), algorithms=SIGNING_ALGORITHMS
                )
        except BadSignatureError as exc:
            raise ProviderRefused(
                "the ID token's signature is not the provider's; start again.",
                "ID token signature invalid",
            ) from exc
        except JoseError as exc:
            raise ProviderRefused(
                "the ID token cannot be read; start again.", f"ID token invalid: {exc.error}"
            ) from exc
        checks: dict[str, Any] = {
            "iss": {"essential": True, "value": self.issuer},
            "aud": {"essential": True, "value": self.client_id},
            "exp": {"essential": True},
            "iat": {"essential": True},
            "sub": {"essential": True, **({"value": subject} if subject else {})},
        }
        if nonce is not None:
            checks["nonce"] = {"essential": True, "value": nonce}
        try:
            jwt.JWTClaimsRegistry(leeway=self.skew, **checks).validate(token.claims)
        except ExpiredTokenError as exc:
            raise ProviderRefused(
                "the ID token has expired (or this server's clock is wrong); start again.",
                "ID token expired",
            ) from exc
        except ClaimError as exc:
            claim = str(getattr(exc, "claim", "")) or exc.error
            raise ProviderRefused(
                f"the ID token's {claim!r} does not match this sign-in; start again.",
                f"ID token {claim} mismatch",
            ) from exc
        audience = token.claims.get("aud")
        several = isinstance(audience, list) and len(audience) > 1
        if several and token.claims.get("azp") != self.client_id:
            raise ProviderRefused(
                "the ID token was issued to another application.", "ID token azp mismatch"
            )
        return dict(token.claims)

    def identity(self, claims: Mapping[str, Any]) -> DirectoryIdentity:
        """The person the claims describe: subject ``issuer|sub``, the user name from
        ``oidc_username_claim`` (lower-cased; of ``name@domain``, the part before the
        ``@``), the groups from ``oidc_groups_claim``
        (a list, or one string; absent: none). Raises :class:`ProviderRefused` when
        the user name claim is missing."""
        name = claims.get(self.username_claim)
        if not isinstance(name, str) or not name.strip():
            raise ProviderRefused(
                f"the OpenID provider sent no {self.username_claim!r} claim; an administrator "
                "must add it to the ID token or set oidc_username_claim.",
                f"claim {self.username_claim} missing",
            )
        raw = claims.get(self.groups_claim, [])
        groups = [raw] if isinstance(raw, str) else [str(g) for g in raw or () if g]
        # Entra ID's and Okta's preferred_username is an e-mail-like UPN: its local part.
        local = name.strip().lower().split("@", 1)[0]
        return DirectoryIdentity(SOURCE, f"{self.issuer}|{claims['sub']}", local, tuple(groups))

    # -- confirming a session again ------------------------------------------------

    def _seal_state(self, subject: str, token: Mapping[str, Any]) -> bytes:
        refresh = token.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            return b""  # the provider gave none: the first recheck ends the session
        sealed: bytes = self._key().seal(refresh, "oidc", "refresh", subject)
        return sealed

    def recheck(
        self, subject: str, state: bytes | None
    ) -> tuple[DirectoryIdentity | None, bytes | None]:
        """Ask the provider again with the session's refresh token: the person as the
        new ID token (or the userinfo endpoint) describes them and the new sealed
        state, or ``(None, None)`` when the provider refuses (``invalid_grant``) or no
        refresh token was issued. Raises :class:`DirectoryUnavailable`."""
        if not state:
            return None, None
        try:
            refresh = self._key().open_text(state, "oidc", "refresh", subject)
        except CryptoError:
            return None, None
        try:
            token = self._token_request(grant_type="refresh_token", refresh_token=refresh)
        except OAuthError as exc:
            if exc.error in ("invalid_grant", "unauthorized_client", "access_denied"):
                return None, None
            raise DirectoryUnavailable(
                f"the OpenID provider refused to confirm a session ({exc.error}); check the "
                "client's settings there."
            ) from exc
        sub = subject.rsplit("|", 1)[-1]
        try:
            id_token = token.get("id_token")
            if isinstance(id_token, str):
                claims = self.verify_id_token(id_token, nonce=None, subject=sub)
            else:
                claims = self._userinfo(str(token.get("access_token", "")), sub)
            identity = self.identity(claims)
        except ProviderRefused:
            return None, None
        if not token.get("refresh_token"):
            token = {**token, "refresh_token": refresh}  # not rotated: keep using it
        return identity, self._seal_state(identity.subject, token)

    def _userinfo(self, access_token: str, sub: str) -> dict[str, Any]:
        endpoint = self.metadata().get("userinfo_endpoint")
        if not isinstance(endpoint, str):
            raise ProviderRefused("no ID token and no userinfo endpoint", "no claims")
        try:
            with httpx2.Client(verify=self._verify, timeout=TIMEOUT_SECONDS) as http:
                response = http.get(endpoint, headers={"Authorization": f"Bearer {access_token}"})
        except httpx2.HTTPError as exc:
            raise DirectoryUnavailable(
                f"the OpenID provider's userinfo endpoint did not answer ({type(exc).__name__})."
            ) from exc
        if response.status_code in (401, 403):
            raise ProviderRefused("userinfo refused", "userinfo refused")
        try:
            claims = response.json()
        except ValueError as exc:
            raise DirectoryUnavailable("the provider's userinfo answer is not JSON.") from exc
        if not isinstance(claims, dict) or claims.get("sub") != sub:
            raise ProviderRefused("userinfo for another subject", "userinfo sub mismatch")
        return claims
