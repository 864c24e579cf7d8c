"""Creating a dossier: header, nominees row by row, one achievement report per nominee.

The same editor prepares and corrects a dossier at its preparing step (a step whose form has
`x-edits-dossier`): the work-item page hands such a step to `correct_dossier`.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask import session as browser_session
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.datastructures import CombinedMultiDict

from webapp.dossier_view import AWARD_FORM_LABELS
from webapp.dossiers.blueprint import bp
from webapp.dossiers.create_forms import (
    CorrectDossierForm,
    CorrectNomineeForm,
    NewDossierForm,
    attach_service_errors,
    blank_row,
    correct_payload,
    dossier_payload,
    dossier_values,
    has_report_errors,
    load_choices,
    read_documents,
    read_reports,
)
from webapp.field_messages import refusal_message
from webapp.permissions import can_start_dossier
from webapp.request_db import db_session
from webapp.round_text import round_refusals
from webapp.services import award_rules_catalog, dossier_intake, nominee_details, work_items
from webapp.services.attachments import MAX_FILE_BYTES
from webapp.services.errors import InvalidDataError, PermissionDeniedError
from webapp.services.form_validation import FormInvalidError
from webapp.services.rounds import lifecycle
from webapp.step_forms import choices_of
from webapp.web_edge import page_actor

# Room left in a request for the text fields when the page's script adds up the files' sizes.
FORM_TEXT_ALLOWANCE = 256 * 1024


@bp.route("/dossiers/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """Create a dossier: "Save draft" waits at the preparing step, "Create and submit" sends it."""
    actor = page_actor()
    if not can_start_dossier(actor):
        raise PermissionDeniedError("only unit officers create dossiers")
    if request.method == "GET":
        return _page(NewDossierForm())
    form = NewDossierForm(CombinedMultiDict((request.files, request.form)))
    _choices(form)
    valid = form.validate()
    # Every file is checked even when other fields are wrong: all messages show at once.
    reports, accepted = read_reports(form)
    documents = read_documents(form)
    if not valid or has_report_errors(form):
        return _page(form, accepted, invalid=True), 422
    submit = request.form.get("action") == "submit"
    session = db_session()
    try:
        created = dossier_intake.create_dossier(
            session,
            actor,
            dossier_payload(form),
            reports,
            submit=submit,
            round_id=_round_id(),
            documents=documents,
        )
        session.commit()
    except InvalidDataError as exc:
        session.rollback()
        for message in round_refusals(exc) or attach_service_errors(form, exc):
            flash(_("The dossier could not be created: %(reason)s", reason=message), "danger")
        return _page(form, accepted, invalid=True), 422
    code = created.dossier.code
    if not submit:
        flash(
            _(
                "Dossier %(code)s was created as a draft. Complete it here and submit it "
                "when it is ready.",
                code=code,
            ),
            "success",
        )
        if created.own_item is not None:
            return redirect(url_for("work.item", item_id=created.own_item.id))
        return redirect(url_for("dossiers.show", dossier_id=created.dossier.id))
    steps = ", ".join(dict.fromkeys(item.title for item in created.open_items))
    if steps:
        flash(
            _(
                "Dossier %(code)s was created and submitted; it now waits at “%(step)s”.",
                code=code,
                step=steps,
            ),
            "success",
        )
    else:
        flash(_("Dossier %(code)s was created and submitted.", code=code), "success")
    return redirect(url_for("work.inbox"))


def _round_id() -> int | None:
    """The round the dossier joins (from the page's choice or the round page's link)."""
    return request.values.get("round_id", type=int) or None


def _limits() -> dict[str, int]:
    return {
        "max_file_bytes": MAX_FILE_BYTES,
        "max_total_bytes": max(
            int(current_app.config.get("MAX_CONTENT_LENGTH") or 0) - FORM_TEXT_ALLOWANCE, 0
        ),
    }


def _choices(form: NewDossierForm) -> list[Any]:
    """The current cases of the simplified procedure and the units, offered in the form."""
    session = db_session()
    return load_choices(
        form,
        award_rules_catalog.simplified_cases(session, active_only=True),
        nominee_details.organisation_units(session),
    )


def _page(
    form: NewDossierForm, accepted: dict[int, str] | None = None, *, invalid: bool = False
) -> str:
    """The form (`invalid`: sent back with errors), and the limits the page's script checks."""
    unit = dossier_intake.creating_unit(db_session(), page_actor())
    units = _choices(form)
    context: dict[str, Any] = {
        "form": form,
        "blank_row": blank_row(units=units),
        "unit": unit,
        "resend": accepted or {},
        "invalid": invalid,
        "mode": "create",
        "open_rounds": lifecycle.open_rounds_for(db_session(), page_actor()),
        "round_id": _round_id(),
        **_limits(),
    }
    return render_template("dossiers/new.html", **context)


