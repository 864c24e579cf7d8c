"""The vote under way on a dossier: who has voted, who has not (never what anyone chose)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from webapp.models import Dossier, WorkItem


@dataclass(frozen=True)
class OpenVote:
    """A vote under way on a dossier: who voted, who has not yet."""

    step: str
    title: str
    voted: list[str]
    waiting: list[str]
    # username -> full name of every member with a ballot in this vote
    members: dict[str, str] = field(default_factory=dict)
    voted_users: list[str] = field(default_factory=list)


def ballots_of(session: Session, dossier: Dossier) -> list[WorkItem]:
    """Every ballot of the dossier: a step waiting for a named person, one work item each."""
    return list(
        session.scalars(
            select(WorkItem)
            .where(WorkItem.dossier_id == dossier.id, WorkItem.assignee_id.is_not(None))
            .options(joinedload(WorkItem.assignee))
            .order_by(WorkItem.id)
        )
    )


def open_vote(session: Session, dossier: Dossier) -> OpenVote | None:
    """The vote under way on the dossier, or None when no ballot is open."""
    ballots = ballots_of(session, dossier)
    waiting = [b for b in ballots if b.status == "open"]
    if not waiting:
        return None
    # The same step may have been voted before (a return from the ministry): this round only.
    round_started = min(b.created_at for b in waiting)
    this_round = [b for b in ballots if b.step == waiting[0].step and b.created_at >= round_started]
    done = [b for b in this_round if b.status == "done" and b.assignee]
    return OpenVote(
        step=waiting[0].step,
        title=waiting[0].title,
        voted=[b.assignee.full_name for b in done if b.assignee],
        waiting=[b.assignee.full_name for b in waiting if b.assignee],
        members={b.assignee.username: b.assignee.full_name for b in this_round if b.assignee},
        voted_users=[b.assignee.username for b in done if b.assignee],
    )
