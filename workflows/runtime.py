"""Run one process instance: start, load, save, list ready human tasks, complete, timers."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from workflows import budget, clock, guards, messages
from workflows.definition import ProcessDefinition
from workflows.errors import (
    BudgetExceededError,
    ProcessRuntimeError,
    TaskNotReadyError,
    UnsafeExpressionError,
    WorkflowError,
)
from workflows.records import AutomatedStep, HumanTask, InstanceStatus
from workflows.script_engine import SCRIPT_ENGINE
from workflows.serialization import dump_state, load_state

# Each loop round deepens the engine's task tree; past ~1000 levels SpiffWorkflow stops seeing
# ready tasks, so a dossier may not go round more often than this allows.
MAX_TREE_DEPTH = 800
_MI_CHILD_SUFFIX = " [child]"
_E = TypeVar("_E", bound=BaseException)


class RunningProcess:
    """One instance of a process definition, held in memory between load and save."""

    def __init__(self, definition: ProcessDefinition, workflow: BpmnWorkflow):
        self.definition = definition
        self._workflow = workflow
        self._workflow.script_engine = SCRIPT_ENGINE
        self._end_element: str | None = None

    # ----- life cycle -------------------------------------------------------------------------

    @classmethod
    def start(
        cls, definition: ProcessDefinition, data: dict[str, Any]
    ) -> tuple[RunningProcess, list[AutomatedStep]]:
        """Create an instance with `data` as its starting data and run it to the first wait."""
        workflow = BpmnWorkflow(
            definition.spec, definition.subprocess_specs, script_engine=SCRIPT_ENGINE
        )
        workflow.task_tree.data.update(copy.deepcopy(data))
        process = cls(definition, workflow)
        with budget.turn(separate=True) as turn:
            return process, process._run_engine(turn)

    @classmethod
    def load(cls, definition: ProcessDefinition, state: bytes) -> RunningProcess:
        """Restore an instance saved with `dump`."""
        workflow = load_state(state, definition.spec, definition.subprocess_specs)
        return cls(definition, workflow)

    def dump(self) -> bytes:
        """The instance's own state, to be stored."""
        return dump_state(self._workflow)

    # ----- reading ----------------------------------------------------------------------------

    def ready_human_tasks(self) -> list[HumanTask]:
        """Every user or manual task that can be done now."""
        return [self._human_task(t) for t in self._ready_manual_tasks()]

    def status(self) -> InstanceStatus:
        """Whether the instance finished, how, and when its next timer is due."""
        completed = bool(self._workflow.is_completed())
        end_id = self._end_element or (self._last_end_event() if completed else None)
        end = self.definition.diagram.element(end_id) if end_id else None
        return InstanceStatus(
            completed=completed,
            outcome=end.outcome if end else None,
            end_element_id=end_id,
            next_timer_at=self._next_timer_at(),
        )

    def visit_counts(self) -> dict[str, int]:
        """How many times each BPMN element has been completed (loops count more than once)."""
        counts: dict[str, int] = {}
        for task in self._all_tasks():
            if task.state == TaskState.COMPLETED:
                bpmn_id = getattr(task.task_spec, "bpmn_id", None)
                if bpmn_id and not task.task_spec.name.endswith(_MI_CHILD_SUFFIX):
                    counts[bpmn_id] = counts.get(bpmn_id, 0) + 1
        return counts

    # ----- acting -----------------------------------------------------------------------------

    def complete(self, task_id: str, data: dict[str, Any]) -> list[AutomatedStep]:
        """Complete the ready human task `task_id` with `data`, then run what follows."""
        task = self._ready_task(task_id)
        if task.depth > MAX_TREE_DEPTH:
            raise ProcessRuntimeError(
                "this dossier has gone round too many times; start a new one",
                task.task_spec.bpmn_id,
            )
        # SpiffWorkflow 3.2 shares nested values between tasks: store a private copy.
        task.data.update(copy.deepcopy(data))
        with budget.turn(separate=True) as turn:
            try:
                task.run()
            except SpiffWorkflowException as exc:
                raise _runtime_error(exc, task) from exc
            return self._run_engine(turn)

    def refresh_timers(self, now: datetime | None = None) -> list[AutomatedStep]:
        """Fire the timers due at `now` (default: the engine's clock) and run what follows;
        timers armed by the steps that follow count from `now` too."""
        with clock.at(now), budget.turn(separate=True) as turn:
            try:
                self._workflow.refresh_timers()
            except SpiffWorkflowException as exc:
                raise _runtime_error(exc, None) from exc
            return self._run_engine(turn)

    # ----- messages between instances --------------------------------------------------------

    def uses_messages(self) -> bool:
        """Whether this process throws or catches messages at all (ad-hoc dossiers do not)."""
        return messages.uses_messages(
            [self.definition.spec, *self.definition.subprocess_specs.values()]
        )

    def take_thrown_messages(self) -> list[messages.ThrownMessage]:
        """The messages the last turns threw that nobody in this instance caught."""
        return messages.take_thrown(self._workflow)

    def waiting_messages(self, with_correlations: bool = True) -> list[messages.WaitingMessage]:
        """The messages this instance waits for, with the correlation values it expects."""
        return messages.waiting(self._workflow, with_correlations)

    def receive(self, message: messages.ThrownMessage) -> list[AutomatedStep]:
        """Deliver a message thrown by another instance, then run what follows."""
        with budget.turn(separate=True) as turn:
            messages.deliver(self._workflow, message)
            return self._run_engine(turn)

    # ----- internals --------------------------------------------------------------------------

    def _run_engine(self, turn: budget.Turn) -> list[AutomatedStep]:
        """Run the engine to the next wait, within `turn`'s budget: every expression and script
        of the turn shares its CPU time and allocation; the data each completed task holds is
        measured (size, depth, no reference to itself) before anything copies or compares it."""
        steps: list[AutomatedStep] = []
        limits = turn.limits

        def did_complete(task: Any) -> None:
            spec = task.task_spec
            bpmn_id = getattr(spec, "bpmn_id", None)
            turn.check_time()
            try:
                guards.check_data(task.data, limits.data_chars, limits.data_depth)
            except BudgetExceededError as exc:
                raise BudgetExceededError(str(exc), bpmn_id, budget=exc.budget) from exc
            element = self.definition.diagram.element(bpmn_id) if bpmn_id else None
            if element is None:
                return
            if element.kind == "endEvent":
                self._end_element = element.element_id
            parent_data = task.parent.data if task.parent is not None else {}
            updates = {
                k: copy.deepcopy(task.data[k])
                for k in DeepMerge.get_updated_keys(parent_data, task.data)
            }
            steps.append(AutomatedStep(element.element_id, element.name, element.kind, updates))

        try:
            self._workflow.do_engine_steps(did_complete_task=did_complete)
        except SpiffWorkflowException as exc:
            raise _runtime_error(exc, getattr(exc, "task", None)) from exc
        except ProcessRuntimeError:
            # Budgets and bounds raised outside any expression (a multi-instance input, a step's
            # data) already name their element and say what ran out: keep them as they are.
            raise
        except (
            WorkflowError,
            ArithmeticError,
            LookupError,
            TypeError,
            ValueError,
            NameError,
            RecursionError,
        ) as exc:
            raise ProcessRuntimeError(f"{type(exc).__name__}: {exc}") from exc
        if turn.broken is not None:  # diagram code caught the error and went on
            raise BudgetExceededError(str(turn.broken), budget=turn.broken.budget)
        return steps

    def _all_tasks(self) -> list[Any]:
        tasks = list(self._workflow.tasks.values())
        for sub in self._workflow.subprocesses.values():
            tasks.extend(sub.tasks.values())
        return tasks

    def _ready_manual_tasks(self) -> list[Any]:
        return [t for t in self._all_tasks() if t.state == TaskState.READY and t.task_spec.manual]

    def _ready_task(self, task_id: str) -> Any:
        try:
            task = self._workflow.get_task_from_id(UUID(task_id))
        except (TaskNotFoundException, ValueError) as exc:
            raise TaskNotReadyError(f"no task {task_id} in this instance") from exc
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReadyError(f"task {task_id} is not waiting for a person")
        return task

    def _human_task(self, task: Any) -> HumanTask:
        spec = task.task_spec
        element = self.definition.diagram.element(spec.bpmn_id)
        is_instance = spec.name.endswith(_MI_CHILD_SUFFIX)
        member = task.data.get(_input_item_name(self._workflow, task)) if is_instance else None
        return HumanTask(
            task_id=str(task.id),
            element_id=spec.bpmn_id,
            name=(element.name if element else None) or spec.bpmn_name or spec.bpmn_id,
            lane=spec.lane,
            role=element.role if element else None,
            form=element.form if element else None,
            ui_form=element.ui_form if element else None,
            time_limit_days=element.time_limit_days if element else None,
            assignee=str(member) if isinstance(member, str | int) else None,
            documentation=element.documentation if element else None,
        )

    def _last_end_event(self) -> str | None:
        ends = [
            t
            for t in self._all_tasks()
            if t.state == TaskState.COMPLETED and self._kind(t) == "endEvent"
        ]
        ends.sort(key=lambda t: t.last_state_change)
        return ends[-1].task_spec.bpmn_id if ends else None

    def _kind(self, task: Any) -> str | None:
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        element = self.definition.diagram.element(bpmn_id) if bpmn_id else None
        return element.kind if element else None

    def _next_timer_at(self) -> datetime | None:
        # waiting_events() reports an event-based gateway as one event without a value: walk
        # the waiting tasks' timer definitions instead (a gateway holds several).
        due: list[datetime] = []
        for task in self._all_tasks():
            if task.state != TaskState.WAITING:
                continue
            definition = getattr(task.task_spec, "event_definition", None)
            for event in getattr(definition, "event_definitions", None) or [definition]:
                if not isinstance(event, TimerEventDefinition):
                    continue
                value = event.details(task).value
                if isinstance(value, str) and "T" in value:
                    due.append(TimerEventDefinition.get_datetime(value))
        return min(due) if due else None


