"""Hostile diagram code is refused before it can freeze or exhaust a worker.

Every case of the corpus runs through the real engine (SpiffWorkflow with the restricted script
engine): a gateway condition or a script task. Each must be refused, at check time when a
literal makes the refusal certain or else at run time with a budget error naming the element,
within 2 s, and nothing may be left behind. Ordinary expressions and scripts keep working.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.workflows.diagrams import HEAD, gateway_process, script_process
from workflows import ProcessRuntimeError, RunningProcess, load_definition
from workflows import budget as turn_budget
from workflows.checks import check_bundle
from workflows.errors import BudgetExceededError, UnsafeExpressionError
from workflows.expressions import check_expression, evaluate
from workflows.scripts import check_script, run_script

# The task data every hostile case runs with: innocent values an author could have put there.
DATA: dict[str, Any] = {
    "decision": "approve",
    "n": 10,
    "one": 1,
    "big": 10**9,
    "w": 999_999_999,
    "huge": 2**90_000,
    "long_text": "a" * 10_000,
    "digits": "1" * 5_000,
    "fmt": "%0999999999d",
    "numbers": list(range(100_000)),
}

# (expression, refused at check time): the check can only be certain when the parts are literals.
HOSTILE_EXPRESSIONS: list[tuple[str, bool]] = [
    ("10 ** 10 ** 10", True),
    ("9 ** 9 ** 9 ** 9", True),
    ("n ** n ** n", False),
    ("big ** big", False),
    ("huge * huge", False),
    ("huge ** 2", False),
    ("1 << 10 ** 9", True),
    ("one << big", False),
    ('"x" * 10 ** 9', True),
    ("[0] * 10 ** 9", True),
    ("decision * big", False),
    ('"%0999999999d" % 1', True),
    ('"%.999999999f" % 1.0', True),
    ('"%0*d" % (w, 1)', False),
    ("fmt % 1", False),
    ('f"{decision:>999999999}"', True),
    ('f"{decision:>{w}}"', True),
    ('long_text.replace("a", long_text)', False),
    ('(long_text * 90).replace("a", "aaaa")', False),
    ('",".join([long_text] * 1000)', False),
    ('"".join(str(i) for i in numbers) * 100', False),
    ("str(huge)", False),
    ("str(10 ** 5000)", True),
    ("int(digits)", False),
    ("str([long_text] * 100000)", False),
    ("[[0] * 100000 for i in range(10000)]", False),
    ("[long_text * 100 for i in range(10000)]", False),
    ("len([x for x in range(10000) for y in range(10000)])", False),
    ("sum([[0] * 1000] * 100000, [])", True),
    ("sum([[0] * 1000] * n * 10000, [])", False),
    ("sorted(range(10 ** 9))", True),
    ("round(1, -10 ** 9)", True),
    ("round(one, -big)", False),
    ("[-1 in numbers for i in range(10000)]", False),
    ("[numbers[:] for i in range(10000)]", False),
    ("[numbers[::-1] for i in range(10000)]", False),
    ("[" * 150 + "1" + "]" * 150, True),
    ("-" * 5000 + "1", True),
    ("1+" * 3000 + "1", True),
]

HOSTILE_SCRIPTS: list[tuple[str, bool]] = [
    ("while True:\n    pass", False),
    ("def f(n):\n    return f(n + 1)\nx = f(0)", False),
    ("a = []\na.append(a)", False),
    ("d = {}\nd['self'] = d", False),
    ("x = 10 ** 10 ** 10", True),
    ("m = 10\nx = m ** m ** m", False),
    ('x = "%0999999999d" % 1', True),
    ('width = 999999999\nx = "%0*d" % (width, 1)', False),
    ('x = f"{1:>999999999}"', True),
    ('s = "ab"\nwhile True:\n    s = s + s', False),
    ('s = "a" * 1000\nwhile True:\n    s = s.replace("a", "aa")', False),
    ("x = [[0] * 100000 for i in range(100000)]", False),
    ("d = {}\ni = 0\nwhile True:\n    d[i] = i\n    i += 1", False),
    ("x = []\nfor i in range(1000):\n    x = [x]", False),
    ('x = ["a" * 100000 for i in range(20)]', False),
    ("x = 2 ** 99999\ny = str(x)", False),
    ('x = ",".join(["a" * 10000] * 1000)', True),
    ('part = "a" * 10000\nx = ",".join([part] * 1000)', False),
    ("x = [1] * 100000\nfor i in range(100):\n    x.extend(x)", False),
    ("t = ()\nwhile True:\n    t = (t, t)", False),
    (
        "m = 10\nwhile True:\n    try:\n        x = m ** m ** m\n    except ValueError:\n"
        "        pass",
        False,
    ),
    ("try:\n    x = 1\nexcept:\n    pass", True),
    ("try:\n    while True:\n        pass\nfinally:\n    while True:\n        pass", True),
    ("x = " + "[" * 150 + "1" + "]" * 150, True),
    ("x = list(range(10 ** 9))", True),
    ("x = [0] * 99999\ny = [x] * 99999\nz = str(y)", False),
    ("x = []\nfor i in range(1000):\n    x.append(numbers[:])", False),
]


def _run(kind: str, text: str) -> ProcessRuntimeError:
    bpmn = gateway_process(text) if kind == "expression" else script_process(text)
    definition = load_definition(bpmn)  # no check on purpose: the engine itself must refuse
    with pytest.raises(ProcessRuntimeError) as caught:
        RunningProcess.start(definition, dict(DATA))
    return caught.value


def run_hostile(kind: str, text: str) -> str:
    """Run one case through the engine; say how it was refused (for bench/budgets.py)."""
    bpmn = gateway_process(text) if kind == "expression" else script_process(text)
    try:
        RunningProcess.start(load_definition(bpmn), dict(DATA))
    except ProcessRuntimeError as exc:
        return f"{type(exc).__name__}: {exc}"
    return "NOT REFUSED"


@pytest.fixture(autouse=True)
def default_limits():
    turn_budget.configure(turn_budget.DEFAULT_LIMITS)
    yield
    turn_budget.configure(turn_budget.DEFAULT_LIMITS)


@pytest.mark.parametrize(("expression", "at_check"), HOSTILE_EXPRESSIONS)
def test_hostile_condition_is_refused_quickly(expression, at_check):
    reason = check_expression(expression)
    assert (reason is not None) == at_check, reason
    if at_check:
        problems = check_bundle(gateway_process(expression)).problems
        assert any(p.code == "unsafe_expression" and p.element_id == "to_yes" for p in problems)
    # CPU time: what the input costs the server, whatever else the machine is running.
    began = time.process_time()
    error = _run("expression", expression)
    assert time.process_time() - began < 2
    if not at_check:
        assert isinstance(error, BudgetExceededError), error
        assert error.element_id == "gw", error.element_id


@pytest.mark.parametrize(("script", "at_check"), HOSTILE_SCRIPTS)
def test_hostile_script_is_refused_quickly(script, at_check):
    reason = check_script(script)
    assert (reason is not None) == at_check, reason
    if at_check:
        problems = check_bundle(script_process(script)).problems
        assert any(p.code == "unsafe_script" and p.element_id == "run" for p in problems)
    # CPU time: what the input costs the server, whatever else the machine is running.
    began = time.process_time()
    error = _run("script", script)
    assert time.process_time() - began < 2
    if not at_check:
        assert isinstance(error, BudgetExceededError), error
        assert error.element_id == "run", error.element_id


def test_the_corpus_is_large_enough():
    assert len(HOSTILE_EXPRESSIONS) + len(HOSTILE_SCRIPTS) >= 25


BENIGN_EXPRESSIONS = [
    ('decision == "approve" and len(items) > 1', True),
    ('f"{n:>5}|{decision!r}|{3.14159:.2f}"', "   10|'approve'|3.14"),
    ('"%05d-%s" % (n, decision)', "00010-approve"),
    ('"%(a)s" % {"a": decision}', "approve"),
    ('decision.replace("pp", "P")', "aProve"),
    ('", ".join(sorted(["b", "a"]))', "a, b"),
    ("sum(items) + max(items) - min(items)", 11),
    ("sum([[1], [2]], [])", [1, 2]),
    ("2 ** 64 * 3 << 2", 2**64 * 3 << 2),
    ("str(2 ** 100)", str(2**100)),
    ("int('42') + round(2.5) + round(1234, -2)", 1244),
    ("[i * i for i in range(5)]", [0, 1, 4, 9, 16]),
    ("{k: v for k, v in zip('ab', (1, 2))}", {"a": 1, "b": 2}),
    ("list(range(3)) + [9] * 2", [0, 1, 2, 9, 9]),
    ("dict(a=1) == {'a': 1} and set([1, 1]) == {1} and tuple([1]) == (1,)", True),
    ("'x' * 0 + 'y' * -1", ""),
    ("items[1:] + items[:1] + [items[-1]]", [1, 4, 3, 4]),
]


@pytest.mark.parametrize(("expression", "expected"), BENIGN_EXPRESSIONS)
def test_ordinary_expressions_are_unaffected(expression, expected):
    assert check_expression(expression) is None
    assert evaluate(expression, {"decision": "approve", "n": 10, "items": [3, 1, 4]}) == expected


def test_ordinary_script_runs_and_may_catch_its_own_errors():
    script = (
        "total = 0\n"
        "for item in items:\n"
        "    total += item\n"
        "ordered = sorted(items)\n"
        "ordered.append(9)\n"
        "label = f\"{total:03d}\" + '%s' % decision\n"
        "try:\n"
        "    ratio = total / 0\n"
        "except (ZeroDivisionError, ValueError):\n"
        "    ratio = None\n"
        "index = {str(i): i for i in items}\n"
    )
    assert check_script(script) is None
    data: dict[str, Any] = {"items": [3, 1, 2], "decision": "ok"}
    run_script(script, data)
    assert data["total"] == 6
    assert data["ordered"] == [1, 2, 3, 9]
    assert data["label"] == "006ok"
    assert data["ratio"] is None
    assert data["index"] == {"3": 3, "1": 1, "2": 2}


def test_a_budget_error_caught_inside_the_turn_still_fails_it():
    with turn_budget.turn() as turn:
        with pytest.raises(BudgetExceededError):
            evaluate("n ** n ** n", {"n": 10})
        with pytest.raises(BudgetExceededError):
            evaluate("1 + 1", {})  # the turn stays broken
        assert turn.broken is not None
    assert evaluate("1 + 1", {}) == 2  # a new turn starts afresh


def _scripts_in_a_row(script: str, count: int) -> bytes:
    tasks = "".join(
        f'<bpmn:scriptTask id="s{i}"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>'
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="{"start" if i == 0 else f"s{i - 1}"}" '
        f'targetRef="s{i}"/>'
        for i in range(count)
    )
    return (
        HEAD
        + '<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="start"/>'
        + tasks
        + f'<bpmn:sequenceFlow id="f_end" sourceRef="s{count - 1}" targetRef="end"/>'
        + '<bpmn:endEvent id="end"/></bpmn:process></bpmn:definitions>'
    ).encode()


def _cpu_time_of(script: str) -> float:
    """CPU time of a turn that runs `script` once (under the same tracing as three)."""
    definition = load_definition(script_process(script))
    turn_budget.configure(turn_budget.TurnLimits(cpu_seconds=60, call_seconds=60, wall_seconds=60))
    began = time.thread_time()
    RunningProcess.start(definition, {})
    return time.thread_time() - began


def test_the_cpu_budget_is_shared_by_every_script_of_a_turn():
    script = "x = 0\nfor i in range(100000):\n    x += i"
    one = min(_cpu_time_of(script) for _ in range(3))  # the first run also warms caches
    definition = load_definition(_scripts_in_a_row(script, 6))
    # Six scripts of `one` each against a turn of 2.5 * one: the first alone stays within it
    # unless this machine slows 2.5 times mid-test, the six together exceed it unless it
    # speeds up 2.4 times. Which later script breaks it follows the machine's speed, so the
    # test asserts only what shows sharing: the turn failed, and not on its first script.
    turn_budget.configure(
        turn_budget.TurnLimits(cpu_seconds=2.5 * one, call_seconds=10 * one, wall_seconds=60)
    )
    with pytest.raises(BudgetExceededError) as caught:
        RunningProcess.start(definition, {})
    assert caught.value.budget == "time"
    assert caught.value.element_id in {"s1", "s2", "s3", "s4", "s5"}
    turn_budget.configure(
        turn_budget.TurnLimits(cpu_seconds=20 * one, call_seconds=10 * one, wall_seconds=60)
    )
    process, _ = RunningProcess.start(definition, {})
    assert process.status().completed


def test_data_left_by_a_turn_is_measured_before_it_is_kept():
    definition = load_definition(script_process("x = ['a' * 1000 for i in range(200)]"))
    turn_budget.configure(turn_budget.TurnLimits(data_chars=100_000))
    with pytest.raises(BudgetExceededError) as caught:
        RunningProcess.start(definition, {})
    assert caught.value.budget == "data"
    assert caught.value.element_id == "run"
    turn_budget.configure(turn_budget.DEFAULT_LIMITS)
    process, steps = RunningProcess.start(definition, {})
    assert process.status().completed
    assert len(steps[-2].updates["x"]) == 200


def test_huge_starting_data_is_refused_by_the_first_step():
    definition = load_definition(gateway_process('decision == "approve"'))
    with pytest.raises(BudgetExceededError) as caught:
        RunningProcess.start(definition, {"decision": "approve", "blob": "x" * 2_000_000})
    assert caught.value.budget == "data"


def test_refusals_are_clean_errors_outside_the_engine_too():
    with pytest.raises(UnsafeExpressionError):
        evaluate("10 ** 10 ** 10", {})
    with pytest.raises(BudgetExceededError):
        evaluate("n ** n ** n", {"n": 10})
    with pytest.raises(BudgetExceededError):
        run_script("a = []\na.append(a)", {})


HOLDING_CASES = [
    ("expression", "[-1 in numbers for i in range(10000)]"),
    ("expression", "[[0] * 100000 for i in range(10000)]"),
    ("expression", "str([long_text] * 100000)"),
    ("script", "while True:\n    pass"),
    ("script", 's = "a" * 1000\nwhile True:\n    s = s.replace("a", "aa")'),
    ("script", "m = 10\nx = m ** m ** m"),
]


@pytest.mark.parametrize(("kind", "text"), HOLDING_CASES)
def test_other_threads_keep_running_while_hostile_code_is_refused(kind, text):
    longest = 0.0
    stop = threading.Event()

    def tick() -> None:
        nonlocal longest
        last = time.perf_counter()
        while not stop.is_set():
            time.sleep(0.002)
            now = time.perf_counter()
            longest = max(longest, now - last)
            last = now

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        _run(kind, text)
    finally:
        stop.set()
        ticker.join()
    assert longest < 0.5, f"another thread waited {longest:.2f} s"
