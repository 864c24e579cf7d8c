"""The JSON API under /api/v1: bearer tokens, JSON errors, the use cases of the services."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Route modules register themselves on `bp`.
from webapp.api import (  # noqa: E402, F401
    dossiers,
    errors,
    openapi,
    processes,
    tokens,
    work_items,
)
