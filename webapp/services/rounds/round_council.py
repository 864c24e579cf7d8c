"""The round's council session: the council meets once and votes on the round's whole list.

The Office's compilation opens the session (members, the rules per award form, secret when the
rules say so for any award form of the round). The secretary records the meeting and who is
present; each member casts one ballot over every nominee of every list (an absent member's
ballot is their written opinion, and counts). In a secret vote the choices go to the ballot box
and the engine and the history only learn THAT the member voted. The last ballot lets the
engine count per award form (the dossier's tally operator); each nominee's tally is kept on its
list line, and the chair concludes from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.models import CouncilSession, ProcessVersion, Round, RoundInstance, RoundListItem, User
from webapp.permissions import COUNCIL_CHAIR_ROLE, Actor
from webapp.services import ballot_box, council_session
from webapp.services.ballot_box import round_subject
from webapp.services.council import council_members
from webapp.services.council_session import ABSENT, COUNCIL_SECRETARY_ROLE, VOTE, WRITTEN
from webapp.services.documents import step_papers
from webapp.services.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ProcessFailedError,
)
from webapp.services.form_validation import validate_form
from webapp.services.process_versions import form_schema
from webapp.services.rounds.arrivals import round_event, sync_round_step
from webapp.services.rounds.council_rules import rules_for_forms
from webapp.services.rounds.lifecycle import get_round, may
from webapp.services.rounds.messaging import after_turn
from webapp.services.rounds.round_instances import load_round_process, save_round_process
from workflows import HumanTask, ProcessRuntimeError, RunningProcess, TaskNotReadyError
from workflows.operations import sealed_counts

VOTE_STEP = "council_vote"
COUNT_STEP = "count_votes"


def _load(session: Session, round_: Round) -> tuple[RoundInstance, RunningProcess]:
    holder = session.scalar(select(RoundInstance).where(RoundInstance.round_id == round_.id))
    if holder is None:
        raise NotFoundError(f"round {round_.id} has no process")
    return holder, load_round_process(session, holder)


def council_context(session: Session, round_: Round, lists: dict[str, list[str]]) -> dict[str, Any]:
    """What the round's vote needs in the engine, from the compiled `lists` (award form ->
    nominee ids), and the session opened for it (secret when the rules say so for any form of
    the round: one ballot covers every list, so the stricter form of vote holds)."""
    rules = rules_for_forms(session, lists)
    # An empty list needs no vote: no ballots, the chair concludes at once.
    members = council_members(session, round_.unit_id) if any(lists.values()) else {}
    subject = round_subject(round_.id)
    council = council_session.current_session(session, subject)
    if council is None:
        council = CouncilSession(
            subject_kind=subject.kind, subject_id=subject.id, step=VOTE_STEP, status="open"
        )
        session.add(council)
    council.online = False
    council.secret = any(r.secret for r in rules.values())
    council.minutes = {
        "members": sorted(members),
        "rules": {
            form: {"quorum": r.quorum, "threshold": r.threshold, "secret": r.secret}
            for form, r in rules.items()
        },
    }
    session.flush()
    return {
        "council_members": members,
        "council_nominees": lists,
        "council_rules": {
            form: {"quorum": r.quorum, "threshold": r.threshold} for form, r in rules.items()
        },
    }


def _nominee_keys(session: Session, round_id: int) -> list[str]:
    return [
        str(n)
        for n in session.scalars(
            select(RoundListItem.nominee_id)
            .where(RoundListItem.round_id == round_id)
            .order_by(RoundListItem.award_form, RoundListItem.position)
        )
    ]


def _ballot_task(process: RunningProcess, username: str) -> HumanTask | None:
    for task in process.ready_human_tasks():
        if task.element_id == VOTE_STEP and task.assignee == username:
            return task
    return None


def cast_ballot(session: Session, actor: Actor, round_id: int, data: Any) -> Round:
    """A council member's ballot on the round's whole list (a vote if present, a written
    opinion if recorded absent). Secret: the choices go to the ballot box only."""
    round_ = get_round(session, actor, round_id)
    subject = round_subject(round_.id)
    council = council_session.current_session(session, subject)
    holder, process = _load(session, round_)
    task = _ballot_task(process, actor.username)
    if task is None or council is None:
        if council is not None and actor.username in (council.participation or {}):
            raise ConflictError("you have already voted", code="already_completed")
        if council is not None and actor.username in (council.minutes or {}).get("members", []):
            raise ConflictError("the round is not voting", code="not_waiting")
        raise PermissionDeniedError("only the council's members vote")
    version = session.get_one(ProcessVersion, holder.version_id)
    schema = form_schema(version, task.form) or {"type": "object"}
    keys = _nominee_keys(session, round_.id)
    values = validate_form(schema, data, nominee_ids=keys)
    maps = council_session.nominee_maps(schema)
    provider: Callable[[], dict[str, dict[str, int]]] | None = None
    engine = dict(values)
    if council.secret and maps:
        box = ballot_box.open_box(session, subject, VOTE_STEP, keys)
        choices = values.get(maps[0])
        ballot_box.cast(session, box, choices if isinstance(choices, dict) else {})
        # Nothing else of the ballot goes on: a remark could say what the member chose.
        engine = {name: dict(ballot_box.SEALED) for name in maps}
        provider = lambda: ballot_box.counts(session, box)  # noqa: E731 - read only if counted
    now = utcnow()
    try:
        with sealed_counts(provider):
            steps = process.complete(task.task_id, engine)
    except TaskNotReadyError as exc:
        raise ConflictError("you have already voted", code="already_completed") from exc
    except ProcessRuntimeError as exc:
        raise ProcessFailedError(exc.element_id, str(exc)) from exc
    save_round_process(holder, process, now)
    written = (council.attendance or {}).get(actor.username) == ABSENT
    council.participation = {
        **(council.participation or {}),
        actor.username: WRITTEN if written else VOTE,
    }
    round_event(
        session,
        round_,
        "written_opinion" if written else "voted",
        actor_id=actor.user_id,
        step=VOTE_STEP,
        # An open vote keeps the choices, as a dossier's open vote does; a secret one nothing.
        data=None if council.secret else {k: v for k, v in values.items() if v is not None},
        at=now,
    )
    _keep_tally(
        session, round_, council, [s.updates for s in steps if s.element_id == COUNT_STEP], now
    )
    sync_round_step(round_, process)
    after_turn(session, holder, process, now)
    session.flush()
    return round_


def _keep_tally(
    session: Session,
    round_: Round,
    council: CouncilSession,
    updates: list[dict[str, Any]],
    now: datetime,
) -> None:
    """The engine counted: each nominee's tally goes on its list line, the box is closed."""
    per_nominee: dict[str, dict[str, Any]] = {}
    for update in updates:
        tally = update.get("tally")
        if isinstance(tally, dict):
            per_nominee.update(tally.get("nominees") or {})
    if not per_nominee:
        return
    for item in session.scalars(select(RoundListItem).where(RoundListItem.round_id == round_.id)):
        counted = per_nominee.get(str(item.nominee_id))
        if counted is None:
            continue
        item.agree = int(counted["agree"])
        item.disagree = int(counted["disagree"])
        item.members = int(counted["members"])
        item.result = "passed" if counted["passed"] else "failed"
    box = ballot_box.current_box(session, round_subject(round_.id), VOTE_STEP)
    if box is not None:
        ballot_box.close_box(box)
    council.minutes = {
        **(council.minutes or {}),
        "tally": per_nominee,
        "counted_at": now.isoformat(),
    }
    round_event(
        session,
        round_,
        "counted",
        step=COUNT_STEP,
        data={
            "passed": sum(1 for c in per_nominee.values() if c["passed"]),
            "nominees": len(per_nominee),
        },
        at=now,
    )


