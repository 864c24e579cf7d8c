"""Fixtures for engine tests: the shipped diagram, driven with a save/load between every step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from workflows import HumanTask, ProcessDefinition, RunningProcess, load_definition

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
MEMBERS = ["giamdoc", "hoidong1", "hoidong2", "hoidong3", "hoidong4"]


@pytest.fixture(scope="session")
def shipped() -> ProcessDefinition:
    return load_definition(
        (BPMN_DIR / "award_nomination.bpmn").read_bytes(),
        {"award_rules.dmn": (BPMN_DIR / "award_rules.dmn").read_bytes()},
        file_name="award_nomination.bpmn",
    )


class Driver:
    """Runs one instance and round-trips it through dump/load before every step."""

    def __init__(self, definition: ProcessDefinition, **data: Any):
        start = {
            "award_form": "bk_btc",
            "procedure": "regular",
            "nominee_ids": ["11", "12"],
            "council_members": {m: m for m in MEMBERS},
        }
        start.update(data)
        self.definition = definition
        self.process, self.steps = RunningProcess.start(definition, start)
        self.trail: list[str] = []

    def reload(self) -> None:
        self.process = RunningProcess.load(self.definition, self.process.dump())

    def ready(self) -> list[HumanTask]:
        return self.process.ready_human_tasks()

    def ready_steps(self) -> list[str]:
        return [t.element_id for t in self.ready()]

    def do(self, step: str, data: dict[str, Any], assignee: str | None = None) -> None:
        self.reload()
        matches = [
            t
            for t in self.ready()
            if t.element_id == step and (assignee is None or t.assignee == assignee)
        ]
        assert matches, f"{step} is not ready; ready: {self.ready_steps()}"
        self.steps = self.process.complete(matches[0].task_id, data)
        self.trail.append(step)

    def vote(self, votes_by_member: dict[str, dict[str, str]]) -> None:
        for member, votes in votes_by_member.items():
            self.do("council_vote", {"votes": votes}, assignee=member)

    def updates(self, key: str) -> Any:
        for step in self.steps:
            if key in step.updates:
                return step.updates[key]
        return None

    @property
    def outcome(self) -> str | None:
        self.reload()
        status = self.process.status()
        return status.outcome if status.completed else None


@pytest.fixture
def driver(shipped: ProcessDefinition):
    def make(**data: Any) -> Driver:
        return Driver(shipped, **data)

    return make
