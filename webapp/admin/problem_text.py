"""What the checks found, in the reader's language.

The engine layer describes each problem in English, with the names it quotes in `params`. Pages
show a translated title per code and a translated sentence built from those names; the engine's
own words are kept, marked as a technical detail, only where no sentence can say more (a parser's
message, a rule this product does not know).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

PROBLEM_LABELS = {
    "file_too_large": _l("The file is too large"),
    "doctype_refused": _l("The file declares a DOCTYPE or entities and is refused"),
    "not_xml": _l("The file is not well-formed XML"),
    "not_utf8": _l("The file is not UTF-8 text"),
    "not_bpmn": _l("The file is not a BPMN diagram"),
    "invalid_bpmn": _l("The diagram breaks the BPMN rules"),
    "no_executable_process": _l("The diagram has no executable process"),
    "several_processes": _l("The diagram has several processes"),
    "missing_form": _l("A step has no form"),
    "unknown_form": _l("A step uses a form this version does not have"),
    "invalid_form": _l("A form is not a valid JSON Schema"),
    "no_lane": _l("A step is in no lane"),
    "lane_without_role": _l("A lane has no role"),
    "unknown_role": _l("A lane names a role that does not exist"),
    "invalid_time_limit": _l("A step has a time limit that is not a number of days"),
    "time_limit_basis_too_long": _l("A step's time limit has a legal basis that is too long"),
    "invalid_outcome": _l("An end names an outcome that does not exist"),
    "invalid_variable_name": _l("A collection or element variable has an invalid name"),
    "no_default_flow": _l("A gateway has no default flow"),
    "flow_without_condition": _l("A flow leaving a gateway has no condition"),
    "unreachable": _l("An element can never be reached"),
    "dead_end": _l("From an element the process can never end"),
    "unsafe_expression": _l("An expression is refused"),
    "unsafe_script": _l("A script is refused"),
    "unsafe_parameter": _l("A service task parameter is refused"),
    "unknown_operation": _l("A service task calls an unknown operation"),
    "invalid_dmn": _l("A rule table cannot be read"),
    "dmn_gap": _l("A rule table leaves some inputs without a rule"),
    "dmn_overlap": _l("Several rules of a table apply to the same input"),
    "unsafe_dmn_cell": _l("A rule cell is not allowed"),
    "timer_out_of_bounds": _l("A timer goes beyond the allowed limits"),
    "invalid_timer": _l("A timer cannot be read"),
    "cardinality_too_large": _l("A step would repeat too many times"),
    "dmn_literal_too_large": _l("A rule cell holds a value too large"),
    "dmn_too_large": _l("A rule table is too large"),
    "diagram_too_large": _l("The diagram is too large"),
    "diagram_too_long": _l("Too many steps follow one another"),
    "subprocess_too_deep": _l("Subprocesses are nested too deeply"),
    "diagram_too_deep": _l("The diagram is too deep or too long for the engine"),
    "condition_ignored": _l("A condition is on a flow that does not leave a gateway"),
    "default_with_condition": _l("A default flow has a condition"),
}
# The engine's own refusals, classified by workflows/engine_messages.py.
ENGINE_LABELS = {
    "decision_not_found": _l("A step calls a rule table this version does not have"),
    "decision_reference_missing": _l("A step does not name its rule table as the engine reads it"),
    "called_process_missing": _l("A step calls a process that is not in the file"),
    "call_without_process": _l("A call activity names no process"),
    "service_task_without_operator": _l("A service task names no operation"),
    "loop_without_limit": _l("A loop has neither a maximum nor a condition"),
    "multi_instance_without_input": _l("A repeated step has neither a count nor a collection"),
    "multi_instance_two_inputs": _l("A repeated step has both a count and a collection"),
    "cancel_outside_transaction": _l("A cancel event is outside a transaction"),
    "unknown_data_store": _l("A data store is not supported"),
    "definition_without_id": _l("A definition has no identifier"),
    "unknown_message": _l("An event refers to a message that does not exist"),
    "correlation_incomplete": _l("A message correlation is incomplete"),
    "no_start_event": _l("A process has no start event"),
    "unsupported_element": _l("The engine does not support an element"),
    "process_not_executable": _l("A called process is not executable"),
    "duplicate_process": _l("Two processes have the same id"),
    "conditional_event_without_condition": _l("A conditional event has no condition"),
    "timer_unreadable": _l("A timer cannot be read"),
    "unknown_data_reference": _l("A step refers to data that does not exist"),
    "subprocess_start_events": _l("A subprocess needs exactly one start event"),
    "subprocess_without_end": _l("A subprocess has no end event"),
    "script_missing": _l("A script task has no script"),
    "ad_hoc_sequential": _l("An ad hoc subprocess is sequential"),
    "ad_hoc_with_events": _l("An ad hoc subprocess contains start or end events"),
    "several_outgoing_flows": _l("An element has several outgoing flows"),
    "duplicate_id": _l("Two elements have the same id"),
    "schema_violation": _l("The file breaks the BPMN 2.0 schema"),
    "element_unreadable": _l("The engine cannot read an element"),
    "dmn_without_decision": _l("A rule file has no decision table"),
    "dmn_several_decisions": _l("A rule file has several decisions"),
    "dmn_unknown_type": _l("A rule table has an element the engine does not know"),
    "dmn_malformed_output": _l("A rule table output cannot be read"),
    "dmn_schema_violation": _l("A rule file breaks the DMN schema"),
    "dmn_version_unsupported": _l("A rule file uses a DMN version the engine cannot read"),
}
PROBLEM_LABELS.update(ENGINE_LABELS)
# Sentences by code, filled from the problem's params (and its file name as `file`).
SENTENCES = {
    "file_too_large": _l("%(file)s is larger than the size allowed."),
    "doctype_refused": _l(
        "%(file)s declares a DOCTYPE or entities; diagrams never need them, so it is refused."
    ),
    "not_xml": _l("%(file)s is not well-formed XML."),
    "not_utf8": _l("%(file)s is not UTF-8 text."),
    "not_bpmn": _l("%(file)s is not a BPMN 2.0 diagram."),
    "no_executable_process": _l(
        'No process of the file is marked executable (isExecutable="true").'
    ),
    "several_processes": _l(
        "The file has several top-level processes (%(processes)s): keep one, or call the others "
        "from it."
    ),
    "missing_form": _l("The step “%(name)s” has no form."),
    "unknown_form": _l(
        "The step “%(name)s” uses the form “%(form)s”, which this version does not have."
    ),
    "no_lane": _l("The step “%(name)s” is in no lane, so nobody may do it."),
    "lane_without_role": _l("The lane “%(name)s” has no role."),
    "unknown_role": _l("The lane “%(name)s” has the role “%(role)s”, which does not exist."),
    "invalid_time_limit": _l(
        "The step “%(name)s” has the time limit “%(value)s”: write a whole number of working "
        "days from 1 to %(max)s."
    ),
    "time_limit_basis_too_long": _l(
        "The legal basis of the time limit of the step “%(name)s” is longer than %(max)s "
        "characters."
    ),
    "invalid_outcome": _l(
        "The end “%(name)s” has the outcome “%(value)s”, which is none of: %(known)s."
    ),
    "invalid_variable_name": _l(
        "The step “%(name)s” uses “%(value)s” as a collection or element variable: a name has "
        "only letters without diacritics, digits and _, and does not start with a digit."
    ),
    "no_default_flow": _l("The gateway “%(name)s” has no default flow."),
    "flow_without_condition": _l("The flow “%(name)s” leaves a gateway without a condition."),
    "unreachable": _l("“%(name)s” can never be reached."),
    "dead_end": _l("From “%(name)s” the process can never end."),
    "unknown_operation": _l("The operation “%(operation)s” is not one of: %(known)s."),
    "dmn_gap": _l("The table “%(name)s” has no rule for %(inputs)s."),
    "dmn_overlap": _l(
        "The rules “%(first)s” and “%(second)s” of the table “%(name)s” both apply for "
        "%(inputs)s; with the hit policy UNIQUE only one may."
    ),
    "timer_out_of_bounds": _l(
        "The timer “%(text)s” of “%(name)s” goes beyond the limits: a wait of at most "
        "%(years)s years, a date from %(first_year)s to %(last_year)s, a cycle of at most "
        "%(repetitions)s repetitions that ends within %(years)s years."
    ),
    "invalid_timer": _l(
        "The timer “%(text)s” of “%(name)s” cannot be read: write a date "
        "(2030-12-31T17:00:00+07:00), a duration (P3D) or a cycle (R3/P1D)."
    ),
    "cardinality_too_large": _l(
        "“%(name)s” would run %(count)s times; at most %(limit)s are allowed."
    ),
    "dmn_literal_too_large": _l(
        "The cell “%(text)s” holds a value too large: numbers of at most %(digits)s digits, "
        "texts of at most %(chars)s characters."
    ),
    "dmn_too_large": _l(
        "The table “%(name)s” has %(rules)s rules and %(columns)s columns; at most "
        "%(max_rules)s rules and %(max_columns)s columns are allowed."
    ),
    "diagram_too_large": _l(
        "%(file)s has %(count)s elements and flows; at most %(limit)s are allowed."
    ),
    "diagram_too_long": _l(
        "%(count)s steps follow one another up to “%(name)s”; at most %(limit)s may: split "
        "the process into subprocesses."
    ),
    "subprocess_too_deep": _l(
        "“%(name)s” is nested %(count)s subprocesses deep; at most %(limit)s are allowed."
    ),
    "diagram_too_deep": _l(
        "The engine cannot read a diagram this deep or this long: split it into subprocesses."
    ),
    "condition_ignored": _l(
        "The flow “%(name)s” has the condition “%(text)s”, but it leaves “%(source)s”, which is "
        "not an exclusive or inclusive gateway, so the condition is never checked."
    ),
    "default_with_condition": _l(
        "The flow “%(name)s” is the default flow of “%(source)s” and also has the condition "
        "“%(text)s”, which is never checked: remove the condition or make another flow the "
        "default."
    ),
    "invalid_bpmn": _l("The engine cannot use this diagram (see the technical detail)."),
    "invalid_dmn": _l("The engine cannot read the rule file %(file)s (see the technical detail)."),
    "invalid_form": _l("The form %(file)s is refused (see the technical detail)."),
    "decision_not_found": _l(
        "The step “%(name)s” calls the rule table “%(decision)s”, which this version does not "
        "have: add the table or choose another one in the panel."
    ),
    "decision_reference_missing": _l(
        "The step “%(name)s” names the rule table “%(decision)s” the Camunda way "
        "(camunda:decisionRef), which this engine does not read: choose the table in the panel."
    ),
    "called_process_missing": _l(
        "The step “%(name)s” calls the process “%(process)s”, which is not in this file: a step "
        "can only call a process drawn in the same file."
    ),
    "call_without_process": _l("The step “%(name)s” calls a process but does not say which."),
    "service_task_without_operator": _l("The service task “%(name)s” names no operation."),
    "loop_without_limit": _l(
        "The loop “%(name)s” has neither a maximum number of rounds nor a condition to stop."
    ),
    "multi_instance_without_input": _l(
        "“%(name)s” repeats but has neither a count nor a collection to repeat over."
    ),
    "multi_instance_two_inputs": _l(
        "“%(name)s” repeats with both a count and a collection: keep only one of them."
    ),
    "cancel_outside_transaction": _l(
        "The cancel event “%(name)s” may only be used inside a transaction subprocess."
    ),
    "unknown_data_store": _l("The data store “%(store)s” is not supported by this engine."),
    "unknown_message": _l(
        "“%(name)s” refers to the message “%(message)s”, which the file does not define."
    ),
    "correlation_incomplete": _l(
        "The message correlation “%(correlation)s” is incomplete: each of its properties needs "
        "a message and a retrieval expression."
    ),
    "no_start_event": _l("The process “%(name)s” has no start event."),
    "unsupported_element": _l("The engine does not support the element “%(name)s”."),
    "process_not_executable": _l(
        'The process “%(process)s” is not marked executable (isExecutable="true").'
    ),
    "duplicate_process": _l("Two processes of the file have the id “%(process)s”."),
    "conditional_event_without_condition": _l("The conditional event “%(name)s” has no condition."),
    "timer_unreadable": _l(
        "The timer of “%(name)s” cannot be read: write a date (2030-12-31T17:00:00+07:00), a "
        "duration (P3D) or a cycle (R3/P1D)."
    ),
    "unknown_data_reference": _l(
        "“%(name)s” refers to the data “%(data)s”, which the process does not define."
    ),
    "subprocess_start_events": _l(
        "The subprocess “%(name)s” has %(count)s start events; it needs exactly one."
    ),
    "subprocess_without_end": _l("The subprocess “%(name)s” has no end event."),
    "script_missing": _l("The script task “%(name)s” has no script."),
    "ad_hoc_sequential": _l(
        "The ad hoc subprocess “%(name)s” is sequential, which the engine does not support."
    ),
    "ad_hoc_with_events": _l(
        "The ad hoc subprocess “%(name)s” contains start or end events, which it may not."
    ),
    "several_outgoing_flows": _l(
        "“%(name)s” has several outgoing flows, which this kind of element cannot have: add a "
        "gateway after it."
    ),
    "duplicate_id": _l("Two elements of the file share the id “%(target)s”."),
    "schema_violation": _l("%(file)s does not follow the BPMN 2.0 schema at line %(line)s."),
    "element_unreadable": _l("The engine cannot read the element “%(name)s”."),
    "dmn_without_decision": _l("The rule file %(file)s has no decision table the engine can read."),
    "dmn_several_decisions": _l(
        "The rule file %(file)s has several decisions; the engine reads one decision table per "
        "file."
    ),
    "dmn_unknown_type": _l("The rule file %(file)s has an element the engine does not know."),
    "dmn_malformed_output": _l("The output “%(text)s” of the rule file %(file)s cannot be read."),
    "dmn_schema_violation": _l(
        "The rule file %(file)s does not follow the DMN schema at line %(line)s."
    ),
    "dmn_version_unsupported": _l(
        "The rule file %(file)s uses a DMN version or namespace the engine cannot read: save it "
        "as DMN 1.3."
    ),
}
# The sentence when a param the usual one quotes is empty: (param, sentence).
WITHOUT = {
    "decision_reference_missing": (
        "decision",
        _l("The step “%(name)s” names no rule table: choose one in the panel."),
    ),
    "schema_violation": ("line", _l("%(file)s does not follow the BPMN 2.0 schema.")),
    "dmn_schema_violation": ("line", _l("The rule file %(file)s does not follow the DMN schema.")),
    "unknown_message": (
        "name",
        _l("An event refers to the message “%(message)s”, which the file does not define."),
    ),
    "element_unreadable": ("name", _l("The engine cannot read an element of the diagram.")),
}
# A definition without an identifier, by the kind the engine names in English.
DEFINITIONS = {
    "Message": _l("A message defined in the file has no identifier."),
    "Signal": _l("A signal defined in the file has no identifier."),
    "Error": _l("An error defined in the file has no identifier."),
    "Escalation": _l("An escalation defined in the file has no identifier."),
    "Correlation": _l("A message correlation defined in the file has no identifier."),
    "Data Store": _l("A data store defined in the file has no identifier or no name."),
}
# Problems whose message is the engine's or a parser's own words, shown as a technical detail.
TECHNICAL = set(ENGINE_LABELS) | {
    "invalid_bpmn",
    "invalid_dmn",
    "invalid_form",
    "not_xml",
}
REFUSED = {
    "unsafe_expression": _l("The expression “%(text)s” is refused: %(reason)s."),
    "unsafe_script": _l("The script “%(text)s” is refused: %(reason)s."),
    "unsafe_parameter": _l("The parameter “%(text)s” is refused: %(reason)s."),
    "unsafe_dmn_cell": _l("The cell “%(text)s” is refused: %(reason)s."),
}
REFUSED_WITHOUT_REASON = {
    "unsafe_expression": _l("The expression “%(text)s” is refused."),
    "unsafe_script": _l("The script “%(text)s” is refused."),
    "unsafe_parameter": _l("The parameter “%(text)s” is refused."),
    "unsafe_dmn_cell": _l("The cell “%(text)s” is refused."),
}
# The restricted environment's reasons (workflows/sandbox_policy.py, expressions.py).
REASONS = [
    (re.compile(r"imports are not allowed"), _l("imports are not allowed")),
    (
        re.compile(r"attribute '(?P<name>[^']*)' is not allowed \(names starting with _\)"),
        _l("the attribute “%(name)s” is not allowed (names starting with _)"),
    ),
    (
        re.compile(r"name '(?P<name>[^']*)' is not allowed \(names starting with _\)"),
        _l("the name “%(name)s” is not allowed (names starting with _)"),
    ),
    (
        re.compile(r"name '(?P<name>[^']*)' is not allowed"),
        _l("the name “%(name)s” is not allowed"),
    ),
    (
        re.compile(r"function '(?P<name>[^']*)' is not available"),
        _l("the function “%(name)s” is not available"),
    ),
    (
        re.compile(r"method '(?P<name>[^']*)' is not allowed"),
        _l("the method “%(name)s” is not allowed"),
    ),
    (
        re.compile(r"(?P<name>\w+) statements are not allowed"),
        _l("%(name)s statements are not allowed"),
    ),
    (
        re.compile(r"generators and await are not allowed"),
        _l("generators and await are not allowed"),
    ),
    (re.compile(r"literal too long"), _l("a literal is too long")),
    (
        re.compile(r"not available in expressions: (?P<name>.*)"),
        _l("not available in expressions: %(name)s"),
    ),
    # The size guards' refusals (workflows/guards.py), quoting the part they refused first;
    # "the limit is N" comes as its own part, after "; ".
    (
        re.compile(r".* would make a number of about (?P<count>[\d,]+) bits"),
        _l("the result would be a number of about %(count)s bits"),
    ),
    (
        re.compile(r".* would make (?P<count>[\d,]+) characters"),
        _l("the result would be %(count)s characters long"),
    ),
    (
        re.compile(r".* would make (?P<count>[\d,]+) elements"),
        _l("the result would have %(count)s elements"),
    ),
    (re.compile(r"the limit is (?P<limit>[\d,]+)"), _l("the limit is %(limit)s")),
    (
        re.compile(r"(?:.*: )?a width or precision above (?P<limit>\d+) is not allowed"),
        _l("a width or precision above %(limit)s is not allowed"),
    ),
    (
        re.compile(r"(?:.*: )?this number is too long to be written as text .*"),
        _l("a number is too long to be written as text (more than 4,300 digits)"),
    ),
    (
        re.compile(r"(?:.*: )?range\(\) is limited to (?P<limit>[\d,]+) numbers"),
        _l("range() is limited to %(limit)s numbers"),
    ),
    (
        re.compile(r"(?:.*: )?too large a number|(?:.*: )?this power is too large a number"),
        _l("the result is too large a number"),
    ),
    (
        re.compile(r"longer than (?P<limit>[\d,]+) characters"),
        _l("the text is longer than %(limit)s characters"),
    ),
    (
        re.compile(r"nested more than (?P<limit>\d+) levels deep"),
        _l("it is nested more than %(limit)s levels deep"),
    ),
    (
        re.compile(r"except must name the errors it catches, among: (?P<names>.*)"),
        _l("except must name the errors it catches, among: %(names)s"),
    ),
    (
        re.compile(r"a format specification must be written out, not computed"),
        _l("a format specification must be written out, not computed"),
    ),
    (
        re.compile(
            r"(?:not a valid expression: )?too complex or nested too deeply"
            r"|the expression is nested too deeply"
        ),
        _l("it is too complex or nested too deeply"),
    ),
]
# Python's own syntax errors: a sentence says where, the parser's words are the detail.
SYNTAX = [
    (
        re.compile(r"not a valid expression: (?P<detail>.*)", re.S),
        _l("it is not a valid expression"),
    ),
    (
        re.compile(r"line (?P<line>\d+): (?P<detail>.*)", re.S),
        _l("line %(line)s is not valid Python"),
    ),
]


def problem_label(code: str) -> str:
    """A short, translated title for a problem code."""
    label = PROBLEM_LABELS.get(code)
    return str(label) if label is not None else _("Problem (%(code)s)", code=code)


def _reason_text(reason: str) -> str | None:
    """The restricted environment's reasons, translated; None when one of them is unknown."""
    parts = []
    for part in reason.split("; "):
        for pattern, message in REASONS:
            match = pattern.fullmatch(part)
            if match:
                parts.append(
                    str(message) % match.groupdict() if match.groupdict() else str(message)
                )
                break
        else:
            return None
    return "; ".join(parts)


