"""Moving running dossiers from one version of a process to another: a dry run first, the move
of a batch together, and undoing a recent batch. Thin views over services.move_planning and
version_moves."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from webapp.admin.blueprint import bp
from webapp.admin.processes import render_page, require_csrf, version_number
from webapp.request_db import db_session
from webapp.services import move_planning, process_catalogue, version_moves
from webapp.services.errors import InvalidDataError, NotFoundError
from webapp.web_edge import page_actor

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


def reason_text(reason: str) -> str:
    """A refused move's reason in the page's language (the engine's words when unknown)."""
    for pattern, message in REASONS:
        match = pattern.fullmatch(reason)
        if match:
            return str(message) % match.groupdict() if match.groupdict() else str(message)
    return reason


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
        numbers[field] = version_number(raw)
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
        require_csrf()
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
        "max_reason": version_moves.MAX_REASON_CHARS,
    }
    status = 422 if errors else 200
    if request.method == "POST" and not errors and source is not None and target is not None:
        status = _dry_run_or_move(session, actor, key, source, target, options, context)
    context["batches"] = move_planning.recent_batches(session, actor, key)
    return render_page("admin/processes/moves.html", status, **context)


def _reason(errors: dict[str, str], *, required: bool) -> str | None:
    """The reason typed on the form, or an error beside its field."""
    try:
        return version_moves.move_reason(request.form.get("reason"), required=required)
    except InvalidDataError as exc:
        if exc.code == "reason_too_long":
            errors["reason"] = _(
                "Reason: at most %(max)d characters.", max=version_moves.MAX_REASON_CHARS
            )
        else:
            errors["reason"] = _("Reason: say why these dossiers move.")
        return None


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
    moving = request.form.get("action") == "move"
    reason = _reason(errors, required=True) if moving else None
    if errors:
        return 422
    mapping = context["mapping"] or None
    try:
        if moving:
            result = version_moves.move_dossiers(
                session, actor, key, source, target, mapping=mapping, reason=reason, **selection
            )
            codes = move_planning.dossier_codes(session, actor, result.moved)
            session.commit()
            context["result"] = result
            context["moved_codes"] = codes
            context["moved_reason"] = reason
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
    require_csrf()
    session = db_session()
    actor = page_actor()
    errors: dict[str, str] = {}
    reason = _reason(errors, required=False)
    if errors:
        flash(errors["reason"], "danger")
        return redirect(url_for("admin.moves", key=key))
    try:
        result = move_planning.undo_batch(session, actor, key, batch, reason=reason)
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
