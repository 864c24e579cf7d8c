"""The pre-deploy check lists every problem at once, each with its element."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.workflows.diagrams import lane, process, user_task
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
