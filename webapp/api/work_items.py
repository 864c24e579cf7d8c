"""Work-item routes: my items, one item, claim, release, complete."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from webapp.api import bp
from webapp.api.edge import current_actor, json_object
from webapp.api.serializers import dossier_json, work_item_detail_json, work_item_json
from webapp.request_db import db_session
from webapp.services import dossiers, work_items
from webapp.services.errors import InvalidDataError


@bp.get("/work-items")
def my_work_items() -> ResponseReturnValue:
    """The caller's open items: assigned to them or claimable by them."""
    actor = current_actor()
    order = "due" if request.args.get("order") == "due" else "newest"
    items = work_items.my_work_items(db_session(), actor, order=order)
    return jsonify([work_item_json(item) for item in items])


@bp.get("/work-items/<int:item_id>")
def get_work_item(item_id: int) -> dict[str, Any]:
    """One item with its form."""
    actor = current_actor()
    return work_item_detail_json(work_items.get_work_item(db_session(), actor, item_id))


@bp.post("/work-items/<int:item_id>/claim")
def claim(item_id: int) -> dict[str, Any]:
    """Take the item."""
    actor = current_actor()
    session = db_session()
    work_items.claim_work_item(session, actor, item_id)
    body = work_item_detail_json(work_items.get_work_item(session, actor, item_id))
    session.commit()
    return body


@bp.post("/work-items/<int:item_id>/release")
def release(item_id: int) -> dict[str, Any]:
    """Give the item back."""
    actor = current_actor()
    session = db_session()
    work_items.release_work_item(session, actor, item_id)
    body = work_item_detail_json(work_items.get_work_item(session, actor, item_id))
    session.commit()
    return body


@bp.post("/work-items/<int:item_id>/complete")
def complete(item_id: int) -> dict[str, Any]:
    """Complete the item with {"data": {...}}."""
    actor = current_actor()
    body = json_object()
    if "data" not in body:
        raise InvalidDataError("data is required", {"data": "is required"})
    session = db_session()
    dossier = work_items.complete_work_item(session, actor, item_id, body["data"])
    result = {"dossier": dossier_json(dossiers.dossier_detail(session, actor, dossier.id))}
    session.commit()
    return result
