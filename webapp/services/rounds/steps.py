"""The round's steps: close intake, compile the lists, the council's conclusion, the signatures.

Each hands its step to the round's own process (award_round) and lets `messaging.after_turn`
deliver what the turn threw. Services flush, never commit: the view commits once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.models import Dossier, Nominee, OrgUnit, Round, RoundEntry, RoundInstance, RoundListItem
from webapp.permissions import Actor
from webapp.services.documents import step_papers
from webapp.services.errors import (
    ConflictError,
    InvalidDataError,
    NotFoundError,
    PermissionDeniedError,
    ProcessFailedError,
)
from webapp.services.rounds.arrivals import INTAKE_CLOSED_MESSAGE, round_event, sync_round_step
from webapp.services.rounds.lifecycle import get_round, may
from webapp.services.rounds.messaging import after_turn
from webapp.services.rounds.ministry import submission_target
from webapp.services.rounds.movements import OFFICE_ROLE, parse_date
from webapp.services.rounds.round_council import (
    VOTE_STEP,
    conclude_session,
    council_context,
    counted_tally,
)
from webapp.services.rounds.round_instances import load_round_process, save_round_process
from workflows import HumanTask, ProcessRuntimeError, TaskNotReadyError, ThrownMessage

CHAIR_ROLE = "council_chair"
DIRECTOR_ROLE = "director"
RESULTS = ("passed", "failed")
# The steps of the shipped round diagram these use cases complete (an edited diagram keeps them).
COMPILE_STEP = "compile_lists"
COUNCIL_STEP = "council_session"
SIGN_STEP = "sign_submissions"


def _load(session: Session, round_: Round) -> tuple[RoundInstance, Any]:
    holder = session.scalar(select(RoundInstance).where(RoundInstance.round_id == round_.id))
    if holder is None:
        raise NotFoundError(f"round {round_.id} has no process")
    return holder, load_round_process(session, holder)


def close_intake(session: Session, actor: Actor, round_id: int) -> Round:
    """The Office ends intake (at the deadline or earlier); dossiers not yet accepted are late."""
    round_ = get_round(session, actor, round_id)
    if not may(actor, OFFICE_ROLE, round_.unit_id):
        raise PermissionDeniedError("only the Office closes intake")
    return _close(session, round_, actor.user_id, utcnow())


def close_due_intakes(session: Session, now: datetime | None = None) -> list[int]:
    """Close the intake of every round whose deadline has passed (the scheduler's job)."""
    now = now or utcnow()
    due = session.scalars(
        select(Round).where(Round.status == "intake", Round.intake_deadline < now)
    ).all()
    return [_close(session, r, None, now).id for r in due]


def _close(session: Session, round_: Round, actor_id: int | None, now: datetime) -> Round:
    holder, process = _load(session, round_)
    waiting = [w for w in process.waiting_messages() if w.name == INTAKE_CLOSED_MESSAGE]
    if not waiting:
        raise ConflictError("the round's intake is already closed", code="intake_closed")
    message = ThrownMessage(INTAKE_CLOSED_MESSAGE, {"round_id": round_.id}, waiting[0].correlations)
    try:
        process.receive(message)
    except ProcessRuntimeError as exc:
        raise ProcessFailedError(exc.element_id, str(exc)) from exc
    save_round_process(holder, process, now)
    round_.intake_closed_at = now
    late = session.scalars(
        select(RoundEntry).where(RoundEntry.round_id == round_.id, RoundEntry.status == "joined")
    ).all()
    for entry in late:
        entry.status = "late"
        entry.reason = "intake_closed"
    round_event(
        session,
        round_,
        "intake_closed",
        actor_id=actor_id,
        data={"late": [e.dossier_id for e in late]},
        at=now,
    )
    sync_round_step(round_, process)
    after_turn(session, holder, process, now)
    session.flush()
    return round_


def _complete_step(
    session: Session,
    round_: Round,
    step: str,
    data: dict[str, Any],
    now: datetime,
    assignee: str | None = None,
) -> None:
    holder, process = _load(session, round_)
    task = _ready(process.ready_human_tasks(), step, assignee)
    try:
        process.complete(task.task_id, data)
    except TaskNotReadyError as exc:
        raise ConflictError("this step has already been done", code="already_completed") from exc
    except ProcessRuntimeError as exc:
        raise ProcessFailedError(exc.element_id, str(exc)) from exc
    save_round_process(holder, process, now)
    sync_round_step(round_, process)
    after_turn(session, holder, process, now)


def _ready(tasks: list[HumanTask], step: str, assignee: str | None) -> HumanTask:
    for task in tasks:
        if task.element_id == step and (assignee is None or task.assignee == assignee):
            return task
    raise ConflictError(f"the round is not waiting at {step}", code="not_waiting")


def compile_lists(session: Session, actor: Actor, round_id: int) -> dict[str, list[RoundListItem]]:
    """One list per award form: nominees of every received dossier, by unit then dossier, each
    with its unit. Kept in round_list_item and handed to the council."""
    round_ = get_round(session, actor, round_id)
    if not may(actor, OFFICE_ROLE, round_.unit_id):
        raise PermissionDeniedError("only the Office compiles the lists")
    now = utcnow()
    rows = session.execute(
        select(Nominee.id, Nominee.dossier_id, Dossier.award_form, Dossier.unit_id)
        .join(Dossier, Dossier.id == Nominee.dossier_id)
        .join(RoundEntry, RoundEntry.dossier_id == Dossier.id)
        .join(OrgUnit, OrgUnit.id == Dossier.unit_id)
        .where(
            RoundEntry.round_id == round_.id,
            RoundEntry.status == "received",
            Nominee.result == "pending",
        )
        .order_by(Dossier.award_form, OrgUnit.code, Dossier.id, Nominee.position, Nominee.id)
    ).all()
    session.query(RoundListItem).filter(RoundListItem.round_id == round_.id).delete()
    lists: dict[str, list[RoundListItem]] = {}
    for row in rows:
        items = lists.setdefault(row.award_form, [])
        item = RoundListItem(
            round_id=round_.id,
            award_form=row.award_form,
            position=len(items) + 1,
            nominee_id=row.id,
            dossier_id=row.dossier_id,
            unit_id=row.unit_id,
        )
        items.append(item)
    session.add_all([item for items in lists.values() for item in items])
    dossier_ids = sorted({row.dossier_id for row in rows})
    round_event(
        session,
        round_,
        "compiled",
        actor_id=actor.user_id,
        step=COMPILE_STEP,
        data={form: len(items) for form, items in lists.items()},
        at=now,
    )
    # The council's vote: its members, each form's rules and list (nominee ids).
    council = council_context(
        session, round_, {form: [str(i.nominee_id) for i in items] for form, items in lists.items()}
    )
    _complete_step(
        session,
        round_,
        COMPILE_STEP,
        {"dossier_ids": dossier_ids, "award_forms": sorted(lists), **council},
        now,
    )
    session.flush()
    return lists


def record_conclusion(
    session: Session,
    actor: Actor,
    round_id: int,
    results: dict[str, Any] | None = None,
    comment: Any = None,
) -> Round:
    """The chair concludes the council's session for every nominee of the lists.

    Once the council has voted, each nominee's result and counts are the tally's; `results`
    (nominee id -> "passed" | "failed"), when given, must say the same. A round whose diagram
    has no vote takes `results` as the conclusion, each -> a result or {"result", "agree",
    "disagree", "members"}.
    """
    round_ = get_round(session, actor, round_id)
    if not may(actor, CHAIR_ROLE, round_.unit_id):
        raise PermissionDeniedError("only the council's chair records its conclusion")
    items = list(session.scalars(select(RoundListItem).where(RoundListItem.round_id == round_.id)))
    if round_.step == VOTE_STEP:
        raise ConflictError("the council has not finished voting", code="not_waiting")
    counted = counted_tally(session, round_.id)
    if counted is not None:
        results = _results_of_tally(items, counted, results or {})
    results = results or {}
    errors: dict[str, str] = {}
    passed: dict[str, int] = {}
    forms: set[str] = set()
    for item in items:
        given = results.get(str(item.nominee_id)) if isinstance(results, dict) else None
        entry = given if isinstance(given, dict) else {"result": given}
        if entry.get("result") not in RESULTS:
            errors[f"results.{item.nominee_id}"] = "must be passed or failed"
            continue
        tally = {k: entry.get(k) for k in ("agree", "disagree", "members")}
        if any(v is not None and (not isinstance(v, int) or v < 0) for v in tally.values()):
            errors[f"results.{item.nominee_id}"] = "counts must be whole numbers"
            continue
        item.result = entry["result"]
        item.agree, item.disagree, item.members = (
            tally["agree"],
            tally["disagree"],
            tally["members"],
        )
        if item.result == "passed":
            passed[str(item.dossier_id)] = passed.get(str(item.dossier_id), 0) + 1
            forms.add(item.award_form)
    if errors:
        raise InvalidDataError("the conclusion is incomplete", errors)
    now = utcnow()
    conclude_session(session, actor, round_.id, comment, now)
    round_event(
        session,
        round_,
        "concluded",
        actor_id=actor.user_id,
        step=COUNCIL_STEP,
        data={"passed": sum(passed.values()), "nominees": len(items)},
        at=now,
    )
    _complete_step(
        session,
        round_,
        COUNCIL_STEP,
        # The engine carries counts only; each nominee's result stays in round_list_item and
        # reaches its dossier when the round sends the results.
        {"passed": passed, "award_forms": sorted(forms)},
        now,
    )
    # The minutes and the notices of non-award are kept with the round (never over a signed one).
    step_papers.keep_conclusion_papers(session, actor, round_)
    session.flush()
    return round_


def _results_of_tally(
    items: list[RoundListItem], tally: dict[str, Any], given: dict[str, Any]
) -> dict[str, Any]:
    """The conclusion the council's tally gives; a result the chair states must match it."""
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for item in items:
        key = str(item.nominee_id)
        counted = tally.get(key) or {}
        result = "passed" if counted.get("passed") else "failed"
        stated = given.get(key) if isinstance(given, dict) else None
        stated = stated.get("result") if isinstance(stated, dict) else stated
        if stated is not None and stated != result:
            errors[f"results.{key}"] = f"the vote count says {result}"
        out[key] = {
            "result": result,
            "agree": counted.get("agree"),
            "disagree": counted.get("disagree"),
            "members": counted.get("members"),
        }
    if errors:
        raise InvalidDataError("the conclusion differs from the vote count", errors)
    return out


def sign_submission(
    session: Session, actor: Actor, round_id: int, award_form: str, payload: dict[str, Any]
) -> Round:
    """The Director signs the round's tờ trình for one award form; after the last one the round
    sends every dossier its results (in this same transaction)."""
    round_ = get_round(session, actor, round_id)
    if not may(actor, DIRECTOR_ROLE, round_.unit_id):
        raise PermissionDeniedError("only the Director signs the submission")
    errors: dict[str, str] = {}
    number = payload.get("submission_number")
    if not isinstance(number, str) or not number.strip() or len(number) > 50:
        errors["submission_number"] = "is required (at most 50 characters)"
    when = parse_date(payload, "submission_date", errors)
    if when is None and "submission_date" not in errors:
        errors["submission_date"] = "is required"
    if errors:
        raise InvalidDataError("the submission is not valid", errors)
    assert isinstance(number, str)
    assert isinstance(when, date)
    # The Ministry round it goes to (None: the Ministry records its decision here directly).
    target = submission_target(session, round_, payload.get("ministry_round_id"))
    now = utcnow()
    data: dict[str, Any] = {
        "award_form": award_form,
        "submission_number": number.strip(),
        "submission_date": when.isoformat(),
    }
    if target is not None:
        data["ministry_round_id"] = target
    round_event(
        session, round_, "signed", actor_id=actor.user_id, step=SIGN_STEP, data=data, at=now
    )
    engine_data = {**data, "ministry_round_id": target, "department_round_id": round_.id}
    _complete_step(session, round_, SIGN_STEP, engine_data, now, assignee=award_form)
    # The tờ trình as signed (number and date) is kept with the round, unless its signed copy is.
    step_papers.keep_round_step_paper(session, actor, round_.id, "submission", award_form)
    session.flush()
    return round_
