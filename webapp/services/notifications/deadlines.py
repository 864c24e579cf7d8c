"""Reminders before a step's due date, overdue notices after it, and the Office's daily summary
of what is late and with whom. The periodic jobs call these; each notice goes out once, even
with several workers (a once-only key inserted with ON CONFLICT DO NOTHING)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, exists, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from webapp.models import (
    Dossier,
    NotificationOnce,
    OrgUnit,
    Role,
    RoleAssignment,
    User,
    WorkItem,
)
from webapp.services.calendar import load_calendar
from webapp.services.notifications.events import dossier_params, item_link
from webapp.services.notifications.fanout import holders_of, item_takers, notify, queue_mail
from webapp.services.notifications.wording import (
    GREETING,
    OPEN_LINK,
    SENTENCES,
    SIGNATURE,
    SUBJECTS,
    SUMMARY_LINE,
    in_mail_language,
    local_day,
)
from webapp.services.settings import settings_of

REMINDER_WORKING_DAYS = 2
# Items told per pass (each is a few statements); the next pass takes the rest.
BATCH = 200
# Two working days can span a long holiday (Tết): candidates are read this far ahead.
REMINDER_HORIZON = timedelta(days=21)
OFFICE_ROLE = "office"
# An overdue step is escalated once, a level above who may take it: a unit's step (its officer's)
# to the unit head of the dossier's unit; the unit head's own, the Office's and the council's
# steps to the Director.
UNIT_HEAD_ROLE = "unit_head"
DIRECTOR_ROLE = "director"
UNIT_STEP_ROLES = frozenset({"unit_officer"})
OVERDUE_LINK = "/dossiers?overdue=yes"


def claim_once(session: Session, keys: list[str], now: datetime) -> set[str]:
    """The keys not claimed before, now claimed (in the caller's transaction)."""
    if not keys:
        return set()
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(NotificationOnce)
        .values([{"key": key, "at": now} for key in keys])
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(NotificationOnce.key)
    )
    return set(session.scalars(statement))


def _not_yet(prefix: str) -> Any:
    key = literal(prefix, String).concat(cast(WorkItem.id, String))
    return ~exists().where(NotificationOnce.key == key)


def _notify_items(
    session: Session, kind: str, items: list[WorkItem], now: datetime
) -> list[WorkItem]:
    keys = {f"{kind}:{item.id}": item for item in items}
    claimed = claim_once(session, list(keys), now)
    zone = settings_of(session).time_zone
    told = []
    for key in sorted(claimed):
        item = keys[key]
        recipients = item_takers(session, item)
        if recipients is None or item.due_at is None:
            continue
        dossier = session.get_one(Dossier, item.dossier_id)
        notify(
            session,
            recipients,
            kind,
            {**dossier_params(dossier), "step": item.title, "due": local_day(item.due_at, zone)},
            item_link(item),
            now,
            dossier_id=dossier.id,
            work_item_id=item.id,
        )
        told.append(item)
    return told


def notify_overdue(session: Session, now: datetime) -> int:
    """Tell those who may take each open step past its due date, once per step."""
    items = list(
        session.scalars(
            select(WorkItem)
            .where(WorkItem.status == "open", WorkItem.due_at < now, _not_yet("overdue:"))
            .order_by(WorkItem.id)
            .limit(BATCH)
        )
    )
    return len(_notify_items(session, "overdue", items, now))


def notify_reminders(session: Session, now: datetime) -> int:
    """Tell those who may take each open step due within two working days, once per step."""
    calendar = load_calendar(session)
    last_day = calendar.add_working_days(calendar.local_date(now), REMINDER_WORKING_DAYS)
    candidates = session.scalars(
        select(WorkItem)
        .where(
            WorkItem.status == "open",
            WorkItem.due_at >= now,
            WorkItem.due_at <= now + REMINDER_HORIZON,
            _not_yet("reminder:"),
        )
        .order_by(WorkItem.due_at, WorkItem.id)
        .limit(BATCH)
    )
    due_soon = [
        item
        for item in candidates
        if item.due_at is not None and calendar.local_date(item.due_at) <= last_day
    ]
    return len(_notify_items(session, "reminder", due_soon, now))


def _escalated_to(session: Session, item: WorkItem, dossier: Dossier) -> Any:
    """Who hears of the overdue step beyond its takers (those are told by the overdue notice)."""
    if item.role in UNIT_STEP_ROLES:
        above = holders_of(session, UNIT_HEAD_ROLE, dossier.unit_id)
    else:
        above = holders_of(session, DIRECTOR_ROLE, item.unit_id)
    takers = item_takers(session, item)
    if takers is None:
        return above
    told = takers.subquery()
    return above.where(RoleAssignment.user_id.not_in(select(told.c.user_id)))


