"""Workbooks of the tracking list too long to make while the user waits: asked for here, built
by the job queue (webapp/export_jobs.py), then downloaded from the user's list of exports."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from webapp.db import utcnow
from webapp.dossiers.blueprint import bp
from webapp.dossiers.views import (
    XLSX,
    download_headers,
    export_direct_rows,
    read_query,
    refused_export,
    tracking_choices,
)
from webapp.forms import ActionForm
from webapp.i18n import total_label
from webapp.request_db import db_session
from webapp.services import background_exports, tracking_export
from webapp.services.errors import ConflictError
from webapp.web_edge import page_actor


@bp.get("/dossiers/exports/new")
@login_required
def new_export() -> ResponseReturnValue:
    """What asking for a prepared workbook means, with the button that asks for it."""
    steps, units = tracking_choices()
    query = read_query(steps, units)
    if query.movement and query.movement.error:
        return refused_export(query.movement.error)
    count, over = background_exports.count_up_to(
        db_session(), page_actor(), query.filters(), export_direct_rows(), utcnow()
    )
    return render_template(
        "dossiers/export_new.html",
        query=query,
        count_label=total_label(count, over),
        form=ActionForm(),
        keep_days=background_exports.KEEP_FOR.days,
    )


@bp.post("/dossiers/exports")
@login_required
def request_export() -> ResponseReturnValue:
    """Queue a workbook of the list the query string describes (POST with the CSRF token)."""
    if not ActionForm(request.form).validate():
        abort(400)
    steps, units = tracking_choices()
    query = read_query(steps, units)
    if query.movement and query.movement.error:
        return refused_export(query.movement.error)
    session = db_session()
    try:
        background_exports.request_export(
            session, page_actor(), query.filters(), query.sort, query.args(page=None), utcnow()
        )
    except ConflictError:
        flash(
            _(
                "%(num)d Excel files are already being prepared for you: wait until one is "
                "ready, then ask again.",
                num=background_exports.PENDING_PER_USER,
            ),
            "warning",
        )
        return redirect(url_for("dossiers.exports"))
    session.commit()
    flash(
        _(
            "The Excel file is being prepared. It will be listed here, ready to download, in a "
            "few minutes; a notification tells you when."
        ),
        "info",
    )
    return redirect(url_for("dossiers.exports"))


@bp.get("/dossiers/exports")
@login_required
def exports() -> ResponseReturnValue:
    """The user's own workbooks: asked for, being made, ready (with a download) or failed."""
    rows = background_exports.exports_of(db_session(), page_actor(), utcnow())
    return render_template(
        "dossiers/exports.html",
        rows=rows,
        pending=any(row.status in background_exports.PENDING for row in rows),
        keep_days=background_exports.KEEP_FOR.days,
    )


@bp.get("/dossiers/exports/<int:export_id>/file")
@login_required
def export_file(export_id: int) -> ResponseReturnValue:
    """Download a ready workbook (its owner only: anyone else gets 404)."""
    export, stream = background_exports.open_ready(db_session(), page_actor(), export_id, utcnow())
    return Response(
        tracking_export.chunks_of(stream),
        mimetype=XLSX,
        headers={
            **download_headers("theo-doi-ho-so", export.created_at, XLSX),
            "Content-Length": str(export.size),
        },
    )
