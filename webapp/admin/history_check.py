"""The history hash-chain check (administrators only: see the blueprint).

One dossier by its code, or every dossier up to a bound per request (the whole database is
`flask verify-history`'s job, with no bound)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from webapp.admin.blueprint import bp
from webapp.request_db import db_session
from webapp.services import history_chain

# A page's check stops past this many events (at a dossier's boundary) and says so.
PAGE_EVENT_BOUND = 200_000


@dataclass(frozen=True)
class BreakRow:
    """A line of the page's table: whose history, a link to it, and its first broken event."""

    owner_id: int
    href: str
    label: str
    event_id: int
    event_label: str
    problem: str


def _dossier_rows(report: history_chain.ChainReport | None) -> list[BreakRow]:
    return [
        BreakRow(
            b.dossier_id,
            url_for("dossiers.show", dossier_id=b.dossier_id),
            b.dossier_code or str(b.dossier_id),
            b.event_id,
            _("event no. %(id)s", id=b.event_id),
            b.problem,
        )
        for b in (report.breaks if report else [])
    ]


def _round_rows(report: history_chain.RoundChainReport | None) -> list[BreakRow]:
    return [
        BreakRow(
            b.round_id,
            url_for("rounds.show", round_id=b.round_id),
            b.round_name or str(b.round_id),
            b.event_id,
            _("round event no. %(id)s", id=b.event_id),
            b.problem,
        )
        for b in (report.breaks if report else [])
    ]


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
            dossier_rows=_dossier_rows(report),
            round_rows=_round_rows(rounds),
            unknown=unknown,
            bound=PAGE_EVENT_BOUND,
        ),
        status,
    )
