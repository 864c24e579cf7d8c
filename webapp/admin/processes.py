"""The process catalogue, a version's page, comparing two versions and moving running dossiers
from one version to another (dry run, move, undo). Thin views over
services.process_catalogue, process_versions and version_moves."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from werkzeug.routing import BuildError

from webapp.admin.blueprint import bp
from webapp.admin.problem_text import problem_label, problem_text
from webapp.forms import ActionForm
from webapp.request_db import db_session
from webapp.services import move_planning, process_catalogue, process_versions, version_moves
from webapp.services.errors import ConflictError, InvalidDataError, NotFoundError
from webapp.url_converters import query_int
from webapp.web_edge import page_actor

VERSION_URL = "/processes/<key>/versions/<int:number>"
NO_STORE = {"Cache-Control": "no-store"}
STATUS_LABELS = {"draft": _l("Draft"), "deployed": _l("Deployed"), "retired": _l("Retired")}
STATUS_COLOURS = {"draft": "warning", "deployed": "success", "retired": "secondary"}
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
# The engine explains a refused move in English; the page says it in the page's language.
REASONS: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(r"it passed the step '(?P<step>.+)', which the new version removes"),
        _l("It has passed the step “%(step)s”, which the new version removes."),
    ),
    (
        re.compile(r"its current step '(?P<step>.+)' is not in the new version"),
        _l("Its current step %(step)s is not in the new version: choose a step for it below."),
    ),
    (
        re.compile(r"'(?P<step>.+)' is not a user task of the new version"),
        _l("%(step)s is not a plain user task of the new version."),
    ),
    (
        re.compile(r"it is waiting at '(?P<step>.+)', which the new version removes"),
        _l("It is waiting at %(step)s, which the new version removes."),
    ),
    (
        re.compile(r"a multi-instance step \(a council vote\) is under way"),
        _l("A vote (a multi-instance step) is under way: let it finish first."),
    ),
    (
        re.compile(r"the dossier is inside a sub-process"),
        _l("The dossier is inside a sub-process."),
    ),
    (
        re.compile(r"the new version cannot continue it: (?P<detail>.*)"),
        _l("The new version cannot continue it (%(detail)s)."),
    ),
    (
        re.compile(r"the dossier has moved on since"),
        _l("The dossier has moved on since the move."),
    ),
]


def _link(endpoint: str, **values: Any) -> str | None:
    """A link to another admin page, or None while that page does not exist."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def reason_text(reason: str) -> str:
    """A refused move's reason in the page's language (the engine's words when unknown)."""
    for pattern, message in REASONS:
        match = pattern.fullmatch(reason)
        if match:
            return str(message) % match.groupdict() if match.groupdict() else str(message)
    return reason


def _render(template: str, status: int = 200, **context: Any) -> ResponseReturnValue:
    html = render_template(
        template,
        link=_link,
        status_labels=STATUS_LABELS,
        status_colours=STATUS_COLOURS,
        problem_label=problem_label,
        problem_text=problem_text,
        **context,
    )
    return html, status


def _csrf_ok() -> None:
    if not ActionForm(request.form).validate():
        abort(400)


def _back(key: str, number: int) -> ResponseReturnValue:
    if request.form.get("return_to") == "version":
        return redirect(url_for("admin.version", key=key, number=number))
    return redirect(url_for("admin.catalogue"))


# --- catalogue and version -----------------------------------------------------------------


@bp.get("/processes")
def catalogue() -> ResponseReturnValue:
    """Each process with its versions: status, authors, dossiers running, problems, actions."""
    processes = process_catalogue.catalogue(db_session(), page_actor())
    return _render("admin/processes/catalogue.html", processes=processes)


@bp.get(VERSION_URL)
def version(key: str, number: int) -> ResponseReturnValue:
    """A version's details, files, human steps and the problems the check found."""
    detail = process_catalogue.version_detail(db_session(), page_actor(), key, number)
    return _render("admin/processes/version.html", key=key, detail=detail, v=detail.row)


@bp.post(VERSION_URL + "/copy")
def version_copy(key: str, number: int) -> ResponseReturnValue:
    """A new draft with the diagram, forms and rules of version `number`."""
    _csrf_ok()
    session = db_session()
    draft = process_versions.copy_as_draft(session, page_actor(), key, number)
    session.commit()
    flash(
        _(
            "Version %(number)d is a new draft copied from version %(source)d.",
            number=draft.version,
            source=number,
        ),
        "success",
    )
    return redirect(url_for("admin.version", key=key, number=draft.version))


