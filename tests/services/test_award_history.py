"""Award history: every award recorded in the system with its decision, found by a name typed
without diacritics, within the Office's reach; on a dossier, each nominee's earlier awards."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from tests.conftest import actor_named
from webapp.models import Dossier, Nominee, OrgUnit, User
from webapp.services.award_history import history_of_nominees, search_awards
from webapp.services.text_search import fold


def _dossier(db, unit_code: str, code: str, rows: list[tuple[str, str, str | None]]) -> Dossier:
    """A closed dossier of `unit_code` with nominees (name, result, decision number)."""
    unit = db.scalars(select(OrgUnit).where(OrgUnit.code == unit_code)).one()
    user = db.scalars(select(User).where(User.username == "admin")).one()
    dossier = Dossier(
        code=code,
        title=f"Hồ sơ {code}",
        award_form="bk_btc",
        track="final",
        procedure="regular",
        status="partly_awarded",
        unit_id=unit.id,
        created_by_id=user.id,
        closed_at=datetime(2025, 12, 20, tzinfo=UTC),
    )
    for position, (name, result, number) in enumerate(rows):
        dossier.nominees.append(
            Nominee(
                position=position,
                kind="individual",
                name=name,
                folded_name=fold(name),
                job_title="Kế toán viên",
                result=result,
                decision_number=number,
                decision_date=date(2025, 12, 15) if number else None,
            )
        )
    db.add(dossier)
    db.flush()
    return dossier


def test_found_without_diacritics_with_its_decision(db):
    old = _dossier(
        db,
        "BN-QLNS",
        "AH-1",
        [
            ("Nguyễn Thị Hằng", "awarded", "345/QĐ-BTC"),
            ("Nguyễn Thị Hằng Nga", "refused", None),
            ("Nguyễn Văn Thắng", "awarded", "345/QĐ-BTC"),
        ],
    )
    other_department = _dossier(db, "HN", "AH-2", [("Nguyễn Thị Hằng", "awarded", "9/QĐ-BTC")])
    db.commit()
    hang = old.nominees[0]

    office = actor_named(db, "vanphong")
    found = search_awards(db, office, "nguyen thi hang")
    ids = [a.nominee_id for a in found]
    assert hang.id in ids
    # Refused is not an award; "hang" is a whole word, not part of "Thắng"; Hà Nội's award is
    # outside the Bắc Ninh Office's reach.
    assert old.nominees[1].id not in ids
    assert old.nominees[2].id not in ids
    assert other_department.nominees[0].id not in ids
    award = next(a for a in found if a.nominee_id == hang.id)
    assert (award.decision_number, award.decision_date) == ("345/QĐ-BTC", date(2025, 12, 15))
    assert award.name == "Nguyễn Thị Hằng"
    assert award.unit == "Phòng Quản lý ngân sách"
    # Typed with marks, upper case or in another order: the same award.
    for typed in ("Nguyễn Thị Hằng", "NGUYEN THI HANG", "hang nguyen"):
        assert hang.id in [a.nominee_id for a in search_awards(db, office, typed)], typed
    assert search_awards(db, office, "x") == []
    assert search_awards(db, office, "%") == []

    admin = actor_named(db, "admin")
    assert other_department.nominees[0].id in [
        a.nominee_id for a in search_awards(db, admin, "nguyen thi hang")
    ]


def test_a_new_nominee_shows_the_earlier_awards_of_the_same_name(db):
    old = _dossier(db, "BN-QLNS", "AH-3", [("Nguyễn Thị Hằng", "awarded", "345/QĐ-BTC")])
    new = _dossier(
        db,
        "BN-TCDN",
        "AH-4",
        [("nguyen thi  hang", "pending", None), ("Trần Văn Mới", "pending", None)],
    )
    db.commit()
    office = actor_named(db, "vanphong")
    history = history_of_nominees(db, office, new.nominees)
    assert [a.nominee_id for a in history[new.nominees[0].id]] == [old.nominees[0].id]
    assert new.nominees[1].id not in history
    # The award itself is not its own history.
    assert history_of_nominees(db, office, old.nominees) == {}
