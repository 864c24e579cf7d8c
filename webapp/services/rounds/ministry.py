"""The Ministry's round: it collects the Departments' submissions of a movement.

A Department round whose Director signed throws `department_submission` to the Ministry round
open for its movement and waits for `ministry_result`. The Ministry officer appraises and may
return one Department's submission (the others go on); the Ministry council decides per nominee;
the Minister signs one decision (and one tờ trình upward for the Prime Minister's and the
President's awards); each Department round gets its result and sends it to its dossiers. Every
hop is a BPMN message delivered in the caller's transaction. Services flush, never commit.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.db import utcnow
from webapp.models import (
    Movement,
    Nominee,
    ProcessVersion,
    Round,
    RoundEntry,
    RoundEvent,
    RoundInstance,
    RoundListItem,
)
from webapp.permissions import Actor
from webapp.services.dossier_schema import AWARD_FORMS
from webapp.services.errors import (
    ConflictError,
    InvalidDataError,
    NotFoundError,
    PermissionDeniedError,
    ProcessFailedError,
)
from webapp.services.registers import issue_number
from webapp.services.rounds.arrivals import round_event, sync_round_step
from webapp.services.rounds.lifecycle import KINDS, get_round, may
from webapp.services.rounds.messaging import after_turn, send_to
from webapp.services.rounds.movements import OFFICE_ROLE, parse_date
from webapp.services.rounds.round_instances import (
    MINISTRY_PROCESS_KEY,
    load_round_process,
    save_round_process,
    start_round_process,
)
from workflows import ProcessRuntimeError, TaskNotReadyError

MINISTRY_ROLE = "ministry_officer"
MINISTER_ROLE = "minister"
SUBMISSION_MESSAGE = "department_submission"
RESULT_MESSAGE = "ministry_result"
RETURN_MESSAGE = "return_submission"
APPRAISAL_CLOSED_MESSAGE = "appraisal_closed"
COUNCIL_STEP = "ministry_council"
DECISION_STEP = "minister_decision"
FIX_STEP = "fix_submission"
# The Minister decides these; the others go up in a tờ trình (Prime Minister, President).
MINISTER_FORMS = frozenset({"bk_btc"})
DECISION_BODY = "BTC"
# A Ministry round's own statuses (never "intake": units do not join it, the scheduler skips it).
APPRAISAL, COUNCIL, DECISION = "appraisal", "council", "decision"


def is_ministry_round(session: Session, round_: Round) -> bool:
    """Whether the round runs the Ministry's process."""
    key = session.scalar(
        select(ProcessVersion.process_key)
        .join(RoundInstance, RoundInstance.version_id == ProcessVersion.id)
        .where(RoundInstance.round_id == round_.id)
    )
    return key == MINISTRY_PROCESS_KEY


def open_ministry_rounds(session: Session, movement_id: int) -> list[Round]:
    """The Ministry rounds of a movement that still take the Departments' submissions."""
    return list(
        session.scalars(
            select(Round)
            .join(RoundInstance, RoundInstance.round_id == Round.id)
            .join(ProcessVersion, ProcessVersion.id == RoundInstance.version_id)
            .where(
                Round.movement_id == movement_id,
                Round.status == APPRAISAL,
                ProcessVersion.process_key == MINISTRY_PROCESS_KEY,
            )
            .order_by(Round.id)
        )
    )


def submission_target(session: Session, round_: Round, chosen: Any) -> int | None:
    """The Ministry round a Department round submits to: the one open for its movement, or the
    one the Office chose when several are (`chosen`, a round id). None: no Ministry round is
    involved, the Ministry records its decision on the Department round directly."""
    rounds = open_ministry_rounds(session, round_.movement_id)
    if chosen not in (None, ""):
        with contextlib.suppress(TypeError, ValueError):
            picked = int(chosen)
            if any(r.id == picked for r in rounds):
                return picked
        raise InvalidDataError(
            "the submission is not valid",
            {"ministry_round_id": "is not a Ministry round open for this movement"},
        )
    if len(rounds) > 1:
        raise InvalidDataError(
            "the submission is not valid",
            {"ministry_round_id": "several Ministry rounds are open: choose one"},
        )
    return rounds[0].id if rounds else None


