"""A page's ids in a WHERE clause: the same rows on both databases, one statement text on
PostgreSQL whatever the number of ids."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import User
from webapp.services.id_lists import ids_in


def _ids(db: Session, ids: list[int]) -> list[int]:
    return list(db.scalars(select(User.id).where(ids_in(db, User.id, ids)).order_by(User.id)))


def test_exactly_the_listed_ids_are_read(db: Session) -> None:
    every = list(db.scalars(select(User.id).order_by(User.id)))
    assert len(every) >= 4
    some = every[1::2]
    assert _ids(db, some) == some
    assert _ids(db, iter(some)) == some  # any iterable, read once
    assert _ids(db, [every[0], every[0], 10**9]) == [every[0]]
    assert _ids(db, []) == []


def test_one_statement_text_for_any_number_of_ids_on_postgresql(db: Session) -> None:
    dialect = db.get_bind().dialect

    def text(count: int) -> str:
        query = select(User.id).where(ids_in(db, User.id, range(count)))
        return str(query.compile(dialect=dialect))

    if dialect.name == "postgresql":
        assert text(3) == text(100)
        assert "= ANY (" in text(3)
    else:
        # SQLite has no arrays: an IN list, whose statement renders one placeholder per id.
        assert " IN (" in text(3)
