"""Who will do the work (services.staffing): who can take each waiting step, what deactivating a
user or removing one role assignment would leave with nobody, and the gaps the catalogue shows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import actor_named
from tests.services.test_people import NEW_DOSSIER, admin, new_user, restore_demo_people, unit_id
from webapp.models import Event, OrgUnit, RoleAssignment, User, WorkItem
from webapp.request_db import database
from webapp.services import dossiers, people, seeding, staffing, work_items
from webapp.services.errors import NotFoundError, PermissionDeniedError

KEY = "award_nomination"


def regrant_demo_roles(app: Flask) -> None:
    """Give back the demo users' seeded role assignments a test removed (restore_demo_people
    only takes away the extra ones)."""
    with database(app).transaction() as session:
        users = dict(session.execute(select(User.username, User.id)).all())
        units = dict(session.execute(select(OrgUnit.code, OrgUnit.id)).all())
        held = set(
            session.execute(
                select(RoleAssignment.user_id, RoleAssignment.role, RoleAssignment.unit_id)
            ).all()
        )
        for username, _name, _home, roles in seeding.DEMO_USERS:
            for role, unit in roles:
                if (users[username], role, units[unit]) not in held:
                    session.add(
                        RoleAssignment(user_id=users[username], role=role, unit_id=units[unit])
                    )


@pytest.fixture
def org(app: Flask, db: Session) -> Iterator[Session]:
    """The db session; afterwards the demo organisation is restored, grants included."""
    yield db
    db.rollback()
    restore_demo_people(app)
    regrant_demo_roles(app)


def open_item(db, dossier_id, step):
    return db.scalars(
        select(WorkItem).where(
            WorkItem.dossier_id == dossier_id, WorkItem.step == step, WorkItem.status == "open"
        )
    ).one()


def do(db, username, dossier_id, step, data):
    item = open_item(db, dossier_id, step)
    work_items.complete_work_item(db, actor_named(db, username), item.id, data)
    db.commit()


def at_unit_head(db):
    """A dossier of Phòng Quản lý ngân sách waiting for its unit head (truongphong_ns only)."""
    dossier = dossiers.start_dossier(db, actor_named(db, "canbo_ns"), NEW_DOSSIER)
    db.commit()
    do(db, "canbo_ns", dossier.id, "prepare_dossier", {"decision": "submit"})
    return dossier, open_item(db, dossier.id, "approve_at_unit")


def user_of(db, username):
    return actor_named(db, username).user_id


def grant(db, username, role, unit):
    user = user_of(db, username)
    granted = people.add_assignment(db, admin(db), user, role=role, unit_id=unit_id(db, unit))
    db.commit()
    return granted


def assignment_of(db, username, role, unit):
    return db.scalars(
        select(RoleAssignment.id).where(
            RoleAssignment.user_id == user_of(db, username),
            RoleAssignment.role == role,
            RoleAssignment.unit_id == unit_id(db, unit),
        )
    ).one()


def names(work):
    return [t.full_name for t in work.takers]


# --- deactivating a user ---------------------------------------------------------------------


def test_the_only_holder_s_step_is_left_with_nobody(org):
    dossier, item = at_unit_head(org)
    head = user_of(org, "truongphong_ns")
    impact = staffing.deactivation_impact(org, admin(org), head)
    [waiting] = impact.items
    assert (waiting.item_id, waiting.dossier_code, waiting.step) == (
        item.id,
        dossier.code,
        "approve_at_unit",
    )
    assert waiting.unit_name == "Phòng Quản lý ngân sách"
    assert waiting.due_at is not None
    assert waiting.left_alone
    assert impact.gaps == [waiting]
    assert impact.fingerprint == str(item.id)
    # Nothing changed: the impact only reads.
    org.refresh(item)
    assert actor_named(org, "truongphong_ns").scopes["unit_head"]


def test_a_holder_above_the_unit_can_take_it(org):
    _dossier, item = at_unit_head(org)
    other = new_user(org, "t_pho", full_name="Phạm Thị Phó")
    people.add_assignment(org, admin(org), other.id, role="unit_head", unit_id=unit_id(org, "BN"))
    org.commit()
    [waiting] = staffing.deactivation_impact(org, admin(org), user_of(org, "truongphong_ns")).items
    assert names(waiting) == ["Phạm Thị Phó"]
    assert staffing.deactivation_impact(org, admin(org), user_of(org, "truongphong_ns")).gaps == []
    # A deactivated holder takes nothing.
    people.deactivate_user(org, admin(org), other.id)
    org.commit()
    [waiting] = staffing.deactivation_impact(org, admin(org), user_of(org, "truongphong_ns")).items
    assert waiting.left_alone
    assert [w.item_id for w in staffing.who_can_take(org, admin(org), [item.id])] == [item.id]


def test_a_claimed_step_goes_back_to_the_others(org):
    _dossier, item = at_unit_head(org)
    other = new_user(org, "t_pho", home="BN-QLNS", full_name="Phạm Thị Phó")
    people.add_assignment(
        org, admin(org), other.id, role="unit_head", unit_id=unit_id(org, "BN-QLNS")
    )
    org.commit()
    work_items.claim_work_item(org, actor_named(org, "truongphong_ns"), item.id)
    org.commit()
    # While it is claimed, only the claimer can take it.
    [now] = staffing.who_can_take(org, admin(org), [item.id])
    assert names(now) == ["Lê Thị Thu Hà"]
    # The claimer's deactivation gives it back: the other head can take it.
    [waiting] = staffing.deactivation_impact(org, admin(org), user_of(org, "truongphong_ns")).items
    assert waiting.claimed
    assert names(waiting) == ["Phạm Thị Phó"]
    # The other head's deactivation leaves it to its claimer: not waiting for them.
    assert staffing.deactivation_impact(org, admin(org), other.id).items == []


def test_an_inactive_user_leaves_nothing(org):
    at_unit_head(org)
    head = user_of(org, "truongphong_ns")
    people.deactivate_user(org, admin(org), head)
    org.commit()
    assert staffing.deactivation_impact(org, admin(org), head).items == []


def test_a_council_ballot_waits_for_its_member_by_name(org):
    dossier, _item = at_unit_head(org)
    do(org, "truongphong_ns", dossier.id, "approve_at_unit", {"decision": "approve"})
    do(org, "vanphong", dossier.id, "check_dossier", {"decision": "approve"})
    member = user_of(org, "hoidong4")
    [ballot] = staffing.deactivation_impact(org, admin(org), member).items
    assert ballot.step == "council_vote"
    assert ballot.by_name
    assert ballot.left_alone  # four other members, but the ballot is this member's
    # The other members' ballots are not waiting for this one.
    assert len(staffing.deactivation_impact(org, admin(org), user_of(org, "hoidong1")).items) == 1


# --- removing a role assignment --------------------------------------------------------------


def test_removing_the_only_assignment_leaves_the_step_with_nobody(org):
    _dossier, item = at_unit_head(org)
    head = user_of(org, "truongphong_ns")
    granted = assignment_of(org, "truongphong_ns", "unit_head", "BN-QLNS")
    [waiting] = staffing.removal_impact(org, admin(org), head, granted).items
    assert waiting.item_id == item.id
    assert waiting.left_alone
    # Another assignment of the same person that still reaches the unit keeps them on it.
    grant(org, "truongphong_ns", "unit_head", "BN")
    [waiting] = staffing.removal_impact(org, admin(org), head, granted).items
    assert names(waiting) == ["Lê Thị Thu Hà"]
    # An assignment that does not reach the dossier's unit concerns nothing.
    elsewhere = grant(org, "truongphong_ns", "unit_head", "HN")
    assert staffing.removal_impact(org, admin(org), head, elsewhere.id).items == []


def test_removing_a_role_gives_back_the_steps_the_user_no_longer_reaches(org):
    dossier, item = at_unit_head(org)
    head = user_of(org, "truongphong_ns")
    work_items.claim_work_item(org, actor_named(org, "truongphong_ns"), item.id)
    org.commit()
    # Still reached through the department: the claim stays.
    above = grant(org, "truongphong_ns", "unit_head", "BN")
    people.remove_assignment(
        org, admin(org), head, assignment_of(org, "truongphong_ns", "unit_head", "BN-QLNS")
    )
    org.commit()
    org.refresh(item)
    assert item.claimed_by_id == head
    # The last assignment that reached it goes: so does the claim, with a line in the history.
    people.remove_assignment(org, admin(org), head, above.id)
    org.commit()
    org.refresh(item)
    assert item.claimed_by_id is None
    released = org.scalars(
        select(Event).where(Event.dossier_id == dossier.id, Event.action == "released")
    ).one()
    assert released.data == {"released_for": "truongphong_ns", "reason": "role_removed"}
    assert released.actor_id == admin(org).user_id


# --- gaps in the catalogue -------------------------------------------------------------------


def test_the_catalogue_gaps_follow_the_people(org):
    assert staffing.process_gaps(org, admin(org)) == {}
    dossier, item = at_unit_head(org)
    assert staffing.process_gaps(org, admin(org)) == {}
    head = user_of(org, "truongphong_ns")
    people.deactivate_user(org, admin(org), head)
    org.commit()
    gaps = staffing.process_gaps(org, admin(org))[KEY]
    assert [w.item_id for w in gaps.unstaffed] == [item.id]
    [lane] = gaps.lanes
    assert (lane.role, lane.role_name) == ("unit_head", "Lãnh đạo đơn vị")
    assert [(u.unit_name, u.dossiers) for u in lane.units] == [("Phòng Quản lý ngân sách", 1)]
    assert lane.steps == ("Lãnh đạo đơn vị duyệt hồ sơ",)
    assert staffing.version_gaps(org, admin(org), KEY, 1) == gaps
    assert [w.dossier_code for w in staffing.unstaffed_work(org, admin(org), KEY)] == [dossier.code]
    # Someone is given the role: the gaps close.
    people.reactivate_user(org, admin(org), head)
    org.commit()
    assert staffing.process_gaps(org, admin(org)) == {}


def test_a_lane_gap_needs_running_dossiers_in_the_unit(org):
    # Hà Nội has only an office: no unit officer, head, council or director. No dossier runs
    # there, so nothing is missing where work can arrive.
    assert set(actor_named(org, "vanphong_hn").scopes) == {"office"}
    at_unit_head(org)
    assert staffing.version_gaps(org, admin(org), KEY, 1).lanes == []


# --- who may ask -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda db, a: staffing.deactivation_impact(db, a, a.user_id), id="user"),
        pytest.param(lambda db, a: staffing.removal_impact(db, a, a.user_id, 1), id="role"),
        pytest.param(lambda db, a: staffing.process_gaps(db, a), id="catalogue"),
        pytest.param(lambda db, a: staffing.version_gaps(db, a, KEY, 1), id="version"),
        pytest.param(lambda db, a: staffing.unstaffed_work(db, a), id="unstaffed"),
        pytest.param(lambda db, a: staffing.who_can_take(db, a, [1]), id="takers"),
    ],
)
def test_only_administrators_ask(org, call):
    with pytest.raises(PermissionDeniedError):
        call(org, actor_named(org, "vanphong"))


def test_unknown_users_assignments_and_versions_are_not_found(org):
    head = user_of(org, "truongphong_ns")
    someone_else_s = assignment_of(org, "vanphong", "office", "BN")
    for call in [
        lambda: staffing.deactivation_impact(org, admin(org), 999999),
        lambda: staffing.removal_impact(org, admin(org), head, 999999),
        lambda: staffing.removal_impact(org, admin(org), head, someone_else_s),
        lambda: staffing.version_gaps(org, admin(org), KEY, 999),
    ]:
        with pytest.raises(NotFoundError):
            call()
