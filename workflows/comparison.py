"""Compare two versions of a diagram: steps added, removed and changed, with what changed."""

from __future__ import annotations

from dataclasses import dataclass, field

from workflows.diagram_info import DiagramInfo, ElementInfo, FlowInfo

ELEMENT_ATTRIBUTES = ("name", "kind", "lane", "role", "form", "time_limit_days", "outcome")
FLOW_ATTRIBUTES = ("source", "target", "condition", "is_default", "name")


@dataclass(frozen=True)
class Change:
    """One attribute of an element or flow that differs between the versions."""

    attribute: str
    before: object
    after: object


@dataclass(frozen=True)
class DiagramComparison:
    """What an administrator sees before deploying or moving dossiers to a new version."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[Change]] = field(default_factory=dict)
    added_flows: list[str] = field(default_factory=list)
    removed_flows: list[str] = field(default_factory=list)
    changed_flows: dict[str, list[Change]] = field(default_factory=dict)

    @property
    def unchanged(self) -> bool:
        """Whether the two versions run the same steps the same way."""
        return not (
            self.added
            or self.removed
            or self.changed
            or self.added_flows
            or self.removed_flows
            or self.changed_flows
        )


def _element_value(diagram: DiagramInfo, element: ElementInfo, attribute: str) -> object:
    if attribute == "lane":
        lane = diagram.lanes.get(element.lane_id or "")
        return lane.name if lane else None
    return getattr(element, attribute)


def _flow_value(flow: FlowInfo, attribute: str) -> object:
    value = getattr(flow, attribute)
    return " ".join(value.split()) if isinstance(value, str) else value


def compare_diagrams(before: DiagramInfo, after: DiagramInfo) -> DiagramComparison:
    """Elements and flows are matched by their BPMN ids, as the engine matches them."""
    result = DiagramComparison(
        added=[i for i in after.elements if i not in before.elements],
        removed=[i for i in before.elements if i not in after.elements],
        added_flows=[i for i in after.flows if i not in before.flows],
        removed_flows=[i for i in before.flows if i not in after.flows],
    )
    for element_id, old in before.elements.items():
        new = after.elements.get(element_id)
        if new is None:
            continue
        changes = [
            Change(a, _element_value(before, old, a), _element_value(after, new, a))
            for a in ELEMENT_ATTRIBUTES
            if _element_value(before, old, a) != _element_value(after, new, a)
        ]
        if changes:
            result.changed[element_id] = changes
    for flow_id, old_flow in before.flows.items():
        new_flow = after.flows.get(flow_id)
        if new_flow is None:
            continue
        flow_changes = [
            Change(a, _flow_value(old_flow, a), _flow_value(new_flow, a))
            for a in FLOW_ATTRIBUTES
            if _flow_value(old_flow, a) != _flow_value(new_flow, a)
        ]
        if flow_changes:
            result.changed_flows[flow_id] = flow_changes
    return result
