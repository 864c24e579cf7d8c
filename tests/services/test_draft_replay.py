"""Replaying finished dossiers on a draft: who would pass or fail differently, nothing written."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from sqlalchemy import select

from tests.conftest import actor_named
from tests.workflows.conftest import BPMN_DIR
from tests.workflows.variants import with_deputy_review
from webapp.db import Base
from webapp.models import Dossier, Role, WorkItem
from webapp.services import (
    council_closing,
    dossiers,
    draft_replay,
    process_versions,
    version_files,
    work_items,
)
from webapp.services.errors import InvalidDataError, PermissionDeniedError
from webapp.services.seeding import ensure_roles

KEY = "award_nomination"
MEMBERS = ["giamdoc", "hoidong1", "hoidong2", "hoidong3", "hoidong4"]
NEW_THRESHOLD = Fraction(9, 10)  # the shipped 2/3 raised: 4 of 5 (80 %) no longer passes


def new_dossier(db, count=2):
    body = {
        "title": "Đề nghị tặng Bằng khen của Bộ trưởng",
        "award_form": "bk_btc",
        "track": "ad_hoc",
        "procedure": "regular",
        "nominees": [
            {"kind": "individual", "name": f"Nguyễn Văn {chr(65 + i)}"} for i in range(count)
        ],
    }
    return dossiers.start_dossier(db, actor_named(db, "canbo_ns"), body)


def do(db, user, dossier_id, step, data):
    item = db.scalars(
        select(WorkItem).where(
            WorkItem.dossier_id == dossier_id,
            WorkItem.step == step,
            WorkItem.status == "open",
            (WorkItem.assignee_id.is_(None))
            | (WorkItem.assignee_id == actor_named(db, user).user_id),
        )
    ).first()
    assert item is not None, f"no open {step} for {user}"
    work_items.complete_work_item(db, actor_named(db, user), item.id, data)


def finish(db, agrees, *, close_after=None, minister_refuses=(), return_at_check=False):
    """A dossier walked to its end: `agrees[i]` of the five members agree with nominee i (the
    others disagree); with `close_after`, only that many members vote and the chair closes the
    vote (the rest are absent)."""
    dossier = new_dossier(db, len(agrees))
    did = dossier.id
    ids = [str(n.id) for n in sorted(dossier.nominees, key=lambda n: n.position)]
    do(db, "canbo_ns", did, "prepare_dossier", {"decision": "submit"})
    do(db, "truongphong_ns", did, "approve_at_unit", {"decision": "approve"})
    if return_at_check:
        do(db, "vanphong", did, "check_dossier", {"decision": "return", "comment": "Bổ sung"})
        do(db, "canbo_ns", did, "prepare_dossier", {"decision": "submit"})
        do(db, "truongphong_ns", did, "approve_at_unit", {"decision": "approve"})
    do(db, "vanphong", did, "check_dossier", {"decision": "approve"})
    voters = MEMBERS[:close_after] if close_after else MEMBERS
    for position, member in enumerate(voters):
        votes = {nid: "agree" if position < agrees[i] else "disagree" for i, nid in enumerate(ids)}
        do(db, member, did, "council_vote", {"votes": votes})
    if close_after:
        council_closing.close_vote(db, actor_named(db, "giamdoc"), did, "Thành viên vắng")
    do(db, "giamdoc", did, "conclude_council", {"decision": "confirm"})
    if db.get(Dossier, did).status == "in_progress":
        sign = {
            "decision": "approve",
            "submission_number": "12/TTr",
            "submission_date": "2026-11-29",
        }
        do(db, "giamdoc", did, "sign_submission", sign)
        do(db, "chuyenvien_bo", did, "appraise_at_ministry", {"decision": "approve"})
        do(db, "chuyenvien_bo", did, "ministry_council", {"decision": "approve"})
        refused = [ids[i] for i in minister_refuses]
        award = {
            "decision": "award",
            "decision_number": "345/QĐ-BTC",
            "decision_date": "2026-12-01",
            "refused_nominees": refused,
        }
        do(db, "botruong", did, "minister_decision", award)
        do(db, "vanphong", did, "publish_result", {"decision": "publish"})
    db.commit()
    assert db.get(Dossier, did).status in {"awarded", "partly_awarded", "refused"}
    return did


# Agree counts per nominee (of five members), and how each dossier ends.
SCENARIOS = [
    ([5, 4], {}),
    ([4, 4], {}),
    ([3, 5], {}),
    ([2, 3], {}),
    ([5], {}),
    ([4], {}),
    ([5, 5, 4], {}),
    ([4, 3], {}),
    ([5, 4], {"minister_refuses": (1,)}),
    ([4, 5], {"minister_refuses": (0,)}),
    ([4, 4], {"close_after": 4}),
    ([3, 4], {"close_after": 4}),
    ([5, 2], {"return_at_check": True}),
    ([4, 5], {"return_at_check": True}),
    ([1, 0], {}),
    ([5, 5], {}),
    ([4], {"close_after": 4}),
    ([3], {}),
    ([5, 4, 3], {}),
    ([4, 4, 4], {}),
]


def raised_draft(db, threshold="9/10"):
    """A draft copied from the deployed version with the council's threshold for bk_btc raised."""
    admin = actor_named(db, "admin")
    draft = version_files.copy_to_draft(db, admin, KEY, 1)
    rules = draft.files["award_rules.dmn"]
    old = '<outputEntry id="rule_bk_btc_threshold"><text>2/3</text></outputEntry>'
    assert old in rules
    new = f'<outputEntry id="rule_bk_btc_threshold"><text>{threshold}</text></outputEntry>'
    version_files.save_rules(
        db, admin, KEY, draft.version, "award_rules.dmn", rules.replace(old, new)
    )
    assert draft.problems == []
    db.commit()
    return draft


