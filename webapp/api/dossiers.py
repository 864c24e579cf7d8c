"""Dossier routes: start, read, list, close a council vote."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from webapp.api import bp
from webapp.api.edge import INT_MAX, current_actor, json_body, json_object
from webapp.api.serializers import dossier_json, dossier_page_json
from webapp.request_db import db_session
from webapp.services import council_closing, dossiers
from webapp.services.errors import InvalidDataError
from webapp.services.movement_filter import movement_by_code
from webapp.url_converters import MAX_ID, MAX_PAGE

MAX_INT_DIGITS = len(str(INT_MAX))


@bp.post("/dossiers")
def start_dossier() -> tuple[dict[str, Any], int]:
    """A unit officer starts a dossier and its process."""
    actor = current_actor()
    session = db_session()
    dossier = dossiers.start_dossier(session, actor, json_body())
    body = dossier_json(dossiers.dossier_detail(session, actor, dossier.id))
    session.commit()
    return body, 201


@bp.get("/dossiers/<int:dossier_id>")
def get_dossier(dossier_id: int) -> dict[str, Any]:
    """One dossier with its current steps, nominees and history."""
    actor = current_actor()
    return dossier_json(dossiers.dossier_detail(db_session(), actor, dossier_id))


@bp.post("/dossiers/<int:dossier_id>/close-vote")
def close_vote(dossier_id: int) -> dict[str, Any]:
    """The council's chair closes the vote under way with {"comment": "why"}: open ballots
    count as absences and the votes are counted."""
    actor = current_actor()
    body = json_object()
    session = db_session()
    detail = council_closing.close_vote(session, actor, dossier_id, body.get("comment"))
    result = {"dossier": dossier_json(detail)}
    session.commit()
    return result


def _int_arg(name: str, default: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    digits = raw[1:] if raw[:1] in "+-" else raw
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidDataError(f"{name} must be a whole number", {name: "must be a whole number"})
    if len(digits) > MAX_INT_DIGITS or not -MAX_ID <= int(raw) <= MAX_ID:
        raise InvalidDataError(f"{name} is out of range", {name: "is out of range"})
    return int(raw)


def _page_arg() -> int:
    page = _int_arg("page", 1) or 0
    if page > MAX_PAGE:
        raise InvalidDataError(f"page must be at most {MAX_PAGE}", {"page": "is out of range"})
    return page


def _bool_arg(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in {"true", "1", "yes"}:
        return True
    if raw.lower() in {"false", "0", "no"}:
        return False
    raise InvalidDataError(f"{name} must be true or false", {name: "must be true or false"})


def _cursor_arg() -> str | None:
    raw = request.args.get("cursor")
    if raw is None:
        return None
    if raw == "":
        raise InvalidDataError("bad cursor", {"cursor": "is empty"})
    return raw


@bp.get("/dossiers")
def list_dossiers() -> dict[str, Any]:
    """The dossiers the caller may see, filtered, sorted and paged: `cursor=<next_cursor>` of
    a page reads the page after it (keyset, as fast however deep), `page` by offset."""
    actor = current_actor()
    session = db_session()
    movement = movement_by_code(session, request.args.get("movement"))
    page = dossiers.list_dossiers(
        session,
        actor,
        q=request.args.get("q"),
        status=request.args.get("status") or None,
        step=request.args.get("step") or None,
        unit_id=_int_arg("unit_id"),
        award_form=request.args.get("award_form") or None,
        overdue=_bool_arg("overdue"),
        movement_id=movement.id if movement else None,
        page=_page_arg(),
        per_page=_int_arg("per_page", 50) or 0,
        sort=request.args.get("sort") or dossiers.DEFAULT_SORT,
        total_bound=current_app.config.get("LIST_TOTAL_BOUND", dossiers.TOTAL_BOUND),
        search_bound=current_app.config.get("SEARCH_TOTAL_BOUND", dossiers.SEARCH_TOTAL_BOUND),
        cursor=_cursor_arg(),
    )
    return dossier_page_json(page)
