"""A decision recorded on a Department round reaches every dossier of its award form.

Two cases: no Ministry round took the Department's submission (its officer records the decision
the Minister signed), or the Ministry round sent nominees up and the central level (Prime
Minister, President) decided: the Ministry officer records that decision here for the sent-up
nominees. The application sends it to each dossier waiting for it, in one transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.models import Nominee, ProcessInstance, Round, RoundListItem
from webapp.permissions import Actor
from webapp.services.documents import step_papers
from webapp.services.errors import ConflictError, InvalidDataError, PermissionDeniedError
from webapp.services.rounds.arrivals import DECISION_MESSAGE, round_event
from webapp.services.rounds.lifecycle import get_round, may
from webapp.services.rounds.messaging import send_to
from webapp.services.rounds.ministry import MINISTER_FORMS, ministry_of
from webapp.services.rounds.movements import parse_date

MINISTRY_ROLE = "ministry_officer"


def passed_items(session: Session, round_: Round, award_form: str) -> list[RoundListItem]:
    """The nominees still waiting for a decision under `award_form`, in list order: those the
    council passed or, after a Ministry round, those the Ministry sent up."""
    query = (
        select(RoundListItem)
        .where(
            RoundListItem.round_id == round_.id,
            RoundListItem.award_form == award_form,
            RoundListItem.result == "passed",
        )
        .order_by(RoundListItem.position)
    )
    if ministry_of(session, round_) is not None:
        if award_form in MINISTER_FORMS:
            return []  # the Minister's decision came through the Ministry round
        query = query.join(Nominee, Nominee.id == RoundListItem.nominee_id).where(
            Nominee.result == "sent_up"
        )
    return list(session.scalars(query))


def record_ministry_decision(
    session: Session, actor: Actor, round_id: int, award_form: str, payload: dict[str, Any]
) -> int:
    """Record the decision for one award form of a finished round: its number and date, and the
    passed nominees it does not award (`refused`, nominee ids). Every dossier of that form gets
    the decision; returns how many dossiers were decided."""
    round_ = get_round(session, actor, round_id)
    if not may(actor, MINISTRY_ROLE, round_.unit_id):
        raise PermissionDeniedError("only the Ministry records its decision")
    if round_.status != "finished":
        raise ConflictError("the round has not sent its results yet", code="round_not_finished")
    items = passed_items(session, round_, award_form)
    if not items:
        raise ConflictError("no nominee of this award form passed", code="nothing_to_decide")
    errors: dict[str, str] = {}
    number = payload.get("decision_number")
    if not isinstance(number, str) or not number.strip() or len(number) > 50:
        errors["decision_number"] = "is required (at most 50 characters)"
    when = parse_date(payload, "decision_date", errors)
    if when is None and "decision_date" not in errors:
        errors["decision_date"] = "is required"
    refused = {str(i) for i in payload.get("refused") or []}
    if refused - {str(item.nominee_id) for item in items}:
        errors["refused"] = "names a nominee the council did not pass under this form"
    if errors:
        raise InvalidDataError("the decision is not valid", errors)
    assert isinstance(number, str)
    now = utcnow()
    awarded = [item.nominee_id for item in items if str(item.nominee_id) not in refused]
    dossier_ids = sorted({item.dossier_id for item in items})
    instances = dict(
        session.execute(
            select(ProcessInstance.dossier_id, ProcessInstance.id).where(
                ProcessInstance.dossier_id.in_(dossier_ids)
            )
        ).all()
    )
    for dossier_id in dossier_ids:
        send_to(
            session,
            "dossier",
            instances[dossier_id],
            DECISION_MESSAGE,
            {
                "round_id": round_.id,
                "dossier_id": dossier_id,
                "decision_number": number.strip(),
                "decision_date": when.isoformat() if when else None,
                "awarded": awarded,
            },
            now,
        )
    round_event(
        session,
        round_,
        "decided",
        actor_id=actor.user_id,
        data={
            "award_form": award_form,
            "decision_number": number.strip(),
            "awarded": len(awarded),
            "refused": len(items) - len(awarded),
        },
        at=now,
    )
    # The decision with its awardees is kept with the round (never over a signed copy).
    step_papers.keep_round_step_paper(session, actor, round_.id, "decision", award_form)
    session.flush()
    return len(dossier_ids)
