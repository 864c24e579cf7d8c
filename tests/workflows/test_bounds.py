"""Hostile timers, cardinalities, rule tables and sizes: refused by the check with the element,
and again at run time when the value comes from task data, each within two seconds."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from tests.workflows.diagrams import lane, process, user_task
from workflows import ProcessRuntimeError, RunningProcess, load_definition
from workflows.bounds import (
    MAX_CARDINALITY,
    MAX_CHAIN_LENGTH,
    MAX_FLOW_ELEMENTS,
    MAX_SUBPROCESS_DEPTH,
    TimerValueError,
    check_timer_value,
    parse_cycle,
    parse_duration,
)
from workflows.checks import check_bundle
from workflows.errors import DiagramError

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"


@contextmanager
def within(seconds: float = 2.0) -> Iterator[None]:
    # CPU time: what the input costs the server, whatever else the machine is running.
    started = time.process_time()
    yield
    elapsed = time.process_time() - started
    assert elapsed < seconds, f"took {elapsed:.2f} s"


def in_lane(body: str) -> str:
    """A process whose people's steps are all in the office's lane."""
    return process(body, lanes=lane("l_office", "office", ["review", "prepare", "vote"]))


def timer_after_review(tag: str, expression: str) -> str:
    """review (a person) -> a timer event `wait` -> end."""
    return in_lane(
        '<bpmn:startEvent id="start"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>'
        + user_task("review")
        + '<bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="wait"/>'
        '<bpmn:intermediateCatchEvent id="wait" name="Chờ">'
        f"<bpmn:timerEventDefinition><bpmn:{tag}>{escape(expression)}</bpmn:{tag}>"
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="end"/>'
        '<bpmn:endEvent id="end"/>'
    )


def boundary_timer(tag: str, expression: str) -> str:
    """review with a boundary timer `late` that ends the process."""
    return in_lane(
        '<bpmn:startEvent id="start"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>'
        + user_task("review")
        + '<bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="done"/>'
        '<bpmn:endEvent id="done"/>'
        '<bpmn:boundaryEvent id="late" attachedToRef="review" cancelActivity="true">'
        f"<bpmn:timerEventDefinition><bpmn:{tag}>{escape(expression)}</bpmn:{tag}>"
        "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        '<bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="escalated"/>'
        '<bpmn:endEvent id="escalated"/>'
    )


def multi_instance(characteristics: str) -> str:
    """prepare (a person) -> vote (parallel multi-instance) -> end."""
    return in_lane(
        '<bpmn:startEvent id="start"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="prepare"/>'
        + user_task("prepare")
        + '<bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="vote"/>'
        '<bpmn:userTask id="vote" name="Bỏ phiếu"><bpmn:extensionElements>'
        "<spiffworkflow:properties>"
        '<spiffworkflow:property name="formJsonSchemaFilename" value="f.json"/>'
        "</spiffworkflow:properties></bpmn:extensionElements>"
        f"<bpmn:multiInstanceLoopCharacteristics>{characteristics}"
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"
        '<bpmn:sequenceFlow id="f3" sourceRef="vote" targetRef="end"/>'
        '<bpmn:endEvent id="end"/>'
    )


BY_CARDINALITY = "<bpmn:loopCardinality>{}</bpmn:loopCardinality>"
BY_COLLECTION = (
    "<bpmn:loopDataInputRef>members</bpmn:loopDataInputRef>"
    '<bpmn:inputDataItem id="member" name="member"/>'
)


def codes(xml: str, dmn: dict[str, str] | None = None) -> set[tuple[str, str | None]]:
    with within():
        result = check_bundle(xml, dmn)
    return {(p.code, p.element_id) for p in result.problems}


# ----- the check: literal values -------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "literal"),
    [
        ("timeDuration", "P99999999Y"),
        ("timeDuration", "P1000000000D"),
        ("timeDuration", "P11Y"),
        ("timeDuration", "PT999999999999H"),
        ("timeDate", "9999-12-31T00:00:00"),
        ("timeDate", "10000-01-01T00:00:00"),
        ("timeDate", "1970-01-01T00:00:00Z"),
        ("timeCycle", "R999999999/PT1S"),
        ("timeCycle", "R/PT1M"),
        ("timeCycle", "R1/P99999999Y"),
        ("timeCycle", "R50/P1Y"),
    ],
)
def test_a_literal_timer_past_the_limits_is_refused_at_its_element(tag, literal):
    assert codes(timer_after_review(tag, f'"{literal}"')) == {("timer_out_of_bounds", "wait")}
    assert codes(boundary_timer(tag, f"'{literal}'")) == {("timer_out_of_bounds", "late")}


@pytest.mark.parametrize(
    ("tag", "literal"),
    [
        ("timeDuration", "soon"),
        ("timeDuration", "P"),
        ("timeDate", "P3D"),
        ("timeDate", "31/12/2025"),
        ("timeCycle", "R3"),
        ("timeCycle", "R3/2025-01-01T00:00:00Z"),
        ("timeCycle", "every day"),
    ],
)
def test_a_literal_timer_that_is_not_iso_8601_is_refused(tag, literal):
    assert codes(timer_after_review(tag, f'"{literal}"')) == {("invalid_timer", "wait")}


@pytest.mark.parametrize(
    ("tag", "expression"),
    [
        ("timeDuration", '"P3D"'),
        ("timeDuration", "'PT0.25S'"),
        ("timeDuration", '"P10Y"'),
        ("timeDate", '"2030-12-31T17:00:00+07:00"'),
        ("timeCycle", '"R2/PT0.1S"'),
        ("timeCycle", '"R3/2025-01-01T09:00:00Z/P1D"'),
        ("timeDuration", "wait_for"),  # from data: bounded at run time
    ],
)
def test_timers_within_the_limits_pass(tag, expression):
    assert codes(timer_after_review(tag, expression)) == set()


def test_a_literal_cardinality_above_the_cap_is_refused():
    assert codes(multi_instance(BY_CARDINALITY.format(50000))) == {
        ("cardinality_too_large", "vote")
    }
    assert codes(multi_instance(BY_CARDINALITY.format(MAX_CARDINALITY))) == set()


def test_a_standard_loop_maximum_above_the_cap_is_refused():
    xml = process(
        '<bpmn:startEvent id="start"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="again"/>'
        '<bpmn:scriptTask id="again"><bpmn:standardLoopCharacteristics loopMaximum="1000000"/>'
        "<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>"
        '<bpmn:sequenceFlow id="f2" sourceRef="again" targetRef="end"/>'
        '<bpmn:endEvent id="end"/>'
    )
    assert codes(xml) == {("cardinality_too_large", "again")}


def _dmn_with(cell: str) -> dict[str, str]:
    text = (BPMN_DIR / "award_rules.dmn").read_text(encoding="utf-8")
    original = "<text>2/3</text></outputEntry>"
    assert original in text
    return {
        "award_rules.dmn": text.replace(original, f"<text>{escape(cell)}</text></outputEntry>", 1)
    }


@pytest.mark.parametrize(
    "cell",
    ["1" + "0" * 400, "1" + "0" * 5000, "0.5" + "1" * 100, '"' + "a" * 5000 + '"', "2" * 31],
)
def test_a_dmn_literal_too_large_is_refused_at_its_rule(cell):
    bpmn = (BPMN_DIR / "award_nomination.bpmn").read_text(encoding="utf-8")
    found = codes(bpmn, _dmn_with(cell))
    assert ("dmn_literal_too_large", "rule_bk_btc") in found
    # Past 4,300 digits SpiffWorkflow's own DMN parser refuses the table too.
    assert {code for code, _ in found} <= {"dmn_literal_too_large", "dmn_gap", "invalid_bpmn"}


def test_a_dmn_literal_of_thirty_digits_passes():
    bpmn = (BPMN_DIR / "award_nomination.bpmn").read_text(encoding="utf-8")
    assert codes(bpmn, _dmn_with("2" * 30)) == set()


# ----- the check: size and shape --------------------------------------------------------------


def linear(steps: int) -> str:
    parts = ['<bpmn:startEvent id="start"/>']
    previous = "start"
    for index in range(steps):
        parts.append(
            f'<bpmn:sequenceFlow id="f{index}" sourceRef="{previous}" targetRef="t{index}"/>'
            f'<bpmn:scriptTask id="t{index}"><bpmn:script>x = {index}</bpmn:script>'
            "</bpmn:scriptTask>"
        )
        previous = f"t{index}"
    parts.append(
        f'<bpmn:sequenceFlow id="fend" sourceRef="{previous}" targetRef="end"/>'
        '<bpmn:endEvent id="end"/>'
    )
    return process("".join(parts))


def nested(depth: int) -> str:
    body = '<bpmn:startEvent id="s{d}"/><bpmn:sequenceFlow id="a{d}" sourceRef="s{d}" '
    body += 'targetRef="e{d}"/><bpmn:endEvent id="e{d}"/>'
    xml = body.format(d=depth)
    for d in range(depth - 1, -1, -1):
        xml = (
            f'<bpmn:startEvent id="s{d}"/>'
            f'<bpmn:sequenceFlow id="a{d}" sourceRef="s{d}" targetRef="sp{d}"/>'
            f'<bpmn:subProcess id="sp{d}">{xml}</bpmn:subProcess>'
            f'<bpmn:sequenceFlow id="b{d}" sourceRef="sp{d}" targetRef="e{d}"/>'
            f'<bpmn:endEvent id="e{d}"/>'
        )
    return process(xml)


def test_a_linear_diagram_within_the_chain_limit_is_checked_and_runs():
    xml = linear(MAX_CHAIN_LENGTH - 2)  # with its start and end events
    with within():
        result = check_bundle(xml)
    assert result.ok, result.problems
    assert result.definition is not None
    with within():
        instance, steps = RunningProcess.start(result.definition, {})
    assert instance.status().completed
    assert len(steps) == MAX_CHAIN_LENGTH


def test_a_500_task_linear_diagram_is_refused_as_too_long_at_the_step_past_the_limit():
    assert codes(linear(500)) == {("diagram_too_long", f"t{MAX_CHAIN_LENGTH - 1}")}


def test_a_3000_task_linear_diagram_is_refused_as_too_large():
    with within():
        result = check_bundle(linear(3000))
    [problem] = result.problems
    assert problem.code == "diagram_too_large"
    assert problem.params == {"count": "6003", "limit": str(MAX_FLOW_ELEMENTS)}
    with pytest.raises(DiagramError) as refused:
        load_definition(linear(3000))
    assert [p.code for p in refused.value.problems] == ["diagram_too_large"]


def test_deeply_nested_subprocesses_are_refused_at_the_first_one_too_deep():
    assert codes(nested(MAX_SUBPROCESS_DEPTH)) == set()
    deepest = f"sp{MAX_SUBPROCESS_DEPTH}"
    assert codes(nested(MAX_SUBPROCESS_DEPTH + 1)) == {("subprocess_too_deep", deepest)}
    # 250 levels: as deep as the XML parser reads at all.
    assert codes(nested(250)) == {("subprocess_too_deep", deepest)}


def test_the_parser_running_out_of_recursion_is_a_problem_not_a_crash():
    """A caller already deep in the stack: SpiffWorkflow's recursive parser hits the limit."""
    xml = linear(MAX_CHAIN_LENGTH - 2)

    def deep(levels: int) -> DiagramError:
        if levels:
            return deep(levels - 1)
        with pytest.raises(DiagramError) as refused:
            load_definition(xml)
        return refused.value

    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    # Leave 200 frames: the parser needs about two per step of the chain.
    error = deep(sys.getrecursionlimit() - depth - 200)
    assert [p.code for p in error.problems] == ["diagram_too_deep"]


