"""The keyring: a versioned KEK, data keys wrapped under it, rotation and shredding.

Envelope encryption: each document, data subject or conversation has its own
random data key (DEK). DEKs are stored only *wrapped* (AES-GCM under the KEK,
bound to their id, scope, owner and KEK version). The KEK itself is derived
from a secret the data directory never holds (see :mod:`appliance.crypto.kek`).

Shredding a DEK deletes its wrapped copy and records its id in the shred log,
a file kept out of backups so a restored backup can be re-shredded.

The keyring stores through a :class:`KeyStore` (implemented by the store room)
so this room never imports the database layer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from appliance.crypto import aead
from appliance.crypto.kek import MIN_PASSPHRASE_CHARS, KeySource, derive_kek, new_kdf_params
from appliance.errors import CryptoError, KeyShredded, KeyUnavailable, TamperedData, WrongPassphrase

_VERIFIER = b"appliance key-encryption key check v1"
SUPERSEDED = "superseded"
# An unwrapped data key is kept in memory this long (seconds) before the keyring reads
# it again: a key shredded by another process sharing the database (another web
# process) leaves this one's memory within this time.
DATA_KEY_CACHE_SECONDS = 60.0

# A secret kept in a file and wrapped under the KEK (a signing key), moved by a rotation:
# its wrapped versions, the place its sealing is bound to, and how to save it back.
RotatingSecret = tuple[dict[str, str], tuple[str, ...], Callable[[dict[str, str]], None]]


class KekState:
    CURRENT = "current"
    PENDING = "pending"  # a rotation is moving data keys to this version
    RETIRED = "retired"


@dataclass
class KekRecord:
    version: int
    kind: str
    params: str
    verifier: bytes
    state: str
    created_at: datetime | None = None


@dataclass
class WrappedKey:
    key_id: str
    scope: str
    owner: str
    kek_version: int
    wrapped: bytes
    wrapped_next: bytes | None = None
    created_at: datetime | None = None


class KeyStore(Protocol):
    """Persistence for KEK versions and wrapped data keys (the store room implements it)."""

    def kek_records(self) -> list[KekRecord]: ...
    def add_kek(self, record: KekRecord) -> None: ...
    def drop_pending_kek(self) -> None: ...
    def find_key(self, scope: str, owner: str) -> WrappedKey | None: ...
    def add_key(self, key: WrappedKey) -> WrappedKey: ...
    def delete_keys(self, key_ids: list[str]) -> None: ...
    def keys_in_scope(self, scope: str, owners: list[str] | None = None) -> list[WrappedKey]: ...
    def keys_by_id(self, key_ids: list[str]) -> list[WrappedKey]: ...
    def keys_to_rewrap(self, limit: int) -> list[WrappedKey]: ...
    def set_next(self, pairs: list[tuple[str, bytes]]) -> None: ...
    def finish_rotation(self, old: int, new: int) -> None: ...
    def key_counts(self) -> dict[tuple[str, int], int]: ...
    def rewrap_pending_count(self) -> int: ...


@dataclass(frozen=True)
class ShredEntry:
    key_id: str
    scope: str
    owner: str
    at: str
    # "deleted" / "erased": applied again when a backup is restored;
    # "superseded" (a replaced version, a rolled-back ingestion): not.
    reason: str = "deleted"

    @property
    def survives_restore(self) -> bool:
        return self.reason != SUPERSEDED


class ShredLog:
    """Append-only list of destroyed data keys (JSON Lines), kept out of backups."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, entries: Iterable[ShredEntry]) -> None:
        lines = "".join(json.dumps(e.__dict__, sort_keys=True) + "\n" for e in entries)
        if not lines:
            return
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as fh:
            fh.write(lines)
            fh.flush()
            os.fsync(fh.fileno())

    def entries(self) -> list[ShredEntry]:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return []
        out = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append(ShredEntry(**json.loads(line)))
            except (ValueError, TypeError):
                raise CryptoError(f"{self.path}, line {n}: not a shred-log entry.") from None
        return out


class DataKey:
    """One unwrapped data key. Seal and open values bound to their place."""

    def __init__(self, key_id: str, scope: str, owner: str, key: bytes) -> None:
        self.key_id = key_id
        self.scope = scope
        self.owner = owner
        self._key = key  # read only by this room (see _raw)
        self._cipher = aead.Cipher(key)

    def __repr__(self) -> str:
        return f"DataKey({self.scope}/{self.owner}, id={self.key_id})"

    def seal(self, value: bytes | str, *place: str) -> bytes:
        data = value.encode("utf-8") if isinstance(value, str) else value
        return self._cipher.seal(data, place)

    def open(self, sealed: bytes, *place: str) -> bytes:
        return self._cipher.open(sealed, place)

    def open_text(self, sealed: bytes, *place: str) -> str:
        return self.open(sealed, *place).decode("utf-8")

    def seal_file(self, src: BinaryIO, dst: BinaryIO, *place: str) -> int:
        return aead.seal_stream(self._key, src, dst, place)

    def open_file(self, src: BinaryIO, *place: str) -> Iterator[bytes]:
        return aead.open_stream(self._key, src, place)


