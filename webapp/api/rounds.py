"""Movement and round routes: list, read, create a movement, open a round, join it with a
dossier, close its intake early, read its history."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask.typing import ResponseReturnValue

from webapp.api import bp
from webapp.api.edge import current_actor, json_object
from webapp.api.round_json import (
    movement_detail_json,
    movement_json,
    round_event_json,
    round_json,
    round_summary_json,
)
from webapp.api.serializers import dossier_json
from webapp.permissions import can_start_dossier
from webapp.request_db import db_session
from webapp.services import council_session, dossiers
from webapp.services.ballot_box import round_subject
from webapp.services.errors import InvalidDataError, NotFoundError, PermissionDeniedError
from webapp.services.rounds import lifecycle, movements, steps
from webapp.url_converters import MAX_ID

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _whole_number(name: str, top: int, default: int | None = None) -> int | None:
    """A query argument 1..top (None or `default` when absent or empty); else 422 naming it."""
    raw = request.args.get(name, "")
    if raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(top))) or not (
        1 <= int(raw) <= top
    ):
        raise InvalidDataError(
            f"{name} must be a whole number 1..{top}", {name: f"must be 1..{top}"}
        )
    return int(raw)


def _round_body(round_id: int) -> dict[str, Any]:
    session = db_session()
    detail = lifecycle.round_detail(session, current_actor(), round_id)
    council = council_session.latest_session(session, round_subject(detail.round.id))
    return round_json(detail, council)


# ----- movements ------------------------------------------------------------------------------


@bp.get("/movements")
def list_movements() -> dict[str, Any]:
    """Every movement, newest first (movements are listed to every user)."""
    current_actor()
    return {"items": [movement_json(m) for m in movements.list_movements(db_session())]}


@bp.post("/movements")
def create_movement() -> tuple[dict[str, Any], int]:
    """The Office creates a movement."""
    actor = current_actor()
    body = json_object()
    session = db_session()
    movement = movements.create_movement(session, actor, body)
    result = movement_detail_json(movement, [])
    session.commit()
    return result, 201


@bp.get("/movements/<int:movement_id>")
def get_movement(movement_id: int) -> dict[str, Any]:
    """One movement with the rounds of it the caller may see."""
    actor = current_actor()
    session = db_session()
    movement = movements.get_movement(session, movement_id)
    return movement_detail_json(movement, lifecycle.list_rounds(session, actor, movement.id))


# ----- rounds ---------------------------------------------------------------------------------


@bp.get("/rounds")
def list_rounds() -> ResponseReturnValue:
    """The rounds the caller may see, newest first, `limit` at a time; `before_id` continues
    after the last one (a Link header points to the next page while there is one)."""
    actor = current_actor()
    session = db_session()
    movement_id = _whole_number("movement_id", MAX_ID)
    before_id = _whole_number("before_id", MAX_ID)
    limit = _whole_number("limit", MAX_LIMIT, DEFAULT_LIMIT) or DEFAULT_LIMIT
    if movement_id is not None:
        try:
            movements.get_movement(session, movement_id)
        except NotFoundError:
            raise InvalidDataError(
                "unknown movement", {"movement_id": "is not a known movement"}
            ) from None
    rounds = lifecycle.list_rounds(
        session, actor, movement_id, before_id=before_id, limit=limit + 1
    )
    shown = rounds[:limit]
    next_before = shown[-1].id if len(rounds) > limit else None
    response = jsonify(
        {
            "items": [round_summary_json(r) for r in shown],
            "limit": limit,
            "next_before_id": next_before,
        }
    )
    if next_before is not None:
        args: dict[str, Any] = {"before_id": next_before, "limit": limit}
        if movement_id is not None:
            args["movement_id"] = movement_id
        response.headers["Link"] = f'<{url_for(".list_rounds", **args)}>; rel="next"'
    return response


@bp.post("/rounds")
def open_round() -> tuple[dict[str, Any], int]:
    """The Office opens a round of a movement: name, kind, award forms, deadline, quota."""
    actor = current_actor()
    body = json_object()
    session = db_session()
    opened = lifecycle.open_round(session, actor, body)
    result = _round_body(opened.id)
    session.commit()
    return result, 201


@bp.get("/rounds/<int:round_id>")
def get_round(round_id: int) -> dict[str, Any]:
    """A round: where it stands, its dossiers, its compiled lists with each nominee's tally,
    its council session in counts and the signed tờ trình."""
    current_actor()
    return _round_body(round_id)


@bp.get("/rounds/<int:round_id>/history")
def round_history(round_id: int) -> dict[str, Any]:
    """A round's history, oldest first (a ballot says who voted, never how)."""
    detail = lifecycle.round_detail(db_session(), current_actor(), round_id)
    return {"items": [round_event_json(e) for e in detail.history]}


@bp.post("/rounds/<int:round_id>/dossiers")
def join_round(round_id: int) -> tuple[dict[str, Any], int]:
    """A unit officer creates the unit's dossier in the round (the body of POST /dossiers)."""
    actor = current_actor()
    session = db_session()
    lifecycle.get_round(session, actor, round_id)  # a round the caller cannot see is 404
    if not can_start_dossier(actor):
        raise PermissionDeniedError("only unit officers start dossiers")
    dossier = lifecycle.join_round(session, actor, round_id, json_object())
    result = dossier_json(dossiers.dossier_detail(session, actor, dossier.id))
    session.commit()
    return result, 201


@bp.post("/rounds/<int:round_id>/close-intake")
def close_intake(round_id: int) -> dict[str, Any]:
    """The Office ends the round's intake now (before its deadline); the dossiers not yet
    received are late."""
    actor = current_actor()
    session = db_session()
    steps.close_intake(session, actor, round_id)
    result = _round_body(round_id)
    session.commit()
    return result
