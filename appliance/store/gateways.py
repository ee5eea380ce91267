"""The hybrid gateway's endpoints: which external OpenAI-compatible model answers a
collection or plain chat, as an administrator attached it.

Nothing leaves the machine unless a row exists here (the gateway is off by default).
The endpoint's API key is a secret: it is sealed with the data key of
(``gateway``, target) and never stored, logged or shown in clear; detaching the
endpoint shreds that key, so a copy of the row in a backup is unreadable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import inspect, select

from appliance.crypto import Keyring
from appliance.errors import GatewayError, KeyShredded
from appliance.store.database import Database, sqlite_file
from appliance.store.schema import GatewayEndpoint

GATEWAY_SCOPE = "gateway"
CHAT_TARGET = "chat"


def target_of(collection: str | None) -> str:
    """The row key of ``collection`` (None: plain chat)."""
    return CHAT_TARGET if collection is None else f"collection:{collection}"


@dataclass(frozen=True)
class Gateway:
    """An attached endpoint as the appliance uses it and the admin pages list it (no
    key: ``has_key`` says whether one is sealed)."""

    target: str
    url: str
    model: str
    price_per_1k: float | None
    timeout_seconds: float
    has_key: bool
    attached_by: str
    attached_at: datetime

    @property
    def collection(self) -> str | None:
        """The collection's name (None: plain chat)."""
        return None if self.target == CHAT_TARGET else self.target.split(":", 1)[1]

    def as_json(self) -> dict[str, object]:
        return {
            "target": self.target,
            "collection": self.collection,
            "url": self.url,
            "model": self.model,
            "price_per_1k": self.price_per_1k,
            "timeout_seconds": self.timeout_seconds,
            "has_key": self.has_key,
            "attached_by": self.attached_by,
            "attached_at": self.attached_at.isoformat(),
        }


def _gateway(row: GatewayEndpoint) -> Gateway:
    return Gateway(
        row.target,
        row.url,
        row.model,
        row.price_per_1k,
        row.timeout_seconds,
        row.key_sealed is not None,
        row.attached_by,
        row.attached_at,
    )


class GatewayStore:
    """The ``gateway_endpoints`` table, with the API keys sealed under the keyring."""

    def __init__(self, db: Database, keyring: Keyring) -> None:
        self.db = db
        self.keyring = keyring

    def attach(
        self,
        target: str,
        url: str,
        model: str,
        api_key: str | None,
        *,
        price_per_1k: float | None,
        timeout_seconds: float,
        attached_by: str,
    ) -> tuple[Gateway, Gateway | None]:
        """Attach (or replace) the endpoint of ``target``; returns (new, the one before)."""
        # A replaced key is shredded with its data key; the new one gets a fresh key.
        before = self.get(target)
        if before is not None:
            self.keyring.shred(GATEWAY_SCOPE, target, "gateway key replaced")
        sealed = None
        if api_key:
            key = self.keyring.data_key(GATEWAY_SCOPE, target)
            sealed = key.seal(api_key, GATEWAY_SCOPE, target, "api_key")
        with self.db.session() as s:
            row = s.get(GatewayEndpoint, target)
            if row is None:
                row = GatewayEndpoint(target=target)
                s.add(row)
            row.url = url
            row.model = model
            row.key_sealed = sealed
            row.price_per_1k = price_per_1k
            row.timeout_seconds = timeout_seconds
            row.attached_by = attached_by[:128]
            row.attached_at = datetime.now(UTC)
            s.flush()
            gateway = _gateway(row)
        return gateway, before

    def detach(self, target: str) -> Gateway | None:
        """Remove the endpoint of ``target`` and shred its key; None if there was none."""
        with self.db.session() as s:
            row = s.get(GatewayEndpoint, target)
            if row is None:
                return None
            gateway = _gateway(row)
            s.delete(row)
        self.keyring.shred(GATEWAY_SCOPE, target, "gateway detached")
        return gateway

    def get(self, target: str) -> Gateway | None:
        with self.db.session() as s:
            row = s.get(GatewayEndpoint, target)
            return _gateway(row) if row is not None else None

    def all(self) -> list[Gateway]:
        with self.db.session() as s:
            rows = s.scalars(select(GatewayEndpoint).order_by(GatewayEndpoint.target))
            return [_gateway(r) for r in rows]

    def api_key(self, target: str) -> str | None:
        """The endpoint's API key in clear, for the request's header only.

        Raises :class:`GatewayError` when its data key is gone (the endpoint was
        detached or its key replaced after the backup this directory was restored
        from): attach it again."""
        with self.db.session() as s:
            row = s.get(GatewayEndpoint, target)
            sealed = row.key_sealed if row is not None else None
        if sealed is None:
            return None
        try:
            key = self.keyring.data_key(GATEWAY_SCOPE, target, create=False)
        except KeyShredded:
            raise GatewayError(
                "the API key of this external model was destroyed (it was detached or "
                "replaced after the backup this data was restored from); attach it again "
                "with `appliance gateway attach`."
            ) from None
        return key.open_text(sealed, GATEWAY_SCOPE, target, "api_key")


def read_gateway_urls(database_url: str) -> list[tuple[str, str]]:
    """Every attached endpoint as (target, URL), read without a key and without
    migrating the database: what ``appliance doctor`` lists as configured egress. Empty
    when there is no database or no gateway table yet."""
    path = sqlite_file(database_url)
    if path is not None and not path.exists():
        return []
    db = Database(database_url)
    try:
        if not inspect(db.engine).has_table(GatewayEndpoint.__tablename__):
            return []
        with db.session() as s:
            rows = s.execute(
                select(GatewayEndpoint.target, GatewayEndpoint.url).order_by(GatewayEndpoint.target)
            )
            return [(target, url) for target, url in rows]
    finally:
        db.dispose()
