"""Evaluate diagram expressions without Python's eval: an AST interpreter over a whitelist.

Every operator that can build something large goes through workflows.guards, and the
interpreter checks the engine turn's CPU budget (workflows.budget) as it walks the tree.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Mapping
from typing import Any

import simpleeval

from workflows import budget, guards
from workflows.errors import UnsafeExpressionError
from workflows.sandbox_policy import SAFE_CONSTANTS, SAFE_FUNCTIONS, SAFE_METHODS, audit_tree

MAX_EXPRESSION_LENGTH = 10_000
_CACHED_LENGTH = 2_000  # shorter texts keep their audited tree (every diagram's are)
# How many nodes the interpreter visits between two looks at the clock.
_CLOCK_EVERY = 32


def _supported_node_types() -> frozenset[type]:
    interpreter = simpleeval.EvalWithCompoundTypes()
    helpers = {ast.Expression, ast.comprehension, ast.keyword, ast.Load, ast.Store, ast.And, ast.Or}
    return frozenset(set(interpreter.nodes) | set(interpreter.operators) | helpers)


_SUPPORTED_NODES = _supported_node_types()
_OPERATORS: dict[Any, Any] = {**simpleeval.DEFAULT_OPERATORS, **guards.BINARY_OPERATORS}


def _parse(text: str) -> tuple[ast.Expression | None, str | None]:
    return _parse_short(text) if len(text) <= _CACHED_LENGTH else _audit(text)


def _audit(text: str) -> tuple[ast.Expression | None, str | None]:
    if len(text) > MAX_EXPRESSION_LENGTH:
        return None, f"longer than {MAX_EXPRESSION_LENGTH:,} characters"
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        return None, f"not a valid expression: {exc.msg}"
    except (RecursionError, MemoryError, ValueError):
        return None, "not a valid expression: too complex or nested too deeply"
    reasons = audit_tree(tree)
    unsupported = sorted(
        {type(node).__name__ for node in ast.walk(tree) if type(node) not in _SUPPORTED_NODES}
    )
    if unsupported:
        reasons.append(f"not available in expressions: {', '.join(unsupported)}")
    if reasons:
        return None, "; ".join(reasons)
    return tree, None


_parse_short = functools.lru_cache(maxsize=2048)(_audit)


def parse_expression(text: str) -> ast.Expression:
    """Parse `text` as one expression and audit it; raise UnsafeExpressionError if refused."""
    tree, reason = _parse(text)
    if tree is None:
        raise UnsafeExpressionError(reason or "refused")
    return tree


def check_expression(text: str) -> str | None:
    """Return why `text` is not an acceptable expression, or None when it is."""
    return _parse(text)[1]


class BudgetedEvaluator(simpleeval.EvalWithCompoundTypes):  # type: ignore[misc]
    """simpleeval's interpreter with the size guards, the turn's clock and allocation budget."""

    def __init__(self, names: Mapping[str, Any], turn: budget.Turn):
        super().__init__(
            operators=dict(_OPERATORS),
            functions=dict(SAFE_FUNCTIONS),
            names={**SAFE_CONSTANTS, **names},
            allowed_attrs=SAFE_METHODS,
        )
        # EvalWithCompoundTypes puts the unguarded list, tuple, dict and set back.
        self.functions.update(SAFE_FUNCTIONS)
        self._turn = turn
        self._deadline = turn.call_deadline()
        self._visited = 0

    def _eval(self, node: ast.AST) -> Any:
        self._visited += 1
        if self._visited % _CLOCK_EVERY == 0:
            self._turn.check_time(self._deadline)
        return super()._eval(node)

    def _check_disallowed_items(self, item: Any) -> None:
        # The names are task data and whitelisted functions; simpleeval's walk of every
        # container after every node costs the size of the data per node (and never ends on
        # data that refers to itself): check the value itself only.
        if not isinstance(item, list | tuple | set | frozenset | dict):
            super()._check_disallowed_items(item)

    def _eval_subscript(self, node: ast.Subscript) -> Any:
        return guards.guarded_getitem(self._eval(node.value), self._eval(node.slice))

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        return guards.guard_bound_method(super()._eval_attribute(node))

    def _eval_formattedvalue(self, node: ast.FormattedValue) -> str:
        spec = guards.constant_spec(node.format_spec) if node.format_spec is not None else ""
        if spec is None:
            raise UnsafeExpressionError("a format specification must be written out")
        return guards.format_value(self._eval(node.value), node.conversion, spec)

    def _eval_joinedstr(self, node: ast.JoinedStr) -> str:
        return guards.joined_str(str(self._eval(value)) for value in node.values)

    def _sized(self, result: Any) -> Any:
        if len(result) > guards.MAX_ITEMS:
            guards.refuse(f"a list, tuple, set or dict of more than {guards.MAX_ITEMS:,} elements")
        budget.charge(len(result))
        return result

    def _eval_list(self, node: ast.List) -> Any:
        return self._sized(super()._eval_list(node))

    def _eval_tuple(self, node: ast.Tuple) -> Any:
        return self._sized(super()._eval_tuple(node))

    def _eval_set(self, node: ast.Set) -> Any:
        return self._sized(super()._eval_set(node))

    def _eval_dict(self, node: ast.Dict) -> Any:
        return self._sized(super()._eval_dict(node))

    def _eval_comprehension(self, node: ast.AST) -> Any:
        return self._sized(super()._eval_comprehension(node))


def evaluate(text: str, names: Mapping[str, Any]) -> Any:
    """Evaluate `text` with `names` (task data and context) in the restricted interpreter,
    within the current engine turn's budget (a turn of its own when none is open)."""
    tree = parse_expression(text)
    with budget.turn() as turn:
        turn.raise_if_broken()
        evaluator = BudgetedEvaluator(names, turn)
        try:
            return evaluator.eval(text, previously_parsed=tree.body)
        except simpleeval.NameNotDefined as exc:
            raise NameError(f"name '{exc.name}' is not defined") from exc
        except simpleeval.FeatureNotAvailable as exc:
            raise UnsafeExpressionError(str(exc)) from exc
        except (simpleeval.IterableTooLong, simpleeval.NumberTooHigh) as exc:
            guards.refuse(str(exc))
        except RecursionError as exc:
            guards.refuse(f"nested too deeply to evaluate ({exc})", "depth")
