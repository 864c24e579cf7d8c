"""The round steps waiting for a user (compile, the chair's conclusion, a signature per award
form), as lines of their inbox beside the dossiers' work items."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from webapp.models import Movement, Round, RoundEvent, RoundInstance
from webapp.permissions import Actor
from webapp.services.process_versions import definition_of
from webapp.services.rounds.round_instances import load_round_process

# A round has human steps only once its intake is closed (before, it waits for proposals).
ACTIVE_STATUS = "closed"
# A council member's ballot on a round: a step of its own for each member (their name).
BALLOT_ROLE = "council_member"


class RoundStepRow(NamedTuple):
    """One open step of a round that the actor may do now."""

    round_id: int
    round_name: str
    movement_code: str
    step: str
    title: str
    role: str | None
    award_form: str | None  # the signature's award form (one step per form)
    since: datetime
    due_at: datetime | None


def my_round_steps(
    session: Session, actor: Actor, *, movement_id: int | None = None
) -> list[RoundStepRow]:
    """Open steps of the rounds of units where the actor holds the step's role, oldest first.

    Rounds are few and a round's state is small: the candidate rounds are found by index
    (status, unit) and their ready steps read from the engine, the one source of truth.
    """
    units = set().union(*actor.scopes.values()) if actor.scopes else set()
    if not units:
        return []
    query = (
        select(Round, RoundInstance, Movement.code)
        .options(joinedload(RoundInstance.version))
        .join(RoundInstance, RoundInstance.round_id == Round.id)
        .join(Movement, Movement.id == Round.movement_id)
        .where(Round.status == ACTIVE_STATUS, Round.unit_id.in_(units))
        .order_by(Round.id)
    )
    if movement_id is not None:
        query = query.where(Round.movement_id == movement_id)
    candidates = session.execute(query).all()
    if not candidates:
        return []
    since = _last_event_times(session, [round_.id for round_, _h, _c in candidates])
    rows: list[RoundStepRow] = []
    for round_, holder, movement_code in candidates:
        if not _may_wait_for(actor, round_, holder):
            continue  # nothing of this round can be the actor's: its state is not read
        tasks = load_round_process(session, holder).ready_human_tasks()
        for task in tasks:
            if task.role is None:
                continue
            if task.role == BALLOT_ROLE:
                if task.assignee != actor.username:  # a member's ballot is theirs alone
                    continue
            elif round_.unit_id not in actor.scopes.get(task.role or "", ()):
                continue
            start = since.get(round_.id) or round_.intake_closed_at or round_.created_at
            due = start + timedelta(days=task.time_limit_days) if task.time_limit_days else None
            rows.append(
                RoundStepRow(
                    round_.id,
                    round_.name,
                    movement_code,
                    task.element_id,
                    task.name,
                    task.role,
                    None if task.role == BALLOT_ROLE else task.assignee,
                    start,
                    due,
                )
            )
    return rows


def _may_wait_for(actor: Actor, round_: Round, holder: RoundInstance) -> bool:
    """Whether the round waits at a human step and a role of its diagram's human steps reaches
    the actor (the diagram is parsed once per version and cached), before its state is read."""
    human = {
        step.element_id: step.role for step in definition_of(holder.version).diagram.human_steps()
    }
    if round_.step not in human:
        return False
    return any(
        (role == BALLOT_ROLE and bool(actor.scopes.get(BALLOT_ROLE)))
        or round_.unit_id in actor.scopes.get(role or "", ())
        for role in human.values()
    )


def _last_event_times(session: Session, round_ids: list[int]) -> dict[int, datetime]:
    # The step opened with the round's last event (intake closed, lists compiled, ...).
    rows = session.execute(
        select(RoundEvent.round_id, func.max(RoundEvent.at))
        .where(RoundEvent.round_id.in_(round_ids))
        .group_by(RoundEvent.round_id)
    )
    return {int(row[0]): row[1] for row in rows}
