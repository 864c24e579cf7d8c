"""Diagram code that tries to escape is refused at check time and cannot run."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.workflows.diagrams import gateway_process, script_process
from workflows import ProcessRuntimeError, RunningProcess, load_definition
from workflows.checks import check_bundle
from workflows.expressions import evaluate
from workflows.scripts import run_script

MARKER = Path(tempfile.gettempdir()) / "award-dossiers-sandbox-marker"

ESCAPES = [
    f"__import__('os').system('touch {MARKER}')",
    "open('/etc/passwd').read()",
    "().__class__.__bases__[0].__subclasses__()",
    "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'catch_warnings']",
    "eval('1+1')",
    "exec('x=1')",
    "getattr(decision, '__class__')",
    "globals()",
    "decision.__class__.__mro__",
    "'{0.__class__}'.format(decision)",
    "type(decision).__subclasses__(type(decision))",
    "vars()",
    "compile('1', 'x', 'eval')",
    "(lambda: 1).__globals__",
    "[x for x in (1,)].__class__",
    "decision.format_map({})",
    "breakpoint()",
]


@pytest.fixture(autouse=True)
def no_marker():
    MARKER.unlink(missing_ok=True)
    yield
    assert not MARKER.exists(), "diagram code ran a shell command"


@pytest.mark.parametrize("payload", ESCAPES)
def test_condition_escape_is_refused_at_check(payload):
    result = check_bundle(gateway_process(payload))
    assert not result.ok
    assert any(
        p.element_id == "to_yes" and p.code == "unsafe_expression" for p in result.problems
    ), result.problems


@pytest.mark.parametrize("payload", ESCAPES)
def test_condition_escape_cannot_run(payload):
    # Skip the check on purpose: the engine itself must refuse, not only the upload check.
    definition = load_definition(gateway_process(payload))
    with pytest.raises(ProcessRuntimeError):
        RunningProcess.start(definition, {"decision": "approve"})


SCRIPT_ESCAPES = [
    *(f"x = {payload}" for payload in ESCAPES),
    "import os\nos.system('id')",
    "from os import system",
    "class A:\n    pass",
    "def f():\n    yield 1",
    "x = decision\nx.__class__",
    "while True:\n    pass",
]


@pytest.mark.parametrize("script", SCRIPT_ESCAPES)
def test_script_escape_is_refused_or_stopped(script):
    result = check_bundle(script_process(script))
    definition = load_definition(script_process(script))
    if "while True" in script:
        assert result.ok  # an endless loop is legal code; the time limit stops it
    else:
        assert any(p.code == "unsafe_script" and p.element_id == "run" for p in result.problems)
    with pytest.raises(ProcessRuntimeError):
        RunningProcess.start(definition, {"decision": "approve"})


def test_benign_condition_and_script_run():
    definition = load_definition(gateway_process("decision == 'approve' and len(items) > 1"))
    process, _ = RunningProcess.start(definition, {"decision": "approve", "items": [1, 2]})
    assert process.status().end_element_id == "yes"
    data: dict = {"items": [3, 1, 2]}
    run_script("ordered = sorted(items)\ntotal = sum(items)\nordered.append(9)", data)
    assert data == {"items": [3, 1, 2], "ordered": [1, 2, 3, 9], "total": 6}


@pytest.mark.parametrize(
    "expression",
    ["'a' * 10**9", "9**9**10**9", "[0] * 10**9", "list(range(10**9))"],
)
def test_resource_exhaustion_is_refused(expression):
    from workflows import UnsafeExpressionError
    from workflows.errors import BudgetExceededError

    # Written with literals, each is certain to break a budget: the audit refuses it.
    with pytest.raises(UnsafeExpressionError):
        evaluate(expression, {})
    # Through the data, the guards refuse it before the operation runs.
    hidden = expression.replace("10**9", "n")
    with pytest.raises(BudgetExceededError):
        evaluate(hidden, {"n": 10**9})


def test_dmn_cell_escape_is_refused_at_check():
    dmn = (Path(__file__).resolve().parents[2] / "bpmn" / "award_rules.dmn").read_text()
    evil = dmn.replace("<text>2/3</text>", "<text>__import__('os').getpid()</text>", 1)
    bpmn = (Path(__file__).resolve().parents[2] / "bpmn" / "award_nomination.bpmn").read_bytes()
    result = check_bundle(bpmn, {"award_rules.dmn": evil})
    assert [p.code for p in result.problems] == ["unsafe_dmn_cell"]
    assert result.problems[0].element_id == "rule_bk_btc"
