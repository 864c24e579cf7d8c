"""Timers wait until refreshed after their due time; the instance reports when the next is due."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from tests.workflows.diagrams import process, user_task
from workflows import RunningProcess, load_definition

REMINDER = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>'
    + user_task("review")
    + '<bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="done"/>'
    '<bpmn:endEvent id="done"/>'
    '<bpmn:boundaryEvent id="late" attachedToRef="review" cancelActivity="true">'
    "<bpmn:timerEventDefinition><bpmn:timeDate>deadline</bpmn:timeDate>"
    "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    '<bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="escalated"/>'
    '<bpmn:endEvent id="escalated"/>'
)


def test_timer_fires_only_after_its_due_time_and_a_refresh():
    definition = load_definition(REMINDER)
    due = datetime.now(UTC) + timedelta(seconds=1)
    process, _ = RunningProcess.start(definition, {"deadline": due.isoformat()})
    status = process.status()
    assert not status.completed
    assert status.next_timer_at is not None
    assert abs((status.next_timer_at - due).total_seconds()) < 0.01
    assert [t.element_id for t in process.ready_human_tasks()] == ["review"]

    process = RunningProcess.load(definition, process.dump())
    process.refresh_timers()
    assert [t.element_id for t in process.ready_human_tasks()] == ["review"]

    time.sleep(1.1)
    process = RunningProcess.load(definition, process.dump())
    steps = process.refresh_timers()
    assert "escalated" in [s.element_id for s in steps]
    assert process.ready_human_tasks() == []
    assert process.status().end_element_id == "escalated"
    assert process.status().next_timer_at is None