def _holder(session: Session, round_: Round) -> RoundInstance:
    holder = session.scalar(select(RoundInstance).where(RoundInstance.round_id == round_.id))
    if holder is None:
        raise NotFoundError(f"round {round_.id} has no process")
    return holder


def _ministry_round(session: Session, actor: Actor, round_id: int, role: str) -> Round:
    round_ = get_round(session, actor, round_id)
    if not is_ministry_round(session, round_):
        raise NotFoundError(f"round {round_id} is not a Ministry round")
    if not may(actor, role, round_.unit_id):
        raise PermissionDeniedError(f"only the {role.replace('_', ' ')} may do this")
    return round_


def _complete(session: Session, round_: Round, step: str, data: dict[str, Any]) -> None:
    holder = _holder(session, round_)
    process = load_round_process(session, holder)
    task = next((t for t in process.ready_human_tasks() if t.element_id == step), None)
    if task is None:
        raise ConflictError(f"the round is not waiting at {step}", code="not_waiting")
    now = utcnow()
    try:
        process.complete(task.task_id, data)
    except TaskNotReadyError as exc:
        raise ConflictError("this step has already been done", code="already_completed") from exc
    except ProcessRuntimeError as exc:
        raise ProcessFailedError(exc.element_id, str(exc)) from exc
    save_round_process(holder, process, now)
    sync_round_step(round_, process)
    after_turn(session, holder, process, now)


def open_ministry_round(session: Session, actor: Actor, payload: dict[str, Any]) -> Round:
    """The Ministry officer opens the Ministry's round of a movement, with the deadline for the
    Departments' submissions."""
    unit_id = next(iter(sorted(actor.grants.get(MINISTRY_ROLE, frozenset()))), None)
    if unit_id is None and actor.is_admin:
        unit_id = actor.unit_id
    if unit_id is None or not may(actor, MINISTRY_ROLE, unit_id):
        raise PermissionDeniedError("only the Ministry officer opens a Ministry round")
    errors: dict[str, str] = {}
    name = payload.get("name")
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 300:
        errors["name"] = "is required (at most 300 characters)"
    movement = None
    with contextlib.suppress(TypeError, ValueError):
        movement = session.get(Movement, int(payload.get("movement_id") or 0))
    if movement is None:
        errors["movement_id"] = "is not a known movement"
    kind = payload.get("kind") or "tong_ket"
    if kind not in KINDS:
        errors["kind"] = f"must be one of: {', '.join(KINDS)}"
    deadline = parse_date(payload, "intake_deadline", errors)
    if deadline is None and "intake_deadline" not in errors:
        errors["intake_deadline"] = "is required"
    if errors:
        raise InvalidDataError("the Ministry round is not valid", errors)
    assert movement is not None
    assert deadline is not None
    now = utcnow()
    round_ = Round(
        movement_id=movement.id,
        unit_id=unit_id,
        name=name,
        kind=kind,
        award_forms=list(AWARD_FORMS),
        intake_deadline=datetime(deadline.year, deadline.month, deadline.day, 23, 59, tzinfo=UTC),
        status=APPRAISAL,
        created_by_id=actor.user_id,
        created_at=now,
    )
    session.add(round_)
    session.flush()
    holder, process = start_round_process(
        session,
        round_,
        {"round_id": round_.id, "ministry_round_id": round_.id},
        now,
        MINISTRY_PROCESS_KEY,
    )
    round_event(session, round_, "opened", actor_id=actor.user_id, at=now)
    sync_round_step(round_, process)
    after_turn(session, holder, process, now)
    session.flush()
    return round_


@dataclass(frozen=True)
class Submission:
    """A Department's submission to a Ministry round: where it stands."""

    department_round: Round
    status: str  # received | returned
    at: datetime
    reason: str | None
    times: int  # how many times it was received (a resubmission counts again)


