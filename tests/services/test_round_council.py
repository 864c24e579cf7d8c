"""The round's council session: the council meets once and votes on the round's whole list.

Three units propose seven nominees in three dossiers; the secretary records five of seven
members present; the two absent members send written opinions; the tally per nominee counts
all seven; the chair concludes; each dossier receives its nominees' results and tallies.
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from sqlalchemy import delete, select

from tests.conftest import actor_named
from tests.services.rounds_support import complete, join, open_round, propose
from tests.services.test_council_session import ABSENT, PRESENT, seven_members  # noqa: F401
from tests.services.test_secret_ballot import (
    CHOICE_VALUE,
    _all_loggers_at_debug,
    _links_member,
    _text,
)
from webapp.db import Base
from webapp.models import (
    CouncilSession,
    Dossier,
    OrgUnit,
    RoleAssignment,
    RoundEvent,
    RoundInstance,
    RoundListItem,
    User,
)
from webapp.services import council_session
from webapp.services.auth import hash_password
from webapp.services.errors import ConflictError, InvalidDataError, PermissionDeniedError
from webapp.services.rounds import round_council, steps
from workflows.operations import tally_votes

MEMBERS = PRESENT + ABSENT
THIRD_UNIT = ("BN-KHTC", "Phòng Kế hoạch tài chính", "canbo_kh", "truongphong_kh")


@pytest.fixture
def third_unit(db):
    """A third division of the Department with its officer and head (gone afterwards)."""
    code, name, officer, head = THIRD_UNIT
    parent = db.scalars(select(OrgUnit).where(OrgUnit.code == "BN")).one()
    unit = db.scalars(select(OrgUnit).where(OrgUnit.code == code)).first()
    if unit is None:
        unit = OrgUnit(code=code, name=name, kind="division", parent_id=parent.id)
        db.add(unit)
        db.flush()
    unit.active = True
    added = []
    for username, role in ((officer, "unit_officer"), (head, "unit_head")):
        user = db.scalars(select(User).where(User.username == username)).first()
        if user is None:
            user = User(
                username=username,
                full_name=username,
                password_hash=hash_password("demo"),
                unit_id=unit.id,
            )
            db.add(user)
            db.flush()
        user.active = True
        db.add(RoleAssignment(user_id=user.id, role=role, unit_id=unit.id))
        added.append(user.id)
    db.commit()
    yield
    db.rollback()
    db.execute(delete(RoleAssignment).where(RoleAssignment.user_id.in_(added)))
    for user in db.scalars(select(User).where(User.id.in_(added))):
        user.active = False
    unit.active = False
    db.commit()


def _propose_third(db, dossier):
    _, _, officer, head = THIRD_UNIT
    complete(db, officer, dossier, "prepare_dossier", {"decision": "submit"})
    complete(db, head, dossier, "approve_at_unit", {"decision": "approve"})
    complete(db, "vanphong", dossier, "check_dossier", {"decision": "approve"})


def _compiled_round(db, forms=("bk_btc", "bk_ttg")):
    """A round with three dossiers from three units, seven nominees, compiled."""
    round_ = open_round(db, forms=forms)
    a = join(db, round_, "canbo_ns", ("Nguyễn Thị Hằng", "Trần Văn Bình", "Lê Văn Tám"))
    b = join(db, round_, "canbo_dn", ("Phạm Quốc Huy", "Đỗ Minh Tuấn"), form=forms[-1])
    c = join(db, round_, THIRD_UNIT[2], ("Vũ Văn Khánh", "Hà Thị Lan"))
    propose(db, a, "canbo_ns")
    propose(db, b, "canbo_dn")
    _propose_third(db, c)
    office = actor_named(db, "vanphong")
    steps.close_intake(db, office, round_.id)
    lists = steps.compile_lists(db, office, round_.id)
    db.commit()
    nominees = [str(i.nominee_id) for items in lists.values() for i in items]
    return round_, (a, b, c), nominees


def _choices(nominees: list[str], member_index: int) -> dict[str, str]:
    # Nominee k gets k+? disagreements: the first passes unanimously, later ones lose votes.
    return {key: "disagree" if member_index < k else "agree" for k, key in enumerate(nominees)}


def _record_meeting(db):
    def record(round_id):
        return round_council.record_meeting(
            db,
            actor_named(db, "vanphong"),
            round_id,
            meeting_date="2026-12-05",
            place="Phòng họp tầng 3",
            online=False,
            present=PRESENT,
        )

    return record


def _all_rows(db) -> dict[str, list[dict]]:
    out = {}
    for table in Base.metadata.sorted_tables:
        out[table.name] = [dict(r._mapping) for r in db.execute(table.select())]
    return out


@pytest.mark.usefixtures("seven_members", "third_unit")
def test_the_council_votes_once_on_the_whole_list_by_secret_ballot(db, caplog):
    round_, dossiers, nominees = _compiled_round(db)
    assert len(nominees) == 7
    assert {i.unit_id for i in db.scalars(select(RoundListItem))} == {d.unit_id for d in dossiers}
    council = council_session.latest_session(db, round_council.round_subject(round_.id))
    assert council is not None
    assert council.secret
    assert sorted(council.minutes["members"]) == sorted(MEMBERS)
    # The secretary records the meeting: five present, two absent.
    _record_meeting(db)(round_.id)
    db.commit()
    # The chair cannot conclude before the council has voted.
    with pytest.raises(ConflictError):
        steps.record_conclusion(db, actor_named(db, "giamdoc"), round_.id)
    db.rollback()
    # Each member votes on every nominee of every list; the absent ones give written opinions.
    _all_loggers_at_debug(caplog)
    caplog.clear()
    for index, member in enumerate(MEMBERS):
        round_council.cast_ballot(
            db, actor_named(db, member), round_.id, {"votes": _choices(nominees, index)}
        )
        db.commit()
    # No log record written while the members voted holds a choice (SQL included).
    assert any(r.name.startswith("sqlalchemy") for r in caplog.records)
    for record in caplog.records:
        if record.msg == "Col %r":  # a result's column names (round_list_item.agree), no value
            continue
        text = record.getMessage() + repr(vars(record))
        assert not CHOICE_VALUE.search(text), text[:500]
    # A member cannot vote twice; someone not on the council cannot vote at all.
    with pytest.raises(ConflictError):
        round_council.cast_ballot(
            db, actor_named(db, "hoidong1"), round_.id, {"votes": _choices(nominees, 0)}
        )
    with pytest.raises(PermissionDeniedError):
        round_council.cast_ballot(
            db, actor_named(db, "canbo_ns"), round_.id, {"votes": _choices(nominees, 0)}
        )
    db.rollback()
    # The tally per nominee counts all seven ballots, with each form's rules (2/3 of 7).
    ballots = {m: _choices(nominees, i) for i, m in enumerate(MEMBERS)}
    expected = tally_votes(ballots, MEMBERS, nominees, Fraction(2, 3), Fraction(2, 3))
    items = {str(i.nominee_id): i for i in db.scalars(select(RoundListItem))}
    for key in nominees:
        want = expected["nominees"][key]
        got = items[key]
        assert (got.agree, got.disagree, got.members) == (want["agree"], want["disagree"], 7)
        assert got.result == ("passed" if want["passed"] else "failed")
    assert [items[k].agree for k in nominees] == [7, 6, 5, 4, 3, 2, 1]
    council = council_session.latest_session(db, round_council.round_subject(round_.id))
    assert council.participation == {
        **dict.fromkeys(PRESENT, "vote"),
        **dict.fromkeys(ABSENT, "written"),
    }
    # The chair concludes: a result that differs from the count is refused, the count holds.
    with pytest.raises(InvalidDataError):
        steps.record_conclusion(db, actor_named(db, "giamdoc"), round_.id, {nominees[6]: "passed"})
    db.rollback()
    steps.record_conclusion(db, actor_named(db, "giamdoc"), round_.id, comment="Nhất trí")
    db.commit()
    council = db.get_one(CouncilSession, council.id)
    assert council.status == "concluded"
    minutes = council.minutes
    assert minutes["form_of_vote"] == "secret"
    assert minutes["attendance"] == {
        **dict.fromkeys(PRESENT, "present"),
        **dict.fromkeys(ABSENT, "absent"),
    }
    assert minutes["meeting"]["place"] == "Phòng họp tầng 3"
    assert minutes["tally"][nominees[0]]["agree"] == 7
    # The Director signs per award form; the results with tallies reach every dossier.
    for form in sorted({i.award_form for i in items.values() if i.result == "passed"}):
        steps.sign_submission(
            db,
            actor_named(db, "giamdoc"),
            round_.id,
            form,
            {"submission_number": f"9/TTr-{form}", "submission_date": "2026-12-06"},
        )
    db.commit()
    for dossier in dossiers:
        dossier = db.get_one(Dossier, dossier.id)
        db.refresh(dossier)
        for nominee in dossier.nominees:
            item = items[str(nominee.id)]
            assert (nominee.result, nominee.council_agree, nominee.council_disagree) == (
                item.result,
                item.agree,
                item.disagree,
            )
            assert nominee.council_members == 7
    # No table, round event or engine state links a member to a choice.
    rows = _all_rows(db)
    names = set(MEMBERS) | {
        u.full_name for u in db.scalars(select(User).where(User.username.in_(MEMBERS)))
    }
    ids = set(db.scalars(select(User.id).where(User.username.in_(MEMBERS))))
    for table, table_rows in rows.items():
        for row in table_rows:
            choice = CHOICE_VALUE.search(_text({k: _text(v) for k, v in row.items()}))
            assert choice is None or not _links_member(table, row, names, ids), (table, row)
    for event in db.scalars(select(RoundEvent).where(RoundEvent.round_id == round_.id)):
        assert not CHOICE_VALUE.search(json.dumps(event.data or {}, default=str))
    state = _text(db.scalars(select(RoundInstance)).one().state)
    assert "council_votes" in state
    assert not CHOICE_VALUE.search(state)


@pytest.mark.usefixtures("third_unit")
def test_an_open_round_vote_keeps_the_choices(db):
    round_, _dossiers, nominees = _compiled_round(db, forms=("bk_btc",))
    council = council_session.latest_session(db, round_council.round_subject(round_.id))
    assert council is not None
    assert not council.secret
    members = council.minutes["members"]
    for index, member in enumerate(members):
        round_council.cast_ballot(
            db, actor_named(db, member), round_.id, {"votes": _choices(nominees, index)}
        )
        db.commit()
    voted = db.scalars(
        select(RoundEvent).where(RoundEvent.round_id == round_.id, RoundEvent.action == "voted")
    ).all()
    assert [e.data["votes"] for e in voted] == [_choices(nominees, i) for i in range(len(members))]
    state = _text(db.scalars(select(RoundInstance)).one().state)
    assert CHOICE_VALUE.search(state)  # the engine keeps the ballots, as a dossier's open vote
    items = {str(i.nominee_id): i for i in db.scalars(select(RoundListItem))}
    assert items[nominees[0]].result == "passed"
    assert items[nominees[-1]].result == "failed"


@pytest.mark.usefixtures("third_unit")
def test_a_member_must_vote_on_every_nominee_of_every_list(db):
    round_, _dossiers, nominees = _compiled_round(db)
    with pytest.raises(InvalidDataError):
        round_council.cast_ballot(
            db, actor_named(db, "hoidong1"), round_.id, {"votes": {nominees[0]: "agree"}}
        )
    db.rollback()
    with pytest.raises(PermissionDeniedError):  # only the secretary records the meeting
        round_council.record_meeting(
            db,
            actor_named(db, "hoidong1"),
            round_.id,
            meeting_date="2026-12-05",
            place="",
            online=True,
            present=[],
        )