def snapshot(db):
    """Every row of every table, in primary-key order (the process states as bytes)."""
    db.expire_all()
    rows = {}
    for table in Base.metadata.sorted_tables:
        rows[table.name] = db.execute(select(table).order_by(*table.primary_key.columns)).all()
    return rows


def agree_share(nominee):
    return Fraction(nominee.council_agree, nominee.council_members)


def test_twenty_dossiers_on_a_higher_threshold_name_exactly_the_nominees_who_would_fail(db):
    ids = [finish(db, agrees, **options) for agrees, options in SCENARIOS]
    draft = raised_draft(db)
    before = snapshot(db)

    report = draft_replay.replay_on_version(db, actor_named(db, "admin"), KEY, draft.version)

    assert not db.new
    assert not db.dirty
    assert not db.deleted
    db.commit()
    assert snapshot(db) == before
    assert sorted(d.dossier_id for d in report.dossiers) == sorted(ids)
    assert report.stuck == []
    expected = {
        n.id
        for did in ids
        for n in db.get(Dossier, did).nominees
        if n.council_agree is not None and Fraction(2, 3) <= agree_share(n) < NEW_THRESHOLD
    }
    assert expected  # the scenarios hold nominees with 4 of 5
    assert {n.nominee_id for _d, n in report.changed} == expected
    for _dossier, nominee in report.changed:
        assert (nominee.original_council, nominee.replayed_council) == ("passed", "failed")
        assert nominee.replayed_result == "failed"
        assert nominee.original_result in {"awarded", "refused"}
    # Every other nominee ends exactly as it did.
    for dossier in report.dossiers:
        for nominee in dossier.nominees:
            if nominee.nominee_id not in expected:
                assert nominee.replayed_result == nominee.original_result


def test_a_dossier_whose_every_nominee_fails_ends_at_the_council(db):
    did = finish(db, [4, 4])
    kept = finish(db, [5, 4])
    draft = raised_draft(db)
    code = db.get(Dossier, did).code

    report = draft_replay.replay_on_version(
        db, actor_named(db, "admin"), KEY, draft.version, [code]
    )

    [dossier] = report.dossiers
    assert dossier.dossier_id == did
    assert kept != did
    assert (dossier.original_status, dossier.original_end) == ("awarded", "end_awarded")
    assert (dossier.replayed_status, dossier.replayed_end) == ("refused", "end_refused_council")
    assert dossier.ends_elsewhere
    # The steps after the council were recorded but the replay had no use for them.
    assert dossier.steps_unused == 5
    assert "count_votes" in dossier.path
    assert "sign_submission" not in dossier.path


def test_the_same_version_replays_every_dossier_unchanged(db):
    ids = [finish(db, [4, 3]), finish(db, [5, 4], close_after=4), finish(db, [2])]
    report = draft_replay.replay_on_version(db, actor_named(db, "admin"), KEY, 1)
    assert {d.dossier_id for d in report.dossiers} == set(ids)
    assert report.changed == []
    assert report.stuck == []
    assert not any(d.ends_elsewhere for d in report.dossiers)


