"""Round use cases: open a round, join it with a dossier, move a late dossier, read a round.

The round's steps (close intake, compile, conclude, sign) are in `steps`. Services flush, never
commit: the view commits once.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from webapp.db import utcnow
from webapp.models import (
    Dossier,
    Movement,
    Nominee,
    OrgUnit,
    ProcessInstance,
    Round,
    RoundEntry,
    RoundEvent,
    RoundInstance,
    RoundListItem,
)
from webapp.permissions import Actor
from webapp.services.actors import ancestors, units_below
from webapp.services.dossier_schema import AWARD_FORMS
from webapp.services.dossiers import start_dossier
from webapp.services.errors import (
    ConflictError,
    InvalidDataError,
    NotFoundError,
    PermissionDeniedError,
)
from webapp.services.rounds.arrivals import round_event, sync_round_step
from webapp.services.rounds.messaging import after_turn
from webapp.services.rounds.movements import OFFICE_ROLE
from webapp.services.rounds.round_instances import (
    PROPOSAL_PROCESS_KEY,
    load_round_process,
    start_round_process,
)
from workflows import HumanTask

KINDS = ("so_ket", "tong_ket", "chuyen_de")
# Ids are INTEGER columns (32-bit on PostgreSQL).
MAX_ID = 2**31 - 1


def may(actor: Actor, role: str, unit_id: int) -> bool:
    """Whether the actor holds `role` over `unit_id` (administrators always may)."""
    return actor.is_admin or unit_id in actor.scopes.get(role, frozenset())


def office_unit(actor: Actor) -> int | None:
    """The unit whose Office the actor is (their own unit first)."""
    granted = actor.grants.get(OFFICE_ROLE, frozenset())
    if actor.unit_id in granted:
        return actor.unit_id
    return min(granted) if granted else (actor.unit_id if actor.is_admin else None)


def round_units(session: Session, actor: Actor) -> set[int]:
    """Units whose rounds the actor sees: those they reach, and those above them (a unit's
    officers see the Department's rounds they may join)."""
    units: set[int] = set(actor.visible_units)
    for unit_id in actor.visible_units:
        units.update(ancestors(session, unit_id))
    return units


def get_round(session: Session, actor: Actor, round_id: int) -> Round:
    """The round, if the actor may see it."""
    round_ = session.get(Round, round_id)
    if round_ is None or not (actor.is_admin or round_.unit_id in round_units(session, actor)):
        raise NotFoundError(f"round {round_id} not found")
    return round_


def list_rounds(
    session: Session,
    actor: Actor,
    movement_id: int | None = None,
    *,
    before_id: int | None = None,
    limit: int | None = None,
) -> list[Round]:
    """The rounds the actor may see, newest first; `before_id` and `limit` page through them
    by key (the rounds older than `before_id`, at most `limit` of them)."""
    query = (
        select(Round)
        .options(joinedload(Round.movement), joinedload(Round.unit))
        .order_by(Round.id.desc())
    )
    if not actor.is_admin:
        query = query.where(Round.unit_id.in_(round_units(session, actor) or {-1}))
    if movement_id is not None:
        query = query.where(Round.movement_id == movement_id)
    if before_id is not None:
        query = query.where(Round.id < before_id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def open_rounds_for(session: Session, actor: Actor, now: datetime | None = None) -> list[Round]:
    """Rounds a unit officer may join now: taking proposals, deadline not passed, above them."""
    now = now or utcnow()
    query = select(Round).where(Round.status == "intake", Round.intake_deadline >= now)
    rounds = list(session.scalars(query.order_by(Round.intake_deadline, Round.id)))
    mine = actor.scopes.get("unit_officer", frozenset())
    return [r for r in rounds if actor.is_admin or _below(session, mine, r.unit_id)]


def _below(session: Session, units: frozenset[int], top: int) -> bool:
    return bool(units) and bool(
        session.scalar(
            select(func.count()).where(OrgUnit.id.in_(units), OrgUnit.id.in_(units_below(top)))
        )
    )


def open_round(session: Session, actor: Actor, payload: dict[str, Any]) -> Round:
    """The Office opens a round in a movement: kind, award forms, deadline, optional quota."""
    unit_id = office_unit(actor)
    if unit_id is None or not may(actor, OFFICE_ROLE, unit_id):
        raise PermissionDeniedError("only the Office opens rounds")
    errors: dict[str, str] = {}
    name = payload.get("name")
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 300:
        errors["name"] = "is required (at most 300 characters)"
    movement = None
    with contextlib.suppress(TypeError, ValueError):
        wanted = int(payload.get("movement_id") or 0)
        # An id beyond the column's integers names no movement (and must not reach the query).
        if 0 < wanted <= MAX_ID:
            movement = session.get(Movement, wanted)
    if movement is None:
        errors["movement_id"] = "is not a known movement"
    kind = payload.get("kind")
    if kind not in KINDS:
        errors["kind"] = f"must be one of: {', '.join(KINDS)}"
    forms = payload.get("award_forms") or []
    if not isinstance(forms, list) or not forms or any(f not in AWARD_FORMS for f in forms):
        errors["award_forms"] = f"choose at least one of: {', '.join(AWARD_FORMS)}"
    deadline = _deadline(payload.get("intake_deadline"), errors)
    quota = _quota(payload.get("quota"), forms if isinstance(forms, list) else [], errors)
    if errors:
        raise InvalidDataError("the round is not valid", errors)
    assert movement is not None
    assert deadline is not None
    now = utcnow()
    round_ = Round(
        movement_id=movement.id,
        unit_id=unit_id,
        name=name,
        kind=kind,
        award_forms=list(dict.fromkeys(forms)),
        intake_deadline=deadline,
        quota=quota,
        status="intake",
        created_by_id=actor.user_id,
        created_at=now,
    )
    session.add(round_)
    session.flush()
    # No Ministry round yet: the Director's signature names it (the diagram's tail reads it).
    data = {
        "round_id": round_.id,
        "award_forms": round_.award_forms,
        "ministry_round_id": None,
        "department_round_id": round_.id,
    }
    holder, process = start_round_process(session, round_, data, now)
    round_event(session, round_, "opened", actor_id=actor.user_id, at=now)
    sync_round_step(round_, process)
    after_turn(session, holder, process, now)
    session.flush()
    return round_


def _deadline(value: Any, errors: dict[str, str]) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value))
        # A deadline without a time zone is read as UTC (pages send Vietnam's time with its zone).
        parsed = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
        parsed.astimezone(UTC)  # stored in UTC: year 1 or 9999 with an offset cannot be
    except (ValueError, OverflowError):
        errors["intake_deadline"] = "must be a date and time (yyyy-mm-ddThh:mm)"
        return None
    return parsed