def correct_dossier(detail: work_items.WorkItemDetail, *, done_key: str) -> ResponseReturnValue:
    """The preparing step of a dossier (first preparation or a correction after a return) in the
    creation editor: named rows, a report per nominee, save draft or send on, and the reason it
    came back on top. One service call saves or completes the step with its files; once the
    step is done the inbox confirms it (`done_key` names it in the browser's session)."""
    item, dossier = detail.item, detail.dossier
    schema = detail.form or {}
    decisions = choices_of(schema.get("properties", {}).get("decision", {}), str(get_locale()))
    if request.method == "GET":
        return _correct_page(detail, CorrectDossierForm(data=dossier_values(dossier)), decisions)
    form = CorrectDossierForm(CombinedMultiDict((request.files, request.form)))
    _choices(form)
    draft = request.form.get("action") == "draft"
    decision = request.form.get("decision")
    valid = form.validate()
    reports, accepted = read_reports(form)
    documents = read_documents(form)
    decision_error = not draft and decision not in {choice.value for choice in decisions}
    if not valid or has_report_errors(form) or decision_error:
        return _correct_page(
            detail, form, decisions, accepted, invalid=True, decision_error=decision_error
        ), 422
    payload = correct_payload(form, schema)
    actor, session = page_actor(), db_session()
    try:
        if draft:
            edits = {k: v for k, v in payload.items() if k not in {"comment", "decision"}}
            work_items.save_dossier_draft(
                session, actor, item.id, edits, reports=reports, uploads=documents
            )
        else:
            work_items.complete_work_item(
                session,
                actor,
                item.id,
                {**payload, "decision": decision},
                reports=reports,
                uploads=documents,
            )
        session.commit()
    except InvalidDataError as exc:
        session.rollback()
        if isinstance(exc, FormInvalidError) or exc.code != "process_error":
            messages = attach_service_errors(form, exc)
        else:
            messages = [refusal_message(exc)]
        for message in messages:
            flash(message, "danger")
        return _correct_page(detail, form, decisions, accepted, invalid=True), 422
    if draft:
        flash(_("The draft was saved. You can come back to it later."), "success")
        return redirect(url_for("work.item", item_id=item.id))
    browser_session[done_key] = item.id
    return redirect(url_for("work.inbox"))


@bp.record_once
def _register_editor(state: BlueprintSetupState) -> None:
    """The work-item page (another blueprint, which may not import this one) hands a step whose
    form edits the dossier to this editor."""
    state.app.extensions["dossier_editor"] = correct_dossier


def _correct_page(
    detail: work_items.WorkItemDetail,
    form: CorrectDossierForm,
    decisions: list[Any],
    accepted: dict[int, str] | None = None,
    *,
    invalid: bool = False,
    decision_error: bool = False,
) -> str:
    session = db_session()
    dossier = detail.dossier
    reports = dossier_intake.current_reports(session, dossier)
    units = _choices(form)
    context: dict[str, Any] = {
        "form": form,
        "blank_row": blank_row(CorrectNomineeForm, units),
        "unit": dossier.unit,
        "resend": accepted or {},
        "invalid": invalid,
        "mode": "correct",
        "item": detail.item,
        "dossier": dossier,
        "note": dossier_intake.return_note(session, dossier),
        # A row's current report, by the nominee id the row carries.
        "reports": reports,
        "decisions": decisions,
        "decision_error": decision_error,
        "award_form_text": AWARD_FORM_LABELS.get(dossier.award_form, dossier.award_form),
        **_limits(),
    }
    return render_template("dossiers/new.html", **context)
