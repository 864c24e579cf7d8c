"""Every API error is {"error": {"code", "message", "fields"}} with the right status."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify
from werkzeug.exceptions import HTTPException

from webapp.api import bp
from webapp.api.edge import MalformedJsonError
from webapp.db import is_unavailable
from webapp.request_db import close_db_session
from webapp.services.errors import (
    ConflictError,
    DiagramProblemsError,
    InvalidDataError,
    NotAuthenticatedError,
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
)

STATUS = {
    NotAuthenticatedError: 401,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    InvalidDataError: 422,
}


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, Any] | None = None,
    **extra: Any,
) -> Response:
    """The one error shape of the API."""
    response = jsonify(
        {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}
    )
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@bp.errorhandler(ServiceError)
def service_error(exc: ServiceError) -> Response:
    close_db_session()
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
    if exc.code == "storage_full":  # the file store has no room: 507 Insufficient Storage
        status = 507
    fields = exc.fields if isinstance(exc, InvalidDataError) else None
    extra = {"problems": exc.problems} if isinstance(exc, DiagramProblemsError) else {}
    return error_response(status, exc.code, exc.message, fields, **extra)


@bp.errorhandler(MalformedJsonError)
def malformed_json(exc: MalformedJsonError) -> Response:
    return error_response(400, "malformed_json", str(exc))


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Response:
    close_db_session()
    codes = {
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
        415: "unsupported_media_type",
    }
    status = exc.code or 500
    return error_response(status, codes.get(status, "http_error"), exc.description or exc.name)


@bp.errorhandler(Exception)
def unexpected(exc: Exception) -> Response:
    close_db_session()
    if is_unavailable(exc):
        # The database is down or restarting: the transaction never committed; try again.
        current_app.logger.warning("database unavailable on the API: %s", exc)
        response = error_response(
            503,
            "database_unavailable",
            "the database is unavailable for the moment; nothing was changed, try again shortly",
        )
        response.headers["Retry-After"] = "5"
        return response
    # Logged with its traceback; the client gets no internals.
    current_app.logger.exception("unexpected API error")
    return error_response(
        500, "internal_error", "an unexpected error occurred; nothing was changed"
    )
