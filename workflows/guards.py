"""Size guards shared by expressions and scripts: refuse an operation BEFORE it runs when its
result would be too big.

One C call (`10 ** 10 ** 10`, `"x" * 10 ** 9`, `"%0999999999d" % 1`) can take a worker's
memory or hold the interpreter for minutes; no time limit can interrupt it. So every operation
of diagram code that can build something large goes through a function here that computes the
size of the result from the operands first, refuses it with a BudgetExceededError when it is
too big, and charges what it builds to the turn's allocation budget (workflows.budget).

A refusal also marks the turn broken, so diagram code that catches it cannot carry on.
"""

from __future__ import annotations

import ast
import itertools
import math
import operator
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NoReturn

from workflows import budget
from workflows.errors import BudgetExceededError

MAX_INT_BITS = 100_000  # the largest integer diagram code may build (about 30,000 digits)
MAX_TEXT_INT_BITS = 14_000  # Python writes at most 4,300 digits of an integer as text
MAX_STR_LENGTH = 1_000_000  # characters of one string (or bytes of one bytes value)
MAX_ITEMS = 100_000  # elements of one list, tuple, set or dict
MAX_FORMAT_WIDTH = 1_000  # width and precision in a format specification
MAX_ROUND_DIGITS = 1_000  # round(x, -n): Python computes 10 ** n first
MAX_NESTING = 100  # depth of nested data written out as text

_NUMBER_TEXT = 330  # the longest text of a float (%f of 1e308) or of a number's sign and point


def refuse(message: str, kind: str = "size") -> NoReturn:
    """Raise a BudgetExceededError and mark the current turn broken."""
    running = budget.current()
    if running is not None:
        raise running.fail(message, kind)
    raise BudgetExceededError(message, budget=kind)


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def _bits(value: int) -> int:
    return abs(value).bit_length()


def _limit_for(value: Any) -> int:
    return MAX_STR_LENGTH if isinstance(value, str | bytes) else MAX_ITEMS


def _size(value: Any) -> int:
    """What building `value` costs the allocation budget: elements, characters or words."""
    if isinstance(value, int):
        return _bits(value) // 64
    if isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
        return len(value)
    return 0


def _check_limit(length: int, sample: Any, what: str) -> None:
    limit = _limit_for(sample)
    if length > limit:
        unit = "characters" if isinstance(sample, str | bytes) else "elements"
        refuse(f"{what} would make {length:,} {unit}; the limit is {limit:,}")


def _check_length(length: int, sample: Any, what: str) -> None:
    if length > MAX_ITEMS:
        _check_limit(length, sample, what)
    budget.charge(length)


def _check_int_bits(bits: float, what: str) -> None:
    if bits > MAX_INT_BITS:
        refuse(
            f"{what} would make a number of about {bits:,.0f} bits; the limit is {MAX_INT_BITS:,}"
        )
    budget.charge(int(bits) // 64)


# ----- operators ------------------------------------------------------------------------------


def guarded_pow(base: Any, exponent: Any) -> Any:
    """`base ** exponent`, refused when the integer result would be too big."""
    if _is_int(base) and _is_int(exponent) and exponent > 0 and abs(base) > 1:
        if _bits(exponent) > 40:
            refuse(f"this power would make a number of more than {MAX_INT_BITS:,} bits")
        _check_int_bits(exponent * math.log2(abs(base)), "this power")
    try:
        return base**exponent
    except OverflowError:
        refuse("this power is too large a number")


def guarded_mult(left: Any, right: Any) -> Any:
    """`left * right`: repetition of a sequence bounded by its length, integers by their bits."""
    if _is_int(left) and _is_int(right):
        if left and right:
            _check_int_bits(_bits(left) + _bits(right), "this multiplication")
    elif _is_int(left) and hasattr(right, "__len__"):
        _check_length(len(right) * max(left, 0), right, "this repetition")
    elif _is_int(right) and hasattr(left, "__len__"):
        _check_length(len(left) * max(right, 0), left, "this repetition")
    return left * right


def guarded_lshift(left: Any, right: Any) -> Any:
    """`left << right`, refused when the result would be too big."""
    if _is_int(left) and _is_int(right) and left and right > 0:
        _check_int_bits(_bits(left) + right, "this shift")
    return left << right


def guarded_add(left: Any, right: Any) -> Any:
    """`left + right`: joined strings and sequences bounded by their length."""
    if (
        isinstance(left, str | bytes | list | tuple)
        and isinstance(right, str | bytes | list | tuple)
        and type(left) is type(right)
    ):
        _check_length(len(left) + len(right), left, "joining these")
    return left + right


def guarded_mod(left: Any, right: Any) -> Any:
    """`left % right`: for text, the width, precision and operands of the format are bounded."""
    if isinstance(left, str | bytes):
        _check_length(_percent_format_size(left, right), left, "this % formatting")
    return left % right


BINARY_OPERATORS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: guarded_add,
    ast.Sub: operator.sub,
    ast.Mult: guarded_mult,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: guarded_mod,
    ast.Pow: guarded_pow,
    ast.LShift: guarded_lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.BitAnd: operator.and_,
}

