"""The process map's summary: the recent completed visits of every step, rebuilt by a periodic
job of the job queue (and by `flask refresh-process-map`), so that the map's median times read
a small table instead of the history of work items.

A visit is the work items one dossier got at a step at the same moment: one item for most
steps, one per member for a council vote, which lasts until the last ballot is cast. The
rebuild reads the newest SUMMARY_ITEMS completed work items (by completion time, through an
index: the read stays the same size however long the history grows), groups them into visits
and replaces the process_map_visit rows with them, each with the columns the map filters and
scopes by (the dossier's unit, movement and award form). The map then takes, per step, the
newest visits the actor may see under the filters: a few hundred rows at most.

The waiting and overdue counts are not here: they are read live from an index of open work
items, so a step the user has just completed shows at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from webapp.models import Dossier, ProcessMapRefresh, ProcessMapVisit, ProcessVersion, WorkItem

# How many completed work items a rebuild reads: the newest, whatever their step or unit. At a
# Department's pace this is months of work, enough for a few hundred visits of every step.
SUMMARY_ITEMS = 20_000
# How often the job queue rebuilds it: the medians describe weeks of work, minutes are fresh.
REFRESH_EVERY = timedelta(minutes=5)
# Serialises rebuilds on PostgreSQL (the job and the command at the same moment would otherwise
# each delete the rows the other had not yet committed and insert theirs: twice the visits).
_LOCK_KEY = 0x70726F63  # "proc"


@dataclass(frozen=True)
class Freshness:
    """When a process's summary was rebuilt, from how many visits, completed since when, and
    the rebuild's generation (None before the first rebuild that gave one)."""

    refreshed_at: datetime | None
    visits: int = 0
    since: datetime | None = None
    generation: str | None = None


NEVER = Freshness(None)


@dataclass
class _Visit:
    unit_id: int
    movement_id: int | None
    award_form: str | None
    started_at: datetime
    ended_at: datetime
    last_item_id: int


def _recent_items(session: Session, items: int) -> Any:
    """The newest `items` completed work items with their process and their dossier's
    movement and award form."""
    window = (
        select(WorkItem.id)
        .where(WorkItem.status == "done", WorkItem.completed_at.is_not(None))
        .order_by(WorkItem.completed_at.desc())
        .limit(items)
        .subquery()
    )
    return session.execute(
        select(
            ProcessVersion.process_key,
            WorkItem.step,
            WorkItem.dossier_id,
            WorkItem.unit_id,
            Dossier.movement_id,
            Dossier.award_form,
            WorkItem.created_at,
            WorkItem.completed_at,
            WorkItem.id,
        )
        .select_from(window)
        .join(WorkItem, WorkItem.id == window.c.id)
        .join(ProcessVersion, ProcessVersion.id == WorkItem.version_id)
        .join(Dossier, Dossier.id == WorkItem.dossier_id)
    )


def refresh(session: Session, now: datetime, *, items: int = SUMMARY_ITEMS) -> dict[str, int]:
    """Rebuild the summary from the newest `items` completed work items, stamped `now`;
    returns the number of visits per process. Running it again changes nothing but the stamp."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    visits: dict[tuple[str, str, int, datetime], _Visit] = {}
    for (
        key,
        step,
        dossier_id,
        unit_id,
        movement_id,
        award_form,
        created,
        completed,
        item_id,
    ) in _recent_items(session, items):
        found = visits.get((key, step, dossier_id, created))
        if found is None:
            visits[(key, step, dossier_id, created)] = _Visit(
                unit_id, movement_id, award_form, created, completed, item_id
            )
            continue
        found.ended_at = max(found.ended_at, completed)
        found.last_item_id = max(found.last_item_id, item_id)
    session.execute(delete(ProcessMapVisit))
    rows = [
        {
            "process_key": key,
            "step": step,
            "dossier_id": dossier_id,
            "unit_id": visit.unit_id,
            "movement_id": visit.movement_id,
            "award_form": visit.award_form,
            "started_at": visit.started_at,
            "ended_at": visit.ended_at,
            "seconds": max((visit.ended_at - visit.started_at).total_seconds(), 0.0),
            "last_item_id": visit.last_item_id,
        }
        for (key, step, dossier_id, _created), visit in visits.items()
    ]
    if rows:
        session.execute(insert(ProcessMapVisit), rows)
    counted: dict[str, int] = {}
    oldest: dict[str, datetime] = {}
    for (key, _step, _dossier, _created), visit in visits.items():
        counted[key] = counted.get(key, 0) + 1
        oldest[key] = min(oldest.get(key, visit.ended_at), visit.ended_at)
    # Every process gets its stamp, with visits or not: "no figures yet" is news too. One
    # generation for all: every process's visits were replaced.
    generation = uuid.uuid4().hex
    keys = set(session.scalars(select(ProcessVersion.process_key).distinct())) | set(counted)
    for key in sorted(keys):
        stamp = session.get(ProcessMapRefresh, key)
        if stamp is None:
            stamp = ProcessMapRefresh(process_key=key)
            session.add(stamp)
        stamp.refreshed_at = now
        stamp.visits = counted.get(key, 0)
        stamp.since = oldest.get(key)
        stamp.generation = generation
    session.flush()
    return counted


def freshness(session: Session, process_key: str) -> Freshness:
    """When the summary of `process_key` was last rebuilt (NEVER before the first time)."""
    stamp = session.get(ProcessMapRefresh, process_key)
    if stamp is None:
        return NEVER
    return Freshness(stamp.refreshed_at, stamp.visits, stamp.since, stamp.generation)
