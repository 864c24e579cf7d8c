"""Dossier pages (placeholders until the tracking, dossier and creation pages land)."""

from __future__ import annotations

from flask import render_template, send_file
from flask.typing import ResponseReturnValue
from flask_login import login_required

from webapp.dossier_view import dossier_context
from webapp.dossiers.blueprint import bp
from webapp.request_db import db_session
from webapp.services import attachments, dossiers
from webapp.web_edge import page_actor


@bp.get("/dossiers")
@login_required
def tracking() -> ResponseReturnValue:
    """Theo dõi hồ sơ."""
    page = dossiers.list_dossiers(db_session(), page_actor())
    return render_template("dossiers/tracking.html", page=page)


@bp.get("/dossiers/<int:dossier_id>")
@login_required
def show(dossier_id: int) -> ResponseReturnValue:
    """The dossier page."""
    actor = page_actor()
    session = db_session()
    detail = dossiers.dossier_detail(session, actor, dossier_id)
    return render_template(
        "dossiers/show.html",
        detail=detail,
        dossier=detail.dossier,
        **dossier_context(session, actor, detail.dossier),
    )


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int) -> ResponseReturnValue:
    """Download a file of a dossier the user may see."""
    found, path = attachments.open_attachment(db_session(), page_actor(), attachment_id)
    return send_file(
        path, mimetype=found.mime_type, as_attachment=True, download_name=found.file_name
    )