# ----- text -----------------------------------------------------------------------------------

_PERCENT_SPEC = re.compile(
    rb"%(?:\((?P<key>[^)]*)\))?[#0\- +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?"
    rb"[hlL]?(?P<type>.?)",
    re.DOTALL,
)
_NUMBER = re.compile(r"\d+")


def _format_number(text: str, what: str) -> int:
    """The largest width or precision written in `text`, refused above MAX_FORMAT_WIDTH."""
    largest = max(int(n) if len(n) <= 7 else MAX_FORMAT_WIDTH + 1 for n in _NUMBER.findall(text))
    if largest > MAX_FORMAT_WIDTH:
        refuse(f"{what}: a width or precision above {MAX_FORMAT_WIDTH} is not allowed")
    return largest


def _percent_format_size(fmt: str | bytes, args: Any) -> int:
    """An upper bound of the length of `fmt % args`."""
    raw = fmt.encode("utf-8", "surrogatepass") if isinstance(fmt, str) else fmt
    total = len(fmt)
    position = 0
    for match in _PERCENT_SPEC.finditer(raw):
        if match["type"] == b"%":
            continue
        if match["width"] == b"*" or match["precision"] == b"*":
            refuse("a width or precision taken from the values (*) is not allowed in % formatting")
        spec = match.group(0).decode("utf-8", "replace")
        extra = _format_number(spec, "% formatting") if _NUMBER.search(spec) else 0
        if match["key"] is not None and isinstance(args, Mapping):
            key = match["key"].decode("utf-8", "replace")
            value = args.get(key, "")
        elif isinstance(args, tuple):
            value = args[position] if position < len(args) else ""
            position += 1
        else:
            value = args
        total += 2 * extra + _NUMBER_TEXT + text_size(value, MAX_STR_LENGTH, as_repr=True)
        if total > MAX_STR_LENGTH:
            break
    return total


def _spec_size(spec: str) -> int:
    return 2 * _format_number(spec, "this format") if _NUMBER.search(spec) else 0


def check_format_spec(spec: str) -> None:
    """Refuse an f-string format specification whose width or precision is too large."""
    _spec_size(spec)


def format_value(value: Any, conversion: int, spec: str) -> str:
    """One `{value!conversion:spec}` of an f-string, bounded like `%` formatting."""
    as_repr = conversion in (ord("r"), ord("a"))
    size = text_size(value, MAX_STR_LENGTH, as_repr=as_repr) + _spec_size(spec) + _NUMBER_TEXT
    _check_length(size, "", "this f-string")
    if conversion == ord("r"):
        value = repr(value)
    elif conversion == ord("a"):
        value = ascii(value)
    elif conversion == ord("s"):
        value = str(value)
    return format(value, spec)


