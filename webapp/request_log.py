"""One structured log line per request, and the request id.

Each request gets an id: the caller's `X-Request-ID` when it is sane (1-64 characters of
letters, digits and `-_.:`), otherwise a new random one; the response carries it back in
`X-Request-ID`. When the response is sent, the logger `webapp.requests` writes one JSON line:
time (UTC), request id, user id and username (or null), method, route (the URL rule, never the
query string or the body), status and duration in milliseconds. Nothing else of the request is
logged: no form fields, passwords, tokens, cookies or ballot choices.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, request
from flask_login import current_user
from werkzeug.wrappers import Response

LOGGER_NAME = "webapp.requests"
HEADER = "X-Request-ID"
SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

logger = logging.getLogger(LOGGER_NAME)


class JsonLineFormatter(logging.Formatter):
    """The record's message is already one JSON object: written as it is."""

    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage()


def request_id() -> str:
    """The current request's id (the caller's when sane, else a new one)."""
    if "request_id" not in g:
        given = request.headers.get(HEADER, "")
        g.request_id = given if SANE_ID.fullmatch(given) else secrets.token_hex(16)
    return str(g.request_id)


def _begin() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _user() -> tuple[int | None, str | None]:
    actor = g.get("api_actor")
    if actor is not None:
        return actor.user_id, actor.username
    try:
        if current_user and current_user.is_authenticated:
            return int(current_user.id), str(current_user.username)
    except Exception:  # a log line never breaks a response (e.g. the database is down)
        return None, None
    return None, None


def _finish(response: Response) -> Response:
    response.headers[HEADER] = request_id()
    started = g.get("request_started")
    user_id, username = _user()
    line: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "request_id": request_id(),
        "user_id": user_id,
        "username": username,
        "method": request.method,
        "route": request.url_rule.rule if request.url_rule is not None else None,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
    }
    logger.info(json.dumps(line, ensure_ascii=False))
    return response


def init_app(app: Flask) -> None:
    """Give every request an id and log one line for it: to standard error, unless the
    deployment configured a handler for the logger (tests read it through the root logger)."""
    logger.setLevel(logging.INFO)
    if not app.testing and not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonLineFormatter())
        logger.addHandler(handler)
        logger.propagate = False
    app.before_request(_begin)
    app.after_request(_finish)
