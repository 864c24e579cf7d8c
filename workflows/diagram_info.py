"""What this product reads from a BPMN file itself: elements, lanes and roles, forms, time limits.

Read from the XML (not from SpiffWorkflow's spec) so that the modeler's properties and the
engine's behaviour have one source, and so that a diagram the engine refuses can still be shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

FLOW_NODE_KINDS = frozenset(
    {
        "task",
        "userTask",
        "manualTask",
        "serviceTask",
        "scriptTask",
        "businessRuleTask",
        "sendTask",
        "receiveTask",
        "callActivity",
        "subProcess",
        "transaction",
        "adHocSubProcess",
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
        "complexGateway",
    }
)
HUMAN_KINDS = frozenset({"userTask", "manualTask"})

FORM_PROPERTY = "formJsonSchemaFilename"
UI_FORM_PROPERTY = "formUiSchemaFilename"
TIME_LIMIT_PROPERTY = "timeLimitDays"
# The legal basis of the time limit (a law's article, a decree), shown beside the due date.
TIME_LIMIT_BASIS_PROPERTY = "timeLimitBasis"
MAX_TIME_LIMIT_BASIS = 1000
ROLE_PROPERTY = "role"
OUTCOME_PROPERTY = "outcome"
# What the properties panel offers and the dossier's status understands (see dossier_effects).
OUTCOMES = ("awarded", "refused", "withdrawn")
MAX_TIME_LIMIT_DAYS = 365


def valid_time_limit(text: str) -> bool:
    """Whether a time limit is what the panel accepts: whole working days, 1 to the maximum."""
    days = read_time_limit(text)
    return days is not None and days <= MAX_TIME_LIMIT_DAYS


def read_time_limit(text: str) -> int | None:
    """A positive whole number in ASCII digits ("²".isdigit() holds, but int() refuses it)."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        return None  # also past int()'s digit limit
    return int(text) or None


@dataclass(frozen=True)
class LaneInfo:
    """A lane and the role whose holders do its steps."""

    lane_id: str
    name: str | None
    role: str | None
    line: int | None


@dataclass(frozen=True)
class ElementInfo:
    """A flow node with the properties this product gives meaning to."""

    element_id: str
    kind: str
    name: str | None
    process_id: str
    lane_id: str | None
    role: str | None
    properties: dict[str, str]
    documentation: str | None
    multi_instance: bool
    line: int | None
    container: str | None = None
    attached_to: str | None = None
    event_subprocess: bool = False
    link_name: str | None = None

    @property
    def form(self) -> str | None:
        """The JSON Schema file of a human task's form."""
        return self.properties.get(FORM_PROPERTY) or None

    @property
    def ui_form(self) -> str | None:
        """The optional UI schema file of the form."""
        return self.properties.get(UI_FORM_PROPERTY) or None

    @property
    def time_limit_days(self) -> int | None:
        """The step's time limit in working days, when it has a valid one."""
        raw = self.properties.get(TIME_LIMIT_PROPERTY, "").strip()
        return read_time_limit(raw)

    @property
    def time_limit_basis(self) -> str | None:
        """The legal basis of the step's time limit, as the administrator wrote it."""
        text = " ".join(self.properties.get(TIME_LIMIT_BASIS_PROPERTY, "").split())
        return text[:MAX_TIME_LIMIT_BASIS] or None

    @property
    def outcome(self) -> str | None:
        """For an end event: what reaching it means for the dossier (awarded, refused...)."""
        return self.properties.get(OUTCOME_PROPERTY) or None

    @property
    def is_human(self) -> bool:
        """Whether people do this step."""
        return self.kind in HUMAN_KINDS


@dataclass(frozen=True)
class FlowInfo:
    """A sequence flow."""

    flow_id: str
    source: str
    target: str
    name: str | None
    condition: str | None
    is_default: bool
    line: int | None


@dataclass(frozen=True)
class DiagramInfo:
    """Everything read from one BPMN file."""

    process_ids: tuple[str, ...]
    process_names: dict[str, str | None]
    elements: dict[str, ElementInfo] = field(default_factory=dict)
    flows: dict[str, FlowInfo] = field(default_factory=dict)
    lanes: dict[str, LaneInfo] = field(default_factory=dict)

    def element(self, element_id: str) -> ElementInfo | None:
        """The element with that id, if the diagram has it."""
        return self.elements.get(element_id)

    def human_steps(self) -> list[ElementInfo]:
        """The human tasks, in document order."""
        return [e for e in self.elements.values() if e.is_human]