def test_an_expression_nested_past_the_parsers_depth_is_refused_not_raised():
    found = codes(timer_after_review("timeDuration", "not " * 3000 + "x"))
    assert found == {("unsafe_expression", "wait")}


# ----- run time: values from task data --------------------------------------------------------


def started(xml: str, **data: object) -> tuple[RunningProcess, str]:
    definition = load_definition(xml)
    instance, _ = RunningProcess.start(definition, dict(data))
    [task] = instance.ready_human_tasks()
    return instance, task.task_id


@pytest.mark.parametrize(
    ("tag", "value"),
    [
        ("timeDuration", "P99999999Y"),
        ("timeDuration", "P1000000000D"),
        ("timeDate", "9999-12-31T00:00:00"),
        ("timeDate", "not a date"),
        ("timeCycle", "R999999999/PT1S"),
        ("timeCycle", "R1/P99999999Y"),
    ],
)
def test_a_timer_computed_from_data_is_bounded_before_the_engine_uses_it(tag, value):
    instance, task_id = started(timer_after_review(tag, "wait_for"))
    with within(), pytest.raises(ProcessRuntimeError) as refused:
        instance.complete(task_id, {"wait_for": value})
    assert refused.value.element_id == "wait"
    assert "timer refused" in str(refused.value)


