"""Run script-task code under RestrictedPython with a whitelist, size guards and a time limit."""

from __future__ import annotations

import ast
import copy
import operator
import sys
import time
import types
from collections.abc import Callable, Mapping
from typing import Any

import simpleeval
from RestrictedPython.compile import compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
)
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations

from workflows.errors import ScriptTimeoutError, UnsafeExpressionError
from workflows.sandbox_policy import SAFE_CONSTANTS, SAFE_FUNCTIONS, SAFE_METHODS, audit_tree

SCRIPT_TIME_LIMIT_SECONDS = 1.0

# Scripts may also change the data they build, which expressions never do.
_SCRIPT_METHODS: dict[type, set[str]] = {
    str: SAFE_METHODS[str],
    dict: SAFE_METHODS[dict] | {"pop", "setdefault", "update"},
    list: SAFE_METHODS[list] | {"append", "extend", "insert", "pop", "remove", "sort"},
    tuple: SAFE_METHODS[tuple],
}

_SIZE_GUARDED_OPS: dict[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Mult: ("*", simpleeval.safe_mult),
    ast.Pow: ("**", simpleeval.safe_power),
    ast.LShift: ("<<", simpleeval.safe_lshift),
    ast.Add: ("+", simpleeval.safe_add),
}
_GUARD_BY_SYMBOL = dict(_SIZE_GUARDED_OPS.values())
_INPLACE = {
    "+=": simpleeval.safe_add,
    "-=": operator.sub,
    "*=": simpleeval.safe_mult,
    "/=": operator.truediv,
    "//=": operator.floordiv,
    "%=": operator.mod,
    "**=": simpleeval.safe_power,
}


class _SizeGuardingTransformer(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus: `*`, `**`, `<<` and `+` go through size guards."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:  # noqa: N802 - ast.NodeTransformer's name
        node = self.node_contents_visit(node)
        guarded = _SIZE_GUARDED_OPS.get(type(node.op))
        if guarded is None:
            return node
        call = ast.Call(
            func=ast.Name("_binop_", ast.Load()),
            args=[ast.Constant(guarded[0]), node.left, node.right],
            keywords=[],
        )
        copy_locations(call, node)
        return call


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
    return getattr(obj, name)


_GUARDS: dict[str, Any] = {
    "_getattr_": _getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
    "_binop_": _binop,
}


def compile_script(source: str) -> types.CodeType:
    """Audit and compile `source`; raise UnsafeExpressionError listing why it is refused."""
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError as exc:
        raise UnsafeExpressionError(f"line {exc.lineno}: {exc.msg}") from exc
    defined = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    reasons = audit_tree(tree, allowed_calls=defined)
    if reasons:
        raise UnsafeExpressionError("; ".join(reasons))
    result = compile_restricted_exec(source, policy=_SizeGuardingTransformer)
    if result.errors or result.code is None:
        raise UnsafeExpressionError("; ".join(result.errors) or "script refused")
    return result.code


def check_script(source: str) -> str | None:
    """Return why `source` is not an acceptable script, or None when it is."""
    try:
        compile_script(source)
    except UnsafeExpressionError as exc:
        return str(exc)
    return None


def _is_data(value: Any) -> bool:
    return not callable(value) and not isinstance(value, types.ModuleType)


def run_script(
    source: str,
    data: dict[str, Any],
    external: Mapping[str, Any] | None = None,
    *,
    time_limit: float = SCRIPT_TIME_LIMIT_SECONDS,
) -> None:
    """Run `source` with `data` as its variables and write the resulting variables back into it."""
    code = compile_script(source)
    builtins = {**SAFE_FUNCTIONS, **SAFE_CONSTANTS}
    namespace: dict[str, Any] = {"__builtins__": builtins, **_GUARDS}
    namespace.update(external or {})
    namespace.update(copy.deepcopy(data))
    _exec_with_deadline(code, namespace, time_limit)
    hidden = set(_GUARDS) | set(external or {})
    result = {
        key: value
        for key, value in namespace.items()
        if not key.startswith("_") and key not in hidden and _is_data(value)
    }
    data.clear()
    data.update(result)


def _exec_with_deadline(code: types.CodeType, namespace: dict[str, Any], seconds: float) -> None:
    deadline = time.monotonic() + seconds

    def tracer(frame: types.FrameType, event: str, arg: Any) -> Any:
        if time.monotonic() > deadline:
            raise ScriptTimeoutError(f"script ran longer than {seconds:g} s")
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        exec(code, namespace)  # noqa: S102 - compiled by RestrictedPython with guards above
    finally:
        sys.settrace(previous)
