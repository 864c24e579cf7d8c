"""The pre-deploy check lists every problem at once, each with its element."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.workflows.diagrams import HEAD, lane, process, user_task
from workflows.checks import check_bundle

ROLES = {"office", "director"}


def _corpus_dir() -> Path:
    """SpiffWorkflow's own test diagrams, kept beside the repository (never copied into it)."""
    candidates = [
        os.environ.get("CORPUS_DIR"),
        Path(__file__).resolve().parents[3] / "shared" / "corpus" / "spiffworkflow-tests",
        "/work/shared/corpus/spiffworkflow-tests",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return Path("../shared/corpus/spiffworkflow-tests")


CORPUS = _corpus_dir()

BROKEN = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>'
    + user_task("review", form="missing.json")
    + '<bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="gw"/>'
    '<bpmn:exclusiveGateway id="gw"/>'
    '<bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="sign">'
    '<bpmn:conditionExpression>__import__("os").getpid() > 0</bpmn:conditionExpression>'
    "</bpmn:sequenceFlow>"
    '<bpmn:sequenceFlow id="f4" sourceRef="gw" targetRef="end">'
    "<bpmn:conditionExpression>True</bpmn:conditionExpression></bpmn:sequenceFlow>"
    + user_task("sign", form=None)
    + '<bpmn:sequenceFlow id="f5" sourceRef="sign" targetRef="loop"/>'
    '<bpmn:exclusiveGateway id="loop" default="f6"/>'
    '<bpmn:sequenceFlow id="f6" sourceRef="loop" targetRef="sign"/>'
    '<bpmn:endEvent id="end"/>' + user_task("orphan"),
    lanes=lane("l_office", "office", ["start", "review", "gw", "end"])
    + lane("l_deputy", "deputy_director", ["sign", "loop", "orphan"]),
)


def test_every_problem_is_listed_with_its_element():
    result = check_bundle(BROKEN, forms={"f.json"}, known_roles=ROLES)
    found = {(p.code, p.element_id) for p in result.problems}
    assert found == {
        ("unknown_form", "review"),
        ("unsafe_expression", "f3"),
        ("no_default_flow", "gw"),
        ("missing_form", "sign"),
        ("unknown_role", "l_deputy"),
        ("unreachable", "orphan"),
        ("dead_end", "sign"),
        ("dead_end", "loop"),
    }
    assert not result.ok
    assert all(p.line for p in result.problems)


def test_the_shipped_diagram_passes():
    bpmn = Path(__file__).resolve().parents[2] / "bpmn"
    forms = {p.name for p in (bpmn / "forms").glob("*.json")}
    result = check_bundle(
        (bpmn / "award_nomination.bpmn").read_bytes(),
        {"award_rules.dmn": (bpmn / "award_rules.dmn").read_bytes()},
        forms=forms,
        known_roles={
            "unit_officer",
            "unit_head",
            "office",
            "council_member",
            "council_chair",
            "director",
            "ministry_officer",
            "minister",
        },
    )
    assert result.problems == []
    assert result.ok


CORPUS_FILES = sorted(CORPUS.rglob("*.bpmn")) if CORPUS.is_dir() else []


def test_the_corpus_is_present():
    assert len(CORPUS_FILES) >= 100


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_files_give_a_definition_or_problems(path):
    dmn = {d.name: d.read_bytes() for d in path.parent.rglob("*.dmn")}
    result = check_bundle(path.read_bytes(), dmn, file_name=path.name)
    assert result.ok or result.problems
    for problem in result.problems:
        assert problem.message


def _gateway(flows: str, default: str | None = None) -> str:
    dflt = f' default="{default}"' if default else ""
    return process(
        '<bpmn:startEvent id="start"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>'
        f'<bpmn:exclusiveGateway id="gw" name="Quyết định"{dflt}/>'
        + flows
        + '<bpmn:endEvent id="yes"/><bpmn:endEvent id="no"/>'
    )


