"""BPMN messages between process instances: what a turn threw, what an instance waits for.

The engine only knows one instance at a time; the application routes a thrown message to the
instances waiting for it (by name and correlation) and hands it over with `receive`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import (
    MessageEventDefinition as BaseMessageDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from workflows.errors import ProcessRuntimeError, WorkflowError

# Correlations as SpiffWorkflow computes them: correlation key -> {property: value}.
Correlations = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class ThrownMessage:
    """A message a turn threw that no task of the same instance caught."""

    name: str
    payload: Any
    correlations: Correlations = field(default_factory=dict)


@dataclass(frozen=True)
class WaitingMessage:
    """A message an instance waits for, with the correlation values it expects.

    The values come from the catch's correlation properties evaluated on the instance's own data
    (e.g. `round_id` for a round), so routing is a lookup, never a scan of every instance.
    """

    name: str
    element_id: str
    correlations: Correlations = field(default_factory=dict)


def take_thrown(workflow: BpmnWorkflow) -> list[ThrownMessage]:
    """The messages thrown since the last call (SpiffWorkflow forgets them once taken)."""
    return [
        ThrownMessage(
            event.event_definition.name,
            copy.deepcopy(event.payload),
            copy.deepcopy(event.correlations or {}),
        )
        for event in workflow.get_events()
        if isinstance(event.event_definition, BaseMessageDefinition)
    ]


def _message_definitions(definition: Any) -> list[Any]:
    if isinstance(definition, MultipleEventDefinition):
        return [d for d in definition.event_definitions if isinstance(d, BaseMessageDefinition)]
    return [definition] if isinstance(definition, BaseMessageDefinition) else []


def waiting(workflow: BpmnWorkflow, with_correlations: bool = True) -> list[WaitingMessage]:
    """Every message catch the instance is waiting at, with its expected correlations (not
    evaluated when `with_correlations` is false: only names and elements are wanted)."""
    found: list[WaitingMessage] = []
    engine = workflow.script_engine
    for task in workflow.get_tasks(state=TaskState.WAITING):
        spec = task.task_spec
        for definition in _message_definitions(getattr(spec, "event_definition", None)):
            correlations: Correlations = {}
            for prop in definition.correlation_properties if with_correlations else ():
                try:
                    value = engine.environment.evaluate(prop.retrieval_expression, task.data)
                except Exception:  # noqa: S112 - a property the data cannot give is not expected
                    continue
                for key in prop.correlation_keys:
                    correlations.setdefault(key, {})[prop.name] = value
            found.append(WaitingMessage(definition.name, spec.bpmn_id, correlations))
    return found


def uses_messages(spec_and_subprocesses: list[Any]) -> bool:
    """Whether any task of the specs throws or catches a message."""
    for spec in spec_and_subprocesses:
        for task_spec in spec.task_specs.values():
            if _message_definitions(getattr(task_spec, "event_definition", None)):
                return True
    return False


def deliver(workflow: BpmnWorkflow, message: ThrownMessage) -> None:
    """Hand `message` to the instance; an instance not waiting for it is an error, not a drop."""
    event = BpmnEvent(
        MessageEventDefinition(message.name),
        copy.deepcopy(message.payload),
        copy.deepcopy(message.correlations),
    )
    try:
        workflow.send_event(event)
    except SpiffWorkflowException as exc:
        raise NotWaitingError(f"not waiting for the message {message.name}") from exc
    except (WorkflowError, ArithmeticError, LookupError, TypeError, ValueError, NameError) as exc:
        raise ProcessRuntimeError(f"{type(exc).__name__}: {exc}") from exc


class NotWaitingError(ProcessRuntimeError):
    """The instance does not wait for this message (or not with these correlations)."""
