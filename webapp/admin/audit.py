"""The security audit trail (administrators only: see the blueprint)."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from webapp.admin.blueprint import bp
from webapp.request_db import db_session
from webapp.services import audit as audit_trail
from webapp.web_edge import page_actor


@bp.get("/audit")
def audit() -> ResponseReturnValue:
    """The newest security events first; "older" pages on by event id (keyset)."""
    before = request.args.get("before", type=int)
    listed = audit_trail.list_events(
        db_session(), page_actor(), before=before if before and before > 0 else None
    )
    return render_template("admin/audit.html", listed=listed, paged=before is not None)