def _fill(template: Any, values: Mapping[str, str]) -> str | None:
    try:
        return str(template) % values
    except (KeyError, TypeError, ValueError):
        return None  # a problem stored before it had these params


def problem_text(problem: Mapping[str, Any]) -> tuple[str, str]:
    """(sentence in the page's language, technical detail in the engine's words or "")."""
    code = str(problem.get("code"))
    message = str(problem.get("message") or "")
    values = {"file": str(problem.get("file") or ""), **(problem.get("params") or {})}
    if code in REFUSED:
        reason = _reason_text(str(values.get("reason", "")))
        if reason is not None:
            sentence = _fill(REFUSED[code], {**values, "reason": reason})
            return (sentence, "") if sentence else ("", message)
        raw = str(values.get("reason", message))
        for pattern, said in SYNTAX:
            syntax = pattern.fullmatch(raw)
            if syntax:
                said_text = str(said) % {
                    k: v for k, v in syntax.groupdict().items() if k != "detail"
                }
                sentence = _fill(REFUSED[code], {**values, "reason": said_text})
                return (sentence, syntax.group("detail")) if sentence else ("", message)
        sentence = _fill(REFUSED_WITHOUT_REASON[code], values)
        return (sentence, raw) if sentence else ("", message)
    template = SENTENCES.get(code)
    if code in WITHOUT and not values.get(WITHOUT[code][0]):
        template = WITHOUT[code][1]
    if code == "definition_without_id":
        template = DEFINITIONS.get(str(values.get("kind")))
    sentence = _fill(template, values) if template is not None else None
    if sentence is None:
        return "", message
    if code not in TECHNICAL:
        return sentence, ""
    # The parser's own message says where a malformed file breaks.
    return sentence, (str(values.get("reason", message)) if code == "not_xml" else message)


def described(problems: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Problems with their translated `label`, `sentence` and `technical` detail, for pages."""
    result = []
    for problem in problems:
        sentence, technical = problem_text(problem)
        result.append(
            {
                **problem,
                "label": problem_label(str(problem.get("code"))),
                "sentence": sentence,
                "technical": technical,
            }
        )
    return result
