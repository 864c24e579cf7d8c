"""Friendly error pages (Vietnamese by default) for the HTML side; the API keeps its JSON."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from webapp.db import is_unavailable
from webapp.request_db import close_db_session, db_session
from webapp.services import work_items
from webapp.services.errors import ConflictError, NotFoundError, PermissionDeniedError
from webapp.web_edge import page_actor


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


# Seconds a client is told to wait before trying again while the database is away.
RETRY_AFTER = "5"


def unavailable_page() -> Response:
    """503 while the database is out of reach: nothing was changed, try again in a moment.
    Rendered without the layout's context (the signed-in user and the navigation counts would
    ask the database again)."""
    close_db_session()
    template = current_app.jinja_env.get_template("errors/503.html")
    # A page is asked for again as it was; after a refused form, the inbox.
    retry_url = request.full_path.rstrip("?") if request.method == "GET" else url_for("work.inbox")
    response = Response(template.render(retry_url=retry_url), status=503, mimetype="text/html")
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def unexpected_page(exc: Exception) -> ResponseReturnValue:
    """Anything unexpected: logged, and a 500 page that says nothing was changed; the database
    out of reach is a 503 page (logged in one line: the outage is not a bug of this page)."""
    if is_unavailable(exc):
        current_app.logger.warning("database unavailable on %s: %s", request.path, exc)
        return unavailable_page()
    current_app.logger.exception("unexpected error on a page")
    return page(500)


def work_item_conflict(exc: ConflictError) -> dict[str, Any]:
    """What the 409 page says about a work item that changed under the user: who completed or
    took it (the user themself, from another tab, is told so) and which dossier it belongs to.
    Read afresh: the failed request's transaction is dropped first."""
    item_id = (request.view_args or {}).get("item_id")
    if request.blueprint != "work" or not isinstance(item_id, int):
        return {}
    if not current_user.is_authenticated:
        return {}
    close_db_session()
    try:
        detail = work_items.get_work_item(db_session(), page_actor(), item_id)
    except NotFoundError:
        return {}
    item, dossier = detail.item, detail.dossier
    me = int(current_user.id)
    if item.status == "done":
        situation = "done_by_me" if item.completed_by_id == me else "done_by_other"
        person = item.completed_by
    elif item.status != "open":
        situation, person = "closed", None
    elif item.claimed_by_id not in (None, me):
        situation, person = "claimed_by_other", item.claimed_by
    else:
        situation, person = "changed", None
    return {
        "situation": situation,
        "who": person.full_name if person is not None else None,
        "when": item.completed_at,
        "step": item.title,
        "dossier_id": dossier.id,
        "dossier_code": dossier.code,
        "dossier_title": dossier.title,
    }


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
        return page(409, back=request.referrer or None, work=work_item_conflict(exc))
