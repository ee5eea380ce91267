"""The keyring's persistence: KEK versions and wrapped data keys in the database."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from appliance.crypto import KekRecord, WrappedKey
from appliance.crypto.keyring import KekState
from appliance.errors import CryptoError
from appliance.store.database import Database
from appliance.store.schema import DataKeyRow, KekVersion


def _wrapped(row: DataKeyRow) -> WrappedKey:
    return WrappedKey(
        row.key_id,
        row.scope,
        row.owner,
        row.kek_version,
        row.wrapped,
        row.wrapped_next,
        row.created_at,
    )


class SqlKeyStore:
    """:class:`appliance.crypto.KeyStore` on the appliance's database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def kek_records(self) -> list[KekRecord]:
        with self.db.session() as s:
            rows = s.scalars(select(KekVersion).order_by(KekVersion.version)).all()
        return [
            KekRecord(r.version, r.kind, r.params, r.verifier, r.state, r.created_at) for r in rows
        ]

    def add_kek(self, record: KekRecord) -> None:
        with self.db.session() as s:
            s.add(
                KekVersion(
                    version=record.version,
                    kind=record.kind,
                    params=record.params,
                    verifier=record.verifier,
                    state=record.state,
                    created_at=record.created_at,
                )
            )

    def drop_pending_kek(self) -> None:
        with self.db.session() as s:
            s.execute(update(DataKeyRow).values(wrapped_next=None))
            s.execute(delete(KekVersion).where(KekVersion.state == KekState.PENDING))

    def find_key(self, scope: str, owner: str) -> WrappedKey | None:
        with self.db.session() as s:
            row = s.scalar(
                select(DataKeyRow).where(DataKeyRow.scope == scope, DataKeyRow.owner == owner)
            )
        return _wrapped(row) if row is not None else None

    def add_key(self, key: WrappedKey) -> WrappedKey:
        try:
            with self.db.session() as s:
                s.add(
                    DataKeyRow(
                        key_id=key.key_id,
                        scope=key.scope,
                        owner=key.owner,
                        kek_version=key.kek_version,
                        wrapped=key.wrapped,
                    )
                )
        except IntegrityError:  # another process made it a moment ago: use theirs
            found = self.find_key(key.scope, key.owner)
            if found is None:
                raise
            return found
        return key

    def delete_keys(self, key_ids: list[str]) -> None:
        with self.db.session() as s:
            s.execute(delete(DataKeyRow).where(DataKeyRow.key_id.in_(key_ids)))

    def keys_in_scope(self, scope: str, owners: list[str] | None = None) -> list[WrappedKey]:
        query = select(DataKeyRow).where(DataKeyRow.scope == scope)
        if owners is not None:
            query = query.where(DataKeyRow.owner.in_(owners))
        with self.db.session() as s:
            return [_wrapped(r) for r in s.scalars(query)]

    def keys_by_id(self, key_ids: list[str]) -> list[WrappedKey]:
        with self.db.session() as s:
            rows = s.scalars(select(DataKeyRow).where(DataKeyRow.key_id.in_(key_ids)))
            return [_wrapped(r) for r in rows]

    def keys_to_rewrap(self, limit: int) -> list[WrappedKey]:
        with self.db.session() as s:
            rows = s.scalars(
                select(DataKeyRow)
                .where(DataKeyRow.wrapped_next.is_(None))
                .order_by(DataKeyRow.key_id)
                .limit(limit)
            )
            return [_wrapped(r) for r in rows]

    def set_next(self, pairs: list[tuple[str, bytes]]) -> None:
        with self.db.session() as s:
            for key_id, sealed in pairs:
                s.execute(
                    update(DataKeyRow)
                    .where(DataKeyRow.key_id == key_id)
                    .values(wrapped_next=sealed)
                )

    def finish_rotation(self, old: int, new: int) -> None:
        with self.db.session() as s:
            left = s.scalar(
                select(func.count())
                .select_from(DataKeyRow)
                .where(DataKeyRow.wrapped_next.is_(None))
            )
            if left:
                raise CryptoError(
                    f"{left} data keys were created during the rotation; run "
                    "`appliance keys rotate` again to finish."
                )
            s.execute(
                update(DataKeyRow).values(
                    wrapped=DataKeyRow.wrapped_next, wrapped_next=None, kek_version=new
                )
            )
            s.execute(
                update(KekVersion).where(KekVersion.version == old).values(state=KekState.RETIRED)
            )
            s.execute(
                update(KekVersion).where(KekVersion.version == new).values(state=KekState.CURRENT)
            )

    def key_counts(self) -> dict[tuple[str, int], int]:
        with self.db.session() as s:
            rows = s.execute(
                select(DataKeyRow.scope, DataKeyRow.kek_version, func.count()).group_by(
                    DataKeyRow.scope, DataKeyRow.kek_version
                )
            ).all()
        return {(scope, version): n for scope, version, n in rows}

    def rewrap_pending_count(self) -> int:
        with self.db.session() as s:
            return (
                s.scalar(
                    select(func.count())
                    .select_from(DataKeyRow)
                    .where(DataKeyRow.wrapped_next.is_(None))
                )
                or 0
            )
