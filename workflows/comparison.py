"""Compare two versions: steps, flows, lanes, roles, forms and rule tables added, removed and
changed, with what changed."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from workflows.diagram_info import DiagramInfo, ElementInfo, FlowInfo, local_name
from workflows.errors import DiagramError
from workflows.xml_loading import parse_xml

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


FIELD_LIMITS = ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "pattern")


@dataclass(frozen=True)
class ItemChange:
    """A lane, role, form or rule table added, removed or changed, with what changed in it.

    `kind` is "added", "removed" or "changed". A change's attribute is a plain one ("name",
    "role", "title", "hit_policy") or "<what>:<key>": a form's "field:<path>", a rule file's
    "decision:<id>", "input:<n>", "output:<n>" (a column's heading) and "rule:<id>" (a row's
    cells, so a changed threshold shows as the row before and after)."""

    kind: str
    key: str
    name: str | None = None
    changes: list[Change] = field(default_factory=list)
    role: str | None = None  # a lane's role


def _keyed(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[list[str], list[str], list[str]]:
    """Keys only after, only before, and in both (in a stable order)."""
    return (
        [k for k in after if k not in before],
        [k for k in before if k not in after],
        [k for k in before if k in after],
    )


def compare_lanes(before: DiagramInfo, after: DiagramInfo) -> list[ItemChange]:
    """Lanes (matched by id) added, removed, renamed or given another role."""
    added, removed, both = _keyed(before.lanes, after.lanes)
    result = [ItemChange("added", i, after.lanes[i].name, role=after.lanes[i].role) for i in added]
    result += [
        ItemChange("removed", i, before.lanes[i].name, role=before.lanes[i].role) for i in removed
    ]
    for lane_id in both:
        old, new = before.lanes[lane_id], after.lanes[lane_id]
        changes = [
            Change(a, getattr(old, a), getattr(new, a))
            for a in ("name", "role")
            if getattr(old, a) != getattr(new, a)
        ]
        if changes:
            result.append(ItemChange("changed", lane_id, new.name, changes, role=new.role))
    return result


def compare_roles(before: DiagramInfo, after: DiagramInfo) -> list[ItemChange]:
    """Roles whose holders do some step in one version and none in the other."""
    old = sorted({lane.role for lane in before.lanes.values() if lane.role})
    new = sorted({lane.role for lane in after.lanes.values() if lane.role})
    return [ItemChange("added", r) for r in new if r not in old] + [
        ItemChange("removed", r) for r in old if r not in new
    ]


def _schema(text: str) -> dict[str, Any] | None:
    try:
        schema = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return schema if isinstance(schema, dict) else None


def _field_summary(schema: Mapping[str, Any], required: bool) -> str:
    """A field as the compare page shows it: its title, its choices, the schema's own terms in
    brackets (type, limits), and * when it is required."""
    parts = [str(schema.get("title") or "").strip()]
    choices = schema.get("oneOf") or schema.get("anyOf") or []
    values = [
        str(c.get("title") or c.get("const"))
        for c in choices
        if isinstance(c, dict) and "const" in c
    ] or [str(v) for v in schema.get("enum") or []]
    if values:
        parts.append("{" + ", ".join(values) + "}")
    kind = schema.get("type")
    terms = ["/".join(map(str, kind)) if isinstance(kind, list) else str(kind)] if kind else []
    terms += [f"{k}={schema[k]}" for k in FIELD_LIMITS if k in schema]
    if terms:
        parts.append("[" + ", ".join(terms) + "]")
    if required:
        parts.append("*")
    return " · ".join(p for p in parts if p)


def _form_fields(schema: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Every field of a form by its path (a per-nominee list's fields as list[].field)."""
    fields: dict[str, str] = {}
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return fields
    required = (
        set(schema.get("required") or []) if isinstance(schema.get("required"), list) else set()
    )
    for name, sub in properties.items():
        if not isinstance(sub, dict):
            continue
        path = f"{prefix}{name}"
        fields[path] = _field_summary(sub, name in required)
        items = sub.get("items")
        if isinstance(items, dict):
            fields.update(_form_fields(items, f"{path}[]."))
        fields.update(_form_fields(sub, f"{path}."))
    return fields


def _changed_entries(old: Mapping[str, str], new: Mapping[str, str]) -> list[Change]:
    added, removed, both = _keyed(old, new)
    return (
        [Change(k, None, new[k]) for k in added]
        + [Change(k, old[k], None) for k in removed]
        + [Change(k, old[k], new[k]) for k in both if old[k] != new[k]]
    )


def compare_forms(before: Mapping[str, str], after: Mapping[str, str]) -> list[ItemChange]:
    """Form files (name -> JSON Schema text) added, removed or changed, field by field."""
    added, removed, both = _keyed(before, after)
    result = [ItemChange("added", n, _title(after[n])) for n in added]
    result += [ItemChange("removed", n, _title(before[n])) for n in removed]
    for name in both:
        if before[name] == after[name]:
            continue
        old, new = _schema(before[name]), _schema(after[name])
        if old is None or new is None:
            result.append(ItemChange("changed", name, _title(after[name])))
            continue
        changes = []
        if (old.get("title") or "") != (new.get("title") or ""):
            changes.append(Change("title", old.get("title"), new.get("title")))
        changes += [
            Change(f"field:{c.attribute}", c.before, c.after)
            for c in _changed_entries(_form_fields(old), _form_fields(new))
        ]
        if changes or old != new:
            result.append(ItemChange("changed", name, _title(after[name]), changes))
    return result


