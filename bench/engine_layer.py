"""Layer (a): bare SpiffWorkflow in memory through workflows.RunningProcess.

The state goes through dump and load between steps, as it does between two requests, so that
`engine.complete_work_item` is comparable with the layers above; `engine.complete_in_memory`
is the same step without them.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

from bench.path import MEMBERS, Action, awarded_path
from bench.stats import Samples
from workflows import HumanTask, RunningProcess, load_definition


def _pick(ready: list[HumanTask], action: Action) -> HumanTask:
    for task in ready:
        if task.element_id == action.step and task.assignee in (None, action.username):
            return task
    raise RuntimeError(f"the engine has no ready {action.step} for {action.username}")


class EngineLayer:
    """Runs the dossier path on the shipped diagram, with no database at all."""

    def __init__(self, bpmn_dir: Path, process_key: str, samples: Samples) -> None:
        bpmn = (bpmn_dir / f"{process_key}.bpmn").read_bytes()
        dmn = {p.name: p.read_bytes() for p in sorted(bpmn_dir.glob("*.dmn"))}
        self.definition = load_definition(bpmn, dmn, file_name=f"{process_key}.bpmn")
        self.samples = samples
        self.by_step = Samples()
        self.state_bytes: list[int] = []
        self._next_id = 1_000_000

    def _context(self) -> dict[str, Any]:
        # What webapp.services.dossier_effects.engine_context hands over; ids are made up.
        self._next_id += 3
        return {
            "dossier_id": self._next_id,
            "award_form": "bk_btc",
            "procedure": "regular",
            "track": "ad_hoc",
            "nominee_ids": [str(self._next_id + 1), str(self._next_id + 2)],
            "council_members": {m: m for m in sorted(MEMBERS)},
        }

    def run_path(self, unit: str = "ns") -> None:
        """Start one dossier and complete every step of the path to `awarded`."""
        context = self._context()
        with self.samples.timed("engine.start_dossier"):
            process, _steps = RunningProcess.start(self.definition, context)
            process.status()
            ready = process.ready_human_tasks()
            state = process.dump()
        for action in awarded_path(unit, context["nominee_ids"]):
            task = _pick(ready, action)
            data = copy.deepcopy(action.data)
            data.update(context)
            began = time.perf_counter()
            process = RunningProcess.load(self.definition, state)
            loaded = time.perf_counter()
            process.complete(task.task_id, data)
            process.status()
            ready = process.ready_human_tasks()
            completed = time.perf_counter()
            state = process.dump()
            dumped = time.perf_counter()
            self.samples.add("engine.complete_work_item", (dumped - began) * 1000)
            self.samples.add("engine.complete_in_memory", (completed - loaded) * 1000)
            self.samples.add("engine.load_state", (loaded - began) * 1000)
            self.samples.add("engine.dump_state", (dumped - completed) * 1000)
            self.by_step.add(action.step, (dumped - began) * 1000)
        if not process.status().completed:
            raise RuntimeError("the engine path did not reach its end")
        self.state_bytes.append(len(state))