def test_a_boundary_timer_computed_from_data_at_start_is_refused():
    definition = load_definition(boundary_timer("timeDuration", "wait_for"))
    with within(), pytest.raises(ProcessRuntimeError) as refused:
        RunningProcess.start(definition, {"wait_for": "P99999999Y"})
    assert "'late'" in str(refused.value)


def test_a_timer_from_data_within_the_limits_waits():
    instance, task_id = started(timer_after_review("timeDuration", "wait_for"))
    instance.complete(task_id, {"wait_for": "P3D"})
    due = instance.status().next_timer_at
    assert due is not None
    assert abs(due - (datetime.now(UTC) + timedelta(days=3))) < timedelta(minutes=1)


def test_a_cardinality_from_data_is_bounded():
    instance, task_id = started(multi_instance(BY_CARDINALITY.format("how_many")))
    with within(), pytest.raises(ProcessRuntimeError) as refused:
        instance.complete(task_id, {"how_many": 50000})
    assert refused.value.element_id == "vote"
    instance, task_id = started(multi_instance(BY_CARDINALITY.format("how_many")))
    with pytest.raises(ProcessRuntimeError, match="whole number"):
        instance.complete(task_id, {"how_many": "3"})


def test_a_cardinality_within_the_cap_creates_that_many_instances():
    instance, task_id = started(multi_instance(BY_CARDINALITY.format("how_many")))
    instance.complete(task_id, {"how_many": 3})
    assert [t.element_id for t in instance.ready_human_tasks()] == ["vote"] * 3


