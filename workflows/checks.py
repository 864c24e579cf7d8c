"""Check a diagram before it is deployed: list every problem at once, each with its element."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from lxml import etree

from workflows.bounds import (
    DMN_LIMITS,
    MAX_CARDINALITY,
    TIMER_LIMITS,
    TimerKind,
    TimerValueError,
    check_timer_value,
    diagram_size_problem,
    dmn_literal_reason,
    dmn_size_problems,
    literal_int,
    literal_text,
)
from workflows.definition import ProcessDefinition, load_definition
from workflows.diagram_info import (
    BPMN_NS,
    MAX_TIME_LIMIT_BASIS,
    MAX_TIME_LIMIT_DAYS,
    OUTCOME_PROPERTY,
    OUTCOMES,
    SPIFF_NS,
    TIME_LIMIT_BASIS_PROPERTY,
    TIME_LIMIT_PROPERTY,
    DiagramInfo,
    ElementInfo,
    local_name,
    read_diagram,
    valid_time_limit,
)
from workflows.dmn_checks import dmn_gap_problems
from workflows.errors import DiagramError, Problem
from workflows.expressions import check_expression
from workflows.operations import OPERATIONS
from workflows.scripts import check_script
from workflows.xml_loading import parse_xml

_B = f"{{{BPMN_NS}}}"
_S = f"{{{SPIFF_NS}}}"
EXPRESSION_TAGS = frozenset(
    {
        _B + "conditionExpression",
        _B + "timeDate",
        _B + "timeDuration",
        _B + "timeCycle",
        _B + "loopCardinality",
        _B + "completionCondition",
        _B + "loopCondition",
        _B + "condition",
        _S + "messagePayload",
    }
)
SCRIPT_TAGS = frozenset({_B + "script", _S + "preScript", _S + "postScript"})
GATEWAYS_NEEDING_DEFAULT = frozenset({"exclusiveGateway", "inclusiveGateway"})
TIMER_TAGS: dict[str, TimerKind] = {
    _B + "timeDate": "date",
    _B + "timeDuration": "duration",
    _B + "timeCycle": "cycle",
}
# The properties panel's rule for a collection or an element variable (frontend/modeler).
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DMN_QUESTION_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


@dataclass(frozen=True)
class CheckResult:
    """The outcome of checking a diagram: the definition when it parses, and every problem."""

    definition: ProcessDefinition | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        """Whether the diagram can be deployed."""
        return not self.problems and self.definition is not None


def _excerpt(text: str, limit: int = 80) -> str:
    """The start of a refused text, on one line, to quote in a message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _owner_id(node: etree._Element) -> str | None:
    """The id of the nearest ancestor that is a flow element (or the node itself)."""
    owner = _owner(node)
    return str(owner.get("id")) if owner is not None else None


def _owner_label(node: etree._Element) -> str:
    """The name (else the id) of the flow element a node belongs to."""
    owner = _owner(node)
    if owner is None:
        return "?"
    return (owner.get("name") or "").strip() or str(owner.get("id"))


def _owner(node: etree._Element) -> etree._Element | None:
    current: etree._Element | None = node
    while current is not None:
        if (
            isinstance(current.tag, str)
            and current.get("id")
            and local_name(current)
            not in {
                "extensionElements",
                "multiInstanceLoopCharacteristics",
                "properties",
                "parameters",
                "parameter",
                "serviceTaskOperator",
                "timerEventDefinition",
                "conditionExpression",
                "formalExpression",
                "inputExpression",
                "inputEntry",
                "outputEntry",
            }
        ):
            return current
        current = current.getparent()
    return None


def _checked(text: str, check: Callable[[str], str | None]) -> str | None:
    """A check's reason; a text nested past what the parser can hold is refused, not a crash."""
    try:
        return check(text)
    except (RecursionError, MemoryError):
        return "the expression is nested too deeply"