def _title(text: str) -> str | None:
    schema = _schema(text)
    title = schema.get("title") if schema else None
    return str(title) if title else None


def _children(node: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in node if isinstance(c.tag, str) and local_name(c) == name]


def _cell(node: etree._Element) -> str:
    texts = _children(node, "text")
    text = " ".join((texts[0].text or "").split()) if texts else ""
    return text or "-"


@dataclass(frozen=True)
class _Table:
    name: str | None
    hit_policy: str
    columns: dict[str, str]
    rows: dict[str, _Row]


@dataclass(frozen=True)
class _Row:
    label: str  # the rule's description, else its id
    cells: tuple[tuple[str, str], ...]  # (column heading, cell text)

    def text(self, only: Collection[int] | None = None) -> str:
        """The row's cells, "heading: cell; ...", or only those at the positions given."""
        return "; ".join(
            f"{head}: {cell}"
            for n, (head, cell) in enumerate(self.cells)
            if only is None or n in only
        )


def _tables(text: str) -> dict[str, _Table] | None:
    """The decision tables of a DMN file by decision id; None when it cannot be read."""
    try:
        root = parse_xml(text, "rules.dmn")
    except DiagramError:
        return None
    tables: dict[str, _Table] = {}
    for decision in root.iter():
        if not isinstance(decision.tag, str) or local_name(decision) != "decision":
            continue
        for table in _children(decision, "decisionTable"):
            inputs = _children(table, "input")
            outputs = _children(table, "output")
            heads = [
                (i.get("label") or "").strip()
                or " ".join(_cell(e) for e in _children(i, "inputExpression"))
                for i in inputs
            ] + [(o.get("label") or o.get("name") or "").strip() for o in outputs]
            columns = {
                f"input:{n + 1}" if n < len(inputs) else f"output:{n + 1 - len(inputs)}": head
                for n, head in enumerate(heads)
            }
            rows = {}
            for number, rule in enumerate(_children(table, "rule"), 1):
                cells = _children(rule, "inputEntry") + _children(rule, "outputEntry")
                label = " ".join(
                    " ".join((d.text or "").split()) for d in _children(rule, "description")
                ).strip()
                key = rule.get("id") or f"#{number}"
                rows[key] = _Row(
                    label or key,
                    tuple(
                        (heads[n] if n < len(heads) else str(n + 1), _cell(c))
                        for n, c in enumerate(cells)
                    ),
                )
            tables[str(decision.get("id") or "")] = _Table(
                decision.get("name"), table.get("hitPolicy") or "UNIQUE", columns, rows
            )
    return tables


def _row_changes(old: Mapping[str, _Row], new: Mapping[str, _Row]) -> list[Change]:
    """Rows (matched by rule id) added or removed whole; a changed row by its changed cells."""
    added, removed, both = _keyed(old, new)
    changes = [Change(f"rule:{new[k].label}", None, new[k].text()) for k in added]
    changes += [Change(f"rule:{old[k].label}", old[k].text(), None) for k in removed]
    for key in both:
        was, now = old[key], new[key]
        if was == now:
            continue
        differ = None
        if len(was.cells) == len(now.cells):
            differ = {
                n for n, (a, b) in enumerate(zip(was.cells, now.cells, strict=True)) if a != b
            }
        changes.append(Change(f"rule:{now.label}", was.text(differ), now.text(differ)))
    return changes


def compare_rules(before: Mapping[str, str], after: Mapping[str, str]) -> list[ItemChange]:
    """Rule files (name -> DMN text) added, removed or changed, row by row: a changed
    threshold shows as the row's cells before and after."""
    added, removed, both = _keyed(before, after)
    result = [ItemChange("added", n) for n in added]
    result += [ItemChange("removed", n) for n in removed]
    for name in both:
        if before[name] == after[name]:
            continue
        old, new = _tables(before[name]), _tables(after[name])
        if old is None or new is None:
            result.append(ItemChange("changed", name))
            continue
        changes: list[Change] = []
        new_decisions, gone, kept = _keyed(old, new)
        changes += [Change(f"decision:{d}", None, new[d].name or d) for d in new_decisions]
        changes += [Change(f"decision:{d}", old[d].name or d, None) for d in gone]
        for decision in kept:
            was, now = old[decision], new[decision]
            if was.name != now.name:
                changes.append(Change("name", was.name, now.name))
            if was.hit_policy != now.hit_policy:
                changes.append(Change("hit_policy", was.hit_policy, now.hit_policy))
            changes += _changed_entries(was.columns, now.columns)
            changes += _row_changes(was.rows, now.rows)
        names = [t.name for t in new.values() if t.name]
        result.append(ItemChange("changed", name, names[0] if names else None, changes))
    return result
