"""Limits on what a diagram may ask of the engine, and the parsers that hold values to them.

A diagram is untrusted code. SpiffWorkflow turns a timer duration into days month by month (a
`"P99999999Y"` loops a billion times), creates one task per multi-instance item at once, and
parses flows by recursion. Every value that drives such work is read here, with its numbers
bounded before any loop sees them: by the check when the diagram says the value literally, and
again by the script engine when the value is computed from task data at run time.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sized
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from workflows.diagram_info import BPMN_NS, FLOW_NODE_KINDS, DiagramInfo, local_name
from workflows.errors import Problem, ProcessRuntimeError

# ----- the limits ---------------------------------------------------------------------------

MAX_TIMER_TEXT = 100
"""Characters of a timer value: the longest ISO 8601 cycle with two dates fits in 60."""
MAX_TIMER_YEARS = 10
MAX_TIMER_DURATION = timedelta(days=3653)
"""A timer waits at most 10 years (and a cycle ends within 10 years)."""
EARLIEST_TIMER_YEAR = 2000
LATEST_TIMER_YEAR = 2100
"""A timer's date lies in [2000-01-01, 2100-01-01) UTC."""
MAX_CYCLE_REPETITIONS = 100
"""A timer cycle repeats at most this often (and must say how often: `R/…` is refused). Its
interval has no floor: SpiffWorkflow fires at most one repetition per refresh, so the count
bounds the work, and SpiffWorkflow's own tests use sub-second cycles."""
MAX_CARDINALITY = 200
"""Instances of one multi-instance activity: its cardinality and its input collection."""
MAX_RECEIVING_ROUNDS = 10_000
"""A loop around a receive task (a round taking its units' proposals) goes round once per
message delivered to it, each in its own turn: bounded by the messages, so it may run this
often. The engine state grows by one finished task per round."""

MAX_DMN_DIGITS = 30
MAX_DMN_STRING = 1000
"""A number in a rule table has at most 30 digits; a text at most 1,000 characters."""
MAX_DMN_RULES = 500
MAX_DMN_COLUMNS = 50
"""Rules of one decision table, and its input and output columns together."""
MAX_FLOW_ELEMENTS = 2000
"""Flow nodes and sequence flows of one BPMN file."""
MAX_CHAIN_LENGTH = 300
"""Steps that follow one another in one process level: SpiffWorkflow's parser recurses once
per step (two frames each), so a longer chain would exhaust Python's recursion limit."""
MAX_SUBPROCESS_DEPTH = 16
"""Subprocesses nested in one another."""

_B = f"{{{BPMN_NS}}}"
TIMER_LIMITS = {
    "years": str(MAX_TIMER_YEARS),
    "first_year": str(EARLIEST_TIMER_YEAR),
    "last_year": str(LATEST_TIMER_YEAR - 1),
    "repetitions": str(MAX_CYCLE_REPETITIONS),
}
"""The limits a timer problem quotes, as its params."""
DMN_LIMITS = {"digits": str(MAX_DMN_DIGITS), "chars": str(MAX_DMN_STRING)}
TimerKind = Literal["date", "duration", "cycle"]
_EARLIEST = datetime(EARLIEST_TIMER_YEAR, 1, 1, tzinfo=UTC)
_LATEST = datetime(LATEST_TIMER_YEAR, 1, 1, tzinfo=UTC)
# Upper bound of each duration part, in days, so a sum can be bounded before any loop runs.
_PART_DAYS = {
    "years": 366.0,
    "months": 31.0,
    "weeks": 7.0,
    "days": 1.0,
    "hours": 1 / 24,
    "minutes": 1 / 1440,
    "seconds": 1 / 86400,
}
_MAX_DAYS = MAX_TIMER_DURATION / timedelta(days=1)
_DIGIT_RUN = re.compile(r"\d+")
_LONG_YEAR = re.compile(r"[+-]\d{5}|\d{5,}-")  # a year past 9999, which Python cannot even read


class TimerValueError(ValueError):
    """A timer value that cannot be read (`out_of_bounds` False) or goes past the limits."""

    def __init__(self, message: str, *, out_of_bounds: bool):
        self.out_of_bounds = out_of_bounds
        super().__init__(message)


class BoundExceededError(ProcessRuntimeError):
    """A value computed at run time (a timer, a cardinality, an input collection) is refused
    before the engine uses it."""


# ----- timers -------------------------------------------------------------------------------


def _invalid(message: str) -> TimerValueError:
    return TimerValueError(message, out_of_bounds=False)


def _too_far(message: str) -> TimerValueError:
    return TimerValueError(message, out_of_bounds=True)


