"""POST /tokens, DELETE /tokens/current."""

from __future__ import annotations

from typing import Any

from webapp import login_limits as limits
from webapp.api import bp
from webapp.api.edge import bearer_token, current_actor, json_object, local_time
from webapp.request_db import db_session
from webapp.services import auth
from webapp.services.errors import InvalidDataError, NotAuthenticatedError


@bp.post("/tokens")
@limits.guarded
def create_token() -> tuple[dict[str, Any], int]:
    """Exchange a username and password for a bearer token; failed attempts are counted with
    the login page's and slowed down with a 429."""
    body = json_object()
    credentials = {name: body.get(name) for name in ("username", "password")}
    missing = {n: "is required" for n, v in credentials.items() if not isinstance(v, str) or not v}
    if missing:
        raise InvalidDataError("username and password are required", missing)
    session = db_session()
    try:
        user = auth.authenticate(
            session, str(credentials["username"]), str(credentials["password"])
        )
    except NotAuthenticatedError:
        limits.note_failure()
        raise
    issued = auth.issue_token(session, user)
    auth.record_login(session, user, address=limits.client_address(), via="api")
    session.commit()
    return {"token": issued.token, "expires_at": local_time(issued.expires_at)}, 201


@bp.delete("/tokens/current")
def revoke_current_token() -> tuple[str, int]:
    """Revoke the token this request carries."""
    current_actor()
    session = db_session()
    auth.revoke_token(session, bearer_token() or "")
    session.commit()
    return "", 204