def test_an_input_collection_too_large_is_refused_when_the_activity_starts():
    instance, task_id = started(multi_instance(BY_COLLECTION))
    members = [f"m{i}" for i in range(50000)]
    with within(), pytest.raises(ProcessRuntimeError) as refused:
        instance.complete(task_id, {"members": members})
    assert refused.value.element_id == "vote"
    assert "50000 items" in str(refused.value)


def test_an_input_collection_from_a_restored_version_is_bounded_too():
    from workflows.definition import restore_definition
    from workflows.serialization import dump_spec

    xml = multi_instance(BY_COLLECTION)
    parsed = load_definition(xml)
    restored = restore_definition(xml, dump_spec(parsed.spec, parsed.subprocess_specs))
    instance, _ = RunningProcess.start(restored, {})
    [task] = instance.ready_human_tasks()
    with pytest.raises(ProcessRuntimeError):
        instance.complete(task.task_id, {"members": list(range(MAX_CARDINALITY + 1))})
    instance, _ = RunningProcess.start(restored, {})
    [task] = instance.ready_human_tasks()
    instance.complete(task.task_id, {"members": ["a", "b"]})
    assert len(instance.ready_human_tasks()) == 2


# ----- the parsers themselves ---------------------------------------------------------------


def test_durations_are_read_as_spiffworkflow_reads_them():
    assert parse_duration("P3D") == timedelta(days=3)
    assert parse_duration("PT1H30M") == timedelta(hours=1, minutes=30)
    cycle = parse_cycle("R3/2025-01-01T09:00:00Z/P1D")
    assert (cycle.repetitions, cycle.interval) == (3, timedelta(days=1))
    assert cycle.start == datetime(2025, 1, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize("value", ["P" + "9" * 90 + "Y", "R" + "9" * 90 + "/PT1S", 3, None])
def test_the_parsers_refuse_fast(value):
    with within(0.1), pytest.raises(TimerValueError):
        check_timer_value("cycle" if str(value).startswith("R") else "duration", value)


def test_a_rule_table_with_too_many_rules_is_refused_at_its_decision():
    from workflows.bounds import MAX_DMN_RULES

    text = (BPMN_DIR / "award_rules.dmn").read_text(encoding="utf-8")
    rule = text[text.index("<rule ") : text.index("</rule>") + len("</rule>")]
    extra = "".join(
        rule.replace('id="rule_bk_btc', f'id="x{i}_rule').replace('"bk_btc"', f'"f{i}"')
        for i in range(MAX_DMN_RULES)
    )
    bpmn = (BPMN_DIR / "award_nomination.bpmn").read_text(encoding="utf-8")
    too_many = {"award_rules.dmn": text.replace("</decisionTable>", extra + "</decisionTable>")}
    assert codes(bpmn, too_many) == {("dmn_too_large", "award_rules")}
    with pytest.raises(DiagramError) as refused:
        load_definition(bpmn, too_many)
    assert [p.code for p in refused.value.problems] == ["dmn_too_large"]


def test_a_standard_loop_that_never_ends_stops_at_the_cap():
    xml = process(
        '<bpmn:startEvent id="start"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="again"/>'
        '<bpmn:scriptTask id="again"><bpmn:standardLoopCharacteristics>'
        "<bpmn:loopCondition>True</bpmn:loopCondition></bpmn:standardLoopCharacteristics>"
        "<bpmn:script>spin = 0</bpmn:script></bpmn:scriptTask>"
        '<bpmn:sequenceFlow id="f2" sourceRef="again" targetRef="end"/>'
        '<bpmn:endEvent id="end"/>'
    )
    assert codes(xml) == set()
    definition = load_definition(xml)
    with within(), pytest.raises(ProcessRuntimeError) as refused:
        RunningProcess.start(definition, {})
    assert f"at most {MAX_CARDINALITY}" in str(refused.value)
    # The refusal names its element and speaks of the loop, not of Python's exception classes.
    assert refused.value.element_id == "again"
    assert "Error" not in str(refused.value)


def test_a_standard_loop_with_an_ending_condition_runs():
    xml = process(
        '<bpmn:startEvent id="start"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="again"/>'
        '<bpmn:scriptTask id="again"><bpmn:standardLoopCharacteristics>'
        "<bpmn:loopCondition>n &lt; 150</bpmn:loopCondition></bpmn:standardLoopCharacteristics>"
        "<bpmn:script>n = n + 1</bpmn:script></bpmn:scriptTask>"
        '<bpmn:sequenceFlow id="f2" sourceRef="again" targetRef="end"/>'
        '<bpmn:endEvent id="end"/>'
    )
    instance, _ = RunningProcess.start(load_definition(xml), {"n": 0})
    assert instance.status().completed
