"""A draft never deployed can be deleted; a version dossiers ran on, or were moved to or from,
and any version that is not a draft, are kept (409 with a stable code) and nothing changes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import actor_named
from tests.workflows.conftest import BPMN_DIR
from webapp.models import InstanceMove, ProcessInstance, ProcessVersion
from webapp.services import dossiers, process_versions
from webapp.services.errors import ConflictError, NotFoundError, PermissionDeniedError

KEY = "award_nomination"
NEW = {
    "title": "Hồ sơ",
    "award_form": "bk_btc",
    "track": "ad_hoc",
    "procedure": "regular",
    "nominees": [{"kind": "individual", "name": "Nguyễn Văn A"}],
}


def numbers(db) -> list[int]:
    return sorted(
        db.scalars(select(ProcessVersion.version).where(ProcessVersion.process_key == KEY))
    )


@pytest.fixture
def draft(db) -> ProcessVersion:
    bpmn, files = process_versions.read_bundle_dir(BPMN_DIR, KEY)
    version = process_versions.create_version(db, actor_named(db, "admin"), KEY, bpmn, files)
    db.commit()
    return version


def test_a_draft_never_deployed_is_deleted(db, draft):
    assert numbers(db) == [1, draft.version]
    process_versions.delete_draft(db, actor_named(db, "admin"), KEY, draft.version)
    db.commit()
    assert numbers(db) == [1]
    with pytest.raises(NotFoundError):
        process_versions.get_version(db, KEY, draft.version)


def test_deployed_and_retired_versions_are_kept(db, draft):
    admin = actor_named(db, "admin")
    with pytest.raises(ConflictError) as refused:
        process_versions.delete_draft(db, admin, KEY, 1)  # the deployed one
    assert refused.value.code == "not_a_draft"
    process_versions.deploy_version(db, admin, KEY, draft.version)
    db.commit()
    for number in (1, draft.version):  # now retired, and deployed
        with pytest.raises(ConflictError) as refused:
            process_versions.delete_draft(db, admin, KEY, number)
        assert refused.value.code == "not_a_draft"
    assert numbers(db) == [1, draft.version]


def test_a_draft_that_was_deployed_once_is_kept(db, draft):
    # A version that went live once is history even if something put it back to draft.
    draft.deployed_at = draft.created_at
    db.commit()
    with pytest.raises(ConflictError) as refused:
        process_versions.delete_draft(db, actor_named(db, "admin"), KEY, draft.version)
    assert refused.value.code == "not_a_draft"


def test_a_draft_a_dossier_runs_on_is_kept(db, draft):
    dossier = dossiers.start_dossier(db, actor_named(db, "canbo_ns"), NEW)
    instance = db.scalars(
        select(ProcessInstance).where(ProcessInstance.dossier_id == dossier.id)
    ).one()
    instance.version_id = draft.id  # defence in depth: dossiers never start on drafts
    db.commit()
    with pytest.raises(ConflictError) as refused:
        process_versions.delete_draft(db, actor_named(db, "admin"), KEY, draft.version)
    assert refused.value.code == "version_in_use"
    db.rollback()
    assert numbers(db) == [1, draft.version]


@pytest.mark.parametrize("side", ["from_version_id", "to_version_id"])
def test_a_draft_dossiers_were_moved_to_or_from_is_kept(db, draft, side):
    dossier = dossiers.start_dossier(db, actor_named(db, "canbo_ns"), NEW)
    instance = db.scalars(
        select(ProcessInstance).where(ProcessInstance.dossier_id == dossier.id)
    ).one()
    deployed = process_versions.get_version(db, KEY, 1)
    ends = {"from_version_id": deployed.id, "to_version_id": deployed.id, side: draft.id}
    db.add(
        InstanceMove(
            batch="00000000-0000-0000-0000-000000000001",
            instance_id=instance.id,
            dossier_id=dossier.id,
            previous_state=instance.state,
            previous_revision=instance.revision,
            new_revision=instance.revision,
            **ends,
        )
    )
    db.commit()
    with pytest.raises(ConflictError) as refused:
        process_versions.delete_draft(db, actor_named(db, "admin"), KEY, draft.version)
    assert refused.value.code == "version_in_use"
    db.rollback()
    assert numbers(db) == [1, draft.version]
    assert db.scalar(select(func.count()).select_from(InstanceMove)) == 1


def test_only_administrators_delete_and_unknown_versions_are_404(db, draft):
    with pytest.raises(PermissionDeniedError):
        process_versions.delete_draft(db, actor_named(db, "vanphong"), KEY, draft.version)
    with pytest.raises(NotFoundError):
        process_versions.delete_draft(db, actor_named(db, "admin"), KEY, 99)
    assert numbers(db) == [1, draft.version]
