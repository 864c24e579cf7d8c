"""Two Departments' rounds of one movement through the Ministry round to the Minister's
decision, for the tests of a dossier's round history (service and page)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

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
from webapp.models import Dossier, OrgUnit, Round, User
from webapp.services.people import users as people
from webapp.services.rounds import lifecycle, ministry, steps

HN_ROLES = ("unit_officer", "unit_head", "director", "council_chair", "council_member")


@contextmanager
def hanoi(db) -> Iterator[OrgUnit]:
    """A second Department (Sở Tài chính Hà Nội) whose Office proposes, heads, signs and chairs,
    inside the block only (the roles go afterwards)."""
    admin = actor_named(db, "admin")
    user = db.scalars(select(User).where(User.username == "vanphong_hn")).one()
    unit = db.scalars(select(OrgUnit).where(OrgUnit.code == "HN")).one()
    granted = [
        people.add_assignment(db, admin, user.id, role=role, unit_id=unit.id).id
        for role in HN_ROLES
    ]
    db.commit()
    try:
        yield unit
    finally:
        db.rollback()
        for assignment_id in granted:
            people.remove_assignment(db, admin, user.id, assignment_id)
        db.commit()


@dataclass(frozen=True)
class Walk:
    """The rounds and dossiers of `walk`: a (Bắc Ninh, bk_btc), b (Bắc Ninh, bk_ttg, returned
    once by the Office before it reached the round), c (Hà Nội, whose submission the Ministry
    returned once)."""

    bn: Round
    hn: Round
    moh: Round
    a: Dossier
    b: Dossier
    c: Dossier


def _conclude(db, round_, office, chair, results):
    steps.close_intake(db, actor_named(db, office), round_.id)
    steps.compile_lists(db, actor_named(db, office), round_.id)
    db.commit()
    council_votes(db, round_, results)
    steps.record_conclusion(db, actor_named(db, chair), round_.id, results)
    db.commit()


def _sign(db, round_, director, form, number):
    payload = {"submission_number": number, "submission_date": "2026-12-01"}
    steps.sign_submission(db, actor_named(db, director), round_.id, form, payload)
    db.commit()


def walk(db) -> Walk:
    """Two Departments' rounds of one movement through the Ministry round to the Minister's
    decision (inside `hanoi`)."""
    plan = movement(db)
    db.commit()
    bn = open_round(db, forms=("bk_btc", "bk_ttg"), movement_id=plan.id)
    hn = lifecycle.open_round(
        db,
        actor_named(db, "vanphong_hn"),
        {
            "name": "Tổng kết năm 2025 (Hà Nội)",
            "movement_id": plan.id,
            "kind": "tong_ket",
            "award_forms": ["bk_btc"],
            "intake_deadline": (utcnow() + timedelta(days=10)).isoformat(),
        },
    )
    db.commit()
    a = join(db, bn, "canbo_ns", ("Nguyễn Thị Hằng", "Lê Văn Tám"))
    b = join(db, bn, "canbo_dn", ("Phạm Quốc Huy",), form="bk_ttg")
    c = join(db, hn, "vanphong_hn", ("Đỗ Thị Hà",))
    propose(db, a, "canbo_ns")
    # The Office returns b once before its proposal reaches the round.
    complete(db, "canbo_dn", b, "prepare_dossier", {"decision": "submit"})
    complete(db, "truongphong_dn", b, "approve_at_unit", {"decision": "approve"})
    complete(db, "vanphong", b, "check_dossier", {"decision": "return", "comment": "Thiếu"})
    propose(db, b, "canbo_dn")
    for step in ("prepare_dossier", "approve_at_unit", "check_dossier"):
        decision = "submit" if step == "prepare_dossier" else "approve"
        complete(db, "vanphong_hn", c, step, {"decision": decision})
    moh = ministry.open_ministry_round(
        db,
        actor_named(db, "chuyenvien_bo"),
        {
            "name": "Đợt xét của Bộ năm 2025",
            "movement_id": plan.id,
            "intake_deadline": "2026-12-31",
        },
    )
    db.commit()
    _conclude(
        db, bn, "vanphong", "giamdoc", {str(n.id): "passed" for n in (*a.nominees, *b.nominees)}
    )
    _conclude(db, hn, "vanphong_hn", "vanphong_hn", {str(c.nominees[0].id): "passed"})
    _sign(db, bn, "giamdoc", "bk_btc", "10/TTr-STC")
    _sign(db, bn, "giamdoc", "bk_ttg", "11/TTr-STC")
    _sign(db, hn, "vanphong_hn", "bk_btc", "3/TTr-STCHN")
    officer = actor_named(db, "chuyenvien_bo")
    ministry.return_submission(db, officer, moh.id, hn.id, "Thiếu biên bản họp Hội đồng")
    db.commit()
    ministry.resubmit(db, actor_named(db, "vanphong_hn"), hn.id, "Đã bổ sung biên bản họp")
    db.commit()
    ministry.close_appraisal(db, officer, moh.id)
    db.commit()
    passed = {str(n.id): "passed" for n in (*a.nominees, *b.nominees, *c.nominees)}
    ministry.record_council(db, officer, moh.id, passed)
    db.commit()
    ministry.record_minister_decision(
        db, actor_named(db, "botruong"), moh.id, {"decision_date": "2026-12-20"}
    )
    db.commit()
    return Walk(bn, hn, moh, a, b, c)
