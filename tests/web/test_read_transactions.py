"""A read request's transaction: it cannot keep a write, it is over when the request is, and on
PostgreSQL it ends with COMMIT (read-only) so that the statements psycopg prepared on the pooled
connection stay prepared for the next requests (a ROLLBACK makes psycopg forget them all: every
read was parsed and planned again)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.exc import DBAPIError

from webapp.models import User
from webapp.request_db import database, db_session


def _full_name(app: Any) -> str:
    with database(app).transaction() as session:
        return session.scalar(select(User.full_name).where(User.username == "vanphong")) or ""


def test_a_read_request_keeps_no_write(app):
    before = _full_name(app)
    postgresql = database(app).engine.dialect.name == "postgresql"
    with app.test_request_context("/", method="GET"):
        session = db_session()
        change = update(User).where(User.username == "vanphong").values(full_name="Đã sửa")
        try:
            session.execute(change)
            refused = False
        except DBAPIError as exc:
            refused = "read-only" in str(exc.orig)
    # PostgreSQL refuses the write at once; on SQLite the read's transaction is rolled back.
    assert refused == postgresql
    assert _full_name(app) == before
    # A write request's is kept (and the demo user's name put back for the other tests).
    try:
        with app.test_request_context("/", method="POST"):
            db_session().execute(change)
            db_session().commit()
        assert _full_name(app) == "Đã sửa"
    finally:
        with database(app).transaction() as session:
            session.execute(
                update(User).where(User.username == "vanphong").values(full_name=before)
            )


def test_reads_end_their_transaction_and_keep_their_prepared_statements(app, api):
    engine = database(app).engine
    used: set[Any] = set()

    def remember(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        used.add(dbapi_connection)

    dossier = api.start()
    event.listen(engine, "checkout", remember)
    try:
        # Enough reads for every pooled connection to see the same statements past psycopg's
        # threshold (5), whichever connection each request is given.
        for _ in range(40):
            assert api.get(f"/api/v1/dossiers/{dossier['id']}", "vanphong").status_code == 200
    finally:
        event.remove(engine, "checkout", remember)
    assert used
    # No read leaves a transaction open on its connection (a snapshot held between requests).
    if engine.dialect.name == "sqlite":
        assert not any(connection.in_transaction for connection in used)
        return
    alive = [connection for connection in used if not connection.closed]
    assert all(c.info.transaction_status.name == "IDLE" for c in alive)
    prepared = 0
    for connection in alive:
        prepared += connection.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0]
        connection.commit()
    assert prepared > 0
