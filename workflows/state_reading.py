"""Read what an instance was started with, without running it (a replay starts from there)."""

from __future__ import annotations

import copy
from typing import Any

from workflows.definition import ProcessDefinition
from workflows.serialization import load_state


def start_data(definition: ProcessDefinition, state: bytes) -> dict[str, Any]:
    """The data a saved instance was started with: its root task's data, copied.

    Raises StateLoadError when the state cannot be read.
    """
    workflow = load_state(state, definition.spec, definition.subprocess_specs)
    return copy.deepcopy(dict(workflow.task_tree.data))
