"""The administration home (administrators only: see the blueprint): one card per section."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from webapp.admin.blueprint import bp


@bp.get("/")
def home() -> ResponseReturnValue:
    """`/admin`: the sections of the administration, each with what it is for."""
    return render_template("admin/home.html")