def _quota(value: Any, forms: list[str], errors: dict[str, str]) -> dict[str, Any] | None:
    if value in (None, "", {}):
        return None
    ok = isinstance(value, dict) and all(
        isinstance(per, dict)
        and all(f in forms and isinstance(n, int) and 0 <= n <= 10000 for f, n in per.items())
        for per in value.values()
    )
    if not ok:
        errors["quota"] = "must give, per unit, a whole number per award form of the round"
        return None
    return {str(unit): dict(per) for unit, per in value.items()}


def join_round(session: Session, actor: Actor, round_id: int, payload: Any) -> Dossier:
    """Create a unit's dossier in a round: it runs the round's proposal process, and its proposal
    reaches this round (and no other) once the Office accepts it. A round whose intake closed or
    whose deadline passed refuses it with the reason (code "round_refused", `fields["reason"]`)."""
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise _refused("unknown", "round_id", "is not a known round")
    now = utcnow()
    if round_.status != "intake":
        raise _refused("closed", "round_id", "intake is closed")
    if round_.intake_deadline < now:
        raise _refused("deadline", "round_id", "the deadline for proposals has passed")
    data = dict(payload) if isinstance(payload, dict) else {}
    if data.get("award_form") not in round_.award_forms:
        raise _refused(
            "award_form",
            "award_form",
            f"must be one of the round's: {', '.join(round_.award_forms)}",
        )
    data["movement_id"] = round_.movement_id
    dossier = start_dossier(
        session, actor, data, process_key=PROPOSAL_PROCESS_KEY, context={"round_id": round_.id}
    )
    if not _below(session, frozenset({dossier.unit_id}), round_.unit_id):
        raise _refused("unit", "round_id", "is not open to your unit")
    _check_quota(session, round_, dossier)
    session.add(RoundEntry(round_id=round_.id, dossier_id=dossier.id, joined_at=now))
    round_event(
        session, round_, "joined", actor_id=actor.user_id, data={"dossier_id": dossier.id}, at=now
    )
    session.flush()
    return dossier


def _refused(reason: str, field: str, message: str) -> InvalidDataError:
    return InvalidDataError(
        f"the round refuses this proposal: {message}",
        {field: message, "reason": reason},
        code="round_refused",
    )


