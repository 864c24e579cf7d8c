"""Serve the front-end packages installed by npm (node_modules), allow-listed, never copied."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory
from flask.typing import ResponseReturnValue

NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
ALLOWED_PREFIXES = (
    "bootstrap/dist/",
    "bootstrap-icons/font/",
    "bpmn-js/dist/",
)

bp = Blueprint("vendor", __name__, url_prefix="/vendor")


@bp.get("/<path:filename>")
def asset(filename: str) -> ResponseReturnValue:
    """A file of an allow-listed package folder, cached by the browser for a day."""
    if ".." in filename or not filename.startswith(ALLOWED_PREFIXES):
        abort(404)
    return send_from_directory(NODE_MODULES, filename, max_age=86400)
