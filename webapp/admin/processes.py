"""The process catalogue and a version's page (copy, deploy, delete a draft), and what the other
process pages share (compare.py compares versions, moves.py moves running dossiers). Thin views
over services.process_catalogue and process_versions."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

from webapp.admin.blueprint import bp
from webapp.admin.problem_text import problem_label, problem_text
from webapp.forms import ActionForm
from webapp.request_db import db_session
from webapp.services import process_catalogue, process_versions, staffing
from webapp.services.errors import ConflictError, InvalidDataError
from webapp.url_converters import query_int
from webapp.web_edge import page_actor

VERSION_URL = "/processes/<key>/versions/<int:number>"
NO_STORE = {"Cache-Control": "no-store"}
STATUS_LABELS = {"draft": _l("Draft"), "deployed": _l("Deployed"), "retired": _l("Retired")}
STATUS_COLOURS = {"draft": "warning", "deployed": "success", "retired": "secondary"}


def _link(endpoint: str, **values: Any) -> str | None:
    """A link to another admin page, or None while that page does not exist."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def render_page(template: str, status: int = 200, **context: Any) -> ResponseReturnValue:
    """An admin process page, with the labels and helpers every such template uses."""
    html = render_template(
        template,
        link=_link,
        status_labels=STATUS_LABELS,
        status_colours=STATUS_COLOURS,
        problem_label=problem_label,
        problem_text=problem_text,
        **context,
    )
    return html, status


def require_csrf() -> None:
    """Refuse (400) a posted form without a valid CSRF token."""
    if not ActionForm(request.form).validate():
        abort(400)


def _back(key: str, number: int) -> ResponseReturnValue:
    if request.form.get("return_to") == "version":
        return redirect(url_for("admin.version", key=key, number=number))
    return redirect(url_for("admin.catalogue"))


# --- catalogue and version -----------------------------------------------------------------


@bp.get("/processes")
def catalogue() -> ResponseReturnValue:
    """Each process with its versions: status, authors, dossiers running, problems, actions."""
    session, actor = db_session(), page_actor()
    processes = process_catalogue.catalogue(session, actor)
    gaps = staffing.process_gaps(session, actor)
    return render_page("admin/processes/catalogue.html", processes=processes, staffing_gaps=gaps)


@bp.get(VERSION_URL)
def version(key: str, number: int) -> ResponseReturnValue:
    """A version's details, files, human steps and the problems the check found."""
    session, actor = db_session(), page_actor()
    detail = process_catalogue.version_detail(session, actor, key, number)
    warnings = staffing.version_gaps(session, actor, key, number)
    return render_page(
        "admin/processes/version.html", key=key, detail=detail, v=detail.row, warnings=warnings
    )


@bp.post(VERSION_URL + "/copy")
def version_copy(key: str, number: int) -> ResponseReturnValue:
    """A new draft with the diagram, forms and rules of version `number`."""
    require_csrf()
    session = db_session()
    draft = process_versions.copy_as_draft(session, page_actor(), key, number)
    session.commit()
    flash(
        _(
            "Version %(number)d is a new draft copied from version %(source)d.",
            number=draft.version,
            source=number,
        ),
        "success",
    )
    return redirect(url_for("admin.version", key=key, number=draft.version))


@bp.post(VERSION_URL + "/deploy")
def version_deploy(key: str, number: int) -> ResponseReturnValue:
    """Deploy a draft without problems: new dossiers start on it, running ones stay."""
    require_csrf()
    session = db_session()
    try:
        process_catalogue.deploy_draft(session, page_actor(), key, number)
    except InvalidDataError:
        session.rollback()
        flash(_("Version %(number)d has problems and cannot be deployed.", number=number), "danger")
        return _back(key, number)
    except ConflictError:
        session.rollback()
        flash(_("Only a draft can be deployed: copy this version as a new draft."), "warning")
        return _back(key, number)
    session.commit()
    flash(
        _(
            "Version %(number)d is deployed: every new dossier starts on it; dossiers "
            "already running stay on their version.",
            number=number,
        ),
        "success",
    )
    return _back(key, number)


@bp.post(VERSION_URL + "/delete")
def version_delete(key: str, number: int) -> ResponseReturnValue:
    """Delete a draft never deployed that no dossier ran on; anything else is refused (409)."""
    require_csrf()
    session = db_session()
    try:
        process_versions.delete_draft(session, page_actor(), key, number)
    except ConflictError as exc:
        session.rollback()
        if exc.code == "version_in_use":
            message = _(
                "Dossiers ran on version %(number)d or were moved to or from it: "
                "it is kept and cannot be deleted.",
                number=number,
            )
        else:
            message = _(
                "Only a draft that was never deployed can be deleted; version %(number)d is kept.",
                number=number,
            )
        flash(message, "warning")
        detail = process_catalogue.version_detail(session, page_actor(), key, number)
        return render_page(
            "admin/processes/version.html", 409, key=key, detail=detail, v=detail.row
        )
    session.commit()
    flash(_("Draft version %(number)d was deleted.", number=number), "success")
    return redirect(url_for("admin.catalogue"))


def version_number(value: str | None) -> int | None:
    """A version number typed in a query or form, or None when it is not one."""
    try:
        return query_int(value) if value else None
    except ValueError:
        return None
