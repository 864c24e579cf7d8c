"""Domain errors raised by services; the HTTP edge turns them into statuses."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error a service raises on purpose. `code` is a stable English code."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class NotAuthenticatedError(ServiceError):
    """No valid credentials."""

    code = "unauthenticated"


class NotFoundError(ServiceError):
    """The thing does not exist, or the actor may not know it exists."""

    code = "not_found"


class PermissionDeniedError(ServiceError):
    """The actor sees the thing but may not do this."""

    code = "forbidden"


class ConflictError(ServiceError):
    """Someone else changed it first, or it is already done."""

    code = "conflict"


class InvalidDataError(ServiceError):
    """The data does not fit; `fields` maps each bad field (dotted path) to why."""

    code = "invalid"

    def __init__(
        self, message: str, fields: dict[str, str] | None = None, *, code: str | None = None
    ):
        super().__init__(message, code=code)
        self.fields = fields or {}


class ProcessFailedError(InvalidDataError):
    """The diagram's own logic failed on this dossier (a condition, a rule, a service task)."""

    code = "process_error"

    def __init__(self, element_id: str | None, reason: str):
        super().__init__(
            f"the process could not continue at '{element_id}': {reason}", {"process": reason}
        )


class DiagramProblemsError(InvalidDataError):
    """A diagram that cannot be used; `problems` lists each with its element and line."""

    code = "diagram_problems"

    def __init__(self, problems: list[dict[str, object]]):
        fields: dict[str, str] = {}
        for problem in problems:
            key = str(problem.get("element_id") or problem.get("file") or "bpmn")
            message = str(problem.get("message"))
            fields[key] = f"{fields[key]}; {message}" if key in fields else message
        super().__init__(f"the diagram has {len(problems)} problem(s)", fields)
        self.problems = problems
