"""DMN decision tables: inputs that no rule answers (gaps) and, under hit policy UNIQUE, inputs
that several rules answer (overlaps); plus a summary of a DMN file's decisions.

A cell is read the way SpiffWorkflow's DMN engine reads it ("-" matches anything, "?" stands for
the input, a plain value means equality, otherwise the cell is glued to the input: `>= 10`), and
it is analysed only when it is a comparison of the input with constants. An input column is
analysed when its values are known (an enumerated variable such as award_form, a boolean) or
when it is numeric: its cells' constants then cut the number line into pieces every cell treats
alike. Whatever cannot be analysed is given the benefit of the doubt, so a reported gap or
overlap is real.
"""

from __future__ import annotations

import ast
import json
import math
import operator
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

from lxml import etree

from workflows.diagram_info import local_name
from workflows.errors import Problem

AWARD_FORMS = ("bk_btc", "bk_ttg", "hcld_1", "hcld_2", "hcld_3")
KNOWN_ENUMERATIONS: Mapping[str, Sequence[Any]] = {"award_form": AWARD_FORMS}
NUMERIC_TYPES = frozenset({"integer", "long", "number", "double"})
INTEGER_TYPES = frozenset({"integer", "long"})
MAX_COMBINATIONS = 10_000
MAX_CELL_TESTS = 200_000  # cells x pieces of their column's domain
MAX_RULE_PAIRS = 200_000  # pairs of rules compared for overlaps
MAX_LISTED = 10
MAX_OVERLAPS = 20

_INPUT = "dmninputexpr"
# SpiffWorkflow's own pattern: a "?" outside quotes stands for the input.
_QUESTION_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")
_CELL_NODES = (
    ast.Expression,
    ast.Compare,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Tuple,
    ast.List,
    ast.Set,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
)
_SIMPLE_INPUT_NODES = (ast.Name, ast.Attribute, ast.Subscript)


@dataclass(frozen=True)
class DecisionInfo:
    """A decision of a DMN file, as an administrator sees it in a list."""

    decision_id: str
    name: str | None
    hit_policy: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    rule_count: int
    line: int | None


@dataclass(frozen=True)
class _Atom:
    """A piece of an input's domain: one known value, or a point or open interval of numbers."""

    sample: Any
    low: float | None = None
    high: float | None = None
    is_point: bool = False
    is_value: bool = False


@dataclass(frozen=True)
class _Column:
    expression: str
    atoms: tuple[_Atom, ...] | None  # None: the column cannot be analysed


def _dmn_children(node: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in node if isinstance(c.tag, str) and local_name(c) == name]


def _text_of(node: etree._Element | None) -> str | None:
    if node is None:
        return None
    texts = _dmn_children(node, "text")
    return texts[0].text if texts else None


def _is_any(text: str | None) -> bool:
    return text is None or text.strip() in {"", "-"}


def cell_expression(text: str) -> str:
    """The expression over `dmninputexpr` that SpiffWorkflow evaluates for an input cell."""
    replaced = _QUESTION_MARK.sub(_INPUT, text)
    if _INPUT in replaced:
        return replaced
    try:
        ast.parse(text)
    except SyntaxError:
        return _INPUT + text  # an operator first: "x" + ">= 10"
    return f"({_INPUT}) == ({text})"


