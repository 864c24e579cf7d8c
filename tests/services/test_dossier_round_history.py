"""A dossier's round history: its Department round's steps and those of the Ministry round that
took the round's submission, in time order; never another dossier's arrival, another
Department's submission or its return, nor a council member's ballot."""

from __future__ import annotations

from tests.conftest import actor_named
from tests.services.round_history_support import hanoi, walk
from webapp.models import Dossier
from webapp.services.dossiers import start_dossier
from webapp.services.rounds.dossier_round_history import (
    DEPARTMENT,
    MINISTRY,
    dossier_round_history,
)


def _history(db, username, dossier):
    return dossier_round_history(db, actor_named(db, username), db.get(Dossier, dossier.id))


def test_a_dossier_sees_its_rounds_steps_and_nothing_of_other_dossiers(db):
    with hanoi(db):
        w = walk(db)
    lines = _history(db, "canbo_ns", w.a)
    seen = [(line.level, line.event.action) for line in lines]
    # The Department round's steps, the council's conclusion, its own form's signing.
    for step in ("intake_closed", "compiled", "counted", "concluded", "signed"):
        assert (DEPARTMENT, step) in seen, step
    assert (DEPARTMENT, "ministry_result") in seen  # the Ministry's answer came back
    # The Ministry round that took the submission: appraisal, council, the Minister's decision.
    for step in ("department_submission", "appraised", "council_decided", "minister_decided"):
        assert (MINISTRY, step) in seen, step
    signed = [line.event.data for line in lines if line.event.action == "signed"]
    assert [(d["award_form"], d["submission_number"]) for d in signed] == [("bk_btc", "10/TTr-STC")]
    [decided] = [line.event for line in lines if line.event.action == "minister_decided"]
    assert decided.data["decision_number"] == "1/QĐ-BTC"
    assert decided.actor.username == "botruong"
    assert all(line.round.id in (w.bn.id, w.moh.id) for line in lines)
    # In time order.
    times = [line.event.at for line in lines]
    assert times == sorted(times)
    # Nothing of dossier b (its arrival, its joining), of Hà Nội (its submission, its return).
    for line in lines:
        data = line.event.data or {}
        assert data.get("dossier_id") in (None, w.a.id), line.event.action
        assert data.get("department_round_id") in (None, w.bn.id), line.event.action
    assert "submission_returned" not in {action for _, action in seen}
    assert ("proposal_ready", w.a.id) in {
        (line.event.action, (line.event.data or {}).get("dossier_id")) for line in lines
    }
    # No council member's ballot, open or secret.
    assert not {"voted", "written_opinion"} & {action for _, action in seen}
    # b sees its own form's signing, not a's.
    b_signed = [
        line.event.data["submission_number"]
        for line in _history(db, "canbo_dn", w.b)
        if line.event.action == "signed"
    ]
    assert b_signed == ["11/TTr-STC"]


def test_the_returned_department_sees_its_own_return(db):
    with hanoi(db):
        w = walk(db)
    lines = _history(db, "vanphong_hn", w.c)
    actions = [(line.level, line.event.action) for line in lines]
    assert (MINISTRY, "submission_returned") in actions
    assert (DEPARTMENT, "resubmitted") in actions
    assert [
        line.event.data["department_round_id"]
        for line in lines
        if line.event.action == "department_submission"
    ] == [w.hn.id, w.hn.id]
    assert all(line.round.id in (w.hn.id, w.moh.id) for line in lines)


def test_a_dossier_in_no_round_has_no_round_history(db):
    payload = {
        "title": "Đề nghị khen thưởng đột xuất",
        "award_form": "bk_btc",
        "track": "ad_hoc",
        "procedure": "regular",
        "nominees": [{"kind": "individual", "name": "Nguyễn Thị Hằng"}],
    }
    dossier = start_dossier(db, actor_named(db, "canbo_ns"), payload)
    db.commit()
    assert dossier_round_history(db, actor_named(db, "canbo_ns"), dossier) == []
