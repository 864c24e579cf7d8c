"""Creating a dossier (placeholder until the creation page lands)."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from webapp.dossiers.blueprint import bp


@bp.get("/dossiers/new")
@login_required
def new() -> ResponseReturnValue:
    """Create a dossier."""
    return render_template("dossiers/new.html")