def bound_problems(root: etree._Element, file_name: str) -> list[Problem]:
    """Timers and multi-instance counts the diagram states literally, held to the limits."""
    problems: list[Problem] = []
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        text = (node.text or "").strip()
        if node.tag in TIMER_TAGS and text:
            value = literal_text(text)
            if value is None:
                continue  # computed from data: bounded by the script engine at run time
            try:
                check_timer_value(TIMER_TAGS[node.tag], value)
            except TimerValueError as exc:
                code = "timer_out_of_bounds" if exc.out_of_bounds else "invalid_timer"
                problems.append(
                    Problem(
                        code,
                        f"timer '{_excerpt(value)}' refused: {exc}",
                        _owner_id(node),
                        file_name,
                        node.sourceline,
                        {"name": _owner_label(node), "text": _excerpt(value), **TIMER_LIMITS},
                    )
                )
            continue
        count: int | None = None
        if node.tag == _B + "loopCardinality" and text:
            count = literal_int(text)
        elif node.tag == _B + "standardLoopCharacteristics":
            raw = (node.get("loopMaximum") or "").strip()
            count = int(raw) if raw.isdigit() and len(raw) < 12 else None
        if count is not None and count > MAX_CARDINALITY:
            problems.append(
                Problem(
                    "cardinality_too_large",
                    f"{count} instances requested; at most {MAX_CARDINALITY} are accepted",
                    _owner_id(node),
                    file_name,
                    node.sourceline,
                    {
                        "name": _owner_label(node),
                        "count": str(count),
                        "limit": str(MAX_CARDINALITY),
                    },
                )
            )
    return problems


def variable_name_problems(root: etree._Element, file_name: str) -> list[Problem]:
    """Multi-instance collections and element variables the properties panel would refuse.

    SpiffWorkflow keys the task data by the loopDataInputRef text and the inputDataItem id, as
    written; a name that is not an identifier is never found nor usable in an expression. A
    collection named through an ioSpecification is a data input name, left to the engine."""
    problems: list[Problem] = []
    for loop in root.iter(_B + "multiInstanceLoopCharacteristics"):
        task = loop.getparent()
        has_io = task is not None and task.find(_B + "ioSpecification") is not None
        found: list[tuple[str, etree._Element]] = []
        for ref in loop.findall(_B + "loopDataInputRef"):
            if not has_io:
                found.append((ref.text or "", ref))
        for item in loop.findall(_B + "inputDataItem"):
            found.append((item.get("id") or "", item))
        for value, node in found:
            if VARIABLE_NAME.fullmatch(value):
                continue
            problems.append(
                Problem(
                    "invalid_variable_name",
                    f"'{_excerpt(value)}' is not a valid name for a multi-instance collection "
                    "or element variable",
                    _owner_id(loop),
                    file_name,
                    node.sourceline,
                    {"name": _owner_label(loop), "value": _excerpt(value)},
                )
            )
    return problems


def expression_problems(root: etree._Element, file_name: str) -> list[Problem]:
    """Every expression, script and service operation of a BPMN file that would be refused."""
    problems: list[Problem] = []
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        text = (node.text or "").strip()
        reason: str | None = None
        what = ""
        if node.tag in EXPRESSION_TAGS and text:
            reason, what = _checked(text, check_expression), "expression"
        elif node.tag in SCRIPT_TAGS and text:
            reason, what = _checked(text, check_script), "script"
        elif node.tag == _S + "parameter" and node.get("value"):
            reason, what = _checked(node.get("value", ""), check_expression), "parameter"
        elif node.tag == _S + "serviceTaskOperator" and node.get("id") not in OPERATIONS:
            problems.append(
                Problem(
                    "unknown_operation",
                    f"service operation '{node.get('id')}' is not one of: "
                    + ", ".join(sorted(OPERATIONS)),
                    _owner_id(node.getparent()),
                    file_name,
                    node.sourceline,
                    {"operation": node.get("id") or "", "known": ", ".join(sorted(OPERATIONS))},
                )
            )
        if reason:
            problems.append(
                Problem(
                    f"unsafe_{what}",
                    f"{what} refused: {reason}",
                    _owner_id(node),
                    file_name,
                    node.sourceline,
                    {"text": _excerpt(text or node.get("value", "")), "reason": reason},
                )
            )
    return problems


def _check_unary_test(text: str) -> str | None:
    text = _DMN_QUESTION_MARK.sub("dmninputexpr", text)
    if "dmninputexpr" in text or check_expression(text) is None:
        return check_expression(text)
    # SpiffWorkflow glues the input expression to the cell: "x" + ">= 20".
    return check_expression(f"dmninputexpr{text}")


