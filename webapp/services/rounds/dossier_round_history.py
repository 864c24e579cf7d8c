"""What a dossier's rounds did, for the dossier's own history.

A dossier in a round sees its Department round's steps (intake closed, lists compiled, votes
counted, the council's conclusion, each tờ trình signed, the submission to the Ministry and the
Ministry's answer) and those of the Ministry round that took that submission (appraisal, the
Ministry council, the Minister's decision): never another dossier's arrival or move, never
another Department's submission or its return, and never a council member's ballot (an open
vote's line carries the member's choices; a secret vote's still says who voted when).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from webapp.models import Dossier, Round, RoundEvent
from webapp.permissions import Actor
from webapp.services.rounds.lifecycle import round_of_dossier, round_units
from webapp.services.rounds.ministry import ministry_of

DEPARTMENT = "department"
MINISTRY = "ministry"
# A member's ballot (who voted, and in an open vote how): the round's page, not the dossier's.
BALLOT_ACTIONS = frozenset({"voted", "written_opinion"})
# Messages the Ministry round sends itself, echoing the officer's own line beside them.
ECHO_ACTIONS = frozenset({"return_submission", "appraisal_closed"})
# Lines about one award form's paper: the dossier sees its own form's.
FORM_ACTIONS = frozenset({"signed", "decided"})


@dataclass(frozen=True)
class RoundHistoryLine:
    """One step of a round, as the dossier's history shows it: the event, its round, whether
    that is the Department's or the Ministry's round, and whether the actor may open it."""

    event: RoundEvent
    round: Round
    level: str
    visible: bool


def _concerns(event: RoundEvent, dossier: Dossier, department_round_id: int, level: str) -> bool:
    data: dict[str, Any] = event.data or {}
    if event.action in BALLOT_ACTIONS or event.action in ECHO_ACTIONS:
        return False
    if data.get("dossier_id") is not None and data.get("dossier_id") != dossier.id:
        return False
    if event.action in FORM_ACTIONS and data.get("award_form") not in (None, dossier.award_form):
        return False
    return not (
        level == MINISTRY
        and data.get("department_round_id") is not None
        and data.get("department_round_id") != department_round_id
    )


def dossier_round_history(
    session: Session, actor: Actor, dossier: Dossier
) -> list[RoundHistoryLine]:
    """The steps of the dossier's round, and of the Ministry round it submitted to, that
    concern this dossier, in time order (empty for a dossier in no round).

    `dossier` is one the actor may see (the caller read it through `dossier_detail`); the
    actor decides only whether each line links to its round's page.
    """
    department = round_of_dossier(session, dossier.id)
    if department is None:
        return []
    rounds = {department.id: (department, DEPARTMENT)}
    upper = ministry_of(session, department)
    if upper is not None:
        rounds[upper.id] = (upper, MINISTRY)
    events = session.scalars(
        select(RoundEvent)
        .where(RoundEvent.round_id.in_(rounds))
        .where(RoundEvent.action.not_in(BALLOT_ACTIONS))
        .options(joinedload(RoundEvent.actor))
        .order_by(RoundEvent.at, RoundEvent.id)
    )
    seen = round_units(session, actor)
    lines = []
    for event in events:
        round_, level = rounds[event.round_id]
        if _concerns(event, dossier, department.id, level):
            visible = actor.is_admin or round_.unit_id in seen
            lines.append(RoundHistoryLine(event, round_, level, visible))
    return lines
