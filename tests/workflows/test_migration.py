"""Moving running instances to a new version of the diagram."""

from __future__ import annotations

import pytest

from tests.workflows.conftest import BPMN_DIR, MEMBERS, Driver
from tests.workflows.variants import with_deputy_review, without_ministry_council
from workflows import RunningProcess, load_definition
from workflows.migration import MigrationRefusedError, VersionMigration

ALL_AGREE = {m: {"11": "agree", "12": "agree"} for m in MEMBERS}


def definition(bpmn: bytes):
    return load_definition(bpmn, {"award_rules.dmn": (BPMN_DIR / "award_rules.dmn").read_bytes()})


@pytest.fixture(scope="module")
def deputy():
    return definition(with_deputy_review())


def at_check(driver):
    d = driver()
    d.do("prepare_dossier", {"decision": "submit"})
    d.do("approve_at_unit", {"decision": "approve"})
    return d


def continue_to_sign(process, definition_):
    """Complete check, votes and the chair's conclusion; return the steps met after."""
    d = Driver.__new__(Driver)
    d.definition, d.process, d.trail = definition_, process, []
    d.do("check_dossier", {"decision": "approve"})
    d.vote(ALL_AGREE)
    d.do("conclude_council", {"decision": "confirm"})
    return d


def test_a_dossier_at_check_moves_and_then_meets_the_new_step(driver, shipped, deputy):
    d = at_check(driver)
    move = VersionMigration(shipped, deputy)
    check = move.check(d.process.dump())
    assert check.can_move
    assert (check.current, check.after) == (["check_dossier"], ["check_dossier"])
    moved = RunningProcess.load(deputy, move.migrate(d.process.dump()))
    after = continue_to_sign(moved, deputy)
    assert after.ready_steps() == ["deputy_review"]
    assert after.ready()[0].role == "deputy_director"
    after.do("deputy_review", {"decision": "approve"})
    assert after.ready_steps() == ["sign_submission"]


def test_a_dossier_left_on_the_old_version_goes_straight_to_signing(driver, shipped):
    d = at_check(driver)
    after = continue_to_sign(d.process, shipped)
    assert after.ready_steps() == ["sign_submission"]


def test_a_dossier_past_the_change_keeps_its_place(driver, shipped, deputy):
    d = at_check(driver)
    d.do("check_dossier", {"decision": "approve"})
    d.vote(ALL_AGREE)
    d.do("conclude_council", {"decision": "confirm"})
    moved = RunningProcess.load(deputy, VersionMigration(shipped, deputy).migrate(d.process.dump()))
    assert [t.element_id for t in moved.ready_human_tasks()] == ["sign_submission"]


def test_a_vote_under_way_does_not_move(driver, shipped, deputy):
    d = at_check(driver)
    d.do("check_dossier", {"decision": "approve"})
    check = VersionMigration(shipped, deputy).check(d.process.dump())
    assert not check.can_move
    assert "council vote" in check.reasons[0]


def test_a_removed_current_step_must_be_mapped(driver, shipped):
    d = at_check(driver)
    d.do("check_dossier", {"decision": "approve"})
    d.vote(ALL_AGREE)
    d.do("conclude_council", {"decision": "confirm"})
    d.do("sign_submission", {"decision": "approve", "submission_number": "1/TTr"})
    d.do("appraise_at_ministry", {"decision": "approve"})
    assert d.ready_steps() == ["ministry_council"]
    slim = definition(without_ministry_council())
    move = VersionMigration(shipped, slim)
    check = move.check(d.process.dump())
    assert not check.can_move
    assert check.needs_mapping == ["ministry_council"]
    with pytest.raises(MigrationRefusedError):
        move.migrate(d.process.dump(), {"ministry_council": "nonexistent"})
    mapped = move.check(d.process.dump(), {"ministry_council": "minister_decision"})
    assert mapped.can_move
    assert mapped.after == ["minister_decision"]
    moved = RunningProcess.load(
        slim, move.migrate(d.process.dump(), {"ministry_council": "minister_decision"})
    )
    [task] = moved.ready_human_tasks()
    moved.complete(task.task_id, {"decision": "award", "decision_number": "9/QĐ"})
    [publish] = moved.ready_human_tasks()
    assert publish.element_id == "publish_result"


def test_a_dossier_that_passed_a_removed_step_does_not_move(driver, shipped):
    d = at_check(driver)
    d.do("check_dossier", {"decision": "approve"})
    d.vote(ALL_AGREE)
    d.do("conclude_council", {"decision": "confirm"})
    d.do("sign_submission", {"decision": "approve", "submission_number": "1/TTr"})
    d.do("appraise_at_ministry", {"decision": "approve"})
    d.do("ministry_council", {"decision": "approve"})
    check = VersionMigration(shipped, definition(without_ministry_council())).check(
        d.process.dump()
    )
    assert not check.can_move
    assert any("Hội đồng TĐKT Bộ xét duyệt" in r for r in check.reasons)
