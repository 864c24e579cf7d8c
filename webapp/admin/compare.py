"""Comparing two versions of a process: steps, lanes, roles, forms and rules added, removed
and changed, and both diagrams coloured. Thin views over services.process_catalogue."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.admin.blueprint import bp
from webapp.admin.processes import NO_STORE, render_page, version_number
from webapp.request_db import db_session
from webapp.services import process_catalogue
from webapp.services.errors import NotFoundError
from webapp.web_edge import page_actor

ATTRIBUTE_LABELS = {
    "name": _l("Step name"),
    "kind": _l("Element type"),
    "lane": _l("Lane"),
    "role": _l("Role"),
    "form": _l("Form"),
    "time_limit_days": _l("Time limit (working days)"),
    "outcome": _l("Outcome for the dossier"),
    "source": _l("From"),
    "target": _l("To"),
    "condition": _l("Condition"),
    "is_default": _l("Default flow"),
}
# A lane's, form's or rule table's changes: plain attributes, and "<what>:<key>" ones.
ITEM_ATTRIBUTES = {
    "name": _l("Name"),
    "role": _l("Role"),
    "title": _l("Form title"),
    "hit_policy": _l("Hit policy"),
}
ITEM_PARTS = {
    "field": _l("Field “%(key)s”"),
    "decision": _l("Decision table “%(key)s”"),
    "input": _l("Input column %(key)s"),
    "output": _l("Output column %(key)s"),
    "rule": _l("Rule “%(key)s”"),
}
CHANGE_KINDS = {"added": _l("Added"), "removed": _l("Removed"), "changed": _l("Changed")}
KIND_LABELS = {
    "userTask": _l("User task"),
    "manualTask": _l("Manual task"),
    "serviceTask": _l("Service task"),
    "scriptTask": _l("Script task"),
    "businessRuleTask": _l("Rule task (DMN)"),
    "task": _l("Task"),
    "startEvent": _l("Start event"),
    "endEvent": _l("End event"),
    "intermediateCatchEvent": _l("Intermediate event"),
    "intermediateThrowEvent": _l("Intermediate event"),
    "boundaryEvent": _l("Boundary event"),
    "exclusiveGateway": _l("Exclusive gateway"),
    "parallelGateway": _l("Parallel gateway"),
    "inclusiveGateway": _l("Inclusive gateway"),
    "eventBasedGateway": _l("Event-based gateway"),
    "subProcess": _l("Sub-process"),
    "callActivity": _l("Call activity"),
}


def _compare_choice(
    process: process_catalogue.ProcessRow,
) -> tuple[int, int, dict[str, str]]:
    """The two versions to compare from the query (a: before, b: after), or sensible defaults:
    the deployed version against the newest other one."""
    numbers = [v.number for v in process.versions]  # newest first
    errors: dict[str, str] = {}
    chosen: dict[str, int | None] = {}
    for arg in ("a", "b"):
        raw = request.args.get(arg)
        value = version_number(raw)
        if raw and value not in numbers:
            errors[arg] = _(
                "Process %(key)s has no version %(number)s.", key=process.key, number=raw
            )
        chosen[arg] = value if value in numbers else None
    a, b = chosen["a"], chosen["b"]
    if b is None:
        others = [n for n in numbers if n not in (a, process.deployed)]
        b = others[0] if others else numbers[0]
    if a is None:
        earlier = [n for n in numbers if n < b]
        if process.deployed is not None and process.deployed != b:
            a = process.deployed
        else:
            a = earlier[0] if earlier else next((n for n in numbers if n != b), b)
    if _older_first(a, b) != (a, b):
        a, b = b, a
        errors = {{"a": "b", "b": "a"}[field]: message for field, message in errors.items()}
    return a, b, errors


def _older_first(a: int, b: int) -> tuple[int, int]:
    """The older version on the left ("before"), whichever order the two were picked in,
    unless the page was asked to show the newer one first (the Swap link)."""
    if a > b and request.args.get("newer_first") != "1":
        return b, a
    return a, b


def _value(comparison: process_catalogue.VersionComparison, attribute: str, value: Any) -> str:
    """How a compared value reads in the table."""
    if value is None or value == "":
        return "—"
    if attribute == "is_default":
        return _("Yes") if value else _("No")
    if attribute == "kind":
        return str(KIND_LABELS.get(str(value), value))
    if attribute in ("source", "target"):
        name = comparison.names.get(str(value))
        return f"{name} ({value})" if name else str(value)
    if attribute == "role":
        return role_label(comparison, str(value))
    return str(value)


def role_label(comparison: process_catalogue.VersionComparison, code: str) -> str:
    """A role by its name, with its code (a code no role has is shown alone)."""
    name = comparison.role_names.get(code)
    return f"{name} ({code})" if name else code


def item_attribute(attribute: str) -> str:
    """What a change of a lane, form or rule table is about, in words."""
    what, _sep, key = attribute.partition(":")
    if key and what in ITEM_PARTS:
        return str(ITEM_PARTS[what]) % {"key": key}
    return str(ITEM_ATTRIBUTES.get(attribute, attribute))


def _items_json(items: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "change": item.kind,
            "change_label": str(CHANGE_KINDS[item.kind]),
            "key": item.key,
            "name": item.name,
            **({"role": item.role} if item.role else {}),
            "changes": [
                {
                    "attribute": c.attribute,
                    "label": item_attribute(c.attribute),
                    "before": c.before,
                    "after": c.after,
                }
                for c in item.changes
            ],
        }
        for item in items
    ]


def _changes_json(comparison: process_catalogue.VersionComparison) -> dict[str, Any]:
    """Every change the page lists, for scripts: steps and flows, lanes, roles, forms, rules."""

    def diffs(kind: str, rows: list[Any], id_field: str) -> list[dict[str, Any]]:
        return [
            {
                "change": kind,
                "change_label": str(CHANGE_KINDS[kind]),
                "id": getattr(row, id_field),
                "name": row.name,
                "changes": [
                    {
                        "attribute": c.attribute,
                        "label": str(ATTRIBUTE_LABELS.get(c.attribute, c.attribute)),
                        "before": c.before,
                        "after": c.after,
                    }
                    for c in row.changes
                ],
            }
            for row in rows
        ]

    roles = _items_json(comparison.roles)
    for role in roles:
        role["name"] = comparison.role_names.get(role["key"])
    return {
        "unchanged": comparison.unchanged,
        "steps": diffs("added", comparison.added, "element_id")
        + diffs("removed", comparison.removed, "element_id")
        + diffs("changed", comparison.changed, "element_id"),
        "flows": diffs("added", comparison.added_flows, "flow_id")
        + diffs("removed", comparison.removed_flows, "flow_id")
        + diffs("changed", comparison.changed_flows, "flow_id"),
        "lanes": _items_json(comparison.lanes),
        "roles": roles,
        "forms": _items_json(comparison.forms),
        "rules": _items_json(comparison.rules),
    }


@bp.get("/processes/<key>/compare")
def compare(key: str) -> ResponseReturnValue:
    """Steps added, removed and changed between versions a and b, and both diagrams."""
    session = db_session()
    actor = page_actor()
    process = process_catalogue.process_row(session, actor, key)
    if process is None:
        raise NotFoundError(f"no process {key}")
    a, b, errors = _compare_choice(process)
    comparison = process_catalogue.compare_versions(session, actor, key, a, b)
    return render_page(
        "admin/processes/compare.html",
        422 if errors else 200,
        process=process,
        a=a,
        b=b,
        errors=errors,
        comparison=comparison,
        attribute_labels=ATTRIBUTE_LABELS,
        kind_labels=KIND_LABELS,
        value=lambda attribute, v: _value(comparison, attribute, v),
        item_attribute=item_attribute,
        role_label=lambda code: role_label(comparison, code),
    )


@bp.get("/processes/<key>/compare.json")
def compare_data(key: str) -> ResponseReturnValue:
    """Both diagrams' XML and the ids to colour on each, for the compare page's viewers."""
    session = db_session()
    actor = page_actor()
    a, b = version_number(request.args.get("a")), version_number(request.args.get("b"))
    if a is None or b is None:
        return {"error": _("Choose two versions to compare.")}, 400, NO_STORE
    a, b = _older_first(a, b)
    comparison = process_catalogue.compare_versions(session, actor, key, a, b)
    return (
        {
            "a": {"number": a, "xml": process_catalogue.version_xml(session, actor, key, a)},
            "b": {"number": b, "xml": process_catalogue.version_xml(session, actor, key, b)},
            "markers": comparison.markers(),
            "changes": _changes_json(comparison),
        },
        200,
        NO_STORE,
    )
