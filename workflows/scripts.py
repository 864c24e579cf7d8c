"""Run script-task code under RestrictedPython with a whitelist, size guards and time limits.

Every operator, function and method that can build something large goes through
workflows.guards; a tracer checks the engine turn's CPU budget (workflows.budget), the script's
own time limit and how deeply the script's functions recurse; the data a script leaves is
measured before it reaches the task.

A script cannot catch a budget error: `try` may only name the exceptions below (none of them is
a budget error) and `finally` is refused, because Python stops tracing a frame whose tracer
raised, so a script that caught the time limit would run on unwatched.
"""

from __future__ import annotations

import ast
import copy
import functools
import operator
import sys
import time
import types
from collections.abc import Callable, Mapping
from typing import Any

from RestrictedPython.compile import compile_restricted_exec
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
)
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations

from workflows import budget, guards
from workflows.errors import ScriptTimeoutError, UnsafeExpressionError
from workflows.sandbox_policy import SAFE_CONSTANTS, SAFE_FUNCTIONS, SAFE_METHODS, audit_tree

SCRIPT_TIME_LIMIT_SECONDS = 1.0
MAX_SCRIPT_LENGTH = 100_000
MAX_CALL_DEPTH = 50  # functions a script defines may call each other this deep
_FILENAME = "<string>"  # the name SpiffWorkflow looks for to find a script's failing line
_CLOCK_EVERY = 64  # lines between two looks at the clock
_CACHED_LENGTH = 10_000  # shorter scripts keep their compiled code

# The exceptions a script may name in `except`: none of them is a budget error.
CATCHABLE: dict[str, type[Exception]] = {
    "ArithmeticError": ArithmeticError,
    "IndexError": IndexError,
    "KeyError": KeyError,
    "LookupError": LookupError,
    "TypeError": TypeError,
    "ValueError": ValueError,
    "ZeroDivisionError": ZeroDivisionError,
}

# Scripts may also change the data they build, which expressions never do.
_SCRIPT_METHODS: dict[type, set[str]] = {
    str: SAFE_METHODS[str],
    dict: SAFE_METHODS[dict] | {"pop", "setdefault", "update"},
    list: SAFE_METHODS[list] | {"append", "extend", "insert", "pop", "remove", "sort"},
    tuple: SAFE_METHODS[tuple],
}

_GUARDED_BINOPS = {
    ast.Add: "+",
    ast.Mult: "*",
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.Mod: "%",
}
_GUARD_BY_SYMBOL: dict[str, Callable[[Any, Any], Any]] = {
    symbol: guards.BINARY_OPERATORS[op] for op, symbol in _GUARDED_BINOPS.items()
}
_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": guards.guarded_add,
    "-=": operator.sub,
    "*=": guards.guarded_mult,
    "/=": operator.truediv,
    "//=": operator.floordiv,
    "%=": guards.guarded_mod,
    "**=": guards.guarded_pow,
}


def _call(name: str, args: list[ast.expr], like: ast.expr) -> ast.Call:
    call = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    copy_locations(call, like)
    return call


