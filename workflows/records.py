"""Plain data handed from the engine layer to the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class HumanTask:
    """A user task that is ready to be done now."""

    task_id: str
    element_id: str
    name: str
    lane: str | None
    role: str | None
    form: str | None
    ui_form: str | None
    time_limit_days: int | None
    assignee: str | None
    documentation: str | None


@dataclass(frozen=True)
class AutomatedStep:
    """A step the engine ran by itself (a rule, a service task, an end event...)."""

    element_id: str
    name: str | None
    kind: str
    updates: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InstanceStatus:
    """Where an instance stands after an engine run."""

    completed: bool
    outcome: str | None
    end_element_id: str | None
    next_timer_at: datetime | None
