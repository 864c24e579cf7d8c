"""Save and restore engine state without the spec, which is stored once per process version."""

from __future__ import annotations

import json
import zlib
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG

from workflows.errors import StateLoadError

SERIALIZER_VERSION = BpmnWorkflowSerializer().VERSION


class _StateOnlyWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Like SpiffWorkflow's converter, but leaves the specs out and takes them back in on load."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(
        self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None
    ) -> BpmnWorkflow:
        if spec is None:
            return super().from_dict(dct)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _spec_registry() -> Any:
    return BpmnWorkflowSerializer.configure(DEFAULT_CONFIG)


def _state_registry() -> Any:
    config = dict(DEFAULT_CONFIG)
    config[BpmnWorkflow] = _StateOnlyWorkflowConverter
    return BpmnWorkflowSerializer.configure(config)


_SPECS = _spec_registry()
_STATES = _state_registry()


def dump_spec(spec: Any, subprocess_specs: dict[str, Any]) -> str:
    """The specs of a process version as JSON, stored once per version."""
    return json.dumps(
        {
            "serializer_version": SERIALIZER_VERSION,
            "spec": _SPECS.convert(spec),
            "subprocess_specs": {name: _SPECS.convert(s) for name, s in subprocess_specs.items()},
        }
    )


def load_spec(text: str) -> tuple[Any, dict[str, Any]]:
    """Restore what dump_spec wrote."""
    dct = json.loads(text)
    if dct.get("serializer_version") != SERIALIZER_VERSION:
        raise StateLoadError(f"spec written by serializer {dct.get('serializer_version')}")
    specs = {name: _SPECS.restore(s) for name, s in dct["subprocess_specs"].items()}
    return _SPECS.restore(dct["spec"]), specs


def dump_state(workflow: BpmnWorkflow) -> bytes:
    """An instance's own state (tasks and data, no spec), compressed."""
    dct = _STATES.convert(workflow)
    dct["serializer_version"] = SERIALIZER_VERSION
    return zlib.compress(json.dumps(dct, separators=(",", ":")).encode("utf-8"), 6)


def load_state(blob: bytes, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    """Restore an instance saved by dump_state onto its version's specs."""
    try:
        dct = json.loads(zlib.decompress(blob))
    except (zlib.error, ValueError) as exc:
        raise StateLoadError("saved state is unreadable") from exc
    version = dct.pop("serializer_version", None)
    if version != SERIALIZER_VERSION:
        raise StateLoadError(
            f"state written by serializer {version}, expected {SERIALIZER_VERSION}"
        )
    return _STATES.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
