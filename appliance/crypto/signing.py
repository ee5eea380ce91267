"""Ed25519 signing keys kept apart from the database, wrapped under the KEK.

The audit trail signs its checkpoints with one; anyone holding the public key
can verify them offline, without the data directory or its passphrase.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from appliance.crypto.keyring import Keyring, RotatingSecret
from appliance.errors import CryptoError

_RAW = serialization.Encoding.Raw
_RAW_PUB = serialization.PublicFormat.Raw


def fingerprint(public_raw: bytes) -> str:
    """SHA-256 of the raw public key, as colon-separated hex pairs (first 16 bytes)."""
    digest = hashlib.sha256(public_raw).hexdigest()[:32]
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def public_key_pem(public_raw: bytes) -> str:
    return (
        Ed25519PublicKey.from_public_bytes(public_raw)
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def load_public_key_pem(pem: str | bytes) -> bytes:
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise CryptoError(f"not a PEM public key ({exc}).") from None
    if not isinstance(key, Ed25519PublicKey):
        raise CryptoError("the public key is not an Ed25519 key.")
    return key.public_bytes(_RAW, _RAW_PUB)


def verify_signature(public_raw: bytes, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


class Signer:
    """One named signing key, stored as ``<keys_dir>/<name>.json``."""

    def __init__(self, keyring: Keyring, path: Path, private: Ed25519PrivateKey) -> None:
        self._keyring = keyring
        self.path = path
        self._private = private
        self.public_raw = private.public_key().public_bytes(_RAW, _RAW_PUB)

    @classmethod
    def load_or_create(cls, keyring: Keyring, keys_dir: Path, name: str) -> Signer:
        """The named key; made once, under a lock, so processes starting together
        share one key instead of each writing its own."""
        keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with (keys_dir / f".{name}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                return cls._load_or_create_locked(keyring, keys_dir, name)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @classmethod
    def _load_or_create_locked(cls, keyring: Keyring, keys_dir: Path, name: str) -> Signer:
        path = keys_dir / f"{name}.json"
        place = ("signing-key", name)
        if path.exists():
            try:
                record = json.loads(path.read_text())
                raw = keyring.unwrap_secret(record["wrapped"], *place)
            except (ValueError, KeyError) as exc:
                raise CryptoError(f"{path}: damaged signing-key file ({exc}).") from None
            return cls(keyring, path, Ed25519PrivateKey.from_private_bytes(raw))
        private = Ed25519PrivateKey.generate()
        raw = private.private_bytes(
            _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        signer = cls(keyring, path, private)
        signer._save(keyring.wrap_secret(raw, *place))
        return signer

    def _save(self, wrapped: dict[str, str]) -> None:
        record: dict[str, object] = {
            "algorithm": "ed25519",
            "public_key": self.public_raw.hex(),
            "fingerprint": fingerprint(self.public_raw),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "wrapped": wrapped,
        }
        _write_json(self.path, record)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_raw)

    def public_key_pem(self) -> str:
        return public_key_pem(self.public_raw)

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)


def _write_json(path: Path, record: dict[str, object]) -> None:
    """Write atomically (temp file, fsync, rename), owner-only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(record, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def rotation_entries(keys_dir: Path) -> list[RotatingSecret]:
    """For :meth:`Keyring.rotate`: every signing key file, so it moves to the new KEK too."""
    entries: list[RotatingSecret] = []
    for path in sorted(keys_dir.glob("*.json")) if keys_dir.is_dir() else []:
        try:
            record = json.loads(path.read_text())
            record["wrapped"]
        except (ValueError, KeyError, TypeError):
            raise CryptoError(
                f"{path}: damaged signing-key file; restore it from a backup before rotating."
            ) from None

        def save(
            wrapped: dict[str, str], path: Path = path, record: dict[str, Any] = record
        ) -> None:
            _write_json(path, {**record, "wrapped": wrapped})

        entries.append((record["wrapped"], ("signing-key", path.stem), save))
    return entries
