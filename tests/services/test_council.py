"""Who sits on a dossier's council: the active members of the nearest unit, going up the
organisation tree, that has any."""

from __future__ import annotations

from sqlalchemy import select

from webapp.models import OrgUnit, RoleAssignment, User
from webapp.services.council import COUNCIL_MEMBER_ROLE, council_members

BAC_NINH_COUNCIL = {"giamdoc", "hoidong1", "hoidong2", "hoidong3", "hoidong4"}


def unit(db, code: str) -> OrgUnit:
    return db.scalars(select(OrgUnit).where(OrgUnit.code == code)).one()


def user(db, username: str) -> User:
    return db.scalars(select(User).where(User.username == username)).one()


def test_a_division_takes_its_departments_council(db):
    found = council_members(db, unit(db, "BN-QLNS").id)
    assert found == {name: name for name in sorted(BAC_NINH_COUNCIL)}
    assert list(found) == sorted(BAC_NINH_COUNCIL)
    assert council_members(db, unit(db, "BN").id) == found


def test_the_nearest_council_wins_and_only_active_members_sit(db):
    division = unit(db, "BN-TCDN")
    db.add(
        RoleAssignment(
            user_id=user(db, "truongphong_dn").id, role=COUNCIL_MEMBER_ROLE, unit_id=division.id
        )
    )
    db.flush()
    assert council_members(db, division.id) == {"truongphong_dn": "truongphong_dn"}
    # The other division still has the department's.
    assert set(council_members(db, unit(db, "BN-QLNS").id)) == BAC_NINH_COUNCIL
    user(db, "truongphong_dn").active = False
    user(db, "hoidong2").active = False
    db.flush()
    assert set(council_members(db, division.id)) == BAC_NINH_COUNCIL - {"hoidong2"}


def test_no_council_above_means_none(db):
    assert council_members(db, unit(db, "HN").id) == {}
    assert council_members(db, unit(db, "BTC").id) == {}


def test_a_cycle_in_the_tree_ends_the_search(db):
    ministry, hanoi = unit(db, "BTC"), unit(db, "HN")
    ministry.parent_id = hanoi.id  # HN -> BTC -> HN -> …, no council on the way
    db.flush()
    assert council_members(db, hanoi.id) == {}
    ministry.parent_id = unit(db, "BN-QLNS").id  # BTC -> BN-QLNS -> BN -> BTC -> …
    db.flush()
    assert set(council_members(db, ministry.id)) == BAC_NINH_COUNCIL
