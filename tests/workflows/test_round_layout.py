"""The shipped round diagrams can be read too: the same layout checks as the dossier's diagram."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.workflows import test_shipped_layout as shipped

ROUNDS = Path(__file__).resolve().parents[2] / "bpmn" / "rounds"


@pytest.fixture(
    scope="module", params=["award_round.bpmn", "round_proposal.bpmn", "ministry_round.bpmn"]
)
def root(request: pytest.FixtureRequest) -> etree._Element:
    return etree.parse(str(ROUNDS / request.param)).getroot()


@pytest.fixture(scope="module")
def layout(root):
    return shipped.layout.__wrapped__(root)


def test_every_flow_node_and_flow_has_di(root, layout):
    _kinds, _names, shapes, _labels, edges = layout
    process = root.find("bpmn:process", shipped.NS)
    nodes = [
        e.get("id")
        for e in process
        if etree.QName(e).localname
        not in ("laneSet", "sequenceFlow", "documentation", "dataObject")
    ]
    flows = [e.get("id") for e in process.iterfind("bpmn:sequenceFlow", shipped.NS)]
    assert [n for n in nodes if n not in shapes] == []
    assert [f for f in flows if f not in edges] == []


test_every_named_event_gateway_and_flow_has_a_label_big_enough_for_its_name = (
    shipped.test_every_named_event_gateway_and_flow_has_a_label_big_enough_for_its_name
)
test_no_two_labels_overlap = shipped.test_no_two_labels_overlap
test_no_label_overlaps_a_shape_other_than_its_own = (
    shipped.test_no_label_overlaps_a_shape_other_than_its_own
)
test_no_flow_line_runs_through_a_label = shipped.test_no_flow_line_runs_through_a_label
test_no_flow_line_runs_through_a_shape_it_does_not_join = (
    shipped.test_no_flow_line_runs_through_a_shape_it_does_not_join
)
test_shapes_sit_inside_their_lane = shipped.test_shapes_sit_inside_their_lane