def joined_str(parts: Iterable[str]) -> str:
    """The pieces of an f-string put together, bounded in length."""
    pieces = list(parts)
    _check_length(sum(len(p) for p in pieces), "", "this f-string")
    return "".join(pieces)


def _str_repr_size(text: str | bytes) -> int:
    if isinstance(text, str) and text.isprintable():
        return len(text) + 2
    return 10 * len(text) + 3  # \U0001xxxx is the longest escape


def text_size(value: Any, limit: int, *, as_repr: bool = False) -> int:
    """An upper bound of len(str(value)) (of repr(value) with `as_repr`), exact enough to
    refuse writing out a huge structure; stops counting once past `limit`."""
    kind = type(value)
    if kind is str and not as_repr:
        return len(value)
    if kind is int:
        if _bits(value) > MAX_TEXT_INT_BITS:
            refuse("this number is too long to be written as text (more than 4,300 digits)")
        return int(_bits(value) * 0.30103) + 2
    # Breadth first, so that a list holding big lists is found big before its small elements
    # are counted one by one. A structure that refers to itself is refused by its depth.
    total = 0
    visited = 0
    queue: deque[tuple[Any, int]] = deque([(value, 0)])
    while queue:
        item, depth = queue.popleft()
        kind = type(item)
        if kind is str or kind is bytes:
            total += _str_repr_size(item)
        elif kind is int:
            if _bits(item) > MAX_TEXT_INT_BITS:
                refuse("this number is too long to be written as text (more than 4,300 digits)")
            total += int(_bits(item) * 0.30103) + 2
        elif kind is bool or item is None:
            total += 5
        elif kind is float:
            total += 25
        elif isinstance(item, list | tuple | set | frozenset | dict):
            if depth > MAX_NESTING:
                refuse(f"this data is nested more than {MAX_NESTING} levels deep", "depth")
            total += 2 + 2 * len(item)
            if total > limit:
                return total
            if isinstance(item, dict):
                for k, v in item.items():
                    queue.append((k, depth + 1))
                    queue.append((v, depth + 1))
            else:
                queue.extend((element, depth + 1) for element in item)
        else:
            total += 64  # dates, decimals: short texts
        if total > limit:
            return total
        visited += 1
        if visited & 4095 == 0:
            budget.check_time()
    return total


# ----- the functions diagram code may call ----------------------------------------------------


def bounded_items(iterable: Any, what: str) -> list[Any]:
    """The elements of `iterable` as a list, refused past MAX_ITEMS."""
    if hasattr(iterable, "__len__") and len(iterable) > MAX_ITEMS:
        refuse(f"{what} of {len(iterable):,} elements; the limit is {MAX_ITEMS:,}")
    items = list(itertools.islice(iter(iterable), MAX_ITEMS + 1))
    if len(items) > MAX_ITEMS:
        refuse(f"{what} of more than {MAX_ITEMS:,} elements")
    budget.charge(len(items))
    return items


def safe_str(value: Any = "", *args: Any) -> str:
    """str(), refused when the text would be too long."""
    if args:  # str(bytes, encoding): no longer than the bytes
        return str(value, *args)
    if type(value) is not str:
        _check_length(text_size(value, MAX_STR_LENGTH), "", "str()")
    return str(value)


def safe_int(value: Any = 0, *args: Any) -> int:
    """int(), with Python's 4,300-digit limit on text as a clean refusal."""
    if isinstance(value, str | bytes) and len(value) > 4_300:
        refuse("int() of a text longer than 4,300 characters")
    return int(value, *args)


def safe_list(iterable: Iterable[Any] = ()) -> list[Any]:
    """list() of a bounded number of elements."""
    return bounded_items(iterable, "list()")


def safe_tuple(iterable: Iterable[Any] = ()) -> tuple[Any, ...]:
    """tuple() of a bounded number of elements."""
    return tuple(bounded_items(iterable, "tuple()"))


def safe_set(iterable: Iterable[Any] = ()) -> set[Any]:
    """set() of a bounded number of elements."""
    return set(bounded_items(iterable, "set()"))


