"""SpiffWorkflow's own validation messages, classified into problem codes with their names.

The parser speaks English and stops at the first thing it cannot read. Each message it can give
is matched here to a code and the names it quotes (element, process, decision), so that a page
says the same in the reader's language; the raw text stays the problem's `message`, shown only
as a technical detail. A message no rule knows stays `invalid_bpmn` / `invalid_dmn`.
"""

from __future__ import annotations

import re

from lxml import etree

from workflows.diagram_info import BPMN_NS
from workflows.errors import Problem

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"

# (pattern matched at the start of the message, code); named groups become params.
BPMN_RULES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"Non-default exclusive outgoing sequence flow without condition"),
        "flow_without_condition",
    ),
    (
        re.compile(
            r'No DMN Diagram available with id "(?P<decision>[^"]*)", '
            r"Available DMN ids are:\s*(?P<known>.*)"
        ),
        "decision_not_found",
    ),
    (
        re.compile(
            r"The process '(?P<process>[^']*)' was not found\. "
            r"Did you mean one of the following: (?P<known>.*?)\??$"
        ),
        "called_process_missing",
    ),
    (re.compile(r'No "calledElement" attribute for Call Activity'), "call_without_process"),
    (re.compile(r"A Service Task must have an operator"), "service_task_without_operator"),
    (
        re.compile(r"A loopMaximum or loopCondition must be specified for Loop Tasks"),
        "loop_without_limit",
    ),
    (
        re.compile(
            r"A multiinstance task must specify a cardinality or a loop input data reference"
        ),
        "multi_instance_without_input",
    ),
    (
        re.compile(
            r"A multiinstance task must specify exactly one of cardinality "
            r"or loop input data reference"
        ),
        "multi_instance_two_inputs",
    ),
    (re.compile(r"Cancel Events may only be used with transactions"), "cancel_outside_transaction"),
    (re.compile(r"Data Store with name (?P<store>.*) has no implementation"), "unknown_data_store"),
    (
        re.compile(
            r"(?P<kind>Message|Signal|Error|Escalation|Correlation|Data Store) "
            r"(?:identifier|name) is missing from bpmn xml"
        ),
        "definition_without_id",
    ),
    (
        re.compile(r"Could not find messageRef from message event definition: (?P<message>.*)"),
        "unknown_message",
    ),
    (
        re.compile(
            r"(?:Correlation is missing correlation property retrieval expressions"
            r"|Message identifier is missing from correlation property): (?P<correlation>.*)"
        ),
        "correlation_incomplete",
    ),
    (re.compile(r"No start event found"), "no_start_event"),
    (re.compile(r"There is no support implemented for this task type"), "unsupported_element"),
    (re.compile(r"Process (?P<process>.*) is not executable"), "process_not_executable"),
    (re.compile(r"Duplicate process ID: (?P<process>.*)"), "duplicate_process"),
    (
        re.compile(r"Conditional event definition with missing condition"),
        "conditional_event_without_condition",
    ),
    (re.compile(r"Unknown Time Specification|Time Specification Error"), "timer_unreadable"),
    (
        re.compile(r"Cannot resolve data(?:Input|Output)Association (?P<data>.*)"),
        "unknown_data_reference",
    ),
    (
        re.compile(
            r"Exactly one start event is required in a SubWorkflow Task; found (?P<count>\d+)"
        ),
        "subprocess_start_events",
    ),
    (re.compile(r"A SubWorkflow Must contain an End event"), "subprocess_without_end"),
    (re.compile(r"Invalid Script Task\.\s+No Script Provided"), "script_missing"),
    (re.compile(r"Sequential ordering for ad hoc subprocesses not supported"), "ad_hoc_sequential"),
    (re.compile(r"Ad hoc subprocesses may not contain start or end events"), "ad_hoc_with_events"),
    (
        re.compile(r"Multiple outgoing flows are not supported for tasks of type"),
        "several_outgoing_flows",
    ),
    (
        re.compile(r"When looking for a task spec, we found two items.*\((?P<target>[^)]*)\)"),
        "duplicate_id",
    ),
    # The XML Schema validator's messages (libxml2): where the file breaks BPMN 2.0.
    (re.compile(r"Element '[^']*'"), "schema_violation"),
    # The parser wraps any other failure of an element as the exception's repr.
    (re.compile(r"[A-Z][A-Za-z]*(?:Error|Exception)\("), "element_unreadable"),
]
DMN_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"No decisions found"), "dmn_without_decision"),
    (re.compile(r"Multiple decision tables are not current supported"), "dmn_several_decisions"),
    (re.compile(r"Unknown type in decision table: (?P<type>.*)"), "dmn_unknown_type"),
    (re.compile(r"Malformed Output Expression '(?P<text>[^']*)'"), "dmn_malformed_output"),
    (re.compile(r"Element '[^']*'"), "dmn_schema_violation"),
]
# Codes only this module gives: pages show the engine's words beside their sentence.
ENGINE_CODES = (
    frozenset(code for _pattern, code in BPMN_RULES + DMN_RULES)
    | {"decision_reference_missing", "dmn_version_unsupported"}
) - {"flow_without_condition"}


