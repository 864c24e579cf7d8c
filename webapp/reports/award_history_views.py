"""The award history look-up (/khen-thuong/lich-su) and the history beside a dossier's nominees."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from webapp.dossier_view import AWARD_FORM_LABELS
from webapp.reports.blueprint import bp
from webapp.reports.office import require_office
from webapp.request_db import db_session
from webapp.services import award_history
from webapp.web_edge import page_actor

MAX_QUERY_CHARS = 200


@bp.get("/khen-thuong/lich-su")
@login_required
def award_history_search() -> ResponseReturnValue:
    """`?ten=…`: every award recorded under a name, typed with or without diacritics."""
    actor = page_actor()
    require_office(actor)
    query = (request.args.get("ten") or "").strip()[:MAX_QUERY_CHARS]
    awards = award_history.search_awards(db_session(), actor, query) if query else []
    return render_template(
        "reports/award_history.html",
        query=query,
        awards=awards,
        award_forms=AWARD_FORM_LABELS,
        limit=award_history.SEARCH_LIMIT,
        too_short=bool(query) and len("".join(query.split())) < award_history.MIN_QUERY_CHARS,
    )


@bp.app_template_global("award_history_for")
def award_history_for(nominees: Any) -> dict[int, list[award_history.PastAward]]:
    """For the dossier page: each nominee's earlier awards under the same name (one query)."""
    if not current_user.is_authenticated:
        return {}
    return award_history.history_of_nominees(db_session(), page_actor(), nominees)
