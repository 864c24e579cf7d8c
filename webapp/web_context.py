"""What every page's layout shows: the inbox counts in the navigation bar, a CSRF token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from webapp.db import utcnow
from webapp.forms import ActionForm
from webapp.permissions import can_start_dossier
from webapp.request_db import db_session
from webapp.services.attachments import opens_in_browser
from webapp.services.work_items import TOTAL_BOUND, count_my_work_items
from webapp.web_edge import page_actor


@dataclass(frozen=True)
class NavCounts:
    """Numbers in the navigation bar."""

    work: int = 0
    overdue: int = 0
    can_create: bool = False
    # "999+" when counting stopped at NAV_COUNT_BOUND (every page pays for these counts).
    work_label: str = "0"
    overdue_label: str = "0"


NAV_COUNT_BOUND = 999


def _badge(count: int, capped: bool) -> str:
    return f"{count}+" if capped else str(count)


def nav_counts() -> NavCounts:
    """The logged-in user's open and overdue items (zeros when logged out or on a DB failure)."""
    if not current_user.is_authenticated:
        return NavCounts()
    try:
        actor = page_actor()
        bound = min(current_app.config.get("LIST_TOTAL_BOUND", TOTAL_BOUND), NAV_COUNT_BOUND)
        counts = count_my_work_items(db_session(), actor, utcnow(), bound=bound)
    except SQLAlchemyError:
        return NavCounts()
    return NavCounts(
        counts.total,
        counts.overdue,
        can_start_dossier(actor),
        _badge(counts.total, counts.total_is_lower_bound),
        _badge(counts.overdue, counts.overdue_is_lower_bound),
    )


def register(app: Flask) -> None:
    """Attach the context processor and the helpers the templates' macros use."""
    app.jinja_env.globals["opens_in_browser"] = opens_in_browser

    @app.context_processor
    def layout_context() -> dict[str, Any]:
        return {"nav_counts": nav_counts(), "action_form": ActionForm, "now_utc": utcnow}
