"""Every kind of timer fires at the time it is given (a frozen clock, workflows.clock), counted
in working days when the diagram says `working_days(n)`, and the instance reports when its
next timer is due, so that the worker's query finds it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.workflows.diagrams import process, user_task
from workflows import RunningProcess, clock, load_definition

# Friday 06/03/2026 10:00 UTC: three working days later is Wednesday 11/03 (weekend skipped).
ARMED = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)

INTERMEDIATE = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="window"/>'
    '<bpmn:intermediateCatchEvent id="window"><bpmn:timerEventDefinition>'
    "<bpmn:timeDate>working_days(3)</bpmn:timeDate>"
    "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    '<bpmn:sequenceFlow id="f2" sourceRef="window" targetRef="review"/>'
    + user_task("review")
    + '<bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="done"/>'
    '<bpmn:endEvent id="done"/>'
)

EVENT_GATEWAY = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>'
    '<bpmn:eventBasedGateway id="gw"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="timeout"/>'
    '<bpmn:intermediateCatchEvent id="timeout"><bpmn:timerEventDefinition>'
    '<bpmn:timeDuration>"P2D"</bpmn:timeDuration>'
    "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    '<bpmn:sequenceFlow id="f3" sourceRef="timeout" targetRef="timed_out"/>'
    '<bpmn:endEvent id="timed_out"/>'
    '<bpmn:sequenceFlow id="f4" sourceRef="gw" targetRef="answer"/>'
    '<bpmn:intermediateCatchEvent id="answer"><bpmn:messageEventDefinition messageRef="m"/>'
    "</bpmn:intermediateCatchEvent>"
    '<bpmn:sequenceFlow id="f5" sourceRef="answer" targetRef="answered"/>'
    '<bpmn:endEvent id="answered"/>'
).replace("</bpmn:definitions>", '<bpmn:message id="m" name="answer"/></bpmn:definitions>')

CYCLE = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>'
    + user_task("review")
    + '<bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="done"/>'
    '<bpmn:endEvent id="done"/>'
    '<bpmn:boundaryEvent id="nag" attachedToRef="review" cancelActivity="false">'
    '<bpmn:timerEventDefinition><bpmn:timeCycle>"R2/P1D"</bpmn:timeCycle>'
    "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    '<bpmn:sequenceFlow id="f3" sourceRef="nag" targetRef="nagged"/>'
    '<bpmn:endEvent id="nagged"/>'
)


@pytest.fixture(autouse=True)
def weekends_only():
    """The engine alone: weekends are the only days off (an app may have installed its own)."""
    kept = clock.working_day_calendar()
    clock.set_working_day_calendar(None)
    yield
    clock.set_working_day_calendar(kept)


def _fire(definition, process, moment):
    process = RunningProcess.load(definition, process.dump())
    return process, [s.element_id for s in process.refresh_timers(moment)]


def test_an_intermediate_timer_waits_three_working_days():
    definition = load_definition(INTERMEDIATE)
    with clock.at(ARMED):
        process, _ = RunningProcess.start(definition, {})
    due = process.status().next_timer_at
    assert due == datetime(2026, 3, 11, 17, 0, tzinfo=UTC)
    process, _ = _fire(definition, process, due - timedelta(minutes=1))
    assert process.ready_human_tasks() == []
    process, steps = _fire(definition, process, due + timedelta(minutes=1))
    assert "window" in steps
    assert [t.element_id for t in process.ready_human_tasks()] == ["review"]
    assert process.status().next_timer_at is None


def test_a_timer_of_an_event_based_gateway_is_reported_and_fires():
    definition = load_definition(EVENT_GATEWAY)
    with clock.at(ARMED):
        process, _ = RunningProcess.start(definition, {})
    assert process.status().next_timer_at == ARMED + timedelta(days=2)
    process, _ = _fire(definition, process, ARMED + timedelta(days=1))
    assert not process.status().completed
    process, _ = _fire(definition, process, ARMED + timedelta(days=2, seconds=1))
    assert process.status().end_element_id == "timed_out"


def test_a_cycle_fires_once_per_period_beside_the_step():
    definition = load_definition(CYCLE)
    with clock.at(ARMED):
        process, _ = RunningProcess.start(definition, {})
    fired = []
    for day in (1, 1, 2, 2, 3):
        process, steps = _fire(definition, process, ARMED + timedelta(days=day, seconds=1))
        fired.append(steps.count("nagged"))
    assert fired == [1, 0, 1, 0, 0]
    assert [t.element_id for t in process.ready_human_tasks()] == ["review"]


def test_working_days_refuses_what_is_not_a_small_whole_number():
    with pytest.raises(TypeError):
        clock.working_days("3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="working_days takes"):
        clock.working_days(-1)