def counted_tally(session: Session, round_id: int) -> dict[str, dict[str, Any]] | None:
    """Each nominee's tally once the round's council has voted (None before, or for a round
    whose diagram has no vote)."""
    council = council_session.latest_session(session, round_subject(round_id))
    if council is None:
        return None
    tally = (council.minutes or {}).get("tally")
    return tally if isinstance(tally, dict) else None


def conclude_session(
    session: Session, actor: Actor, round_id: int, comment: Any, now: datetime
) -> None:
    """The chair concluded: the minutes' data (meeting, attendance, form of vote, tally per
    nominee, conclusion) is kept on the session."""
    council = council_session.current_session(session, round_subject(round_id))
    if council is None:
        return
    minutes = council.minutes or {}
    council.minutes = {
        **minutes,
        "meeting": {
            "date": council.meeting_date.isoformat() if council.meeting_date else None,
            "place": council.place,
            "online": council.online,
        },
        "form_of_vote": "secret" if council.secret else "open",
        "attendance": council.attendance or {},
        "participation": council.participation or {},
        "conclusion": {
            "comment": comment if isinstance(comment, str) else None,
            "chair": actor.username,
            "at": now.isoformat(),
        },
    }
    council.status = "concluded"


@dataclass(frozen=True)
class RoundSessionView:
    """The round's session as its pages show it: who is present, who has voted (no choice)."""

    round: Round
    council: CouncilSession | None
    secret: bool
    members: list[tuple[str, str]]
    voted: set[str]
    written: set[str]
    can_record: bool
    voting: bool


def can_record(actor: Actor, round_: Round) -> bool:
    """The council's secretary for the round's unit (or an administrator) keeps the session."""
    return may(actor, COUNCIL_SECRETARY_ROLE, round_.unit_id)