def dmn_problems(root: etree._Element, file_name: str) -> list[Problem]:
    """Every DMN input expression, input entry and output entry that would be refused."""
    problems: list[Problem] = []
    for node in root.iter():
        if not isinstance(node.tag, str) or local_name(node) != "text":
            continue
        parent = node.getparent()
        text = (node.text or "").strip()
        if parent is None or not text or text == "-":
            continue
        kind = local_name(parent)
        if kind == "inputEntry":
            reason = _checked(text, _check_unary_test)
        elif kind in {"inputExpression", "outputEntry"}:
            reason = _checked(text, check_expression)
        else:
            continue
        rule = parent.getparent()
        owner = rule.get("id") if rule is not None and rule.get("id") else parent.get("id")
        too_large = dmn_literal_reason(text)
        if too_large:
            problems.append(
                Problem(
                    "dmn_literal_too_large",
                    f"DMN cell refused: {too_large}",
                    owner,
                    file_name,
                    node.sourceline,
                    {"text": _excerpt(text), **DMN_LIMITS},
                )
            )
            continue
        if reason:
            problems.append(
                Problem(
                    "unsafe_dmn_cell",
                    f"DMN cell refused: {reason}",
                    owner,
                    file_name,
                    node.sourceline,
                    {"text": _excerpt(text), "reason": reason},
                )
            )
    return problems


def structure_problems(
    diagram: DiagramInfo,
    process_id: str | None,
    *,
    forms: Collection[str] | None,
    known_roles: Collection[str] | None,
    file_name: str,
) -> list[Problem]:
    """Forms, lanes and roles, gateway defaults, reachability."""
    problems: list[Problem] = []
    elements = [
        e for e in diagram.elements.values() if process_id is None or e.process_id == process_id
    ]
    for element in elements:
        if not element.is_human:
            continue
        label = element.name or element.element_id
        if element.kind == "userTask" and not element.form:
            problems.append(
                Problem(
                    "missing_form",
                    f"user task '{label}' has no form",
                    element.element_id,
                    file_name,
                    element.line,
                    {"name": label},
                )
            )
        elif element.form and forms is not None and element.form not in forms:
            problems.append(
                Problem(
                    "unknown_form",
                    f"user task '{label}' uses form '{element.form}', "
                    "which this version does not have",
                    element.element_id,
                    file_name,
                    element.line,
                    {"name": label, "form": element.form},
                )
            )
        if element.lane_id is None:
            problems.append(
                Problem(
                    "no_lane",
                    f"task '{label}' is in no lane, so nobody may do it",
                    element.element_id,
                    file_name,
                    element.line,
                    {"name": label},
                )
            )
    used_lanes = {e.lane_id for e in elements if e.lane_id}
    for lane in diagram.lanes.values():
        if lane.lane_id not in used_lanes:
            continue
        if not lane.role:
            problems.append(
                Problem(
                    "lane_without_role",
                    f"lane '{lane.name or lane.lane_id}' has no role",
                    lane.lane_id,
                    file_name,
                    lane.line,
                    {"name": lane.name or lane.lane_id},
                )
            )
        elif known_roles is not None and lane.role not in known_roles:
            problems.append(
                Problem(
                    "unknown_role",
                    f"lane '{lane.name or lane.lane_id}' has the unknown role '{lane.role}'",
                    lane.lane_id,
                    file_name,
                    lane.line,
                    {"name": lane.name or lane.lane_id, "role": lane.role},
                )
            )
    problems.extend(_property_problems(elements, file_name))
    problems.extend(_gateway_problems(diagram, elements, file_name))
    problems.extend(_condition_problems(diagram, elements, file_name))
    problems.extend(_reachability_problems(diagram, elements, file_name))
    return problems


def _property_problems(elements: list[ElementInfo], file_name: str) -> list[Problem]:
    """The values the properties panel refuses, written into an uploaded file by hand."""
    problems = []
    for element in elements:
        label = element.name or element.element_id
        limit = element.properties.get(TIME_LIMIT_PROPERTY, "").strip()
        if limit and not valid_time_limit(limit):
            problems.append(
                Problem(
                    "invalid_time_limit",
                    f"'{label}' has the time limit '{_excerpt(limit)}', "
                    f"not a whole number of days from 1 to {MAX_TIME_LIMIT_DAYS}",
                    element.element_id,
                    file_name,
                    element.line,
                    {"name": label, "value": _excerpt(limit), "max": str(MAX_TIME_LIMIT_DAYS)},
                )
            )
        basis = element.properties.get(TIME_LIMIT_BASIS_PROPERTY, "")
        if len(basis) > MAX_TIME_LIMIT_BASIS:
            problems.append(
                Problem(
                    "time_limit_basis_too_long",
                    f"'{label}' has a time limit basis of {len(basis)} characters, "
                    f"more than {MAX_TIME_LIMIT_BASIS}",
                    element.element_id,
                    file_name,
                    element.line,
                    {"name": label, "max": str(MAX_TIME_LIMIT_BASIS)},
                )
            )
        # Read as the run reads it (unstripped): " awarded" would not award anyone.
        outcome = element.properties.get(OUTCOME_PROPERTY, "")
        if outcome and outcome not in OUTCOMES:
            problems.append(
                Problem(
                    "invalid_outcome",
                    f"'{label}' has the outcome '{_excerpt(outcome)}', not one of "
                    + ", ".join(OUTCOMES),
                    element.element_id,
                    file_name,
                    element.line,
                    {"name": label, "value": _excerpt(outcome), "known": ", ".join(OUTCOMES)},
                )
            )
    return problems


