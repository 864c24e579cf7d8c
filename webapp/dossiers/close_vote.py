"""The chair closes a council vote that cannot finish (POST from the dossier page)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from webapp.dossiers.blueprint import bp
from webapp.dossiers.close_vote_form import CloseVoteForm
from webapp.dossiers.views import render_dossier_page
from webapp.field_messages import refusal_message
from webapp.request_db import db_session
from webapp.services import council_closing
from webapp.services.errors import InvalidDataError
from webapp.web_edge import page_actor


@bp.post("/dossiers/<int:dossier_id>/close-vote")
@login_required
def close_vote(dossier_id: int) -> ResponseReturnValue:
    """Close the vote: open ballots count as absences, the votes are counted."""
    form = CloseVoteForm(request.form)
    if not form.validate():
        return render_dossier_page(dossier_id, close_form=form, status=422)
    session = db_session()
    try:
        detail = council_closing.close_vote(session, page_actor(), dossier_id, form.comment.data)
    except InvalidDataError as exc:
        # The count itself failed (the diagram's rules): nothing changed, say so on the page.
        session.rollback()
        flash(refusal_message(exc), "danger")
        return render_dossier_page(dossier_id, close_form=form, status=422)
    session.commit()
    flash(
        _(
            "The vote on %(code)s is closed and the votes are counted.",
            code=detail.dossier.code or detail.dossier.id,
        ),
        "success",
    )
    return redirect(url_for("dossiers.show", dossier_id=dossier_id))
