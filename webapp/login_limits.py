"""Password guessing is slowed: failed logins are counted per account (the normalised username,
known or not) and per client address, on the login page and POST /api/v1/tokens together.
Successful logins count nothing. Over a limit the answer is 429 with Retry-After, a page in
the user's language or the API's JSON error, and each refused burst leaves one line in the
security audit trail."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from limits import parse_many
from werkzeug.wrappers import Response

from webapp.request_db import close_db_session, db_session
from webapp.services import audit
from webapp.services.auth import normalise_username

ACCOUNT_SCOPE = "login-account"
ADDRESS_SCOPE = "login-address"
BURST_SCOPE = "login-burst"
F = TypeVar("F", bound=Callable[..., Any])


def client_address() -> str:
    """The client's address (the proxy's X-Forwarded-For when TRUSTED_PROXIES is set)."""
    return request.remote_addr or "unknown"


def attempted_username() -> str:
    """The normalised username of the login form or the token request; "" when there is none."""
    value: Any = request.form.get("username")
    if value is None and request.is_json:
        try:
            body = json.loads(request.get_data(cache=True))
        except (ValueError, UnicodeDecodeError, RecursionError):
            # No username to count against; the view refuses the body itself (400 or 422).
            body = None
        value = body.get("username") if isinstance(body, dict) else None
    return normalise_username(value) if isinstance(value, str) else ""


def _account_key() -> str:
    username = attempted_username()
    # No username, no account to count against (the address limit still counts).
    return f"account:{username}" if username else ""


def _account_rule() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])


def _address_rule() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ADDRESS"])


def note_failure() -> None:
    """The credentials of this request were wrong: count it against both limits."""
    g.login_failed = True


def _failed(_response: Response) -> bool:
    return bool(g.get("login_failed"))


limiter = Limiter(
    key_func=client_address,
    default_limits=[],
    headers_enabled=False,
    # A shared store that goes away falls back to each worker's memory, never to a 500.
    in_memory_fallback_enabled=True,
)
_per_account = limiter.shared_limit(
    _account_rule,
    scope=ACCOUNT_SCOPE,
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
_per_address = limiter.shared_limit(
    _address_rule,
    scope=ADDRESS_SCOPE,
    key_func=client_address,
    methods=["POST"],
    deduct_when=_failed,
)


def guarded(view: F) -> F:
    """Apply both failed-login limits to a view (POST only)."""
    return _per_account(_per_address(view))  # type: ignore[no-any-return]


def _breached() -> list[RequestLimit]:
    return [limit for limit in limiter.current_limits if limit.breached]


def retry_after_seconds() -> int:
    """Seconds until every breached limit lets one more attempt through (at least 1)."""
    now = time.time()
    waits = [limit.window.reset_time - now for limit in _breached()]
    return max(1, math.ceil(max(waits, default=1)))


def _record_burst(retry_after: int) -> None:
    """One audit line per breached limit and window, however many requests the burst sends."""
    username = attempted_username() or None
    rows = []
    for breached in _breached():
        once = type(breached.limit)(1, breached.limit.multiples)
        if not limiter.limiter.hit(once, BURST_SCOPE, breached.key):
            continue
        which = "account" if breached.request_args[-1] == ACCOUNT_SCOPE else "address"
        rows.append(
            {
                "limit": which,
                "attempts": breached.limit.amount,
                "window_seconds": breached.limit.get_expiry(),
            }
        )
    if not rows:
        return
    session = db_session()
    via = "api" if request.path.startswith("/api/") else "page"
    for row in rows:
        audit.record_refused_login(
            session,
            username,
            address=client_address(),
            detail={"via": via, "retry_after": retry_after, **row},
        )
    session.commit()


def too_many_attempts(_exc: RateLimitExceeded) -> ResponseReturnValue:
    """429 with Retry-After: the API's JSON error, or a page in the user's language."""
    retry_after = retry_after_seconds()
    try:
        _record_burst(retry_after)
    except Exception:  # the refusal stands even when the trail cannot be written
        current_app.logger.exception("could not record a refused login burst")
    close_db_session()
    if request.path.startswith("/api/"):
        response = jsonify(
            {
                "error": {
                    "code": "too_many_attempts",
                    "message": "too many failed login attempts; "
                    f"try again in {retry_after} seconds",
                    "fields": {},
                }
            }
        )
        response.status_code = 429
    else:
        response = Response(
            render_template("auth/too_many_attempts.html", seconds=retry_after),
            status=429,
            mimetype="text/html",
        )
    response.headers["Retry-After"] = str(retry_after)
    return response


def init_app(app: Flask) -> None:
    """Attach the limiter (store from RATELIMIT_STORAGE_URI) and its 429 answer; a limit that
    does not parse stops the start."""
    for name in ("LOGIN_LIMIT_PER_ACCOUNT", "LOGIN_LIMIT_PER_ADDRESS"):
        try:
            parse_many(str(app.config[name]))
        except ValueError as exc:
            raise RuntimeError(f"{name} is not a rate limit such as '10 per minute'") from exc
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, too_many_attempts)
