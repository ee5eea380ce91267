"""The doors of administrators' acts: collections and their policies, keys, models.
Each change is recorded in the audit trail here, whichever entry point asked."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from appliance.caller import Caller
from appliance.crypto import KeySource
from appliance.crypto.keyring import KeyStatus
from appliance.crypto.signing import rotation_entries as signing_rotation_entries
from appliance.errors import ApplianceError, KeyUnavailable, NotAllowed
from appliance.llm.registry import ChatModelInfo
from appliance.privacy import Policy
from appliance.rag.documents import DEFAULT_COLLECTION, ReembedResult
from appliance.rag.egress import check_endpoint_url
from appliance.startup import Parts
from appliance.store.gateways import Gateway, target_of
from appliance.store.schema import Collection, Role
from appliance.store.secrets import CHROMA_TOKEN, check_token
from appliance.store.vault import DocumentInfo


@dataclass(frozen=True)
class ChromaTokenStatus:
    """The Chroma server's token as ``appliance chroma token`` reports it (never the
    token): the server's URL (None: embedded store), when the token was set (ISO 8601;
    None: no token), whether the server accepts the requests sent now (None: no
    server, or no answer) and a line saying so."""

    server: str | None
    set_at: str | None
    accepted: bool | None
    detail: str

    def as_json(self) -> dict[str, object]:
        return {
            "server": self.server,
            "token_set": self.set_at is not None,
            "set_at": self.set_at,
            "accepted": self.accepted,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class KeyChoice:
    """The secret a key rotation moves to, and where it came from."""

    source: KeySource
    # "key_file", "env" (APPLIANCE_NEW_PASSPHRASE), "typed", or "same" (the
    # current secret, re-derived with a fresh salt).
    origin: str


class Administration(Parts):
    """Administrators' acts (the base of :class:`appliance.service.Appliance`)."""

    def initialise(self, who: Caller | None = None) -> KeyStatus:
        """Make a data directory ready (``appliance init``, safe to run again): the
        ``default`` collection exists (its creation recorded once). Returns the key
        status."""
        if not self.library.has_collection(DEFAULT_COLLECTION):
            self.create_collection(DEFAULT_COLLECTION, "default", who)
        return self.keyring.status()

    # -- collections -----------------------------------------------------------

    def collections(self) -> list[tuple[Collection, int]]:
        """Every collection with its number of ready documents, by name."""
        return self.library.collections()

    def get_collection(self, name: str) -> Collection:
        """The collection (:class:`CollectionNotFound` if none of that name)."""
        return self.library.get_collection(name)

    def documents(self, collection: str) -> list[DocumentInfo]:
        """The ready documents of ``collection``, titles opened."""
        return self.library.documents(collection)

    def policy(self, name: str) -> Policy:
        """The privacy policy ``name`` as loaded (:class:`PolicyError` if unknown or
        invalid)."""
        return self.privacy.policy(name)

    def policy_of(self, collection: str) -> Policy:
        """The policy ``collection`` is bound to (:class:`CollectionNotFound`)."""
        return self.privacy.policy(self.library.get_collection(collection).policy)

    def create_collection(
        self, name: str, policy: str = "default", who: Caller | None = None
    ) -> Collection:
        """Create collection ``name`` bound to privacy policy ``policy`` (an existing
        one is returned as it is); recorded as ``collection.create``.

        Raises :class:`DocumentError` for an invalid name or a different policy,
        :class:`PolicyError` for an unknown policy."""
        who = who or Caller.local()
        col = self.library.ensure_collection(name, policy)
        self.audit.append(
            "collection.create", **who.audit_fields(), resource=f"collection:{name}", policy=policy
        )
        return col

    def set_collection_policy(
        self, name: str, policy: str, who: Caller | None = None
    ) -> tuple[str, int]:
        """Bind ``name`` to ``policy``; returns (the policy before, documents held
        under the old one until re-ingested). Recorded as ``policy.change``."""
        who = who or Caller.local()
        before, held = self.library.set_policy(name, policy)
        digest = self.privacy.policy(policy).digest
        self.audit.append(
            "policy.change",
            **who.audit_fields(),
            resource=f"collection:{name}",
            before=before,
            after=policy,
            policy_digest=digest,
            documents_held=held,
        )
        return before, held

    def update_collection(
        self, name: str, who: Caller | None = None, **changes: object
    ) -> Collection:
        """Set purpose, data_subjects, retention_days or legal_hold (record of
        processing, retention); recorded as ``collection.configure`` (the purpose's
        text is not copied into the trail)."""
        who = who or Caller.local()
        col = self.library.update_collection(name, **changes)
        self.audit.append(
            "collection.configure",
            **who.audit_fields(),
            resource=f"collection:{name}",
            changes={k: v for k, v in changes.items() if k != "purpose"}
            | ({"purpose": "changed"} if "purpose" in changes else {}),
        )
        return col

    def reembed_collection(
        self,
        name: str,
        embedder: str,
        *,
        on_document: Callable[[int, int], None] | None = None,
        who: Caller | None = None,
    ) -> ReembedResult:
        """Move collection ``name`` to the embedder ``embedder`` (see
        :data:`appliance.embeddings.EMBEDDERS`): its sealed chunks are embedded again
        into that embedder's vector space, then questions use it. Resumable: after a
        crash, run it again with the same embedder. ``on_document(done, total)`` after
        each document. Recorded as ``collection.reembed`` (before, after, counts).

        Raises :class:`CollectionNotFound`, :class:`ModelError` (unknown embedder, or
        its files not installed: `appliance models install`)."""
        who = who or Caller.local()
        result = self.library.reembed(name, embedder, on_document=on_document)
        self.audit.append(
            "collection.reembed",
            **who.audit_fields(),
            resource=f"collection:{name}",
            before=result.before,
            after=result.after,
            documents_embedded=result.embedded,
            documents_already_done=result.resumed,
            chunks=result.chunks,
        )
        return result

    # -- keys --------------------------------------------------------------------

    def key_status(self) -> KeyStatus:
        """The key-encryption key's kind and version, data keys, a rotation under way."""
        return self.keyring.status()

    def new_key_source(
        self,
        *,
        new_key_file: Path | None = None,
        typed: Callable[[], str] | None = None,
        current: Callable[[], KeySource] | None = None,
    ) -> KeyChoice:
        """The secret a rotation moves to: ``new_key_file``, else the passphrase in
        ``APPLIANCE_NEW_PASSPHRASE``, else one ``typed`` (asked only when the current
        secret is a passphrase), else ``current()`` again (a fresh salt). Raises
        :class:`KeyUnavailable` for an unusable new key file."""
        env_new = os.environ.get("APPLIANCE_NEW_PASSPHRASE")
        if new_key_file is not None:
            path = new_key_file.expanduser().resolve()
            return KeyChoice(KeySource.key_file(path, self.settings.data_dir), "key_file")
        if env_new:
            return KeyChoice(KeySource.passphrase(env_new, "APPLIANCE_NEW_PASSPHRASE"), "env")
        if typed is not None and self.keyring.current_record().kind == "passphrase":
            return KeyChoice(KeySource.passphrase(typed(), "typed"), "typed")
        if current is None:
            raise KeyUnavailable("no new secret given, and no current one to re-derive.")
        return KeyChoice(current(), "same")

    def rotate_keys(
        self,
        new_source: KeySource,
        *,
        on_progress: Callable[[int, int], None] | None = None,
        batch: int = 200,
        crash_after: int | None = None,
        restart: bool = False,
        who: Caller | None = None,
    ) -> int:
        """Move every data key and signing key to a new KEK version (resumable:
        run again with the same new secret after a crash; ``restart`` abandons an
        interrupted rotation first). ``on_progress(done, total)`` after each batch.
        Returns the new version; recorded as ``keys.rotate``."""
        who = who or Caller.local()
        with self.library.exclusive():
            if restart:
                self.keyring.restart_rotation()
            version = self.keyring.rotate(
                new_source,
                secrets=signing_rotation_entries(self.settings.keys_dir),
                batch=batch,
                on_progress=on_progress,
                crash_after=crash_after,
            )
        self.audit.append(
            "keys.rotate", **who.audit_fields(), kek_version=version, kek_source=new_source.kind
        )
        return version

    # -- models ------------------------------------------------------------------

    def add_model(
        self,
        path: Path,
        *,
        name: str | None = None,
        lora: Path | None = None,
        make_default: bool = False,
        who: Caller | None = None,
    ) -> ChatModelInfo:
        """Register a GGUF chat model found on this machine (and optionally a LoRA
        adapter), after reading its header; its sha256 is recorded (``model.add``).
        See :meth:`ModelRegistry.add` for the errors raised."""
        who = who or Caller.local()
        row = self.models.add(path, name=name, lora=lora)
        self.audit.append(
            "model.add",
            **who.audit_fields(),
            resource=f"model:{row.name}",
            model=row.name,
            model_sha256=row.sha256,
            architecture=row.architecture,
            context_length=row.context_length,
            lora_sha256=row.lora_sha256,
        )
        if make_default:
            self.use_model(row.name, who=who)
        return self.models.added()[row.name]

    def models_added(self) -> dict[str, ChatModelInfo]:
        """Every added model by name, with the collections that use it."""
        return self.models.added()

    def use_model(
        self, name: str | None, *, collection: str | None = None, who: Caller | None = None
    ) -> None:
        """Make model ``name`` the default (``collection`` None) or ``collection``'s
        model (None: back to the configured one); recorded as ``model.change``."""
        who = who or Caller.local()
        before = self.models.use(name, collection=collection)
        choice = self.models.model_for(collection)
        self.audit.append(
            "model.change",
            **who.audit_fields(),
            resource=f"collection:{collection}" if collection else "model:default",
            model=choice.name,
            model_sha256=self.models.digest(choice),
            previous=before,
        )

    # -- the hybrid gateway (external models; off unless attached) --------------

    def _check_admin(self, who: Caller, what: str) -> None:
        if who.role != Role.ADMIN:
            self.audit.append(
                "access.denied",
                **who.audit_fields(),
                resource="gateway",
                outcome="failure",
                reason=f"{what} is for administrators",
            )
            raise NotAllowed(f"only an administrator may {what}.")

    def attach_gateway(
        self,
        collection: str | None,
        url: str,
        model: str,
        *,
        api_key: str | None = None,
        price_per_1k: float | None = None,
        timeout_seconds: float = 60.0,
        who: Caller | None = None,
    ) -> Gateway:
        """Let an external OpenAI-compatible endpoint answer ``collection``'s questions
        (None: plain chat) with ``model``; replaces an endpoint attached before.

        ``url`` is the endpoint's base (``https://host/v1``; no credentials, query or
        fragment); ``api_key`` is sealed with its own data key and never shown again;
        ``price_per_1k`` the price per 1,000 tokens (prompt and completion, the usage
        page's currency) for the cost figures; ``timeout_seconds`` (1-600) to wait
        for an answer. What leaves, and the checks on it: :mod:`appliance.rag.egress`.
        Recorded as ``gateway.attach`` (endpoint, model, price; never the key).

        Raises :class:`NotAllowed` for a role other than admin,
        :class:`CollectionNotFound`, :class:`ApplianceError` for an invalid URL,
        model name, price or timeout."""
        who = who or Caller.local()
        self._check_admin(who, "attach an external model")
        if collection is not None:
            self.library.get_collection(collection)  # CollectionNotFound
        try:
            url = check_endpoint_url(url)
        except ValueError as exc:
            raise ApplianceError(str(exc)) from None
        model = model.strip()
        if not model or len(model) > 128 or any(c.isspace() for c in model):
            raise ApplianceError("the model name must be 1-128 characters without spaces.")
        if price_per_1k is not None and not price_per_1k >= 0:
            raise ApplianceError("the price per 1,000 tokens cannot be negative.")
        if not 1 <= timeout_seconds <= 600:
            raise ApplianceError("the timeout must be between 1 and 600 seconds.")
        target = target_of(collection)
        gateway, before = self.gateways.attach(
            target,
            url,
            model,
            api_key or None,
            price_per_1k=price_per_1k,
            timeout_seconds=timeout_seconds,
            attached_by=who.actor,
        )
        self.audit.append(
            "gateway.attach",
            **who.audit_fields(),
            resource=target,
            endpoint=url,
            model=model,
            api_key="sealed" if api_key else "none",
            price_per_1k=price_per_1k,
            timeout_seconds=timeout_seconds,
            previous={"endpoint": before.url, "model": before.model} if before else None,
        )
        return gateway

    def detach_gateway(self, collection: str | None, *, who: Caller | None = None) -> Gateway:
        """Stop sending ``collection``'s questions (None: plain chat) to an external
        model: its endpoint is removed and its API key's data key shredded; the
        appliance's own model answers again. Recorded as ``gateway.detach``.

        Raises :class:`NotAllowed` for a role other than admin, :class:`ApplianceError`
        when no endpoint is attached there."""
        who = who or Caller.local()
        self._check_admin(who, "detach an external model")
        target = target_of(collection)
        gone = self.gateways.detach(target)
        if gone is None:
            where = f"the collection {collection!r}" if collection else "plain chat"
            raise ApplianceError(f"no external model is attached to {where}.")
        self.audit.append(
            "gateway.detach",
            **who.audit_fields(),
            resource=target,
            endpoint=gone.url,
            model=gone.model,
        )
        return gone

    def set_chroma_token(self, token: str, *, who: Caller | None = None) -> ChromaTokenStatus:
        """Seal ``token`` in the key store as the bearer token sent to the Chroma server
        (``chroma_host``) from now on, replacing (and shredding) any before; the proxy
        in front of the server must require the same (docs/admin-guide.md, "A Chroma
        server"). Recorded as ``chroma.token.set`` (never the token). Returns whether
        the server accepts it now (``accepted`` None: no server configured, or it did
        not answer; ``detail`` says which).

        Raises :class:`NotAllowed` for a role other than admin, :class:`ApplianceError`
        for an empty token, one over 4,096 characters or with characters other than
        visible ASCII."""
        who = who or Caller.local()
        self._check_admin(who, "set the Chroma server's token")
        try:
            token = check_token(token)
        except ValueError as exc:
            raise ApplianceError(str(exc)) from None
        info = self.service_secrets.set(CHROMA_TOKEN, token, set_by=who.actor)
        self.audit.append(
            "chroma.token.set",
            **who.audit_fields(),
            resource=CHROMA_TOKEN,
            server=self.index.server.where if self.index.server else None,
        )
        if self.index.server is not None:
            self.index.use_token(token)
        return self._chroma_token_status(token, info.set_at.isoformat())

    def clear_chroma_token(self, *, who: Caller | None = None) -> bool:
        """Stop sending a token to the Chroma server: the sealed token is removed and its
        data key shredded. Recorded as ``chroma.token.clear``. Returns False when none
        was set. Raises :class:`NotAllowed` for a role other than admin."""
        who = who or Caller.local()
        self._check_admin(who, "clear the Chroma server's token")
        gone = self.service_secrets.clear(CHROMA_TOKEN)
        if gone:
            self.audit.append("chroma.token.clear", **who.audit_fields(), resource=CHROMA_TOKEN)
            if self.index.server is not None:
                self.index.use_token(None)
        return gone

    def chroma_token_status(self) -> ChromaTokenStatus:
        """Whether a token is set, and whether the Chroma server accepts it now."""
        info = self.service_secrets.info(CHROMA_TOKEN)
        token = self.service_secrets.get(CHROMA_TOKEN) if info else None
        return self._chroma_token_status(token, info.set_at.isoformat() if info else None)

    def _chroma_token_status(self, token: str | None, set_at: str | None) -> ChromaTokenStatus:
        server = self.index.server
        if server is None:
            return ChromaTokenStatus(
                None, set_at, None, "no Chroma server configured (chroma_host unset)"
            )
        try:
            status = server.status(token)
        except OSError as exc:
            return ChromaTokenStatus(
                server.where, set_at, None, f"the server did not answer ({exc})"
            )
        if status in (401, 403):
            return ChromaTokenStatus(
                server.where, set_at, False, f"Chroma server refused the token (HTTP {status})"
            )
        accepted = True if 200 <= status < 300 else None  # another answer: not the token's
        return ChromaTokenStatus(server.where, set_at, accepted, f"HTTP {status}")

    def gateways_attached(self) -> list[Gateway]:
        """Every attached endpoint (no keys), plain chat's as target ``chat``."""
        return self.gateways.all()

    def gateway_for(self, collection: str | None) -> Gateway | None:
        """The endpoint answering ``collection`` (None: plain chat), if any: what the
        chat page's banner and the API name."""
        return self.pipeline.gateway_for(collection)
