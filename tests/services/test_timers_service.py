"""Due BPMN timers are fired by `flask run-timers` (services.timers)."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import select

from tests.conftest import actor_named
from webapp.models import Dossier, Event, ProcessInstance, WorkItem
from webapp.services import dossiers, process_versions, timers

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
TIMEOUT = """
    <bpmn:boundaryEvent id="too_late" name="Quá hạn nộp hồ sơ" attachedToRef="prepare_dossier">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1S"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f_too_late" sourceRef="too_late" targetRef="end_withdrawn" />
    <bpmn:endEvent id="end_withdrawn" name="Hồ sơ không được nộp">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="outcome" value="withdrawn" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:endEvent>
  </bpmn:process>"""


def test_a_due_timer_moves_the_dossier_on(db):
    admin = actor_named(db, "admin")
    bpmn, files = process_versions.read_bundle_dir(BPMN_DIR, "award_nomination")
    version = process_versions.create_version(
        db, admin, "award_nomination", bpmn.replace("  </bpmn:process>", TIMEOUT), files
    )
    assert version.problems == []
    process_versions.deploy_version(db, admin, "award_nomination", version.version)
    dossier = dossiers.start_dossier(
        db,
        actor_named(db, "canbo_ns"),
        {
            "title": "Hồ sơ",
            "award_form": "bk_btc",
            "track": "ad_hoc",
            "procedure": "regular",
            "nominees": [{"kind": "individual", "name": "Nguyễn Văn A"}],
        },
    )
    db.commit()
    instance = db.scalar(select(ProcessInstance).where(ProcessInstance.dossier_id == dossier.id))
    assert instance.next_timer_at is not None
    assert timers.run_due_timers(db) == 0

    time.sleep(1.2)
    assert timers.run_due_timers(db) == 1
    db.commit()
    db.expire_all()
    assert db.get(Dossier, dossier.id).status == "withdrawn"
    assert db.get(ProcessInstance, instance.id).status == "completed"
    assert db.get(ProcessInstance, instance.id).next_timer_at is None
    items = db.scalars(select(WorkItem).where(WorkItem.dossier_id == dossier.id)).all()
    assert [(i.step, i.status) for i in items] == [("prepare_dossier", "cancelled")]
    ended = db.scalars(select(Event).where(Event.dossier_id == dossier.id, Event.action == "ended"))
    assert [e.step for e in ended] == ["end_withdrawn"]
    assert timers.run_due_timers(db) == 0