@dataclass(frozen=True)
class KeyStatus:
    kek_version: int
    kek_kind: str
    kek_created_at: datetime | None
    rotation_pending: bool
    rotation_remaining: int
    data_keys: dict[str, int]  # scope -> count
    shredded: int

    def as_json(self) -> dict[str, object]:
        return {
            "kek_version": self.kek_version,
            "kek_source": self.kek_kind,
            "kek_created_at": self.kek_created_at.isoformat() if self.kek_created_at else None,
            "rotation_pending": self.rotation_pending,
            "rotation_remaining": self.rotation_remaining,
            "data_keys": self.data_keys,
            "shredded_keys": self.shredded,
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _dek_place(key_id: str, scope: str, owner: str, version: int) -> tuple[str, ...]:
    return ("data-key", key_id, scope, owner, f"kek:{version}")


def _verifier_place(version: int) -> tuple[str, ...]:
    return ("kek-check", f"kek:{version}")


class Keyring:
    """The unlocked keyring of one data directory."""

    def __init__(
        self,
        store: KeyStore,
        record: KekRecord,
        kek: bytes,
        shred_log: ShredLog,
        after_shred: Callable[[], None] | None = None,
    ) -> None:
        self._store = store
        self._record = record
        self.__kek = kek
        self.shred_log = shred_log
        self._after_shred = after_shred
        self._cache: dict[tuple[str, str], tuple[float, DataKey]] = {}
        self._mac_keys: dict[str, bytes] = {}
        self._lock = threading.Lock()

    # -- unlocking -----------------------------------------------------------

    @classmethod
    def unlock(
        cls,
        store: KeyStore,
        source: KeySource,
        shred_log: ShredLog,
        after_shred: Callable[[], None] | None = None,
        *,
        create: bool = True,
    ) -> Keyring:
        """Derive the KEK from ``source`` and check it; create version 1 on first use
        (a typed passphrase only when ``create``: the caller confirmed it).

        A wrong secret raises :class:`WrongPassphrase` before anything is written.
        """
        records = store.kek_records()
        current = next((r for r in records if r.state == KekState.CURRENT), None)
        if current is None:
            if records:
                raise CryptoError("the keyring has no current key version; restore a backup.")
            if source.origin == "typed" and not create:
                # A typo here would lock the data for good: only `init` asks twice.
                raise KeyUnavailable(
                    "this data directory has no keys yet: run `appliance init` first "
                    "(it asks for the new passphrase twice)."
                )
            current, kek = _new_kek_record(source, version=1, state=KekState.CURRENT)
            store.add_kek(current)
            return cls(store, current, kek, shred_log, after_shred)
        kek = derive_kek(source, current.params)
        _check_verifier(kek, current, source)
        return cls(store, current, kek, shred_log, after_shred)

    @property
    def kek_version(self) -> int:
        return self._record.version

    # -- data keys -----------------------------------------------------------

    def data_key(self, scope: str, owner: str, *, create: bool = True) -> DataKey:
        """The data key of (scope, owner), made on first use when ``create``. Kept in
        memory at most :data:`DATA_KEY_CACHE_SECONDS` (another process may shred it)."""
        cached = self._cache.get((scope, owner))
        if cached is not None and time.monotonic() - cached[0] < DATA_KEY_CACHE_SECONDS:
            return cached[1]
        with self._lock:
            wrapped = self._store.find_key(scope, owner)
            if wrapped is None:
                if not create:
                    raise KeyShredded(
                        f"the data key of {scope} {owner!r} does not exist or was destroyed; "
                        "what it protected cannot be read."
                    )
                self._check_still_current()
                key_id = uuid.uuid4().hex
                fresh = aead.new_key()
                wrapped = self._store.add_key(
                    WrappedKey(
                        key_id,
                        scope,
                        owner,
                        self.kek_version,
                        aead.seal(
                            self.__kek, fresh, _dek_place(key_id, scope, owner, self.kek_version)
                        ),
                    )
                )
            key = self._unwrap(wrapped)
            self._cache[(scope, owner)] = (time.monotonic(), key)
            return key

    def forget(self, scope: str, owner: str) -> None:
        """Drop the data key of (scope, owner) from memory, so the next
        :meth:`data_key` reads it from the key store (another process may have shredded
        and replaced it within :data:`DATA_KEY_CACHE_SECONDS`)."""
        with self._lock:
            self._cache.pop((scope, owner), None)

    def _check_still_current(self) -> None:
        """A process started before a rotation must not wrap new keys under the old KEK."""
        current = [r.version for r in self._store.kek_records() if r.state == KekState.CURRENT]
        if current != [self.kek_version]:
            raise CryptoError(
                "the keys were rotated by another process since this one started; "
                "restart the appliance."
            )

    def _unwrap(self, wrapped: WrappedKey) -> DataKey:
        if wrapped.kek_version != self.kek_version:
            raise CryptoError(
                f"data key {wrapped.key_id} is wrapped under key version {wrapped.kek_version}, "
                f"but version {self.kek_version} is unlocked; finish `appliance keys rotate`."
            )
        raw = aead.open_sealed(
            self.__kek,
            wrapped.wrapped,
            _dek_place(wrapped.key_id, wrapped.scope, wrapped.owner, wrapped.kek_version),
        )
        return DataKey(wrapped.key_id, wrapped.scope, wrapped.owner, raw)

    def keys_in_scope(self, scope: str, owners: list[str] | None = None) -> list[WrappedKey]:
        """Wrapped keys of a scope (ids and owners only matter to callers)."""
        return self._store.keys_in_scope(scope, owners)

    def keys_by_id(self, key_ids: list[str]) -> list[WrappedKey]:
        return self._store.keys_by_id(key_ids)

    def has_key(self, scope: str, owner: str) -> bool:
        return self._store.find_key(scope, owner) is not None

    def shred(self, scope: str, owner: str, reason: str = "deleted") -> bool:
        """Destroy the data key of (scope, owner). Returns False if there was none."""
        wrapped = self._store.find_key(scope, owner)
        if wrapped is None:
            return False
        self.shred_keys([wrapped], reason)
        return True

    def announce_shred(self, scope: str, owners: list[str], reason: str) -> list[WrappedKey]:
        """Write the shred-log entries of these owners' keys *before* deleting what they
        protect: if the process dies half-way, a later restore still destroys them
        (with this reason, not as a superseded leftover). Returns the keys."""
        keys = self._store.keys_in_scope(scope, owners) if owners else []
        self.shred_log.append(ShredEntry(k.key_id, k.scope, k.owner, _now(), reason) for k in keys)
        return keys

    def shred_keys(
        self, keys: list[WrappedKey], reason: str = "deleted", *, logged: bool = False
    ) -> None:
        """Destroy wrapped keys. ``logged``: :meth:`announce_shred` already logged them."""
        if not keys:
            return
        if not logged:
            # The log first: if the process dies after it, the key is shredded on restore.
            self.shred_log.append(
                ShredEntry(k.key_id, k.scope, k.owner, _now(), reason) for k in keys
            )
        self._store.delete_keys([k.key_id for k in keys])
        with self._lock:
            for k in keys:
                self._cache.pop((k.scope, k.owner), None)
        if self._after_shred is not None:
            self._after_shred()

    # -- keyed hashes ----------------------------------------------------------

    def mac(self, purpose: str, value: str | bytes) -> str:
        """A keyed hash (HMAC-SHA256, hex) of ``value``: stable lookups without plaintext.

        Each purpose gets its own sub-key, so hashes from one use cannot be matched
        against another's.
        """
        sub = self._mac_keys.get(purpose)
        if sub is None:
            base = self.data_key("system", "mac")
            sub = HKDF(
                algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()
            ).derive(_raw(base))
            self._mac_keys[purpose] = sub
        data = value.encode("utf-8") if isinstance(value, str) else value
        return hmac.new(sub, data, hashlib.sha256).hexdigest()

    # -- secrets wrapped directly under the KEK (signing keys, archives) ------

    def current_record(self) -> KekRecord:
        return self._record

    def seal_with_kek(self, secret: bytes, *place: str) -> bytes:
        return aead.seal(self.__kek, secret, place)

    def wrap_secret(self, secret: bytes, *place: str) -> dict[str, str]:
        """Seal a small secret under the KEK; stored per KEK version so rotation can move it."""
        return {str(self.kek_version): aead.seal(self.__kek, secret, place).hex()}

    def unwrap_secret(self, wrapped: dict[str, str], *place: str) -> bytes:
        sealed = wrapped.get(str(self.kek_version))
        if sealed is None:
            raise CryptoError(
                f"{'/'.join(place)} is not wrapped under key version {self.kek_version}; "
                "finish `appliance keys rotate`."
            )
        return aead.open_sealed(self.__kek, bytes.fromhex(sealed), place)

    # -- rotation --------------------------------------------------------------

    def rotate(
        self,
        new_source: KeySource,
        *,
        secrets: list[RotatingSecret] | None = None,
        batch: int = 200,
        on_progress: Callable[[int, int], None] | None = None,
        crash_after: int | None = None,
    ) -> int:
        """Move every data key to a new KEK version derived from ``new_source``.

        Resumable: data keys are re-wrapped in batches into a second column; an
        interrupted rotation continues where it stopped when run again with the
        same new secret. The switch to the new version is one transaction.
        Returns the new version.
        """
        records = self._store.kek_records()
        pending = next((r for r in records if r.state == KekState.PENDING), None)
        if pending is not None:
            try:
                new_kek = derive_kek(new_source, pending.params)
                _check_verifier(new_kek, pending, new_source)
            except WrongPassphrase:
                raise WrongPassphrase(
                    f"an interrupted rotation to key version {pending.version} is pending and "
                    "the new key given does not match it; give the same new key again, or "
                    "start over with `appliance keys rotate --restart`."
                ) from None
        else:
            version = max(r.version for r in records) + 1
            pending, new_kek = _new_kek_record(new_source, version, KekState.PENDING)
            self._store.add_kek(pending)
        total = self._store.rewrap_pending_count()
        done = 0
        while True:
            keys = self._store.keys_to_rewrap(batch)
            if not keys:
                break
            pairs = []
            for wrapped in keys:
                raw = _raw(self._unwrap(wrapped))
                place = _dek_place(wrapped.key_id, wrapped.scope, wrapped.owner, pending.version)
                pairs.append((wrapped.key_id, aead.seal(new_kek, raw, place)))
            self._store.set_next(pairs)
            done += len(pairs)
            if on_progress:
                on_progress(done, total)
            if crash_after is not None and done >= crash_after:
                os._exit(137)  # fault injection for the resumability test
        # Secrets kept in files hold both versions until the switch commits.
        moved = []
        for wrapped_secret, place, save in secrets or []:
            raw = self.unwrap_secret(wrapped_secret, *place)
            sealed = aead.seal(new_kek, raw, place).hex()
            save({**wrapped_secret, str(pending.version): sealed})
            moved.append((save, {str(pending.version): sealed}))
        self._store.finish_rotation(self.kek_version, pending.version)
        for save, only_new in moved:
            save(only_new)
        self._record = next(r for r in self._store.kek_records() if r.version == pending.version)
        self.__kek = new_kek
        self._cache.clear()
        return pending.version

    def restart_rotation(self) -> None:
        """Abandon an interrupted rotation (data keys stay under the current version)."""
        self._store.drop_pending_kek()

    # -- status ----------------------------------------------------------------

    def status(self) -> KeyStatus:
        counts: dict[str, int] = {}
        for (scope, _version), n in self._store.key_counts().items():
            counts[scope] = counts.get(scope, 0) + n
        records = self._store.kek_records()
        pending = any(r.state == KekState.PENDING for r in records)
        return KeyStatus(
            kek_version=self.kek_version,
            kek_kind=self._record.kind,
            kek_created_at=self._record.created_at,
            rotation_pending=pending,
            rotation_remaining=self._store.rewrap_pending_count() if pending else 0,
            data_keys=counts,
            shredded=len(self.shred_log.entries()),
        )


def _raw(key: DataKey) -> bytes:
    return key._key


def _new_kek_record(source: KeySource, version: int, state: str) -> tuple[KekRecord, bytes]:
    if source.kind == "passphrase" and len(source.secret.decode("utf-8")) < MIN_PASSPHRASE_CHARS:
        raise KeyUnavailable(
            f"a new passphrase needs at least {MIN_PASSPHRASE_CHARS} characters; "
            "choose a longer one (a few unrelated words work well)."
        )
    params = new_kdf_params(source)
    kek = derive_kek(source, params)
    verifier = aead.seal(kek, _VERIFIER, _verifier_place(version))
    return KekRecord(version, source.kind, params, verifier, state, datetime.now(UTC)), kek


def _check_verifier(kek: bytes, record: KekRecord, source: KeySource) -> None:
    try:
        aead.open_sealed(kek, record.verifier, _verifier_place(record.version))
    except TamperedData:
        raise WrongPassphrase(
            f"{source.describe()} does not unlock this data directory (key version "
            f"{record.version}). Nothing was changed; try again with the right "
            f"{'passphrase' if source.kind == 'passphrase' else 'key file'}."
        ) from None


def ephemeral_mac() -> Callable[[str], str]:
    """A keyed hash (HMAC-SHA256, hex) under a random 256-bit key that exists in
    memory for this call's lifetime only: consistent placeholders within one run
    (``appliance pii redact``) that no later run, nor anyone, can link to a value."""
    key = os.urandom(32)
    return lambda value: hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