def _comparison_tree(expression: str) -> ast.Expression | None:
    """The parsed cell when it only compares the input with constants, else None."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, _CELL_NODES):
            return None
        if isinstance(node, ast.Name) and node.id != _INPUT:
            return None
        # A sign only on a constant: "-? < 3" would move the cut to -3.
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub | ast.UAdd)
            and not isinstance(node.operand, ast.Constant)
        ):
            return None
        if isinstance(node, ast.Constant) and not isinstance(
            node.value, str | int | float | type(None)
        ):
            return None
    return tree


def _numbers(tree: ast.Expression) -> set[float]:
    found: set[float] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            node = node.operand
            sign = -1
        else:
            sign = 1
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, int | float)
            and not isinstance(node.value, bool)
            and math.isfinite(node.value)
        ):
            found.add(sign * node.value)
    return found


def _has_strings(tree: ast.Expression) -> bool:
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) for n in ast.walk(tree))


def _numeric_atoms(points: set[float], integers: bool) -> tuple[_Atom, ...]:
    """The points and the open intervals between them, each with a value inside it."""
    cuts = sorted(points)
    if not cuts:
        return (_Atom(0),)
    atoms: list[_Atom] = []

    def interval(low: float | None, high: float | None) -> None:
        sample: float | None
        if integers:
            below = math.ceil(high) - 1 if high is not None else None
            above = math.floor(low) + 1 if low is not None else None
            sample = above if above is not None else below
            if sample is None or (high is not None and sample >= high):
                return
        elif low is None:
            sample = high - 1 if high is not None else 0
        else:
            sample = low + 1 if high is None else (low + high) / 2
        atoms.append(_Atom(sample, low, high))

    interval(None, cuts[0])
    for index, cut in enumerate(cuts):
        if not integers or float(cut).is_integer():
            atoms.append(_Atom(int(cut) if integers else cut, cut, cut, is_point=True))
        interval(cut, cuts[index + 1] if index + 1 < len(cuts) else None)
    return tuple(atoms)


def _column(
    input_node: etree._Element,
    cells: list[str | None],
    enumerations: Mapping[str, Sequence[Any]],
) -> _Column:
    expression_node = next(iter(_dmn_children(input_node, "inputExpression")), None)
    expression = (_text_of(expression_node) or "").strip()
    type_ref = (expression_node.get("typeRef") if expression_node is not None else None) or ""
    if expression in enumerations:
        values = tuple(enumerations[expression])
        return _Column(expression, tuple(_Atom(v, is_value=True) for v in values))
    if type_ref.lower() == "boolean":
        return _Column(expression, (_Atom(True, is_value=True), _Atom(False, is_value=True)))
    try:
        simple = isinstance(ast.parse(expression, mode="eval").body, _SIMPLE_INPUT_NODES)
    except SyntaxError:
        simple = False
    trees = [
        _comparison_tree(cell_expression(c)) for c in cells if c is not None and not _is_any(c)
    ]
    known = [t for t in trees if t is not None]
    points = set().union(*(_numbers(t) for t in known)) if known else set()
    numeric = type_ref.lower() in NUMERIC_TYPES or (
        not type_ref and points and not any(_has_strings(t) for t in known)
    )
    if not simple or not numeric:
        return _Column(expression, None)
    return _Column(expression, _numeric_atoms(points, type_ref.lower() in INTEGER_TYPES))


_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}


def _value_of(node: ast.AST, value: Any) -> Any:
    """Python's value of a cell already limited to comparisons of the input with constants
    (what the restricted interpreter computes too, without parsing it again for each value)."""
    if isinstance(node, ast.Expression):
        return _value_of(node.body, value)
    if isinstance(node, ast.Name):
        return value
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple | ast.List):
        return tuple(_value_of(e, value) for e in node.elts)
    if isinstance(node, ast.Set):
        return {_value_of(e, value) for e in node.elts}
    if isinstance(node, ast.UnaryOp):
        operand = _value_of(node.operand, value)
        if isinstance(node.op, ast.Not):
            return not operand
        return -operand if isinstance(node.op, ast.USub) else +operand
    if isinstance(node, ast.BoolOp):
        result = None
        for part in node.values:
            result = _value_of(part, value)
            if bool(result) is isinstance(node.op, ast.Or):
                return result
        return result
    if isinstance(node, ast.Compare):
        left = _value_of(node.left, value)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _value_of(right_node, value)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    raise TypeError(f"not a comparison: {type(node).__name__}")


def _matches(cell: str | None, atoms: tuple[_Atom, ...]) -> list[bool | None]:
    """For each atom: does the cell accept it (None: cannot tell)."""
    if _is_any(cell):
        return [True] * len(atoms)
    assert cell is not None
    tree = _comparison_tree(cell_expression(cell))
    if tree is None:
        return [None] * len(atoms)
    results: list[bool | None] = []
    for atom in atoms:
        try:
            results.append(bool(_value_of(tree, atom.sample)))
        except (TypeError, ValueError):
            results.append(None)  # the engine would fail here too: not a question of gaps
    return results


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _describe_range(name: str, first: _Atom, last: _Atom) -> str:
    """Atoms first..last (adjacent, numeric) as one range of `name`."""
    low, high = first.low, last.high
    low_op = "<=" if first.is_point else "<"
    high_op = "<=" if last.is_point else "<"
    if first.is_point and last.is_point and low == high and low is not None:
        return f"{name} = {_number(low)}"
    if low is None and high is None:
        return f"any {name}"
    if low is None:
        assert high is not None
        return f"{name} {high_op} {_number(high)}"
    if high is None:
        return f"{name} {'>=' if first.is_point else '>'} {_number(low)}"
    return f"{_number(low)} {low_op} {name} {high_op} {_number(high)}"


def _value(value: Any) -> str:
    """A known value as it is written in a cell: "bk_btc", True, 3."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def _describe(column: _Column, atom: _Atom) -> str:
    if atom.is_value:
        return f"{column.expression} = {_value(atom.sample)}"
    return _describe_range(column.expression, atom, atom)


