"""Errors raised by the engine layer. None of them carries a SpiffWorkflow object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a diagram: which element, what, and where in the file.

    `message` is a sentence in English; `params` holds the names and values it quotes (element
    name, form, role, refused text), so that a page can say the same in the reader's language.
    """

    code: str
    message: str
    element_id: str | None = None
    file_name: str | None = None
    line: int | None = None
    params: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready view of the problem."""
        return {
            "code": self.code,
            "message": self.message,
            "element_id": self.element_id,
            "file": self.file_name,
            "line": self.line,
            "params": dict(self.params),
        }


class WorkflowError(Exception):
    """Base of every error the engine layer raises."""


class DiagramError(WorkflowError):
    """A diagram (BPMN or DMN) cannot be used; `problems` lists every reason found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems) or "invalid diagram")


class UnsafeExpressionError(WorkflowError):
    """An expression or script uses something the restricted environment refuses."""


class TaskNotReadyError(WorkflowError):
    """The task does not exist in this instance or cannot be completed now."""


class ProcessRuntimeError(WorkflowError):
    """The engine failed while running the diagram (a condition, a rule, a service task)."""

    def __init__(self, message: str, element_id: str | None = None, line: int | None = None):
        self.element_id = element_id
        self.line = line
        super().__init__(message)


class BudgetExceededError(ProcessRuntimeError):
    """Diagram code asked for more than one engine turn may use: CPU time, memory (the size of
    one result or everything the turn built), or the size, depth or shape of the data it leaves.

    Raised before the expensive operation runs; the turn is abandoned and nothing is saved.
    `budget` names what ran out ("time", "size", "memory", "data", "depth").
    """

    def __init__(
        self,
        message: str,
        element_id: str | None = None,
        line: int | None = None,
        *,
        budget: str = "size",
    ):
        self.budget = budget
        super().__init__(message, element_id, line)


class ScriptTimeoutError(BudgetExceededError):
    """A script ran longer than it may."""

    def __init__(self, message: str, element_id: str | None = None, line: int | None = None):
        super().__init__(message, element_id, line, budget="time")


class StateLoadError(WorkflowError):
    """Saved state cannot be restored for this process version."""