def _duration_parts(text: str) -> dict[str, int | float]:
    """SpiffWorkflow's reading of an ISO 8601 duration, each part bounded."""
    try:
        parts: dict[str, int | float] = TimerEventDefinition.parse_iso_duration(text)
    except Exception as exc:  # SpiffWorkflow raises a bare Exception('Invalid duration')
        raise _invalid(f"'{text}' is not an ISO 8601 duration") from exc
    if not parts:
        raise _invalid(f"'{text}' is not an ISO 8601 duration")
    # A generous bound (every month of 31 days) keeps SpiffWorkflow's month loop short; the
    # exact length is compared by the caller.
    total = 0.0
    for name, value in parts.items():
        # Compare before converting: an int of thousands of digits has no float.
        if value > 2 * _MAX_DAYS / _PART_DAYS[name]:
            raise _too_far(f"the duration '{text}' is longer than {MAX_TIMER_YEARS} years")
        total += float(value) * _PART_DAYS[name]
    if total > 2 * _MAX_DAYS:
        raise _too_far(f"the duration '{text}' is longer than {MAX_TIMER_YEARS} years")
    return parts


def _interval(parts: Mapping[str, int | float], start: datetime | None = None) -> timedelta:
    """The length of a bounded duration from `start` (SpiffWorkflow's month arithmetic)."""
    length: timedelta = TimerEventDefinition.get_timedelta_from_start(dict(parts), start)
    return length


def parse_duration(text: str) -> timedelta:
    """A timer duration ("P3D", "PT12H"), at most MAX_TIMER_DURATION from now."""
    length = _interval(_duration_parts(_short(text)))
    if length > MAX_TIMER_DURATION:
        raise _too_far(f"the duration '{text}' is longer than {MAX_TIMER_YEARS} years")
    return length


def _date(text: str) -> datetime:
    if _LONG_YEAR.match(text):
        raise _too_far(
            f"the date '{text}' is not between {EARLIEST_TIMER_YEAR} and {LATEST_TIMER_YEAR}"
        )
    try:
        if "W" in text.upper():
            moment: datetime = TimerEventDefinition.parse_iso_week(text)
        else:
            moment = TimerEventDefinition.get_datetime(text)
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        raise _invalid(f"'{text}' is not an ISO 8601 date") from exc
    if not _EARLIEST <= moment < _LATEST:
        raise _too_far(
            f"the date '{text}' is not between {EARLIEST_TIMER_YEAR} and {LATEST_TIMER_YEAR}"
        )
    return moment


def parse_date(text: str) -> datetime:
    """A timer date ("2025-12-31T17:00:00+07:00", "2025W011"), between 2000 and 2100."""
    text = _short(text)
    if text.upper().startswith("P"):
        raise _invalid(f"'{text}' is a duration, not a date")
    return _date(text)


@dataclass(frozen=True)
class Cycle:
    """A bounded timer cycle: how often, from when, how far apart."""

    repetitions: int
    start: datetime
    interval: timedelta


def parse_cycle(text: str) -> Cycle:
    """A timer cycle ("R3/P1D", "R2/2025-01-01T09:00:00Z/P1W", "R4/PT1H/2025-06-01"), with at
    most MAX_CYCLE_REPETITIONS repetitions ending within MAX_TIMER_DURATION."""
    text = _short(text)
    # Split as SpiffWorkflow does, so that what passes here is what it runs.
    components = text.upper().replace("--", "/").strip("R").split("/")
    if not text.upper().startswith("R") or len(components) not in (2, 3):
        raise _invalid(f"'{text}' is not an ISO 8601 cycle (R<n>/<duration>)")
    count = components[0]
    if not count:
        raise _too_far(f"the cycle '{text}' repeats without end")
    if not count.isdigit():
        raise _invalid(f"'{text}' is not an ISO 8601 cycle (R<n>/<duration>)")
    if len(count) > 9 or int(count) > MAX_CYCLE_REPETITIONS:
        raise _too_far(f"the cycle '{text}' repeats more than {MAX_CYCLE_REPETITIONS} times")
    repetitions = int(count)
    parts = [_duration_parts(c) if c.startswith("P") else _date(c) for c in components[1:]]
    first, second = parts[0], parts[1] if len(parts) == 2 else None
    if isinstance(first, datetime) and isinstance(second, dict):
        start, interval = first, _interval(second, first)
    elif isinstance(first, dict) and isinstance(second, datetime):
        interval = TimerEventDefinition.get_timedelta_from_end(dict(first), second)
        start = second - interval
    elif isinstance(first, dict) and second is None:
        interval = _interval(first)
        start = datetime.now(UTC) + interval
    else:
        raise _invalid(f"'{text}' is not an ISO 8601 cycle (R<n>/<duration>)")
    if interval * max(repetitions, 1) > MAX_TIMER_DURATION:
        raise _too_far(f"the cycle '{text}' does not end within {MAX_TIMER_YEARS} years")
    return Cycle(repetitions, start, interval)


