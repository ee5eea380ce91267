"""One typed settings object, read from ``appliance.toml`` and ``APPLIANCE_*``.

Precedence (highest first): explicit arguments, environment variables,
``<data_dir>/appliance.toml``, defaults. Settings are validated at start-up and
an invalid one raises :class:`~appliance.errors.ConfigError` naming it.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal, get_origin
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from appliance.errors import ConfigError

CONFIG_FILENAME = "appliance.toml"
# An installed appliance keeps its settings apart from its data (read-only /etc).
CONFIG_ENV = "APPLIANCE_CONFIG"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("appliance", appauthor=False))


# The supervised llama-server's options the appliance sets itself (appliance.llm
# .registry starts the child with them); llama_server_args may not repeat them.
LLAMA_SERVER_OWNED_ARGS = (
    "-m", "--model", "-a", "--alias", "--host", "--port", "--api-key", "--api-key-file",
    "-np", "--parallel", "-c", "--ctx-size", "-t", "--threads", "-tb", "--threads-batch",
    "-ngl", "--gpu-layers", "--n-gpu-layers", "--no-webui",
)  # fmt: skip


class Settings(BaseSettings):
    """Every knob of the appliance, with its default."""

    model_config = SettingsConfigDict(env_prefix="APPLIANCE_", extra="forbid")

    data_dir: Path = Field(default_factory=default_data_dir)
    # Models live apart from data so several data directories (tests, tenants)
    # share one verified copy; defaults to <data_dir>/models.
    model_dir: Path | None = None

    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; defaults to SQLite in the data directory"
    )
    chroma_host: str | None = Field(
        default=None, description="Chroma server host; embedded PersistentClient when unset"
    )
    chroma_port: int = Field(default=8000, ge=1, le=65535)
    # Chroma 1.x's server has no authentication: put a proxy that requires a bearer
    # token in front of it (docs/admin-guide.md, "A Chroma server"); the appliance's
    # token is sealed in the key store (`appliance chroma token set`), never a setting.
    chroma_ssl: bool = Field(default=False, description="reach the Chroma server over https")
    chroma_ca_file: Path | None = Field(
        default=None, description="PEM CA certificate(s) the Chroma server's proxy is checked on"
    )

    # A signed checkpoint of the audit trail every this many records (and hourly, and
    # when the appliance closes).
    audit_checkpoint_every: int = Field(default=100, ge=1, le=100000)
    # Audit records are kept this long (at least 6 months), unless on legal hold.
    audit_retention_days: int = Field(default=365, ge=183, le=36500)
    audit_legal_hold: bool = False

    # Whose `log` stage filters the appliance's own log messages.
    log_policy: str = Field(default="default", description="policy applied to log messages")

    # For the record of processing (`appliance gdpr ropa`) and subject-access exports.
    organisation: str = Field(default="", description="the data controller's name")
    dpo_contact: str = Field(default="", description="how to reach the data protection officer")

    # The key-encryption key comes from this file (outside the data directory, mode
    # 0600), or from a passphrase (APPLIANCE_PASSPHRASE, or typed at a terminal).
    key_file: Path | None = Field(
        default=None, description="key file unlocking the data directory (env APPLIANCE_KEY_FILE)"
    )

    chat_model: str = Field(
        default="SmolLM2-135M-Instruct.Q4_1.gguf",
        description="GGUF file name in model_dir, or an absolute path",
    )
    n_ctx: int = Field(default=4096, ge=256, le=131072)
    n_threads: int | None = Field(default=None, ge=1, description="None: physical cores")
    n_gpu_layers: int = Field(default=0, ge=-1, description="-1 offloads every layer")
    max_tokens: int = Field(default=384, ge=1, le=32768)
    temperature: float = Field(default=0.2, ge=0.0, le=2.0)
    # Answers from documents are short: a few sentences with citations. A longer budget
    # only gives a small model room to wander (bench/RESULTS.md, question answering).
    answer_max_tokens: int = Field(default=200, ge=16, le=32768)
    # llama.cpp's repetition penalty for answers (1.0: off); measured on the question-
    # answering benchmark's development split (bench/RESULTS.md).
    repeat_penalty: float = Field(default=1.1, ge=1.0, le=2.0)

    embedding_batch_size: int = Field(default=32, ge=1, le=1024)
    embedding_max_tokens: int = Field(default=256, ge=16, le=512)
    # The embedder of collections created from now on; an existing collection keeps its
    # own until `appliance collections reembed NAME --embedder X` moves it.
    # all-MiniLM-L6-v2 reads English; use-multilingual-v3 reads 16 languages (de, fr,
    # it, es, nl, pl, pt...; bench/RESULTS.md, multilingual retrieval).
    embedding_model: Literal["all-MiniLM-L6-v2", "use-multilingual-v3"] = Field(
        default="all-MiniLM-L6-v2", description="embedder of new collections"
    )

    max_upload_bytes: int = Field(default=100 * 1024 * 1024, ge=1)
    # all-MiniLM-L6-v2 reads 256 tokens; 900-character chunks of PDF text exceeded that
    # a third of the time (bench/RESULTS.md), so the default stays under it.
    chunk_chars: int = Field(default=700, ge=200, le=8000)
    chunk_overlap_chars: int = Field(default=120, ge=0, le=2000)

    # Serving many users: model instances decoding in parallel (each holds its own KV
    # cache; the weights are shared), requests allowed to wait, and each request's limit.
    engine_instances: int = Field(default=1, ge=1, le=32)
    queue_max: int = Field(default=64, ge=1, le=10000)
    request_timeout_s: int = Field(default=300, ge=5, le=3600)
    # How a document summary's overview is made (appliance.rag.summaries): "extractive"
    # picks it from the verified section statements; "model" has the model write it
    # from them (worth it only with a model larger than the default: bench/RESULTS.md
    # §14 measured 0 of 30 key points in the default model's written overview).
    summary_overview: Literal["extractive", "model"] = Field(
        default="extractive", description="extractive (picked statements) or model (written)"
    )
    # Where answers are generated (docs/admin-guide.md, "Inference backends"):
    # "in-process": llama-cpp-python inside the appliance, one sequence per instance;
    # "llama-server": llama.cpp's server as a child the appliance starts and supervises
    # on 127.0.0.1 (parallel slots decoded in one batch); "remote": the llama-server
    # nodes of llama_server_urls; "auto": the web server uses the supervised
    # llama-server when its binary is found (else in-process, with a warning), one-shot
    # commands answer in-process (bench/RESULTS.md §13: the supervised server is as
    # fast for one user, 1.6x with fresh prompts, and 1.6-2.1x at 16 clients). The
    # fair per-user queue stays in the appliance.
    inference_backend: Literal["auto", "in-process", "llama-server", "remote"] = Field(
        default="auto", description="auto, in-process, llama-server (supervised) or remote"
    )
    llama_server_binary: Path | None = Field(
        default=None, description="llama-server binary; None: the venv's bin, then PATH"
    )
    # Parallel slots of the supervised child, each of n_ctx tokens (--ctx-size is their
    # product; each slot's KV cache takes memory). None: 4 per physical core, at most 16
    # (16 slots on 2 cores measured best in issue 20's run).
    llama_server_slots: int | None = Field(default=None, ge=1, le=256)
    # More of llama-server's own options for the supervised child (e.g. ["--poll",
    # "0"], ["--cache-type-k", "q8_0"]); the appliance's own (model, address, key,
    # slots, context, threads) cannot be given here.
    llama_server_args: list[str] = Field(
        default_factory=list, description="further llama-server options for the child"
    )
    llama_server_urls: list[str] = Field(
        default_factory=list, description="remote llama-server nodes (http://host:port)"
    )
    llama_server_api_key: SecretStr | None = Field(
        default=None, description="the remote nodes' --api-key"
    )
    llama_server_health_s: float = Field(default=5.0, ge=0.2, le=300.0)
    # The privacy policy of plain chat through the API (no collection).
    chat_policy: str = Field(default="default", description="policy of chat without a collection")

    # The web server (`appliance serve`). TLS when both files are set (the installer
    # writes a self-signed pair); cookies are then marked Secure.
    host: str = Field(default="127.0.0.1", description="address the web server listens on")
    port: int = Field(default=8080, ge=1, le=65535)
    tls_cert: Path | None = Field(default=None, description="PEM certificate for HTTPS")
    tls_key: Path | None = Field(default=None, description="PEM private key for HTTPS")
    # Reverse proxies in front of `appliance serve` (addresses or networks): from these
    # peers only, the client's address and scheme are taken from X-Forwarded-For and
    # X-Forwarded-Proto, so sign-in limits and the audit trail see the real client.
    trusted_proxies: list[str] = Field(
        default_factory=list, description="reverse proxies whose X-Forwarded-* are believed"
    )
    # Sign-in sessions end after this much inactivity, and in any case after max hours.
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_max_hours: int = Field(default=12, ge=1, le=24 * 14)
    # After this many failed sign-ins an account is locked; the lock doubles with each
    # further failure (from lockout_seconds up to an hour).
    signin_max_failures: int = Field(default=5, ge=1, le=100)
    lockout_seconds: int = Field(default=60, ge=1, le=3600)
    # Sign-in through the organisation's directory (LDAP/AD, OpenID Connect;
    # docs/admin-guide.md "Directory sign-in"). Directory groups (an LDAP group's DN, an
    # OpenID groups-claim value) map to a role (the highest of a user's mapped groups
    # wins; a user with none is refused) and to local groups, whose collection grants
    # the user then holds. The provider confirms a signed-in user again this often.
    directory_roles: dict[str, str] = Field(
        default_factory=dict, description="directory group -> role (staff, compliance, admin)"
    )
    directory_groups: dict[str, str] = Field(
        default_factory=dict, description="directory group -> local group (its grants apply)"
    )
    directory_recheck_minutes: int = Field(default=5, ge=1, le=24 * 60)
    # Local passwords may be switched off once the directory signs people in; the
    # break-glass administrator (a local account) can always sign in with a password.
    local_signin: bool = True
    break_glass_admin: str | None = Field(
        default=None, description="local administrator who may sign in when local_signin is off"
    )
    # LDAP / Active Directory sign-in (appliance.accounts.ldap): the user's entry is
    # found with the service account (ldap_bind_dn), then the password is checked by a
    # bind as the user. Always over TLS (ldaps://, or ldap:// with StartTLS), the
    # server's certificate verified against ldap_ca_file (the system's CAs when unset).
    ldap_url: str | None = Field(
        default=None, description="ldaps://host[:port], or ldap://host with ldap_starttls"
    )
    ldap_starttls: bool = False
    ldap_ca_file: Path | None = Field(
        default=None, description="PEM CA certificate(s) the directory's certificate is checked on"
    )
    ldap_bind_dn: str | None = Field(default=None, description="the service account's DN")
    ldap_bind_password: SecretStr | None = Field(
        default=None,
        description="the service account's password (env APPLIANCE_LDAP_BIND_PASSWORD)",
    )
    ldap_user_base: str = Field(default="", description="where users are searched (subtree)")
    ldap_user_filter: str = Field(
        default="(uid={username})", description="AD: (sAMAccountName={username})"
    )
    ldap_username_attribute: str = Field(
        default="uid", description="the attribute holding the user name; AD: sAMAccountName"
    )
    ldap_group_base: str = Field(default="", description="where groups are searched (subtree)")
    # Active Directory: nested groups through the server's LDAP_MATCHING_RULE_IN_CHAIN,
    # disabled accounts through userAccountControl.
    ldap_active_directory: bool = False
    ldap_timeout_seconds: int = Field(default=10, ge=1, le=120)
    # OpenID Connect sign-in ("Sign in with <oidc_display_name>"); off while oidc_issuer
    # is unset. The issuer must be https (http only on loopback, for tests); its TLS
    # certificate is verified against the system's CAs or oidc_ca_file.
    oidc_issuer: str | None = Field(
        default=None, description="the OpenID provider's issuer URL (discovery is read from it)"
    )
    oidc_client_id: str = Field(default="", description="the appliance's client id there")
    # Never logged nor shown; better given as APPLIANCE_OIDC_CLIENT_SECRET.
    oidc_client_secret: SecretStr | None = Field(
        default=None, description="the client secret (env APPLIANCE_OIDC_CLIENT_SECRET)"
    )
    oidc_scopes: str = Field(
        default="openid profile offline_access", description="scopes asked for, space-separated"
    )
    oidc_groups_claim: str = Field(default="groups", description="ID token claim with the groups")
    oidc_username_claim: str = Field(
        default="preferred_username", description="claim with the user name (lower-cased)"
    )
    oidc_ca_file: Path | None = Field(
        default=None, description="PEM file of the CA that signed the provider's certificate"
    )
    oidc_clock_skew_seconds: int = Field(default=60, ge=0, le=600)
    oidc_display_name: str = Field(
        default="single sign-on", max_length=64, description="label of the sign-in button"
    )
    # Per client address (sign-in) and per user (questions, uploads).
    signin_rate_per_minute: int = Field(default=20, ge=1)
    chat_rate_per_minute: int = Field(default=30, ge=1)
    # Where those counts are kept: memory:// counts in each web process alone (one
    # process); several processes or machines behind one proxy share a Redis
    # (redis://HOST:PORT/DB) so a limit is one limit whichever process a request reaches.
    rate_limit_storage_url: str = Field(
        default="memory://",
        description="rate-limit counters: memory:// (one process) or redis://HOST:PORT/DB",
    )
    # Conversation history (sealed) is deleted after this many days.
    conversation_retention_days: int = Field(default=30, ge=1, le=3650)

    # Scheduled upkeep inside the web server (appliance.service.upkeep): it looks for
    # due jobs this often; each job runs at its own interval; a run holds its job's
    # lease this long (a runner that dies loses the job to the next one after it).
    upkeep_tick_seconds: int = Field(default=60, ge=1, le=3600)
    upkeep_lease_minutes: int = Field(default=60, ge=1, le=24 * 60)
    upkeep_checkpoint_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    upkeep_conversations_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    upkeep_retention_minutes: int = Field(default=24 * 60, ge=1, le=31 * 24 * 60)
    upkeep_audit_purge_minutes: int = Field(default=24 * 60, ge=1, le=31 * 24 * 60)
    upkeep_backup_minutes: int = Field(default=24 * 60, ge=1, le=31 * 24 * 60)
    upkeep_checks_minutes: int = Field(default=24 * 60, ge=1, le=31 * 24 * 60)
    # The backup job writes an encrypted backup here (outside the data directory) and
    # keeps the newest backup_keep of its own; unset: no scheduled backups.
    backup_dir: Path | None = Field(default=None, description="folder for scheduled backups")
    backup_keep: int = Field(default=7, ge=1, le=1000)

    # Usage and cost (the administration's Usage page, `appliance usage`): figures the
    # administrator enters; nothing is built in. Unset: that part of the cost is not shown.
    cost_currency: str = Field(default="EUR", max_length=16, description="currency of prices")
    cost_hardware_price: float | None = Field(default=None, ge=0, description="purchase price")
    cost_hardware_years: float | None = Field(
        default=None, gt=0, le=50, description="years the hardware is written off over"
    )
    cost_power_watts: float | None = Field(default=None, ge=0, description="draw while busy")
    cost_kwh_price: float | None = Field(default=None, ge=0, description="electricity per kWh")
    cost_api_input_per_million: float | None = Field(
        default=None, ge=0, description="a pay-per-token API's price per million prompt tokens"
    )
    cost_api_output_per_million: float | None = Field(
        default=None, ge=0, description="its price per million completion tokens"
    )

    top_k: int = Field(default=5, ge=1, le=50)
    # Cosine similarity below which a dense hit alone does not count as relevant, for
    # collections embedded by all-MiniLM-L6-v2 ...
    min_dense_similarity: float = Field(default=0.30, ge=-1.0, le=1.0)
    # ... and by use-multilingual-v3, whose question-to-passage cosines run lower (median
    # 0.16 for the right passage on bench/bench_multilingual.py; bench/RESULTS.md).
    multilingual_min_dense_similarity: float = Field(default=0.15, ge=-1.0, le=1.0)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, v: list[str]) -> list[str]:
        for entry in v:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or network (e.g. 10.0.0.2 or 10.0.0.0/24)"
                ) from None
        return v

    @field_validator("rate_limit_storage_url")
    @classmethod
    def _known_rate_limit_storage(cls, v: str) -> str:
        schemes = ("memory://", "redis://", "rediss://", "redis+unix://", "redis+sentinel://")
        if not v.startswith(schemes):
            raise ValueError(
                "must be memory:// (one web process) or a Redis URL such as "
                "redis://127.0.0.1:6379/0 (several processes)"
            )
        return v

    @field_validator("chunk_overlap_chars")
    @classmethod
    def _overlap_smaller_than_chunk(cls, v: int, info: Any) -> int:
        size = info.data.get("chunk_chars", 700)
        if v >= size:
            raise ValueError(f"must be smaller than chunk_chars ({size})")
        return v

    @model_validator(mode="after")
    def _answer_fits_context(self) -> Settings:
        for name in ("max_tokens", "answer_max_tokens"):
            if getattr(self, name) > self.n_ctx - 256:
                raise ValueError(
                    f"{name} ({getattr(self, name)}) must leave at least 256 tokens of n_ctx "
                    f"({self.n_ctx}) for the question and its sources"
                )
        return self

    @field_validator("directory_roles")
    @classmethod
    def _known_roles(cls, v: dict[str, str]) -> dict[str, str]:
        roles = ("staff", "compliance_officer", "admin")  # appliance.store.schema.Role
        for group, role in v.items():
            if role not in roles:
                raise ValueError(f"{group!r} maps to {role!r}; a role is one of {', '.join(roles)}")
        return v

    @model_validator(mode="after")
    def _ldap_complete(self) -> Settings:
        """An LDAP directory is only ever spoken to over verified TLS, with a service
        account, a user base, a group base and a filter that takes the user name."""
        if not self.ldap_url:
            return self
        url = self.ldap_url.strip().lower()
        if url.startswith("ldaps://"):
            if self.ldap_starttls:
                raise ValueError("ldap_starttls is for ldap:// URLs; ldaps:// is TLS already")
        elif url.startswith("ldap://"):
            if not self.ldap_starttls:
                raise ValueError(
                    f"ldap_url {self.ldap_url} would send passwords in clear: use "
                    "ldaps://, or set ldap_starttls = true"
                )
        else:
            raise ValueError(f"ldap_url {self.ldap_url} must start with ldaps:// or ldap://")
        missing = [
            name
            for name in ("ldap_bind_dn", "ldap_bind_password", "ldap_user_base", "ldap_group_base")
            if not getattr(self, name)
        ]
        if missing:
            raise ValueError(f"ldap_url is set, so {', '.join(missing)} must be set too")
        if "{username}" not in self.ldap_user_filter:
            raise ValueError(
                "ldap_user_filter must contain {username}, e.g. (uid={username}) or "
                "(sAMAccountName={username})"
            )
        if self.ldap_ca_file is not None and not self.ldap_ca_file.is_file():
            raise ValueError(f"ldap_ca_file {self.ldap_ca_file} is not a file")
        return self

    @model_validator(mode="after")
    def _oidc_complete(self) -> Settings:
        if not self.oidc_issuer:
            return self
        issuer = urlsplit(self.oidc_issuer)
        loopback = issuer.hostname in ("localhost", "::1") or (issuer.hostname or "").startswith(
            "127."
        )
        if issuer.scheme != "https" and not (issuer.scheme == "http" and loopback):
            raise ValueError(
                f"oidc_issuer ({self.oidc_issuer}) must be an https:// URL (http only for a "
                "provider on this machine's loopback)"
            )
        if not self.oidc_client_id:
            raise ValueError("oidc_issuer is set but oidc_client_id is not: set both")
        if "openid" not in self.oidc_scopes.split():
            raise ValueError(f"oidc_scopes ({self.oidc_scopes!r}) must include 'openid'")
        if self.oidc_ca_file is not None and not self.oidc_ca_file.is_file():
            raise ValueError(f"oidc_ca_file ({self.oidc_ca_file}) is not a readable file")
        return self

    @model_validator(mode="after")
    def _backend_complete(self) -> Settings:
        if self.inference_backend == "remote" and not self.llama_server_urls:
            raise ValueError(
                "inference_backend is 'remote' but llama_server_urls is empty: list the "
                "nodes (http://host:port)"
            )
        owned = set(LLAMA_SERVER_OWNED_ARGS)
        for arg in self.llama_server_args:
            if arg.split("=", 1)[0] in owned:
                raise ValueError(
                    f"llama_server_args: {arg.split('=', 1)[0]} is set by the appliance "
                    "(use the setting for it: chat_model, llama_server_slots, n_ctx, "
                    "n_threads, n_gpu_layers)"
                )
        for url in self.llama_server_urls:
            if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
                raise ValueError(f"llama_server_urls: {url!r} is not an http(s)://host:port URL")
        return self

    @model_validator(mode="after")
    def _tls_pair(self) -> Settings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together: set both or neither")
        return self

    @model_validator(mode="after")
    def _backups_elsewhere(self) -> Settings:
        folder = self.backup_dir
        if folder is None:
            return self
        if not folder.is_absolute():
            raise ValueError(f"backup_dir ({folder}) must be an absolute path")
        data = self.data_dir.resolve()
        if folder.resolve() == data or data in folder.resolve().parents:
            raise ValueError(
                f"backup_dir ({folder}) lies inside the data directory; choose a folder "
                "elsewhere (another disk)"
            )
        return self

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    @property
    def incoming_dir(self) -> Path:
        """Uploads wait here (inside the private data directory) until sealed."""
        return self.data_dir / "incoming"

    @property
    def models_path(self) -> Path:
        """``model_dir`` when set; else ``<data_dir>/models`` when it exists; else the
        ``.models`` folder of the checkout this package runs from (where ``make run``
        puts the default models) when it exists; else ``<data_dir>/models``."""
        if self.model_dir is not None:
            return self.model_dir
        own = self.data_dir / "models"
        if own.is_dir():
            return own
        checkout = checkout_models_dir()
        return checkout if checkout is not None else own

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'appliance.db'}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def shred_log_path(self) -> Path:
        return self.data_dir / "shredded.jsonl"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def chat_model_path(self) -> Path:
        p = Path(self.chat_model)
        return p if p.is_absolute() else self.models_path / p


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}). Fix the file or remove it.") from exc
    # Sections are for humans; flatten [llm] n_ctx = ... into n_ctx. A section named
    # after a mapping setting ([directory_roles]) is that setting's value.
    mappings = {n for n, f in Settings.model_fields.items() if get_origin(f.annotation) is dict}
    flat: dict[str, Any] = {}
    for key, value in data.items():
        nested = isinstance(value, dict) and key not in mappings
        items = value.items() if nested else [(key, value)]
        for name, item in items:
            if name in flat:
                raise ConfigError(f"{path}: setting {name!r} is given twice; keep one.")
            flat[name] = item
    return flat


def load_settings(data_dir: Path | str | None = None, **overrides: Any) -> Settings:
    """Build the settings for a data directory, validating every value."""
    central = os.environ.get(CONFIG_ENV)
    central_values = _read_toml(Path(central)) if central else {}
    if data_dir is None:
        env_dir = os.environ.get("APPLIANCE_DATA_DIR") or central_values.get("data_dir")
        data_dir = Path(env_dir) if env_dir else default_data_dir()
    data_dir = Path(data_dir).expanduser().resolve()
    file_values = dict(central_values) if central else _read_toml(data_dir / CONFIG_FILENAME)
    file_values.pop("data_dir", None)
    env_keys = {k[len("APPLIANCE_") :].lower() for k in os.environ if k.startswith("APPLIANCE_")}
    # Environment beats the file: drop file values the environment sets.
    init = {k: v for k, v in file_values.items() if k not in env_keys}
    init.update({k: v for k, v in overrides.items() if v is not None})
    init["data_dir"] = data_dir
    # A relative model_dir in the file means relative to the data directory.
    from_file = "model_dir" in file_values and overrides.get("model_dir") is None
    if from_file and init.get("model_dir") and not Path(init["model_dir"]).is_absolute():
        init["model_dir"] = data_dir / init["model_dir"]
    try:
        return Settings(**init)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(
            f"invalid settings ({problems}). Check {data_dir / CONFIG_FILENAME} "
            "and APPLIANCE_* environment variables."
        ) from exc


def checkout_models_dir() -> Path | None:
    """``.models`` beside the ``appliance`` package of a source checkout (an editable
    install, as ``make run`` makes), if there is one; None for an installed wheel."""
    folder = Path(__file__).resolve().parent.parent / ".models"
    return folder if folder.is_dir() else None


def config_path(data_dir: Path) -> Path:
    """The settings file: ``$APPLIANCE_CONFIG`` (an installed appliance's
    /etc/appliance/appliance.toml) or the data directory's appliance.toml."""
    central = os.environ.get(CONFIG_ENV)
    return Path(central) if central else Path(data_dir) / CONFIG_FILENAME


