"""What the application records when a message reaches a round or a dossier."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import (
    Dossier,
    ProcessInstance,
    Round,
    RoundEntry,
    RoundEvent,
    RoundInstance,
    RoundListItem,
)
from webapp.services.dossier_effects import apply_automated, apply_status
from webapp.services.history import record, record_automated
from webapp.services.history_chain import seal_round_event
from webapp.services.notifications.events import notify_decision, notify_if_decided
from webapp.services.work_item_sync import sync_work_items
from workflows import AutomatedStep, RunningProcess, ThrownMessage

PROPOSAL_MESSAGE = "proposal_ready"
RESULT_MESSAGE = "round_result"
DECISION_MESSAGE = "final_decision"
INTAKE_CLOSED_MESSAGE = "intake_closed"
_RESULTS = frozenset({"passed", "failed"})
# What a round's history keeps of a message (the Ministry's carry the Department round).
_EVENT_KEYS = frozenset(
    {"dossier_id", "round_id", "ministry_round_id", "department_round_id", "returned", "reason"}
)


def round_event(
    session: Session,
    round_: Round,
    action: str,
    *,
    actor_id: int | None = None,
    step: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime,
) -> RoundEvent:
    """Append one line to the round's history."""
    event = RoundEvent(
        round_id=round_.id, action=action, actor_id=actor_id, step=step, data=data, at=at
    )
    seal_round_event(session, event)
    session.add(event)
    return event


def sync_round_step(round_: Round, process: RunningProcess) -> None:
    """Where the round stands: its waiting step, and intake / closed / finished."""
    status = process.status()
    if status.completed:
        round_.status, round_.step, round_.step_title = "finished", None, None
        return
    ready = process.ready_human_tasks()
    waiting = {w.name for w in process.waiting_messages()}
    if INTAKE_CLOSED_MESSAGE in waiting:
        round_.status = "intake"
    elif round_.status == "intake":
        round_.status = "closed"
    if ready:
        round_.step, round_.step_title = ready[0].element_id, ready[0].name
    else:
        element = next(iter(process.waiting_messages()), None)
        info = process.definition.diagram.element(element.element_id) if element else None
        round_.step = element.element_id if element else None
        round_.step_title = (info.name if info else None) or round_.step


def round_received(
    session: Session,
    holder: RoundInstance,
    process: RunningProcess,
    message: ThrownMessage,
    element_id: str | None,
    now: datetime,
) -> None:
    """A proposal reached its round: the entry is received, the history says so."""
    round_ = session.get_one(Round, holder.round_id)
    payload = message.payload if isinstance(message.payload, dict) else {}
    if message.name == PROPOSAL_MESSAGE:
        entry = session.scalar(
            select(RoundEntry).where(
                RoundEntry.round_id == round_.id,
                RoundEntry.dossier_id == payload.get("dossier_id"),
            )
        )
        if entry is not None:
            entry.status = "received"
            entry.received_at = now
    round_event(
        session,
        round_,
        message.name,
        step=element_id,
        data={k: v for k, v in payload.items() if k in _EVENT_KEYS},
        at=now,
    )
    sync_round_step(round_, process)


def _submission(session: Session, round_id: int, award_form: str) -> dict[str, Any]:
    cache: dict[tuple[int, str], dict[str, Any]] = session.info.setdefault("round_submissions", {})
    if (round_id, award_form) not in cache:
        for event in session.scalars(
            select(RoundEvent).where(RoundEvent.round_id == round_id, RoundEvent.action == "signed")
        ):
            data = event.data or {}
            cache[(round_id, str(data.get("award_form")))] = data
    return cache.get((round_id, award_form), {})


def _round_results(session: Session, round_id: int) -> dict[int, dict[int, RoundListItem]]:
    """The concluded list items of a round by dossier, read once per request (a round sends
    every dossier its results in one transaction)."""
    cache: dict[int, dict[int, dict[int, RoundListItem]]] = session.info.setdefault(
        "round_results", {}
    )
    if round_id not in cache:
        by_dossier: dict[int, dict[int, RoundListItem]] = {}
        for item in session.scalars(
            select(RoundListItem).where(
                RoundListItem.round_id == round_id, RoundListItem.result.is_not(None)
            )
        ):
            by_dossier.setdefault(item.dossier_id, {})[item.nominee_id] = item
        cache[round_id] = by_dossier
    return cache[round_id]


def _apply_result(session: Session, dossier: Dossier, payload: dict[str, Any]) -> None:
    round_id = int(payload.get("round_id") or 0)
    items = _round_results(session, round_id).get(dossier.id, {})
    for nominee in dossier.nominees:
        item = items.get(nominee.id)
        if item is None or item.result not in _RESULTS:
            continue
        nominee.result = item.result
        nominee.council_agree = item.agree
        nominee.council_disagree = item.disagree
        nominee.council_members = item.members
    signed = _submission(session, round_id, dossier.award_form)
    if signed.get("submission_number"):
        dossier.submission_number = signed["submission_number"]
        when = signed.get("submission_date")
        dossier.submission_date = date.fromisoformat(when) if isinstance(when, str) else None


def _apply_decision(dossier: Dossier, payload: dict[str, Any]) -> None:
    awarded = {str(i) for i in payload.get("awarded") or []}
    when = payload.get("decision_date")
    for nominee in dossier.nominees:
        # "sent_up": the Ministry sent the nominee up; this is the central level's decision.
        if nominee.result in ("passed", "sent_up"):
            nominee.result = "awarded" if str(nominee.id) in awarded else "refused"
            if nominee.result == "awarded":
                nominee.decision_number = payload.get("decision_number")
                nominee.decision_date = date.fromisoformat(when) if isinstance(when, str) else None


def dossier_received(
    session: Session,
    dossier: Dossier,
    holder: ProcessInstance,
    process: RunningProcess,
    steps: list[AutomatedStep],
    message: ThrownMessage,
    element_id: str | None,
    now: datetime,
) -> None:
    """A result reached its dossier: nominees take their results, then the usual turn effects."""
    payload = message.payload if isinstance(message.payload, dict) else {}
    if message.name == RESULT_MESSAGE:
        _apply_result(session, dossier, payload)
    elif message.name == DECISION_MESSAGE:
        _apply_decision(dossier, payload)
    info = process.definition.diagram.element(element_id) if element_id else None
    summary = {k: v for k, v in payload.items() if k in {"round_id", "passed", "decision_number"}}
    record(
        session,
        dossier,
        "automated",
        step=element_id,
        step_title=(info.name if info else None) or message.name,
        data=summary or None,
        at=now,
    )
    record_automated(session, dossier, steps, now)
    apply_automated(dossier, steps)
    apply_status(dossier, None, process.status(), now)
    # The author hears of the decision: the dossier's outcome, or the round's results.
    if dossier.closed_at == now:
        notify_if_decided(session, dossier, now)
    elif message.name == RESULT_MESSAGE:
        notify_decision(session, dossier, "round_result", now)
    sync_work_items(session, dossier, holder, process.ready_human_tasks(), now)
