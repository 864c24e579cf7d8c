"""SQLite's planner statistics, refreshed in full for the tables whose size moved.

`ANALYZE` with a small `analysis_limit` samples each index's first rows: at 100,000 dossiers
it recorded a thousand dossiers per unit where there were fifty thousand, and the planner then
sorted every dossier a user may see for each page of the list (70 ms) instead of reading the
index by date (4 ms). Full statistics cost a scan of each index (about a second at 100,000
dossiers, holding the write lock), so a table is analysed only when it has none yet or when
its row count moved by more than a tenth since they were taken.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal_column, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

# A table is analysed again when its row count moved by this share since its statistics...
DRIFT = 0.1
# ...counted on at least this many rows, so small tables are not analysed on every pass.
MIN_ROWS = 1_000


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables(connection: Connection) -> list[str]:
    """The tables the app's queries read: not SQLite's own, not a virtual table's storage."""
    rows = connection.exec_driver_sql(
        "SELECT name, sql LIKE 'CREATE VIRTUAL TABLE%' FROM sqlite_master "
        "WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).all()
    virtual = [name for name, is_virtual in rows if is_virtual]
    return [
        name
        for name, is_virtual in rows
        if not is_virtual and not any(name.startswith(f"{v}_") for v in virtual)
    ]


def _recorded_rows(connection: Connection) -> dict[str, list[int]]:
    exists = connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
    ).first()
    if exists is None:
        return {}
    # Each index's line starts with the table's row count as its analysis saw it (sampled
    # statistics saw a different count per index).
    recorded: dict[str, list[int]] = {}
    for name, stat in connection.exec_driver_sql("SELECT tbl, stat FROM sqlite_stat1"):
        first = (stat or "").split(" ", 1)[0]
        if first.isdigit():
            recorded.setdefault(name, []).append(int(first))
    return recorded


def _moved(recorded: list[int], now: int) -> bool:
    return any(abs(now - rows) > DRIFT * max(rows, MIN_ROWS) for rows in recorded)


def _size_estimate(connection: Connection, name: str) -> int:
    """The largest rowid (one index step; tables here mostly grow), else the exact count."""
    try:
        largest: Any = select(func.max(literal_column("rowid"))).select_from(table(name))
        return int(connection.execute(largest).scalar() or 0)
    except OperationalError:  # WITHOUT ROWID
        return _count(connection, name)


def _count(connection: Connection, name: str) -> int:
    return int(connection.execute(select(func.count()).select_from(table(name))).scalar() or 0)


def stale_tables(connection: Connection) -> list[str]:
    """The tables whose statistics are missing (and that hold rows) or out of date."""
    recorded = _recorded_rows(connection)
    stale = []
    for name in _tables(connection):
        if name not in recorded:
            if _size_estimate(connection, name):
                stale.append(name)
        elif _moved(recorded[name], _size_estimate(connection, name)) and _moved(
            recorded[name], _count(connection, name)
        ):
            stale.append(name)
    return stale


def refresh(connection: Connection) -> list[str]:
    """Analyse, in full, every stale table (see `stale_tables`); returns their names."""
    stale = stale_tables(connection)
    connection.exec_driver_sql("PRAGMA analysis_limit=0")
    for name in stale:
        connection.exec_driver_sql(f"ANALYZE {_quoted(name)}")
    return stale
