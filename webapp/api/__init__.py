"""The JSON API under /api/v1: bearer tokens, JSON errors, the use cases of the services."""

from __future__ import annotations

from flask import Blueprint, request

from webapp.api.edge import check_query_values

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# No API body needs more: a diagram is at most 5 MiB, a rule table 1 MiB, a form 200,000
# characters. Refusing early keeps a worker from reading and parsing 20 MiB it will refuse.
MAX_API_BODY_BYTES = 8 * 1024 * 1024


@bp.before_request
def limit_body_size() -> None:
    """Bodies above MAX_API_BODY_BYTES are 413 `too_large` before they are read."""
    request.max_content_length = MAX_API_BODY_BYTES


@bp.before_request
def refuse_unstorable_query_values() -> None:
    """A NUL or another control character in a query parameter is 422 naming it (PostgreSQL
    refuses such text outright: it would be a 500)."""
    check_query_values()


# Route modules register themselves on `bp`.
from webapp.api import (  # noqa: E402, F401
    dossiers,
    errors,
    openapi,
    processes,
    rounds,
    status_lookup,
    tokens,
    work_items,
)