def safe_dict(*args: Any, **kwargs: Any) -> dict[Any, Any]:
    """dict() of a bounded number of entries."""
    if args:
        source = args[0]
        if isinstance(source, Mapping):
            bounded_items(source.keys(), "dict()")
            return dict(source, **kwargs)
        return dict(bounded_items(source, "dict()"), **kwargs)
    return dict(**kwargs)


def safe_sorted(iterable: Iterable[Any], **kwargs: Any) -> list[Any]:
    """sorted() of a bounded number of elements."""
    items = bounded_items(iterable, "sorted()")
    items.sort(**kwargs)
    return items


def safe_sum(iterable: Iterable[Any], start: Any = 0) -> Any:
    """sum() of a bounded number of elements; adding sequences is guarded like `+`."""
    items = bounded_items(iterable, "sum()")
    if type(start) in (int, float, bool) and all(type(x) in (int, float, bool) for x in items):
        return sum(items, start)
    total = start
    for item in items:
        total = guarded_add(total, item)
    return total


def safe_min(*args: Any, **kwargs: Any) -> Any:
    """min() of a bounded number of elements."""
    if len(args) == 1:
        return min(bounded_items(args[0], "min()"), **kwargs)
    return min(*args, **kwargs)


def safe_max(*args: Any, **kwargs: Any) -> Any:
    """max() of a bounded number of elements."""
    if len(args) == 1:
        return max(bounded_items(args[0], "max()"), **kwargs)
    return max(*args, **kwargs)


def safe_range(*args: int) -> range:
    """range() of at most MAX_ITEMS numbers."""
    result = range(*args)
    if len(result) > MAX_ITEMS:
        refuse(f"range() is limited to {MAX_ITEMS:,} numbers")
    return result


def safe_round(number: Any, ndigits: Any = None) -> Any:
    """round(); Python computes 10 ** -ndigits first, so a huge negative ndigits is refused."""
    if _is_int(ndigits) and ndigits < -MAX_ROUND_DIGITS:
        refuse(f"round() to more than {MAX_ROUND_DIGITS} digits")
    return round(number, ndigits)


# ----- methods of data ------------------------------------------------------------------------


def _replace(text: str) -> Callable[..., str]:
    def replace(old: str, new: str, count: int = -1) -> str:
        if not isinstance(old, str) or not isinstance(new, str):
            return text.replace(old, new, count)
        found = text.count(old) if old else len(text) + 1
        if count >= 0:
            found = min(found, count)
        _check_length(len(text) + found * (len(new) - len(old)), text, "this replace()")
        return text.replace(old, new, count)

    return replace


def _join(separator: str) -> Callable[[Iterable[Any]], str]:
    def join(iterable: Iterable[Any]) -> str:
        items = bounded_items(iterable, "join()")
        length = sum(len(item) if isinstance(item, str) else 0 for item in items)
        _check_length(length + len(separator) * max(len(items) - 1, 0), separator, "join()")
        return separator.join(items)

    return join


def _split(text: str, name: str) -> Callable[..., list[str]]:
    method = getattr(text, name)

    def split(sep: str | None = None, maxsplit: int = -1) -> list[str]:
        if isinstance(sep, str) and sep:
            parts = text.count(sep) + 1
            if maxsplit >= 0:
                parts = min(parts, maxsplit + 1)
            if parts > MAX_ITEMS:
                refuse(f"{name}() into more than {MAX_ITEMS:,} parts")
        result: list[str] = method(sep, maxsplit)
        _check_length(len(result), result, f"{name}()")
        return result

    return split


