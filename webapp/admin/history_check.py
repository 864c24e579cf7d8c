"""The history hash-chain check (administrators only: see the blueprint).

One dossier by its code, or every dossier up to a bound per request (the whole database is
`flask verify-history`'s job, with no bound)."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from webapp.admin.blueprint import bp
from webapp.request_db import db_session
from webapp.services import history_chain

# A page's check stops past this many events (at a dossier's boundary) and says so.
PAGE_EVENT_BOUND = 200_000


@bp.get("/history-check")
def history_check() -> ResponseReturnValue:
    """`?ma=<code>` checks one dossier; `?all=1` every dossier and every round (bounded);
    neither, the form."""
    code = (request.args.get("ma") or "").strip()
    everything = request.args.get("all") == "1"
    session = db_session()
    report = None
    rounds = None
    unknown = False
    status = 200
    if code:
        dossier_id = history_chain.dossier_id_by_code(session, code)
        if dossier_id is None:
            unknown, status = True, 404
        else:
            report = history_chain.verify_chains(session, dossier_id)
    elif everything:
        report = history_chain.verify_chains(session, max_events=PAGE_EVENT_BOUND)
        rounds = history_chain.verify_round_chains(session, max_events=PAGE_EVENT_BOUND)
    return (
        render_template(
            "admin/history_check.html",
            code=code,
            report=report,
            rounds=rounds,
            unknown=unknown,
            bound=PAGE_EVENT_BOUND,
        ),
        status,
    )
