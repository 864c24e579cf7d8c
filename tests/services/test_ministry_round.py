"""The Ministry round: two Departments submit, one is returned and resubmits, the Ministry
council drops a nominee, the Minister signs one decision (and one tờ trình upward), and each
unit's dossier gets its own nominees' results through the Department round."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import actor_named
from tests.services.rounds_support import (
    complete,
    council_votes,
    join,
    movement,
    open_round,
    propose,
)
from webapp.db import utcnow
from webapp.models import Dossier, Event, OrgUnit, Round, RoundListItem, User
from webapp.services.errors import (
    ConflictError,
    InvalidDataError,
    NotFoundError,
    PermissionDeniedError,
)
from webapp.services.people import users as people
from webapp.services.rounds import decisions, lifecycle, ministry, steps

HN_ROLES = ("unit_officer", "unit_head", "director", "council_chair", "council_member")


@pytest.fixture
def hanoi(db):
    """The second Department (Sở Tài chính Hà Nội): its Office also proposes, heads, signs and
    chairs, for this test only (the roles go afterwards)."""
    admin = actor_named(db, "admin")
    user = db.scalars(select(User).where(User.username == "vanphong_hn")).one()
    unit = db.scalars(select(OrgUnit).where(OrgUnit.code == "HN")).one()
    granted = [
        people.add_assignment(db, admin, user.id, role=role, unit_id=unit.id).id
        for role in HN_ROLES
    ]
    db.commit()
    yield unit
    db.rollback()
    for assignment_id in granted:
        people.remove_assignment(db, admin, user.id, assignment_id)
    db.commit()


def _hn_round(db, movement_id, forms=("bk_btc",)):
    payload = {
        "name": "Tổng kết năm 2025 (Hà Nội)",
        "movement_id": movement_id,
        "kind": "tong_ket",
        "award_forms": list(forms),
        "intake_deadline": (utcnow() + timedelta(days=10)).isoformat(),
    }
    round_ = lifecycle.open_round(db, actor_named(db, "vanphong_hn"), payload)
    db.commit()
    return round_


def _hn_propose(db, dossier):
    complete(db, "vanphong_hn", dossier, "prepare_dossier", {"decision": "submit"})
    complete(db, "vanphong_hn", dossier, "approve_at_unit", {"decision": "approve"})
    complete(db, "vanphong_hn", dossier, "check_dossier", {"decision": "approve"})


def _conclude(db, round_, office, chair, results):
    steps.close_intake(db, actor_named(db, office), round_.id)
    steps.compile_lists(db, actor_named(db, office), round_.id)
    db.commit()
    council_votes(db, round_, results)
    steps.record_conclusion(db, actor_named(db, chair), round_.id, results)
    db.commit()


def _sign(db, round_, director, form, number, **extra):
    payload = {"submission_number": number, "submission_date": "2026-12-01", **extra}
    steps.sign_submission(db, actor_named(db, director), round_.id, form, payload)
    db.commit()


def _open_ministry(db, movement_id, name="Đợt xét tổng kết của Bộ năm 2025"):
    round_ = ministry.open_ministry_round(
        db,
        actor_named(db, "chuyenvien_bo"),
        {"name": name, "movement_id": movement_id, "intake_deadline": "2026-12-31"},
    )
    db.commit()
    return round_


def _statuses(db, ministry_round):
    return {
        s.department_round.id: (s.status, s.times)
        for s in ministry.submissions(db, db.get(Round, ministry_round.id))
    }


def _fresh(db, dossier):
    dossier = db.get(Dossier, dossier.id)
    db.refresh(dossier)
    return dossier


def test_two_departments_one_returned_one_dropped_one_decision(db, hanoi):
    plan = movement(db)
    db.commit()
    bn = open_round(db, forms=("bk_btc", "bk_ttg"), movement_id=plan.id)
    hn = _hn_round(db, plan.id)
    a = join(db, bn, "canbo_ns", ("Nguyễn Thị Hằng", "Lê Văn Tám"))
    b = join(db, bn, "canbo_dn", ("Phạm Quốc Huy",), form="bk_ttg")
    c = join(db, hn, "vanphong_hn", ("Đỗ Thị Hà", "Vũ Minh Long"))
    propose(db, a, "canbo_ns")
    propose(db, b, "canbo_dn")
    _hn_propose(db, c)
    moh = _open_ministry(db, plan.id)
    with pytest.raises(PermissionDeniedError):  # the Department's Office does not open it
        ministry.open_ministry_round(db, actor_named(db, "vanphong"), {})

    _conclude(
        db,
        bn,
        "vanphong",
        "giamdoc",
        {str(n.id): "passed" for n in (*a.nominees, *b.nominees)},
    )
    # Hà Nội's council does not pass its second nominee: it never reaches the Ministry.
    _conclude(
        db,
        hn,
        "vanphong_hn",
        "vanphong_hn",
        {str(c.nominees[0].id): "passed", str(c.nominees[1].id): "failed"},
    )
    _sign(db, bn, "giamdoc", "bk_btc", "10/TTr-STC")
    assert _statuses(db, moh) == {}  # one tờ trình still to sign: nothing sent yet
    _sign(db, bn, "giamdoc", "bk_ttg", "11/TTr-STC")
    _sign(db, hn, "vanphong_hn", "bk_btc", "3/TTr-STCHN")
    assert _statuses(db, moh) == {bn.id: ("received", 1), hn.id: ("received", 1)}
    assert db.get(Round, bn.id).step == "wait_ministry_result"

    officer = actor_named(db, "chuyenvien_bo")
    with pytest.raises(InvalidDataError) as no_reason:
        ministry.return_submission(db, officer, moh.id, hn.id, " ")
    assert set(no_reason.value.fields) == {"reason"}
    ministry.return_submission(db, officer, moh.id, hn.id, "Thiếu biên bản họp Hội đồng")
    db.commit()
    assert _statuses(db, moh) == {bn.id: ("received", 1), hn.id: ("returned", 1)}
    assert db.get(Round, hn.id).step == "fix_submission"
    assert db.get(Round, bn.id).step == "wait_ministry_result"  # the others go on
    with pytest.raises(ConflictError) as waiting:
        ministry.close_appraisal(db, officer, moh.id)
    assert waiting.value.code == "submission_returned"
    db.rollback()
    with pytest.raises(NotFoundError):  # only Hà Nội's Office supplements its own
        ministry.resubmit(db, actor_named(db, "vanphong"), hn.id, "Đã bổ sung")
    ministry.resubmit(db, actor_named(db, "vanphong_hn"), hn.id, "Đã bổ sung biên bản họp")
    db.commit()
    assert _statuses(db, moh) == {bn.id: ("received", 1), hn.id: ("received", 2)}

    lists = ministry.close_appraisal(db, officer, moh.id)
    db.commit()
    assert {form: [i.nominee_id for i in items] for form, items in lists.items()} == {
        "bk_btc": [a.nominees[0].id, a.nominees[1].id, c.nominees[0].id],
        "bk_ttg": [b.nominees[0].id],
    }
    with pytest.raises(InvalidDataError):  # every nominee needs the council's word
        ministry.record_council(db, officer, moh.id, {str(a.nominees[0].id): "passed"})
    db.rollback()
    ministry.record_council(
        db,
        officer,
        moh.id,
        {
            str(a.nominees[0].id): "passed",
            str(a.nominees[1].id): "failed",  # the Ministry council drops this one
            str(c.nominees[0].id): "passed",
            str(b.nominees[0].id): {"result": "passed", "agree": 9, "disagree": 0, "members": 9},
        },
    )
    db.commit()
    with pytest.raises(PermissionDeniedError):  # the Minister signs, not the officer
        ministry.record_minister_decision(db, officer, moh.id, {"decision_date": "2026-12-20"})
    signed = ministry.record_minister_decision(
        db, actor_named(db, "botruong"), moh.id, {"decision_date": "2026-12-20"}
    )
    db.commit()
    # Numbers of the Ministry's registers for the decision's year.
    assert (signed.decision_number, signed.upward_number) == ("1/QĐ-BTC", "1/TTr-BTC")
    assert (signed.awarded, signed.sent_up) == (2, 1)

    a, b, c = _fresh(db, a), _fresh(db, b), _fresh(db, c)
    assert [n.result for n in a.nominees] == ["awarded", "refused"]
    assert [n.result for n in c.nominees] == ["awarded", "failed"]
    # One decision, one number, for the nominees of both Departments.
    assert a.nominees[0].decision_number == c.nominees[0].decision_number == "1/QĐ-BTC"
    assert (a.status, c.status) == ("partly_awarded", "awarded")
    # Sent up for the Prime Minister: the dossier waits for the central decision.
    assert [n.result for n in b.nominees] == ["sent_up"]
    assert b.status == "in_progress"
    for round_ in (bn, hn, moh):
        assert db.get(Round, round_.id).status == "finished"
    # Each dossier's history says its decision arrived (Ministry → Department round → dossier).
    steps_seen = {
        d.id: {e.step for e in db.scalars(select(Event).where(Event.dossier_id == d.id))}
        for d in (a, c)
    }
    assert all("wait_final_decision" in seen for seen in steps_seen.values())
    items = db.scalars(select(RoundListItem).where(RoundListItem.round_id == moh.id)).all()
    assert {i.nominee_id: i.result for i in items}[b.nominees[0].id] == "sent_up"

    # The Minister's award was decided through the Ministry round: not again on the Department's.
    with pytest.raises(ConflictError) as again:
        decisions.record_ministry_decision(
            db,
            officer,
            bn.id,
            "bk_btc",
            {"decision_number": "9/QĐ-BTC", "decision_date": "2026-12-21"},
        )
    assert again.value.code == "nothing_to_decide"
    # The Prime Minister's decision comes back: the officer records it for the sent-up nominee.
    decisions.record_ministry_decision(
        db,
        officer,
        bn.id,
        "bk_ttg",
        {"decision_number": "77/QĐ-TTg", "decision_date": "2027-02-01"},
    )
    db.commit()
    b = _fresh(db, b)
    assert [(n.result, n.decision_number) for n in b.nominees] == [("awarded", "77/QĐ-TTg")]
    assert b.status == "awarded"


def test_two_ministry_rounds_never_receive_each_others_submissions(db):
    plan = movement(db)
    db.commit()
    bn = open_round(db, forms=("bk_btc",), movement_id=plan.id)
    a = join(db, bn, "canbo_ns", ("Nguyễn Thị Hằng",))
    propose(db, a, "canbo_ns")
    first = _open_ministry(db, plan.id, "Đợt xét của Bộ (đợt 1)")
    second = _open_ministry(db, plan.id, "Đợt xét của Bộ (đợt 2)")
    other_plan = movement(db)
    db.commit()
    elsewhere = _open_ministry(db, other_plan.id, "Đợt xét của Bộ cho phong trào khác")
    _conclude(db, bn, "vanphong", "giamdoc", {str(a.nominees[0].id): "passed"})

    # Two Ministry rounds are open for the movement: the Office must choose; nothing is kept.
    with pytest.raises(InvalidDataError) as unchosen:
        _sign(db, bn, "giamdoc", "bk_btc", "12/TTr-STC")
    assert set(unchosen.value.fields) == {"ministry_round_id"}
    db.rollback()
    with pytest.raises(InvalidDataError) as foreign:  # another movement's round is no choice
        _sign(db, bn, "giamdoc", "bk_btc", "12/TTr-STC", ministry_round_id=elsewhere.id)
    assert set(foreign.value.fields) == {"ministry_round_id"}
    db.rollback()
    assert db.get(Round, bn.id).step == "sign_submissions"

    _sign(db, bn, "giamdoc", "bk_btc", "12/TTr-STC", ministry_round_id=second.id)
    assert _statuses(db, second) == {bn.id: ("received", 1)}
    assert _statuses(db, first) == {}
    assert _statuses(db, elsewhere) == {}
    officer = actor_named(db, "chuyenvien_bo")
    with pytest.raises(ConflictError) as not_theirs:
        ministry.return_submission(db, officer, first.id, bn.id, "Không thuộc đợt này")
    assert not_theirs.value.code == "not_received"
    with pytest.raises(ConflictError) as empty:
        ministry.close_appraisal(db, officer, first.id)
    assert empty.value.code == "nothing_submitted"
    db.rollback()
    # Returned by the round it went to: the return reaches the Department round, not the other.
    ministry.return_submission(db, officer, second.id, bn.id, "Bổ sung danh sách")
    db.commit()
    assert db.get(Round, bn.id).step == "fix_submission"
    ministry.resubmit(db, actor_named(db, "vanphong"), bn.id, "Đã bổ sung")
    db.commit()
    assert _statuses(db, second) == {bn.id: ("received", 2)}
    assert _statuses(db, first) == {}