def _charged(method: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        result = method(*args, **kwargs)
        budget.charge(_size(result))
        return result

    return call


def _growing(container: list[Any] | dict[Any, Any], bound: Callable[..., Any], name: str) -> Any:
    if name == "append":

        def append(item: Any) -> None:
            if len(container) >= MAX_ITEMS:
                _check_limit(len(container) + 1, container, "append()")
            budget.charge(1)
            bound(item)

        return append

    def call(*args: Any, **kwargs: Any) -> Any:
        added = 1
        if name in ("extend", "update") and args:
            source = args[0]
            if not isinstance(source, Mapping):
                source = bounded_items(source, f"{name}()")
            args = (source, *args[1:])
            added = len(source)
        added += len(kwargs)
        _check_limit(len(container) + added, container, f"{name}()")
        budget.charge(added)
        return bound(*args, **kwargs)

    return call


_GROWING = frozenset({"append", "extend", "insert", "update", "setdefault"})


def method(obj: Any, name: str) -> Any:
    """The method `name` of `obj` (already allowed by the whitelist), guarded when it can build
    something large."""
    bound = getattr(obj, name)
    if isinstance(obj, str):
        if name == "replace":
            return _replace(obj)
        if name == "join":
            return _join(obj)
        if name in ("split", "rsplit"):
            return _split(obj, name)
        return _charged(bound)
    if isinstance(obj, list | dict) and name in _GROWING:
        return _growing(obj, bound, name)
    return bound


def guard_bound_method(value: Any) -> Any:
    """`value` if it is not a method of plain data; else the guarded method."""
    owner = getattr(value, "__self__", None)
    if isinstance(owner, str | list | dict) and callable(value):
        return method(owner, value.__name__)
    return value


def charged_iter(iterable: Any) -> Any:
    """What a script's `for` and comprehensions iterate: a sized collection is charged its
    length at once and iterated at C speed; anything else element by element."""
    if hasattr(iterable, "__len__"):
        budget.charge(len(iterable))
        return iterable
    return ChargingIterator(iterable)


class ChargingIterator:
    """Iterate `iterable`, charging the turn one unit per element (loops and comprehensions
    of scripts)."""

    __slots__ = ("_count", "_iterator")

    def __init__(self, iterable: Iterable[Any]):
        self._iterator: Iterator[Any] = iter(iterable)
        self._count = 0

    def __iter__(self) -> ChargingIterator:
        return self

    def __next__(self) -> Any:
        item = next(self._iterator)
        self._count += 1
        if self._count >= 256:
            budget.charge(self._count)
            self._count = 0
        return item


def guarded_getitem(container: Any, key: Any) -> Any:
    """`container[key]`: a slice copies, so its length is charged to the turn."""
    if isinstance(key, slice) and isinstance(container, str | bytes | list | tuple):
        budget.charge(len(range(*key.indices(len(container)))))
    return container[key]


def guarded_write(container: Any, admit: Callable[[Any], Any]) -> Any:
    """`container[key] = value` in a script: the container may not grow past MAX_ITEMS."""
    if isinstance(container, list | dict) and len(container) >= MAX_ITEMS:
        refuse(f"a list or dict of more than {MAX_ITEMS:,} elements")
    budget.charge(1)
    return admit(container)


# ----- task data ------------------------------------------------------------------------------


def check_data(data: Any, max_chars: int, max_depth: int) -> int:
    """The size of `data` written as JSON (characters, strings counted by length); refuse data
    that refers to itself, nests deeper than `max_depth` or is larger than `max_chars`."""
    total = 0
    visited = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    on_path: set[int] = set()
    while stack:
        item, depth = stack.pop()
        if depth < 0:
            on_path.discard(item)
            continue
        kind = type(item)
        if kind is str:
            total += len(item) + 2
        elif kind is int:
            total += int(_bits(item) * 0.30103) + 2
        elif kind is float or kind is bool or item is None:
            total += 8
        elif isinstance(item, list | tuple | set | frozenset | dict):
            if depth >= max_depth:
                refuse(f"the data left by this step nests more than {max_depth} levels", "data")
            key = id(item)
            if key in on_path:
                refuse("the data left by this step refers to itself", "data")
            on_path.add(key)
            stack.append((key, -1))
            total += 2 + len(item)
            if isinstance(item, dict):
                for k, v in item.items():
                    stack.append((k, depth + 1))
                    stack.append((v, depth + 1))
            else:
                stack.extend((element, depth + 1) for element in item)
        elif callable(item):
            refuse("the data left by this step holds a function, which is not data", "data")
        else:
            total += 32
        if total > max_chars:
            refuse(f"the data left by this step is larger than {max_chars:,} characters", "data")
        visited += 1
        if visited & 4095 == 0:
            budget.check_time()
    return total


# ----- check time: constants that are certain to be refused -----------------------------------

_UNKNOWN = object()
_FOLDABLE_CALLS: dict[str, Callable[..., Any]] = {
    "str": safe_str,
    "int": safe_int,
    "list": safe_list,
    "tuple": safe_tuple,
    "set": safe_set,
    "sorted": safe_sorted,
    "sum": safe_sum,
    "range": safe_range,
    "round": safe_round,
    "len": len,
    "abs": abs,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Invert: operator.invert,
    ast.Not: operator.not_,
}


class _Folder:
    """Evaluate the parts of a tree written only with constants, through the guards."""

    def __init__(self) -> None:
        self.reasons: list[str] = []

    def fold(self, node: ast.AST) -> Any:
        try:
            return self._fold(node)
        except BudgetExceededError as exc:
            self.reasons.append(f"{ast.unparse(node)[:60]}: {exc}")
        except OverflowError:
            self.reasons.append(f"{ast.unparse(node)[:60]}: too large a number")
        except Exception:  # not certain to fail for budget reasons: run time will say
            return _UNKNOWN
        return _UNKNOWN

    def _all(self, nodes: list[ast.expr]) -> list[Any] | None:
        values = [self.fold(n) for n in nodes]
        return None if any(v is _UNKNOWN for v in values) else values

    def _fold(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.BinOp):
            left, right = self.fold(node.left), self.fold(node.right)
            guard = BINARY_OPERATORS.get(type(node.op))
            if left is _UNKNOWN or right is _UNKNOWN or guard is None:
                return _UNKNOWN
            return guard(left, right)
        if isinstance(node, ast.UnaryOp):
            operand = self.fold(node.operand)
            return _UNKNOWN if operand is _UNKNOWN else _UNARY[type(node.op)](operand)
        if isinstance(node, ast.Tuple | ast.List):
            if any(isinstance(e, ast.Starred) for e in node.elts):
                return _UNKNOWN
            values = self._all(node.elts)
            if values is None:
                return _UNKNOWN
            return tuple(values) if isinstance(node, ast.Tuple) else values
        if isinstance(node, ast.JoinedStr):
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    self.fold(value.value)
                    if value.format_spec is not None:
                        check_format_spec(constant_spec(value.format_spec) or "")
            return _UNKNOWN
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            args = self._all(node.args)
            function = _FOLDABLE_CALLS.get(node.func.id)
            if function is None or args is None or node.keywords:
                for keyword in node.keywords:
                    self.fold(keyword.value)
                return _UNKNOWN
            return function(*args)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = self.fold(node.func.value)
            args = self._all(node.args)
            if isinstance(owner, str) and node.func.attr in ("replace", "join") and args:
                return method(owner, node.func.attr)(*args)
            return _UNKNOWN
        for child in ast.iter_child_nodes(node):
            self.fold(child)
        return _UNKNOWN


def constant_spec(spec: ast.expr) -> str | None:
    """The text of an f-string format specification written out, or None if it is computed."""
    if isinstance(spec, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in spec.values):
        return "".join(str(v.value) for v in spec.values if isinstance(v, ast.Constant))
    return None


def fold_refusals(tree: ast.AST) -> list[str]:
    """Why parts of `tree` written only with constants would certainly be refused at run time
    (`10 ** 10 ** 10`, `"x" * 10 ** 9`, `"%0999999999d" % 1`)."""
    folder = _Folder()
    with budget.turn(separate=True):
        try:
            folder.fold(tree)
        except BudgetExceededError as exc:
            folder.reasons.append(str(exc))
    return list(dict.fromkeys(folder.reasons))