def _check_quota(session: Session, round_: Round, dossier: Dossier) -> None:
    limit = ((round_.quota or {}).get(str(dossier.unit_id)) or {}).get(dossier.award_form)
    if limit is None:
        return
    already = session.scalar(
        select(func.count(Nominee.id))
        .join(RoundEntry, RoundEntry.dossier_id == Nominee.dossier_id)
        .join(Dossier, Dossier.id == Nominee.dossier_id)
        .where(
            RoundEntry.round_id == round_.id,
            Dossier.unit_id == dossier.unit_id,
            Dossier.award_form == dossier.award_form,
        )
    )
    if (already or 0) + len(dossier.nominees) > limit:
        raise _refused(
            "quota", "nominees", f"the round takes at most {limit} of your unit's nominees"
        )


def move_late_dossier(session: Session, actor: Actor, dossier_id: int, round_id: int) -> RoundEntry:
    """The Office queues a late dossier for another round that still takes proposals: its
    proposal goes there once the Office accepts it. (Refusing it is the check's "refuse".)"""
    entry = session.scalar(select(RoundEntry).where(RoundEntry.dossier_id == dossier_id))
    if entry is None:
        raise NotFoundError(f"dossier {dossier_id} is in no round")
    source = get_round(session, actor, entry.round_id)
    if not may(actor, OFFICE_ROLE, source.unit_id):
        raise PermissionDeniedError("only the Office moves a dossier to another round")
    if entry.status != "late":
        raise ConflictError("only a late dossier moves to another round", code="not_late")
    target = session.get(Round, round_id)
    now = utcnow()
    if target is None or target.id == source.id:
        raise _refused("unknown", "round_id", "is not another known round")
    if target.status != "intake":
        raise _refused("closed", "round_id", "intake is closed")
    if target.intake_deadline < now:
        raise _refused("deadline", "round_id", "the deadline for proposals has passed")
    dossier = session.get_one(Dossier, dossier_id)
    if dossier.award_form not in target.award_forms:
        raise _refused("award_form", "award_form", "is not an award form of that round")
    if not _below(session, frozenset({dossier.unit_id}), target.unit_id):
        raise _refused("unit", "round_id", "is not open to this dossier's unit")
    _check_quota(session, target, dossier)
    entry.round_id, entry.status, entry.reason, entry.joined_at = target.id, "joined", None, now
    data = {"dossier_id": dossier_id, "to": target.id}
    round_event(session, source, "moved_out", actor_id=actor.user_id, data=data, at=now)
    data = {"dossier_id": dossier_id, "from": source.id}
    round_event(session, target, "joined", actor_id=actor.user_id, data=data, at=now)
    session.flush()
    return entry


@dataclass(frozen=True)
class RoundDetail:
    """A round with what its page shows."""

    round: Round
    holder: RoundInstance | None
    entries: list[RoundEntry]
    lists: dict[str, list[RoundListItem]]
    history: list[RoundEvent]
    ready: list[HumanTask]
    dossier_steps: dict[int, str]


def round_detail(session: Session, actor: Actor, round_id: int) -> RoundDetail:
    """The round, its dossiers, its compiled lists, its history and its waiting steps."""
    round_ = get_round(session, actor, round_id)
    holder = session.scalar(select(RoundInstance).where(RoundInstance.round_id == round_.id))
    ready = load_round_process(session, holder).ready_human_tasks() if holder else []
    entries = list(
        session.scalars(
            select(RoundEntry)
            .where(RoundEntry.round_id == round_.id)
            .options(joinedload(RoundEntry.dossier).joinedload(Dossier.unit))
            .order_by(RoundEntry.id)
        )
    )
    lists: dict[str, list[RoundListItem]] = {}
    for item in session.scalars(
        select(RoundListItem)
        .where(RoundListItem.round_id == round_.id)
        .options(selectinload(RoundListItem.nominee), selectinload(RoundListItem.unit))
        .order_by(RoundListItem.award_form, RoundListItem.position)
    ):
        lists.setdefault(item.award_form, []).append(item)
    history = list(
        session.scalars(
            select(RoundEvent)
            .where(RoundEvent.round_id == round_.id)
            .options(joinedload(RoundEvent.actor))
            .order_by(RoundEvent.id)
        )
    )
    return RoundDetail(round_, holder, entries, lists, history, ready, {})


def round_of_dossier(session: Session, dossier_id: int) -> Round | None:
    """The round a dossier joined, if any (for the dossier page's line)."""
    return session.scalar(
        select(Round)
        .join(RoundEntry, RoundEntry.round_id == Round.id)
        .where(RoundEntry.dossier_id == dossier_id)
    )


def dossier_instance(session: Session, dossier_id: int) -> ProcessInstance | None:
    """The process instance of a dossier (tests and pages read its revision)."""
    return session.scalar(select(ProcessInstance).where(ProcessInstance.dossier_id == dossier_id))
