"""BPMN timers fire by themselves, once, at the time the worker's pass is given (a frozen clock:
the time is passed explicitly, nobody sleeps), counting working days with Vietnam's calendar."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from tests.conftest import actor_named
from webapp.jobs import registry
from webapp.jobs.passes import run_pass
from webapp.models import Dossier, Event, JobSchedule, ProcessInstance, WorkItem
from webapp.request_db import database
from webapp.services import dossiers, draft_try, process_versions, timers
from workflows import clock

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Thursday before Tết 2026 (Monday 16/02 to Friday 20/02 are days off).
STARTED = datetime(2026, 2, 12, 9, 0, tzinfo=VN)

# The unit officer's step has a limit of 5 working days: a reminder 2 working days before it
# (non-interrupting), and after it an escalation step for the unit head beside the step.
REMIND_AND_ESCALATE = """
    <bpmn:boundaryEvent id="remind_prepare" name="Nhắc hạn lập hồ sơ"
        attachedToRef="prepare_dossier" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDate>working_days(3)</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f_remind" sourceRef="remind_prepare" targetRef="end_reminded" />
    <bpmn:endEvent id="end_reminded" name="Đã nhắc hạn" />
    <bpmn:boundaryEvent id="late_prepare" name="Quá hạn lập hồ sơ"
        attachedToRef="prepare_dossier" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDate>working_days(5)</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f_late" sourceRef="late_prepare" targetRef="escalate_prepare" />
    <bpmn:userTask id="escalate_prepare" name="Lãnh đạo đơn vị đôn đốc hồ sơ quá hạn">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="follow_up_overdue.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f_escalated" sourceRef="escalate_prepare" targetRef="end_escalated" />
    <bpmn:endEvent id="end_escalated" name="Đã đôn đốc" />
  </bpmn:process>"""


FOLLOW_UP_FORM = {
    "title": "Đôn đốc hồ sơ quá hạn",
    "type": "object",
    "properties": {"comment": {"type": "string", "title": "Ý kiến"}},
}


def _version_with_timers(db):
    admin = actor_named(db, "admin")
    bpmn, files = process_versions.read_bundle_dir(BPMN_DIR, "award_nomination")
    bpmn = bpmn.replace("  </bpmn:process>", REMIND_AND_ESCALATE).replace(
        "<bpmn:flowNodeRef>gw_unit</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>gw_unit</bpmn:flowNodeRef>"
        "<bpmn:flowNodeRef>escalate_prepare</bpmn:flowNodeRef>",
    )
    files = {**files, "forms/follow_up_overdue.json": json.dumps(FOLLOW_UP_FORM)}
    version = process_versions.create_version(db, admin, "award_nomination", bpmn, files)
    assert version.problems == []
    process_versions.deploy_version(db, admin, "award_nomination", version.version)
    return version


def _start(db, title: str) -> Dossier:
    return dossiers.start_dossier(
        db,
        actor_named(db, "canbo_ns"),
        {
            "title": title,
            "award_form": "bk_btc",
            "track": "ad_hoc",
            "procedure": "regular",
            "nominees": [{"kind": "individual", "name": "Nguyễn Văn A"}],
        },
    )


def _events_at(db, dossier: Dossier, step: str) -> int:
    return db.scalar(select(func.count()).where(Event.dossier_id == dossier.id, Event.step == step))


def _open_items(db, dossier: Dossier) -> list[tuple[str, str | None]]:
    items = db.scalars(
        select(WorkItem)
        .where(WorkItem.dossier_id == dossier.id, WorkItem.status == "open")
        .order_by(WorkItem.id)
    )
    return [(i.step, i.role) for i in items]


def test_a_boundary_timer_fires_once_after_its_limit_and_its_escalation_appears(db):
    _version_with_timers(db)
    with clock.at(STARTED):
        dossier = _start(db, "Hồ sơ có hạn")
    db.commit()
    instance = db.scalar(select(ProcessInstance).where(ProcessInstance.dossier_id == dossier.id))
    # Three working days after Thursday 12/02 skip the Tết days: Tuesday 24/02, 17:00.
    assert instance.next_timer_at == datetime(2026, 2, 24, 17, 0, tzinfo=VN)

    assert timers.run_due_timers(db, datetime(2026, 2, 20, 12, 0, tzinfo=VN)) == 0
    reminded = datetime(2026, 2, 24, 17, 1, tzinfo=VN)
    assert timers.run_due_timers(db, reminded) == 1
    db.commit()
    assert timers.run_due_timers(db, reminded + timedelta(hours=1)) == 0
    assert _events_at(db, dossier, "remind_prepare") == 1
    assert _open_items(db, dossier) == [("prepare_dossier", "unit_officer")]
    db.expire_all()
    assert db.get(Dossier, dossier.id).status == "in_progress"

    # The limit: five working days, Thursday 26/02 at 17:00.
    assert timers.run_due_timers(db, datetime(2026, 2, 26, 16, 59, tzinfo=VN)) == 0
    late = datetime(2026, 2, 26, 17, 5, tzinfo=VN)
    assert timers.run_due_timers(db, late) == 1
    db.commit()
    for later in (late, late + timedelta(days=1), late + timedelta(days=30)):
        assert timers.run_due_timers(db, later) == 0
    db.commit()
    assert _events_at(db, dossier, "late_prepare") == 1
    assert _events_at(db, dossier, "remind_prepare") == 1
    # The step stays with the officer; the escalation waits for the unit head beside it.
    assert _open_items(db, dossier) == [
        ("prepare_dossier", "unit_officer"),
        ("escalate_prepare", "unit_head"),
    ]
    db.expire_all()
    assert db.get(ProcessInstance, instance.id).next_timer_at is None


def test_a_timer_of_a_version_deployed_after_the_dossier_started_does_not_fire_for_it(db):
    before = _start(db, "Hồ sơ trên phiên bản 1")
    db.commit()
    _version_with_timers(db)
    after = _start(db, "Hồ sơ trên phiên bản mới")
    db.commit()
    far = datetime.now(VN) + timedelta(days=60)
    assert timers.run_due_timers(db, far) == 1
    db.commit()
    assert _events_at(db, after, "late_prepare") == 1
    assert _events_at(db, before, "late_prepare") == 0
    assert _events_at(db, before, "remind_prepare") == 0
    assert _open_items(db, before) == [("prepare_dossier", "unit_officer")]
    assert (
        db.scalar(
            select(ProcessInstance.next_timer_at).where(ProcessInstance.dossier_id == before.id)
        )
        is None
    )


def test_a_pass_runs_timers_and_each_periodic_job_once_per_period(app, db):
    calls: list[datetime] = []

    def hourly(session, now):
        calls.append(now)
        return len(calls)

    registry.register("test_hourly", hourly, every=timedelta(hours=1))
    db.rollback()  # the passes open their own writing transactions
    try:
        now = datetime(2026, 3, 2, 8, 0, tzinfo=VN)
        first = run_pass(database(app), now)
        second = run_pass(database(app), now + timedelta(minutes=1))
        third = run_pass(database(app), now + timedelta(hours=1, minutes=1))
    finally:
        registry.unregister("test_hourly")
    assert first.jobs["test_hourly"] == 1
    assert "test_hourly" not in second.jobs
    assert third.jobs["test_hourly"] == 2
    assert calls == [now, now + timedelta(hours=1, minutes=1)]
    db.rollback()
    row = db.get(JobSchedule, "test_hourly")
    assert row.next_run_at == now + timedelta(hours=2, minutes=1)
    assert row.last_result == "2"


def test_a_failing_periodic_job_is_rolled_back_and_tried_again(app, db):
    def broken(session, now):
        raise RuntimeError("SMTP down")

    registry.register("test_broken", broken, every=timedelta(hours=1))
    db.rollback()  # the passes open their own writing transactions
    try:
        now = datetime(2026, 3, 2, 8, 0, tzinfo=VN)
        assert run_pass(database(app), now).failed == ["test_broken"]
        # The claim went with the failed run: the next pass tries again.
        assert run_pass(database(app), now + timedelta(minutes=1)).failed == ["test_broken"]
    finally:
        registry.unregister("test_broken")
    db.rollback()
    row = db.get(JobSchedule, "test_broken")
    assert row.last_started_at is None
    assert row.next_run_at == now


def test_a_trial_of_a_huan_chuong_passes_its_public_comment_window_at_once(db):
    """The shipped process holds a Huân chương Lao động's list open to comments for 10 working
    days before the Director signs (tests/workflows/test_award_nomination.py); a trial run,
    where nobody waits, lets that time pass and reaches the Director's step."""
    path = [
        {"step": "prepare_dossier", "decision": "submit"},
        {"step": "approve_at_unit", "decision": "approve"},
        {"step": "check_dossier", "decision": "approve"},
        {"step": "council_vote"},
        {"step": "conclude_council", "decision": "confirm"},
    ]
    admin = actor_named(db, "admin")
    run = draft_try.try_version(db, admin, "award_nomination", 1, award_form="hcld_1", choices=path)
    assert run.current is not None
    assert run.current.element_id == "sign_submission"
    bk = draft_try.try_version(db, admin, "award_nomination", 1, award_form="bk_btc", choices=path)
    assert bk.current is not None
    assert bk.current.element_id == "sign_submission"


def test_a_job_may_commit_as_it_goes_and_keeps_what_it_committed_when_it_fails_later(app, db):
    def piecewise(session, now):
        session.add(JobSchedule(name="test_piece_1", next_run_at=now))
        session.commit()  # the first piece of work is done whatever follows
        session.add(JobSchedule(name="test_piece_2", next_run_at=now))
        session.flush()
        raise RuntimeError("the second piece failed")

    registry.register("test_piecewise", piecewise)
    db.rollback()
    try:
        report = run_pass(database(app), datetime(2026, 3, 2, 8, 0, tzinfo=VN))
    finally:
        registry.unregister("test_piecewise")
    assert "test_piecewise" in report.failed
    db.rollback()
    assert db.get(JobSchedule, "test_piece_1") is not None
    assert db.get(JobSchedule, "test_piece_2") is None