def _listed(parts: list[str]) -> str:
    shown = parts[:MAX_LISTED]
    more = len(parts) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more else "")


def _gap_text(columns: list[_Column], combos: list[tuple[int, ...]]) -> str:
    if len(columns) == 1:
        column = columns[0]
        assert column.atoms is not None
        atoms = column.atoms
        missing = [combo[0] for combo in combos]
        if atoms[0].is_value:
            values = ", ".join(_value(atoms[i].sample) for i in missing)
            return f"{column.expression} = {values}"
        runs: list[list[int]] = []
        for index in missing:
            if runs and runs[-1][-1] == index - 1:
                runs[-1].append(index)
            else:
                runs.append([index])
        return _listed(
            [_describe_range(column.expression, atoms[r[0]], atoms[r[-1]]) for r in runs]
        )
    return _listed(
        [
            " and ".join(
                _describe(c, c.atoms[i])  # type: ignore[index]
                for c, i in zip(columns, combo, strict=True)
            )
            for combo in combos
        ]
    )


def _table_problems(
    decision: etree._Element,
    table: etree._Element,
    file_name: str,
    enumerations: Mapping[str, Sequence[Any]],
) -> list[Problem]:
    inputs = _dmn_children(table, "input")
    rules = _dmn_children(table, "rule")
    cells = [[_text_of(entry) for entry in _dmn_children(rule, "inputEntry")] for rule in rules]
    cells = [row + [None] * (len(inputs) - len(row)) for row in cells]
    columns = [
        _column(node, [row[i] for row in cells], enumerations) for i, node in enumerate(inputs)
    ]
    analysed = [i for i, column in enumerate(columns) if column.atoms is not None]
    decision_id = decision.get("id")
    label = decision.get("name") or decision_id or table.get("id") or "?"
    line = decision.sourceline
    if not analysed:
        return []
    sizes = [len(columns[i].atoms or ()) for i in analysed]
    combinations = math.prod(sizes)
    # Bounded work: a table too big to analyse quickly is left alone.
    if combinations > MAX_COMBINATIONS or len(rules) * sum(sizes) > MAX_CELL_TESTS:
        return []
    memo: dict[tuple[int, str | None], list[bool | None]] = {}
    for row in cells:
        for i in analysed:
            if (i, row[i]) not in memo:
                memo[i, row[i]] = _matches(row[i], columns[i].atoms or ())
    truth = [{i: memo[i, row[i]] for i in analysed} for row in cells]  # rule -> column -> atom
    problems: list[Problem] = []
    gaps = []
    if combinations * len(rules) <= MAX_CELL_TESTS * 10:
        gaps = [
            combo
            for combo in product(*(range(size) for size in sizes))
            if not any(
                all(t[i][a] is not False for i, a in zip(analysed, combo, strict=True))
                for t in truth
            )
        ]
    if gaps:
        text = _gap_text([columns[i] for i in analysed], gaps)
        problems.append(
            Problem(
                "dmn_gap",
                f"decision '{label}' has no rule for {text}",
                decision_id,
                file_name,
                line,
                {"name": label, "inputs": text},
            )
        )
    hit_policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if hit_policy == "UNIQUE" and len(rules) * (len(rules) - 1) // 2 <= MAX_RULE_PAIRS:
        problems.extend(
            _overlaps(rules, cells, truth, columns, analysed, label, decision_id, file_name, line)
        )
    return problems


