"""Copying the relational store to another database (SQLite → PostgreSQL).

The copy is built to be safe to interrupt: the source is only read; the target first
gets a marker table (committed on its own), then the schema (Alembic, to the newest
migration), every table's rows in dependency order and the sequences, all in one
transaction on the target, which drops the marker as it commits. A copy killed half-way
leaves a target holding the marker (on PostgreSQL nothing else: its DDL is
transactional), which a new run recognises and refuses unless asked to ``replace`` it.

Rows are copied as the database returns them: sealed columns stay the exact bytes they
were (nothing is opened or re-sealed), so the data keys, the wrapped keys and the
audit trail's hashes all hold on the target.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from alembic import command
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from appliance.errors import StoreError
from appliance.store.database import alembic_config, current_revision, make_engine
from appliance.store.schema import Base

# The table a copy under way leaves in its target until it commits.
MARKER_TABLE = "appliance_migration_incomplete"
# Rows per INSERT batch: bounded memory whatever the size of a table.
BATCH_ROWS = 500


@dataclass(frozen=True)
class TableCopy:
    """One table's copy: its name, rows on each side and the digest both sides share."""

    name: str
    rows: int
    digest: str


@dataclass
class TransferReport:
    """What :func:`copy_database` copied (tables in the order they were copied)."""

    target: str  # the target URL with any password hidden
    revision: str | None
    tables: list[TableCopy] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def redacted(url: str) -> str:
    """``url`` as it may be shown or recorded: any password replaced by ``***``."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return "(an unreadable database URL)"


def copy_database(
    source: Engine,
    target_url: str,
    *,
    replace: bool = False,
    batch_rows: int = BATCH_ROWS,
) -> TransferReport:
    """Copy every table of ``source`` (at the newest migration) into the empty database
    at ``target_url``; returns a :class:`TransferReport` once row counts and row
    digests agree on both sides.

    Raises :class:`StoreError` when the target cannot be reached, is the source, holds
    tables already (a finished copy or another appliance: always refused; an
    interrupted copy, recognised by its marker table: refused unless ``replace``), when
    the source holds tables the models do not know, or when the copy does not verify.
    """
    shown = redacted(target_url)
    if _same_database(source, target_url):
        raise StoreError(f"the target {shown} is the database in use; name another one.")
    tables = list(Base.metadata.sorted_tables)
    _check_source(source, tables)
    target = make_engine(target_url)
    try:
        _prepare_target(target, shown, replace)
        return _copy(source, target, tables, shown, batch_rows)
    except SQLAlchemyError as exc:
        raise StoreError(
            f"copying to {shown} failed ({getattr(exc, 'orig', exc)}); the database in use "
            f"is untouched. Fix the cause and run the command again with --replace."
        ) from exc
    finally:
        target.dispose()


def _same_database(source: Engine, target_url: str) -> bool:
    from sqlalchemy.engine import make_url

    try:
        return make_url(target_url) == source.url
    except SQLAlchemyError as exc:
        raise StoreError(f"{redacted(target_url)} is not a database URL ({exc}).") from exc


def _check_source(source: Engine, tables: Sequence[Table]) -> None:
    known = {t.name for t in tables} | {"alembic_version"}
    present = set(inspect(source).get_table_names())
    unknown = sorted(present - known)
    if unknown:
        raise StoreError(
            f"the database in use holds tables this version does not know ({', '.join(unknown)}); "
            "upgrade the appliance before moving its database."
        )


def _prepare_target(target: Engine, shown: str, replace: bool) -> None:
    """Leave the target empty but for the marker table (committed), or refuse."""
    try:
        present = set(inspect(target).get_table_names())
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot open the target {shown} ({getattr(exc, 'orig', exc)}); create the "
            "database and check the URL, user and password."
        ) from exc
    if present and MARKER_TABLE not in present:
        raise StoreError(
            f"the target {shown} is not empty (it holds {len(present)} tables); migrate into "
            "a new, empty database."
        )
    if present and not replace:
        raise StoreError(
            f"the target {shown} holds an earlier copy that did not finish; run the command "
            "again with --replace to drop it and start over."
        )
    meta = MetaData()
    meta.reflect(target)
    marker = Table(
        MARKER_TABLE, meta, Column("id", Integer, primary_key=True), extend_existing=True
    )
    with target.begin() as conn:
        meta.drop_all(conn)
        marker.create(conn)


def _copy(
    source: Engine, target: Engine, tables: Sequence[Table], shown: str, batch_rows: int
) -> TransferReport:
    report = TransferReport(target=shown, revision=current_revision(source))
    with source.connect() as src, target.begin() as dst:
        cfg = alembic_config(target)
        cfg.attributes["connection"] = dst
        command.upgrade(cfg, "head")
        for table in tables:
            rows = _copy_table(src, dst, table, batch_rows)
            _reset_sequence(dst, table)
            want = _digest(src, table)
            got = _digest(dst, table)
            if rows != want[0] or want != got:
                raise StoreError(
                    f"table {table.name}: {want[0]} rows in the database in use, {got[0]} "
                    f"copied to {shown} (or their contents differ); the source is being "
                    "written to: stop the appliance's services and run the command again "
                    "with --replace."
                )
            report.tables.append(TableCopy(table.name, rows, want[1]))
        dst.execute(text(f'DROP TABLE "{MARKER_TABLE}"'))
    return report


def _copy_table(src: Connection, dst: Connection, table: Table, batch_rows: int) -> int:
    zoned = [c.name for c in table.columns if isinstance(c.type, DateTime) and c.type.timezone]
    result = src.execution_options(yield_per=batch_rows).execute(
        select(table).order_by(*table.primary_key.columns)
    )
    copied = 0
    for batch in result.partitions():
        rows = [_as_utc(dict(r._mapping), zoned) for r in batch]
        dst.execute(table.insert(), rows)
        copied += len(rows)
    return copied


def _as_utc(row: dict[str, Any], zoned: Iterable[str]) -> dict[str, Any]:
    # SQLite keeps no zone: its datetimes are the UTC the appliance wrote.
    for name in zoned:
        value = row[name]
        if isinstance(value, datetime) and value.tzinfo is None:
            row[name] = value.replace(tzinfo=UTC)
    return row


def _reset_sequence(dst: Connection, table: Table) -> None:
    """Point a PostgreSQL serial column's sequence past the copied ids."""
    if dst.dialect.name != "postgresql":
        return
    for col in table.primary_key.columns:
        if not isinstance(col.type, Integer) or col.autoincrement is False:
            continue
        seq = dst.scalar(select(func.pg_get_serial_sequence(table.name, col.name)))
        if seq is None:
            continue
        top = dst.scalar(select(func.max(col)))
        dst.execute(
            text("SELECT setval(CAST(:seq AS regclass), :value, :called)"),
            {"seq": seq, "value": top or 1, "called": top is not None},
        )


def _digest(conn: Connection, table: Table) -> tuple[int, str]:
    """(rows, a digest of every row, values in one canonical form). The rows' hashes are
    added up, so the order each database returns them in (collations differ) is moot."""
    total = 0
    count = 0
    for row in conn.execute(select(table)):
        count += 1
        h = hashlib.sha256()
        for value in row:
            h.update(_canonical(value))
            h.update(b"\x1f")
        total = (total + int.from_bytes(h.digest(), "big")) % (1 << 256)
    return count, f"{total:064x}"


def _canonical(value: object) -> bytes:
    if value is None:
        return b"\x00"
    if isinstance(value, bytes | memoryview):
        return b"b" + bytes(value)
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return b"t" + aware.astimezone(UTC).isoformat().encode()
    if isinstance(value, date):
        return b"d" + value.isoformat().encode()
    if isinstance(value, bool):
        return b"?" + str(int(value)).encode()
    return b"s" + str(value).encode()


__all__ = ["MARKER_TABLE", "TableCopy", "TransferReport", "copy_database", "redacted"]
