"""The relational store: engine set-up, migrations and integrity checks.

SQLite (embedded, WAL) by default; any SQLAlchemy URL, PostgreSQL included,
runs the same models and migrations.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from appliance.errors import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    # Deleted rows (erased documents, shredded keys) are overwritten, not left in free pages.
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    elif url.startswith("postgresql"):
        # Sessions in UTC, as SQLite's values are: a naive datetime means UTC on both,
        # whatever the server's own TimeZone.
        engine = create_engine(url, pool_pre_ping=True, connect_args={"options": "-c timezone=UTC"})
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def _head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    try:
        if current_revision(engine) == _head_revision(engine):
            return
        command.upgrade(alembic_config(engine), "head")
    except (DatabaseError, OperationalError) as exc:
        raise corrupt_database_error(engine, exc) from exc


def corrupt_database_error(engine: Engine, exc: Exception) -> StoreError:
    return StoreError(
        f"the database {engine.url.render_as_string(hide_password=True)} cannot be read "
        f"({getattr(exc, 'orig', exc)}). It may be corrupt or locked: stop other appliance "
        "processes, or restore it from a backup."
    )


class Database:
    """Engine plus session factory for one data directory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def open(self) -> None:
        """Check the database can be read and is at the newest schema."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except (DatabaseError, OperationalError) as exc:
            raise corrupt_database_error(self.engine, exc) from exc
        migrate(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except (DatabaseError, OperationalError) as exc:
            session.rollback()
            if "malformed" in str(exc) or "not a database" in str(exc):
                raise corrupt_database_error(self.engine, exc) from exc
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def flush_deleted(self) -> None:
        """Push deletions out of the SQLite write-ahead log, so no old copy of a
        deleted page lingers in the WAL file (after shredding keys, erasing people)."""
        if not self.url.startswith("sqlite"):
            return
        with self.engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))

    def dispose(self) -> None:
        self.engine.dispose()


def sqlite_file(url: str) -> Path | None:
    prefix = "sqlite:///"
    return Path(url[len(prefix) :]) if url.startswith(prefix) else None