@bp.post(VERSION_URL + "/deploy")
def version_deploy(key: str, number: int) -> ResponseReturnValue:
    """Deploy a draft without problems: new dossiers start on it, running ones stay."""
    _csrf_ok()
    session = db_session()
    try:
        process_catalogue.deploy_draft(session, page_actor(), key, number)
    except InvalidDataError:
        session.rollback()
        flash(_("Version %(number)d has problems and cannot be deployed.", number=number), "danger")
        return _back(key, number)
    except ConflictError:
        session.rollback()
        flash(_("Only a draft can be deployed: copy this version as a new draft."), "warning")
        return _back(key, number)
    session.commit()
    flash(
        _(
            "Version %(number)d is deployed: every new dossier starts on it; dossiers "
            "already running stay on their version.",
            number=number,
        ),
        "success",
    )
    return _back(key, number)


@bp.post(VERSION_URL + "/delete")
def version_delete(key: str, number: int) -> ResponseReturnValue:
    """Delete a draft never deployed that no dossier ran on; anything else is refused (409)."""
    _csrf_ok()
    session = db_session()
    try:
        process_versions.delete_draft(session, page_actor(), key, number)
    except ConflictError as exc:
        session.rollback()
        if exc.code == "version_in_use":
            message = _(
                "Dossiers ran on version %(number)d or were moved to or from it: "
                "it is kept and cannot be deleted.",
                number=number,
            )
        else:
            message = _(
                "Only a draft that was never deployed can be deleted; version %(number)d is kept.",
                number=number,
            )
        flash(message, "warning")
        detail = process_catalogue.version_detail(session, page_actor(), key, number)
        return _render("admin/processes/version.html", 409, key=key, detail=detail, v=detail.row)
    session.commit()
    flash(_("Draft version %(number)d was deleted.", number=number), "success")
    return redirect(url_for("admin.catalogue"))


# --- comparing -----------------------------------------------------------------------------


