"""Sign-in through the organisation's OpenID provider: the two steps of the web flow.

The password form's door is :meth:`appliance.accounts.Accounts.authenticate`; the
OpenID Connect flow needs two acts (to the provider and back), which live here so the
web layer only carries cookies and redirects.
"""

from __future__ import annotations

from collections.abc import Mapping

from appliance.accounts.oidc import OpenIdConnect
from appliance.errors import DirectoryUnavailable, ProviderRefused, SignInFailed
from appliance.startup import Parts


class DirectorySignIn(Parts):
    def _oidc(self) -> OpenIdConnect:
        provider = self.accounts.directories.get("oidc")
        if not isinstance(provider, OpenIdConnect):
            raise SignInFailed("sign-in with an OpenID provider is not configured here.")
        return provider

    def oidc_display_name(self) -> str | None:
        """The label of the "Sign in with …" button, or None when OpenID Connect
        sign-in is not configured (``oidc_issuer`` unset)."""
        provider = self.accounts.directories.get("oidc")
        return provider.display_name if isinstance(provider, OpenIdConnect) else None

    def oidc_begin(self, redirect_uri: str, next_path: str, client: str) -> tuple[str, str]:
        """``(the provider's URL to send the browser to, the sealed pending-sign-in
        cookie)``. ``redirect_uri`` is this appliance's callback as registered at the
        provider. Raises :class:`SignInFailed` when not configured and
        :class:`DirectoryUnavailable` (audited) when the provider cannot be reached."""
        provider = self._oidc()
        try:
            return provider.begin(redirect_uri, next_path)
        except DirectoryUnavailable as exc:
            self._refused(client, f"provider unreachable: {exc}"[:300])
            raise

    def oidc_finish(self, pending: str, answer: Mapping[str, str], client: str) -> tuple[str, str]:
        """Complete the sign-in from the provider's answer (the callback's query
        parameters) and the pending cookie: ``(session cookie token, where to go)``.

        The person's account is created or brought in line with the directory's
        groups (:meth:`~appliance.accounts.Accounts.sign_in_directory`). Raises
        :class:`SignInFailed` (state mismatch, expired or replayed answer, the
        provider's error, an invalid code or ID token, no mapped group; each audited
        as an ``auth.signin`` failure with its reason) and
        :class:`DirectoryUnavailable` (audited too); never falls back to passwords."""
        provider = self._oidc()
        try:
            identity, state, next_path = provider.finish(pending, answer)
        except ProviderRefused as exc:
            self._refused(client, exc.reason)
            raise
        except DirectoryUnavailable as exc:
            self._refused(client, f"provider unreachable: {exc}"[:300])
            raise
        account = self.accounts.sign_in_directory(identity, client)
        token, _csrf = self.accounts.open_session(account, directory_state=state)
        return token, next_path

    def _refused(self, client: str, reason: str) -> None:
        self.audit.append(
            "auth.signin", "-", "-", source=client, outcome="failure", reason=reason, via="oidc"
        )
