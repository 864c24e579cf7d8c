"""Work-item routes: my items, one item, claim, release, complete."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from webapp.api import bp
from webapp.api.edge import current_actor, json_object, output_zone
from webapp.api.serializers import (
    dossier_json,
    inbox_json,
    round_step_json,
    work_item_detail_json,
)
from webapp.db import utcnow
from webapp.request_db import db_session
from webapp.services import award_rules_catalog, work_items
from webapp.services.errors import InvalidDataError
from webapp.services.movement_filter import movement_by_code
from webapp.services.round_inbox import my_round_steps
from webapp.url_converters import MAX_PAGE

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 500


def _paging() -> tuple[int, int]:
    values = {}
    for name, default, top in (("page", 1, MAX_PAGE), ("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)):
        raw = request.args.get(name, "")
        digits = raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_PAGE))
        value = int(raw) if digits else (default if raw == "" else -1)
        if not 1 <= value <= top:
            limit = f"1..{top}"
            raise InvalidDataError(
                f"{name} must be a whole number {limit}", {name: f"must be {limit}"}
            )
        values[name] = value
    return values["page"], values["per_page"]


@bp.get("/work-items")
def my_work_items() -> ResponseReturnValue:
    """The caller's open items (assigned to them or claimable by them), one page at a time.

    The body is the list of items: first the rounds' steps (`subject.kind` "round", done on
    the round's page at `url`; on the first page only, they are few), then the dossiers' items.
    X-Total-Count says how many there are in all, counting no further than the bound
    (X-Total-Is-Lower-Bound: true when it stopped there), and a Link header points to the next
    page when there is one: `cursor=` the last item (keyset, as fast however deep). `page`
    still pages by offset. `movement=<code>` keeps one movement's.
    """
    actor = current_actor()
    order = request.args.get("order", "newest")
    if order not in work_items.ORDERS:
        raise InvalidDataError("order must be newest or due", {"order": "must be newest or due"})
    page, per_page = _paging()
    cursor = request.args.get("cursor")
    if cursor == "":
        raise InvalidDataError("bad cursor", {"cursor": "is empty"})
    session = db_session()
    movement = movement_by_code(session, request.args.get("movement"))
    movement_id = movement.id if movement else None
    now = utcnow()
    bound = current_app.config.get("LIST_TOTAL_BOUND", work_items.TOTAL_BOUND)
    rounds = my_round_steps(session, actor, movement_id=movement_id)
    counts = work_items.count_my_work_items(
        session, actor, now, movement_id=movement_id, bound=bound, rounds=rounds
    )
    start = (page - 1) * per_page
    shown_rounds = [] if cursor is not None else rounds[start : start + per_page]
    room = per_page - len(shown_rounds)
    rows = []
    if room:
        # One item more than the page tells whether another page follows.
        rows = work_items.my_work_items(
            session,
            actor,
            order=order,
            limit=room + 1,
            offset=max(start - len(rounds), 0),
            movement_id=movement_id,
            cursor=cursor,
        )
    more = len(rows) > room
    rows = rows[:room]
    zone = output_zone()
    body = [round_step_json(row, now, zone) for row in shown_rounds]
    body.extend(inbox_json(rows, now))
    response = jsonify(body)
    response.headers["X-Total-Count"] = str(counts.total)
    if counts.total_is_lower_bound:
        response.headers["X-Total-Is-Lower-Bound"] = "true"
    args: dict[str, Any] = {"per_page": per_page, "order": order}
    if movement is not None:
        args["movement"] = movement.code
    if more and rows:
        args["cursor"] = work_items.inbox_cursor(order, rows[-1])
    elif not room and page * per_page < counts.total:
        # A page of rounds' steps only: the items have not begun, the next page is by number.
        args["page"] = page + 1
    else:
        return response
    response.headers["Link"] = f'<{url_for(".my_work_items", **args)}>; rel="next"'
    return response


@bp.get("/work-items/<int:item_id>")
def get_work_item(item_id: int) -> dict[str, Any]:
    """One item with its form."""
    actor = current_actor()
    session = db_session()
    detail = work_items.get_work_item(session, actor, item_id)
    body = work_item_detail_json(detail)
    # The Office's check: what to look at before approving (never blocking).
    today = datetime.now(ZoneInfo(current_app.config["TIME_ZONE"])).date()
    warnings = award_rules_catalog.warnings_at_step(
        session, detail.item.step, detail.item.status, detail.dossier, today
    )
    body["check_warnings"] = [asdict(w) for w in warnings]
    return body


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
    detail = work_items.complete_work_item(session, actor, item_id, body["data"])
    result = {"dossier": dossier_json(detail)}
    session.commit()
    return result
