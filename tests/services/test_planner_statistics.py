"""SQLite's planner statistics: full, refreshed when a table's size moves, and the plans they
give the tracking list and its search.

Its own SQLite file (the statistics are the database's, not a test's): migrated, seeded, then
thousands of dossiers inserted with SQLAlchemy core in the Office's units, oldest first, as a
Department's table grows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, insert, select, text

import config
from tests.conftest import actor_named
from webapp import create_app, planner_statistics
from webapp.cli import upgrade_database
from webapp.models import Dossier, User
from webapp.request_db import database
from webapp.services import dossiers, seeding

# Enough rows that sampled statistics (analysis_limit=1000) sent the list through the units'
# index and a sort of every dossier (measured: 60,000 does, 20,000 did not).
DOSSIERS = 60_000


@pytest.fixture(scope="module")
def sqlite_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    work = tmp_path_factory.mktemp("planner")
    settings = config.TestingConfig()
    settings.DATABASE_URL = f"sqlite:///{work / 'stats.sqlite'}"
    settings.UPLOAD_DIR = work / "uploads"
    app = create_app(settings)
    upgrade_database(app)
    with database(app).transaction() as session:
        seeding.seed_demo(session, Path(settings.BPMN_DIR), settings.PROCESS_KEY)
    _insert_dossiers(app, DOSSIERS, first_id=1)
    yield app
    database(app).dispose()


def _insert_dossiers(app: Flask, count: int, first_id: int) -> None:
    """`count` dossiers, alternately in the two units whose officers start them."""
    with database(app).transaction() as session:
        officers = list(
            session.scalars(select(User).where(User.username.in_(["canbo_ns", "canbo_dn"])))
        )
        start = datetime(2026, 1, 5, 2, tzinfo=UTC)
        rows = []
        for n in range(count):
            officer = officers[n % 2]
            dossier_id = first_id + n
            rows.append(
                {
                    "id": dossier_id,
                    "code": f"BN-{dossier_id}",
                    "title": f"Đề nghị khen thưởng số {dossier_id}",
                    "award_form": "bk_btc",
                    "track": "ad_hoc",
                    "procedure": "regular",
                    "status": "in_progress",
                    "unit_id": officer.unit_id,
                    "created_by_id": officer.id,
                    "created_at": start + timedelta(minutes=dossier_id),
                    "updated_at": start + timedelta(minutes=dossier_id),
                    # One dossier in a hundred names the person searched for.
                    "search_text": f"bn-{dossier_id} "
                    + ("nguyen thi hang" if dossier_id % 100 == 7 else f"tran van {dossier_id}"),
                }
            )
        session.execute(insert(Dossier), rows)


def _plans(app: Flask, read: Any) -> list[tuple[str, str]]:
    """Every SELECT on dossier that `read(session)` sends, with its query plan."""
    db = database(app)
    sent: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "FROM dossier" in statement:
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.transaction(write=False) as session:
            read(session)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    with db.engine.connect() as conn:
        return [
            (
                sql,
                " | ".join(
                    row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
                ),
            )
            for sql, params in sent
        ]


def test_statistics_are_taken_in_full_and_again_when_a_table_grows(sqlite_app):
    db = database(sqlite_app)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")  # statistics of every table, dossier's then dropped
        conn.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'dossier'")
        assert planner_statistics.stale_tables(conn) == ["dossier"]
    db.optimize()
    with db.engine.connect() as conn:
        assert planner_statistics.stale_tables(conn) == []
        stats = dict(
            conn.exec_driver_sql(
                "SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'dossier'"
            ).fetchall()
        )
    # Counted, not sampled: every row, and half of them in each unit.
    rows = int(stats["ix_dossier_unit_status"].split()[0])
    assert stats["ix_dossier_unit_status"].split()[:2] == [str(rows), str(rows // 2)]
    # A twentieth more is within the drift; a fifth more is not.
    _insert_dossiers(sqlite_app, rows // 20, first_id=100_001)
    with db.engine.connect() as conn:
        assert "dossier" not in planner_statistics.stale_tables(conn)
    _insert_dossiers(sqlite_app, rows // 5, first_id=200_001)
    with db.engine.connect() as conn:
        assert planner_statistics.stale_tables(conn) == ["dossier"]
    db.optimize()
    with db.engine.connect() as conn:
        assert planner_statistics.stale_tables(conn) == []


def test_the_list_reads_its_date_index_and_a_search_reads_its_indexes(sqlite_app):
    """After the statistics refresh, the Office's list reads the date index in order (no sort
    of every dossier it may see). A search reads the FTS5 index once (one lookup for all its
    words, stopping at the search's bound), never walking the units' index; a search matching
    more than the bound reads its page along the date index that holds the folded text (each
    dossier's row read only for a match), a rarer one its found rows by id."""
    db = database(sqlite_app)
    db.optimize()
    with db.transaction(write=False) as session:
        office = actor_named(session, "vanphong")
    plans = _plans(sqlite_app, lambda s: dossiers.list_dossiers(s, office, per_page=50))
    [page] = [plan for sql, plan in plans if "ORDER BY" in sql]
    # Either index by date (the one holding the folded text too is as good for a page).
    assert "ix_dossier_created_id" in page or "ix_dossier_search_created" in page, page
    assert "TEMP B-TREE" not in page, page
    common = _plans(
        sqlite_app, lambda s: dossiers.list_dossiers(s, office, q="Nguyễn Thị Hằng", per_page=50)
    )
    rare = _plans(sqlite_app, lambda s: dossiers.list_dossiers(s, office, q="BN-3000"))
    for searched in (common, rare):
        assert sum(plan.count("dossier_fts") for _sql, plan in searched) == 1, searched
        for _sql, plan in searched:
            assert "ix_dossier_unit_status" not in plan, plan
    [(_sql, along_dates)] = [(sql, plan) for sql, plan in common if "ix_dossier_search" in plan]
    assert "COVERING INDEX ix_dossier_search_created" in along_dates, along_dates
    assert "TEMP B-TREE" not in along_dates, along_dates
    for _sql, plan in rare:
        assert "USING INTEGER PRIMARY KEY" in plan, plan
    with db.transaction(write=False) as session:
        found = dossiers.list_dossiers(session, office, q="nguyen thi hang", per_page=50)
        newest = session.scalars(
            text(
                "SELECT id FROM dossier WHERE search_text LIKE '%nguyen thi hang%' "
                "ORDER BY created_at DESC, id DESC LIMIT 50"
            )
        ).all()
        few = dossiers.list_dossiers(session, office, q="bn-3000")
        counted = session.scalar(text("SELECT count(*) FROM dossier WHERE code LIKE 'BN-3000%'"))
    assert (found.total, found.total_is_lower_bound) == (dossiers.SEARCH_TOTAL_BOUND, True)
    assert [d.id for d in found.items] == newest
    assert (few.total, few.total_is_lower_bound) == (counted, False)
    assert counted == 11
