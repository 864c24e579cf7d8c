"""Administrators move running dossiers to a new version, see a dry run first, and undo."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import actor_named
from tests.workflows.conftest import BPMN_DIR
from tests.workflows.variants import with_deputy_review
from webapp.models import Event, ProcessInstance, WorkItem
from webapp.services import dossiers, process_versions, version_moves, work_items
from webapp.services.errors import InvalidDataError, PermissionDeniedError
from webapp.services.seeding import ensure_roles

NEW = {
    "title": "Hồ sơ",
    "award_form": "bk_btc",
    "track": "ad_hoc",
    "procedure": "regular",
    "nominees": [{"kind": "individual", "name": "Nguyễn Văn A"}],
}


def open_item(db, dossier_id, step):
    return db.scalars(
        select(WorkItem).where(
            WorkItem.dossier_id == dossier_id, WorkItem.step == step, WorkItem.status == "open"
        )
    ).first()


def at_check(db, count):
    ids = []
    for _ in range(count):
        dossier = dossiers.start_dossier(db, actor_named(db, "canbo_ns"), NEW)
        for user, step, decision in (
            ("canbo_ns", "prepare_dossier", "submit"),
            ("truongphong_ns", "approve_at_unit", "approve"),
        ):
            item = open_item(db, dossier.id, step)
            work_items.complete_work_item(
                db, actor_named(db, user), item.id, {"decision": decision}
            )
        ids.append(dossier.id)
    db.commit()
    return ids


@pytest.fixture
def deputy_version(db):
    from webapp.models import Role

    ensure_roles(db)
    if db.get(Role, "deputy_director") is None:
        db.add(Role(code="deputy_director", name="Phó Giám đốc Sở"))
    _bpmn, files = process_versions.read_bundle_dir(BPMN_DIR, "award_nomination")
    version = process_versions.create_version(
        db, actor_named(db, "admin"), "award_nomination", with_deputy_review().decode(), files
    )
    assert version.problems == []
    db.commit()
    return version


def deploy(db, version):
    """Deploy the new version once the dossiers under test run on the old one."""
    old = process_versions.deployed_version(db, "award_nomination").id
    process_versions.deploy_version(
        db, actor_named(db, "admin"), "award_nomination", version.version
    )
    db.commit()
    return old


def test_dry_run_then_move_then_undo(db, deputy_version):
    ids = at_check(db, 5)
    old_version_id = deploy(db, deputy_version)
    admin = actor_named(db, "admin")
    preview = version_moves.preview_move(db, admin, "award_nomination", 1, 2, step="check_dossier")
    assert sorted(p.dossier_id for p in preview) == sorted(ids)
    assert all(p.can_move and p.after == ["check_dossier"] for p in preview)
    db.rollback()

    result = version_moves.move_dossiers(db, admin, "award_nomination", 1, 2, step="check_dossier")
    db.commit()
    assert sorted(result.moved) == sorted(ids)
    instances = db.scalars(select(ProcessInstance).where(ProcessInstance.dossier_id.in_(ids))).all()
    assert {i.version_id for i in instances} == {deputy_version.id}
    items = [open_item(db, i, "check_dossier") for i in ids]
    assert {i.version_id for i in items} == {deputy_version.id}
    moved_events = db.scalars(select(Event).where(Event.action == "moved")).all()
    assert sorted(e.dossier_id for e in moved_events) == sorted(ids)

    # One dossier moves on; the undo puts the others back and leaves that one where it is.
    item = open_item(db, ids[0], "check_dossier")
    work_items.complete_work_item(db, actor_named(db, "vanphong"), item.id, {"decision": "approve"})
    db.commit()
    undone = version_moves.undo_move(db, admin, result.batch)
    db.commit()
    assert sorted(undone.moved) == sorted(ids[1:])
    assert [p.dossier_id for p in undone.stayed] == [ids[0]]
    db.expire_all()
    versions = {i.dossier_id: i.version_id for i in db.scalars(select(ProcessInstance))}
    assert versions[ids[0]] == deputy_version.id
    assert {versions[i] for i in ids[1:]} == {old_version_id}
    assert open_item(db, ids[1], "check_dossier").version_id != deputy_version.id


def test_moved_dossiers_meet_the_new_step(db, deputy_version):
    [dossier_id] = at_check(db, 1)
    deploy(db, deputy_version)
    version_moves.move_dossiers(
        db, actor_named(db, "admin"), "award_nomination", 1, 2, dossier_ids=[dossier_id]
    )
    db.commit()
    item = open_item(db, dossier_id, "check_dossier")
    work_items.complete_work_item(db, actor_named(db, "vanphong"), item.id, {"decision": "approve"})
    votes = db.scalars(
        select(WorkItem).where(WorkItem.dossier_id == dossier_id, WorkItem.step == "council_vote")
    ).all()
    detail = None
    for ballot in votes:
        member = actor_named(db, ballot.assignee.username)
        nominee_ids = [str(n.id) for n in ballot.dossier.nominees]
        detail = work_items.complete_work_item(
            db, member, ballot.id, {"votes": dict.fromkeys(nominee_ids, "agree")}
        )
    conclude = open_item(db, dossier_id, "conclude_council")
    detail = work_items.complete_work_item(
        db, actor_named(db, "giamdoc"), conclude.id, {"decision": "confirm"}
    )
    assert [i.step for i in detail.open_items] == ["deputy_review"]
    assert detail.open_items[0].role == "deputy_director"


def test_dossiers_never_move_to_a_draft(db, deputy_version):
    at_check(db, 1)
    with pytest.raises(InvalidDataError) as info:
        version_moves.move_dossiers(db, actor_named(db, "admin"), "award_nomination", 1, 2)
    assert info.value.code == "target_is_draft"


def test_only_administrators_move_dossiers(db, deputy_version):
    with pytest.raises(PermissionDeniedError):
        version_moves.move_dossiers(db, actor_named(db, "vanphong"), "award_nomination", 1, 2)


def test_a_move_and_its_undo_keep_their_reasons_in_the_history(db, deputy_version):
    [dossier_id] = at_check(db, 1)
    deploy(db, deputy_version)
    admin = actor_named(db, "admin")
    result = version_moves.move_dossiers(
        db, admin, "award_nomination", 1, 2, dossier_ids=[dossier_id], reason="  Thông tư\n mới "
    )
    version_moves.undo_move(db, admin, result.batch, reason="Chuyển nhầm")
    db.commit()
    moved, undone = db.scalars(
        select(Event)
        .where(Event.dossier_id == dossier_id, Event.action.like("move%"))
        .order_by(Event.id)
    ).all()
    assert (moved.action, moved.data["reason"], moved.data["steps"]) == (
        "moved",
        "Thông tư mới",
        [],
    )
    assert (undone.action, undone.data["reason"]) == ("move_undone", "Chuyển nhầm")
    assert (undone.data["from_version"], undone.data["to_version"]) == (2, 1)


def test_a_reason_too_long_is_refused_before_anything_moves(db, deputy_version):
    at_check(db, 1)
    deploy(db, deputy_version)
    too_long = "x" * (version_moves.MAX_REASON_CHARS + 1)
    with pytest.raises(InvalidDataError) as info:
        version_moves.move_dossiers(
            db, actor_named(db, "admin"), "award_nomination", 1, 2, reason=too_long
        )
    assert info.value.code == "reason_too_long"
    assert "reason" in info.value.fields
    assert db.scalars(select(Event).where(Event.action == "moved")).all() == []
    assert version_moves.move_reason("x" * version_moves.MAX_REASON_CHARS) is not None
