"""Rounds as the Office runs them: open, join, late, close early, compile in order, quotas."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import actor_named
from tests.services.rounds_support import join, movement, open_round, propose
from webapp.db import utcnow
from webapp.models import Round, RoundEntry, RoundEvent
from webapp.services.errors import ConflictError, InvalidDataError, PermissionDeniedError
from webapp.services.rounds import lifecycle, movements, steps


def test_the_office_opens_a_round_that_waits_for_proposals(db):
    round_ = open_round(db)
    assert (round_.status, round_.kind, round_.award_forms) == (
        "intake",
        "tong_ket",
        ["bk_btc", "bk_ttg"],
    )
    assert round_.unit.code == "BN"
    assert [
        e.action for e in db.scalars(select(RoundEvent).where(RoundEvent.round_id == round_.id))
    ] == ["opened"]


def test_only_the_office_opens_a_round_and_bad_fields_are_named(db):
    with pytest.raises(PermissionDeniedError):
        lifecycle.open_round(db, actor_named(db, "canbo_ns"), {})
    with pytest.raises(InvalidDataError) as caught:
        lifecycle.open_round(
            db,
            actor_named(db, "vanphong"),
            {
                "name": "",
                "movement_id": 999999,
                "kind": "x",
                "award_forms": ["nope"],
                "intake_deadline": "soon",
            },
        )
    assert set(caught.value.fields) == {
        "name",
        "movement_id",
        "kind",
        "award_forms",
        "intake_deadline",
    }


def test_a_movement_needs_a_code_and_name_and_a_sane_period(db):
    with pytest.raises(InvalidDataError) as caught:
        movements.create_movement(
            db,
            actor_named(db, "vanphong"),
            {"period_start": "2026-12-31", "period_end": "2026-01-01", "issuing_level": "x"},
        )
    assert set(caught.value.fields) == {"code", "name", "period_end", "issuing_level"}
    with pytest.raises(PermissionDeniedError):
        movements.create_movement(db, actor_named(db, "canbo_ns"), {"code": "A", "name": "B"})
    first = movement(db)
    with pytest.raises(InvalidDataError) as caught:
        movements.create_movement(
            db, actor_named(db, "vanphong"), {"code": first.code, "name": "x"}
        )
    assert "code" in caught.value.fields


def test_a_dossier_joins_a_round_in_its_movement_on_the_proposal_process(db):
    round_ = open_round(db)
    dossier = join(db, round_)
    assert dossier.movement_id == round_.movement_id
    entry = db.scalar(select(RoundEntry).where(RoundEntry.dossier_id == dossier.id))
    assert (entry.round_id, entry.status) == (round_.id, "joined")
    assert lifecycle.round_of_dossier(db, dossier.id).id == round_.id
    instance = lifecycle.dossier_instance(db, dossier.id)
    assert instance.version.process_key == "round_proposal"


def test_a_late_or_closed_round_refuses_a_proposal_with_the_reason(db):
    past = open_round(db, intake_deadline=(utcnow() - timedelta(minutes=1)).isoformat())
    with pytest.raises(InvalidDataError) as caught:
        join(db, past)
    assert "deadline" in caught.value.fields["round_id"]
    db.rollback()
    closed = open_round(db)
    steps.close_intake(db, actor_named(db, "vanphong"), closed.id)
    db.commit()
    with pytest.raises(InvalidDataError) as caught:
        join(db, closed)
    assert caught.value.fields["round_id"] == "intake is closed"
    db.rollback()
    with pytest.raises(InvalidDataError) as caught:
        join(db, open_round(db, forms=("bk_ttg",)), form="bk_btc")
    assert "award_form" in caught.value.fields


def test_closing_early_marks_unaccepted_dossiers_late_and_a_second_close_conflicts(db):
    round_ = open_round(db)
    accepted = join(db, round_)
    waiting = join(db, round_, "canbo_dn", ("Phạm Quốc Huy",))
    propose(db, accepted)
    with pytest.raises(PermissionDeniedError):
        steps.close_intake(db, actor_named(db, "canbo_ns"), round_.id)
    steps.close_intake(db, actor_named(db, "vanphong"), round_.id)
    db.commit()
    statuses = dict(
        db.execute(
            select(RoundEntry.dossier_id, RoundEntry.status).where(RoundEntry.round_id == round_.id)
        ).all()
    )
    assert statuses == {accepted.id: "received", waiting.id: "late"}
    assert db.get(Round, round_.id).status == "closed"
    with pytest.raises(ConflictError):
        steps.close_intake(db, actor_named(db, "vanphong"), round_.id)


def test_the_deadline_closes_intake_for_the_scheduler(db):
    round_ = open_round(db)
    later = open_round(db, "Đợt sau")
    round_.intake_deadline = utcnow() - timedelta(seconds=1)
    db.commit()
    assert steps.close_due_intakes(db) == [round_.id]
    db.commit()
    assert (db.get(Round, round_.id).status, db.get(Round, later.id).status) == ("closed", "intake")


def test_compiling_makes_one_ordered_list_per_award_form_with_every_units_nominees(db):
    round_ = open_round(db)
    dn = join(db, round_, "canbo_dn", ("Phạm Quốc Huy", "Đỗ Minh Tuấn"))
    ns = join(db, round_, "canbo_ns", ("Nguyễn Thị Hằng",))
    ttg = join(db, round_, "canbo_ns", ("Lê Văn Tám",), form="bk_ttg")
    for dossier, officer in ((dn, "canbo_dn"), (ns, "canbo_ns"), (ttg, "canbo_ns")):
        propose(db, dossier, officer)
    steps.close_intake(db, actor_named(db, "vanphong"), round_.id)
    db.commit()
    with pytest.raises(PermissionDeniedError):
        steps.compile_lists(db, actor_named(db, "giamdoc"), round_.id)
    lists = steps.compile_lists(db, actor_named(db, "vanphong"), round_.id)
    db.commit()
    rows = {
        form: [(i.position, i.unit.code, i.nominee.name) for i in items]
        for form, items in lists.items()
    }
    # Units in code order (BN-QLNS before BN-TCDN), a dossier's nominees in their own order.
    assert rows == {
        "bk_btc": [
            (1, "BN-QLNS", "Nguyễn Thị Hằng"),
            (2, "BN-TCDN", "Phạm Quốc Huy"),
            (3, "BN-TCDN", "Đỗ Minh Tuấn"),
        ],
        "bk_ttg": [(1, "BN-QLNS", "Lê Văn Tám")],
    }
    detail = lifecycle.round_detail(db, actor_named(db, "vanphong"), round_.id)
    # The council votes on the whole list: one ballot per member (the demo council of five).
    assert [t.element_id for t in detail.ready] == ["council_vote"] * 5
    assert sum(len(v) for v in detail.lists.values()) == 4
    # The chair cannot conclude before the council has voted.
    with pytest.raises(ConflictError):
        steps.record_conclusion(
            db, actor_named(db, "giamdoc"), round_.id, {str(ns.nominees[0].id): "passed"}
        )


def test_a_quota_per_unit_and_form_refuses_the_nominee_too_many(db):
    unit = actor_named(db, "canbo_ns").unit_id
    round_ = open_round(db, quota={str(unit): {"bk_btc": 2}})
    join(db, round_, "canbo_ns", ("A", "B"))
    with pytest.raises(InvalidDataError) as caught:
        join(db, round_, "canbo_ns", ("C",))
    assert "nominees" in caught.value.fields


def test_a_late_dossier_moves_to_the_next_round_and_its_proposal_goes_there(db):
    from tests.services.rounds_support import complete, to_office_check

    first = open_round(db, "Đợt 1")
    dossier = join(db, first)
    to_office_check(db, dossier)
    steps.close_intake(db, actor_named(db, "vanphong"), first.id)
    db.commit()
    second = open_round(db, "Đợt 2")
    closed = open_round(db, "Đợt đã đóng")
    steps.close_intake(db, actor_named(db, "vanphong"), closed.id)
    db.commit()
    with pytest.raises(PermissionDeniedError):
        lifecycle.move_late_dossier(db, actor_named(db, "canbo_ns"), dossier.id, second.id)
    with pytest.raises(InvalidDataError) as caught:
        lifecycle.move_late_dossier(db, actor_named(db, "vanphong"), dossier.id, closed.id)
    assert caught.value.fields["round_id"] == "intake is closed"

    lifecycle.move_late_dossier(db, actor_named(db, "vanphong"), dossier.id, second.id)
    db.commit()
    complete(db, "vanphong", dossier, "check_dossier", {"decision": "approve"})
    entry = db.scalar(select(RoundEntry).where(RoundEntry.dossier_id == dossier.id))
    assert (entry.round_id, entry.status) == (second.id, "received")
    actions = [
        e.action for e in db.scalars(select(RoundEvent).where(RoundEvent.round_id == first.id))
    ]
    assert "moved_out" in actions
    assert "proposal_ready" not in actions
    with pytest.raises(ConflictError):
        lifecycle.move_late_dossier(db, actor_named(db, "vanphong"), dossier.id, first.id)
