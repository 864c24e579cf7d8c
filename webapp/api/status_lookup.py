"""GET /status-lookup/<code>: a dossier's public status, without a token; rate-limited."""

from __future__ import annotations

from typing import Any

from flask import Response

from webapp.api import bp
from webapp.api.edge import local_time
from webapp.api.errors import error_response
from webapp.lookup_limit import retry_after_or_none
from webapp.request_db import db_session
from webapp.services import status_lookup


@bp.get("/status-lookup/<path:code>")
def public_status(code: str) -> tuple[dict[str, Any], int] | Response:
    """The step a dossier is at and since when; nothing personal. Unknown codes are 404."""
    retry_after = retry_after_or_none()
    if retry_after is not None:
        response = error_response(
            429, "too_many_requests", f"too many look-ups; try again in {retry_after} seconds"
        )
        response.headers["Retry-After"] = str(retry_after)
        return response
    found = status_lookup.look_up_status(db_session(), code)
    return {
        "code": found.code,
        "award_form": found.award_form,
        "state": found.state,
        "since": local_time(found.since),
        "steps": [{"title": s.title, "since": local_time(s.since)} for s in found.steps],
    }, 200
