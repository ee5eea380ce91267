"""Start-up: one data directory opened, its parts wired together.

:class:`Parts` creates the data directory (0700) and schema if needed, unlocks the
keyring with the key source, and builds the rooms that act on the directory: the
document vault, the vector index, the audit trail, the privacy gate, the document
library, accounts, conversations, the model registry and the question/ingestion
pipeline. Models (embedder, PII detector, chat engines) load lazily, once.

The application layer (:class:`appliance.service.Appliance`) is built on it; subject
rights (``gdpr``), backups and the doctor take a :class:`Parts` as their typed
collaborator. Entry points never use the parts directly.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Self

from appliance.accounts import Accounts
from appliance.accounts.directory import Directory
from appliance.accounts.oidc import OpenIdConnect
from appliance.audit import AuditTrail
from appliance.config import Settings, load_settings
from appliance.crypto import Keyring, KeySource, ShredLog, Signer, resolve_key_source
from appliance.embeddings import Embedder, check_embedder_name, load_embedder
from appliance.errors import StoreError
from appliance.files import ensure_private_dir
from appliance.llm import LlamaEngine
from appliance.llm.registry import ModelRegistry
from appliance.models import SPACY_EN_DIR
from appliance.rag.conversations import ConversationStore
from appliance.rag.documents import DocumentLibrary
from appliance.rag.identifiers import IdentifierRegistry
from appliance.rag.logfilter import install_log_filter
from appliance.rag.pipeline import Pipeline
from appliance.rag.privacy import PrivacyGate
from appliance.store.database import Database
from appliance.store.gateways import GatewayStore
from appliance.store.keys import SqlKeyStore
from appliance.store.secrets import CHROMA_TOKEN, ServiceSecrets
from appliance.store.usage import UsageLedger
from appliance.store.vault import DocumentVault
from appliance.store.vectors import VectorIndex

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # Presidio and spaCy load with the detector, on first use
    from appliance.privacy.detector import PiiDetector


class Parts:
    """The opened parts of one data directory.

    Args:
        settings: the typed settings (default: :func:`load_settings` for the
            environment's data directory).
        embedder, engine: already-loaded models to use instead of loading them
            (tests and servers share them).
        key_source: the passphrase or key file (default: ``APPLIANCE_PASSPHRASE``,
            else ``key_file``).
        create_keyring: create the keyring if the directory has none (``init``).

    Raises (from :meth:`open`): :class:`~appliance.errors.StoreError` for an
    unusable directory or database, :class:`~appliance.errors.KeyUnavailable` /
    :class:`~appliance.errors.WrongPassphrase` when the key source does not unlock it.
    """

    # The benchmark swaps in a plaintext vault to measure what encryption costs.
    vault_class: type[DocumentVault] = DocumentVault

    db: Database
    keyring: Keyring
    vault: DocumentVault
    index: VectorIndex
    audit: AuditTrail
    identifiers: IdentifierRegistry
    privacy: PrivacyGate
    library: DocumentLibrary
    accounts: Accounts
    conversations: ConversationStore
    models: ModelRegistry
    gateways: GatewayStore
    service_secrets: ServiceSecrets
    pipeline: Pipeline
    usage_ledger: UsageLedger

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        engine: LlamaEngine | None = None,
        key_source: KeySource | None = None,
        create_keyring: bool = True,
    ) -> None:
        self.settings = settings or load_settings()
        self._key_source = key_source
        self._create_keyring = create_keyring
        self._signer: Signer | None = None
        self._embedder = embedder  # the one given, if any (tests share it)
        # Embedders by name, loaded on first use (a given one under its own name).
        self._embedders: dict[str, Embedder] = {embedder.name: embedder} if embedder else {}
        self._engine = engine
        self._embedder_lock = threading.Lock()
        self._opened = False

    # -- lifecycle -----------------------------------------------------------

    def open(self) -> Self:
        """Create the data directory (0700) and schema if needed, unlock the keyring
        and recover an interrupted ingestion. A wrong passphrase or key file fails
        before anything is written. Returns ``self``."""
        if self._opened:
            return self
        data_dir = self.settings.data_dir
        if data_dir.exists() and not data_dir.is_dir():
            raise StoreError(f"data directory {data_dir} exists and is not a folder.")
        source = self._key_source or resolve_key_source(self.settings.key_file, data_dir)
        ensure_private_dir(data_dir)
        # Every file the appliance creates is readable by its owner only.
        os.umask(0o077)
        self.db = Database(self.settings.sqlalchemy_url)
        self.db.open()
        try:
            self.keyring = Keyring.unlock(
                SqlKeyStore(self.db),
                source,
                ShredLog(self.settings.shred_log_path),
                after_shred=self.db.flush_deleted,
                create=self._create_keyring,
            )
        except BaseException:
            self.db.dispose()
            raise
        self.vault = self.vault_class(self.keyring, self.settings.blob_dir)
        self.service_secrets = ServiceSecrets(self.db, self.keyring)
        self.index = VectorIndex(
            path=self.settings.chroma_path,
            host=self.settings.chroma_host,
            port=self.settings.chroma_port,
            ssl=self.settings.chroma_ssl,
            ca_file=self.settings.chroma_ca_file,
            token=self._chroma_token(),
            token_source=lambda: self.service_secrets.get(CHROMA_TOKEN),
        )
        self.audit = AuditTrail(
            self.db,
            self.audit_signer,
            checkpoint_every=self.settings.audit_checkpoint_every,
        )
        self.identifiers = IdentifierRegistry(self.db, self.keyring)
        self.privacy = PrivacyGate(
            self.keyring, self.detector_loaded, self.settings.data_dir, self.identifiers
        )
        install_log_filter(self.privacy, self.settings.log_policy)
        self.library = DocumentLibrary(
            self.db,
            self.index,
            self.vault,
            self.privacy,
            self.embedder_loaded,
            data_dir / "ingest.lock",
            max_bytes=self.settings.max_upload_bytes,
            chunk_chars=self.settings.chunk_chars,
            overlap_chars=self.settings.chunk_overlap_chars,
            embedder_named=self.embedder_named,
            default_embedder=self.settings.embedding_model,
        )
        # The organisation's directories, each when configured (docs/admin-guide.md,
        # "Directory sign-in"): they confirm their users' sessions again.
        directories: dict[str, Directory] = {}
        if self.settings.ldap_url:
            # ldap3 is imported only where a directory is configured.
            from appliance.accounts.ldap import LdapDirectory

            ldap = LdapDirectory.from_settings(self.settings)
            if ldap is not None:
                directories[ldap.source] = ldap
        if self.settings.oidc_issuer:
            directories.update(oidc=OpenIdConnect(self.settings, self.keyring, self.db))
        self.accounts = Accounts(self.db, self.audit, self.settings, directories)
        self.conversations = ConversationStore(self.db, self.keyring)
        self.models = ModelRegistry(self.settings, self.db, self._engine)
        # The hybrid gateway: off unless an administrator attached an endpoint.
        self.gateways = GatewayStore(self.db, self.keyring)
        self.pipeline = Pipeline(
            self.settings,
            db=self.db,
            index=self.index,
            vault=self.vault,
            audit=self.audit,
            privacy=self.privacy,
            library=self.library,
            models=self.models,
            embedder_loaded=self.embedder_loaded,
            gateways=self.gateways,
        )
        self.usage_ledger = UsageLedger(self.db)
        try:
            self.library.recover(blocking=False)
        except StoreError as exc:
            if self.index.server is None:
                raise
            # A Chroma server that refuses the token or is down must not keep the
            # appliance (and `appliance chroma token set`) from opening: the next
            # ingestion recovers first.
            log.warning("recovery postponed: %s", exc)
        self._opened = True
        return self

    def _chroma_token(self) -> str | None:
        """The Chroma server's bearer token from the key store (None: no server, or
        none set). One destroyed since the backup this directory came from is logged
        and left out: the server then refuses each request, saying how to set it."""
        if not self.settings.chroma_host:
            return None
        try:
            return self.service_secrets.get(CHROMA_TOKEN)
        except StoreError as exc:
            log.warning("%s", exc)
            return None

    def close(self) -> None:
        """Stop a supervised llama-server, commit and sign the audit trail's tail, then
        close the database."""
        if self._opened:
            self.models.close()  # a supervised llama-server stops with the appliance
            self.audit.checkpoint()  # at shutdown: the tail is committed and signed
            self.db.dispose()
            self._opened = False

    def audit_signer(self) -> Signer:
        """The audit trail's Ed25519 key (created on first use, wrapped under the KEK)."""
        if self._signer is None:
            self._signer = Signer.load_or_create(self.keyring, self.settings.keys_dir, "audit")
        return self._signer

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- models, loaded once -------------------------------------------------

    def embedder_loaded(self) -> Embedder:
        """The embedder of new collections (``embedding_model``), loaded on first use
        and shared by every caller."""
        return self.embedder_named(self.settings.embedding_model)

    def embedder_named(self, name: str) -> Embedder:
        """The embedder ``name`` (see :data:`appliance.embeddings.EMBEDDERS`), loaded on
        first use and shared. Raises :class:`ModelError` if unknown or not installed."""
        check_embedder_name(name)
        embedder = self._embedders.get(name)
        if embedder is not None:
            return embedder
        with self._embedder_lock:
            if name not in self._embedders:
                self._embedders[name] = load_embedder(
                    name,
                    self.settings.models_path,
                    max_tokens=self.settings.embedding_max_tokens,
                    batch_size=self.settings.embedding_batch_size,
                    n_threads=self.settings.n_threads,
                )
            return self._embedders[name]

    def detector_loaded(self) -> PiiDetector:
        """The PII detector (spaCy + Presidio), shared by every opened directory in the
        process."""
        from appliance.privacy.detector import shared_detector

        return shared_detector(self.settings.models_path / SPACY_EN_DIR)
