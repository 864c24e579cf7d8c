"""Which database errors are an outage (503, try again) and which are a bug (500)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.faults.support import free_port
from webapp.db import is_unavailable, make_engine


def _error(engine, sql: str) -> OperationalError:
    with pytest.raises(OperationalError) as caught, engine.connect() as connection:
        connection.execute(text(sql))
    engine.dispose()
    return caught.value


def test_a_postgresql_server_that_does_not_answer_is_an_outage() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/postgres"
    assert is_unavailable(_error(make_engine(url), "SELECT 1"))


def test_a_locked_sqlite_database_is_an_outage_a_missing_table_is_not(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    holder = create_engine(url, isolation_level="AUTOCOMMIT")
    with holder.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        connection.exec_driver_sql("BEGIN EXCLUSIVE")
        impatient = create_engine(url, connect_args={"timeout": 0})
        assert is_unavailable(_error(impatient, "SELECT * FROM t"))
        connection.exec_driver_sql("ROLLBACK")
    holder.dispose()
    assert not is_unavailable(_error(make_engine(url), "SELECT * FROM no_such_table"))
