"""What every API view needs: the caller, the JSON body, the time zone of output."""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, g, request

from webapp.permissions import Actor
from webapp.request_db import db_session
from webapp.services import auth
from webapp.services.errors import InvalidDataError


class MalformedJsonError(Exception):
    """The body is not JSON."""


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer <token>` header."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_actor() -> Actor:
    """The authenticated caller (401 via NotAuthenticatedError otherwise)."""
    if "api_actor" not in g:
        g.api_actor = auth.actor_for_token(db_session(), bearer_token())
    actor: Actor = g.api_actor
    return actor


def json_body() -> Any:
    """The parsed JSON body; MalformedJsonError (400) when it is not JSON."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise MalformedJsonError("the request body is empty; JSON is expected")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedJsonError(f"the request body is not valid JSON: {exc}") from exc


def json_object() -> dict[str, Any]:
    """The JSON body, which must be an object."""
    body = json_body()
    if not isinstance(body, dict):
        raise InvalidDataError("the body must be a JSON object", {"body": "must be an object"})
    return body


@lru_cache(maxsize=4)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def output_zone() -> ZoneInfo:
    """The configured time zone (Asia/Ho_Chi_Minh), looked up once per call site."""
    return _zone(current_app.config["TIME_ZONE"])


def local_time(value: datetime | None, zone: ZoneInfo | None = None) -> str | None:
    """A timestamp in the configured time zone, ISO 8601 with its offset."""
    if value is None:
        return None
    return value.astimezone(zone or output_zone()).isoformat(timespec="seconds")


def iso_date(value: date | None) -> str | None:
    """A date as YYYY-MM-DD."""
    return value.isoformat() if value else None