def remember_setting(data_dir: Path, name: str, value: str) -> Path:
    """Set a top-level ``name = "value"`` in the settings file (see :func:`config_path`).

    Replaces an existing top-level line for ``name`` or puts one before the first
    section; the rest of the file (comments, sections) is kept as written.
    """
    path = config_path(data_dir)
    line = f"{name} = {json.dumps(value)}"
    lines = path.read_text().splitlines() if path.exists() else []
    first_section = next((i for i, x in enumerate(lines) if x.lstrip().startswith("[")), len(lines))
    for i in range(first_section):
        if re.match(rf"\s*{re.escape(name)}\s*=", lines[i]):
            lines[i] = line
            break
    else:
        lines.insert(first_section, line)
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # never write a file the appliance cannot read back
    path.write_text(text)
    path.chmod(0o600)
    return path


def forget_setting(data_dir: Path, name: str) -> bool:
    """Remove a top-level ``name = ...`` line from the settings file; True if there was one."""
    path = config_path(data_dir)
    if not path.exists():
        return False
    lines = path.read_text().splitlines()
    first_section = next((i for i, x in enumerate(lines) if x.lstrip().startswith("[")), len(lines))
    kept = [
        x
        for i, x in enumerate(lines)
        if i >= first_section or not re.match(rf"\s*{re.escape(name)}\s*=", x)
    ]
    if len(kept) == len(lines):
        return False
    text = "\n".join(kept) + "\n"
    tomllib.loads(text)
    path.write_text(text)
    return True