def _input_item_name(workflow: BpmnWorkflow, task: Any) -> str:
    parent_spec = task.parent.task_spec if task.parent is not None else None
    item = getattr(parent_spec, "input_item", None)
    return str(getattr(item, "bpmn_id", None) or getattr(item, "name", None) or "member")


def _runtime_error(exc: Exception, task: Any) -> ProcessRuntimeError:
    task = getattr(exc, "task", None) or task
    element_id = getattr(getattr(task, "task_spec", None), "bpmn_id", None)
    line = getattr(exc, "line_number", None)
    line = line if isinstance(line, int) and line > 0 else None
    cause = _budget_cause(exc)
    if cause is not None:  # SpiffWorkflow wrapped it: keep what ran out
        return BudgetExceededError(
            str(cause), cause.element_id or element_id, line, budget=cause.budget
        )
    bounded = _cause_of_type(exc, ProcessRuntimeError)
    if bounded is not None:  # a bound refused a value SpiffWorkflow computed: keep its words
        bounded.element_id = bounded.element_id or element_id
        bounded.line = bounded.line or line
        return bounded
    message = str(exc).split("\n", 1)[0]
    refused = _cause_of_type(exc, UnsafeExpressionError)
    if refused is not None and str(refused) not in message:  # SpiffWorkflow's words hide it
        message = f"{message.rstrip(' .')}: {refused}"
    return ProcessRuntimeError(message, element_id, line)


def _budget_cause(exc: BaseException) -> BudgetExceededError | None:
    return _cause_of_type(exc, BudgetExceededError)


def _cause_of_type(exc: BaseException, kind: type[_E]) -> _E | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