def session_view(session: Session, actor: Actor, round_id: int) -> RoundSessionView:
    """The round's council session for its secretary or chair."""
    round_ = get_round(session, actor, round_id)
    if not (can_record(actor, round_) or may(actor, COUNCIL_CHAIR_ROLE, round_.unit_id)):
        raise PermissionDeniedError("only the council's secretary or chair follow its session")
    subject = round_subject(round_.id)
    council = council_session.latest_session(session, subject)
    minutes = (council.minutes if council else None) or {}
    usernames = list(minutes.get("members") or [])
    names = dict(
        session.execute(
            select(User.username, User.full_name).where(User.username.in_(usernames or [""]))
        ).all()
    )
    members = sorted(((m, names.get(m, m)) for m in usernames), key=lambda m: m[1])
    voted = set((council.participation if council else None) or {})
    attendance = (council.attendance if council else None) or {}
    return RoundSessionView(
        round=round_,
        council=council,
        secret=bool(council and council.secret),
        members=members,
        voted=voted,
        written={m for m in voted if attendance.get(m) == ABSENT},
        can_record=can_record(actor, round_),
        voting=round_.step == VOTE_STEP,
    )


def record_meeting(
    session: Session,
    actor: Actor,
    round_id: int,
    *,
    meeting_date: Any,
    place: Any,
    online: bool,
    present: list[str],
) -> CouncilSession:
    """The secretary records the round's meeting and who is present (the others give a
    written opinion on their ballot)."""
    round_ = get_round(session, actor, round_id)
    if not can_record(actor, round_):
        raise PermissionDeniedError("only the council's secretary records its session")
    council = council_session.current_session(session, round_subject(round_.id))
    if council is None or round_.step != VOTE_STEP:
        raise ConflictError("no vote is under way on this round", code="no_open_vote")
    members = list((council.minutes or {}).get("members") or [])
    council_session.fill_meeting(
        council,
        actor,
        members,
        meeting_date=meeting_date,
        place=place,
        online=online,
        present=present,
    )
    # A written-opinion form for each absent member is kept with the round.
    absent = [m for m, state in (council.attendance or {}).items() if state == ABSENT]
    step_papers.keep_opinion_forms(session, actor, round_, absent)
    session.flush()
    return council


@dataclass(frozen=True)
class RoundBallot:
    """A member's ballot on a round, as their ballot page shows it."""

    round: Round
    secret: bool
    written: bool
    lists: dict[str, list[RoundListItem]]
    schema: dict[str, Any]


def ballot_for(session: Session, actor: Actor, round_id: int) -> RoundBallot:
    """The member's open ballot on the round (403 for someone with no ballot, 409 once cast)."""
    round_ = get_round(session, actor, round_id)
    holder, process = _load(session, round_)
    council = council_session.current_session(session, round_subject(round_.id))
    task = _ballot_task(process, actor.username)
    if task is None or council is None:
        if council is not None and actor.username in (council.participation or {}):
            raise ConflictError("you have already voted", code="already_completed")
        raise PermissionDeniedError("only the council's members vote")
    version = session.get_one(ProcessVersion, holder.version_id)
    lists = list_items(session, round_.id)
    return RoundBallot(
        round=round_,
        secret=council.secret,
        written=(council.attendance or {}).get(actor.username) == ABSENT,
        lists=lists,
        schema=form_schema(version, task.form) or {},
    )


def list_items(session: Session, round_id: int) -> dict[str, list[RoundListItem]]:
    """The round's compiled lists, by award form, in order (with tallies once counted)."""
    lists: dict[str, list[RoundListItem]] = {}
    for item in session.scalars(
        select(RoundListItem)
        .where(RoundListItem.round_id == round_id)
        .order_by(RoundListItem.award_form, RoundListItem.position)
    ):
        lists.setdefault(item.award_form, []).append(item)
    return lists


@dataclass(frozen=True)
class RoundVoteUnderWay:
    """A round whose council is voting, as the secretary's list shows it."""

    round_id: int
    name: str
    voted: int
    members: int


def votes_under_way(session: Session, actor: Actor) -> list[RoundVoteUnderWay]:
    """The rounds whose council is voting where the actor is the secretary or the chair."""
    out = []
    for round_ in session.scalars(select(Round).where(Round.step == VOTE_STEP).order_by(Round.id)):
        if not (can_record(actor, round_) or may(actor, COUNCIL_CHAIR_ROLE, round_.unit_id)):
            continue
        council = council_session.current_session(session, round_subject(round_.id))
        if council is None:
            continue
        members = (council.minutes or {}).get("members") or []
        voted = len(council.participation or {})
        out.append(RoundVoteUnderWay(round_.id, round_.name, voted, len(members)))
    return out
