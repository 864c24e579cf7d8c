"""The database: declarative base, engine and per-request session.

SQLite runs in WAL mode with foreign keys on; a writing request takes SQLite's write lock when
its transaction begins (BEGIN IMMEDIATE), so two writers queue instead of failing mid-way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from webapp import planner_statistics

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model."""

    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and always read back time-zone aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


def utcnow() -> datetime:
    """The current time in UTC, time-zone aware."""
    return datetime.now(UTC)


def make_engine(url: str, echo: bool = False) -> Engine:
    """Create the SQLAlchemy engine; SQLite gets WAL, foreign keys and explicit BEGINs."""
    # SQL logs never show bound values: a secret ballot's choices (and people's data) stay out.
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, hide_parameters=True, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    # After a database restart the pooled connections are dead: one idle for a while is pinged
    # when checked out (and replaced if dead), none is kept past half an hour (a firewall's idle
    # cut), and a new connection gives up after 5 s instead of holding a request while the
    # server is away.
    engine = create_engine(
        url,
        echo=echo,
        pool_recycle=1800,
        pool_timeout=10,
        hide_parameters=True,
        connect_args={"connect_timeout": 5},
    )
    _ping_idle_connections(engine)
    return engine


# A connection back in the pool for less than this is used without a ping. Pinging every
# checkout (pool_pre_ping) cost a round trip per request: 6% of the servers' time under load.
# One that broke in between fails its request with a 503 and the pool is renewed.
PING_IDLE_SECONDS = 5.0


def _ping_idle_connections(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool drops this connection and checks out another (a new one if need be).
            raise sa_exc.DisconnectionError("a pooled connection was dead") from exc


# SQLite's transient failures: another writer held the lock past busy_timeout, or the file is
# out of reach. Others (no such table, ...) are bugs, not outages.
_SQLITE_TRANSIENT = ("database is locked", "database is busy", "unable to open database file")


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database is out of reach for now (down, restarting, connection
    cut, pool exhausted), as opposed to a fault of the request: answer 503, not 500."""
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return False
    if type(exc.orig).__module__.startswith("sqlite3"):
        return any(text in str(exc.orig) for text in _SQLITE_TRANSIENT)
    # psycopg: connection refused or cut, server shutting down, "the connection is closed".
    return True


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (below) decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        writing = connection.info.get("write_intent") or connection.get_execution_options().get(
            "write_intent"
        )
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


class Database:
    """An engine and its session factory, owned by the app."""

    def __init__(self, url: str, echo: bool = False, settings: Any = None):
        self.url = url
        self.engine = make_engine(url, echo)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # The same pool, its transactions begun READ ONLY (connected only when first used, so a
        # database that is down fails the statement, where the caller handles it).
        self._read_only = (
            self.engine.execution_options(postgresql_readonly=True)
            if self.engine.dialect.name == "postgresql"
            else None
        )
        self.settings = settings

    def session(self, *, write: bool = False, read_only: bool = False) -> Session:
        """A new session; `write=True` takes SQLite's write lock when it begins, `read_only=True`
        makes PostgreSQL refuse any write in it (a request's read ends with COMMIT: request_db)."""
        read_only_bind = self._read_only if read_only else None
        session = self._sessions(bind=read_only_bind or self.engine)
        if self.settings is not None:
            session.info["settings"] = self.settings
        if write and self.engine.dialect.name == "sqlite":
            session.connection(execution_options={"write_intent": True})
        if read_only_bind is not None:
            session.info["read_only"] = True
        return session

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session that commits on success and rolls back on error (CLI, scripts, tests)."""
        session = self.session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def optimize(self) -> None:
        """Refresh the query planner's statistics of the tables whose size moved (SQLite;
        PostgreSQL's autovacuum does it)."""
        if self.engine.dialect.name != "sqlite":
            return
        with self.engine.begin() as connection:
            planner_statistics.refresh(connection)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
