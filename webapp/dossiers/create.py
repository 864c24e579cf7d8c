"""Creating a dossier: header, nominees row by row, one achievement report per nominee."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.datastructures import CombinedMultiDict

from webapp.dossiers.blueprint import bp
from webapp.dossiers.create_forms import (
    NewDossierForm,
    attach_service_errors,
    blank_row,
    dossier_payload,
    has_report_errors,
    read_reports,
)
from webapp.permissions import can_start_dossier
from webapp.request_db import db_session
from webapp.services import dossier_intake
from webapp.services.attachments import MAX_FILE_BYTES
from webapp.services.errors import InvalidDataError, PermissionDeniedError
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
    valid = form.validate()
    # Every file is checked even when other fields are wrong: all messages show at once.
    reports, accepted = read_reports(form)
    if not valid or has_report_errors(form):
        return _page(form, accepted, invalid=True), 422
    submit = request.form.get("action") == "submit"
    session = db_session()
    try:
        created = dossier_intake.create_dossier(
            session, actor, dossier_payload(form), reports, submit=submit
        )
        session.commit()
    except InvalidDataError as exc:
        session.rollback()
        for message in attach_service_errors(form, exc):
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


def _page(
    form: NewDossierForm, accepted: dict[int, str] | None = None, *, invalid: bool = False
) -> str:
    """The form (`invalid`: sent back with errors), and the limits the page's script checks."""
    unit = dossier_intake.creating_unit(db_session(), page_actor())
    context: dict[str, Any] = {
        "form": form,
        "blank_row": blank_row(),
        "unit": unit,
        "resend": accepted or {},
        "invalid": invalid,
        "max_file_bytes": MAX_FILE_BYTES,
        "max_total_bytes": max(
            int(current_app.config.get("MAX_CONTENT_LENGTH") or 0) - FORM_TEXT_ALLOWANCE, 0
        ),
    }
    return render_template("dossiers/new.html", **context)
