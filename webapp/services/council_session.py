"""The council's session on a subject: meeting, attendance, ballots (secret or open), minutes.

The council secretary records when and where the council meets and who is present. Members
present vote on their ballot; a member recorded absent sends a written opinion on the same
ballot, which counts in the tally like a vote. When the rules say the vote is secret, each
ballot's choices go to the ballot box and the engine only learns that the member voted. When
the chair concludes, the data of the minutes is kept on the session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.models import CouncilSession, Dossier, User, WorkItem
from webapp.permissions import COUNCIL_CHAIR_ROLE, Actor
from webapp.services import ballot_box
from webapp.services.ballot_box import Subject, dossier_subject
from webapp.services.council_votes import open_vote
from webapp.services.dossiers import get_visible_dossier
from webapp.services.errors import ConflictError, InvalidDataError, PermissionDeniedError
from webapp.services.nominees_in_play import nominee_ids_in_play
from workflows import AutomatedStep

COUNCIL_SECRETARY_ROLE = "council_secretary"
MAX_PLACE = 300
PRESENT, ABSENT = "present", "absent"
VOTE, WRITTEN = "vote", "written"


@dataclass(frozen=True)
class Ballot:
    """A member's ballot as the engine and the history may see it, and the box's totals to
    count from in this turn (None for an open vote)."""

    values: dict[str, Any]
    sealed_counts: Callable[[], dict[str, dict[str, int]]] | None


def nominee_maps(schema: dict[str, Any]) -> list[str]:
    """The ballot's per-nominee fields (`x-nominee-map`): where the choices are."""
    return [
        name
        for name, field in (schema.get("properties") or {}).items()
        if isinstance(field, dict) and field.get("x-nominee-map")
    ]


def current_session(session: Session, subject: Subject) -> CouncilSession | None:
    """The subject's session not yet concluded, if any."""
    return session.scalar(
        select(CouncilSession)
        .where(
            CouncilSession.subject_kind == subject.kind,
            CouncilSession.subject_id == subject.id,
            CouncilSession.status == "open",
        )
        .order_by(CouncilSession.id.desc())
        .limit(1)
    )


def latest_session(session: Session, subject: Subject) -> CouncilSession | None:
    """The subject's most recent session, concluded or not."""
    return session.scalar(
        select(CouncilSession)
        .where(CouncilSession.subject_kind == subject.kind, CouncilSession.subject_id == subject.id)
        .order_by(CouncilSession.id.desc())
        .limit(1)
    )


def _session_for_vote(session: Session, dossier: Dossier, step: str) -> CouncilSession:
    subject = dossier_subject(dossier)
    council = current_session(session, subject)
    if council is None or council.step != step:
        council = CouncilSession(
            subject_kind=subject.kind,
            subject_id=subject.id,
            step=step,
            status="open",
            online=False,
            secret=ballot_box.rules_say_secret(session, dossier),
        )
        session.add(council)
        session.flush()
    return council


def take_ballot(
    session: Session,
    dossier: Dossier,
    item: WorkItem,
    schema: dict[str, Any],
    values: dict[str, Any],
) -> Ballot | None:
    """A council member's ballot (a step assigned to one member, with per-nominee choices):
    in a secret vote the choices go to the ballot box and only a mark is handed on.
    None for any other step."""
    maps = nominee_maps(schema)
    if item.assignee_id is None or not maps:
        return None
    council = _session_for_vote(session, dossier, item.step)
    if not council.secret:
        return Ballot(values, None)
    box = ballot_box.open_box(
        session, dossier_subject(dossier), item.step, nominee_ids_in_play(dossier)
    )
    choices = values.get(maps[0])
    ballot_box.cast(session, box, choices if isinstance(choices, dict) else {})
    # Nothing else of the ballot goes on: a remark could say what the member chose.
    sealed = {name: dict(ballot_box.SEALED) for name in maps}
    return Ballot(sealed, lambda: ballot_box.counts(session, box))


def sealed_counts_for_close(
    session: Session, dossier: Dossier, step: str
) -> Callable[[], dict[str, dict[str, int]]] | None:
    """The box's totals when the chair closes a secret vote (None for an open vote)."""
    council = current_session(session, dossier_subject(dossier))
    if council is None or not council.secret:
        if ballot_box.rules_say_secret(session, dossier):
            return dict  # a secret vote nobody voted in yet: nothing to count
        return None
    box = ballot_box.current_box(session, dossier_subject(dossier), step)
    if box is None:
        return dict
    return lambda: ballot_box.counts(session, box)