def submissions(session: Session, ministry_round: Round) -> list[Submission]:
    """The Departments' submissions to the Ministry round, in the order they first arrived."""
    state: dict[int, dict[str, Any]] = {}
    for event in session.scalars(
        select(RoundEvent)
        .where(
            RoundEvent.round_id == ministry_round.id,
            RoundEvent.action.in_((SUBMISSION_MESSAGE, "submission_returned")),
        )
        .order_by(RoundEvent.id)
    ):
        data = event.data or {}
        dept = data.get("department_round_id")
        if not isinstance(dept, int):
            continue
        line = state.setdefault(dept, {"times": 0})
        if event.action == SUBMISSION_MESSAGE:
            line.update(status="received", at=event.at, reason=None)
            line["times"] += 1
        else:
            line.update(status="returned", at=event.at, reason=data.get("reason"))
    rounds = {
        r.id: r
        for r in session.scalars(
            select(Round).where(Round.id.in_(state or {-1})).options(selectinload(Round.unit))
        )
    }
    return [
        Submission(rounds[dept], line["status"], line["at"], line.get("reason"), line["times"])
        for dept, line in state.items()
        if dept in rounds
    ]


def return_submission(
    session: Session, actor: Actor, round_id: int, department_round_id: int, reason: Any
) -> Submission:
    """The Ministry officer returns one Department's submission to be supplemented; the other
    Departments' submissions stay in appraisal."""
    round_ = _ministry_round(session, actor, round_id, MINISTRY_ROLE)
    if round_.status != APPRAISAL:
        raise ConflictError("the appraisal is over", code="appraisal_closed")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 4000:
        raise InvalidDataError(
            "the return is not valid", {"reason": "is required (at most 4000 characters)"}
        )
    line = next(
        (s for s in submissions(session, round_) if s.department_round.id == department_round_id),
        None,
    )
    if line is None or line.status != "received":
        raise ConflictError(
            "this Department's submission is not waiting for appraisal", code="not_received"
        )
    now = utcnow()
    payload = {
        "ministry_round_id": round_.id,
        "department_round_id": department_round_id,
        "reason": reason.strip(),
    }
    send_to(session, "round", _holder(session, round_).id, RETURN_MESSAGE, payload, now)
    round_event(
        session,
        round_,
        "submission_returned",
        actor_id=actor.user_id,
        data={"department_round_id": department_round_id, "reason": reason.strip()},
        at=now,
    )
    session.flush()
    return Submission(line.department_round, "returned", now, reason.strip(), line.times)


def resubmit(session: Session, actor: Actor, department_round_id: int, note: Any) -> Round:
    """The Department's Office supplements a returned submission and sends it again to the same
    Ministry round (the Department round's `fix_submission` step)."""
    round_ = get_round(session, actor, department_round_id)
    if not may(actor, OFFICE_ROLE, round_.unit_id):
        raise PermissionDeniedError("only the Office supplements the submission")
    if not isinstance(note, str) or not note.strip() or len(note) > 4000:
        raise InvalidDataError(
            "the supplement is not valid", {"note": "is required (at most 4000 characters)"}
        )
    now = utcnow()
    round_event(
        session,
        round_,
        "resubmitted",
        actor_id=actor.user_id,
        step=FIX_STEP,
        data={"note": note.strip()},
        at=now,
    )
    _complete(session, round_, FIX_STEP, {"fix_note": note.strip()})
    session.flush()
    return round_


