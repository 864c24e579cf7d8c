"""The Ministry's decision recorded on a Department round (no Ministry round took its submission)
reaches every dossier of that form."""

from __future__ import annotations

import pytest

from tests.conftest import actor_named
from tests.services.rounds_support import council_votes, join, open_round, propose
from webapp.models import Dossier
from webapp.services.errors import ConflictError, InvalidDataError, PermissionDeniedError
from webapp.services.rounds import decisions, ministry, steps


def _finished_round(db, ministry_round=False):
    round_ = open_round(db, forms=("bk_btc",))
    if ministry_round:  # the Ministry collects this movement's submissions in its own round
        ministry.open_ministry_round(
            db,
            actor_named(db, "chuyenvien_bo"),
            {
                "name": "Đợt xét của Bộ",
                "movement_id": round_.movement_id,
                "intake_deadline": "2030-12-31",
            },
        )
        db.commit()
    a = join(db, round_, "canbo_ns", ("Nguyễn Thị Hằng", "Lê Văn Tám"))
    b = join(db, round_, "canbo_dn", ("Phạm Quốc Huy",))
    propose(db, a, "canbo_ns")
    propose(db, b, "canbo_dn")
    office, chair = actor_named(db, "vanphong"), actor_named(db, "giamdoc")
    steps.close_intake(db, office, round_.id)
    steps.compile_lists(db, office, round_.id)
    db.commit()
    with pytest.raises(ConflictError):  # not before the round sends its results
        decisions.record_ministry_decision(
            db, actor_named(db, "chuyenvien_bo"), round_.id, "bk_btc", {}
        )
    results = {
        str(a.nominees[0].id): "passed",
        str(a.nominees[1].id): "passed",
        str(b.nominees[0].id): "passed",
    }
    council_votes(db, round_, results)
    steps.record_conclusion(db, chair, round_.id, results)
    payload = {"submission_number": "9/TTr-STC", "submission_date": "2026-12-01"}
    steps.sign_submission(db, chair, round_.id, "bk_btc", payload)
    db.commit()
    return round_, a, b


def test_the_decision_awards_every_dossier_of_the_form_but_the_refused_nominee(db):
    round_, a, b = _finished_round(db)
    ministry = actor_named(db, "chuyenvien_bo")
    with pytest.raises(PermissionDeniedError):
        decisions.record_ministry_decision(db, actor_named(db, "vanphong"), round_.id, "bk_btc", {})
    with pytest.raises(InvalidDataError) as caught:
        decisions.record_ministry_decision(db, ministry, round_.id, "bk_btc", {"refused": [0]})
    assert set(caught.value.fields) == {"decision_number", "decision_date", "refused"}

    decided = decisions.record_ministry_decision(
        db,
        ministry,
        round_.id,
        "bk_btc",
        {
            "decision_number": "345/QĐ-BTC",
            "decision_date": "2026-12-20",
            "refused": [a.nominees[1].id],
        },
    )
    db.commit()
    assert decided == 2
    a, b = db.get(Dossier, a.id), db.get(Dossier, b.id)
    db.refresh(a)
    db.refresh(b)
    assert [n.result for n in a.nominees] == ["awarded", "refused"]
    assert a.nominees[0].decision_number == "345/QĐ-BTC"
    assert (a.status, b.status) == ("partly_awarded", "awarded")
    # Decided once: the dossiers no longer wait for a decision.
    with pytest.raises(InvalidDataError) as again:
        decisions.record_ministry_decision(
            db,
            ministry,
            round_.id,
            "bk_btc",
            {"decision_number": "346/QĐ-BTC", "decision_date": "2026-12-21"},
        )
    assert again.value.code == "message_undeliverable"


def test_with_a_ministry_round_the_decision_is_not_recorded_on_the_department_round(db):
    round_, a, _b = _finished_round(db, ministry_round=True)
    # The submission went to the Ministry round: the Department round waits for its result.
    assert db.get(type(round_), round_.id).step == "wait_ministry_result"
    with pytest.raises(ConflictError) as waiting:
        decisions.record_ministry_decision(
            db,
            actor_named(db, "chuyenvien_bo"),
            round_.id,
            "bk_btc",
            {"decision_number": "345/QĐ-BTC", "decision_date": "2026-12-20"},
        )
    assert waiting.value.code == "round_not_finished"
    assert [n.result for n in db.get(Dossier, a.id).nominees] == ["passed", "passed"]