def after_turn(
    session: Session,
    actor: Actor,
    dossier: Dossier,
    item: WorkItem | None,
    values: dict[str, Any],
    steps: list[AutomatedStep],
    now: datetime,
) -> None:
    """Keep the session up to date after a turn of the engine: the tally when the votes were
    counted (the box is closed), the conclusion when the chair concludes."""
    subject = dossier_subject(dossier)
    council = current_session(session, subject)
    if council is None:
        return
    for step in steps:
        tally = step.updates.get("tally")
        if isinstance(tally, dict):
            box = ballot_box.current_box(session, subject, council.step)
            if box is not None:
                ballot_box.close_box(box)
            council.minutes = {**(council.minutes or {}), "tally": tally, "counted_at": _iso(now)}
    minutes = council.minutes or {}
    if item is not None and item.role == COUNCIL_CHAIR_ROLE and "tally" in minutes:
        council.minutes = {
            **minutes,
            **_minutes_body(session, dossier, council),
            "conclusion": {
                "decision": values.get("decision"),
                "comment": values.get("comment"),
                "chair": actor.username,
                "at": _iso(now),
            },
        }
        council.participation = council.minutes["participation"]
        council.status = "concluded"


def _iso(value: datetime) -> str:
    return value.isoformat()


def _round_ballots(session: Session, dossier: Dossier, council: CouncilSession) -> list[WorkItem]:
    # This session's ballots: the step's items created since the session's vote opened.
    items = session.scalars(
        select(WorkItem)
        .where(
            WorkItem.dossier_id == dossier.id,
            WorkItem.step == council.step,
            WorkItem.assignee_id.is_not(None),
        )
        .order_by(WorkItem.id)
    ).all()
    if not items:
        return []
    # A later vote at the same step (a return from the ministry) starts a new set of items.
    first_of_round = max(
        (i for i in items if i.created_at <= council.created_at),
        key=lambda i: i.id,
        default=items[0],
    )
    return [i for i in items if i.created_at >= first_of_round.created_at]


def _minutes_body(session: Session, dossier: Dossier, council: CouncilSession) -> dict[str, Any]:
    ballots = _round_ballots(session, dossier, council)
    attendance = council.attendance or {}
    participation = {}
    for ballot in ballots:
        if ballot.assignee is None or ballot.status != "done" or ballot.decision == "absent":
            continue
        name = ballot.assignee.username
        participation[name] = WRITTEN if attendance.get(name) == ABSENT else VOTE
    return {
        "meeting": {
            "date": council.meeting_date.isoformat() if council.meeting_date else None,
            "place": council.place,
            "online": council.online,
        },
        "form_of_vote": "secret" if council.secret else "open",
        "members": [b.assignee.username for b in ballots if b.assignee],
        "attendance": attendance,
        "participation": participation,
    }


@dataclass(frozen=True)
class SessionView:
    """A session as its pages show it: the meeting, who is present, who has voted."""

    dossier: Dossier
    council: CouncilSession | None
    secret: bool
    members: list[tuple[str, str]]  # (username, full name) of this vote's ballots
    voted: set[str]
    written: set[str]
    can_record: bool


def can_record_session(actor: Actor, dossier: Dossier) -> bool:
    """The council's secretary for the dossier's unit (or an administrator) keeps the session."""
    return actor.is_admin or dossier.unit_id in actor.scopes.get(
        COUNCIL_SECRETARY_ROLE, frozenset()
    )


def can_view_session(actor: Actor, dossier: Dossier) -> bool:
    """The secretary and the chair follow the session's progress."""
    return can_record_session(actor, dossier) or dossier.unit_id in actor.scopes.get(
        COUNCIL_CHAIR_ROLE, frozenset()
    )


def session_view(session: Session, actor: Actor, dossier_id: int) -> SessionView:
    """The council's session on the dossier, for its secretary or its chair: who has voted,
    who has not, never what anyone chose."""
    dossier = get_visible_dossier(session, actor, dossier_id)
    if not can_view_session(actor, dossier):
        raise PermissionDeniedError("only the council's secretary or chair follow its session")
    council = latest_session(session, dossier_subject(dossier))
    vote = open_vote(session, dossier)
    if vote is not None:
        members = sorted(vote.members.items(), key=lambda m: m[1])
        voted = set(vote.voted_users)
    elif council is not None:
        minutes = council.minutes or {}
        usernames = list(minutes.get("members") or [])
        names = dict(
            session.execute(
                select(User.username, User.full_name).where(User.username.in_(usernames))
            ).all()
        )
        members = [(m, names.get(m, m)) for m in usernames]
        voted = set((minutes.get("participation") or {}).keys())
    else:
        members, voted = [], set()
    attendance = (council.attendance if council else None) or {}
    written = {m for m in voted if attendance.get(m) == ABSENT}
    secret = council.secret if council else ballot_box.rules_say_secret(session, dossier)
    return SessionView(
        dossier, council, secret, members, voted, written, can_record_session(actor, dossier)
    )


