"""Helpers for the round tests: open a round, take a dossier through to the Office's check."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from tests.conftest import actor_named
from webapp.db import utcnow
from webapp.models import Dossier, Movement, RoundListItem, WorkItem
from webapp.services import work_items
from webapp.services.rounds import lifecycle, movements

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"


def movement(db) -> Movement:
    return movements.create_movement(
        db,
        actor_named(db, "vanphong"),
        {"code": f"KH-{uuid.uuid4().hex[:8]}", "name": "Phong trào thi đua tổng kết năm"},
    )


def open_round(db, name="Tổng kết năm 2025", forms=("bk_btc", "bk_ttg"), **extra):
    payload = {
        "name": name,
        "movement_id": movement(db).id,
        "kind": "tong_ket",
        "award_forms": list(forms),
        "intake_deadline": (utcnow() + timedelta(days=10)).isoformat(),
        **extra,
    }
    round_ = lifecycle.open_round(db, actor_named(db, "vanphong"), payload)
    db.commit()
    return round_


def join(db, round_, officer="canbo_ns", names=("Nguyễn Thị Hằng", "Trần Văn Bình"), form="bk_btc"):
    payload = {
        "title": f"Đề nghị của đơn vị ({officer})",
        "award_form": form,
        "track": "final",
        "procedure": "regular",
        "nominees": [{"kind": "individual", "name": n} for n in names],
    }
    dossier = lifecycle.join_round(db, actor_named(db, officer), round_.id, payload)
    db.commit()
    return dossier


def open_item(db, dossier: Dossier, step: str) -> WorkItem | None:
    return db.scalars(
        select(WorkItem).where(
            WorkItem.dossier_id == dossier.id, WorkItem.step == step, WorkItem.status == "open"
        )
    ).first()


def complete(db, username, dossier, step, data, *, commit=True):
    item = open_item(db, dossier, step)
    assert item is not None, f"{dossier.code} does not wait at {step}"
    result = work_items.complete_work_item(db, actor_named(db, username), item.id, data)
    if commit:
        db.commit()
    return result


HEADS = {"canbo_ns": "truongphong_ns", "canbo_dn": "truongphong_dn"}


def to_office_check(db, dossier, officer="canbo_ns"):
    complete(db, officer, dossier, "prepare_dossier", {"decision": "submit"})
    complete(db, HEADS[officer], dossier, "approve_at_unit", {"decision": "approve"})


def propose(db, dossier, officer="canbo_ns"):
    """Through the unit and the Office's check: the proposal reaches its round."""
    to_office_check(db, dossier, officer)
    complete(db, "vanphong", dossier, "check_dossier", {"decision": "approve"})


def council_votes(db, round_, results):
    """Every council member votes on the round's whole list as `results` (nominee id ->
    "passed" | "failed") says: agree on the passed, disagree on the others."""
    from webapp.services import council_session
    from webapp.services.rounds import round_council

    council = council_session.latest_session(db, round_council.round_subject(round_.id))
    assert council is not None, "the round's council session opens at compilation"
    keys = [
        str(n)
        for n in db.scalars(
            select(RoundListItem.nominee_id).where(RoundListItem.round_id == round_.id)
        )
    ]
    choices = {k: "agree" if results.get(k) == "passed" else "disagree" for k in keys}
    for member in council.minutes["members"]:
        round_council.cast_ballot(db, actor_named(db, member), round_.id, {"votes": choices})
    db.commit()