def test_a_step_the_draft_lacks_and_a_removed_form_field_stop_the_replay(db):
    did = finish(db, [5])
    admin = actor_named(db, "admin")
    draft = version_files.copy_to_draft(db, admin, KEY, 1)
    renamed = draft.bpmn_xml.replace("appraise_at_ministry", "appraise_by_ministry")
    process_versions.update_draft(db, admin, KEY, draft.version, bpmn_xml=renamed)
    db.commit()
    report = draft_replay.replay_on_version(db, admin, KEY, draft.version)
    [dossier] = report.dossiers
    assert dossier.stuck.reason == draft_replay.MISSING_STEP
    assert dossier.stuck.step == "appraise_at_ministry"
    assert dossier.stuck.waiting == ("Vụ TĐKT thẩm định hồ sơ",)  # the renamed step waits
    assert dossier.replayed_status is None

    other = version_files.copy_to_draft(db, admin, KEY, 1)
    form = json.loads(other.files["forms/sign_submission.json"])
    del form["properties"]["submission_number"]
    version_files.save_form(db, admin, KEY, other.version, "sign_submission.json", json.dumps(form))
    db.commit()
    report = draft_replay.replay_on_version(db, admin, KEY, other.version)
    [dossier] = report.dossiers
    assert dossier.dossier_id == did
    assert dossier.stuck.reason == draft_replay.FIELD_REMOVED
    assert (dossier.stuck.step, dossier.stuck.fields) == ("sign_submission", ("submission_number",))


@pytest.mark.parametrize(
    "condition",
    [
        'tally["nobody"] &gt; 0',  # an expression that fails
        "len(str(10 ** 10 ** 8)) &gt; 0",  # one that would blow up: the budget stops it
    ],
)
def test_an_engine_failure_on_the_draft_is_reported_not_raised(db, condition):
    finish(db, [5])
    admin = actor_named(db, "admin")
    draft = version_files.copy_to_draft(db, admin, KEY, 1)
    broken = draft.bpmn_xml.replace('len(tally["passed"]) &gt; 0', condition)
    assert broken != draft.bpmn_xml
    process_versions.update_draft(db, admin, KEY, draft.version, bpmn_xml=broken)
    db.commit()
    if not draft.spec_json:
        pytest.fail(f"the draft cannot run at all: {draft.problems}")
    before = snapshot(db)
    report = draft_replay.replay_on_version(db, admin, KEY, draft.version)
    [dossier] = report.dossiers
    assert dossier.stuck.reason == draft_replay.ENGINE_ERROR
    assert dossier.stuck.detail
    db.commit()
    assert snapshot(db) == before


def test_only_administrators_replay_and_unknown_codes_are_named(db):
    finish(db, [5])
    with pytest.raises(PermissionDeniedError):
        draft_replay.replay_on_version(db, actor_named(db, "vanphong"), KEY, 1)
    with pytest.raises(InvalidDataError) as refused:
        draft_replay.replay_on_version(db, actor_named(db, "admin"), KEY, 1, ["NOPE-2026-1"])
    assert "NOPE-2026-1" in refused.value.fields["codes"]


def test_a_new_step_on_the_draft_waits_where_the_dossier_went_on(db):
    finish(db, [5])
    ensure_roles(db)
    if db.get(Role, "deputy_director") is None:
        db.add(Role(code="deputy_director", name="Phó Giám đốc Sở"))
    admin = actor_named(db, "admin")
    _bpmn, files = process_versions.read_bundle_dir(BPMN_DIR, KEY)
    draft = process_versions.create_version(db, admin, KEY, with_deputy_review().decode(), files)
    db.commit()
    [dossier] = draft_replay.replay_on_version(db, admin, KEY, draft.version).dossiers
    assert dossier.stuck.reason == draft_replay.NOT_WAITING
    assert dossier.stuck.step == "sign_submission"
    assert dossier.stuck.waiting == ("Phó Giám đốc xem xét",)


def test_a_lower_threshold_takes_a_refused_dossier_to_steps_it_never_did(db):
    finish(db, [2])
    draft = raised_draft(db, threshold="1/5")
    [dossier] = draft_replay.replay_on_version(
        db, actor_named(db, "admin"), KEY, draft.version
    ).dossiers
    assert dossier.original_status == "refused"
    assert dossier.stuck.reason == draft_replay.NO_DECISION
    assert dossier.stuck.step == "sign_submission"
    [nominee] = dossier.nominees
    assert (nominee.original_council, nominee.replayed_council) == ("failed", "passed")
    assert (nominee.original_result, nominee.replayed_result) == ("failed", "passed")


def test_past_the_reports_time_the_rest_are_listed_as_not_replayed(db, monkeypatch):
    finish(db, [4])
    draft = raised_draft(db)
    monkeypatch.setattr(draft_replay, "REPORT_SECONDS", -1.0)
    [dossier] = draft_replay.replay_on_version(
        db, actor_named(db, "admin"), KEY, draft.version
    ).dossiers
    assert dossier.stuck.reason == draft_replay.OUT_OF_TIME
    assert dossier.changed_nominees == []