def test_a_condition_the_engine_would_ignore_is_a_problem():
    on_default = _gateway(
        '<bpmn:sequenceFlow id="to_yes" name="Đồng ý" sourceRef="gw" targetRef="yes">'
        "<bpmn:conditionExpression>decision == 'approve'</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="to_no" name="Trả lại" sourceRef="gw" targetRef="no">'
        "<bpmn:conditionExpression>decision == 'return'</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow>",
        default="to_no",
    )
    [problem] = check_bundle(on_default).problems
    assert (problem.code, problem.element_id) == ("default_with_condition", "to_no")
    assert dict(problem.params) == {
        "name": "Trả lại",
        "source": "Quyết định",
        "text": "decision == 'return'",
    }
    after_a_task = process(
        '<bpmn:startEvent id="start"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="t"/>'
        '<bpmn:scriptTask id="t" name="Tính điểm"><bpmn:script>x = 1</bpmn:script>'
        "</bpmn:scriptTask>"
        '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="end">'
        "<bpmn:conditionExpression>x == 1</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:endEvent id="end"/>'
    )
    [problem] = check_bundle(after_a_task).problems
    assert (problem.code, problem.element_id) == ("condition_ignored", "f2")
    assert problem.params["source"] == "Tính điểm"


def test_a_flow_without_condition_is_listed_once_though_the_engine_refuses_it_too():
    result = check_bundle(
        _gateway(
            '<bpmn:sequenceFlow id="to_yes" sourceRef="gw" targetRef="yes"/>'
            '<bpmn:sequenceFlow id="to_no" sourceRef="gw" targetRef="no"/>',
            default="to_no",
        )
    )
    assert [(p.code, p.element_id) for p in result.problems] == [
        ("flow_without_condition", "to_yes")
    ]


CAMUNDA_RULE_TASK = (
    HEAD.replace(
        "<bpmn:definitions ",
        '<bpmn:definitions xmlns:camunda="http://camunda.org/schema/1.0/bpmn" ',
    )
    + '<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="start"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="rules"/>'
    '<bpmn:businessRuleTask id="rules" name="Xét mức thưởng" camunda:decisionRef="award_rules"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="rules" targetRef="end"/><bpmn:endEvent id="end"/>'
    "</bpmn:process></bpmn:definitions>"
)


def test_the_engines_refusals_are_classified_with_the_names_they_quote():
    [camunda] = check_bundle(CAMUNDA_RULE_TASK).problems
    assert (camunda.code, camunda.element_id, camunda.line) == (
        "decision_reference_missing",
        "rules",
        3,
    )
    assert camunda.params["name"] == "Xét mức thưởng"
    assert camunda.params["decision"] == "award_rules"
    assert camunda.message.startswith('No DMN Diagram available with id "None"')
    spiff = (
        CAMUNDA_RULE_TASK.replace('camunda:decisionRef="award_rules"', "")
        .replace("</bpmn:businessRuleTask>", "")
        .replace(
            '/><bpmn:sequenceFlow id="f2"',
            "><bpmn:extensionElements><spiffworkflow:calledDecisionId>nope"
            "</spiffworkflow:calledDecisionId></bpmn:extensionElements></bpmn:businessRuleTask>"
            '<bpmn:sequenceFlow id="f2"',
            1,
        )
    )
    [missing] = check_bundle(spiff).problems
    assert (missing.code, missing.params["decision"]) == ("decision_not_found", "nope")


def test_a_rule_file_the_engine_cannot_read_is_a_problem_not_a_crash():
    # A DMN 1.3 file whose decision is not where the engine looks for it (no dmn:decision).
    empty = (
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" '
        'namespace="x"/>'
    )
    bpmn = Path(__file__).resolve().parents[2] / "bpmn"
    result = check_bundle((bpmn / "award_nomination.bpmn").read_bytes(), {"empty.dmn": empty})
    assert [(p.code, p.file_name) for p in result.problems] == [
        ("dmn_without_decision", "empty.dmn")
    ]


