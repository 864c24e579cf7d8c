"""Taking a register number from a step's page ("Lấy số"): POST answers JSON for the page's
script, which fills the step's number field with it."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from webapp.forms import ActionForm
from webapp.request_db import db_session
from webapp.services import submission_numbers
from webapp.services.errors import (
    ConflictError,
    InvalidDataError,
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
)
from webapp.web_edge import page_actor

bp = Blueprint("numbers", __name__)


def _refused(exc: ServiceError) -> ResponseReturnValue:
    db_session().rollback()
    if isinstance(exc, NotFoundError):
        status, message = 404, _("This step was not found.")
    elif isinstance(exc, PermissionDeniedError):
        status, message = 403, _("This step is not yours to do.")
    elif isinstance(exc, ConflictError):
        status, message = 409, _("This step is already done.")
    elif isinstance(exc, InvalidDataError):
        status, message = 422, _("This step takes no submission number.")
    else:
        raise exc
    return jsonify({"error": {"code": exc.code, "message": message}}), status


@bp.post("/work/<int:item_id>/submission-number")
@login_required
def take_submission_number(item_id: int) -> ResponseReturnValue:
    """Issue (or give back) the dossier's tờ trình number for the signing step."""
    if not ActionForm(request.form).validate():
        return jsonify(
            {"error": {"code": "csrf", "message": _("The form expired. Please reload the page.")}}
        ), 400
    session = db_session()
    try:
        taken = submission_numbers.take_submission_number(session, page_actor(), item_id)
    except ServiceError as exc:
        return _refused(exc)
    session.commit()
    return jsonify({"number": taken.text, "again": taken.again})
