"""The SpiffWorkflow script engine of this product: every expression and script is restricted."""

from __future__ import annotations

import json
from typing import Any

from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask, StandardLoopTask

from workflows.bounds import (
    MAX_CARDINALITY,
    MAX_RECEIVING_ROUNDS,
    BoundExceededError,
    TimerValueError,
    cardinality_reason,
    check_timer_value,
    collection_reason,
    timer_kind,
)
from workflows.expressions import evaluate
from workflows.operations import call_operation
from workflows.scripts import run_script


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """Expressions through the AST interpreter, scripts through RestrictedPython."""

    def __init__(self) -> None:
        super().__init__({})

    def evaluate(
        self,
        expression: str,
        context: dict[str, Any],
        external_context: dict[str, Any] | None = None,
    ) -> Any:
        return evaluate(expression, {**(external_context or {}), **context})

    def execute(
        self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> bool:
        run_script(script, context, external_context)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> str:
        params = {name: p["value"] for name, p in kwargs["operation_params"].items()}
        return json.dumps(call_operation(kwargs["operation_name"], params))


class RestrictedScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """A PythonScriptEngine whose environment is restricted (SpiffWorkflow's own evals nothing)."""

    def __init__(self) -> None:
        super().__init__(environment=RestrictedEnvironment())

    def evaluate(
        self, task: Any, expression: str, external_context: dict[str, Any] | None = None
    ) -> Any:
        """Evaluate as SpiffWorkflow does, then hold a timer's value or a multi-instance
        cardinality to the limits before SpiffWorkflow loops over it."""
        result = super().evaluate(task, expression, external_context)
        reason = _bound_reason(task, expression, result)
        if reason is not None:
            raise _exceeded(task.task_spec, reason)
        return result

    def call_service(self, task: Any, **kwargs: Any) -> str:
        return self.environment.call_service(task.data, **kwargs)  # type: ignore[no-any-return]


def _exceeded(spec: Any, reason: str) -> BoundExceededError:
    element_id = getattr(spec, "bpmn_id", None)
    return BoundExceededError(f"'{element_id}': {reason}", element_id)


def _timer_definitions(spec: Any) -> list[Any]:
    event = getattr(spec, "event_definition", None)
    if isinstance(event, MultipleEventDefinition):
        return list(event.event_definitions)
    return [event] if event is not None else []


def _bound_reason(task: Any, expression: str, result: Any) -> str | None:
    """Why the value an expression of a task gave is refused (None: it is not bounded here)."""
    spec = task.task_spec
    for event in _timer_definitions(spec):
        kind = timer_kind(event)
        if kind is not None and event.expression == expression:
            try:
                check_timer_value(kind, result)
            except TimerValueError as exc:
                return f"timer refused: {exc}"
    if isinstance(spec, MultiInstanceTask) and spec.cardinality == expression:
        return cardinality_reason(result)
    if isinstance(spec, StandardLoopTask) and spec.condition == expression:
        # The loop asks its condition after each round: its rounds are bounded like instances.
        # SpiffWorkflow goes round again while the condition holds.
        rounds = len(task.internal_data.get("merged", []))
        limit = _loop_limit(task, spec)
        if rounds >= limit and result:
            return f"the loop has run {rounds} times; at most {limit} are allowed"
    return None


def _loop_limit(task: Any, spec: StandardLoopTask) -> int:
    """How many rounds a loop may run: a loop around a waiting event (a receive task) goes
    round once per message delivered to it, never within one turn, so it may run longer."""
    inner = task.workflow.spec.task_specs.get(spec.task_spec)
    return MAX_RECEIVING_ROUNDS if isinstance(inner, CatchingEvent) else MAX_CARDINALITY


def _check_input_collection(workflow: Any, task: Any) -> None:
    """Before an instance of a multi-instance activity runs: its input collection is bounded.

    SpiffWorkflow reads the collection from the task data (no expression is evaluated), then
    creates every instance at once; the first instance's update comes before the second is
    created, so the check costs one len() and nothing big has been built yet."""
    parent = task.parent
    spec = parent.task_spec if parent is not None else None
    if not isinstance(spec, MultiInstanceTask) or spec.data_input is None:
        return
    reason = collection_reason(parent.data.get(spec.data_input.bpmn_id))
    if reason is not None:
        raise _exceeded(spec, reason)


def guard_multi_instances(specs: list[Any]) -> None:
    """Bound the input collection of every multi-instance activity of these process specs.

    Events are not serialized: call this on every spec parsed or restored."""
    for process_spec in specs:
        for task_spec in list(process_spec.task_specs.values()):
            if not isinstance(task_spec, MultiInstanceTask) or task_spec.data_input is None:
                continue
            instance_spec = process_spec.task_specs.get(task_spec.task_spec)
            if instance_spec is not None and not instance_spec.update_event.is_connected(
                _check_input_collection
            ):
                instance_spec.update_event.connect(_check_input_collection)


SCRIPT_ENGINE = RestrictedScriptEngine()
