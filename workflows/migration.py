"""Move running instances from one process version to another, or say why one cannot move.

Built on SpiffWorkflow's spec diff (tasks are aligned by BPMN id). This product's policy:
- a step the instance already passed must still exist in the new version (its history would
  otherwise point at nothing);
- a step the instance waits at must exist, or the administrator maps it to a plain user task of
  the new version (the dossier then waits there);
- an instance inside a multi-instance step (a council vote under way) or a sub-process does not
  move: finish the vote first.
Everything ahead of the current steps is predicted again from the new version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG
from SpiffWorkflow.util.task import TaskState

from workflows.definition import ProcessDefinition
from workflows.errors import WorkflowError
from workflows.runtime import RunningProcess
from workflows.serialization import load_state

_REGISTRY = BpmnWorkflowSerializer.configure(DEFAULT_CONFIG)
_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED


class MigrationRefusedError(WorkflowError):
    """The instance cannot move to the new version; `reasons` says why."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("; ".join(reasons))


@dataclass(frozen=True)
class MigrationCheck:
    """What moving one instance would do (a dry run)."""

    can_move: bool
    current: list[str]
    after: list[str] = field(default_factory=list)
    needs_mapping: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


class VersionMigration:
    """The alignment of two versions, computed once and applied to many instances."""

    def __init__(self, old: ProcessDefinition, new: ProcessDefinition):
        self.old = old
        self.new = new
        self._spec_diff = SpecDiff(_REGISTRY, old.spec, new.spec)

    def mapping_targets(self) -> list[str]:
        """Steps of the new version a waiting dossier may be mapped to (plain user tasks)."""
        return [
            e.element_id
            for e in self.new.diagram.human_steps()
            if e.process_id == self.new.process_id and not e.multi_instance
        ]

    def check(self, state: bytes, mapping: Mapping[str, str] | None = None) -> MigrationCheck:
        """Dry run: can this instance move, and where would it wait afterwards?"""
        try:
            new_state = self.migrate(state, mapping)
        except MigrationRefusedError as refused:
            workflow = load_state(state, self.old.spec, self.old.subprocess_specs)
            current = sorted({_bpmn_id(t) for t in _waiting_human(workflow)})
            missing = [s for s in current if s not in self.new.diagram.elements]
            unmapped = [s for s in missing if not (mapping or {}).get(s)]
            return MigrationCheck(False, current, needs_mapping=unmapped, reasons=refused.reasons)
        workflow = load_state(state, self.old.spec, self.old.subprocess_specs)
        current = sorted({_bpmn_id(t) for t in _waiting_human(workflow)})
        after = RunningProcess.load(self.new, new_state).ready_human_tasks()
        return MigrationCheck(True, current, after=sorted({t.element_id for t in after}))

    def migrate(self, state: bytes, mapping: Mapping[str, str] | None = None) -> bytes:
        """The instance's state on the new version; MigrationRefusedError when it cannot move."""
        workflow = load_state(state, self.old.spec, self.old.subprocess_specs)
        if workflow.subprocesses:
            raise MigrationRefusedError(["the dossier is inside a sub-process"])
        diff = WorkflowDiff(workflow, self._spec_diff)
        reasons: list[str] = []
        removed = set(diff.removed)
        for task in diff.removed:
            if task.state == TaskState.COMPLETED and _bpmn_id(task) in self.old.diagram.elements:
                name = self.old.diagram.elements[_bpmn_id(task)].name or _bpmn_id(task)
                reasons.append(f"it passed the step '{name}', which the new version removes")
        for task in workflow.get_tasks(state=_OPEN):
            spec = task.task_spec
            if isinstance(spec, LoopTask) or (
                task.parent is not None and isinstance(task.parent.task_spec, LoopTask)
            ):
                reasons.append("a multi-instance step (a council vote) is under way")
            elif task in removed and task.task_spec.manual and task.state == TaskState.READY:
                target = (mapping or {}).get(_bpmn_id(task))
                if target is None:
                    reasons.append(f"its current step '{_bpmn_id(task)}' is not in the new version")
                elif target not in self.mapping_targets():
                    reasons.append(f"'{target}' is not a user task of the new version")
                else:
                    diff.alignment[task] = self.new.spec.task_specs[target]
            elif task in removed:
                reasons.append(
                    f"it is waiting at '{_bpmn_id(task)}', which the new version removes"
                )
        if reasons:
            raise MigrationRefusedError(list(dict.fromkeys(reasons)))
        migrate_workflow(diff, workflow, self.new.spec)
        workflow.subprocess_specs = self.new.subprocess_specs
        try:
            moved = RunningProcess(self.new, workflow)
            moved.refresh_timers()
            result = moved.dump()
            # The result must load on the new version, or nothing is written.
            RunningProcess.load(self.new, result).ready_human_tasks()
        except Exception as exc:  # any failure means "cannot move", never a crash
            raise MigrationRefusedError([f"the new version cannot continue it: {exc}"]) from exc
        return result


def _bpmn_id(task: Any) -> str:
    return str(getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name)


def _waiting_human(workflow: Any) -> list[Any]:
    return [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual]