def _gateway_problems(
    diagram: DiagramInfo, elements: list[ElementInfo], file_name: str
) -> list[Problem]:
    problems = []
    for element in elements:
        if element.kind not in GATEWAYS_NEEDING_DEFAULT:
            continue
        outgoing = [f for f in diagram.flows.values() if f.source == element.element_id]
        # One conditional flow alone is no default either: when it is false the run stops.
        conditional = len(outgoing) > 1 or any(f.condition for f in outgoing)
        if conditional and not any(f.is_default for f in outgoing):
            problems.append(
                Problem(
                    "no_default_flow",
                    f"gateway '{element.name or element.element_id}' has no default flow",
                    element.element_id,
                    file_name,
                    element.line,
                    {"name": element.name or element.element_id},
                )
            )
        for flow in outgoing:
            if len(outgoing) > 1 and not flow.is_default and not flow.condition:
                problems.append(
                    Problem(
                        "flow_without_condition",
                        f"flow '{flow.name or flow.flow_id}' leaves a gateway without a condition",
                        flow.flow_id,
                        file_name,
                        flow.line,
                        {"name": flow.name or flow.flow_id},
                    )
                )
    return problems


CONDITIONAL_SOURCES = frozenset({"exclusiveGateway", "inclusiveGateway"})


def _condition_problems(
    diagram: DiagramInfo, elements: list[ElementInfo], file_name: str
) -> list[Problem]:
    """Conditions the engine would silently ignore: on a default flow, or on a flow that does
    not leave an exclusive or inclusive gateway."""
    ids = {e.element_id: e for e in elements}
    problems = []
    for flow in diagram.flows.values():
        source = ids.get(flow.source)
        if source is None or not flow.condition:
            continue
        label = flow.name or flow.flow_id
        source_label = source.name or source.element_id
        params = {"name": label, "source": source_label, "text": _excerpt(flow.condition)}
        if flow.is_default:
            problems.append(
                Problem(
                    "default_with_condition",
                    f"flow '{label}' is the default flow of '{source_label}' and has a "
                    "condition, which is never evaluated",
                    flow.flow_id,
                    file_name,
                    flow.line,
                    params,
                )
            )
        elif source.kind not in CONDITIONAL_SOURCES:
            problems.append(
                Problem(
                    "condition_ignored",
                    f"flow '{label}' has a condition but leaves '{source_label}', which is not "
                    "an exclusive or inclusive gateway, so the condition is never evaluated",
                    flow.flow_id,
                    file_name,
                    flow.line,
                    params,
                )
            )
    return problems


