"""One typed settings object, read from ``appliance.toml`` and ``APPLIANCE_*``.

Precedence (highest first): explicit arguments, environment variables,
``<data_dir>/appliance.toml``, defaults. Settings are validated at start-up and
an invalid one raises :class:`~appliance.errors.ConfigError` naming it.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from appliance.errors import ConfigError

CONFIG_FILENAME = "appliance.toml"
# An installed appliance keeps its settings apart from its data (read-only /etc).
CONFIG_ENV = "APPLIANCE_CONFIG"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("appliance", appauthor=False))


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
    chroma_port: int = 8000

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
    # The privacy policy of plain chat through the API (no collection).
    chat_policy: str = Field(default="default", description="policy of chat without a collection")

    # The web server (`appliance serve`). TLS when both files are set (the installer
    # writes a self-signed pair); cookies are then marked Secure.
    host: str = Field(default="127.0.0.1", description="address the web server listens on")
    port: int = Field(default=8080, ge=1, le=65535)
    tls_cert: Path | None = Field(default=None, description="PEM certificate for HTTPS")
    tls_key: Path | None = Field(default=None, description="PEM private key for HTTPS")
    # Sign-in sessions end after this much inactivity, and in any case after max hours.
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_max_hours: int = Field(default=12, ge=1, le=24 * 14)
    # After this many failed sign-ins an account is locked; the lock doubles with each
    # further failure (from lockout_seconds up to an hour).
    signin_max_failures: int = Field(default=5, ge=1, le=100)
    lockout_seconds: int = Field(default=60, ge=1, le=3600)
    # Per client address (sign-in) and per user (questions, uploads).
    signin_rate_per_minute: int = Field(default=20, ge=1)
    chat_rate_per_minute: int = Field(default=30, ge=1)
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

    top_k: int = Field(default=5, ge=1, le=50)
    # Cosine similarity below which a dense hit alone does not count as relevant, for
    # collections embedded by all-MiniLM-L6-v2 ...
    min_dense_similarity: float = Field(default=0.30, ge=-1.0, le=1.0)
    # ... and by use-multilingual-v3, whose question-to-passage cosines run lower (median
    # 0.16 for the right passage on bench/bench_multilingual.py; bench/RESULTS.md).
    multilingual_min_dense_similarity: float = Field(default=0.15, ge=-1.0, le=1.0)

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
    # Sections are for humans; flatten [llm] n_ctx = ... into n_ctx.
    flat: dict[str, Any] = {}
    for key, value in data.items():
        items = value.items() if isinstance(value, dict) else [(key, value)]
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
