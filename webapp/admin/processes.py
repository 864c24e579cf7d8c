"""Process catalogue (placeholder until the admin pages land)."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from webapp.admin.blueprint import bp
from webapp.request_db import db_session
from webapp.services import process_versions
from webapp.web_edge import page_actor


@bp.get("/processes")
def catalogue() -> ResponseReturnValue:
    """Each process with its versions."""
    processes = process_versions.list_versions(db_session(), page_actor())
    return render_template("admin/processes/catalogue.html", processes=processes)
