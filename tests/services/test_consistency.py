"""The consistency check the fault tests rely on: a dossier whose steps all completed through
the service agrees with its engine; each kind of half-written step is named."""

from __future__ import annotations

from sqlalchemy import delete, select

from tests.conftest import actor_named
from webapp.models import Event, ProcessInstance, WorkItem
from webapp.services import dossiers
from webapp.services.consistency import find_inconsistent_dossiers
from webapp.services.work_items import complete_work_item

PAYLOAD = {
    "title": "Đề nghị tặng Bằng khen",
    "award_form": "bk_btc",
    "track": "ad_hoc",
    "procedure": "regular",
    "nominees": [{"kind": "individual", "name": "Nguyễn Văn A"}],
}


def _two_steps(db):
    dossier = dossiers.start_dossier(db, actor_named(db, "canbo_ns"), PAYLOAD)
    for username, decision in (("canbo_ns", "submit"), ("truongphong_ns", "approve")):
        item = db.scalars(
            select(WorkItem).where(WorkItem.dossier_id == dossier.id, WorkItem.status == "open")
        ).one()
        complete_work_item(db, actor_named(db, username), item.id, {"decision": decision})
    db.flush()
    return dossier


def test_steps_completed_through_the_service_are_consistent(db):
    _two_steps(db)
    assert find_inconsistent_dossiers(db) == []


def test_an_open_item_the_engine_does_not_have_ready_is_named(db):
    dossier = _two_steps(db)
    item = db.scalars(
        select(WorkItem).where(WorkItem.dossier_id == dossier.id, WorkItem.status == "open")
    ).one()
    item.status = "done"  # the row written, the engine state not
    db.flush()
    found = find_inconsistent_dossiers(db)
    assert {f.dossier_id for f in found} == {dossier.id}
    assert any("have no open work item" in f.problem for f in found)
    assert any("whose task is still ready" in f.problem for f in found)


def test_a_completion_without_its_event_or_its_save_is_named(db):
    dossier = _two_steps(db)
    db.execute(delete(Event).where(Event.dossier_id == dossier.id, Event.action == "completed"))
    db.flush()
    problems = [f.problem for f in find_inconsistent_dossiers(db)]
    assert any("0 completion event(s)" in p for p in problems)
    db.rollback()

    dossier = _two_steps(db)
    instance = db.scalars(
        select(ProcessInstance).where(ProcessInstance.dossier_id == dossier.id)
    ).one()
    db.execute(
        ProcessInstance.__table__.update()
        .where(ProcessInstance.id == instance.id)
        .values(revision=1)
    )
    db.expire_all()
    problems = [f.problem for f in find_inconsistent_dossiers(db)]
    assert any("revision 1 is below" in p for p in problems)
