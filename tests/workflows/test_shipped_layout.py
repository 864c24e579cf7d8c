"""The shipped diagram can be read: its DI places every element, and no label hides another.

bpmn-js draws an external label (events, gateways, sequence flows) inside the bounds its
BPMNLabel gives; two labels whose bounds meet print over each other, and a label over a task or
a gateway hides the shape's text. Lanes and the pool are backgrounds and do not count.
"""

from __future__ import annotations

from itertools import combinations, pairwise
from pathlib import Path
from typing import NamedTuple

import pytest
from lxml import etree

BPMN = Path(__file__).resolve().parents[2] / "bpmn" / "award_nomination.bpmn"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
FLOW_NODES = (
    "startEvent",
    "endEvent",
    "userTask",
    "serviceTask",
    "businessRuleTask",
    "scriptTask",
    "task",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
)
# Background shapes: a label inside a lane is where it belongs.
BACKGROUNDS = ("participant", "lane")
# bpmn-js prints external labels in 11px Arial: a Vietnamese character is 5-6 px wide on
# average and a line 13 px high (measured in Chromium; the layout itself assumes more).
CHAR_WIDTH = 5.5
LINE_HEIGHT = 13


class Box(NamedTuple):
    x: float
    y: float
    width: float
    height: float

    def meets(self, other: Box) -> bool:
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )

    def crossed_by(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        """Whether the axis-parallel segment a-b passes through the box's inside."""
        (x1, y1), (x2, y2) = a, b
        if y1 == y2:
            low, high = sorted((x1, x2))
            inside = self.y < y1 < self.y + self.height
            return inside and low < self.x + self.width and self.x < high
        if x1 == x2:
            low, high = sorted((y1, y2))
            inside = self.x < x1 < self.x + self.width
            return inside and low < self.y + self.height and self.y < high
        raise AssertionError(f"diagonal segment {a}-{b}")


def _bounds(node: etree._Element) -> Box:
    b = node.find("dc:Bounds", NS)
    assert b is not None
    return Box(*(float(b.get(k)) for k in ("x", "y", "width", "height")))


@pytest.fixture(scope="module")
def root() -> etree._Element:
    return etree.parse(str(BPMN)).getroot()


@pytest.fixture(scope="module")
def layout(root):
    kinds = {e.get("id"): etree.QName(e).localname for e in root.iter() if e.get("id")}
    names = {e.get("id"): e.get("name") for e in root.iter() if e.get("id")}
    shapes: dict[str, Box] = {}
    labels: dict[str, Box] = {}
    edges: dict[str, list[tuple[float, float]]] = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        element = shape.get("bpmnElement")
        shapes[element] = _bounds(shape)
        label = shape.find("bpmndi:BPMNLabel", NS)
        if label is not None:
            labels[element] = _bounds(label)
    for edge in root.iterfind(".//bpmndi:BPMNEdge", NS):
        element = edge.get("bpmnElement")
        edges[element] = [
            (float(p.get("x")), float(p.get("y"))) for p in edge.iterfind("di:waypoint", NS)
        ]
        label = edge.find("bpmndi:BPMNLabel", NS)
        if label is not None:
            labels[element] = _bounds(label)
    return kinds, names, shapes, labels, edges


def test_every_flow_node_and_flow_has_di(root, layout):
    _kinds, _names, shapes, _labels, edges = layout
    process = root.find("bpmn:process", NS)
    nodes = [e.get("id") for e in process if etree.QName(e).localname in FLOW_NODES]
    flows = [e.get("id") for e in process.iterfind("bpmn:sequenceFlow", NS)]
    lanes = [e.get("id") for e in process.iterfind(".//bpmn:lane", NS)]
    assert len(nodes) > 30
    assert len(flows) > 40
    assert [n for n in nodes + lanes if n not in shapes] == []
    assert [f for f in flows if f not in edges] == []
    assert [f for f in flows if len(edges[f]) < 2] == []


def test_every_named_event_gateway_and_flow_has_a_label_big_enough_for_its_name(layout):
    kinds, names, _shapes, labels, _edges = layout
    external = [
        eid
        for eid, kind in kinds.items()
        if (names.get(eid) and (kind.endswith("Event") or kind.endswith("Gateway")))
        or (kind == "sequenceFlow" and names.get(eid))
    ]
    assert [eid for eid in external if eid not in labels] == []
    too_small = []
    for eid in external:
        box = labels[eid]
        # The words must fit: area for the characters, and the longest word on one line.
        longest = max(len(word) for word in names[eid].split())
        lines = box.height // LINE_HEIGHT
        if box.width < longest * CHAR_WIDTH or lines * box.width < len(names[eid]) * CHAR_WIDTH:
            too_small.append((eid, names[eid], box))
    assert too_small == []


def test_no_two_labels_overlap(layout):
    _kinds, _names, _shapes, labels, _edges = layout
    overlapping = [
        (a, b) for (a, box_a), (b, box_b) in combinations(labels.items(), 2) if box_a.meets(box_b)
    ]
    assert overlapping == []


def test_no_label_overlaps_a_shape_other_than_its_own(layout):
    kinds, _names, shapes, labels, _edges = layout
    hidden = [
        (label_of, shape)
        for label_of, box in labels.items()
        for shape, shape_box in shapes.items()
        if shape != label_of and kinds.get(shape) not in BACKGROUNDS and box.meets(shape_box)
    ]
    assert hidden == []


def test_no_flow_line_runs_through_a_label(layout):
    _kinds, _names, _shapes, labels, edges = layout
    crossed = [
        (flow, label_of)
        for flow, points in edges.items()
        for label_of, box in labels.items()
        if flow != label_of and any(box.crossed_by(a, b) for a, b in pairwise(points))
    ]
    assert crossed == []


def test_no_flow_line_runs_through_a_shape_it_does_not_join(root, layout):
    kinds, _names, shapes, _labels, edges = layout
    ends = {
        f.get("id"): {f.get("sourceRef"), f.get("targetRef")}
        for f in root.iterfind(".//bpmn:sequenceFlow", NS)
    }
    crossed = [
        (flow, shape)
        for flow, points in edges.items()
        for shape, box in shapes.items()
        if shape not in ends[flow]
        and kinds.get(shape) not in BACKGROUNDS
        and any(box.crossed_by(a, b) for a, b in pairwise(points))
    ]
    assert crossed == []


def test_shapes_sit_inside_their_lane(root, layout):
    _kinds, _names, shapes, _labels, _edges = layout
    outside = []
    for lane in root.iterfind(".//bpmn:lane", NS):
        lane_box = shapes[lane.get("id")]
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            box = shapes[ref.text]
            if not (lane_box.y <= box.y and box.y + box.height <= lane_box.y + lane_box.height):
                outside.append((ref.text, lane.get("id")))
    assert outside == []
