"""Whether every dossier's rows agree with its engine state: the check after a crash, an outage
or a load run.

A step completes in one transaction (engine state at revision + 1, work items, history event);
if any part of it were kept without the rest, one of these would show it:

- the open work items are exactly the engine's ready human tasks (same task ids);
- every done work item that somebody completed has exactly one "completed" event, and every
  "completed" event names a done work item of its dossier;
- the instance's revision counts at least one save per completed step after its start.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Dossier, Event, ProcessInstance, WorkItem
from webapp.services.errors import ConflictError
from webapp.services.instances import load_process


@dataclass(frozen=True)
class Inconsistency:
    """One dossier whose rows disagree, and how."""

    dossier_id: int
    code: str | None
    problem: str


def _instance_problems(
    session: Session, instance: ProcessInstance, items: list[WorkItem], events: list[Event]
) -> list[str]:
    problems: list[str] = []
    try:
        ready = {t.task_id for t in load_process(session, instance).ready_human_tasks()}
    except ConflictError as exc:
        return [f"engine state unreadable: {exc.message}"]
    open_tasks = {i.task_id for i in items if i.status == "open"}
    if open_tasks != ready:
        problems.append(
            f"open work items {sorted(open_tasks - ready)} are not ready in the engine; "
            f"ready tasks {sorted(ready - open_tasks)} have no open work item"
        )
    done_ready = sorted(i.task_id for i in items if i.status == "done" and i.task_id in ready)
    if done_ready:
        problems.append(f"done work items whose task is still ready: {done_ready}")
    completions = Counter(e.work_item_id for e in events if e.action == "completed")
    by_id = {i.id: i for i in items}
    for item in items:
        done_by_someone = item.status == "done" and item.completed_by_id is not None
        if done_by_someone and completions[item.id] != 1:
            problems.append(
                f"work item {item.id} ({item.step}) is done with "
                f"{completions[item.id]} completion event(s)"
            )
    for item_id in completions:
        if item_id is None or item_id not in by_id or by_id[item_id].status != "done":
            problems.append(f"completion event for work item {item_id}, which is not done")
    completed_steps = sum(1 for i in items if i.status == "done" and i.completed_by_id is not None)
    if instance.revision < 1 + completed_steps:
        problems.append(
            f"revision {instance.revision} is below one save per completed step "
            f"({completed_steps} completed)"
        )
    return problems


def find_inconsistent_dossiers(session: Session) -> list[Inconsistency]:
    """Every dossier whose open work items, history or revision disagree with its engine state
    (an empty list when all agree). Reads one dossier at a time and lets go of its rows after
    (the session's objects are expunged): give it a session of its own."""
    found: list[Inconsistency] = []
    pairs = session.execute(
        select(Dossier.id, Dossier.code, ProcessInstance.id)
        .join(ProcessInstance, ProcessInstance.dossier_id == Dossier.id)
        .order_by(Dossier.id)
    ).all()
    for dossier_id, code, instance_id in pairs:
        instance = session.get_one(ProcessInstance, instance_id)
        items = list(session.scalars(select(WorkItem).where(WorkItem.instance_id == instance_id)))
        events = list(session.scalars(select(Event).where(Event.dossier_id == dossier_id)))
        for problem in _instance_problems(session, instance, items, events):
            found.append(Inconsistency(dossier_id, code, problem))
        session.expunge_all()
    return found