def _classify(
    message: str, rules: list[tuple[re.Pattern[str], str]]
) -> tuple[str, dict[str, str]] | None:
    for pattern, code in rules:
        match = pattern.match(message)
        if match:
            return code, {k: (v or "").strip() for k, v in match.groupdict().items()}
    return None


def _by_id(root: etree._Element | None, element_id: str | None) -> etree._Element | None:
    if root is None or not element_id:
        return None
    found = root.xpath("//*[@id=$id]", id=element_id)
    return found[0] if found else None


def _label(node: etree._Element | None, element_id: str | None, name: str | None) -> str:
    if node is not None:
        return (node.get("name") or "").strip() or str(node.get("id") or "")
    return (name or "").strip() or (element_id or "")


def validation_problem(
    message: str,
    *,
    element_id: str | None,
    name: str | None,
    line: int | None,
    file_name: str | None,
    root: etree._Element | None,
) -> Problem:
    """The parser's ValidationException as a problem: classified when a rule knows it."""
    found = _classify(message, BPMN_RULES)
    if found is None:
        return Problem("invalid_bpmn", message, element_id, file_name, line)
    code, params = found
    node = _by_id(root, element_id)
    if code == "called_process_missing" and node is None and root is not None:
        # The parser names the missing process, not the call activity asking for it.
        calls = root.xpath(
            "//bpmn:callActivity[@calledElement=$p]",
            p=params["process"],
            namespaces={"bpmn": BPMN_NS},
        )
        node = calls[0] if calls else None
        element_id = str(node.get("id")) if node is not None else element_id
    if code == "unknown_data_store" and node is None and root is not None:
        stores = root.xpath(
            "//bpmn:dataStore[@name=$s]", s=params["store"], namespaces={"bpmn": BPMN_NS}
        )
        node = stores[0] if stores else None
        element_id = str(node.get("id")) if node is not None else element_id
    if code == "decision_not_found" and params["decision"] == "None":
        code = "decision_reference_missing"
        asked = node.get(f"{{{CAMUNDA_NS}}}decisionRef") if node is not None else None
        params = {"decision": (asked or "").strip(), "known": params["known"]}
    if line is None and node is not None:
        line = node.sourceline
    params["name"] = _label(node, element_id, name)
    if line is not None:
        params["line"] = str(line)
    return Problem(code, message, element_id, file_name, line, params)


def dmn_problem(exc: Exception, dmn_name: str) -> Problem:
    """A rule table the parser could not read, classified when its failure is known."""
    message = str(exc).split("\n", 1)[0].rstrip(". ")
    if isinstance(exc, etree.XMLSchemaParseError | etree.XPathEvalError):
        # The engine's schema or namespaces for this DMN version do not load: 1.3 is read.
        return Problem("dmn_version_unsupported", f"{dmn_name}: {message}", file_name=dmn_name)
    if isinstance(exc, IndexError):
        return Problem("dmn_without_decision", f"{dmn_name}: {message}", file_name=dmn_name)
    found = _classify(message, DMN_RULES)
    line = getattr(exc, "line_number", None)
    line = int(line) if isinstance(line, int | str) and str(line).isdigit() else None
    if found is None:
        return Problem("invalid_dmn", f"{dmn_name}: {message}", file_name=dmn_name, line=line)
    code, params = found
    if line is not None:
        params["line"] = str(line)
    return Problem(
        code, f"{dmn_name}: {message}", getattr(exc, "id", "") or None, dmn_name, line, params
    )