def close_appraisal(
    session: Session, actor: Actor, round_id: int
) -> dict[str, list[RoundListItem]]:
    """End the appraisal: one list per award form of the nominees every received submission
    carries (the Departments' councils passed them), by Department; handed to the council."""
    round_ = _ministry_round(session, actor, round_id, MINISTRY_ROLE)
    if round_.status != APPRAISAL:
        raise ConflictError("the appraisal is already over", code="appraisal_closed")
    lines = submissions(session, round_)
    returned = [s.department_round.unit.name for s in lines if s.status == "returned"]
    if returned:
        raise ConflictError(
            "a returned submission has not come back yet: " + ", ".join(returned),
            code="submission_returned",
        )
    if not lines:
        raise ConflictError("no Department has submitted yet", code="nothing_submitted")
    departments = [s.department_round for s in lines]
    order = {r.id: (r.unit.code, r.id) for r in departments}
    rows = list(
        session.scalars(
            select(RoundListItem).where(
                RoundListItem.round_id.in_(order), RoundListItem.result == "passed"
            )
        )
    )
    rows.sort(key=lambda i: (i.award_form, order[i.round_id], i.position))
    session.query(RoundListItem).filter(RoundListItem.round_id == round_.id).delete()
    lists: dict[str, list[RoundListItem]] = {}
    for row in rows:
        items = lists.setdefault(row.award_form, [])
        items.append(
            RoundListItem(
                round_id=round_.id,
                award_form=row.award_form,
                position=len(items) + 1,
                nominee_id=row.nominee_id,
                dossier_id=row.dossier_id,
                unit_id=row.unit_id,
            )
        )
    session.add_all([item for items in lists.values() for item in items])
    now = utcnow()
    holder = _holder(session, round_)
    send_to(
        session,
        "round",
        holder.id,
        APPRAISAL_CLOSED_MESSAGE,
        {"ministry_round_id": round_.id, "department_round_ids": sorted(order)},
        now,
    )
    round_.status, round_.intake_closed_at = COUNCIL, now
    round_event(
        session,
        round_,
        "appraised",
        actor_id=actor.user_id,
        data={form: len(items) for form, items in lists.items()},
        at=now,
    )
    session.flush()
    return lists


def record_council(session: Session, actor: Actor, round_id: int, results: dict[str, Any]) -> Round:
    """The Ministry council's decision per nominee ("passed", or "failed": dropped from the list),
    recorded by the Ministry officer as its secretariat.

    Seam: the council session and ballot machinery built for the Department's council produce
    the same per-nominee results ({nominee id: "passed" | "failed" | {"result", "agree",
    "disagree", "members"}}) and plug in here.
    """
    round_ = _ministry_round(session, actor, round_id, MINISTRY_ROLE)
    if round_.status != COUNCIL:
        raise ConflictError("the Ministry council is not sitting", code="not_waiting")
    items = list(session.scalars(select(RoundListItem).where(RoundListItem.round_id == round_.id)))
    errors: dict[str, str] = {}
    for item in items:
        given = results.get(str(item.nominee_id)) if isinstance(results, dict) else None
        entry = given if isinstance(given, dict) else {"result": given}
        tally = {k: entry.get(k) for k in ("agree", "disagree", "members")}
        if entry.get("result") not in ("passed", "failed"):
            errors[f"results.{item.nominee_id}"] = "must be passed or failed"
        elif any(v is not None and (not isinstance(v, int) or v < 0) for v in tally.values()):
            errors[f"results.{item.nominee_id}"] = "counts must be whole numbers"
        else:
            item.result = entry["result"]
            item.agree, item.disagree, item.members = (
                tally["agree"],
                tally["disagree"],
                tally["members"],
            )
    if errors:
        raise InvalidDataError("the council's decision is incomplete", errors)
    passed = sum(1 for item in items if item.result == "passed")
    now = utcnow()
    round_event(
        session,
        round_,
        "council_decided",
        actor_id=actor.user_id,
        step=COUNCIL_STEP,
        data={"passed": passed, "dropped": len(items) - passed},
        at=now,
    )
    _complete(session, round_, COUNCIL_STEP, {"passed_count": passed})
    round_.status = DECISION
    session.flush()
    return round_


@dataclass(frozen=True)
class MinisterDecision:
    """What the Minister signed: the decision's number and the tờ trình upward's, if any."""

    decision_number: str | None
    upward_number: str | None
    awarded: int
    sent_up: int


