"""Timers inside a round's own process (award_round) fire by themselves, once, at the time the
worker's pass is given (a frozen clock: the time is passed explicitly, nobody sleeps)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.conftest import actor_named
from tests.services.rounds_support import BPMN_DIR, open_round
from webapp.jobs.passes import run_pass
from webapp.models import Round, RoundEvent, RoundInstance
from webapp.request_db import database
from webapp.services import process_versions, timers
from webapp.services.rounds import steps
from webapp.services.rounds.round_instances import ROUND_PROCESS_KEY
from webapp.services.rounds.shipped import read_round_bundle
from workflows import clock

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CLOSED = datetime(2026, 3, 2, 9, 0, tzinfo=VN)

# An hour after the Office's compiling step opens, a reminder beside it (non-interrupting).
REMIND_COMPILE = """
    <bpmn:boundaryEvent id="remind_compile" name="Nhắc tổng hợp danh sách"
        attachedToRef="compile_lists" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f_remind_compile" sourceRef="remind_compile" targetRef="end_reminded" />
    <bpmn:endEvent id="end_reminded" name="Đã nhắc tổng hợp" />
  </bpmn:process>"""


def _round_version_with_timer(db):
    admin = actor_named(db, "admin")
    bpmn, files = read_round_bundle(BPMN_DIR, ROUND_PROCESS_KEY)
    bpmn = bpmn.replace("  </bpmn:process>", REMIND_COMPILE)
    version = process_versions.create_version(db, admin, ROUND_PROCESS_KEY, bpmn, files)
    assert version.problems == []
    process_versions.deploy_version(db, admin, ROUND_PROCESS_KEY, version.version)
    db.commit()
    return version


def _closed_round(db) -> Round:
    round_ = open_round(db)
    with clock.at(CLOSED):
        steps.close_intake(db, actor_named(db, "vanphong"), round_.id)
    db.commit()
    return round_


def _holder(db, round_: Round) -> RoundInstance:
    return db.scalars(select(RoundInstance).where(RoundInstance.round_id == round_.id)).one()


def _timer_lines(db, round_: Round) -> list[RoundEvent]:
    return list(
        db.scalars(
            select(RoundEvent).where(RoundEvent.round_id == round_.id, RoundEvent.action == "timer")
        )
    )


def test_a_boundary_timer_on_a_round_step_fires_once(db):
    version = _round_version_with_timer(db)
    round_ = _closed_round(db)
    holder = _holder(db, round_)
    assert holder.version_id == version.id
    assert holder.next_timer_at == CLOSED + timedelta(hours=1)

    assert timers.run_due_round_timers(db, CLOSED + timedelta(minutes=59)) == 0
    assert timers.run_due_round_timers(db, CLOSED + timedelta(minutes=61)) == 1
    db.commit()
    assert timers.run_due_round_timers(db, CLOSED + timedelta(hours=3)) == 0
    db.commit()
    (line,) = _timer_lines(db, round_)
    assert line.step == "remind_compile"
    assert line.at == CLOSED + timedelta(minutes=61)
    # The reminder is beside the step: the Office still compiles the lists.
    db.expire_all()
    assert (db.get(Round, round_.id).status, db.get(Round, round_.id).step) == (
        "closed",
        "compile_lists",
    )
    assert _holder(db, round_).next_timer_at is None


def test_the_job_pass_fires_a_round_timer_exactly_once(app, db):
    _round_version_with_timer(db)
    round_ = _closed_round(db)
    other = _closed_round(db)  # a second round: one pass fires both, a second pass neither
    store = database(app)
    report = run_pass(store, CLOSED + timedelta(hours=2))
    assert report.timers_fired == 2
    assert "round_intakes" not in report.failed
    assert run_pass(store, CLOSED + timedelta(hours=2, minutes=1)).timers_fired == 0
    db.expire_all()
    assert [len(_timer_lines(db, r)) for r in (round_, other)] == [1, 1]


def test_a_round_on_the_shipped_version_arms_no_timer(db):
    round_ = _closed_round(db)
    assert _holder(db, round_).next_timer_at is None
    assert timers.run_due_round_timers(db, CLOSED + timedelta(days=365)) == 0
