"""The process map page (placeholder until it lands)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

bp = Blueprint("process_map", __name__)


@bp.get("/process-map")
@login_required
def show() -> ResponseReturnValue:
    """The deployed diagram with counts per step."""
    return render_template("process_map/show.html")