class _SizeGuardingTransformer(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus: `+ * ** << %` and f-strings go through size guards."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:  # noqa: N802 - ast.NodeTransformer's name
        node = self.node_contents_visit(node)
        symbol = _GUARDED_BINOPS.get(type(node.op))
        if symbol is None:
            return node
        return _call("_binop_", [ast.Constant(symbol), node.left, node.right], node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:  # noqa: N802
        parts: list[ast.expr] = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                spec = (
                    guards.constant_spec(value.format_spec) if value.format_spec is not None else ""
                )
                if spec is None:
                    self.error(node, "a format specification must be written out")
                    return node
                inner = self.visit(value.value)
                parts.append(
                    _call(
                        "_format_",
                        [inner, ast.Constant(value.conversion), ast.Constant(spec)],
                        value,
                    )
                )
            else:
                parts.append(value)
        joined = ast.Tuple(elts=parts, ctx=ast.Load())
        copy_locations(joined, node)
        return _call("_joined_", [joined], node)


def _binop(symbol: str, left: Any, right: Any) -> Any:
    return _GUARD_BY_SYMBOL[symbol](left, right)


def _inplacevar(symbol: str, left: Any, right: Any) -> Any:
    if symbol not in _INPLACE:
        raise UnsafeExpressionError(f"operator {symbol} is not allowed")
    return _INPLACE[symbol](left, right)


def _getattr(obj: Any, name: str, default: Any = None) -> Any:
    allowed = _SCRIPT_METHODS.get(type(obj), set())
    if name not in allowed:
        raise UnsafeExpressionError(f"attribute '{name}' of {type(obj).__name__} is not allowed")
    return guards.method(obj, name)


def _write(container: Any) -> Any:
    return guards.guarded_write(container, full_write_guard)


_GUARDS: dict[str, Any] = {
    "_getattr_": _getattr,
    "_getitem_": guards.guarded_getitem,
    "_getiter_": guards.charged_iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": _write,
    "_inplacevar_": _inplacevar,
    "_binop_": _binop,
    "_format_": guards.format_value,
    "_joined_": guards.joined_str,
}


def _handler_reasons(tree: ast.AST) -> list[str]:
    reasons = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and node.finalbody:
            reasons.append("finally is not allowed")
        elif isinstance(node, ast.With | ast.AsyncWith):
            reasons.append("with statements are not allowed")
        elif isinstance(node, ast.ExceptHandler):
            names = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            if not all(isinstance(n, ast.Name) and n.id in CATCHABLE for n in names):
                reasons.append(
                    "except must name the errors it catches, among: " + ", ".join(CATCHABLE)
                )
    return reasons


def _compile(source: str) -> tuple[types.CodeType | None, str | None]:
    return _compile_short(source) if len(source) <= _CACHED_LENGTH else _audit(source)


def _audit(source: str) -> tuple[types.CodeType | None, str | None]:
    if len(source) > MAX_SCRIPT_LENGTH:
        return None, f"longer than {MAX_SCRIPT_LENGTH:,} characters"
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError as exc:
        return None, f"line {exc.lineno}: {exc.msg}"
    except (RecursionError, MemoryError, ValueError):
        return None, "too complex or nested too deeply"
    defined = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    reasons = audit_tree(tree, allowed_calls=[*defined, *CATCHABLE])
    reasons.extend(_handler_reasons(tree))
    if reasons:
        return None, "; ".join(dict.fromkeys(reasons))
    try:
        result = compile_restricted_exec(
            source, filename=_FILENAME, policy=_SizeGuardingTransformer
        )
    except (RecursionError, MemoryError):
        return None, "too complex or nested too deeply"
    if result.errors or result.code is None:
        return None, "; ".join(result.errors) or "script refused"
    return result.code, None


_compile_short = functools.lru_cache(maxsize=512)(_audit)


def compile_script(source: str) -> types.CodeType:
    """Audit and compile `source`; raise UnsafeExpressionError listing why it is refused."""
    code, reason = _compile(source)
    if code is None:
        raise UnsafeExpressionError(reason or "script refused")
    return code


def check_script(source: str) -> str | None:
    """Return why `source` is not an acceptable script, or None when it is."""
    return _compile(source)[1]


def _is_data(value: Any) -> bool:
    return not callable(value) and not isinstance(value, types.ModuleType)


def run_script(
    source: str,
    data: dict[str, Any],
    external: Mapping[str, Any] | None = None,
    *,
    time_limit: float = SCRIPT_TIME_LIMIT_SECONDS,
) -> None:
    """Run `source` with `data` as its variables and write the resulting variables back into it,
    within the current engine turn's budget (a turn of its own when none is open)."""
    code = compile_script(source)
    builtins = {**SAFE_FUNCTIONS, **SAFE_CONSTANTS, **CATCHABLE}
    namespace: dict[str, Any] = {"__builtins__": builtins, **_GUARDS}
    namespace.update(external or {})
    with budget.turn() as turn:
        turn.raise_if_broken()
        namespace.update(copy.deepcopy(data))
        try:
            _exec_with_deadline(code, namespace, time_limit, turn)
        except RecursionError:
            guards.refuse("the script's functions call each other too deeply", "depth")
        turn.raise_if_broken()
        hidden = set(_GUARDS) | set(external or {})
        result = {
            key: value
            for key, value in namespace.items()
            if not key.startswith("_") and key not in hidden and _is_data(value)
        }
        guards.check_data(result, turn.limits.data_chars, turn.limits.data_depth)
    data.clear()
    data.update(result)


def _exec_with_deadline(
    code: types.CodeType, namespace: dict[str, Any], seconds: float, turn: budget.Turn
) -> None:
    wall_deadline = time.monotonic() + seconds
    cpu_deadline = turn.call_deadline()
    depth = 0
    lines = 0

    def check() -> None:
        turn.check_time(cpu_deadline)
        if time.monotonic() > wall_deadline:
            error = ScriptTimeoutError(f"script ran longer than {seconds:g} s")
            turn.broken = turn.broken or error
            raise error

    def local(frame: types.FrameType, event: str, arg: Any) -> Any:
        nonlocal depth, lines
        if event == "line":
            lines += 1
            if lines % _CLOCK_EVERY == 0:
                check()
        elif event == "return":
            depth -= 1
        return local

    def tracer(frame: types.FrameType, event: str, arg: Any) -> Any:
        nonlocal depth
        if frame.f_code.co_filename != _FILENAME:
            return None  # the guards and builtins it calls: no line tracing
        depth += 1
        if depth > MAX_CALL_DEPTH:
            guards.refuse(f"the script's functions call each other more than {MAX_CALL_DEPTH} deep")
        check()
        return local

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        exec(code, namespace)  # noqa: S102 - compiled by RestrictedPython with guards above
    finally:
        sys.settrace(previous)
