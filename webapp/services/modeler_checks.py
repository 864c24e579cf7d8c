"""What the modeler asks while an administrator edits: is this expression accepted, and which
decisions may a business-rule task call. Nothing is stored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from workflows.bounds import TIMER_LIMITS, TimerValueError, check_timer_value, literal_text
from workflows.dmn_checks import decisions_of
from workflows.errors import DiagramError
from workflows.expressions import check_expression
from workflows.xml_loading import parse_xml


@dataclass(frozen=True)
class DecisionChoice:
    """A decision of a version's DMN file, as the panel lists it."""

    decision_id: str
    name: str | None
    file_name: str


def expression_refusal(text: str) -> str | None:
    """Why the engine's sandbox would refuse `text` as an expression (English), or None.

    The same rule as the check of an uploaded diagram (workflows/checks.py)."""
    try:
        return check_expression(text)
    except (RecursionError, MemoryError):
        return "the expression is nested too deeply"


TIMER_KINDS = ("duration", "date", "cycle")


@dataclass(frozen=True)
class TimerVerdict:
    """Why a timer's value would be refused: a problem code of the check and its params."""

    code: str
    reason: str
    params: dict[str, str]


def timer_refusal(kind: str, expression: str) -> TimerVerdict | None:
    """Why the check of a saved diagram would refuse this timer, or None when it would not.

    The expression is checked like any other; a literal value is held to the timer limits
    (a computed one is held to them by the script engine when the timer starts)."""
    reason = expression_refusal(expression)
    if reason is not None:
        return TimerVerdict("unsafe_expression", reason, {"reason": reason})
    value = literal_text(expression)
    if value is None or kind not in TIMER_KINDS:
        return None
    try:
        check_timer_value(kind, value)  # type: ignore[arg-type]
    except TimerValueError as exc:
        code = "timer_out_of_bounds" if exc.out_of_bounds else "invalid_timer"
        return TimerVerdict(code, str(exc), {"text": value, **TIMER_LIMITS})
    return None


def decision_choices(files: Mapping[str, str]) -> list[DecisionChoice]:
    """Every decision of a version's DMN files, in file order, each id once."""
    found: list[DecisionChoice] = []
    seen: set[str] = set()
    for name in sorted(n for n in files if n.endswith(".dmn")):
        try:
            decisions = decisions_of(parse_xml(files[name], name))
        except DiagramError:
            continue  # the version's page lists why the file cannot be read
        for decision in decisions:
            if decision.decision_id and decision.decision_id not in seen:
                seen.add(decision.decision_id)
                found.append(DecisionChoice(decision.decision_id, decision.name, name))
    return found
