"""Keep the work_item rows in step with the engine's ready human tasks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Dossier, ProcessInstance, User, WorkItem
from webapp.services.calendar import due_at
from webapp.services.settings import settings_of
from workflows import HumanTask


def _assignee_ids(session: Session, tasks: list[HumanTask]) -> dict[str, int]:
    names = {t.assignee for t in tasks if t.assignee}
    if not names:
        return {}
    rows = session.execute(select(User.username, User.id).where(User.username.in_(names)))
    return dict(rows.all())


def sync_work_items(
    session: Session,
    dossier: Dossier,
    instance: ProcessInstance,
    ready: list[HumanTask],
    now: datetime,
) -> list[WorkItem]:
    """Open a row for each new ready task and cancel rows whose task is gone; return new rows."""
    settings = settings_of(session)
    open_items = {
        item.task_id: item
        for item in session.scalars(
            select(WorkItem).where(WorkItem.instance_id == instance.id, WorkItem.status == "open")
        )
    }
    ready_by_id = {task.task_id: task for task in ready}
    for task_id, item in open_items.items():
        task = ready_by_id.get(task_id)
        if task is None:
            item.status = "cancelled"
            item.completed_at = now
        elif item.version_id != instance.version_id:
            # The dossier moved to another version: the step keeps its place, with the new
            # version's name, lane, role and form.
            item.version_id = instance.version_id
            item.step, item.title, item.lane = task.element_id, task.name, task.lane
            item.role, item.form = task.role, task.form
    assignees = _assignee_ids(session, ready)
    created = []
    for task in ready:
        if task.task_id in open_items:
            continue
        item = WorkItem(
            dossier_id=dossier.id,
            instance_id=instance.id,
            version_id=instance.version_id,
            task_id=task.task_id,
            step=task.element_id,
            title=task.name,
            lane=task.lane,
            role=task.role,
            form=task.form,
            unit_id=dossier.unit_id,
            assignee_id=assignees.get(task.assignee) if task.assignee else None,
            status="open",
            created_at=now,
            due_at=due_at(now, task.time_limit_days, settings.holidays, settings.time_zone),
        )
        session.add(item)
        created.append(item)
    return created