def local_name(node: etree._Element) -> str:
    """The tag without its namespace."""
    tag = node.tag
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)


def read_properties(node: etree._Element) -> dict[str, str]:
    """The spiffworkflow:properties of an element, name -> value."""
    props: dict[str, str] = {}
    for prop in node.xpath(
        "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS
    ):
        name = prop.get("name")
        if name:
            props[name] = prop.get("value", "")
    return props


def _text(node: etree._Element | None) -> str | None:
    if node is None or node.text is None:
        return None
    text: str = node.text.strip()
    return text or None


def _lanes(process: etree._Element) -> tuple[dict[str, LaneInfo], dict[str, str]]:
    lanes: dict[str, LaneInfo] = {}
    lane_of: dict[str, str] = {}
    # Innermost lane wins: visit outer lanes first, inner ones overwrite.
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        lane_id = lane.get("id", "")
        props = read_properties(lane)
        lanes[lane_id] = LaneInfo(
            lane_id, lane.get("name"), props.get(ROLE_PROPERTY) or None, lane.sourceline
        )
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            if ref.text:
                lane_of[ref.text.strip()] = lane_id
    return lanes, lane_of


def read_diagram(root: etree._Element) -> DiagramInfo:
    """Read the processes, lanes, flow nodes and flows of a parsed BPMN file."""
    processes = root.findall(f"{{{BPMN_NS}}}process")
    info = DiagramInfo(
        process_ids=tuple(p.get("id", "") for p in processes),
        process_names={p.get("id", ""): p.get("name") for p in processes},
    )
    for process in processes:
        process_id = process.get("id", "")
        lanes, lane_of = _lanes(process)
        info.lanes.update(lanes)
        _read_container(process, process_id, None, lanes, lane_of, info)
    return info


def _link_name(node: etree._Element) -> str | None:
    link = node.find(f"{{{BPMN_NS}}}linkEventDefinition")
    return (link.get("name") or link.get("id")) if link is not None else None


def _read_container(
    container: etree._Element,
    process_id: str,
    inherited_lane: str | None,
    lanes: dict[str, LaneInfo],
    lane_of: dict[str, str],
    info: DiagramInfo,
) -> None:
    """Read a process's flow nodes and flows, subprocess contents right after their subprocess
    (document order), with an explicit stack: no nesting depth can exhaust the recursion limit."""
    stack = [_frame(container, inherited_lane)]
    while stack:
        container_id, current_lane, defaults, children = stack[-1]
        node = next(children, None)
        if node is None:
            stack.pop()
            continue
        kind = local_name(node)
        node_id = node.get("id", "")
        if kind == "sequenceFlow":
            info.flows[node_id] = FlowInfo(
                flow_id=node_id,
                source=node.get("sourceRef", ""),
                target=node.get("targetRef", ""),
                name=node.get("name"),
                condition=_text(node.find(f"{{{BPMN_NS}}}conditionExpression")),
                is_default=node_id in defaults,
                line=node.sourceline,
            )
        elif kind in FLOW_NODE_KINDS:
            lane_id = lane_of.get(node_id, current_lane)
            lane = lanes.get(lane_id) if lane_id else None
            info.elements[node_id] = ElementInfo(
                element_id=node_id,
                kind=kind,
                name=(node.get("name") or "").strip() or None,
                process_id=process_id,
                lane_id=lane_id,
                role=lane.role if lane else None,
                properties=read_properties(node),
                documentation=_text(node.find(f"{{{BPMN_NS}}}documentation")),
                multi_instance=node.find(f"{{{BPMN_NS}}}multiInstanceLoopCharacteristics")
                is not None,
                line=node.sourceline,
                container=container_id,
                attached_to=node.get("attachedToRef"),
                event_subprocess=node.get("triggeredByEvent") == "true",
                link_name=_link_name(node),
            )
            if kind in {"subProcess", "transaction", "adHocSubProcess"}:
                stack.append(_frame(node, lane_id))


def _frame(
    container: etree._Element, lane_id: str | None
) -> tuple[str | None, str | None, set[str], Iterator[etree._Element]]:
    """What reading a container needs: its id, lane, default flows and children."""
    container_id = None if local_name(container) == "process" else container.get("id")
    children = [node for node in container if isinstance(node.tag, str)]
    defaults = {str(node.get("default")) for node in children if node.get("default")}
    return container_id, lane_id, defaults, iter(children)