def _number(value: str | None) -> int | None:
    try:
        return query_int(value) if value else None
    except ValueError:
        return None


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
        value = _number(raw)
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
    return _render(
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
    a, b = _number(request.args.get("a")), _number(request.args.get("b"))
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


# --- moving running dossiers ---------------------------------------------------------------


def _mapping(form: Mapping[str, str], options: move_planning.MoveOptions) -> dict[str, str]:
    return {
        step.element_id: form.get(f"map-{step.element_id}", "")
        for step in options.unmatched
        if form.get(f"map-{step.element_id}")
    }


def _selection(
    session: Any, actor: Any, key: str, source: int, options: move_planning.MoveOptions
) -> tuple[dict[str, Any], dict[str, str]]:
    """The dossiers chosen on the form, as move_dossiers takes them, and what is wrong."""
    form = request.form
    errors: dict[str, str] = {}
    if form.get("select") == "codes":
        codes = move_planning.parse_codes(form.get("codes", ""))
        if not codes:
            errors["codes"] = _("Type the codes of the dossiers to move.")
            return {}, errors
        if len(codes) > move_planning.MAX_CODES:
            errors["codes"] = _(
                "At most %(max)d dossiers move at once.", max=move_planning.MAX_CODES
            )
            return {}, errors
        found = move_planning.dossiers_by_code(session, actor, key, source, codes)
        problems = []
        if found.unknown:
            problems.append(_("No dossier has the code %(codes)s.", codes=", ".join(found.unknown)))
        if found.elsewhere:
            problems.append(
                _(
                    "Not running on version %(number)d: %(codes)s.",
                    number=source,
                    codes=", ".join(found.elsewhere),
                )
            )
        if problems:
            errors["codes"] = " ".join(problems)
            return {}, errors
        return {"dossier_ids": found.dossier_ids}, errors
    step = form.get("step", "")
    if step not in {s.element_id for s in options.steps}:
        errors["step"] = _("Choose a step of version %(number)d.", number=source)
        return {}, errors
    return {"step": step}, errors


def _versions_from_query() -> tuple[int | None, int | None, dict[str, str]]:
    values = request.form if request.method == "POST" else request.args
    errors: dict[str, str] = {}
    numbers: dict[str, int | None] = {}
    for field in ("from", "to"):
        raw = values.get(field, "")
        numbers[field] = _number(raw)
        if raw and numbers[field] is None:
            errors[field] = _("Choose a version from the list.")
    return numbers["from"], numbers["to"], errors


def _default_versions(
    options: move_planning.MoveOptions, source: int | None, target: int | None
) -> tuple[int | None, int | None]:
    deployed = next((v.number for v in options.versions if v.status == "deployed"), None)
    if source is None and options.sources:
        # The oldest version with dossiers other than the deployed one is the usual case.
        others = [v.number for v in options.sources if v.number != deployed]
        source = min(others) if others else options.sources[0].number
    if target is None:
        candidates = [v.number for v in options.targets if v.number != source]
        target = deployed if deployed in candidates else (max(candidates) if candidates else None)
    return source, target


@bp.route("/processes/<key>/moves", methods=["GET", "POST"])
def moves(key: str) -> ResponseReturnValue:
    """Choose versions and dossiers, see first what moving them would do (a dry run), move
    them together; recent moves can be undone."""
    session = db_session()
    actor = page_actor()
    if request.method == "POST":
        _csrf_ok()
    process = process_catalogue.process_row(session, actor, key)
    if process is None:
        raise NotFoundError(f"no process {key}")
    source, target, errors = _versions_from_query()
    options = move_planning.move_options(session, actor, key, None, None)
    source, target = _default_versions(options, source, target)
    if source is not None and source not in {v.number for v in options.sources}:
        errors["from"] = _("No dossier runs on version %(number)d.", number=source)
        source = None
    if target is not None and target not in {v.number for v in options.targets}:
        errors["to"] = _(
            "Dossiers move only to a deployed or retired version without problems; "
            "deploy a draft first."
        )
        target = None
    if source is not None and source == target:
        errors["to"] = _("Choose a version other than the one the dossiers are on.")
        target = None
    options = move_planning.move_options(session, actor, key, source, target)
    context: dict[str, Any] = {
        "process": process,
        "options": options,
        "source": source,
        "target": target,
        "errors": errors,
        "form": request.form,
        "previews": None,
        "result": None,
        "mapping": _mapping(request.form, options),
        "reason_text": reason_text,
    }
    status = 422 if errors else 200
    if request.method == "POST" and not errors and source is not None and target is not None:
        status = _dry_run_or_move(session, actor, key, source, target, options, context)
    context["batches"] = move_planning.recent_batches(session, actor, key)
    return _render("admin/processes/moves.html", status, **context)


def _dry_run_or_move(
    session: Any,
    actor: Any,
    key: str,
    source: int,
    target: int,
    options: move_planning.MoveOptions,
    context: dict[str, Any],
) -> int:
    """Run the dry run or the move the form asks for; fill the page's context; the status."""
    errors: dict[str, str] = context["errors"]
    targets = {s.element_id for s in options.mapping_targets}
    for step, chosen in context["mapping"].items():
        if chosen not in targets:
            errors[f"map-{step}"] = _("Choose a step of version %(number)d.", number=target)
    selection, selection_errors = _selection(session, actor, key, source, options)
    errors.update(selection_errors)
    if errors:
        return 422
    mapping = context["mapping"] or None
    try:
        if request.form.get("action") == "move":
            result = version_moves.move_dossiers(
                session, actor, key, source, target, mapping=mapping, **selection
            )
            codes = move_planning.dossier_codes(session, actor, result.moved)
            session.commit()
            context["result"] = result
            context["moved_codes"] = codes
            return 200
        context["previews"] = version_moves.preview_move(
            session, actor, key, source, target, mapping=mapping, **selection
        )
        session.rollback()  # a dry run writes nothing
        return 200
    except InvalidDataError as exc:
        session.rollback()
        field = "step" if selection.get("step") else "codes"
        if exc.code == "too_many_dossiers":
            reason = _(
                "at most %(max)d dossiers move at once; choose fewer.", max=version_moves.MAX_BATCH
            )
        else:
            reason = exc.message
        errors[field] = _("These dossiers cannot move: %(reason)s", reason=reason)
        return 422


@bp.post("/processes/<key>/moves/<batch>/undo")
def move_undo(key: str, batch: str) -> ResponseReturnValue:
    """Put the dossiers of a batch back on their version (those that have not moved on)."""
    _csrf_ok()
    session = db_session()
    actor = page_actor()
    try:
        result = move_planning.undo_batch(session, actor, key, batch)
    except NotFoundError:
        session.rollback()
        flash(_("This move was already undone, or does not exist."), "warning")
        return redirect(url_for("admin.moves", key=key))
    stayed = move_planning.dossier_codes(session, actor, [p.dossier_id for p in result.stayed])
    session.commit()
    flash(
        ngettext(
            "The move was undone: %(num)d dossier is back on its version.",
            "The move was undone: %(num)d dossiers are back on their version.",
            len(result.moved),
        ),
        "success",
    )
    if stayed:
        flash(
            _(
                "These dossiers have moved on since and stay where they are: %(codes)s.",
                codes=", ".join(sorted(stayed.values())),
            ),
            "warning",
        )
    return redirect(url_for("admin.moves", key=key))
