"""Credentials the appliance presents to services it uses, sealed in the key store.

Today one: ``chroma_token``, the bearer token the appliance sends to a Chroma server
(``chroma_host``) through the proxy that enforces it (Chroma 1.x has no
authentication of its own: docs/admin-guide.md, "A Chroma server"). Each secret is
sealed with the data key of (``service``, name) and never stored, logged or shown in
clear; replacing or clearing it shreds that key, so a copy of the row in a backup
made before is unreadable afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import inspect

from appliance.crypto import Keyring
from appliance.errors import CryptoError, KeyShredded, StoreError
from appliance.store.database import Database, sqlite_file
from appliance.store.schema import ServiceSecret

SERVICE_SCOPE = "service"
CHROMA_TOKEN = "chroma_token"
# Longer than any bearer token a proxy configuration holds; the header stays small.
MAX_SECRET_CHARS = 4096


@dataclass(frozen=True)
class SecretInfo:
    """That a secret is set, by whom and when (never its value)."""

    name: str
    set_by: str
    set_at: datetime


def check_token(token: str) -> str:
    """``token`` stripped of surrounding white space, as it goes into an HTTP header.

    Raises :class:`ValueError` when it is empty, longer than 4,096 characters, or holds
    a character an ``Authorization`` header cannot carry (RFC 9110 field values:
    visible ASCII; a bearer token, RFC 6750 §2.1, needs no spaces either)."""
    token = token.strip()
    if not token:
        raise ValueError("the token is empty.")
    if len(token) > MAX_SECRET_CHARS:
        raise ValueError(f"the token is longer than {MAX_SECRET_CHARS} characters.")
    if any(not (0x21 <= ord(c) <= 0x7E) for c in token):
        raise ValueError("the token may hold visible ASCII characters only (no spaces).")
    return token


def _info(row: ServiceSecret) -> SecretInfo:
    # SQLite gives back naive datetimes: the time was written in UTC.
    at = row.set_at if row.set_at.tzinfo else row.set_at.replace(tzinfo=UTC)
    return SecretInfo(row.name, row.set_by, at)


class ServiceSecrets:
    """The ``service_secrets`` table, each value sealed under the keyring."""

    def __init__(self, db: Database, keyring: Keyring) -> None:
        self.db = db
        self.keyring = keyring

    def set(self, name: str, value: str, *, set_by: str) -> SecretInfo:
        """Seal ``value`` as secret ``name`` (replacing, and shredding, any before)."""
        self.keyring.shred(SERVICE_SCOPE, name, "service secret replaced")
        sealed = self.keyring.data_key(SERVICE_SCOPE, name).seal(value, SERVICE_SCOPE, name)
        with self.db.session() as s:
            row = s.get(ServiceSecret, name)
            if row is None:
                row = ServiceSecret(name=name)
                s.add(row)
            row.sealed = sealed
            row.set_by = set_by[:128]
            row.set_at = datetime.now(UTC)
            s.flush()
            return _info(row)

    def clear(self, name: str) -> bool:
        """Remove secret ``name`` and shred its key; False when none was set."""
        with self.db.session() as s:
            row = s.get(ServiceSecret, name)
            if row is None:
                return False
            s.delete(row)
        self.keyring.shred(SERVICE_SCOPE, name, "service secret cleared")
        return True

    def info(self, name: str) -> SecretInfo | None:
        with self.db.session() as s:
            row = s.get(ServiceSecret, name)
            return _info(row) if row is not None else None

    def get(self, name: str) -> str | None:
        """Secret ``name`` in clear (for a request header only), or None when unset.

        The data key may be one this process kept in memory (up to 60 s,
        ``DATA_KEY_CACHE_SECONDS``) that another process has since shredded and
        replaced (``appliance chroma token set``): a value that does not open under it
        is read once more with the key as the key store holds it now.

        Raises :class:`StoreError` when its data key is gone (it was replaced or
        cleared after the backup this data directory was restored from),
        :class:`CryptoError` (:class:`TamperedData`) when the value does not open under
        the key store's current key either."""
        try:
            return self._read(name)
        except CryptoError:
            self.keyring.forget(SERVICE_SCOPE, name)
            return self._read(name)

    def _read(self, name: str) -> str | None:
        with self.db.session() as s:
            row = s.get(ServiceSecret, name)
            sealed = row.sealed if row is not None else None
        if sealed is None:
            return None
        try:
            key = self.keyring.data_key(SERVICE_SCOPE, name, create=False)
        except KeyShredded:
            raise StoreError(
                f"the {name} was destroyed (replaced or cleared after the backup this data "
                "was restored from); set it again (`appliance chroma token set`)."
            ) from None
        return key.open_text(sealed, SERVICE_SCOPE, name)


def service_secret_set(database_url: str, name: str) -> bool | None:
    """Whether secret ``name`` is set, read without a key and without migrating the
    database (what ``appliance doctor`` reports); None when the database cannot be
    read."""
    path = sqlite_file(database_url)
    if path is not None and not path.exists():
        return False
    try:
        db = Database(database_url)
    except Exception:
        return None
    try:
        if not inspect(db.engine).has_table(ServiceSecret.__tablename__):
            return False
        with db.session() as s:
            return s.get(ServiceSecret, name) is not None
    except Exception:
        return None
    finally:
        db.dispose()