def _overlaps(
    rules: list[etree._Element],
    cells: list[list[str | None]],
    truth: list[dict[int, list[bool | None]]],
    columns: list[_Column],
    analysed: list[int],
    label: str,
    decision_id: str | None,
    file_name: str,
    line: int | None,
) -> list[Problem]:
    problems: list[Problem] = []
    others = [i for i in range(len(columns)) if i not in analysed]
    for first, second in ((a, b) for a in range(len(rules)) for b in range(a + 1, len(rules))):
        if len(problems) >= MAX_OVERLAPS:
            break
        # An unanalysed column overlaps for sure only when one rule does not test it, or both
        # test it the same way.
        if any(
            not (_is_any(cells[first][i]) or _is_any(cells[second][i]))
            and (cells[first][i] or "").strip() != (cells[second][i] or "").strip()
            for i in others
        ):
            continue
        shared: list[int] = []
        for i in analysed:
            both = [
                a
                for a, (x, y) in enumerate(zip(truth[first][i], truth[second][i], strict=True))
                if x is True and y is True
            ]
            if not both:
                break
            shared.append(both[0])
        else:
            names = [rules[n].get("id") or f"#{n + 1}" for n in (first, second)]
            where = " and ".join(
                _describe(columns[i], columns[i].atoms[a])  # type: ignore[index]
                for i, a in zip(analysed, shared, strict=True)
            )
            problems.append(
                Problem(
                    "dmn_overlap",
                    f"rules '{names[0]}' and '{names[1]}' of decision '{label}' both apply "
                    f"for {where}; with hit policy UNIQUE only one may",
                    decision_id,
                    file_name,
                    line,
                    {"name": label, "first": names[0], "second": names[1], "inputs": where},
                )
            )
    return problems


def dmn_gap_problems(
    root: etree._Element,
    file_name: str,
    enumerations: Mapping[str, Sequence[Any]] = KNOWN_ENUMERATIONS,
) -> list[Problem]:
    """Gaps (and, for UNIQUE tables, overlaps) of every decision table of a parsed DMN file.

    `enumerations` maps an input expression (a variable name) to every value it can take.
    """
    problems: list[Problem] = []
    for decision in root.iter():
        if not isinstance(decision.tag, str) or local_name(decision) != "decision":
            continue
        for table in _dmn_children(decision, "decisionTable"):
            try:
                problems.extend(_table_problems(decision, table, file_name, enumerations))
            except (OverflowError, RecursionError, MemoryError):
                # A number past float's range or a cell nested past the parser's depth: the
                # literal checks refuse it; the table is given the benefit of the doubt here.
                continue
    return problems


def decisions_of(root: etree._Element) -> list[DecisionInfo]:
    """The decisions of a parsed DMN file with their tables' inputs, outputs and rule counts."""
    found = []
    for decision in root.iter():
        if not isinstance(decision.tag, str) or local_name(decision) != "decision":
            continue
        tables = _dmn_children(decision, "decisionTable")
        table = tables[0] if tables else None
        inputs: tuple[str, ...] = ()
        outputs: tuple[str, ...] = ()
        rule_count = 0
        if table is not None:
            inputs = tuple(
                (_text_of(next(iter(_dmn_children(i, "inputExpression")), None)) or "").strip()
                or i.get("label")
                or ""
                for i in _dmn_children(table, "input")
            )
            outputs = tuple(
                o.get("name") or o.get("label") or "" for o in _dmn_children(table, "output")
            )
            rule_count = len(_dmn_children(table, "rule"))
        found.append(
            DecisionInfo(
                decision_id=decision.get("id") or "",
                name=decision.get("name"),
                hit_policy=(table.get("hitPolicy") or "UNIQUE").upper()
                if table is not None
                else "",
                inputs=inputs,
                outputs=outputs,
                rule_count=rule_count,
                line=decision.sourceline,
            )
        )
    return found


def called_decisions(bpmn_root: etree._Element) -> dict[str, str]:
    """Business rule tasks of a parsed BPMN file -> the decision id each one calls."""
    calls = {}
    for node in bpmn_root.iter():
        if not isinstance(node.tag, str) or local_name(node) != "calledDecisionId":
            continue
        task = node.getparent()
        task = task.getparent() if task is not None else None  # extensionElements -> task
        if task is not None and task.get("id") and node.text and node.text.strip():
            calls[str(task.get("id"))] = node.text.strip()
    return calls