# SpiffWorkflow 3.2's own validation messages (bpmn/parser, spiff/parser), as it words them.
ENGINE_MESSAGES = [
    ("Non-default exclusive outgoing sequence flow without condition", "flow_without_condition"),
    ('No DMN Diagram available with id "rules", Available DMN ids are: a', "decision_not_found"),
    (
        "The process 'sub' was not found. Did you mean one of the following: main?",
        "called_process_missing",
    ),
    ('No "calledElement" attribute for Call Activity', "call_without_process"),
    ("A Service Task must have an operator", "service_task_without_operator"),
    ("A loopMaximum or loopCondition must be specified for Loop Tasks", "loop_without_limit"),
    (
        "A multiinstance task must specify a cardinality or a loop input data reference",
        "multi_instance_without_input",
    ),
    (
        "A multiinstance task must specify exactly one of cardinality or loop input data reference",
        "multi_instance_two_inputs",
    ),
    ("Cancel Events may only be used with transactions", "cancel_outside_transaction"),
    ("Data Store with name Store has no implementation", "unknown_data_store"),
    ("Signal identifier is missing from bpmn xml", "definition_without_id"),
    ("Could not find messageRef from message event definition: m1", "unknown_message"),
    (
        "Correlation is missing correlation property retrieval expressions: c1",
        "correlation_incomplete",
    ),
    ("No start event found", "no_start_event"),
    ("There is no support implemented for this task type", "unsupported_element"),
    ("Process sub is not executable", "process_not_executable"),
    ("Duplicate process ID: main", "duplicate_process"),
    ("Conditional event definition with missing condition", "conditional_event_without_condition"),
    ("Time Specification Error. bad", "timer_unreadable"),
    ("Cannot resolve dataInputAssociation d1", "unknown_data_reference"),
    (
        "Exactly one start event is required in a SubWorkflow Task; found 2",
        "subprocess_start_events",
    ),
    ("A SubWorkflow Must contain an End event", "subprocess_without_end"),
    ("Invalid Script Task.  No Script Provided. x", "script_missing"),
    ("Sequential ordering for ad hoc subprocesses not supported", "ad_hoc_sequential"),
    ("Ad hoc subprocesses may not contain start or end events", "ad_hoc_with_events"),
    ("Multiple outgoing flows are not supported for tasks of type", "several_outgoing_flows"),
    (
        "When looking for a task spec, we found two items, perhaps a form has the same ID? (t1)",
        "duplicate_id",
    ),
    ("Element '{x}task', attribute 'id': 'a b' is not a valid value", "schema_violation"),
    ("KeyError('x')", "element_unreadable"),
    ("Something SpiffWorkflow will say one day", "invalid_bpmn"),
]


@pytest.mark.parametrize(("message", "code"), ENGINE_MESSAGES)
def test_each_engine_message_is_classified(message, code):
    from workflows.engine_messages import validation_problem

    problem = validation_problem(
        message.rstrip(". "), element_id="t1", name="Bước", line=7, file_name="d.bpmn", root=None
    )
    assert (problem.code, problem.element_id, problem.line) == (code, "t1", 7)
    assert problem.message == message.rstrip(". ")
    if code != "invalid_bpmn":
        assert problem.params["name"] == "Bước"


def test_a_gateway_with_one_conditional_flow_and_no_default_is_a_problem():
    result = check_bundle(
        _gateway(
            '<bpmn:sequenceFlow id="to_yes" sourceRef="gw" targetRef="yes">'
            "<bpmn:conditionExpression>decision == 'approve'</bpmn:conditionExpression>"
            "</bpmn:sequenceFlow>"
        )
    )
    assert ("no_default_flow", "gw") in {(p.code, p.element_id) for p in result.problems}
