"""Evaluate diagram expressions without Python's eval: an AST interpreter over a whitelist."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

import simpleeval

from workflows.errors import UnsafeExpressionError
from workflows.sandbox_policy import SAFE_CONSTANTS, SAFE_FUNCTIONS, SAFE_METHODS, audit_tree


def _supported_node_types() -> frozenset[type]:
    interpreter = simpleeval.EvalWithCompoundTypes()
    helpers = {ast.Expression, ast.comprehension, ast.keyword, ast.Load, ast.Store, ast.And, ast.Or}
    return frozenset(set(interpreter.nodes) | set(interpreter.operators) | helpers)


_SUPPORTED_NODES = _supported_node_types()


def parse_expression(text: str) -> ast.Expression:
    """Parse `text` as one expression and audit it; raise UnsafeExpressionError if refused."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise UnsafeExpressionError(f"not a valid expression: {exc.msg}") from exc
    reasons = audit_tree(tree)
    unsupported = sorted(
        {type(node).__name__ for node in ast.walk(tree) if type(node) not in _SUPPORTED_NODES}
    )
    if unsupported:
        reasons.append(f"not available in expressions: {', '.join(unsupported)}")
    if reasons:
        raise UnsafeExpressionError("; ".join(reasons))
    return tree


def check_expression(text: str) -> str | None:
    """Return why `text` is not an acceptable expression, or None when it is."""
    try:
        parse_expression(text)
    except UnsafeExpressionError as exc:
        return str(exc)
    return None


def evaluate(text: str, names: Mapping[str, Any]) -> Any:
    """Evaluate `text` with `names` (task data and context) in the restricted interpreter."""
    tree = parse_expression(text)
    evaluator = simpleeval.EvalWithCompoundTypes(
        functions=dict(SAFE_FUNCTIONS),
        names={**SAFE_CONSTANTS, **names},
        allowed_attrs=SAFE_METHODS,
    )
    try:
        return evaluator.eval(text, previously_parsed=tree.body)
    except simpleeval.NameNotDefined as exc:
        raise NameError(f"name '{exc.name}' is not defined") from exc
    except (
        simpleeval.FeatureNotAvailable,
        simpleeval.IterableTooLong,
        simpleeval.NumberTooHigh,
    ) as exc:
        raise UnsafeExpressionError(str(exc)) from exc
