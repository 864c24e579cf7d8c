"""The export counts each dossier's nominees and names its award decision exactly as the
dossier's own page does (status_sentence.outcome_of), on every backend."""

from __future__ import annotations

import contextlib
import csv
import io
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from tests.conftest import actor_named
from webapp.models import Dossier, Nominee, User
from webapp.services import tracking_export
from webapp.services.dossiers import DossierFilters
from webapp.services.status_sentence import outcome_of

DOSSIERS = 120


def _shown(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day is not None else "None"


LABELS = tracking_export.ExportLabels(
    statuses={},
    award_forms={},
    results={},
    kinds={},
    # A date as the pages write it: a value read back as text instead of a date fails here.
    sentence=lambda s: (
        f"{s.kind}|{s.awarded}|{s.nominees}|{s.decision_number}|{_shown(s.decision_date)}"
    ),
)
# Numbers whose code-point order differs from a locale's ("Đ" sorts after "Z" by code point,
# digits before letters, "12" before "9"); "" is a number left blank.
NUMBERS = ["9/QĐ-BTC", "12/QĐ-BTC", "12/QD-BTC", "Z-01", "Đ-01", "a-01", "", None]
RESULTS = ["awarded", "awarded", "refused", "pending"]
STATUSES = ["awarded", "partly_awarded", "refused", "withdrawn"]


@contextlib.contextmanager
def numbers_in_vietnamese_order(db: Session) -> Iterator[None]:
    """On PostgreSQL, the decision numbers compared under a Vietnamese collation (a database
    created with a vi_VN locale), put back afterwards; SQLite compares code points anyway."""
    if db.get_bind().dialect.name != "postgresql":
        yield
        return
    alter = 'ALTER TABLE nominee ALTER COLUMN decision_number TYPE varchar(50) COLLATE "{}"'
    db.execute(text(alter.format("vi-x-icu")))
    db.commit()
    try:
        yield
    finally:
        db.rollback()
        db.execute(text(alter.format("default")))
        db.commit()


def test_each_row_counts_its_nominees_and_names_the_decision_as_the_dossier_page(db):
    with numbers_in_vietnamese_order(db):
        _check_outcomes(db)


def _check_outcomes(db: Session) -> None:
    rng = random.Random(20261207)
    officer = db.scalars(select(User).where(User.username == "canbo_ns")).one()
    start = datetime(2026, 3, 2, 2, tzinfo=UTC)
    dossiers, nominees, expected = [], [], {}
    for n in range(DOSSIERS):
        code = f"KQ-{n:04d}"
        status = rng.choice(STATUSES)
        dossiers.append(
            {
                "id": 2_000_000 + n,
                "code": code,
                "title": f"Hồ sơ {n}",
                "award_form": "bk_btc",
                "track": "ad_hoc",
                "procedure": "regular",
                "status": status,
                "unit_id": officer.unit_id,
                "created_by_id": officer.id,
                "created_at": start + timedelta(minutes=n),
                "updated_at": start + timedelta(minutes=n),
                "closed_at": start + timedelta(days=20),
                "search_text": code.lower(),
            }
        )
        mine = [
            {
                "dossier_id": 2_000_000 + n,
                "position": position,
                "kind": "individual",
                "name": f"Người {n}-{position}",
                "posthumous": False,
                "result": rng.choice(RESULTS),
                "decision_number": rng.choice(NUMBERS),
                "decision_date": rng.choice([None, date(2026, 5, rng.randint(1, 28))]),
            }
            for position in range(rng.randint(0, 5))  # a dossier may have none left
        ]
        nominees.extend(mine)
        expected[code] = (status, outcome_of([_Row(**row) for row in mine]))
    db.connection().execute(insert(Dossier), dossiers)
    db.connection().execute(insert(Nominee), nominees)
    db.commit()

    data = tracking_export.export_csv(
        db, actor_named(db, "canbo_ns"), DossierFilters(q="kq-"), LABELS
    )
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]
    assert sorted(row[0] for row in rows) == sorted(expected)
    for row in rows:
        status, outcome = expected[row[0]]
        assert (row[10], row[11]) == (str(outcome.nominees), str(outcome.awarded)), row[0]
        kind, awarded, total, number, day = row[9].split("|")
        assert (kind, int(total)) == (status, outcome.nominees), row[0]
        if status == "partly_awarded":
            assert int(awarded) == outcome.awarded, row[0]
        if status in ("awarded", "partly_awarded"):
            assert number == str(outcome.decision_number), row[0]
            assert day == _shown(outcome.decision_date), row[0]
    # The data holds what the comparison is about.
    decided = [outcome for _status, outcome in expected.values() if outcome.decision_number]
    assert len({outcome.decision_number for outcome in decided}) >= 4


class _Row:
    def __init__(self, **columns: object) -> None:
        self.__dict__.update(columns)
