"""The engine layer: SpiffWorkflow behind plain functions and dataclasses.

Nothing here imports Flask, SQLAlchemy or the web application; nothing SpiffWorkflow-typed is
handed out except inside the opaque ProcessDefinition and RunningProcess.
"""

from workflows.checks import CheckResult, check_bundle
from workflows.definition import ProcessDefinition, load_definition, restore_definition
from workflows.diagram_info import DiagramInfo, ElementInfo, FlowInfo, LaneInfo
from workflows.errors import (
    DiagramError,
    Problem,
    ProcessRuntimeError,
    StateLoadError,
    TaskNotReadyError,
    UnsafeExpressionError,
    WorkflowError,
)
from workflows.messages import NotWaitingError, ThrownMessage, WaitingMessage
from workflows.records import AutomatedStep, HumanTask, InstanceStatus
from workflows.runtime import RunningProcess
from workflows.serialization import SERIALIZER_VERSION, dump_spec, load_spec

__all__ = [
    "SERIALIZER_VERSION",
    "AutomatedStep",
    "CheckResult",
    "DiagramError",
    "DiagramInfo",
    "ElementInfo",
    "FlowInfo",
    "HumanTask",
    "InstanceStatus",
    "LaneInfo",
    "NotWaitingError",
    "Problem",
    "ProcessDefinition",
    "ProcessRuntimeError",
    "RunningProcess",
    "StateLoadError",
    "TaskNotReadyError",
    "ThrownMessage",
    "UnsafeExpressionError",
    "WaitingMessage",
    "WorkflowError",
    "check_bundle",
    "dump_spec",
    "load_definition",
    "load_spec",
    "restore_definition",
]