def notify_escalations(session: Session, now: datetime) -> int:
    """Escalate each open step past its due date once: the unit head of the dossier's unit for
    a unit officer's step, the Director for the unit head's, the Office's and the council's."""
    items = list(
        session.scalars(
            select(WorkItem)
            .where(WorkItem.status == "open", WorkItem.due_at < now, _not_yet("escalation:"))
            .order_by(WorkItem.id)
            .limit(BATCH)
        )
    )
    keys = {f"escalation:{item.id}": item for item in items}
    claimed = claim_once(session, list(keys), now)
    zone = settings_of(session).time_zone
    for key in sorted(claimed):
        item = keys[key]
        if item.due_at is None:
            continue
        dossier = session.get_one(Dossier, item.dossier_id)
        notify(
            session,
            _escalated_to(session, item, dossier),
            "overdue_escalation",
            {**dossier_params(dossier), "step": item.title, "due": local_day(item.due_at, zone)},
            item_link(item),
            now,
            dossier_id=dossier.id,
            work_item_id=item.id,
        )
    return len(claimed)


@dataclass(frozen=True)
class LateStep:
    """One overdue step in the Office's summary."""

    code: str
    step: str
    due: str
    who: str
    unit_id: int


def _late_steps(session: Session, now: datetime) -> list[LateStep]:
    claimer, assignee = aliased(User), aliased(User)
    zone = settings_of(session).time_zone
    rows = session.execute(
        select(
            Dossier.id,
            Dossier.code,
            WorkItem.title,
            WorkItem.due_at,
            claimer.full_name,
            assignee.full_name,
            Role.name,
            OrgUnit.name,
            WorkItem.unit_id,
        )
        .join(Dossier, Dossier.id == WorkItem.dossier_id)
        .join(OrgUnit, OrgUnit.id == WorkItem.unit_id)
        .outerjoin(claimer, claimer.id == WorkItem.claimed_by_id)
        .outerjoin(assignee, assignee.id == WorkItem.assignee_id)
        .outerjoin(Role, Role.code == WorkItem.role)
        .where(WorkItem.status == "open", WorkItem.due_at < now)
        .order_by(WorkItem.due_at, WorkItem.id)
    )
    late = []
    for dossier_id, code, step, due, claimed, named, role, unit, unit_id in rows:
        if due is None:
            continue
        who = claimed or named or (f"{role} ({unit})" if role else unit)
        late.append(LateStep(code or f"#{dossier_id}", step, local_day(due, zone), who, unit_id))
    return late


def _below(session: Session) -> dict[int, set[int]]:
    """Each unit with every unit under it (itself included)."""
    rows = session.execute(select(OrgUnit.id, OrgUnit.parent_id)).all()
    parents: dict[int, int | None] = {row[0]: row[1] for row in rows}
    below: dict[int, set[int]] = defaultdict(set)
    for unit in parents:
        current: int | None = unit
        seen: set[int] = set()
        while current is not None and current not in seen:
            seen.add(current)
            below[current].add(unit)
            current = parents.get(current)
    return below


def _summary_mail(steps: list[LateStep], params: dict[str, Any], link: str) -> tuple[str, str]:
    lines = [in_mail_language(GREETING), ""]
    lines.append(in_mail_language(SENTENCES["overdue_summary"], params))
    lines.append("")
    for step in steps:
        shown = {"code": step.code, "step": step.step, "due": step.due, "who": step.who}
        lines.append("- " + in_mail_language(SUMMARY_LINE, shown))
    lines += ["", in_mail_language(OPEN_LINK, {"link": link}), "", "--"]
    lines.append(in_mail_language(SIGNATURE))
    return in_mail_language(SUBJECTS["overdue_summary"], params), "\n".join(lines)


def office_daily_summary(session: Session, now: datetime) -> int:
    """Once a day, each Office hears what is late in its reach and with whom (a notification and
    a mail listing the steps); returns how many Offices were told."""
    late = _late_steps(session, now)
    if not late:
        return 0
    settings = settings_of(session)
    day = local_day(now, settings.time_zone)
    below = _below(session)
    offices = session.scalars(
        select(RoleAssignment.unit_id).where(RoleAssignment.role == OFFICE_ROLE).distinct()
    ).all()
    told = 0
    for unit_id in sorted(offices):
        mine = [step for step in late if step.unit_id in below.get(unit_id, set())]
        if not mine or not claim_once(session, [f"office_summary:{day}:{unit_id}"], now):
            continue
        holders = (
            select(RoleAssignment.user_id.label("user_id"))
            .join(User, User.id == RoleAssignment.user_id)
            .where(
                and_(RoleAssignment.role == OFFICE_ROLE, RoleAssignment.unit_id == unit_id),
                User.active.is_(True),
            )
            .distinct()
        )
        params = {"count": len(mine), "day": day}
        notify(session, holders, "overdue_summary", params, OVERDUE_LINK, now, mail=False)
        if settings.mail_enabled:
            subject, body = _summary_mail(mine, params, settings.app_base_url + OVERDUE_LINK)
            queue_mail(
                session,
                select(holders.subquery().c.user_id),
                "overdue_summary",
                subject,
                body,
                now,
                modes=("immediate", "digest"),
            )
        told += 1
    return told
