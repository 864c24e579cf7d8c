"""What every API view needs: the caller, the JSON body, the time zone of output."""

from __future__ import annotations

import json
import math
import re
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


MAX_JSON_DEPTH = 64
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
# NUL and the other control characters (tab, line feed and carriage return excepted), and
# UTF-16 surrogates without their pair: no database column or file name can hold them.
_REFUSED_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
TEXT_PROBLEM = "must not contain control characters or unpaired surrogates"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _join(path: str, part: object) -> str:
    return f"{path}.{part}" if path else str(part)


def _json_problem(body: Any) -> tuple[str, str] | None:
    """The first value the product cannot store, as (field path, why); iterative, so no depth
    of nesting reaches the Python stack."""
    stack: list[tuple[str, Any, int]] = [("", body, 0)]
    while stack:
        path, value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return path, f"is nested more than {MAX_JSON_DEPTH} levels deep"
        if isinstance(value, str) and _REFUSED_CHARACTERS.search(value):
            return path, TEXT_PROBLEM
        if isinstance(value, int) and not isinstance(value, bool):
            if not INT_MIN <= value <= INT_MAX:
                return path, "is out of range (beyond 64 bits)"
        elif isinstance(value, float) and not math.isfinite(value):
            return path, "is out of range"
        elif isinstance(value, dict):
            for key, item in value.items():
                if _REFUSED_CHARACTERS.search(key):
                    return path, f"has a key that {TEXT_PROBLEM}"
                stack.append((_join(path, key), item, depth + 1))
        elif isinstance(value, list):
            stack.extend((_join(path, i), item, depth + 1) for i, item in enumerate(value))
    return None


def check_json_values(body: Any) -> None:
    """Refuse (422 `invalid`, naming the field) what JSON allows but the product cannot store:
    nesting deeper than MAX_JSON_DEPTH, control characters (but tab, line feed and carriage
    return) or unpaired surrogates in a string or a key, integers beyond 64 bits, numbers that
    overflowed to infinity."""
    problem = _json_problem(body)
    if problem is not None:
        path, why = problem
        field = path or "body"
        raise InvalidDataError(f"{field} {why}", {field: why})


def check_query_values() -> None:
    """Refuse (422 `invalid`, naming the parameter) a query string parameter whose name or
    value holds a character no column can hold: it would reach the database as a filter."""
    for name, value in request.args.items(multi=True):
        if _REFUSED_CHARACTERS.search(name):
            raise InvalidDataError(
                f"a query parameter name {TEXT_PROBLEM}", {"query": TEXT_PROBLEM}
            )
        if _REFUSED_CHARACTERS.search(value):
            raise InvalidDataError(f"{name} {TEXT_PROBLEM}", {name: TEXT_PROBLEM})


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
    """The parsed JSON body; MalformedJsonError (400) when it is not JSON, InvalidDataError
    (422, naming the field) when it holds what cannot be stored (see check_json_values)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise MalformedJsonError("the request body is empty; JSON is expected")
    try:
        body = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        # The parser gave up long before the interpreter's stack: far deeper than allowed.
        raise InvalidDataError(
            f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep",
            {"body": f"is nested more than {MAX_JSON_DEPTH} levels deep"},
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedJsonError(f"the request body is not valid JSON: {exc}") from exc
    check_json_values(body)
    return body


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
