"""Keep the work_item rows in step with the engine's ready human tasks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Dossier, ProcessInstance, User, WorkItem
from webapp.services.calendar import WorkingCalendar, load_calendar
from webapp.services.dossier_effects import RETURN_DECISIONS
from webapp.services.notifications.events import notify_new_items
from workflows import HumanTask


def _assignee_ids(session: Session, tasks: list[HumanTask]) -> dict[str, int]:
    names = {t.assignee for t in tasks if t.assignee}
    if not names:
        return {}
    rows = session.execute(select(User.username, User.id).where(User.username.in_(names)))
    return dict(rows.all())


# How far back a step's returns are followed (a dossier returned more often is an oddity).
MAX_RETURNS_FOLLOWED = 50


def step_due_at(
    session: Session,
    calendar: WorkingCalendar,
    instance: ProcessInstance,
    task: HumanTask,
    now: datetime,
) -> datetime | None:
    """When a step opened now is due: its time limit in working days, counted from when the
    step first had the dossier, plus the working days the dossier spent away after the step
    returned it (the clock pauses while the unit supplements the dossier, then resumes).

    Each earlier item of the same step that ended by returning the dossier, going back without
    a gap, is one pause: from its completion to the next item's opening. A step that last
    ended otherwise (approved, then the dossier came back from a later step) starts afresh.
    """
    if not task.time_limit_days:
        return None
    earlier = session.execute(
        select(WorkItem.created_at, WorkItem.completed_at, WorkItem.decision)
        .where(
            WorkItem.instance_id == instance.id,
            WorkItem.step == task.element_id,
            WorkItem.status == "done",
        )
        .order_by(WorkItem.created_at.desc(), WorkItem.id.desc())
        .limit(MAX_RETURNS_FOLLOWED)
    ).all()
    started, paused = now, 0
    for created_at, completed_at, decision in earlier:
        if decision not in RETURN_DECISIONS or completed_at is None:
            break
        paused += calendar.working_days(
            calendar.local_date(completed_at), calendar.local_date(started)
        )
        started = created_at
    return calendar.working_days_after(started, task.time_limit_days + paused)


def sync_work_items(
    session: Session,
    dossier: Dossier,
    instance: ProcessInstance,
    ready: list[HumanTask],
    now: datetime,
    *,
    quiet_for: int | None = None,
) -> list[WorkItem]:
    """Open a row for each new ready task and cancel rows whose task is gone; return new rows.
    Those who may take the new steps are notified in this transaction, except `quiet_for`."""
    calendar = load_calendar(session)
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
    # The tasks of one step (a council's ballots) are due together: read the step's past once,
    # and the new rows go to the database in one statement.
    due_by_step: dict[tuple[str, int | None], datetime | None] = {}
    created = []
    for task in ready:
        if task.task_id in open_items:
            continue
        step_key = (task.element_id, task.time_limit_days)
        if step_key not in due_by_step:
            due_by_step[step_key] = step_due_at(session, calendar, instance, task, now)
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
            due_at=due_by_step[step_key],
        )
        session.add(item)
        created.append(item)
    notify_new_items(session, dossier, created, now, exclude_user_id=quiet_for)
    return created
