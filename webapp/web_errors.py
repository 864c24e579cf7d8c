"""Friendly error pages (Vietnamese by default) for the HTML side; the API keeps its JSON."""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from webapp.request_db import close_db_session
from webapp.services.errors import ConflictError, NotFoundError, PermissionDeniedError


def page(status: int, **context: object) -> ResponseReturnValue:
    """The error page for `status`, after dropping the request's unfinished transaction."""
    close_db_session()
    return render_template(f"errors/{status}.html", **context), status


def http_error_page(exc: HTTPException) -> ResponseReturnValue:
    """403, 404, 409, 413 and 5xx as pages; other statuses as Werkzeug renders them."""
    status = exc.code or 500
    if status in (403, 404, 409, 413):
        return page(status)
    if status >= 500:
        return page(500)
    return exc


def unexpected_page(exc: Exception) -> ResponseReturnValue:
    """Anything unexpected: logged, and a 500 page that says nothing was changed."""
    current_app.logger.exception("unexpected error on a page")
    return page(500)


def register(app: Flask) -> None:
    """Domain errors raised by page views become their pages."""

    @app.errorhandler(PermissionDeniedError)
    def forbidden(exc: PermissionDeniedError) -> ResponseReturnValue:
        return page(403, message=exc.message)

    @app.errorhandler(NotFoundError)
    def not_found(exc: NotFoundError) -> ResponseReturnValue:
        return page(404)

    @app.errorhandler(ConflictError)
    def conflict(exc: ConflictError) -> ResponseReturnValue:
        return page(409, back=request.referrer or None)
