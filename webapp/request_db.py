"""One database session per request, opened on first use and closed at teardown.

Write requests (POST, PUT, PATCH, DELETE) take SQLite's write lock when their transaction
begins. Views commit once, at the end; anything not committed is rolled back.
"""

from __future__ import annotations

import contextlib

from flask import Flask, current_app, g, request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from webapp.db import Database

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def database(app: Flask | None = None) -> Database:
    """The app's Database."""
    db: Database = (app or current_app).extensions["database"]
    return db


def db_session() -> Session:
    """The current request's session (read-only for the other methods on PostgreSQL)."""
    if "db_session" not in g:
        write = request.method in WRITE_METHODS
        g.db_session = database().session(write=write, read_only=not write)
    session: Session = g.db_session
    return session


def close_db_session(_exc: BaseException | None = None) -> None:
    """Roll back whatever was not committed and give the connection back; a read-only
    transaction that went well ends with COMMIT instead.

    psycopg forgets the statements it prepared on a connection at every ROLLBACK, so a
    connection serving reads never kept one: each read was parsed and planned again (0.5-0.8 ms
    a statement on PostgreSQL). A read-only transaction cannot have written anything for the
    COMMIT to keep.
    """
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        # On a connection the database cut (restart, outage) the rollback itself fails: nothing
        # was committed, the pool drops the connection, and the answer already chosen stands.
        with contextlib.suppress(SQLAlchemyError):
            if _exc is None and session.info.get("read_only") and session.in_transaction():
                session.commit()
            else:
                session.rollback()
        with contextlib.suppress(SQLAlchemyError):
            session.close()
