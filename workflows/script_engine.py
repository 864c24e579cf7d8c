"""The SpiffWorkflow script engine of this product: every expression and script is restricted."""

from __future__ import annotations

import json
from typing import Any

from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine

from workflows.expressions import evaluate
from workflows.operations import call_operation
from workflows.scripts import run_script


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """Expressions through the AST interpreter, scripts through RestrictedPython."""

    def __init__(self) -> None:
        super().__init__({})

    def evaluate(
        self,
        expression: str,
        context: dict[str, Any],
        external_context: dict[str, Any] | None = None,
    ) -> Any:
        return evaluate(expression, {**(external_context or {}), **context})

    def execute(
        self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> bool:
        run_script(script, context, external_context)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> str:
        params = {name: p["value"] for name, p in kwargs["operation_params"].items()}
        return json.dumps(call_operation(kwargs["operation_name"], params))


class RestrictedScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """A PythonScriptEngine whose environment is restricted (SpiffWorkflow's own evals nothing)."""

    def __init__(self) -> None:
        super().__init__(environment=RestrictedEnvironment())

    def call_service(self, task: Any, **kwargs: Any) -> str:
        return self.environment.call_service(task.data, **kwargs)  # type: ignore[no-any-return]


SCRIPT_ENGINE = RestrictedScriptEngine()
