"""The round's electronic dossier for the level above, as one ZIP with its manifest."""

from __future__ import annotations

from flask import flash
from flask.typing import ResponseReturnValue
from flask_login import login_required

from webapp.package_wording import max_bytes, send_package, too_large_message, wording
from webapp.request_db import db_session
from webapp.rounds.blueprint import bp
from webapp.rounds.views import render_round
from webapp.services import submission_package
from webapp.services.errors import InvalidDataError
from webapp.web_edge import page_actor


@bp.app_template_global("package_allowed")
def allowed(unit_id: int) -> bool:
    """Whether the page offers the package of this unit's round or dossier."""
    return submission_package.may_download(page_actor(), unit_id)


@bp.get("/rounds/<int:round_id>/package.zip")
@login_required
def package(round_id: int) -> ResponseReturnValue:
    """The round's kept papers and its dossiers' files with manifest.json and manifest.csv
    (Office, Director, Ministry officer; 413 with the round's page past the size bound)."""
    try:
        built = submission_package.round_package(
            db_session(), page_actor(), round_id, wording(), max_bytes=max_bytes()
        )
    except InvalidDataError as exc:
        if exc.code != "package_too_large":
            raise
        flash(too_large_message(), "warning")
        return render_round(round_id, status=413)
    return send_package(built)
