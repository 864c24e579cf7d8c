"""Turn the database's ways of saying "someone else wrote first" into ConflictError (409)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from webapp.services.errors import ConflictError

# PostgreSQL: serialization failure, deadlock, lock not available.
_PG_CONFLICT_STATES = frozenset({"40001", "40P01", "55P03"})
# SQLite: a reader that fell behind a committed writer cannot start writing.
_SQLITE_CONFLICT_TEXT = ("database is locked", "database is busy")


def _is_write_conflict(exc: DBAPIError) -> bool:
    state = getattr(exc.orig, "sqlstate", None)
    if state in _PG_CONFLICT_STATES:
        return True
    return any(text in str(exc.orig).lower() for text in _SQLITE_CONFLICT_TEXT)


@contextmanager
def conflicts_as_409() -> Iterator[None]:
    """Run a write; a concurrent change by someone else becomes ConflictError."""
    try:
        yield
    except StaleDataError as exc:
        raise ConflictError("someone completed this step before you", code="stale") from exc
    except DBAPIError as exc:
        if _is_write_conflict(exc):
            raise ConflictError(
                "someone changed this dossier at the same time; try again", code="stale"
            ) from exc
        raise
