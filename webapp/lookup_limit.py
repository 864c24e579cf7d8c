"""The public status look-up is rate-limited per client address, in the same store as the
failed-login counters (RATELIMIT_STORAGE_URI), so several workers share one count."""

from __future__ import annotations

import math
import time

from flask import current_app
from limits import parse

from webapp.login_limits import client_address, limiter

SCOPE = "status-lookup"
DEFAULT_RULE = "30 per minute"


def retry_after_or_none() -> int | None:
    """Count this look-up; None when it may go ahead, else the seconds until one more may."""
    item = parse(str(current_app.config.get("STATUS_LOOKUP_LIMIT", DEFAULT_RULE)))
    address = client_address()
    try:
        if limiter.limiter.hit(item, SCOPE, address):
            return None
        reset_at = limiter.limiter.get_window_stats(item, SCOPE, address).reset_time
    except Exception:  # a store that went away does not turn a look-up into a 500
        current_app.logger.exception("status look-up limit store unavailable")
        return None
    return max(1, math.ceil(reset_at - time.time()))
