"""What diagram code may name: one whitelist shared by expressions and scripts.

Expressions (gateway conditions, timers, multi-instance settings, DMN cells, service-task
parameters) and scripts see the task data plus the functions below, nothing else.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from typing import Any

from workflows import clock, guards

MAX_RANGE = guards.MAX_ITEMS
MAX_SEQUENCE = 100_000
# Deeper trees are refused: the interpreter and the compiler recurse once per level.
MAX_TREE_DEPTH = 100

# Every function that can build something large is the guarded version (workflows.guards).
SAFE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "all": all,
    "any": any,
    "bool": bool,
    "dict": guards.safe_dict,
    "enumerate": enumerate,
    "float": float,
    "int": guards.safe_int,
    "len": len,
    "list": guards.safe_list,
    "max": guards.safe_max,
    "min": guards.safe_min,
    "range": guards.safe_range,
    "round": guards.safe_round,
    "set": guards.safe_set,
    "sorted": guards.safe_sorted,
    "str": guards.safe_str,
    "sum": guards.safe_sum,
    "tuple": guards.safe_tuple,
    # A timer value n working days after the engine's now (workflows.clock).
    "working_days": clock.working_days,
    "zip": zip,
}

SAFE_CONSTANTS: dict[str, Any] = {"True": True, "False": False, "None": None}

# Methods of plain data that diagram code may call; everything else is refused.
SAFE_METHODS: dict[type, set[str]] = {
    str: {
        "capitalize",
        "casefold",
        "count",
        "endswith",
        "find",
        "isdigit",
        "join",
        "lower",
        "lstrip",
        "replace",
        "rstrip",
        "split",
        "startswith",
        "strip",
        "title",
        "upper",
    },
    dict: {"get", "items", "keys", "values"},
    list: {"count", "index"},
    tuple: {"count", "index"},
}

# Names that are never acceptable, even as a variable: they are how sandboxes are escaped.
FORBIDDEN_NAMES = frozenset(
    {
        "__import__",
        "breakpoint",
        "classmethod",
        "compile",
        "copyright",
        "credits",
        "delattr",
        "dir",
        "eval",
        "exec",
        "exit",
        "getattr",
        "globals",
        "hasattr",
        "help",
        "input",
        "license",
        "locals",
        "memoryview",
        "object",
        "open",
        "print",
        "property",
        "quit",
        "setattr",
        "staticmethod",
        "super",
        "type",
        "vars",
        "id",
        "isinstance",
        "issubclass",
        "callable",
        "bytearray",
        "bytes",
        "frozenset",
        "iter",
        "next",
        "reversed",
        "slice",
        "format",
        "repr",
        "hash",
        "chr",
        "ord",
    }
)


def tree_depth(tree: ast.AST) -> int:
    """How deeply `tree` nests (without recursion: the tree may be very deep)."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def audit_tree(tree: ast.AST, *, allowed_calls: Iterable[str] = ()) -> list[str]:
    """Return the reasons `tree` is refused (empty when it is acceptable).

    `allowed_calls` adds names a script defines itself and may call. Besides names and
    statements, refuses what is certain to break a budget: trees nested too deeply, f-string
    widths computed at run time or too large, and constant parts whose result is too big.
    """
    if tree_depth(tree) > MAX_TREE_DEPTH:
        return [f"nested more than {MAX_TREE_DEPTH} levels deep"]
    callable_names = set(SAFE_FUNCTIONS) | set(allowed_calls)
    reasons: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            reasons.append("imports are not allowed")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            reasons.append(f"attribute '{node.attr}' is not allowed (names starting with _)")
        elif isinstance(node, ast.Name):
            if node.id.startswith("_"):
                reasons.append(f"name '{node.id}' is not allowed (names starting with _)")
            elif node.id in FORBIDDEN_NAMES:
                reasons.append(f"name '{node.id}' is not allowed")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id not in callable_names and node.func.id not in FORBIDDEN_NAMES:
                reasons.append(f"function '{node.func.id}' is not available")
        elif isinstance(node, ast.Attribute) and node.attr in {"format", "format_map", "mro"}:
            reasons.append(f"method '{node.attr}' is not allowed")
        elif isinstance(node, ast.Global | ast.Nonlocal | ast.ClassDef | ast.AsyncFunctionDef):
            reasons.append(f"{type(node).__name__} statements are not allowed")
        elif isinstance(node, ast.Yield | ast.YieldFrom | ast.Await):
            reasons.append("generators and await are not allowed")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str | bytes)
            and len(node.value) > MAX_SEQUENCE
        ):
            reasons.append("literal too long")
        elif (
            isinstance(node, ast.FormattedValue)
            and node.format_spec is not None
            and guards.constant_spec(node.format_spec) is None
        ):
            reasons.append("a format specification must be written out, not computed")
    if not reasons:
        reasons.extend(guards.fold_refusals(tree))
    return list(dict.fromkeys(reasons))
