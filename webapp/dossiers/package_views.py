"""A dossier's electronic dossier for the level above, as one ZIP with its manifest."""

from __future__ import annotations

from flask import flash
from flask.typing import ResponseReturnValue
from flask_login import login_required

from webapp.dossiers.blueprint import bp
from webapp.dossiers.views import render_dossier_page
from webapp.package_wording import max_bytes, send_package, too_large_message, wording
from webapp.request_db import db_session
from webapp.services import submission_package
from webapp.services.errors import InvalidDataError
from webapp.web_edge import page_actor


@bp.get("/dossiers/<int:dossier_id>/package.zip")
@login_required
def package(dossier_id: int) -> ResponseReturnValue:
    """The dossier's files and kept papers with manifest.json and manifest.csv (Office,
    Director, Ministry officer; 413 with the dossier's page past the size bound)."""
    try:
        built = submission_package.dossier_package(
            db_session(), page_actor(), dossier_id, wording(), max_bytes=max_bytes()
        )
    except InvalidDataError as exc:
        if exc.code != "package_too_large":
            raise
        flash(too_large_message(), "warning")
        return render_dossier_page(dossier_id, status=413)
    return send_package(built)
