"""The public status look-up page (/tra-cuu): no login; by a dossier's code, the step it is at
and since when, nothing personal; rate-limited per address."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from webapp.dossier_view import AWARD_FORM_LABELS
from webapp.lookup_limit import retry_after_or_none
from webapp.request_db import db_session
from webapp.services import status_lookup
from webapp.services.errors import NotFoundError

bp = Blueprint("lookup", __name__)
MAX_CODE_CHARS = 40


@bp.get("/tra-cuu")
def status_page() -> ResponseReturnValue:
    """`/tra-cuu?ma=…`: the form, and the dossier's public status when a code is given."""
    raw = (request.args.get("ma") or "").strip()[: MAX_CODE_CHARS * 2]
    if not raw:
        return render_template("lookup/status.html", code="", result=None, unknown=False)
    retry_after = retry_after_or_none()
    if retry_after is not None:
        response = render_template("lookup/too_many.html", seconds=retry_after)
        return response, 429, {"Retry-After": str(retry_after)}
    try:
        result = status_lookup.look_up_status(db_session(), raw)
    except NotFoundError:
        return render_template("lookup/status.html", code=raw, result=None, unknown=True), 404
    return render_template(
        "lookup/status.html",
        code=raw,
        result=result,
        unknown=False,
        award_form=AWARD_FORM_LABELS.get(result.award_form, result.award_form),
    )
