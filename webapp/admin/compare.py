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
    return str(value)


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
        },
        200,
        NO_STORE,
    )