def record_meeting(
    session: Session,
    actor: Actor,
    dossier_id: int,
    *,
    meeting_date: Any,
    place: Any,
    online: bool,
    present: list[str],
) -> CouncilSession:
    """The secretary records the meeting (date, place or online) and who is present; members
    not present give a written opinion on their ballot, which counts."""
    dossier = get_visible_dossier(session, actor, dossier_id)
    if not can_record_session(actor, dossier):
        raise PermissionDeniedError("only the council's secretary records its session")
    vote = open_vote(session, dossier)
    if vote is None:
        raise ConflictError("no vote is under way on this dossier", code="no_open_vote")
    # Checked before the session is made, so that a refused form leaves nothing behind.
    _check_meeting(list(vote.members), meeting_date, place, online, present)
    council = _session_for_vote(session, dossier, vote.step)
    fill_meeting(
        council,
        actor,
        list(vote.members),
        meeting_date=meeting_date,
        place=place,
        online=online,
        present=present,
    )
    session.flush()
    return council


def _check_meeting(
    members: list[str], meeting_date: Any, place: Any, online: bool, present: list[str]
) -> tuple[date, str]:
    when = _meeting_date(meeting_date)
    where = str(place or "").strip()
    if len(where) > MAX_PLACE:
        raise InvalidDataError("the place is too long", {"place": f"at most {MAX_PLACE}"})
    if not where and not online:
        raise InvalidDataError("say where the council meets", {"place": "is required"})
    unknown = sorted(set(present) - set(members))
    if unknown:
        raise InvalidDataError(
            "only the council's members can be present", {"present": "is not a member"}
        )
    return when, where


def fill_meeting(
    council: CouncilSession,
    actor: Actor,
    members: list[str],
    *,
    meeting_date: Any,
    place: Any,
    online: bool,
    present: list[str],
) -> None:
    """Check and record on `council` the meeting (date, place or online) and who of `members`
    is present; the others are absent and give a written opinion."""
    when, where = _check_meeting(members, meeting_date, place, online, present)
    council.meeting_date = when
    council.place = where or None
    council.online = bool(online)
    council.attendance = {m: PRESENT if m in present else ABSENT for m in sorted(members)}
    council.secretary_id = actor.user_id
    council.recorded_at = utcnow()


def _meeting_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidDataError(
            "the meeting date is not a date", {"meeting_date": "is not a date (YYYY-MM-DD)"}
        ) from exc


@dataclass(frozen=True)
class VoteUnderWay:
    """A dossier whose council is voting, as the secretary's list shows it."""

    dossier_id: int
    code: str | None
    title: str
    voted: int
    members: int


def votes_under_way(session: Session, actor: Actor) -> list[VoteUnderWay]:
    """The dossiers whose council vote is under way where the actor is secretary or chair."""
    units = set(actor.scopes.get(COUNCIL_SECRETARY_ROLE, frozenset())) | set(
        actor.scopes.get(COUNCIL_CHAIR_ROLE, frozenset())
    )
    query = (
        select(Dossier)
        .join(WorkItem, WorkItem.dossier_id == Dossier.id)
        .where(WorkItem.status == "open", WorkItem.assignee_id.is_not(None))
        .distinct()
        .order_by(Dossier.id)
    )
    if not actor.is_admin:
        query = query.where(Dossier.unit_id.in_(units or {-1}))
    out = []
    for dossier in session.scalars(query):
        vote = open_vote(session, dossier)
        if vote is not None:
            out.append(
                VoteUnderWay(
                    dossier.id, dossier.code, dossier.title, len(vote.voted), len(vote.members)
                )
            )
    return out


@dataclass(frozen=True)
class BallotKind:
    """What a member's ballot page says: secret or open, a vote or a written opinion."""

    secret: bool
    written: bool


def ballot_kind(session: Session, item: WorkItem, schema: dict[str, Any]) -> BallotKind | None:
    """How the member's ballot `item` is cast, or None when the item is not a ballot."""
    if item.assignee_id is None or not nominee_maps(schema):
        return None
    dossier = item.dossier
    council = current_session(session, dossier_subject(dossier))
    if council is not None and council.step == item.step:
        secret = council.secret
    else:
        secret = ballot_box.rules_say_secret(session, dossier)
    attendance = (council.attendance if council else None) or {}
    member = item.assignee.username if item.assignee else ""
    return BallotKind(secret=secret, written=attendance.get(member) == ABSENT)


def has_session_page(session: Session, actor: Actor, dossier: Dossier) -> bool:
    """Whether the dossier page links to its council's session for the actor: the secretary
    or the chair, once the council has voted or is voting."""
    if not can_view_session(actor, dossier):
        return False
    subject = dossier_subject(dossier)
    return latest_session(session, subject) is not None or open_vote(session, dossier) is not None
