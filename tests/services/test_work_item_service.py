"""Use cases against a real database: one transaction each, domain errors, history."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import actor_named
from webapp.models import Dossier, Event, ProcessInstance, WorkItem
from webapp.request_db import database
from webapp.services import dossiers, work_items
from webapp.services.errors import (
    ConflictError,
    InvalidDataError,
    NotFoundError,
    PermissionDeniedError,
)

NEW = {
    "title": "Đề nghị khen thưởng đột xuất",
    "award_form": "bk_btc",
    "track": "ad_hoc",
    "procedure": "regular",
    "nominees": [
        {"kind": "individual", "name": "Nguyễn Thị Hằng"},
        {"kind": "collective", "name": "Phòng Quản lý ngân sách"},
    ],
}


def start(db, **overrides):
    dossier = dossiers.start_dossier(db, actor_named(db, "canbo_ns"), {**NEW, **overrides})
    db.commit()
    return dossier


def open_item(db, dossier, step):
    return db.scalars(
        select(WorkItem).where(
            WorkItem.dossier_id == dossier.id, WorkItem.step == step, WorkItem.status == "open"
        )
    ).first()


def complete(db, username, dossier, step, data):
    item = open_item(db, dossier, step)
    result = work_items.complete_work_item(db, actor_named(db, username), item.id, data)
    db.commit()
    return result


def test_start_creates_dossier_instance_first_item_and_history(db):
    dossier = start(db)
    assert dossier.code.startswith("BN-QLNS-")
    assert dossier.status == "in_progress"
    assert dossier.search_text.startswith(dossier.code.lower())
    instance = db.scalar(select(ProcessInstance).where(ProcessInstance.dossier_id == dossier.id))
    assert instance.revision == 1
    assert instance.status == "running"
    item = open_item(db, dossier, "prepare_dossier")
    assert (item.role, item.unit_id, item.form) == (
        "unit_officer",
        dossier.unit_id,
        "prepare_dossier.json",
    )
    assert item.due_at is not None
    assert [e.action for e in db.scalars(select(Event).where(Event.dossier_id == dossier.id))] == [
        "started"
    ]


def test_completing_bumps_the_revision_and_a_stale_copy_is_refused(db, app):
    dossier = start(db)
    complete(db, "canbo_ns", dossier, "prepare_dossier", {"decision": "submit"})
    instance = db.scalar(select(ProcessInstance).where(ProcessInstance.dossier_id == dossier.id))
    assert instance.revision == 2

    # Another request loaded the instance at revision 2 and completes first...
    other = database(app).session(write=False)
    try:
        item = open_item(other, dossier, "approve_at_unit")
        stale_instance = other.get(ProcessInstance, instance.id)
        assert stale_instance.revision == 2
        complete(db, "truongphong_ns", dossier, "approve_at_unit", {"decision": "approve"})
        # ...so the late one, still holding revision 2, must not overwrite it.
        other.expire(item)
        with pytest.raises(ConflictError):
            work_items.complete_work_item(
                other, actor_named(other, "truongphong_ns"), item.id, {"decision": "approve"}
            )
    finally:
        other.rollback()
        other.close()
    db.expire_all()
    assert db.get(ProcessInstance, instance.id).revision == 3
    steps = db.scalars(
        select(Event.step).where(Event.dossier_id == dossier.id, Event.action == "completed")
    ).all()
    assert steps == ["prepare_dossier", "approve_at_unit"]


def test_wrong_role_wrong_department_and_done_items(db):
    dossier = start(db)
    item = open_item(db, dossier, "prepare_dossier")
    with pytest.raises(PermissionDeniedError):
        work_items.complete_work_item(
            db, actor_named(db, "vanphong"), item.id, {"decision": "submit"}
        )
    with pytest.raises(NotFoundError):
        work_items.complete_work_item(
            db, actor_named(db, "vanphong_hn"), item.id, {"decision": "submit"}
        )
    with pytest.raises(NotFoundError):  # a sibling division does not see the dossier at all
        work_items.complete_work_item(
            db, actor_named(db, "canbo_dn"), item.id, {"decision": "submit"}
        )
    db.rollback()
    complete(db, "canbo_ns", dossier, "prepare_dossier", {"decision": "submit"})
    with pytest.raises(ConflictError):
        work_items.complete_work_item(
            db, actor_named(db, "canbo_ns"), item.id, {"decision": "submit"}
        )


def test_invalid_form_data_changes_nothing(db):
    dossier = start(db)
    item = open_item(db, dossier, "prepare_dossier")
    with pytest.raises(InvalidDataError) as info:
        work_items.complete_work_item(
            db,
            actor_named(db, "canbo_ns"),
            item.id,
            {"decision": "submit", "nominees": [{"kind": "x"}]},
        )
    assert set(info.value.fields) == {"nominees.0.kind", "nominees.0.name"}
    db.rollback()
    db.expire_all()
    assert db.get(WorkItem, item.id).status == "open"
    assert (
        db.scalar(select(func.count()).select_from(Event).where(Event.dossier_id == dossier.id))
        == 1
    )


def test_the_unit_corrects_the_nominee_list_when_resubmitting(db):
    dossier = start(db)
    first, second = dossier.nominees
    complete(db, "canbo_ns", dossier, "prepare_dossier", {"decision": "submit"})
    complete(
        db,
        "truongphong_ns",
        dossier,
        "approve_at_unit",
        {"decision": "return", "comment": "Bổ sung"},
    )
    assert db.get(Dossier, dossier.id).status == "returned"
    complete(
        db,
        "canbo_ns",
        dossier,
        "prepare_dossier",
        {
            "decision": "submit",
            "title": "Đề nghị khen thưởng (đã bổ sung)",
            "nominees": [
                {"id": second.id, "kind": "collective", "name": "Phòng Quản lý ngân sách"},
                {"kind": "individual", "name": "Lê Văn Tâm", "birth_date": "1990-01-02"},
            ],
        },
    )
    db.expire_all()
    fresh = db.get(Dossier, dossier.id)
    assert fresh.status == "in_progress"
    assert fresh.title == "Đề nghị khen thưởng (đã bổ sung)"
    assert [n.name for n in fresh.nominees] == ["Phòng Quản lý ngân sách", "Lê Văn Tâm"]
    assert first.id not in {n.id for n in fresh.nominees}
    assert "le van tam" in fresh.search_text
    complete(db, "truongphong_ns", dossier, "approve_at_unit", {"decision": "approve"})
    complete(db, "vanphong", dossier, "check_dossier", {"decision": "approve"})
    votes = db.scalars(
        select(WorkItem).where(WorkItem.dossier_id == dossier.id, WorkItem.step == "council_vote")
    ).all()
    assert len(votes) == 5
    ids = {str(n.id) for n in fresh.nominees}
    with pytest.raises(InvalidDataError):
        work_items.complete_work_item(
            db,
            actor_named(db, "hoidong1"),
            next(v.id for v in votes if v.assignee.username == "hoidong1"),
            {"votes": {str(first.id): "agree", **dict.fromkeys(ids, "agree")}},
        )


def test_nominee_id_from_another_dossier_cannot_be_edited(db):
    dossier = start(db)
    other = start(db)
    item = open_item(db, dossier, "prepare_dossier")
    with pytest.raises(InvalidDataError) as info:
        work_items.complete_work_item(
            db,
            actor_named(db, "canbo_ns"),
            item.id,
            {
                "decision": "submit",
                "nominees": [{"id": other.nominees[0].id, "kind": "individual", "name": "X"}],
            },
        )
    assert info.value.fields == {"nominees.0.id": "is not a nominee of this dossier"}


def test_inbox_of_a_council_member_holds_only_their_own_ballot(db):
    dossier = start(db)
    complete(db, "canbo_ns", dossier, "prepare_dossier", {"decision": "submit"})
    complete(db, "truongphong_ns", dossier, "approve_at_unit", {"decision": "approve"})
    complete(db, "vanphong", dossier, "check_dossier", {"decision": "approve"})
    mine = work_items.my_work_items(db, actor_named(db, "hoidong2"))
    assert [(i.step, i.assignee) for i in mine] == [("council_vote", "hoidong2")]
    chair = work_items.my_work_items(db, actor_named(db, "giamdoc"))
    assert [i.step for i in chair] == ["council_vote"]
    assert work_items.my_work_items(db, actor_named(db, "vanphong_hn")) == []
