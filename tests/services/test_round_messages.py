"""Messages between a round and its dossiers: routed by correlation, delivered in the same
transaction as the turn that threw them, all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import actor_named
from tests.services.rounds_support import (
    BPMN_DIR,
    complete,
    council_votes,
    join,
    open_item,
    open_round,
    propose,
    to_office_check,
)
from webapp.models import (
    Event,
    MessageSubscription,
    ProcessInstance,
    Round,
    RoundEntry,
    RoundEvent,
    RoundInstance,
)
from webapp.services import process_versions
from webapp.services.errors import ProcessFailedError
from webapp.services.rounds import messaging, steps
from webapp.services.rounds.round_instances import ROUND_PROCESS_KEY
from webapp.services.rounds.shipped import read_round_bundle


def revisions(db, dossier, round_):
    instance = db.scalar(select(ProcessInstance).where(ProcessInstance.dossier_id == dossier.id))
    holder = db.scalar(select(RoundInstance).where(RoundInstance.round_id == round_.id))
    db.refresh(instance)
    db.refresh(holder)
    return instance.revision, holder.revision


def counts(db):
    return (
        db.scalar(select(func.count()).select_from(Event)),
        db.scalar(select(func.count()).select_from(RoundEvent)),
    )


def received(db, round_):
    return sorted(
        db.scalars(
            select(RoundEntry.dossier_id).where(
                RoundEntry.round_id == round_.id, RoundEntry.status == "received"
            )
        )
    )


def finish_round(db, round_, results):
    """Close, compile, conclude with `results` (nominee id -> result) and sign every form."""
    steps.close_intake(db, actor_named(db, "vanphong"), round_.id)
    db.commit()
    lists = steps.compile_lists(db, actor_named(db, "vanphong"), round_.id)
    db.commit()
    council_votes(db, round_, results)
    steps.record_conclusion(db, actor_named(db, "giamdoc"), round_.id, results)
    db.commit()
    for form in sorted(
        {
            i.award_form
            for items in lists.values()
            for i in items
            if results[str(i.nominee_id)] == "passed"
        }
    ):
        steps.sign_submission(
            db,
            actor_named(db, "giamdoc"),
            round_.id,
            form,
            {"submission_number": f"12/TTr-STC-{form}", "submission_date": "2026-12-01"},
        )
        db.commit()
    return lists


def test_two_rounds_take_only_their_own_dossiers_and_results_come_back_to_each(db):
    first = open_round(db, "Tổng kết năm 2025")
    second = open_round(db, "Sơ kết 6 tháng", kind="so_ket")
    a = join(db, first, "canbo_ns", ("Nguyễn Thị Hằng", "Lê Văn Tám"))
    b = join(db, second, "canbo_dn", ("Phạm Quốc Huy",))
    c = join(db, first, "canbo_dn", ("Đỗ Minh Tuấn",), form="bk_ttg")
    for dossier, officer in ((a, "canbo_ns"), (b, "canbo_dn"), (c, "canbo_dn")):
        propose(db, dossier, officer)

    assert received(db, first) == sorted([a.id, c.id])
    assert received(db, second) == [b.id]
    # A dossier whose proposal left waits at its catch; the check is done.
    assert open_item(db, a, "check_dossier") is None
    assert a.status == "in_progress"

    lists = finish_round(
        db,
        first,
        {
            str(a.nominees[0].id): "passed",
            str(a.nominees[1].id): "failed",
            str(c.nominees[0].id): "failed",
        },
    )
    assert {form: [i.nominee_id for i in items] for form, items in lists.items()} == {
        "bk_btc": [a.nominees[0].id, a.nominees[1].id],
        "bk_ttg": [c.nominees[0].id],
    }
    for dossier in (a, b, c):
        db.refresh(dossier)
    assert [n.result for n in a.nominees] == ["passed", "failed"]
    assert a.status == "in_progress"  # waits for the decision above
    assert a.submission_number == "12/TTr-STC-bk_btc"
    assert [n.result for n in c.nominees] == ["failed"]
    assert c.status == "refused"
    # The other round's dossier got nothing and still waits for its own round.
    assert [n.result for n in b.nominees] == ["pending"]
    assert db.get(Round, second.id).status == "intake"
    assert db.get(Round, first.id).status == "finished"
    waiting_b = db.scalars(
        select(MessageSubscription.message_name).where(
            MessageSubscription.instance_kind == "dossier",
            MessageSubscription.correlation_key == "dossier",
        )
    ).all()
    assert "round_result" in waiting_b


def test_a_subscription_says_who_waits_for_what(db):
    round_ = open_round(db)
    dossier = join(db, round_)
    holder = db.scalar(select(RoundInstance).where(RoundInstance.round_id == round_.id))
    rows = db.scalars(
        select(MessageSubscription).where(
            MessageSubscription.instance_kind == "round",
            MessageSubscription.instance_id == holder.id,
        )
    ).all()
    assert sorted(r.message_name for r in rows) == ["intake_closed", "proposal_ready"]
    assert {r.correlation_key for r in rows} == {"round"}
    propose(db, dossier)
    instance = db.scalar(select(ProcessInstance).where(ProcessInstance.dossier_id == dossier.id))
    mine = db.scalars(
        select(MessageSubscription).where(
            MessageSubscription.instance_kind == "dossier",
            MessageSubscription.instance_id == instance.id,
        )
    ).all()
    assert {(r.message_name, r.correlation_key) for r in mine} == {
        ("round_result", "round"),
        ("round_result", "dossier"),
    }


def _deploy_failing_round(db):
    """A round version whose turn after a received proposal fails (a missing key in the
    condition that decides whether intake goes on)."""
    bpmn_xml, files = read_round_bundle(BPMN_DIR, ROUND_PROCESS_KEY)
    loop = '<bpmn:loopCondition xsi:type="bpmn:tFormalExpression">True</bpmn:loopCondition>'
    assert loop in bpmn_xml
    bpmn_xml = bpmn_xml.replace(
        loop,
        '<bpmn:loopCondition xsi:type="bpmn:tFormalExpression">'
        'proposal["no_such_key"]</bpmn:loopCondition>',
    )
    admin = actor_named(db, "admin")
    version = process_versions.create_version(db, admin, ROUND_PROCESS_KEY, bpmn_xml, files)
    process_versions.deploy_version(db, admin, ROUND_PROCESS_KEY, version.version)
    db.commit()


def test_a_receiving_turn_that_fails_leaves_neither_side_advanced(db):
    _deploy_failing_round(db)
    round_ = open_round(db)
    dossier = join(db, round_)
    to_office_check(db, dossier)
    before = revisions(db, dossier, round_), counts(db)

    with pytest.raises(ProcessFailedError) as caught:
        complete(db, "vanphong", dossier, "check_dossier", {"decision": "approve"}, commit=False)
    assert "no_such_key" in str(caught.value)
    db.rollback()

    assert (revisions(db, dossier, round_), counts(db)) == before
    assert open_item(db, dossier, "check_dossier") is not None
    assert received(db, round_) == []


def test_a_proposal_nobody_waits_for_is_refused_and_nothing_moves(db):
    round_ = open_round(db)
    dossier = join(db, round_)
    to_office_check(db, dossier)
    steps.close_intake(db, actor_named(db, "vanphong"), round_.id)
    db.commit()
    entry = db.scalar(select(RoundEntry).where(RoundEntry.dossier_id == dossier.id))
    assert (entry.status, entry.reason) == ("late", "intake_closed")
    before = revisions(db, dossier, round_), counts(db)

    with pytest.raises(messaging.UndeliverableMessageError) as caught:
        complete(db, "vanphong", dossier, "check_dossier", {"decision": "approve"}, commit=False)
    assert "proposal_ready" in str(caught.value)
    db.rollback()
    assert (revisions(db, dossier, round_), counts(db)) == before


def test_deliveries_past_the_bound_stop_the_request_cleanly(db, monkeypatch):
    round_ = open_round(db)
    dossier = join(db, round_)
    to_office_check(db, dossier)
    before = revisions(db, dossier, round_), counts(db)
    monkeypatch.setattr(messaging, "MAX_DELIVERIES", 0)

    with pytest.raises(messaging.MessageLoopError):
        complete(db, "vanphong", dossier, "check_dossier", {"decision": "approve"}, commit=False)
    db.rollback()
    assert (revisions(db, dossier, round_), counts(db)) == before