def _short(text: str) -> str:
    if len(text) > MAX_TIMER_TEXT:
        raise _invalid(f"a timer value is at most {MAX_TIMER_TEXT} characters")
    return text.strip()


_PARSERS = {"date": parse_date, "duration": parse_duration, "cycle": parse_cycle}


def check_timer_value(kind: TimerKind, value: object) -> None:
    """Raise TimerValueError unless `value` is a timer value of `kind` within the limits."""
    if not isinstance(value, str):
        raise _invalid(f"a timer's value must be a text, not {type(value).__name__}")
    _PARSERS[kind](value)


def timer_kind(event_definition: Any) -> TimerKind | None:
    """The kind of a SpiffWorkflow timer event definition (None: not a timer)."""
    name = type(event_definition).__name__
    kinds: dict[str, TimerKind] = {
        "TimeDateEventDefinition": "date",
        "DurationTimerEventDefinition": "duration",
        "CycleTimerEventDefinition": "cycle",
    }
    return kinds.get(name) if isinstance(event_definition, TimerEventDefinition) else None


def literal_text(expression: str) -> str | None:
    """The text an expression is, when it is a string literal ("'P3D'"), else None."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    body = tree.body
    return body.value if isinstance(body, ast.Constant) and isinstance(body.value, str) else None


def literal_int(expression: str) -> int | None:
    """The whole number an expression is, when it is an integer literal, else None."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    body = tree.body
    if isinstance(body, ast.Constant) and type(body.value) is int:
        return body.value
    return None


# ----- multi-instance -----------------------------------------------------------------------


def cardinality_reason(value: object) -> str | None:
    """Why a computed loop cardinality is refused, or None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"the number of instances must be a whole number, not {type(value).__name__}"
    if value > MAX_CARDINALITY:
        return f"{value} instances requested; at most {MAX_CARDINALITY} are allowed"
    return None


def collection_reason(value: object) -> str | None:
    """Why an input collection is refused (too many items), or None."""
    if isinstance(value, Sized) and len(value) > MAX_CARDINALITY:
        return (
            f"the input collection has {len(value)} items; "
            f"at most {MAX_CARDINALITY} instances are allowed"
        )
    return None


# ----- DMN literals -------------------------------------------------------------------------


def dmn_literal_reason(expression: str) -> str | None:
    """Why a rule table cell's literal is too large (a long number or text), or None."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # Python refuses integers past 4,300 digits as a syntax error: still a number too long.
        longest = max((len(run) for run in _DIGIT_RUN.findall(expression)), default=0)
        if longest > MAX_DMN_DIGITS:
            return f"a number of {longest} digits (at most {MAX_DMN_DIGITS})"
        return None  # the expression check reports what does not parse
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant):
            continue
        if isinstance(node.value, str | bytes) and len(node.value) > MAX_DMN_STRING:
            return f"a text of {len(node.value)} characters (at most {MAX_DMN_STRING})"
        if isinstance(node.value, int | float | complex) and not isinstance(node.value, bool):
            source = ast.get_source_segment(expression.strip(), node) or ""
            digits = sum(ch.isdigit() for ch in source)
            if digits > MAX_DMN_DIGITS:
                return f"a number of {digits} digits (at most {MAX_DMN_DIGITS})"
    return None


def dmn_size_problems(root: etree._Element, file_name: str) -> list[Problem]:
    """A problem for each decision table with more rules or columns than the limits."""
    problems: list[Problem] = []
    for table in root.iter():
        if not isinstance(table.tag, str) or local_name(table) != "decisionTable":
            continue
        counts = {"rule": 0, "input": 0, "output": 0}
        for child in table:
            name = local_name(child) if isinstance(child.tag, str) else ""
            if name in counts:
                counts[name] += 1
        decision = table.getparent()
        element_id = (decision.get("id") if decision is not None else None) or table.get("id")
        label = (decision.get("name") if decision is not None else None) or element_id or "?"
        columns = counts["input"] + counts["output"]
        if counts["rule"] > MAX_DMN_RULES or columns > MAX_DMN_COLUMNS:
            problems.append(
                Problem(
                    "dmn_too_large",
                    f"decision '{label}' has {counts['rule']} rules and {columns} columns; "
                    f"at most {MAX_DMN_RULES} rules and {MAX_DMN_COLUMNS} columns are accepted",
                    element_id,
                    file_name,
                    table.sourceline,
                    {
                        "name": label,
                        "rules": str(counts["rule"]),
                        "columns": str(columns),
                        "max_rules": str(MAX_DMN_RULES),
                        "max_columns": str(MAX_DMN_COLUMNS),
                    },
                )
            )
    return problems


