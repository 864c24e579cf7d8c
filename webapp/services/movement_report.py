"""The Office's movement report: nominees per round, unit and award form at each stage, and the
time spent at each step. Every number is counted by the database (GROUP BY), never by loading
dossiers, so the page, the Excel file and the database agree.

Counted per nominee of the movement's dossiers (withdrawn dossiers left out):
- proposed: every nominee;
- passed the council: tallied by a council and not failed;
- sent up: in a dossier whose submission (tờ trình) is signed, and not failed;
- awarded / refused: the final result (a nominee failed by the council counts as refused);
- pending: no final result yet;
- overdue: pending, in a dossier with an open step past its time limit.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, select, true
from sqlalchemy.orm import Session

from webapp.models import Dossier, Movement, Nominee, OrgUnit, Round, RoundEntry, WorkItem
from webapp.permissions import Actor

FINAL_REFUSED = ("refused", "failed")
STILL_OPEN = ("pending", "passed")


@dataclass(frozen=True)
class Counts:
    """The stage counts of a group of nominees."""

    proposed: int = 0
    passed_council: int = 0
    sent_up: int = 0
    awarded: int = 0
    refused: int = 0
    pending: int = 0
    overdue: int = 0


COUNT_NAMES = tuple(f.name for f in fields(Counts))


@dataclass(frozen=True)
class ReportRow:
    """The counts of one round (or none: ad-hoc dossiers), unit and award form."""

    round_id: int | None
    round_name: str | None
    unit_id: int
    unit_name: str
    award_form: str
    counts: Counts


@dataclass(frozen=True)
class StepTime:
    """How long a step took: finished items, their mean and longest time in days, and the
    items open now and past their limit."""

    step: str
    title: str
    done: int
    mean_days: float | None
    max_days: float | None
    open: int
    overdue: int


@dataclass(frozen=True)
class MovementReport:
    """The report of one movement (or of every dossier when none is chosen)."""

    movement_id: int | None
    movement_code: str | None
    movement_name: str | None
    rows: list[ReportRow]
    totals: Counts
    steps: list[StepTime]
    generated_at: datetime


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _overdue_dossier(now: datetime) -> ColumnElement[bool]:
    return exists(
        select(WorkItem.id).where(
            WorkItem.dossier_id == Dossier.id,
            WorkItem.status == "open",
            WorkItem.due_at < now,
        )
    )


def _columns(now: datetime) -> list[ColumnElement[int]]:
    not_failed = Nominee.result != "failed"
    return [
        func.count(Nominee.id),
        _count(and_(Nominee.council_agree.is_not(None), not_failed)),
        _count(and_(Dossier.submission_number.is_not(None), not_failed)),
        _count(Nominee.result == "awarded"),
        _count(Nominee.result.in_(FINAL_REFUSED)),
        _count(Nominee.result.in_(STILL_OPEN)),
        _count(and_(Nominee.result.in_(STILL_OPEN), _overdue_dossier(now))),
    ]


def _scope(actor: Actor, movement_id: int | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Dossier.status != "withdrawn"]
    if movement_id is not None:
        conditions.append(Dossier.movement_id == movement_id)
    if not actor.is_admin:
        conditions.append(Dossier.unit_id.in_(actor.visible_units))
    return conditions


def _counts(values: tuple[object, ...]) -> Counts:
    return Counts(*(int(v or 0) for v in values))  # type: ignore[call-overload]


def _days(session: Session, start: Any, end: Any) -> ColumnElement[Any]:
    # Differences of timestamps in days, the way each backend can compute them.
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(end) - func.julianday(start)
    return func.extract("epoch", end - start) / literal(86400.0)


def _step_times(
    session: Session, actor: Actor, movement_id: int | None, now: datetime
) -> list[StepTime]:
    days = _days(session, WorkItem.created_at, WorkItem.completed_at)
    done = and_(WorkItem.status == "done", WorkItem.completed_at.is_not(None))
    is_open = WorkItem.status == "open"
    query = (
        select(
            WorkItem.step,
            func.min(WorkItem.title),
            _count(done),
            func.avg(case((done, days), else_=None)),
            func.max(case((done, days), else_=None)),
            _count(is_open),
            _count(and_(is_open, WorkItem.due_at < now)),
        )
        .join(Dossier, Dossier.id == WorkItem.dossier_id)
        .where(*_scope(actor, movement_id), WorkItem.status != "cancelled")
        .group_by(WorkItem.step)
        .order_by(func.min(WorkItem.created_at))
    )
    return [
        StepTime(
            step=step,
            title=title,
            done=int(n_done or 0),
            mean_days=round(float(mean), 1) if mean is not None else None,
            max_days=round(float(longest), 1) if longest is not None else None,
            open=int(n_open or 0),
            overdue=int(n_overdue or 0),
        )
        for step, title, n_done, mean, longest, n_open, n_overdue in session.execute(query)
    ]


def movement_report(
    session: Session, actor: Actor, movement_id: int | None, now: datetime
) -> MovementReport:
    """The report within the actor's reach: one row per round, unit and award form, the
    totals (counted by the database on their own), and the time spent per step."""
    movement = session.get(Movement, movement_id) if movement_id is not None else None
    scope = _scope(actor, movement_id)
    grouped = (
        select(
            Round.id,
            Round.name,
            OrgUnit.id,
            OrgUnit.name,
            Dossier.award_form,
            *_columns(now),
        )
        .select_from(Nominee)
        .join(Dossier, Dossier.id == Nominee.dossier_id)
        .join(OrgUnit, OrgUnit.id == Dossier.unit_id)
        .outerjoin(RoundEntry, RoundEntry.dossier_id == Dossier.id)
        .outerjoin(Round, Round.id == RoundEntry.round_id)
        .where(*scope)
        .group_by(Round.id, Round.name, OrgUnit.id, OrgUnit.name, Dossier.award_form)
        .order_by(Round.name, OrgUnit.name, Dossier.award_form)
    )
    rows = [
        ReportRow(
            round_id=values[0],
            round_name=values[1],
            unit_id=values[2],
            unit_name=values[3],
            award_form=values[4],
            counts=_counts(tuple(values[5:])),
        )
        for values in session.execute(grouped)
    ]
    total_query = (
        select(*_columns(now))
        .select_from(Nominee)
        .join(Dossier, Dossier.id == Nominee.dossier_id)
        .where(*scope, true())
    )
    totals = _counts(tuple(session.execute(total_query).one()))
    return MovementReport(
        movement_id=movement.id if movement else None,
        movement_code=movement.code if movement else None,
        movement_name=movement.name if movement else None,
        rows=rows,
        totals=totals,
        steps=_step_times(session, actor, movement_id, now),
        generated_at=now,
    )


def by_unit_and_form(report: MovementReport) -> list[tuple[str, str, Counts]]:
    """The rows summed over rounds: one per unit and award form, as the Ministry's form asks."""
    merged: dict[tuple[str, str], list[int]] = {}
    for row in report.rows:
        sums = merged.setdefault((row.unit_name, row.award_form), [0] * len(COUNT_NAMES))
        for i, name in enumerate(COUNT_NAMES):
            sums[i] += getattr(row.counts, name)
    return [(unit, form, Counts(*sums)) for (unit, form), sums in sorted(merged.items())]
