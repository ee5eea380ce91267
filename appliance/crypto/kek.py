"""Where the key-encryption key (KEK) comes from. The data directory never holds it.

Two kinds of secret unlock a data directory:

* a **passphrase** (typed, or ``APPLIANCE_PASSPHRASE`` for containers),
  stretched with Argon2id;
* a **key file** outside the data directory, mode 0600 (``APPLIANCE_KEY_FILE``
  or the ``key_file`` setting), expanded with HKDF-SHA256.

Each KEK version stores only its salt, its KDF parameters and a verifier (a
known value sealed under it) so a wrong secret is recognised before anything
is touched.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from appliance.errors import ConfigError, KeyUnavailable, WrongPassphrase
from appliance.files import is_inside

KEK_BYTES = 32
MIN_PASSPHRASE_CHARS = 12
PASSPHRASE_ENV = "APPLIANCE_PASSPHRASE"
KEY_FILE_ENV = "APPLIANCE_KEY_FILE"
# RFC 9106's second recommended option (64 MiB, 3 passes); about 0.2 s here.
ARGON2_MEMORY_KIB = 64 * 1024
ARGON2_ITERATIONS = 3
ARGON2_LANES = 4

SourceKind = Literal["passphrase", "key_file"]


@dataclass(frozen=True)
class KeySource:
    """A secret that derives the KEK, and where it came from (for messages)."""

    kind: SourceKind
    secret: bytes = field(repr=False)
    origin: str

    @classmethod
    def passphrase(cls, value: str, origin: str = "passphrase") -> KeySource:
        if not value:
            raise KeyUnavailable("the passphrase is empty.")
        return cls("passphrase", value.encode("utf-8"), origin)

    @classmethod
    def key_file(cls, path: Path, data_dir: Path | None = None) -> KeySource:
        return cls("key_file", read_key_file(path, data_dir), str(path))

    def describe(self) -> str:
        return (
            f"the passphrase ({self.origin})"
            if self.kind == "passphrase"
            else (f"the key file {self.origin}")
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


def new_kdf_params(source: KeySource) -> str:
    """Fresh KDF parameters (with a new salt) for a new KEK version, as JSON."""
    salt = os.urandom(16)
    if source.kind == "passphrase":
        params: dict[str, Any] = {
            "kdf": "argon2id",
            "salt": _b64(salt),
            "memory_kib": ARGON2_MEMORY_KIB,
            "iterations": ARGON2_ITERATIONS,
            "lanes": ARGON2_LANES,
        }
    else:
        params = {"kdf": "hkdf-sha256", "salt": _b64(salt)}
    return json.dumps(params, sort_keys=True)


def derive_kek(source: KeySource, params_json: str) -> bytes:
    params = json.loads(params_json)
    expected = "passphrase" if params["kdf"] == "argon2id" else "key_file"
    if expected != source.kind:
        wanted = "a passphrase" if expected == "passphrase" else "a key file"
        fix = (
            f"set {PASSPHRASE_ENV} and unset the key file ({KEY_FILE_ENV}, or key_file in "
            "appliance.toml)"
            if expected == "passphrase"
            else f"set {KEY_FILE_ENV} (or key_file in appliance.toml) and unset {PASSPHRASE_ENV}"
        )
        raise WrongPassphrase(
            f"this data directory is locked with {wanted}, but {source.describe()} was given: "
            f"{fix}."
        )
    salt = _unb64(params["salt"])
    if params["kdf"] == "argon2id":
        return Argon2id(
            salt=salt,
            length=KEK_BYTES,
            iterations=params["iterations"],
            lanes=params["lanes"],
            memory_cost=params["memory_kib"],
        ).derive(source.secret)
    return HKDF(
        algorithm=hashes.SHA256(), length=KEK_BYTES, salt=salt, info=b"appliance-kek"
    ).derive(source.secret)


def read_key_file(path: Path, data_dir: Path | None = None) -> bytes:
    path = Path(path).expanduser()
    try:
        st = path.stat()
    except FileNotFoundError:
        raise KeyUnavailable(
            f"key file expected at {path} (from {KEY_FILE_ENV} or the key_file setting) "
            "was not found. Mount or copy it there, or point the setting at it."
        ) from None
    except OSError as exc:
        raise KeyUnavailable(f"key file {path} cannot be read ({exc.strerror}).") from None
    if not stat.S_ISREG(st.st_mode):
        raise KeyUnavailable(f"key file {path} is not a regular file.")
    if st.st_mode & 0o077:
        raise KeyUnavailable(
            f"key file {path} is readable by other users (mode {stat.S_IMODE(st.st_mode):o}); "
            f"run `chmod 600 {path}`."
        )
    if data_dir is not None and is_inside(path, data_dir):
        raise KeyUnavailable(
            f"key file {path} lies inside the data directory {data_dir}; a stolen copy of the "
            "directory would carry its own key. Move it elsewhere (e.g. /etc/appliance/)."
        )
    secret = path.read_bytes().strip()
    if len(secret) < KEK_BYTES:
        raise KeyUnavailable(
            f"key file {path} holds {len(secret)} bytes; at least {KEK_BYTES} are needed. "
            "Create one with `appliance keys new-key-file PATH`."
        )
    return secret


def create_key_file(path: Path) -> Path:
    """Write a new random key file (mode 0600); never overwrites one."""
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyUnavailable(f"{path} already exists; a key file is never overwritten.") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(_b64(os.urandom(48)) + "\n")
    return path


def resolve_key_source(
    key_file: Path | None,
    data_dir: Path | None,
    prompt: Any = None,
    env: Mapping[str, str] | None = None,
) -> KeySource:
    """The environment's passphrase, else the key file, else ask ``prompt()``."""
    env = os.environ if env is None else env
    passphrase = env.get(PASSPHRASE_ENV)
    if passphrase and key_file is not None:
        raise ConfigError(
            f"both {PASSPHRASE_ENV} and a key file ({key_file}) are set; keep one of them."
        )
    if passphrase:
        return KeySource.passphrase(passphrase, PASSPHRASE_ENV)
    if key_file is not None:
        return KeySource.key_file(key_file, data_dir)
    if prompt is not None:
        return KeySource.passphrase(prompt(), "typed")
    raise KeyUnavailable(
        f"the data directory is encrypted and no key was given: set {PASSPHRASE_ENV}, or "
        f"{KEY_FILE_ENV} to a key file, or run the command in a terminal to type the passphrase."
    )