# ----- the diagram's size and shape ---------------------------------------------------------

_SUBPROCESS_KINDS = frozenset({"subProcess", "transaction", "adHocSubProcess"})


def diagram_size_problem(root: etree._Element, file_name: str) -> Problem | None:
    """A problem when a BPMN file has more flow elements than MAX_FLOW_ELEMENTS."""
    count = sum(
        1
        for node in root.iter()
        if isinstance(node.tag, str)
        and node.tag.startswith(_B)
        and (local_name(node) in FLOW_NODE_KINDS or local_name(node) == "sequenceFlow")
    )
    if count <= MAX_FLOW_ELEMENTS:
        return None
    return Problem(
        "diagram_too_large",
        f"the diagram has {count} flow elements; at most {MAX_FLOW_ELEMENTS} are accepted",
        None,
        file_name,
        None,
        {"count": str(count), "limit": str(MAX_FLOW_ELEMENTS)},
    )


def shape_problems(diagram: DiagramInfo, file_name: str) -> list[Problem]:
    """Subprocesses nested too deep, and chains of steps too long for the engine's parser."""
    problems: list[Problem] = []
    depth: dict[str, int] = {}
    for element in diagram.elements.values():  # a subprocess comes before its contents
        depth[element.element_id] = depth.get(element.container or "", 0) + (
            1 if element.container else 0
        )
        if (
            element.kind in _SUBPROCESS_KINDS
            and depth[element.element_id] + 1 > MAX_SUBPROCESS_DEPTH
            and not any(p.code == "subprocess_too_deep" for p in problems)
        ):
            label = element.name or element.element_id
            problems.append(
                Problem(
                    "subprocess_too_deep",
                    f"'{label}' is nested {depth[element.element_id] + 1} subprocesses deep; "
                    f"at most {MAX_SUBPROCESS_DEPTH} are accepted",
                    element.element_id,
                    file_name,
                    element.line,
                    {
                        "name": label,
                        "count": str(depth[element.element_id] + 1),
                        "limit": str(MAX_SUBPROCESS_DEPTH),
                    },
                )
            )
    problems.extend(_chain_problems(diagram, file_name))
    return problems


def _chain_problems(diagram: DiagramInfo, file_name: str) -> list[Problem]:
    """SpiffWorkflow parses a process level depth-first from its start events, one recursion
    per step (boundary events first, then the outgoing flows in document order). The same walk,
    with an explicit stack, measures how deep that recursion goes."""
    successors: dict[str, list[str]] = {eid: [] for eid in diagram.elements}
    for element in diagram.elements.values():
        if element.attached_to in successors:
            successors[element.attached_to].append(element.element_id)
    for flow in diagram.flows.values():
        if flow.source in successors and flow.target in successors:
            successors[flow.source].append(flow.target)
    problems: list[Problem] = []
    seen: set[str] = set()
    starts = [e for e in diagram.elements.values() if e.kind == "startEvent"]
    for start in starts:
        if start.element_id in seen:
            continue
        seen.add(start.element_id)
        path = [start.element_id]
        todo = [iter(successors[start.element_id])]
        while todo:
            following = next(todo[-1], None)
            if following is None:
                todo.pop()
                path.pop()
                continue
            if following in seen:
                continue
            seen.add(following)
            path.append(following)
            todo.append(iter(successors[following]))
            if len(path) > MAX_CHAIN_LENGTH:
                element = diagram.elements[following]
                label = element.name or element.element_id
                problems.append(
                    Problem(
                        "diagram_too_long",
                        f"{len(path)} steps follow one another up to '{label}'; "
                        f"at most {MAX_CHAIN_LENGTH} are accepted (split the process into "
                        "subprocesses)",
                        element.element_id,
                        file_name,
                        element.line,
                        {"name": label, "count": str(len(path)), "limit": str(MAX_CHAIN_LENGTH)},
                    )
                )
                return problems
    return problems


def recursion_problem(exc: BaseException, file_name: str) -> Problem | None:
    """A problem when SpiffWorkflow ran out of recursion (itself, or wrapped in its errors)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, RecursionError) or "RecursionError(" in str(current):
            return Problem(
                "diagram_too_deep",
                "the engine cannot read a diagram this deep or this long; "
                "split it into subprocesses",
                getattr(exc, "id", None) or None,
                file_name,
                None,
                {},
            )
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