def record_minister_decision(
    session: Session, actor: Actor, round_id: int, payload: dict[str, Any]
) -> MinisterDecision:
    """The Minister signs one decision listing every nominee the Ministry council passed for a
    Minister's award, under one number of the register (QĐ-BTC), and one tờ trình upward (TTr-BTC)
    for the Prime Minister's and the President's awards; each Department round gets its result
    and sends it on to its dossiers, in this transaction."""
    round_ = _ministry_round(session, actor, round_id, MINISTER_ROLE)
    if round_.status != DECISION:
        raise ConflictError("the Ministry council has not decided yet", code="not_waiting")
    errors: dict[str, str] = {}
    when = parse_date(payload, "decision_date", errors)
    if when is None and "decision_date" not in errors:
        errors["decision_date"] = "is required"
    if errors:
        raise InvalidDataError("the decision is not valid", errors)
    assert isinstance(when, date)
    items = list(session.scalars(select(RoundListItem).where(RoundListItem.round_id == round_.id)))
    passed = [i for i in items if i.result == "passed"]
    awarded = [i.nominee_id for i in passed if i.award_form in MINISTER_FORMS]
    up = [i for i in passed if i.award_form not in MINISTER_FORMS]
    decision = upward = None
    if awarded:
        decision = issue_number(
            session,
            actor,
            "QĐ",
            DECISION_BODY,
            when.year,
            subject_kind="round",
            subject_id=round_.id,
            purpose="Quyết định khen thưởng của đợt xét " + round_.name,
        ).text
    if up:
        upward = issue_number(
            session,
            actor,
            "TTr",
            DECISION_BODY,
            when.year,
            subject_kind="round",
            subject_id=round_.id,
            purpose="Tờ trình đề nghị khen thưởng cấp trên của đợt xét " + round_.name,
        ).text
    for item in up:
        item.result = "sent_up"
    department_of = _department_of(session, [i.dossier_id for i in items])
    sent_up_dossiers = _mark_sent_up(session, up, items)
    dossiers_of: dict[str, list[int]] = {}
    for item in items:
        if item.dossier_id in sent_up_dossiers:
            continue  # it waits for the Prime Minister's or the President's decision
        dossiers = dossiers_of.setdefault(str(department_of[item.dossier_id]), [])
        if item.dossier_id not in dossiers:
            dossiers.append(item.dossier_id)
    departments = sorted(s.department_round.id for s in submissions(session, round_))
    now = utcnow()
    round_event(
        session,
        round_,
        "minister_decided",
        actor_id=actor.user_id,
        step=DECISION_STEP,
        data={
            "decision_number": decision,
            "upward_number": upward,
            "decision_date": when.isoformat(),
            "awarded": len(awarded),
            "sent_up": len(up),
        },
        at=now,
    )
    _complete(
        session,
        round_,
        DECISION_STEP,
        {
            "decision_number": decision,
            "upward_number": upward,
            "decision_date": when.isoformat(),
            "awarded": awarded,
            "sent_up": [i.nominee_id for i in up],
            "department_round_ids": departments,
            "dossiers_of": dossiers_of,
        },
    )
    session.flush()
    return MinisterDecision(decision, upward, len(awarded), len(up))


def _department_of(session: Session, dossier_ids: list[int]) -> dict[int, int]:
    return dict(
        session.execute(
            select(RoundEntry.dossier_id, RoundEntry.round_id).where(
                RoundEntry.dossier_id.in_(set(dossier_ids) or {-1})
            )
        ).all()
    )


def _mark_sent_up(
    session: Session, up: list[RoundListItem], items: list[RoundListItem]
) -> set[int]:
    """Nominees in a tờ trình upward are marked sent up on their dossier, whose process keeps
    waiting for the central decision (the Ministry records it on the Department round); the
    nominees of that dossier the Ministry council dropped are not awarded."""
    dossier_ids = {i.dossier_id for i in up}
    results = {i.nominee_id: i.result for i in items if i.dossier_id in dossier_ids}
    for nominee in session.scalars(select(Nominee).where(Nominee.dossier_id.in_(dossier_ids))):
        if results.get(nominee.id) == "sent_up":
            nominee.result = "sent_up"
        elif results.get(nominee.id) == "failed":
            nominee.result = "refused"
    return dossier_ids


def ministry_of(session: Session, department_round: Round) -> Round | None:
    """The Ministry round a Department round submitted to, if any (its signatures name it)."""
    for line in session.scalars(
        select(RoundEvent)
        .where(RoundEvent.round_id == department_round.id, RoundEvent.action == "signed")
        .order_by(RoundEvent.id.desc())
    ):
        target = (line.data or {}).get("ministry_round_id")
        if isinstance(target, int):
            return session.get(Round, target)
    return None