def _edges(diagram: DiagramInfo, root_links: dict[str, list[str]]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {eid: set() for eid in diagram.elements}
    for flow in diagram.flows.values():
        if flow.source in edges and flow.target in diagram.elements:
            edges[flow.source].add(flow.target)
    for source, targets in root_links.items():
        edges.setdefault(source, set()).update(targets)
    return edges


def _reachability_problems(
    diagram: DiagramInfo, elements: list[ElementInfo], file_name: str
) -> list[Problem]:
    ids = {e.element_id for e in elements}
    links = _structural_links(diagram, ids)
    edges = _edges(diagram, links)
    starts = [e.element_id for e in elements if _is_entry(e, diagram)]
    reached = _walk(starts, edges)
    reverse: dict[str, set[str]] = {eid: set() for eid in edges}
    for source, targets in edges.items():
        for target in targets:
            reverse.setdefault(target, set()).add(source)
    ends = [e.element_id for e in elements if e.kind == "endEvent" or _is_terminal(e, edges)]
    finishing = _walk(ends, reverse)
    problems = []
    for element in elements:
        label = element.name or element.element_id
        if element.element_id not in reached:
            problems.append(
                Problem(
                    "unreachable",
                    f"'{label}' can never be reached",
                    element.element_id,
                    file_name,
                    element.line,
                    {"name": label},
                )
            )
        elif element.element_id not in finishing:
            problems.append(
                Problem(
                    "dead_end",
                    f"from '{label}' the process can never end",
                    element.element_id,
                    file_name,
                    element.line,
                    {"name": label},
                )
            )
    return problems


def _is_entry(element: ElementInfo, diagram: DiagramInfo) -> bool:
    if element.event_subprocess:
        return element.container is None
    if element.kind != "startEvent":
        return False
    container = diagram.element(element.container) if element.container else None
    return container is None or (container.event_subprocess and container.container is None)


def _is_terminal(element: ElementInfo, edges: dict[str, set[str]]) -> bool:
    # BPMN allows activities without outgoing flows: they end their branch implicitly.
    return element.kind not in {
        "startEvent",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
        "complexGateway",
    } and not edges.get(element.element_id)


def _walk(starts: list[str], edges: Mapping[str, set[str]]) -> set[str]:
    seen = set(starts)
    todo = list(starts)
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _structural_links(diagram: DiagramInfo, ids: set[str]) -> dict[str, list[str]]:
    """Edges that are not sequence flows: boundary events, subprocess contents, link events."""
    links: dict[str, list[str]] = {}
    catches: dict[str, list[str]] = {}
    for element in diagram.elements.values():
        if element.kind == "intermediateCatchEvent" and element.link_name:
            catches.setdefault(element.link_name, []).append(element.element_id)
    for element in diagram.elements.values():
        if element.element_id not in ids:
            continue
        if element.attached_to:
            links.setdefault(element.attached_to, []).append(element.element_id)
        if element.kind == "intermediateThrowEvent" and element.link_name:
            links.setdefault(element.element_id, []).extend(catches.get(element.link_name, []))
        container = diagram.element(element.container) if element.container else None
        if container is None:
            continue
        if element.event_subprocess:
            links.setdefault(container.element_id, []).append(element.element_id)
        if element.kind == "startEvent":
            # An event subprocess starts when its parent runs; a plain one when it is entered.
            source = container.container or container.element_id
            links.setdefault(
                source if container.event_subprocess else container.element_id, []
            ).append(element.element_id)
        if element.kind == "endEvent" and not container.event_subprocess:
            links.setdefault(element.element_id, []).append(container.element_id)
    return links


def check_bundle(
    bpmn: bytes | str,
    dmn_files: Mapping[str, bytes | str] | None = None,
    *,
    forms: Collection[str] | None = None,
    known_roles: Collection[str] | None = None,
    file_name: str = "diagram.bpmn",
    process_id: str | None = None,
) -> CheckResult:
    """Check a BPMN file with its DMN tables; return the definition (if it parses) and problems."""
    try:
        root = parse_xml(bpmn, file_name)
    except DiagramError as exc:
        return CheckResult(None, exc.problems)
    too_large = diagram_size_problem(root, file_name)
    if too_large is not None:
        return CheckResult(None, [too_large])
    problems: list[Problem] = []
    problems.extend(expression_problems(root, file_name))
    problems.extend(bound_problems(root, file_name))
    problems.extend(variable_name_problems(root, file_name))
    for dmn_name, dmn_bytes in (dmn_files or {}).items():
        try:
            dmn_root = parse_xml(dmn_bytes, dmn_name)
            oversized = dmn_size_problems(dmn_root, dmn_name)
            if oversized:
                problems.extend(oversized)
                continue
            problems.extend(dmn_problems(dmn_root, dmn_name))
            problems.extend(dmn_gap_problems(dmn_root, dmn_name))
        except DiagramError as exc:
            problems.extend(exc.problems)
    definition: ProcessDefinition | None = None
    engine: list[Problem] = []
    try:
        definition = load_definition(bpmn, dmn_files, file_name=file_name, process_id=process_id)
    except DiagramError as exc:
        engine = exc.problems
    diagram = definition.diagram if definition else read_diagram(root)
    main_id = definition.process_id if definition else None
    structure = structure_problems(
        diagram, main_id, forms=forms, known_roles=known_roles, file_name=file_name
    )
    # The engine's first refusal gives way to the check's own problem for the same element.
    found = {(p.code, p.element_id) for p in structure}
    problems.extend(p for p in engine if (p.code, p.element_id) not in found)
    problems.extend(structure)
    return CheckResult(definition, list(dict.fromkeys(problems)))
