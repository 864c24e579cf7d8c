"""The time limit of a step and its legal basis, for the templates that show a due date:
`step_limit(item)` on any object with `version_id` and `step` (a work item)."""

from __future__ import annotations

from typing import Any

from flask import Flask, g

from webapp.request_db import db_session
from webapp.services.step_limits import NO_LIMIT, StepLimit, step_limit


def template_step_limit(item: Any) -> StepLimit:
    """The step's limit and basis, read once per version and step in a request."""
    version_id, step = getattr(item, "version_id", None), getattr(item, "step", None)
    if version_id is None or not step:
        return NO_LIMIT
    if "step_limits" not in g:
        g.step_limits = {}
    cache: dict[tuple[int, str], StepLimit] = g.step_limits
    key = (int(version_id), str(step))
    if key not in cache:
        cache[key] = step_limit(db_session(), *key)
    return cache[key]


def register(app: Flask) -> None:
    """Make `step_limit(item)` available to every template."""
    app.jinja_env.globals["step_limit"] = template_step_limit
